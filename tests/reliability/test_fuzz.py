"""Hypothesis fuzzing of message schemas, content ids, JSON repair and workflow specs."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qsm.agents.messages import MESSAGE_TYPES, Draft
from qsm.agents.roles import BudgetReply, DiagnosisReply, PlanReply, VerdictReply
from qsm.agents.structured import extract_json, repair_to_schema
from qsm.errors import ChannelTypeError, QsmError
from qsm.graph import Channel, ChannelBook, Workflow
from qsm.graph.envelope import seal
from qsm.ids import is_content_id

# Messages refuse NaN/inf (they could not be content-addressed); draw only finite floats.
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))
text = st.text(max_size=200)
pytestmark = pytest.mark.timeout(180)  # a pathological example fails the test instead of stalling CI
types = st.sampled_from(sorted(MESSAGE_TYPES))


def test_non_finite_floats_are_refused_at_construction() -> None:
    from pydantic import ValidationError

    from qsm.agents.messages import Budget

    with pytest.raises(ValidationError, match="finite"):
        Budget(tokens=1, seconds=float("inf"), calls=1)


@given(data=st.data(), type_name=types)
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_any_valid_message_seals_to_a_stable_content_id(data: st.DataObject, type_name: str) -> None:
    cls = MESSAGE_TYPES[type_name]
    message = data.draw(st.builds(cls))
    parents = data.draw(st.lists(st.from_regex(r"[a-z]{1,8}:[0-9a-f]{64}", fullmatch=True), max_size=3))
    a = seal(message, source="A", target="B", parents=parents)
    b = seal(
        cls.model_validate(json.loads(json.dumps(message.model_dump(mode="json")))),
        source="A",
        target="B",
        parents=list(reversed(parents)),
    )
    assert a.id == b.id and is_content_id(a.id) and a.id.startswith(cls.kind + ":")
    assert a.message() == message


@given(payload=st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), text, st.none()), max_size=5))
def test_channel_refuses_anything_but_a_valid_draft(payload: dict) -> None:
    book = ChannelBook("f", [Channel(source="A", target="B", type="Draft")])
    forged = Draft.model_construct(**payload)
    try:
        valid = (
            Draft.model_validate(forged.model_dump())
            if {"text", "author", "candidate"} <= payload.keys()
            else None
        )
    except Exception:
        valid = None
    if valid is None:
        with pytest.raises(ChannelTypeError):
            book.send(forged, source="A", target="B", parents=[])


@given(raw=st.text(max_size=400))
@settings(max_examples=300, deadline=None, database=None)
def test_json_extraction_never_raises(raw: str) -> None:
    value, _ = extract_json(raw)
    assert value is None or isinstance(value, dict | list | str | int | float | bool)


@given(reply=st.sampled_from([PlanReply, BudgetReply, VerdictReply, DiagnosisReply]), data=st.data())
@settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_repair_keeps_valid_replies_valid(reply: type, data: st.DataObject) -> None:
    instance = data.draw(st.builds(reply))
    dumped = instance.model_dump(mode="json")
    assert reply.model_validate(repair_to_schema(dumped, reply.model_json_schema())) == instance


names = st.sampled_from(["QSM", "WeQ", "SOM", "Ref", "user", "ghost", "a", "b"])
roles = st.sampled_from(["coordinator", "communicator", "economist", "reflector", "custom", "wizard"])
spec_strategy = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["x", "fuzz", "", "bad name!"]),
        "kind": st.sampled_from(["team", "pipeline", "other"]),
        "agents": st.dictionaries(
            st.sampled_from(["a", "b", "c", "QSM", "user"]),
            st.fixed_dictionaries({"role": roles}),
            max_size=4,
        ),
        "channels": st.lists(
            st.builds(
                lambda s, t, ty: f"{s} -> {t}: {ty}", names, names, st.sampled_from([*MESSAGE_TYPES, "Nope"])
            ),
            max_size=6,
        ),
    }
)


@given(spec=spec_strategy)
@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_specs_either_check_or_fail_with_a_qsm_error(spec: dict) -> None:
    import yaml

    try:
        workflow = Workflow.from_yaml(yaml.safe_dump(spec))
    except QsmError as err:
        assert err.message and err.exit_code == 2
    else:
        assert workflow.check() is workflow
