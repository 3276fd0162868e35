"""Renders a run's events in the chat: one expandable step per agent turn, tokens streaming inside,
thinking collapsed apart from the answer, and every channel message with its content id and cost."""

from __future__ import annotations

import time
from typing import Any

from qsm.graph import Envelope, RunEvent, RunResult
from qsm.ui.answer_card import linked_citations, sources_html

__all__ = ["RunView", "render_cost", "render_final", "render_message", "render_trace"]

_STEP_LABEL = {
    "QSM.plan": "plans",
    "SOM.budget": "sets the budget",
    "QSM.dispatch": "dispatches tasks",
    "draft": "drafts",
    "Ref.verify": "verifies",
    "Ref.diagnose": "diagnoses",
    "QSM.collapse": "collapses the candidates",
    "SOM.settle": "settles the cost",
    "finish": "finishes",
}


def step_title(agent: str | None, node: str | None, candidate: int | None) -> str:
    # a pipeline's step is named after its agent
    label = _STEP_LABEL.get(node or "", "takes its turn" if node == agent else f"runs {node}")
    return f"**{agent or 'qsm'}** {label}" + (f" · candidate {candidate}" if candidate is not None else "")


class _Step:
    """One step's collapsed box; while the step streams, its text also shows in ``live``, just below the
    box, so the streaming step is readable without opening it."""

    def __init__(self, box: Any, live: Any, node: str | None) -> None:
        self.box = box
        self.live: Any | None = live
        self.node = node
        self.answer = box.empty()
        self.thinking_box = None
        self.text = ""
        self.thinking = ""
        self.last_paint = 0.0

    def add(self, text: str, thinking: bool, force: bool = False) -> None:
        if thinking:
            self.thinking += text
            if self.thinking_box is None:
                self.thinking_box = self.box.expander("thinking", expanded=False).empty()
        else:
            self.text += text
        now = time.monotonic()
        if force or now - self.last_paint > 0.05:
            self.paint()
            self.last_paint = now

    def paint(self) -> None:
        if self.text:
            self.answer.code(self.text, language=None, wrap_lines=True)
        if self.thinking_box is not None:
            self.thinking_box.markdown(self.thinking)
        if self.live is not None and self.text:
            self.live.code(self.text, language=None, wrap_lines=True)
        elif self.live is not None and self.thinking:
            self.live.caption("thinking… " + self.thinking[-400:])

    def settle(self) -> None:
        """The step has finished streaming: its text stays only in its (collapsed) box."""
        self.paint()
        if self.live is not None:
            self.live.empty()
            self.live = None


class RunView:
    """Feed it events in order; it draws into ``container``."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self.steps: dict[tuple[str | None, int | None], _Step] = {}
        self.current: _Step | None = None
        self.result: RunResult | None = None

    def handle(self, event: RunEvent) -> None:
        if event.type == "step":
            key = (event.node, event.candidate)
            for earlier in self.steps.values():
                if earlier.node != event.node:  # parallel candidates of one node stream side by side
                    earlier.settle()
            box = self.container.expander(
                step_title(event.agent, event.node, event.candidate), expanded=False
            )
            self.steps[key] = self.current = _Step(box, self.container.empty(), event.node)
        elif event.type == "token":
            step = self.steps.get((event.node, event.candidate))
            if step is not None:
                step.add(event.text, event.thinking)
        elif event.type == "message":
            env = event.envelope
            step = self.steps.get((event.node, env.payload.get("candidate"))) or self.current
            if step is not None:
                step.paint()
                render_message(step.box, env)
            else:
                render_message(self.container, env)
        elif event.type == "repair" or event.type == "budget":
            text = (
                f"{event.agent}'s JSON needed repair ({event.attempts} model call(s))"
                if event.type == "repair"
                else f"{event.agent}: {event.message}"
            )
            self.container.warning(text, icon="⚠️")
        elif event.type == "done":
            for step in self.steps.values():
                step.settle()
            self.result = event.result


def render_message(where: Any, env: Envelope) -> None:
    cost = env.cost
    spend = f" · {cost.tokens} tok · {cost.seconds:.2f} s" if cost.tokens else ""
    where.caption(f"`{env.source} → {env.target}` · **{env.type}** · `{env.id}`{spend}")


def render_final(where: Any, result: RunResult) -> Any:
    """The final answer as a card (markdown, its ``[n]`` citations linked to the sources listed under it);
    the card, for the chat to add its actions to, or None when the run has no final answer yet."""
    final = result.final
    if final is None:
        if result.status == "waiting":  # its question and answer box follow (qsm.ui.approval)
            where.info("The run waits for your answer.")
            return None
        where.warning(f"No final answer yet (status: {result.status}). Resume the thread to finish it.")
        return None
    badge = {"ok": "✅", "rejected": "⚠️", "budget_exhausted": "⏳", "failed": "❌"}.get(final.status, "")
    card = where.container(border=True, key=f"answer-{_key(result.final_id)}")
    text = linked_citations(final.text, final.citations, result.final_id)
    if final.status == "rejected":
        card.error(
            "**No verified answer.** Ref rejected every candidate; the best attempt follows, unverified."
        )
        card.caption("Best attempt (not verified):")
        card.markdown("> " + (text or "_(empty)_").replace("\n", "\n> "))
    else:
        card.markdown(text or "_(empty answer)_")
    if final.citations:
        card.markdown(
            f"**Sources from memory** ({len(final.citations)})\n"
            + sources_html(final.citations, result.final_id),
            unsafe_allow_html=True,
        )
    score = f", Ref score {final.score:.2f}" if final.score is not None else ""
    picked = (
        f", candidate {final.chosen_candidate} of {final.candidates}"
        if final.chosen_candidate is not None
        else ""
    )
    card.caption(f"{badge} {final.status} · {final.collapse}{picked}{score} · `{result.final_id}`")
    if final.thinking:
        card.expander("thinking").markdown(final.thinking)
    if final.note:
        card.warning(final.note)
    return card


def _key(final_id: str | None) -> str:
    return "".join(c for c in final_id or "none" if c.isalnum())[-16:]


def render_cost(where: Any, result: RunResult) -> None:
    cost = result.cost
    if cost is None:
        return
    rows = [
        {
            "agent": name,
            "calls": c.calls,
            "prompt tokens": c.prompt_tokens,
            "completion tokens": c.completion_tokens,
            "seconds": round(c.seconds, 2),
            "credit": cost.credits.get(name),
        }
        for name, c in cost.by_agent.items()
    ]
    box = where.expander(
        f"SOM's cost report: {cost.tokens}/{cost.budget_tokens} tokens, "
        f"{cost.calls}/{cost.budget_calls} calls, {cost.seconds:.1f}/{cost.budget_seconds:.0f} s"
    )
    box.dataframe(rows, hide_index=True, width="stretch")
    if result.receipt:
        box.caption(f"ledger receipt: `{result.receipt}`")


def render_trace(where: Any, result: RunResult) -> None:
    box = where.expander(f"trace: {len(result.trace)} channel messages")
    for env in result.trace:
        render_message(box, env)
