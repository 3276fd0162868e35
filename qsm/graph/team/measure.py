"""After the superposition: QSM collapses the candidates into one answer (Ref-ranked pick, vote or merge),
honestly — when Ref rejected every candidate the answer says so —, and SOM settles the cost."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END
from langgraph.types import Command

from qsm.agents.messages import Budget, Draft, FinalAnswer, Verdict
from qsm.errors import BudgetExhausted
from qsm.graph import prompts
from qsm.graph.agent_call import emit, envelope
from qsm.graph.collapse import Candidate, rank, vote
from qsm.graph.economics import settle
from qsm.graph.envelope import Envelope
from qsm.graph.events import FinalEvent, StepEvent
from qsm.graph.spec import USER
from qsm.graph.step_context import Update
from qsm.graph.team.context import TeamContext

__all__ = ["collapse", "settle_costs"]


def collapse(ctx: TeamContext, state: dict[str, Any]) -> Command:
    expected, settled = state.get("expected", 0), state.get("settled", {})
    if len(settled) < expected:
        return Command(goto=END)  # other candidates are still in flight; the last one to settle collapses
    emit(StepEvent(node="QSM.collapse", agent=ctx.coordinator.name))
    final, parents, update = _measure(ctx, state, _candidates(state))
    envs = [
        ctx.steps.send(final, ctx.coordinator, USER, parents, None, "QSM.collapse", final=True),
        ctx.steps.send(final, ctx.coordinator, ctx.economist, parents, None, "QSM.collapse", final=True),
    ]
    emit(FinalEvent(node="QSM.collapse", envelope=envs[0]))
    return Command(
        update={**update, "final": envs[0].model_dump(), "trace": [e.model_dump() for e in envs]},
        goto="SOM.settle",
    )


def _candidates(state: dict[str, Any]) -> list[Candidate]:
    out = []
    for key, draft_data in sorted(state.get("drafts", {}).items()):
        d_env, v_env = Envelope.model_validate(draft_data), envelope(state.get("verdicts", {}).get(key))
        verdict_id: str | None = None
        verdict: Verdict | None = None
        if v_env is not None and v_env.parents == [d_env.id]:  # a verdict on this very draft
            verdict_id, verdict = v_env.id, v_env.message_as(Verdict)
        out.append(
            Candidate(
                d_env.id,
                d_env.message_as(Draft),
                verdict_id,
                verdict,
                state.get("settled", {}).get(key, ""),
            )
        )
    return out


def _measure(
    ctx: TeamContext, state: dict[str, Any], candidates: list[Candidate]
) -> tuple[FinalAnswer, list[str], Update]:
    exhausted = state.get("exhausted", "")
    if not candidates:
        text = "The budget ran out before any answer was drafted." if exhausted else "No answer was drafted."
        status = "budget_exhausted" if exhausted else "failed"
        final = FinalAnswer(text=text, status=status, collapse=ctx.collapse_mode, note=exhausted)
        return final, [state["request"]["id"]], {}
    ordered = vote(candidates) if ctx.collapse_mode == "vote" else rank(candidates)
    best, update, text = ordered[0], {}, ordered[0].draft.text
    parents = [best.draft_id] + ([best.verdict_id] if best.verdict_id else [])
    usable = [c for c in candidates if not c.rejected and c.draft.text]
    if ctx.collapse_mode == "merge" and len(usable) > 1 and not exhausted:
        call = ctx.steps.call(ctx.coordinator, "QSM.collapse", state)
        try:
            merged = call.text(
                prompts.merge_prompt(
                    call.system_prompt(ctx.prompt("QSM.merge")),
                    ctx.steps.request(state),
                    [c.draft for c in usable],
                )
            )
            text = merged.text.strip() or text
            parents = sorted({p for c in usable for p in (c.draft_id, c.verdict_id) if p})
        except BudgetExhausted as exc:
            exhausted = exc.message
        update["spent"] = call.spent_update()
    status = "budget_exhausted" if exhausted else "rejected" if best.rejected else "ok"
    note = exhausted
    if status == "rejected":
        reasons = "; ".join(best.verdict.reasons) if best.verdict else ""
        note = f"no verified answer: Ref rejected every candidate ({reasons})"
    final = FinalAnswer(
        text=text,
        thinking=best.draft.thinking,
        status=status,
        collapse=ctx.collapse_mode,
        chosen_candidate=best.draft.candidate,
        candidates=len(candidates),
        score=best.score,
        citations=best.draft.citations,
        note=note,
    )
    return final, parents, update


def settle_costs(ctx: TeamContext, state: dict[str, Any]) -> Update:
    emit(StepEvent(node="SOM.settle", agent=ctx.economist.name))
    final_env = Envelope.model_validate(state["final"])
    final = final_env.message_as(FinalAnswer)
    budget_env = envelope(state.get("budget"))
    contributors = {ctx.coordinator.name: 0.5, ctx.reflector.name: 0.5 if state.get("verdicts") else 0.0}
    drafts = state.get("drafts", {})
    if final.chosen_candidate is not None and str(final.chosen_candidate) in drafts:
        contributors[drafts[str(final.chosen_candidate)]["source"]] = 1.0 if final.status == "ok" else 0.3
    report = settle(
        state.get("spent", {}),
        budget_env.message_as(Budget) if budget_env else None,
        ctx.steps.caps,
        exhausted=bool(state.get("exhausted")),
        contributors=contributors,
    )
    env = ctx.steps.send(report, ctx.economist, USER, [final_env.id], None, "SOM.settle")
    return {"cost": env.model_dump(), "trace": [env.model_dump()]}
