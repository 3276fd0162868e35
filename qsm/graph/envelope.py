"""Envelopes: a channel message plus its content id and its parents' ids (a hash-linked DAG)."""

from __future__ import annotations

import builtins
import time
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.messages import AgentCost, Message, MessageType, message_type
from qsm.ids import content_id

__all__ = ["Envelope", "StepCost", "seal"]


StepCost = AgentCost  # what one step (or one agent over a run) spent: calls, tokens, seconds
M = TypeVar("M", bound=Message)


class Envelope(BaseModel):
    """What travelled over a channel. ``id`` covers the type, payload and parents, not time or cost,
    so the same content with the same history always has the same id."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str
    type: MessageType
    source: str
    target: str
    parents: list[str] = Field(default_factory=list)
    payload: dict[str, Any]
    created_at: float
    cost: StepCost = Field(default_factory=StepCost)
    node: str = ""

    @property
    def channel(self) -> str:
        return f"{self.source}->{self.target}"

    def hashed_content(self) -> dict[str, Any]:
        """What ``id`` is the sha256 of (as canonical JSON, after the ``<kind>:`` prefix): type, payload
        and sorted parents. The ledger keeps it so that a proof carries the message itself."""
        return _hashed(self.type, self.payload, self.parents)

    def message(self) -> Message:
        return message_type(self.type).model_validate(self.payload)

    def message_as(self, kind: builtins.type[M]) -> M:  # `type` is a field of this model
        """The message, which must be a ``kind``: a step that finds another type in its state has a bug."""
        message = self.message()
        if not isinstance(message, kind):
            raise TypeError(f"envelope {self.id} carries a {self.type}, where a {kind.__name__} was expected")
        return message


def seal(
    message: Message,
    *,
    source: str,
    target: str,
    parents: list[str],
    cost: StepCost | None = None,
    node: str = "",
) -> Envelope:
    payload = message.model_dump(mode="json")
    type_name = type(message).__name__
    cid = content_id(message.kind, _hashed(type_name, payload, parents))
    return Envelope(
        id=cid,
        type=cast(MessageType, type_name),  # validated: a message class outside MESSAGE_TYPES is refused
        source=source,
        target=target,
        parents=sorted(parents),
        payload=payload,
        created_at=time.time(),
        cost=cost or StepCost(),
        node=node,
    )


def _hashed(type_name: str, payload: dict[str, Any], parents: list[str]) -> dict[str, Any]:
    return {"type": type_name, "payload": payload, "parents": sorted(parents)}
