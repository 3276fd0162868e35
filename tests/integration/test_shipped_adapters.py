"""A fresh install, offline: every agent runs its shipped LoRA on the one bundled base through llama-cpp-python,
with no `qsm train` step and no network; each adapter answers its role's own prompt in its role's format."""

from __future__ import annotations

import json

import pytest

from qsm.agents import LlamaCppModel, ModelPool, ModelRequest, Sampling
from qsm.agents.messages import Draft, Plan, UserRequest
from qsm.agents.roles import ROLE_PROMPTS, BudgetReply, PlanReply, VerdictReply
from qsm.agents.shipped import SHIPPED_ROLES, shipped_adapter_path
from qsm.graph import prompts
from qsm.settings import load_settings

pytestmark = pytest.mark.real_model
GREEDY = Sampling(temperature=0, max_tokens=96, repeat_penalty=1.1, seed=0)


@pytest.fixture(scope="module")
def pool() -> ModelPool:
    models = ModelPool()
    yield models
    models.close()


def test_each_agent_runs_its_shipped_adapter_on_one_bundled_base(
    pool: ModelPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = load_settings()  # no config: a fresh install's defaults
    models = {role: pool.model_for(role, settings.agent(role)) for role in SHIPPED_ROLES}
    for role, model in models.items():
        assert isinstance(model, LlamaCppModel)
        assert model.adapter == shipped_adapter_path(role) is not None
    assert len({id(m.base) for m in models.values()}) == 1, "one base serves the four adapters"
    assert len(pool.llama_bases) == 1


def test_shipped_adapters_answer_in_their_roles_formats(pool: ModelPool) -> None:
    settings = load_settings()
    model = {role: pool.model_for(role, settings.agent(role)) for role in SHIPPED_ROLES}
    request = UserRequest(text="What is 17 + 25?")
    plan_reply = model["QSM"].complete(
        ModelRequest(prompts.plan_prompt(ROLE_PROMPTS["QSM.plan"], request), sampling=GREEDY)
    )
    plan = PlanReply.model_validate(json.loads(plan_reply.text))
    assert plan.route_to == "WeQ", "plain arithmetic is WeQ's, not a cost question"
    draft = model["WeQ"].complete(
        ModelRequest(
            prompts.draft_prompt(
                ROLE_PROMPTS["WeQ.draft"], request, Plan(goal=plan.goal, steps=plan.steps), 1.0
            ),
            sampling=GREEDY,
        )
    )
    assert "42" in draft.text and len(draft.text) < 120
    caps = "4000 tokens, 120 s, 12 calls"
    budget = model["SOM"].complete(
        ModelRequest(
            prompts.budget_prompt(
                ROLE_PROMPTS["SOM.budget"], Plan(goal=plan.goal, steps=plan.steps), 1.0, "WeQ", caps
            ),
            sampling=GREEDY,
        )
    )
    assert BudgetReply.model_validate(json.loads(budget.text)).complexity in ("low", "medium", "high")
    draft_ = Draft(text=draft.text, author="WeQ", candidate=0)
    verdict = model["Ref"].complete(
        ModelRequest(prompts.verify_prompt(ROLE_PROMPTS["Ref.verify"], request, draft_, 1.0), sampling=GREEDY)
    )
    assert VerdictReply.model_validate(json.loads(verdict.text)).decision in ("accept", "revise", "reject")


def test_turning_shipped_adapters_off_serves_the_plain_base(pool: ModelPool) -> None:
    plain = ModelPool()
    try:
        settings = load_settings(overrides={"defaults": {"model": {"shipped_adapter": False}}})
        model = plain.model_for("WeQ", settings.agent("WeQ"))
        assert isinstance(model, LlamaCppModel) and model.adapter is None
    finally:
        plain.close()
