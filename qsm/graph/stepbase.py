"""Shared machinery of workflow steps: the runtime, the channel book, metered agent calls, sends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qsm.agents.messages import Message
from qsm.graph.budget import Limits
from qsm.graph.envelope import Envelope
from qsm.graph.recall import remember_chat
from qsm.graph.spec import Agent, Workflow
from qsm.graph.stepkit import AgentCall, emit, envelope

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["StepsBase", "Update"]

Update = dict[str, Any]


class StepsBase:
    def __init__(self, workflow: Workflow, runtime: Runtime) -> None:
        self.rt = runtime
        self.workflow = workflow
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

    def commit(self, state: dict[str, Any]) -> Update:
        """Persist channel strengths, remember the exchange for its user, and give the final answer its
        ledger receipt."""
        from langgraph.config import get_config

        self.book.persist()
        final_env = envelope(state["final"])
        request = envelope(state["request"]).message()  # type: ignore[union-attr]
        thread_id = get_config().get("configurable", {}).get("thread_id", "")
        remember_chat(self.rt, request.user, request.text, final_env.message(), final_env.id, thread_id)  # type: ignore[union-attr, arg-type]
        receipt = self.rt.commit_final(final_env, state)  # type: ignore[arg-type]
        return {"receipt": receipt} if receipt else {}
