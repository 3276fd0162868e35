"""Pipeline workflows: your own graph of agents and Python nodes.

An agent runs once every agent with a channel into it has run; it sees the user's request (when it has
a channel from ``user``) and each inbound message, strongest channel first, and sends its one output
type on every outbound channel. Messages sent to ``user`` become the final answer.

Control flow (:mod:`qsm.graph.flow`): a Python node gets its inbound messages by the types of its
parameters; a node with a route sends only to the target its route chooses, and a node a route can choose
runs when it is chosen (channels into it from before the route carry data, they do not start it); a node
in a loop runs each time one of its sources sends, without joining; an approval asks the user about a
node's message in a step of its own (:mod:`qsm.graph.human`) before it is sent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from pydantic import ValidationError

from qsm.agents.messages import (
    Diagnosis,
    Draft,
    FinalAnswer,
    Message,
    Note,
    Plan,
    RepairPlan,
    Task,
    Verdict,
)
from qsm.agents.roles import (
    ROLE_PROMPTS,
    DiagnosisReply,
    VerdictReply,
    budget_reply_type,
    plan_reply_type,
    role_prompt,
    verdict_score,
)
from qsm.errors import BudgetExhausted, ChannelTypeError, QsmError
from qsm.graph import prompts
from qsm.graph.agent_call import AgentCall, emit
from qsm.graph.economics import allocate, settle
from qsm.graph.envelope import Envelope, StepCost, seal
from qsm.graph.events import BudgetEvent, FinalEvent, MessageEvent, StepEvent
from qsm.graph.flow import Node, tool_approval_problems
from qsm.graph.human import apply_answer, approval_question, ask_user
from qsm.graph.spec import USER, Agent, Workflow
from qsm.graph.state import RunState
from qsm.graph.step_context import StepContext, Update

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["build_pipeline_graph"]

_DEFAULT_PROMPT = {
    "Draft": "WeQ.draft",
    "FinalAnswer": "QSM.merge",
    "Plan": "QSM.plan",
    "Budget": "SOM.budget",
    "Verdict": "Ref.verify",
    "RepairPlan": "Ref.diagnose",
}
FINISH = "finish"


def build_pipeline_graph(workflow: Workflow, runtime: Runtime) -> StateGraph:
    import networkx as nx

    steps = PipelineSteps(workflow, runtime)
    graph = StateGraph(RunState)
    routed = {r.source for r in workflow.routes}
    asks = set(workflow.message_approvals())
    links: nx.DiGraph[str] = nx.DiGraph(
        (c.source, c.target) for c in workflow.channels if USER not in (c.source, c.target)
    )
    looped = {name for cycle in nx.simple_cycles(links) for name in cycle}
    chosen_by: dict[str, set[str]] = defaultdict(set)  # target -> the routes that can choose it
    sources: dict[str, set[str]] = defaultdict(set)
    exits: set[str] = set()
    for c in workflow.channels:
        if c.source in routed:
            chosen_by[c.target].add(c.source)
        elif c.target == USER:
            exits.add(c.source)
        elif c.source != USER:
            sources[c.target].add(c.source)
    names = [a.name for a in workflow.agents] + [n.name for n in workflow.nodes]
    entries = {c.target for c in workflow.channels if c.source == USER}
    for name in names:
        graph.add_node(name, steps.node(name))
        if name in asks:
            graph.add_node(_ask_node(name), steps.approval(name))
            graph.add_edge(name, _ask_node(name))
        # a node a route chooses is started by the route, not by the channels from before the route
        waits = sorted(
            s for s in sources[name] if not any(s == r or nx.has_path(links, s, r) for r in chosen_by[name])
        )
        waits = [_after(w, asks) for w in waits]
        if not waits and (not chosen_by[name] or name in entries):
            graph.add_edge(START, name)
        elif name in looped or len(waits) == 1:
            for wait in waits:
                graph.add_edge(wait, name)
        elif waits:
            graph.add_edge(waits, name)
    for source in sorted(routed):
        targets = sorted({c.target for c in workflow.channels if c.source == source} - {USER})
        graph.add_conditional_edges(_after(source, asks), steps.router(source), [*targets, FINISH])
    graph.add_node(FINISH, steps.finish)
    graph.add_node("commit", steps.commit)
    ordered_exits = sorted(_after(e, asks) for e in exits)
    if ordered_exits:
        graph.add_edge(ordered_exits if len(ordered_exits) > 1 else ordered_exits[0], FINISH)
    graph.add_edge(FINISH, "commit")
    graph.add_edge("commit", END)
    return graph


def _function_error(what: str, fn: str, exc: Exception) -> QsmError:
    message = str(exc.errors()[0]["msg"]) if isinstance(exc, ValidationError) else str(exc)
    return QsmError(
        f"{what} ({fn}) raised {type(exc).__name__}: {message}",
        hint="fix the function; `qsm resume THREAD` runs the step again",
    )


def _ask_node(name: str) -> str:
    return f"{name}.ask"


def _after(name: str, asks: set[str]) -> str:
    """The graph node after which ``name``'s message has been sent: its approval step, if it has one."""
    return _ask_node(name) if name in asks else name


class PipelineSteps:
    def __init__(self, workflow: Workflow, runtime: Runtime) -> None:
        self.ctx = StepContext(workflow, runtime)
        self.workflow = workflow
        self.book = self.ctx.book
        self.caps = self.ctx.caps
        self.names = workflow.team_names()  # what the Plan and Budget reply schemas call the agents
        self.commit = self.ctx.commit
        # each agent's own tools, resolved when the graph is built: a tool that is not allowed stops it here
        self.toolboxes = {a.name: runtime.toolbox(a, workflow) for a in workflow.agents}
        # now that the tools (MCP servers' too) are known by name, each tool approval must name one
        have = {name: frozenset(box.names if box else ()) for name, box in self.toolboxes.items()}
        for _, problem in tool_approval_problems(workflow.approvals, dict(have)):
            raise problem

    def node(self, name: str) -> Any:
        python = self.workflow.node(name)

        def run_node(state: dict[str, Any]) -> Update:
            if python is not None:
                return self._run_python(python, state)
            return self._run(self.workflow.agent(name), state)

        run_node.__name__ = f"run_{name}"
        return run_node

    def router(self, source: str) -> Any:
        """The conditional edge after ``source``: the target its step chose (``finish`` for the user, or
        when it chose nothing: the budget ran out)."""

        def route(state: dict[str, Any]) -> str:
            chosen = state.get("flow", {}).get(f"route:{source}")
            return FINISH if state.get("exhausted") or chosen in (None, USER) else str(chosen)

        route.__name__ = f"route_{source}"
        return route

    def approval(self, name: str) -> Any:
        """The step that asks the user about ``name``'s message (held back by its step), then sends it."""
        approval = self.workflow.message_approvals()[name]

        def ask(state: dict[str, Any]) -> Update:
            pending = state.get("flow", {}).get(f"pending:{name}")
            if not pending:
                return {}
            message = Envelope.model_validate(pending["envelope"]).message()
            score = getattr(message, "score", None)
            if approval.below is None or score is None or score < approval.below:
                question = approval_question(name, message, approval.question)
                choices = ["yes", "no"] if score is not None else []  # a text can also be replaced
                message = apply_answer(message, ask_user(question, choices=choices, node=name))
            cost = StepCost.model_validate(pending["cost"]) if pending.get("cost") else None
            update = self._deliver(name, message, pending["parents"], cost, state, hold=False)
            update["flow"] = {**update.get("flow", {}), f"pending:{name}": None}
            return update

        ask.__name__ = f"ask_{name}"
        return ask

    def _inbound(self, agent: Agent | Node, state: dict[str, Any]) -> list[tuple[str, Envelope, float]]:
        out = []
        for c in self.workflow.channels:
            if c.target != agent.name:
                continue
            data = state["request"] if c.source == USER else state.get("inbox", {}).get(c.key)
            if data:
                out.append(
                    (c.source, Envelope.model_validate(data), self.book.strength(c.source, c.target, c.type))
                )
        return out

    def _run(self, agent: Agent, state: dict[str, Any]) -> Update:
        inbound = self._inbound(agent, state)
        if state.get("exhausted") or not inbound:
            return {}
        produced = next(iter(agent.output_types("pipeline")))
        call = self.ctx.call(agent, agent.name, state, toolbox=self.toolboxes.get(agent.name))
        call.tool_step.inputs = [e.id for _, e, _ in inbound]
        key = _DEFAULT_PROMPT.get(produced, "")
        default = (
            role_prompt(key, self.names)
            if key in ROLE_PROMPTS
            else ROLE_PROMPTS["custom"].format(name=agent.name)
        )
        messages = prompts.pipeline_prompt(
            call.system_prompt(default), [(s, e.message(), w) for s, e, w in inbound]
        )
        try:
            message = self._produce(produced, agent, call, messages, state)
        except BudgetExhausted as exc:
            emit(BudgetEvent(node=agent.name, agent=agent.name, message=exc.message))
            return {"exhausted": exc.message, "spent": call.spent_update()}
        parents = call.tool_step.parents([e.id for _, e, _ in inbound])
        update = self._deliver(agent.name, message, parents, call.meter.cost.model_copy(), state)
        update["trace"] = [*call.tool_step.trace(), *update.get("trace", [])]
        update["spent"] = call.spent_update()
        return update

    def _run_python(self, node: Node, state: dict[str, Any]) -> Update:
        """Call ``node``'s function with its inbound messages, matched to its parameters by type."""
        inbound = self._inbound(node, state)
        if state.get("exhausted") or not inbound:
            return {}
        emit(StepEvent(node=node.name, agent=node.name))
        signature = node.signature()
        messages = [e.message() for _, e, _ in inbound]  # strongest channel first
        kwargs: dict[str, Any] = {}
        for param, (types, many) in signature.params.items():
            matching = [m for m in messages if type(m).__name__ in types]
            kwargs[param] = matching if many else (matching[0] if matching else None)
        try:
            message = node.function()(**kwargs)
        except GraphBubbleUp:  # ask_user's interrupt: the run waits for the answer
            raise
        except Exception as exc:  # the user's function failed: a clear error, not a traceback
            raise _function_error(f"node {node.name}", node.fn, exc) from None
        if not isinstance(message, Message) or type(message).__name__ != signature.returns:
            raise ChannelTypeError(
                f"node {node.name} ({node.fn}) returned {type(message).__name__}, not the "
                f"{signature.returns} its type hint declares",
                hint=f"return a {signature.returns}",
            )
        return self._deliver(node.name, message, [e.id for _, e, _ in inbound], None, state)

    def _deliver(
        self,
        name: str,
        message: Message,
        parents: list[str],
        cost: StepCost | None,
        state: dict[str, Any],
        *,
        hold: bool = True,
    ) -> Update:
        """Send ``name``'s message on its channels (on the one target its route chooses, if it has a
        route), or hold it back for its approval step."""
        update: Update = {"inbox": {}, "trace": []}
        flow = state.get("flow", {})
        if hold and name in self.workflow.message_approvals():
            held = seal(message, source=name, target=name, parents=parents, cost=cost, node=name)
            pending = {"envelope": held.model_dump(), "parents": parents, "cost": cost and cost.model_dump()}
            return {"flow": {f"pending:{name}": pending}}
        outbound = [c for c in self.workflow.channels if c.source == name]
        route = next((r for r in self.workflow.routes if r.source == name), None)
        if route is not None:
            rounds = int(flow.get(f"rounds:{name}", 0)) + 1
            try:
                chosen = route.choose(message, rounds, sorted({c.target for c in outbound}))
            except (GraphBubbleUp, QsmError):
                raise
            except Exception as exc:
                raise _function_error(f"the route of {name}", route.fn, exc) from None
            outbound = [c for c in outbound if c.target == chosen]
            update["flow"] = {f"rounds:{name}": rounds, f"route:{name}": chosen}
        for c in outbound:
            env = self.book.send(message, source=name, target=c.target, parents=parents, cost=cost, node=name)
            emit(MessageEvent(node=name, envelope=env))
            self.ctx.rt.record_message(env)
            update["inbox"][c.key] = env.model_dump()
            update["trace"].append(env.model_dump())
        return update

    def _produce(
        self, produced: str, agent: Agent, call: AgentCall, messages: Any, state: dict[str, Any]
    ) -> Message:
        if produced in ("Draft", "Note", "FinalAnswer", "Task"):
            done = call.text(messages)
            text = done.text.strip()
            if produced == "Draft":
                return Draft(text=text, thinking=done.thinking, author=agent.name, candidate=0)
            if produced == "Note":
                return Note(text=text, author=agent.name)
            if produced == "Task":
                target = next(c.target for c in self.workflow.channels if c.source == agent.name)
                return Task(instruction=text, assignee=target, candidate=0)
            return FinalAnswer(text=text, thinking=done.thinking, collapse="pipeline")
        if produced == "Plan":
            plan = call.structured(messages, plan_reply_type(self.names))
            return Plan(
                goal=plan.goal, steps=plan.steps, route_to=plan.route_to, needs_memory=plan.needs_memory
            )
        if produced == "Budget":
            reply = call.structured(messages, budget_reply_type(self.names))
            q, d, r = reply.weights.split()
            weights = {self.names.coordinator: q, self.names.communicator: d, self.names.reflector: r}
            return allocate(
                self.caps,
                state.get("spent", {}),
                complexity=reply.complexity,
                weights=weights,
                rationale=reply.rationale,
            )
        if produced == "Verdict":
            verdict = call.structured(messages, VerdictReply)
            return Verdict(
                decision=verdict.decision,
                score=verdict_score(verdict.decision, verdict.confidence),
                reasons=verdict.reasons,
                candidate=0,
            )
        diagnosis = call.structured(messages, DiagnosisReply)
        return RepairPlan(
            candidate=0,
            round=1,
            instruction=diagnosis.instruction,
            diagnoses=[Diagnosis(problem=p.problem, solution=p.solution) for p in diagnosis.problems],
        )

    def finish(self, state: RunState) -> Update:
        """Turn what reached the user into the run's FinalAnswer (a record, not a channel send)."""
        emit(StepEvent(node=FINISH))
        outputs = [
            Envelope.model_validate(state["inbox"][c.key])
            for c in self.workflow.channels
            if c.target == USER and c.key in state.get("inbox", {})
        ]
        exhausted = state.get("exhausted", "")
        texts = []
        for env in outputs:
            msg = env.message()
            texts.append(getattr(msg, "text", None) or prompts.render(msg, 1.0))
        status = "budget_exhausted" if exhausted else "ok" if outputs else "failed"
        final = FinalAnswer(
            text="\n\n".join(texts) or "No agent produced an output.",
            status=status,
            collapse="pipeline",
            candidates=len(outputs),
            note=exhausted,
        )
        parents = [e.id for e in outputs] or [state["request"]["id"]]
        source = outputs[-1].source if outputs else USER
        final_env = seal(final, source=source, target=USER, parents=parents, node=FINISH)
        report = settle(state.get("spent", {}), None, self.caps, exhausted=bool(exhausted), contributors={})
        cost_env = seal(report, source="ledger", target=USER, parents=[final_env.id], node=FINISH)
        emit(FinalEvent(node=FINISH, envelope=final_env))
        return {
            "final": final_env.model_dump(),
            "cost": cost_env.model_dump(),
            "trace": [final_env.model_dump(), cost_env.model_dump()],
        }
