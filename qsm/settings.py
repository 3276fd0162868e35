"""All of qsm's configuration in one pydantic-settings model.

Precedence, lowest to highest: built-in defaults < TOML config file < ``QSM_*`` env vars < explicit
overrides (CLI flags, UI settings). Nested env vars use ``__``: ``QSM_BUDGET__TOKENS=4000``,
``QSM_DEFAULTS__MODEL__PATH=/models/qwen.gguf``, ``QSM_AGENTS__WEQ__SAMPLING__TEMPERATURE=0.7``.

Per-agent settings are the ``[defaults]`` table deep-merged with ``[agents.<Name>]``.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from qsm.agents.settings import AgentSettings
from qsm.agents.tools.settings import ToolSettings
from qsm.chain.settings import LedgerSettings
from qsm.errors import ConfigError
from qsm.graph.settings import BudgetSettings, RunSettings, RuntimeSettings
from qsm.merge import deep_merge
from qsm.paths import default_data_dir
from qsm.store.settings import MemorySettings
from qsm.train.settings import TrainSettings

__all__ = [
    "MAX_CONFIG_BYTES",
    "QsmSettings",
    "UiSettings",
    "config_file_candidates",
    "deep_merge",
    "load_settings",
]

MAX_CONFIG_BYTES = 256 * 1024
"""The largest config file qsm reads."""

_file_values: ContextVar[dict[str, Any] | None] = ContextVar("qsm_config_file_values", default=None)


class UiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    host: str = "127.0.0.1"
    port: int = Field(8501, ge=1, le=65535)
    theme: Literal["auto", "light", "dark"] = "auto"
    """The app's colours: ``auto`` follows the system (and each person can pick Light or Dark in the app's
    menu, under Settings); ``light`` or ``dark`` starts every page in that theme."""
    server: str | None = None
    """A ``qsm serve`` to use instead of an in-process runtime (``http://127.0.0.1:8400``): the app's Chat
    asks it over its runs API. Its API key comes from ``$QSM_API_KEY``, never from this file."""

    @field_validator("server")
    @classmethod
    def _server_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("is not an http:// or https:// URL of a qsm server (e.g. http://127.0.0.1:8400)")
        if parts.username or parts.password:
            raise ValueError("holds a user name or password: drop it and set the API key in $QSM_API_KEY")
        if parts.query or parts.fragment:
            raise ValueError("has a query or fragment: give the server's base URL (http://host:port)")
        return url


class _TomlValues(PydanticBaseSettingsSource):
    """Feeds the values read from the config file (set by :func:`load_settings`)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return (_file_values.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_file_values.get() or {})


class QsmSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QSM_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    defaults: AgentSettings = Field(default_factory=AgentSettings)
    agents: dict[str, dict[str, Any]] = Field(default_factory=dict)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    budget: BudgetSettings = Field(default_factory=BudgetSettings)
    runs: RunSettings = Field(default_factory=RunSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    train: TrainSettings = Field(default_factory=TrainSettings)
    tools: ToolSettings = Field(default_factory=ToolSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlValues(settings_cls))

    @field_validator("data_dir", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty (leave it unset for the default, or name a directory)")
        return value

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        try:
            str(value).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not UTF-8 text") from None
        value = value.expanduser()
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a directory")
        return value

    @field_validator("agents")
    @classmethod
    def _agents_validate(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for name, table in value.items():
            try:
                AgentSettings.model_validate(table)
            except ValidationError as exc:
                raise ValueError(f"[agents.{name}]: {_first_problem(exc)}") from None
        return value

    def agent(self, name: str) -> AgentSettings:
        """The effective settings of agent ``name``: ``[defaults]`` deep-merged with ``[agents.<name>]``."""
        override = _lookup_case_insensitive(self.agents, name) or {}
        merged = deep_merge(self.defaults.model_dump(exclude_unset=False), override)
        return AgentSettings.model_validate(merged)

    def with_overrides(self, overrides: dict[str, Any]) -> QsmSettings:
        """A copy with ``overrides`` (nested dict) deep-merged on top, validated again."""
        merged = deep_merge(self.model_dump(), overrides)
        try:
            return QsmSettings.model_validate(merged)
        except ValidationError as exc:
            raise ConfigError(f"invalid setting: {_first_problem(exc)}", hint=_HINT) from None


_HINT = "fix the value in your qsm.toml, QSM_* env var or flag; `qsm agents` shows the effective config"


def config_file_candidates() -> list[Path]:
    """Where a config file is looked for when none is given explicitly."""
    home_cfg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "qsm" / "qsm.toml"
    return [Path.cwd() / "qsm.toml", home_cfg]


def load_settings(config: Path | str | None = None, overrides: dict[str, Any] | None = None) -> QsmSettings:
    """Read the config file (explicit path, ``$QSM_CONFIG``, ./qsm.toml, ~/.config/qsm/qsm.toml), env
    vars and ``overrides``; raise :class:`ConfigError` naming the file and field on any problem."""
    path = _choose_config(config)
    file_values: dict[str, Any] = {}
    if path is not None:
        try:
            file_values = tomllib.loads(_read_config(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}", hint=_HINT) from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}", hint=_HINT) from None
    token = _file_values.set(file_values)
    try:
        settings = QsmSettings(**(overrides or {}))
    except ValidationError as exc:
        where = f" (config file {path})" if path else ""
        raise ConfigError(f"invalid setting{where}: {_first_problem(exc)}", hint=_HINT) from None
    except SettingsError as exc:  # a QSM_* env var holding a table that is not JSON, e.g. QSM_AGENTS='{bad'
        raise ConfigError(
            f"invalid setting: {_env_problem(exc)}",
            hint="a QSM_* env var naming a whole table holds JSON (e.g. QSM_BUDGET='{\"tokens\": 4000}'); "
            "or set one field: QSM_BUDGET__TOKENS=4000",
        ) from None
    finally:
        _file_values.reset(token)
    return settings


def _read_config(path: Path) -> str:
    """The config file's text, at most :data:`MAX_CONFIG_BYTES` of UTF-8 (OSError passes through)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"config file {path} is larger than {MAX_CONFIG_BYTES // 1024} KB",
            hint="a qsm.toml is a few KB; check that --config / QSM_CONFIG points at the right file",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text", hint=_HINT) from None


def _choose_config(config: Path | str | None) -> Path | None:
    if config is not None:
        path = Path(config).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"config file {path} {_not_a_file(path)}", hint="pass an existing file to --config"
            )
        return path
    if env := os.environ.get("QSM_CONFIG"):
        path = Path(env).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"QSM_CONFIG points to {path}, which {_not_a_file(path)}", hint="unset it or fix the path"
            )
        return path
    return next((p for p in config_file_candidates() if p.is_file()), None)


def _not_a_file(path: Path) -> str:
    return "is a directory, not a file" if path.is_dir() else "does not exist"


def _env_problem(exc: SettingsError) -> str:
    """``error parsing value for field "agents" from source "EnvSettingsSource"`` as the env var's name."""
    match = re.search(r'field "([^"]+)"', str(exc))
    return f"QSM_{match.group(1).upper()} is not valid JSON" if match else str(exc)


def _lookup_case_insensitive(table: dict[str, Any], name: str) -> Any:
    for key, value in table.items():
        if key.lower() == name.lower():
            return value
    return None


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    value = err.get("input")
    shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
    more = f"; and {exc.error_count() - 1} more problem(s)" if exc.error_count() > 1 else ""
    return f"{loc}: {err['msg']}{shown}{more}"
