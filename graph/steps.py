"""The team workflow's steps. Each step runs one agent, sends its output on a channel, and says where
the run goes next. Budget exhaustion settles what is in flight and goes to the collapse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langgraph.graph import END
from langgraph.types import Command, Send
from qsm.agents.messages import Diagnosis, Draft, FinalAnswer, Message, Plan, RepairPlan, Task, Verdict
from qsm.agents.roles import (
    CONFIDENCE_SCORE,
    ROLE_PROMPTS,
    BudgetReply,
    DiagnosisReply,
    PlanReply,
    VerdictReply,
)
from qsm.errors import BudgetExhausted, StructuredOutputError
from qsm.graph import prompts
from qsm.graph.budget import Limits
from qsm.graph.collapse import Candidate, rank, vote
from qsm.graph.economics import allocate, settle
from qsm.graph.envelope import Envelope
from qsm.graph.spec import USER, Agent, Workflow
from qsm.graph.state import add_costs
from qsm.graph.stepkit import AgentCall, emit, envelope

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["TeamSteps"]

Update = dict[str, Any]


class TeamSteps:
    def __init__(self, workflow: Workflow, runtime: Runtime) -> None:
        self.rt = runtime
        self.coordinator = workflow.by_role("coordinator")
        self.communicator = workflow.by_role("communicator")
        self.economist = workflow.by_role("economist")
        self.reflector = workflow.by_role("reflector")
        rs = runtime.settings.runtime
        self.fan_out = workflow.fan_out or rs.fan_out
        self.repair_limit = workflow.repair_limit if workflow.repair_limit is not None else rs.repair_limit
        self.collapse_mode = workflow.collapse or rs.collapse
        self.caps = runtime.limits(workflow)
        self.book = runtime.channel_book(workflow)

    # -- helpers ----------------------------------------------------------------------------------
    def _send(
        self,
        msg: Message,
        src: Agent | str,
        dst: Agent | str,
        parents: list[str],
        call: AgentCall | None,
        node: str,
    ) -> Envelope:
        source, target = getattr(src, "name", src), getattr(dst, "name", dst)
        cost = call.meter.cost.model_copy() if call else None
        env = self.book.send(
            msg, source=str(source), target=str(target), parents=parents, cost=cost, node=node
        )
        emit({"type": "message", "node": node, "envelope": env.model_dump(mode="json")})
        self.rt.record_message(env)
        return env

    def _limits(self, state: dict[str, Any]) -> Limits:
        budget = envelope(state.get("budget"))
        return Limits.from_budget(budget.message()) if budget else self.caps  # type: ignore[arg-type]

    def _drafter(self, plan: Plan | None) -> Agent:
        return self.economist if plan is not None and plan.route_to == "SOM" else self.communicator

    def _call(
        self, agent: Agent, node: str, state: dict[str, Any], share: int = 1, candidate: int | None = None
    ) -> AgentCall:
        emit({"type": "step", "node": node, "agent": agent.name, "candidate": candidate})
        return AgentCall(
            self.rt,
            agent,
            node=node,
            limits=self._limits(state),
            spent=state.get("spent", {}),
            share=share,
            candidate=candidate,
        )

    @staticmethod
    def _request(state: dict[str, Any]) -> Any:
        return envelope(state["request"]).message()  # type: ignore[union-attr]

    # -- QSM: plan and route ----------------------------------------------------------------------
    def plan(self, state: dict[str, Any]) -> Update:
        req_env, request = envelope(state["request"]), self._request(state)
        call = self._call(self.coordinator, "QSM.plan", state)
        errors: list[str] = []
        try:
            reply = call.structured(
                prompts.plan_prompt(call.system_prompt(ROLE_PROMPTS["QSM.plan"]), request), PlanReply
            )
            plan = Plan(
                goal=reply.goal.strip() or request.text[:200],
                steps=reply.steps,
                route_to=reply.route_to,
                needs_memory=reply.needs_memory,
            )
        except StructuredOutputError as exc:
            errors.append(str(exc))
            plan = Plan(goal=request.text[:200], steps=["answer the request"], route_to="WeQ")
        except BudgetExhausted as exc:
            return {"exhausted": exc.message, "spent": call.spent_update()}
        env = self._send(plan, self.coordinator, self.economist, [req_env.id], call, "QSM.plan")  # type: ignore[union-attr]
        return {
            "plan": env.model_dump(),
            "trace": [env.model_dump()],
            "spent": call.spent_update(),
            "errors": errors,
        }

    def after_plan(self, state: dict[str, Any]) -> str:
        return "QSM.collapse" if state.get("exhausted") else "SOM.budget"

    # -- SOM: budget ------------------------------------------------------------------------------
    def budget(self, state: dict[str, Any]) -> Update:
        plan_env = envelope(state["plan"])
        plan: Plan = plan_env.message()  # type: ignore[union-attr, assignment]
        drafter = self._drafter(plan)
        call = self._call(self.economist, "SOM.budget", state)
        strength = self.book.strength(self.coordinator.name, self.economist.name, "Plan")
        caps = f"{self.caps.tokens} tokens, {self.caps.seconds:.0f} s, {self.caps.calls} calls"
        errors: list[str] = []
        try:
            reply = call.structured(
                prompts.budget_prompt(
                    call.system_prompt(ROLE_PROMPTS["SOM.budget"]), plan, strength, drafter.name, caps
                ),
                BudgetReply,
            )
            complexity, rationale = reply.complexity, reply.rationale
            w = reply.weights
            weights = {self.coordinator.name: w.QSM, drafter.name: w.WeQ, self.reflector.name: w.Ref}
        except StructuredOutputError as exc:
            errors.append(str(exc))
            complexity, rationale = "medium", "default split (SOM's reply was unusable)"
            weights = {self.coordinator.name: 2, drafter.name: 5, self.reflector.name: 3}
        except BudgetExhausted as exc:
            return {"exhausted": exc.message, "spent": call.spent_update()}
        spent = add_costs(state.get("spent", {}), call.spent_update())
        budget = allocate(self.caps, spent, complexity=complexity, weights=weights, rationale=rationale)
        env = self._send(budget, self.economist, self.coordinator, [plan_env.id], call, "SOM.budget")  # type: ignore[union-attr]
        return {
            "budget": env.model_dump(),
            "trace": [env.model_dump()],
            "spent": call.spent_update(),
            "errors": errors,
        }

    def after_budget(self, state: dict[str, Any]) -> str:
        return "QSM.collapse" if state.get("exhausted") else "QSM.dispatch"

    # -- QSM: superposition -----------------------------------------------------------------------
    def dispatch(self, state: dict[str, Any]) -> Command:
        plan_env, budget_env = envelope(state["plan"]), envelope(state["budget"])
        plan: Plan = plan_env.message()  # type: ignore[union-attr, assignment]
        drafter = self._drafter(plan)
        emit({"type": "step", "node": "QSM.dispatch", "agent": self.coordinator.name, "candidate": None})
        instruction = plan.goal + (" Steps: " + "; ".join(plan.steps) if plan.steps else "")
        envs = [
            self._send(
                Task(instruction=instruction, assignee=drafter.name, candidate=i),
                self.coordinator,
                drafter,
                [plan_env.id, budget_env.id],
                None,
                "QSM.dispatch",
            )  # type: ignore[union-attr]
            for i in range(self.fan_out)
        ]
        branch = {k: state.get(k) for k in ("request", "plan", "budget", "spent")}
        sends = [
            Send("draft", {**branch, "task": e.model_dump(), "candidate": i, "round": 0})
            for i, e in enumerate(envs)
        ]
        return Command(
            update={
                "expected": self.fan_out,
                "tasks": {str(i): e.model_dump() for i, e in enumerate(envs)},
                "trace": [e.model_dump() for e in envs],
            },
            goto=sends,
        )

    # -- WeQ (or SOM): draft one candidate --------------------------------------------------------
    def draft(self, branch: dict[str, Any]) -> Command:
        i, rnd = branch["candidate"], branch["round"]
        plan: Plan = envelope(branch["plan"]).message()  # type: ignore[union-attr, assignment]
        author = self._drafter(plan)
        call = self._call(author, "draft", branch, share=self.fan_out if rnd == 0 else 1, candidate=i)
        repair_env, previous_env = envelope(branch.get("repair")), envelope(branch.get("draft"))
        key = "SOM.answer" if author is self.economist else "WeQ.draft"
        messages = prompts.draft_prompt(
            call.system_prompt(ROLE_PROMPTS[key]),
            self._request(branch),
            plan,
            self.book.strength(self.coordinator.name, author.name, "Task"),
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
                    call.system_prompt(ROLE_PROMPTS["Ref.verify"]), self._request(branch), draft, strength
                ),
                VerdictReply,
            )
            verdict = Verdict(
                decision=reply.decision,
                score=_score(reply.decision, reply.confidence),
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

    def commit(self, state: dict[str, Any]) -> Update:
        self.book.persist()
        receipt = self.rt.commit_final(envelope(state["final"]), state)  # type: ignore[arg-type]
        return {"receipt": receipt} if receipt else {}


def _score(decision: str, confidence: str) -> float:
    c = CONFIDENCE_SCORE[confidence]
    return round({"accept": 0.6 + 0.4 * c, "revise": 0.2 + 0.3 * c, "reject": 0.2 * (1 - c)}[decision], 3)
