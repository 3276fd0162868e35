"""Team steps before the superposition: QSM plans and routes, SOM budgets, QSM dispatches N tasks."""

from __future__ import annotations

from typing import Any

from langgraph.types import Command, Send

from qsm.agents.messages import Plan, Task
from qsm.agents.roles import ROLE_PROMPTS, BudgetReply, PlanReply
from qsm.errors import BudgetExhausted, StructuredOutputError
from qsm.graph import prompts
from qsm.graph.economics import allocate
from qsm.graph.spec import Agent
from qsm.graph.state import add_costs
from qsm.graph.stepbase import StepsBase, Update
from qsm.graph.stepkit import emit, envelope

__all__ = ["PlanningSteps"]


class PlanningSteps(StepsBase):
    def _drafter(self, plan: Plan | None) -> Agent:
        return self.economist if plan is not None and plan.route_to == "SOM" else self.communicator

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
