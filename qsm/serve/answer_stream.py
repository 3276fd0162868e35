"""The content deltas of a streamed chat completion: which tokens are the answer itself, and the rest of
the answer in chunks as soon as it is known.

Content never shows text that the team could still reject or repair, so only tokens that become the
answer as they are are streamed as they are generated (:func:`answer_node`):

* a **pipeline** whose one channel to the user comes from an agent that writes text (Draft, Note or
  FinalAnswer), runs once (not in a loop), sends without a route or an approval (which could send its
  message elsewhere or replace it) and has no tools (whose rounds write more than the answer): that
  agent's tokens are the answer (``review``'s editor, for instance);
* the **team** collapsing by ``merge``: QSM writes the merged answer after Ref verified the candidates,
  and those tokens are the answer.

Everything else (the team collapsing by ``ref_rank`` or ``vote``, where the answer is a candidate Ref
checked after it was written; a pipeline ending in a Python node, a loop, a route or an approval) sends
its answer in chunks the moment the run's ``final`` event knows it, before the ledger and costs are
settled; the steps before it come as ``qsm_event`` fields on empty deltas.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from qsm.agents.messages import FinalAnswer
from qsm.graph.envelope import Envelope
from qsm.graph.events import RunResult
from qsm.graph.runtime import Runtime
from qsm.graph.spec import USER, Workflow

__all__ = ["MERGE_NODE", "AnswerStream", "answer_node", "pieces"]

log = logging.getLogger(__name__)

MERGE_NODE = "QSM.collapse"
"""The team's node that writes the merged answer (collapse ``merge``)."""
_TEXT_TYPES = frozenset({"Draft", "Note", "FinalAnswer"})
_PIECE = re.compile(r"\s*\S+\s*")


def answer_node(workflow: Workflow, runtime: Runtime) -> str | None:
    """The graph node whose text tokens are the run's answer as they come, or None when the answer is
    only known once it is final (see the module docstring)."""
    if workflow.kind == "team":
        collapse = workflow.collapse or runtime.settings.runtime.collapse
        return MERGE_NODE if collapse == "merge" else None
    exits = [c for c in workflow.channels if c.target == USER]
    if len(exits) != 1 or workflow.node(exits[0].source) is not None:
        return None
    name = exits[0].source
    agent = next((a for a in workflow.agents if a.name == name), None)
    if (
        agent is None
        or not agent.output_types("pipeline") <= _TEXT_TYPES
        or any(r.source == name for r in workflow.routes)
        or any(a.agent == name for a in workflow.approvals)
        or runtime.tools.refs_for(name, agent.tools)
        or _in_loop(workflow, name)
    ):
        return None
    return name


def _in_loop(workflow: Workflow, name: str) -> bool:
    import networkx as nx

    links: nx.DiGraph[str] = nx.DiGraph(
        (c.source, c.target) for c in workflow.channels if USER not in (c.source, c.target)
    )
    return name in links and any(name in cycle for cycle in nx.simple_cycles(links))


def pieces(text: str, size: int = 24) -> list[str]:
    """``text`` cut at spaces into pieces of about ``size`` characters (a word longer than that is one
    piece); joined they are ``text``."""
    out: list[str] = []
    for word in _PIECE.findall(text):
        if out and len(out[-1]) + len(word) <= size:
            out[-1] += word
        else:
            out.append(word)
    return out or ([text] if text else [])  # whitespace only: one piece


def shown_text(final: FinalAnswer) -> str:
    """What the chat shows of ``final`` (as :attr:`RunResult.text`: a rejected answer says so)."""
    return RunResult(thread_id="", final=final, final_id=None, status=final.status).text


class AnswerStream:
    """Turns a run's events (as JSON dicts) into content deltas. Tokens of ``node`` go out as they come,
    without the leading and trailing whitespace the answer is stripped of; the answer's rest goes out in
    :func:`pieces` once the ``final`` event (or the run's result) has it."""

    def __init__(self, node: str | None) -> None:
        self.node = node
        self.sent = ""
        self._held = ""  # whitespace that may end the reply (stripped from the answer) or be inside it
        self._finished = False

    def feed(self, event: Mapping[str, Any]) -> list[str]:
        """The deltas ``event`` adds."""
        if event.get("type") == "final":
            message = Envelope.model_validate(event["envelope"]).message()
            return self.finish(shown_text(message)) if isinstance(message, FinalAnswer) else []
        if (
            self._finished
            or self.node is None
            or event.get("type") != "token"
            or event.get("node") != self.node
            or event.get("thinking")
            or event.get("format") != "text"
        ):
            return []
        text = self._held + str(event.get("text", ""))
        if not self.sent:
            text = text.lstrip()
        body = text.rstrip()
        self._held = text[len(body) :]
        self.sent += body
        return [body] if body else []

    def finish(self, text: str) -> list[str]:
        """The rest of the answer ``text`` (nothing once it was sent)."""
        if self._finished:
            return []
        self._finished = True
        if not text.startswith(self.sent):
            # the answer's tokens were not the answer after all: a case answer_node should have left out
            log.warning("streamed tokens of %s are not the start of the answer", self.node)
            return []
        return pieces(text[len(self.sent) :])
