from __future__ import annotations

import json

import pytest

from qsm.agents import FakeChatModel, Sampling, generate_structured
from qsm.agents.fake import schema_sample
from qsm.agents.roles import BudgetReply, DiagnosisReply, PlanReply, VerdictReply
from qsm.agents.structured import extract_json, repair_to_schema
from qsm.errors import StructuredOutputError

SAMPLING = Sampling(temperature=0.7, max_tokens=200)


def test_valid_json_first_time() -> None:
    model = FakeChatModel(['{"decision": "accept", "confidence": "high", "reasons": ["ok"]}'], auto=False)
    result = generate_structured(model, [{"role": "user", "content": "x"}], VerdictReply, sampling=SAMPLING)
    assert result.value.decision == "accept" and result.attempts == 1 and not result.repaired
    assert model.calls[0].json_schema == VerdictReply.model_json_schema()


@pytest.mark.parametrize(
    ("raw", "decision"),
    [
        ('```json\n{"decision": "Accept", "confidence": "HIGH", "reasons": ["ok"]}\n```', "accept"),
        (
            'Sure! {"decision": "reject", "confidence": "low", "reasons": ["a", "b", "c", "d", "e"],}',
            "reject",
        ),
        ('{"decision": "revise", "confidence": "medium", "reasons": ["cut off', "revise"),
        ('{"decision": "accept", "confidence": "low", "reasons": ["line\nbreak"]}', "accept"),
    ],
)
def test_repairs_common_small_model_faults(raw: str, decision: str) -> None:
    model = FakeChatModel([raw], auto=False)
    result = generate_structured(model, [{"role": "user", "content": "x"}], VerdictReply, sampling=SAMPLING)
    assert result.value.decision == decision
    assert len(result.value.reasons) <= 3
    assert result.attempts == 1


def test_retry_feeds_back_error_at_temperature_zero() -> None:
    good = '{"decision": "accept", "confidence": "high", "reasons": ["fine"]}'
    model = FakeChatModel(["I think it is fine.", good], auto=False)
    result = generate_structured(
        model, [{"role": "user", "content": "check"}], VerdictReply, sampling=SAMPLING
    )
    assert result.attempts == 2 and result.repaired
    retry = model.calls[1]
    assert retry.sampling.temperature == 0.0
    assert "not valid" in retry.messages[-1]["content"] and retry.messages[-2]["role"] == "assistant"


def test_gives_up_with_clear_error_after_retries() -> None:
    model = FakeChatModel(["nope", "still nope", "no"], auto=False)
    with pytest.raises(StructuredOutputError) as info:
        generate_structured(
            model, [{"role": "user", "content": "x"}], VerdictReply, sampling=SAMPLING, retries=2
        )
    assert "after 3 attempt(s)" in info.value.message and info.value.hint
    assert len(model.calls) == 3


def test_numbers_clamped_to_schema_range() -> None:
    data = {"complexity": "HIGH", "weights": {"QSM": 0, "WeQ": 300, "Ref": 5}, "rationale": "r" * 500}
    fixed = repair_to_schema(data, BudgetReply.model_json_schema())
    reply = BudgetReply.model_validate(fixed)
    assert (reply.weights.QSM, reply.weights.WeQ, reply.complexity) == (1, 10, "high")
    assert len(reply.rationale) == 160


def test_extract_json_none_when_absent() -> None:
    assert extract_json("no braces here") == (None, False)


@pytest.mark.parametrize("reply_type", [PlanReply, BudgetReply, VerdictReply, DiagnosisReply])
def test_schema_sample_is_valid_instance(reply_type: type) -> None:
    sample = schema_sample(reply_type.model_json_schema())
    reply_type.model_validate(sample)
    json.dumps(sample)
