"""Entanglement channels: typed, weighted, stateful edges between agents.

A channel is (source, target, message type, strength, state). Strength (0..1) is reinforced by every
send (``s += rate * (1 - s)``) and decays while idle (half-life ``half_life_hours``); it decides how much
context a message carries into the receiver's prompt. States: ``active``; ``dormant`` (strength fell
below ``dormant_below``: still usable, a send wakes it); ``isolated`` (switched off: every send is
refused). Every send is validated against the channel's type.
"""

from __future__ import annotations

import builtins
import math
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qsm.agents.messages import Message, message_type
from qsm.errors import ChannelTypeError
from qsm.graph.envelope import Envelope, StepCost, seal

__all__ = ["Channel", "ChannelBook", "ChannelState", "StrengthStore"]

ChannelState = Literal["active", "dormant", "isolated"]


class Channel(BaseModel):
    """Declares that ``source`` may send messages of ``type`` to ``target``."""

    model_config = ConfigDict(extra="forbid")

    source: str
    target: str
    type: str
    strength: float = Field(0.5, ge=0.0, le=1.0)
    state: ChannelState = "active"
    reinforce_rate: float = Field(0.1, ge=0.0, le=1.0)
    half_life_hours: float = Field(72.0, gt=0)
    dormant_below: float = Field(0.15, ge=0.0, le=1.0)

    @property
    def key(self) -> str:
        return f"{self.source}->{self.target}:{self.type}"

    def message_class(self) -> builtins.type[Message]:  # `type` is a field of this model
        return message_type(self.type)


class StrengthStore:
    """Persists channel strengths between runs (SQLite in the data dir)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS channel_strength (workflow TEXT, channel TEXT, strength REAL, "
            "state TEXT, last_used REAL, sends INTEGER, PRIMARY KEY (workflow, channel))"
        )
        self._db.commit()
        self._lock = threading.Lock()

    def load(self, workflow: str) -> dict[str, tuple[float, str, float, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, strength, state, last_used, sends FROM channel_strength WHERE workflow=?",
                (workflow,),
            ).fetchall()
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def save(self, workflow: str, rows: Mapping[str, tuple[float, str, float, int]]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO channel_strength VALUES (?,?,?,?,?,?) ON CONFLICT(workflow, channel) DO UPDATE "
                "SET strength=excluded.strength, state=excluded.state, last_used=excluded.last_used, "
                "sends=excluded.sends",
                [(workflow, k, *v) for k, v in rows.items()],
            )

    def close(self) -> None:
        self._db.close()


class ChannelBook:
    """The live channels of one workflow during a run: validates and seals every send."""

    def __init__(self, workflow: str, channels: list[Channel], store: StrengthStore | None = None) -> None:
        self.workflow = workflow
        self._channels = {c.key: c.model_copy() for c in channels}
        self._last_used: dict[str, float] = {}
        self._sends: dict[str, int] = {}
        self._store = store
        self._lock = threading.Lock()
        if store is not None:
            self._restore(store.load(workflow))

    def _restore(self, saved: dict[str, tuple[float, str, float, int]]) -> None:
        now = time.time()
        for key, (strength, _state, last_used, sends) in saved.items():
            channel = self._channels.get(key)
            if channel is None:
                continue
            idle_hours = max(0.0, now - last_used) / 3600
            decayed = strength * math.pow(0.5, idle_hours / channel.half_life_hours)
            channel.strength = decayed
            if channel.state != "isolated":
                channel.state = "dormant" if decayed < channel.dormant_below else "active"
            self._last_used[key] = last_used
            self._sends[key] = sends

    def channels(self) -> list[Channel]:
        with self._lock:
            return [c.model_copy() for c in self._channels.values()]

    def strength(self, source: str, target: str, type_name: str) -> float:
        channel = self._channels.get(f"{source}->{target}:{type_name}")
        return channel.strength if channel else 0.0

    def send(
        self,
        message: Message,
        *,
        source: str,
        target: str,
        parents: list[str],
        cost: StepCost | None = None,
        node: str = "",
    ) -> Envelope:
        """Validate ``message`` against the channel ``source -> target`` and seal it into an envelope."""
        type_name = type(message).__name__
        key = f"{source}->{target}:{type_name}"
        channel = self._channels.get(key)
        if channel is None:
            carried = sorted(
                c.type for c in self._channels.values() if (c.source, c.target) == (source, target)
            )
            if carried:
                raise ChannelTypeError(
                    f"channel {source} -> {target} carries {', '.join(carried)}, but {source} sent {type_name}",
                    hint="send a message of the channel's type, or declare a channel for this type",
                )
            raise ChannelTypeError(
                f"there is no channel from {source} to {target} (tried to send {type_name})",
                hint="declare the channel in the workflow",
            )
        if channel.state == "isolated":
            raise ChannelTypeError(
                f"channel {source} -> {target} ({type_name}) is isolated", hint="set its state to active"
            )
        try:  # re-validate: catches messages built with model_construct or mutated after creation
            type(message).model_validate(message.model_dump())
        except ValidationError as exc:
            raise ChannelTypeError(
                f"message on {source} -> {target} is not a valid {type_name}: {exc.errors()[0]['msg']}",
                hint="build messages through their pydantic constructor",
            ) from None
        envelope = seal(message, source=source, target=target, parents=parents, cost=cost, node=node)
        with self._lock:
            channel.strength += channel.reinforce_rate * (1.0 - channel.strength)
            channel.state = "active"
            self._last_used[key] = time.time()
            self._sends[key] = self._sends.get(key, 0) + 1
        return envelope

    def persist(self) -> None:
        if self._store is None:
            return
        with self._lock:
            rows = {
                key: (c.strength, c.state, self._last_used.get(key, time.time()), self._sends.get(key, 0))
                for key, c in self._channels.items()
                if key in self._last_used
            }
        self._store.save(self.workflow, rows)
