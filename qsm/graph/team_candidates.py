"""Team steps of one candidate: draft, Ref's verdict, Ref's diagnosis and the bounded repair loop."""

from __future__ import annotations

from typing import Any

from langgraph.types import Command, Send

from qsm.agents.messages import Diagnosis, Draft, Plan, RepairPlan, Verdict
from qsm.agents.roles import CONFIDENCE_SCORE, ROLE_PROMPTS, DiagnosisReply, VerdictReply
from qsm.errors import BudgetExhausted, StructuredOutputError
from qsm.graph import prompts
from qsm.graph.recall import recall_lessons, recall_notes, write_lesson
from qsm.graph.state import add_costs
from qsm.graph.stepbase import Update
from qsm.graph.stepkit import AgentCall, emit, envelope
from qsm.graph.team_plan import PlanningSteps

__all__ = ["CandidateSteps", "verdict_score"]


class CandidateSteps(PlanningSteps):
    # -- WeQ (or SOM): draft one candidate --------------------------------------------------------
    def draft(self, branch: dict[str, Any]) -> Command:
        i, rnd = branch["candidate"], branch["round"]
        plan: Plan = envelope(branch["plan"]).message()  # type: ignore[union-attr, assignment]
        author = self._drafter(plan)
        call = self._call(author, "draft", branch, share=self.fan_out if rnd == 0 else 1, candidate=i)
        repair_env, previous_env = envelope(branch.get("repair")), envelope(branch.get("draft"))
        key = "SOM.answer" if author is self.economist else "WeQ.draft"
        request = self._request(branch)
        notes = recall_notes(self.rt, request.text, request.user, author.name)
        messages = prompts.draft_prompt(
            call.system_prompt(ROLE_PROMPTS[key]),
            request,
            plan,
            self.book.strength(self.coordinator.name, author.name, "Task"),
            notes=[f"{n.quote} (from {n.path})" for n in notes],
            repair=repair_env.message() if repair_env else None,  # type: ignore[arg-type]
            previous=previous_env.message() if previous_env else None,  # type: ignore[arg-type]
            repair_strength=self.book.strength(self.reflector.name, author.name, "RepairPlan"),
        )
        try:
            completion = call.text(messages)
        except BudgetExhausted as exc:
            return self._settle_exhausted(branch, call, exc, i)
        draft = Draft(
            text=completion.text.strip(),
            thinking=completion.thinking,
            author=author.name,
            candidate=i,
            round=rnd,
            citations=notes,
        )
        parents = [branch["task"]["id"]] + ([repair_env.id] if repair_env else [])
        env = self._send(draft, author, self.reflector, parents, call, "draft")
        nxt = {
            **branch,
            "draft": env.model_dump(),
            "spent": add_costs(branch.get("spent"), call.spent_update()),
        }
        return Command(
            update={
                "drafts": {str(i): env.model_dump()},
                "trace": [env.model_dump()],
                "spent": call.spent_update(),
            },
            goto=Send("Ref.verify", nxt),
        )

    def _settle_exhausted(
        self, branch: dict[str, Any], call: AgentCall, exc: BudgetExhausted, i: int
    ) -> Command:
        emit({"type": "budget", "node": call.node, "agent": call.agent.name, "message": exc.message})
        return Command(
            update={"settled": {str(i): "exhausted"}, "exhausted": exc.message, "spent": call.spent_update()},
            goto="QSM.collapse",
        )

    # -- Ref: verify and diagnose -----------------------------------------------------------------
    def verify(self, branch: dict[str, Any]) -> Command:
        i, rnd = branch["candidate"], branch["round"]
        draft_env = envelope(branch["draft"])
        draft: Draft = draft_env.message()  # type: ignore[union-attr, assignment]
        call = self._call(self.reflector, "Ref.verify", branch, candidate=i)
        strength = self.book.strength(draft.author, self.reflector.name, "Draft")
        errors: list[str] = []
        try:
            reply = call.structured(
                prompts.verify_prompt(
                    call.system_prompt(ROLE_PROMPTS["Ref.verify"]),
                    self._request(branch),
                    draft,
                    strength,
                    lessons=recall_lessons(self.rt, self._request(branch).text, self.reflector.name),
                ),
                VerdictReply,
            )
            verdict = Verdict(
                decision=reply.decision,
                score=verdict_score(reply.decision, reply.confidence),
                reasons=reply.reasons,
                candidate=i,
                round=rnd,
            )
        except StructuredOutputError as exc:
            errors.append(str(exc))
            verdict = Verdict(
                decision="accept",
                score=0.5,
                reasons=["Ref's verdict was unusable; unverified"],
                candidate=i,
                round=rnd,
            )
        except BudgetExhausted as exc:
            return self._settle_exhausted(branch, call, exc, i)
        env = self._send(verdict, self.reflector, self.coordinator, [draft_env.id], call, "Ref.verify")  # type: ignore[union-attr]
        if verdict.decision == "reject":
            write_lesson(
                self.rt,
                self._request(branch).text,
                draft,
                verdict,
                [draft_env.id, env.id],  # type: ignore[union-attr]
                self.reflector.name,
            )
        update: Update = {
            "verdicts": {str(i): env.model_dump()},
            "trace": [env.model_dump()],
            "spent": call.spent_update(),
            "errors": errors,
        }
        if verdict.decision == "revise" and rnd < self.repair_limit and draft.text != "":
            nxt = {
                **branch,
                "verdict": env.model_dump(),
                "spent": add_costs(branch.get("spent"), call.spent_update()),
            }
            return Command(update=update, goto=Send("Ref.diagnose", nxt))
        update["settled"] = {str(i): verdict.decision}
        return Command(update=update, goto="QSM.collapse")

    def diagnose(self, branch: dict[str, Any]) -> Command:
        i, rnd = branch["candidate"], branch["round"]
        draft_env, verdict_env = envelope(branch["draft"]), envelope(branch["verdict"])
        draft: Draft = draft_env.message()  # type: ignore[union-attr, assignment]
        verdict: Verdict = verdict_env.message()  # type: ignore[union-attr, assignment]
        call = self._call(self.reflector, "Ref.diagnose", branch, candidate=i)
        try:
            reply = call.structured(
                prompts.diagnose_prompt(
                    call.system_prompt(ROLE_PROMPTS["Ref.diagnose"]), self._request(branch), draft, verdict
                ),
                DiagnosisReply,
            )
            repair = RepairPlan(
                candidate=i,
                round=rnd + 1,
                instruction=reply.instruction or "Fix the problems.",
                diagnoses=[Diagnosis(problem=p.problem, solution=p.solution) for p in reply.problems],
            )
        except StructuredOutputError:
            repair = RepairPlan(
                candidate=i,
                round=rnd + 1,
                instruction="Address the reviewer's reasons.",
                diagnoses=[Diagnosis(problem=r, solution="fix this") for r in verdict.reasons],
            )
        except BudgetExhausted as exc:
            return self._settle_exhausted(branch, call, exc, i)
        env = self._send(
            repair, self.reflector, draft.author, [draft_env.id, verdict_env.id], call, "Ref.diagnose"
        )  # type: ignore[union-attr]
        nxt = {
            **branch,
            "repair": env.model_dump(),
            "round": rnd + 1,
            "spent": add_costs(branch.get("spent"), call.spent_update()),
        }
        return Command(
            update={"trace": [env.model_dump()], "spent": call.spent_update()}, goto=Send("draft", nxt)
        )


def verdict_score(decision: str, confidence: str) -> float:
    c = CONFIDENCE_SCORE[confidence]
    return round({"accept": 0.6 + 0.4 * c, "revise": 0.2 + 0.3 * c, "reject": 0.2 * (1 - c)}[decision], 3)
