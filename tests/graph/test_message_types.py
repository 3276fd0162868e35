"""Envelopes name their message type with a Literal that lists every message class."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from qsm.agents.messages import MESSAGE_TYPES, MessageType, Plan
from qsm.chain.models import BatchState
from qsm.chain.outbox_schema import BATCH_STATES, TRANSITIONS
from qsm.graph.envelope import Envelope, seal


def test_message_type_names_every_message_class() -> None:
    assert sorted(get_args(MessageType)) == sorted(MESSAGE_TYPES)


def test_an_envelope_refuses_an_unknown_message_type() -> None:
    env = seal(Plan(goal="g"), source="QSM", target="SOM", parents=[])
    assert env.type == "Plan" and Envelope.model_validate(env.model_dump()) == env
    with pytest.raises(ValidationError, match="type"):
        Envelope.model_validate({**env.model_dump(), "type": "Gossip"})


def test_batch_states_are_the_state_machines() -> None:
    assert get_args(BatchState) == BATCH_STATES
    reached = {to for _, to in TRANSITIONS.values()} | {s for froms, _ in TRANSITIONS.values() for s in froms}
    assert reached <= set(BATCH_STATES)
