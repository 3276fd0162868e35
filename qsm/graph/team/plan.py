"""Before the superposition: QSM routes (the student router; its LLM plans only when the student is unsure
or the request needs steps), SOM budgets (from the student's complexity, or its LLM when the LLM planned),
QSM dispatches N tasks."""

from __future__ import annotations

import re
from typing import Any

from langgraph.types import Command, Send

from qsm.agents.inline_notes import content_words
from qsm.agents.messages import Plan, Task
from qsm.agents.router import RouteDecision
from qsm.errors import BudgetExhausted, StructuredOutputError
from qsm.graph import prompts
from qsm.graph.agent_call import emit
from qsm.graph.economics import allocate
from qsm.graph.envelope import Envelope
from qsm.graph.events import RouteEvent, StepEvent
from qsm.graph.spec import USER
from qsm.graph.state import add_costs
from qsm.graph.step_context import Update
from qsm.graph.team.analysis import RequestAnalysis
from qsm.graph.team.context import TeamContext
from qsm.graph.turns import earlier, resolved_text, with_history

__all__ = ["after_budget", "after_plan", "budget", "dispatch", "plan", "valid_steps"]

_DEBRIS = re.compile(r"[{}<>\\|]|\.\/|[A-Z]{4,}|\b\d{5,}\b")
# Work split by complexity when the student decided it (no LLM call): coordinator, drafter, reviewer.
_WEIGHTS = {"low": (1, 6, 3), "medium": (2, 5, 3), "high": (2, 5, 3)}


def valid_steps(steps: list[str], analysis: RequestAnalysis) -> list[str]:
    """Plan steps worth showing a drafter: short, free of debris, about the request, and with no number
    the request does not contain."""
    asked = content_words(analysis.text)
    numbers = set(re.findall(r"\d+(?:\.\d+)?", analysis.text))
    kept = []
    for step in steps:
        words = step.split()
        if not 2 <= len(words) <= 25 or _DEBRIS.search(step):
            continue
        if set(re.findall(r"\d+(?:\.\d+)?", step)) - numbers:
            continue
        if content_words(step) & asked:
            kept.append(step.strip())
    return kept


def _routing(ctx: TeamContext, state: dict[str, Any]) -> RequestAnalysis:
    """What the router decides on: the request, or a follow-up read with the turn before it ("How many
    people live there?" after "What is the capital of France?")."""
    return ctx.analysis(resolved_text(earlier(state), ctx.steps.request(state).text))


def _undecided(route: RouteDecision, ctx: TeamContext) -> bool:
    """The student is not sure enough, and the doubt is about who drafts (WeQ or SOM)."""
    resource = route.probabilities["intent.resource"]
    return route.confidence < ctx.settings.router_threshold and 0.25 <= resource <= 0.75


def plan(ctx: TeamContext, state: dict[str, Any]) -> Update:
    req_env, request = Envelope.model_validate(state["request"]), ctx.steps.request(state)
    analysis = ctx.request_analysis(state)
    routing = _routing(ctx, state)  # a follow-up is routed with the turn before it
    route = routing.route
    errors: list[str] = []
    spent: dict[str, Any] = {}
    # The student routes unless it cannot tell WeQ's requests from SOM's; QSM's LLM plans only a request
    # that needs steps (and no exact tool answer or notes to cite), or one the student cannot route.
    if route is not None and (analysis.exact or not (route.intent == "multistep" or _undecided(route, ctx))):
        emit(StepEvent(node="QSM.plan", agent=ctx.coordinator.name))  # (a model call announces itself)
        drafter = ctx.economist if route.drafter_role == "economist" else ctx.communicator
        result = Plan(
            goal=request.text[:200],
            steps=[],
            route_to=drafter.name,
            router="quantum" if ctx.settings.router == "quantum" else "student",
            confidence=round(route.confidence, 3),
        )
        call = None
    else:
        call = ctx.steps.call(ctx.coordinator, "QSM.plan", state)
        try:
            reply = call.structured(
                with_history(
                    prompts.plan_prompt(call.system_prompt(ctx.prompt("QSM.plan")), request),
                    earlier(state),
                    ctx.steps.book.strength(USER, ctx.coordinator.name, "UserRequest"),
                ),
                ctx.plan_reply,
            )
            economist = reply.route_to == ctx.economist.name
            if route is not None and not _undecided(route, ctx):  # the student knows who drafts
                economist = route.drafter_role == "economist"
            result = Plan(
                goal=request.text[:200],
                steps=valid_steps(reply.steps, routing),
                route_to=(ctx.economist if economist else ctx.communicator).name,
                needs_memory=reply.needs_memory,
                router="llm",
                confidence=round(route.confidence, 3) if route else None,
            )
        except StructuredOutputError as exc:
            errors.append(str(exc))
            result = Plan(goal=request.text[:200], steps=[], route_to=ctx.communicator.name, router="default")
        except BudgetExhausted as exc:
            return {"exhausted": exc.message, "spent": call.spent_update()}
        spent = call.spent_update()
    emit(
        RouteEvent(
            node="QSM.plan",
            agent=ctx.coordinator.name,
            router=result.router,
            route_to=result.route_to,
            confidence=result.confidence,
        )
    )
    env = ctx.steps.send(result, ctx.coordinator, ctx.economist, [req_env.id], call, "QSM.plan")
    return {"plan": env.model_dump(), "trace": [env.model_dump()], "spent": spent, "errors": errors}


def after_plan(state: dict[str, Any]) -> str:
    return "QSM.collapse" if state.get("exhausted") else "SOM.budget"


def budget(ctx: TeamContext, state: dict[str, Any]) -> Update:
    plan_env = Envelope.model_validate(state["plan"])
    the_plan = plan_env.message_as(Plan)
    drafter = ctx.drafter(the_plan)
    route = _routing(ctx, state).route
    errors: list[str] = []
    call = None
    if route is not None:  # the student's complexity sets the scale, whoever planned
        emit(StepEvent(node="SOM.budget", agent=ctx.economist.name))
        complexity = route.complexity
        rationale = f"{complexity} complexity (student router, confidence {route.complexity_confidence:.2f})"
        if the_plan.router == "llm" and len(the_plan.steps) > 1:  # QSM planned several steps
            complexity, rationale = "high", f"high complexity ({len(the_plan.steps)} planned steps)"
        q, d, r = _WEIGHTS[complexity]
        weights = {ctx.coordinator.name: q, drafter.name: d, ctx.reflector.name: r}
    else:
        call = ctx.steps.call(ctx.economist, "SOM.budget", state)
        strength = ctx.steps.book.strength(ctx.coordinator.name, ctx.economist.name, "Plan")
        caps = ctx.steps.caps
        limits = f"{caps.tokens} tokens, {caps.seconds:.0f} s, {caps.calls} calls"
        try:
            reply = call.structured(
                prompts.budget_prompt(
                    call.system_prompt(ctx.prompt("SOM.budget")), the_plan, strength, drafter.name, limits
                ),
                ctx.budget_reply,
            )
            complexity, rationale = reply.complexity, reply.rationale
            q, d, r = reply.weights.split()
            weights = {ctx.coordinator.name: q, drafter.name: d, ctx.reflector.name: r}
        except StructuredOutputError as exc:
            errors.append(str(exc))
            complexity, rationale = "medium", "default split (SOM's reply was unusable)"
            weights = {ctx.coordinator.name: 2, drafter.name: 5, ctx.reflector.name: 3}
        except BudgetExhausted as exc:
            return {"exhausted": exc.message, "spent": call.spent_update()}
    own = call.spent_update() if call else {}
    spent = add_costs(state.get("spent", {}), own)
    result = allocate(ctx.steps.caps, spent, complexity=complexity, weights=weights, rationale=rationale)
    env = ctx.steps.send(result, ctx.economist, ctx.coordinator, [plan_env.id], call, "SOM.budget")
    return {"budget": env.model_dump(), "trace": [env.model_dump()], "spent": own, "errors": errors}


def after_budget(state: dict[str, Any]) -> str:
    return "QSM.collapse" if state.get("exhausted") else "QSM.dispatch"


def dispatch(ctx: TeamContext, state: dict[str, Any]) -> Command:
    plan_env, budget_env = Envelope.model_validate(state["plan"]), Envelope.model_validate(state["budget"])
    the_plan = plan_env.message_as(Plan)
    drafter = ctx.drafter(the_plan)
    emit(StepEvent(node="QSM.dispatch", agent=ctx.coordinator.name))
    instruction = the_plan.goal + (" Steps: " + "; ".join(the_plan.steps) if the_plan.steps else "")
    envs = [
        ctx.steps.send(
            Task(instruction=instruction, assignee=drafter.name, candidate=i),
            ctx.coordinator,
            drafter,
            [plan_env.id, budget_env.id],
            None,
            "QSM.dispatch",
        )
        for i in range(ctx.fan_out)
    ]
    branch = {k: state.get(k) for k in ("request", "plan", "budget", "spent", "conversation")}
    sends = [
        Send("draft", {**branch, "task": e.model_dump(), "candidate": i, "round": 0})
        for i, e in enumerate(envs)
    ]
    return Command(
        update={
            "expected": ctx.fan_out,
            "tasks": {str(i): e.model_dump() for i, e in enumerate(envs)},
            "trace": [e.model_dump() for e in envs],
        },
        goto=sends,
    )
