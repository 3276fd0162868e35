"""Pipeline workflows: your own acyclic graph of agents.

An agent runs once every agent with a channel into it has run; it sees the user's request (when it has
a channel from ``user``) and each inbound message, strongest channel first, and sends its one output
type on every outbound channel. Messages sent to ``user`` become the final answer.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from langgraph.graph import END, START, StateGraph

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
from qsm.errors import BudgetExhausted
from qsm.graph import prompts
from qsm.graph.agent_call import AgentCall, emit
from qsm.graph.economics import allocate, settle
from qsm.graph.envelope import Envelope, seal
from qsm.graph.events import BudgetEvent, FinalEvent, StepEvent
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
    steps = PipelineSteps(workflow, runtime)
    graph = StateGraph(RunState)
    sources: dict[str, set[str]] = defaultdict(set)
    exits: set[str] = set()
    for c in workflow.channels:
        if c.target == USER:
            exits.add(c.source)
        elif c.source != USER:
            sources[c.target].add(c.source)
    for agent in workflow.agents:
        graph.add_node(agent.name, steps.node(agent))
        waits = sorted(sources[agent.name])
        if not waits:
            graph.add_edge(START, agent.name)
        else:
            graph.add_edge(waits if len(waits) > 1 else waits[0], agent.name)
    graph.add_node(FINISH, steps.finish)
    graph.add_node("commit", steps.commit)
    ordered_exits = sorted(exits)
    graph.add_edge(ordered_exits if len(ordered_exits) > 1 else ordered_exits[0], FINISH)
    graph.add_edge(FINISH, "commit")
    graph.add_edge("commit", END)
    return graph


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

    def node(self, agent: Agent) -> Any:
        def run_agent(state: dict[str, Any]) -> Update:
            return self._run(agent, state)

        run_agent.__name__ = f"run_{agent.name}"
        return run_agent

    def _inbound(self, agent: Agent, state: dict[str, Any]) -> list[tuple[str, Envelope, float]]:
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
        update: Update = {"inbox": {}, "trace": call.tool_step.trace(), "spent": call.spent_update()}
        for c in self.workflow.channels:
            if c.source == agent.name:
                env = self.ctx.send(message, agent, c.target, parents, call, agent.name)
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
