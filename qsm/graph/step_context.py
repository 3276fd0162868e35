"""What every workflow step works with: the runtime, the workflow, its caps and channel book, metered
agent calls, and sends that seal a message, stream it and record it. Team and pipeline steps hold one
:class:`StepContext` (composition, not inheritance)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from qsm.agents.messages import Budget, FinalAnswer, Message, UserRequest
from qsm.agents.tools.toolbox import Toolbox
from qsm.graph.agent_call import AgentCall, emit, envelope
from qsm.graph.budget import Limits
from qsm.graph.envelope import Envelope
from qsm.graph.events import MessageEvent, StepEvent
from qsm.graph.recall import remember_chat
from qsm.graph.spec import Agent, Workflow
from qsm.graph.state import RunState

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["StepContext", "Update"]

Update = dict[str, Any]


class StepContext:
    def __init__(self, workflow: Workflow, runtime: Runtime) -> None:
        self.rt = runtime
        self.workflow = workflow
        self.caps = runtime.limits(workflow)
        self.book = runtime.channel_book(workflow)

    def send(
        self,
        msg: Message,
        src: Agent | str,
        dst: Agent | str,
        parents: list[str],
        call: AgentCall | None,
        node: str,
        *,
        final: bool = False,
    ) -> Envelope:
        """Seal ``msg`` on the channel src -> dst (validated by the book), stream it and record it (as the
        run's final answer when ``final``)."""
        source = src.name if isinstance(src, Agent) else src
        target = dst.name if isinstance(dst, Agent) else dst
        cost = call.meter.cost.model_copy() if call else None
        env = self.book.send(msg, source=source, target=target, parents=parents, cost=cost, node=node)
        emit(MessageEvent(node=node, envelope=env))
        self.rt.record_message(env, final=final)
        return env

    def limits(self, state: Mapping[str, Any]) -> Limits:
        """SOM's budget once it has spoken, else the workflow's caps."""
        budget = envelope(state.get("budget"))
        return Limits.from_budget(budget.message_as(Budget)) if budget else self.caps

    def call(
        self,
        agent: Agent,
        node: str,
        state: Mapping[str, Any],
        share: int = 1,
        candidate: int | None = None,
        toolbox: Toolbox | None = None,
    ) -> AgentCall:
        """Announce ``agent``'s step and give it its model behind the run's budget meter (and its tools:
        its text replies then come after its tool loop, asking the user before the calls that the
        workflow's tool approvals name)."""
        emit(StepEvent(node=node, agent=agent.name, candidate=candidate))
        return AgentCall(
            self.rt,
            agent,
            node=node,
            limits=self.limits(state),
            spent=state.get("spent", {}),
            share=share,
            candidate=candidate,
            toolbox=toolbox,
            approvals=self.workflow.tool_approvals(agent.name) if toolbox is not None else (),
        )

    @staticmethod
    def request(state: Mapping[str, Any]) -> UserRequest:
        return Envelope.model_validate(state["request"]).message_as(UserRequest)

    def commit(self, state: RunState) -> Update:
        """Persist channel strengths, remember the exchange for its user, and give the final answer its
        ledger receipt (a ledger failure is reported in ``errors``, never raised: the answer stands)."""
        from langgraph.config import get_config

        self.book.persist()
        final_env = Envelope.model_validate(state["final"])
        request = self.request(state)
        thread_id = get_config().get("configurable", {}).get("thread_id", "")
        remember_chat(
            self.rt, request.user, request.text, final_env.message_as(FinalAnswer), final_env.id, thread_id
        )
        return self.rt.commit_final(final_env, state)
