"""Team steps after the superposition: QSM collapses the candidates, SOM settles the cost."""

from __future__ import annotations

from typing import Any

from langgraph.graph import END
from langgraph.types import Command

from qsm.agents.messages import Draft, FinalAnswer
from qsm.agents.roles import ROLE_PROMPTS
from qsm.errors import BudgetExhausted
from qsm.graph import prompts
from qsm.graph.collapse import Candidate, rank, vote
from qsm.graph.economics import settle
from qsm.graph.spec import USER
from qsm.graph.stepbase import StepsBase, Update
from qsm.graph.stepkit import emit, envelope

__all__ = ["MeasurementSteps"]


class MeasurementSteps(StepsBase):
    # -- QSM: measurement -------------------------------------------------------------------------
    def collapse(self, state: dict[str, Any]) -> Command:
        expected, settled = state.get("expected", 0), state.get("settled", {})
        if len(settled) < expected:
            return Command(goto=END)  # other candidates are still in flight; the last one to settle collapses
        emit({"type": "step", "node": "QSM.collapse", "agent": self.coordinator.name, "candidate": None})
        candidates = self._candidates(state)
        final, parents, update = self._measure(state, candidates)
        envs = [
            self._send(final, self.coordinator, USER, parents, None, "QSM.collapse"),
            self._send(final, self.coordinator, self.economist, parents, None, "QSM.collapse"),
        ]
        emit({"type": "final", "node": "QSM.collapse", "envelope": envs[0].model_dump(mode="json")})
        return Command(
            update={**update, "final": envs[0].model_dump(), "trace": [e.model_dump() for e in envs]},
            goto="SOM.settle",
        )

    def _candidates(self, state: dict[str, Any]) -> list[Candidate]:
        out = []
        for key, draft_data in sorted(state.get("drafts", {}).items()):
            d_env, v_env = envelope(draft_data), envelope(state.get("verdicts", {}).get(key))
            draft: Draft = d_env.message()  # type: ignore[union-attr, assignment]
            verdict = v_env.message() if v_env and v_env.parents == [d_env.id] else None  # type: ignore[union-attr]
            out.append(
                Candidate(
                    d_env.id,
                    draft,
                    v_env.id if verdict else None,
                    verdict,  # type: ignore[union-attr, arg-type]
                    state.get("settled", {}).get(key, ""),
                )
            )
        return out

    def _measure(
        self, state: dict[str, Any], candidates: list[Candidate]
    ) -> tuple[FinalAnswer, list[str], Update]:
        exhausted = state.get("exhausted", "")
        if not candidates:
            text = (
                "The budget ran out before any answer was drafted." if exhausted else "No answer was drafted."
            )
            return (
                FinalAnswer(
                    text=text,
                    status="budget_exhausted" if exhausted else "failed",
                    collapse=self.collapse_mode,
                    note=exhausted,
                ),
                [state["request"]["id"]],
                {},
            )
        ordered = vote(candidates) if self.collapse_mode == "vote" else rank(candidates)
        best, update, text = ordered[0], {}, ordered[0].draft.text
        parents = [best.draft_id] + ([best.verdict_id] if best.verdict_id else [])
        usable = [c for c in candidates if not c.rejected and c.draft.text]
        if self.collapse_mode == "merge" and len(usable) > 1 and not exhausted:
            call = self._call(self.coordinator, "QSM.collapse", state)
            try:
                merged = call.text(
                    prompts.merge_prompt(
                        call.system_prompt(ROLE_PROMPTS["QSM.merge"]),
                        self._request(state),
                        [c.draft for c in usable],
                    )
                )
                text = merged.text.strip() or text
                parents = sorted({p for c in usable for p in (c.draft_id, c.verdict_id) if p})
            except BudgetExhausted as exc:
                exhausted = exc.message
            update["spent"] = call.spent_update()
        status = "budget_exhausted" if exhausted else "rejected" if best.rejected else "ok"
        final = FinalAnswer(
            text=text,
            thinking=best.draft.thinking,
            status=status,
            collapse=self.collapse_mode,
            chosen_candidate=best.draft.candidate,
            candidates=len(candidates),
            score=best.score,
            citations=best.draft.citations,
            note=exhausted,
        )
        return final, parents, update

    # -- SOM: settle; QSM: commit -----------------------------------------------------------------
    def settle(self, state: dict[str, Any]) -> Update:
        emit({"type": "step", "node": "SOM.settle", "agent": self.economist.name, "candidate": None})
        final_env = envelope(state["final"])
        final: FinalAnswer = final_env.message()  # type: ignore[union-attr, assignment]
        budget_env = envelope(state.get("budget"))
        contributors = {
            self.coordinator.name: 0.5,
            self.reflector.name: 0.5 if state.get("verdicts") else 0.0,
        }
        drafts = state.get("drafts", {})
        if final.chosen_candidate is not None and str(final.chosen_candidate) in drafts:
            contributors[drafts[str(final.chosen_candidate)]["source"]] = 1.0 if final.status == "ok" else 0.3
        report = settle(
            state.get("spent", {}),
            budget_env.message() if budget_env else None,
            self.caps,  # type: ignore[arg-type]
            exhausted=bool(state.get("exhausted")),
            contributors=contributors,
        )
        env = self._send(report, self.economist, USER, [final_env.id], None, "SOM.settle")  # type: ignore[union-attr]
        return {"cost": env.model_dump(), "trace": [env.model_dump()]}
