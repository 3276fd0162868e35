"""One object every team step works with: the step context (runtime, channel book, metered calls, sends),
the four agents by role, the run settings, the request analysis (cached per request text), the toolbox
and Ref's embedding-based judgements."""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qsm.agents.inline_notes import content_words
from qsm.agents.messages import Plan
from qsm.agents.roles import budget_reply_type, plan_reply_type, role_prompt
from qsm.agents.router import Router, RouterStudent
from qsm.agents.tools import CapacityCheck, Toolbox, builtin_toolbox
from qsm.agents.tools.units import units_named
from qsm.errors import ConfigError, QsmError
from qsm.graph.agent_call import emit
from qsm.graph.events import RouteEvent
from qsm.graph.spec import Agent, Workflow
from qsm.graph.step_context import StepContext
from qsm.graph.team.analysis import RequestAnalysis, analyze
from qsm.graph.team.checks import answer_number_text
from qsm.graph.team.explain import asks_why
from qsm.graph.turns import Turn, earlier
from qsm.store.embedder import Embedder, make_embedder
from qsm.store.settings import MemorySettings

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["TeamContext"]

_ANALYSES = 64
_REFERENCE = re.compile(r"\b(?:that number|the result|the answer|that|this|it)\b", re.IGNORECASE)
_LEAD = re.compile(r"^\s*(?:and|so|then|now|ok|okay)\b[\s,]*", re.IGNORECASE)


@functools.lru_cache(maxsize=4)
def _embedder(settings_json: str) -> Embedder:
    return make_embedder(MemorySettings.model_validate_json(settings_json))


def _with_number(text: str, answer: str | None) -> str | None:
    """``text`` with the number of ``answer`` in place of its first reference ("that", "it", "the result"),
    or None when it makes none or the answer is not a result ("12 * 7 = 84"; a sentence such as "Paris has
    2.1 million people" gives a number that is not the quantity meant)."""
    number = answer_number_text(answer) if answer and "=" in answer else None
    if number is None:
        return None
    resolved, found = _REFERENCE.subn(number, text, count=1)
    return _LEAD.sub("", resolved) if found else None


class TeamContext:
    """Built once per compiled team graph; safe to share between parallel candidate branches."""

    def __init__(self, workflow: Workflow, runtime: Runtime) -> None:
        self.steps = StepContext(workflow, runtime)
        self.rt = runtime
        self.workflow = workflow
        self.coordinator = workflow.by_role("coordinator")
        self.communicator = workflow.by_role("communicator")
        self.economist = workflow.by_role("economist")
        self.reflector = workflow.by_role("reflector")
        self.names = workflow.team_names()
        self.plan_reply = plan_reply_type(self.names)
        self.budget_reply = budget_reply_type(self.names)
        rs = runtime.settings.runtime
        self.settings = rs
        self.fan_out = workflow.fan_out or rs.fan_out
        self.repair_limit = workflow.repair_limit if workflow.repair_limit is not None else rs.repair_limit
        self.collapse_mode = workflow.collapse or rs.collapse
        self._analyses: OrderedDict[str, RequestAnalysis] = OrderedDict()
        self._lock = threading.Lock()
        self._router: Router | None = None
        self._router_loaded = False
        self.toolbox = self._toolbox() if rs.tools else None
        self.own_tools = self._own_tools()

    def _own_tools(self) -> dict[str, Toolbox]:
        """The tools a user gave the drafting agents (communicator, economist: in the spec or in
        ``[tools.agents]``), resolved when the graph is built so that a tool that is not allowed stops it
        here. The coordinator and the reflector keep to the built-in tools: given tools are refused."""
        drafters = {self.communicator.name, self.economist.name}
        boxes: dict[str, Toolbox] = {}
        for agent in self.workflow.agents:
            if agent.name in drafters:
                box = self.rt.toolbox(agent, self.workflow)
                if box is not None:
                    boxes[agent.name] = box
            elif self.rt.tools.refs_for(agent.name):
                raise ConfigError(
                    f"[tools.agents] gives tools to {agent.name}, the team's {agent.role}; in a team, tools are "
                    f"for the agents that draft answers ({self.communicator.name}, {self.economist.name})",
                    hint=f"give the tools to {self.communicator.name} or {self.economist.name}, or to an agent "
                    "of a pipeline workflow",
                )
        return boxes

    # -- what the request says ----------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return _embedder(self.rt.settings.memory.model_dump_json())

    def router(self) -> Router | None:
        """The student router, or None where routing is left to QSM's LLM (setting, missing file, or an
        embedder of another vector space)."""
        with self._lock:
            if not self._router_loaded:
                self._router = self._load_router()
                self._router_loaded = True
            return self._router

    def _load_router(self) -> Router | None:
        if self.settings.router == "llm":
            return None
        try:
            student: Router
            if self.settings.router == "quantum":
                from qsm.agents.quantum_router import QuantumRouterStudent  # PennyLane only when asked

                student = QuantumRouterStudent.load(self.settings.router_path)
            else:
                student = RouterStudent.load(self.settings.router_path)
        except QsmError as err:
            emit(RouteEvent(agent=self.coordinator.name, message=f"router: {err.message}"))
            return None
        if student.embedder != self.embedder.name:
            emit(
                RouteEvent(
                    agent=self.coordinator.name,
                    message=f"router: trained on {student.embedder}, memory embeds with {self.embedder.name}; "
                    "QSM's LLM routes instead",
                )
            )
            return None
        return student

    def analysis(self, text: str) -> RequestAnalysis:
        with self._lock:
            if text in self._analyses:
                self._analyses.move_to_end(text)
                return self._analyses[text]
        result = analyze(text, self.embedder, self.router())
        with self._lock:
            self._analyses[text] = result
            while len(self._analyses) > _ANALYSES:
                self._analyses.popitem(last=False)
        return result

    def request_analysis(self, state: dict[str, Any]) -> RequestAnalysis:
        """The analysis of the run's request; for a follow-up that a tool settles once it is read with the
        turn before it, of that reading: the last answer's number in place of a reference ("And that plus
        16?" after "12 * 7 = 84"), the last conversion to a newly named unit ("And in feet?"), or, for a
        request of the reasons ("Why?"), the last question as settled then, marked ``explain``."""
        turns = earlier(state)
        return self._read(self.steps.request(state).text, turns.turns if turns is not None else [])

    def _read(self, text: str, turns: list[Turn]) -> RequestAnalysis:
        analysis = self.analysis(text)
        if analysis.exact or not turns:
            return analysis
        last = turns[-1]
        if asks_why(text):
            before = self._read(last.question, turns[:-1])
            return replace(before, answer_format=None, explain=True) if before.exact else analysis
        questions = [t.question for t in reversed(turns)]
        for reading in (_with_number(text, last.answer), self._with_target_unit(text, questions)):
            if reading is not None:
                settled = self.analysis(reading)
                if settled.tool_call is not None or settled.comparison is not None:
                    return settled
        return analysis

    def _with_target_unit(self, text: str, questions: list[str]) -> str | None:
        """The latest conversion asked among ``questions`` (newest first; "And in feet?" may follow "And in
        yards?") to the one unit ``text`` names, or None."""
        calls = (self.analysis(q).tool_call for q in questions[:3])
        before = next((c for c in calls if c is not None), None)
        if before is None or before.tool != "convert_units":
            return None
        named = units_named(text)
        if len(named) > 1:
            named.discard("in")  # "And in feet?": the preposition, not inches
        if len(named) != 1:
            return None
        value, source = before.arguments.get("value"), before.arguments.get("from_unit")
        if not isinstance(value, int | float) or not isinstance(source, str):
            return None
        return f"Convert {value:g} {source} to {named.pop()}"

    def semantic_embed(self) -> Callable[[list[str]], np.ndarray] | None:
        """The embedder for Ref's on-topic check, or None where memory embeds by hashing words (which knows
        no meaning, so similarity would flag every paraphrase)."""
        return None if self.embedder.name.startswith("hashing") else self.embedder.embed

    # -- agents -------------------------------------------------------------------------------------
    def drafter(self, plan: Plan | None) -> Agent:
        """The agent the plan routes to (by name: the economist's, else the communicator)."""
        return (
            self.economist if plan is not None and plan.route_to == self.economist.name else self.communicator
        )

    def prompt(self, key: str) -> str:
        """The role prompt ``key`` naming this team's agents."""
        return role_prompt(key, self.names)

    def _toolbox(self) -> Toolbox:
        """The built-in tools (with memory search when memory is open) and SOM's capacity check."""
        toolbox = builtin_toolbox(self.rt.memory, as_agent=self.communicator.name)
        toolbox.add(CapacityCheck())
        return toolbox

    @staticmethod
    def supports(claim: str, note: str) -> bool:
        """A recalled note supports a claim when they share a meaningful word or number."""
        return bool(content_words(claim) & content_words(note))
