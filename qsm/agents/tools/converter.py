"""The ``convert_units`` tool: a value from one unit to another of the same dimension."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.tools.base import ToolOutput
from qsm.agents.tools.numbers import format_number
from qsm.agents.tools.units import convert

__all__ = ["ConvertArgs", "UnitConverter"]

_UNIT_CHARACTERS = r"^[A-Za-z°µ][A-Za-z°µ/ ²³.0-9]*$"


class ConvertArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)
    value: float = Field(description="the amount to convert, e.g. 3.5")
    # the patterns are in the JSON schema only: they keep a constrained model's units to unit characters
    from_unit: str = Field(
        min_length=1,
        max_length=40,
        description="the unit it is in, e.g. km, °F, GB",
        json_schema_extra={"pattern": _UNIT_CHARACTERS},
    )
    to_unit: str = Field(
        min_length=1,
        max_length=40,
        description="the unit wanted, e.g. miles, celsius, MB",
        json_schema_extra={"pattern": _UNIT_CHARACTERS},
    )


class UnitConverter:
    """The ``convert_units`` tool: length, mass, time, volume, area, speed, data size, temperature."""

    name: str = "convert_units"
    description: str = (
        "Convert a value between units of length, mass, time, volume, area, speed, data size or temperature; "
        "e.g. 5 km to miles, 100 °F to celsius, 2 GB to MB."
    )
    args_model: type[BaseModel] = ConvertArgs
    timeout_s: float = 2.0

    def run(self, args: ConvertArgs) -> ToolOutput:
        result, source, target = convert(args.value, args.from_unit, args.to_unit)
        text = f"{format_number(args.value)} {source.symbol} = {format_number(result)} {target.symbol}"
        return ToolOutput(text, result)
