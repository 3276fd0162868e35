"""Python nodes and control flow in pipelines: plain functions as nodes, conditional routes, bounded loops.

* :class:`Node` is a Python function in a pipeline. Its type hints are its channel types: each parameter
  annotated with a message type (``Draft``, ``Draft | Note``, ``list[Draft]`` for all of them) receives the
  inbound message of that type, and its return annotation is the one type it produces::

      def word_count(draft: Draft) -> Note:
          return Note(text=f"{len(draft.text.split())} words", author="count")

* :class:`Route` makes a node's outbound edges conditional: a function of the message it produced names
  the one target that receives it (``"user"`` ends the run). A loop (a cycle of channels) is allowed only
  through a route with ``max_rounds``: once its source has run that many times the message goes to
  ``then`` instead, which must not lead back to the source. A loop without one is refused when the spec
  is loaded.
* Several channels into one node outside a loop join: the node runs once all its sources have run.

Functions are given as callables in Python or as import paths (``"package.module:function"``) in YAML.
A YAML spec may only name modules of the ``qsm`` package or modules listed in ``[tools]
allowed_modules`` (the one allow-list for tools and nodes: a module or a package prefix); anything else is
refused before it is imported.
"""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from qsm.agents.messages import MESSAGE_TYPES, Message
from qsm.errors import SpecError

__all__ = ["Approval", "Node", "Route", "function_path", "resolve_function", "tool_approval_problems"]

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,31}$"
_REGISTRY: dict[str, Callable[..., Any]] = {}
"""Functions given as callables in this process, by the import path they are stored under: a workflow
built in Python (even with a local function or lambda) resumes in the same process without importing."""
ALLOWED_KEY = "allowed_modules"
"""Validation-context key of the modules a YAML spec may import functions from (None: no check)."""
_ALLOW_HINT = (
    "if you trust it, add the module (or its package) to your settings: [tools] allowed_modules = "
    '["mypackage.nodes"]'
)


def function_path(fn: Callable[..., Any]) -> str:
    """``module:qualname`` of ``fn`` (with its id for a lambda or a local function, whose names repeat);
    remembered so that the path finds ``fn`` again in this process."""
    module = getattr(fn, "__module__", None) or "__main__"
    qualname = str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "function"))
    path = f"{module}:{qualname}"
    if "<" in qualname:  # a lambda or a local function: never importable, and its name is not unique
        path += f"@{id(fn):x}"
    _REGISTRY[path] = fn
    return path


def _allowed(module: str, allowed: Sequence[str]) -> bool:
    return any(module == m or module.startswith(m + ".") for m in ["qsm", *allowed])


def resolve_function(path: str, allowed: Sequence[str] | None = None) -> Callable[..., Any]:
    """The function at ``path`` (``module:name``). With ``allowed`` (a YAML spec), a module outside the
    ``qsm`` package and ``allowed`` is refused before anything is imported."""
    if path in _REGISTRY:
        return _REGISTRY[path]
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise SpecError(
            f"function {path!r} is not an import path 'package.module:function'",
            hint="write it as module:function, e.g. mypackage.nodes:word_count",
        )
    if allowed is not None and not _allowed(module_name, allowed):
        raise SpecError(f"function {path!r}: module {module_name!r} is not allowed", hint=_ALLOW_HINT)
    try:
        value: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as exc:
        raise SpecError(
            f"function {path!r} cannot be imported: {exc}",
            hint="check the module is installed (on sys.path) and defines the function",
        ) from None
    if not callable(value):
        raise SpecError(f"{path!r} is not a function", hint="name a function defined in the module")
    return typing.cast(Callable[..., Any], value)


def _fn_path(value: Any, info: ValidationInfo) -> str:
    if callable(value) and not isinstance(value, str):
        return function_path(value)
    if not isinstance(value, str):
        raise ValueError("must be a function or an import path 'module:function'")
    allowed = (info.context or {}).get(ALLOWED_KEY)
    try:
        resolve_function(value, allowed)
    except SpecError as err:
        raise ValueError(f"{err.message} ({err.hint})") from None
    return value


def _message_types(annotation: Any) -> tuple[frozenset[str], bool] | None:
    """The message types an annotation names, and whether it is a list (all of them); None if it names
    none (a parameter that is not a message)."""
    origin = typing.get_origin(annotation)
    if origin is list:
        (inner,) = typing.get_args(annotation) or (Any,)
        named = _message_types(inner)
        return (named[0], True) if named else None
    if origin in (Union, types.UnionType):
        names: set[str] = set()
        for arg in typing.get_args(annotation):
            if arg is type(None):
                continue
            named = _message_types(arg)
            if named is None:
                return None
            names |= named[0]
        return frozenset(names), False
    if (
        isinstance(annotation, type)
        and issubclass(annotation, Message)
        and annotation.__name__ in MESSAGE_TYPES
    ):
        return frozenset({annotation.__name__}), False
    return None


class Signature:
    """What a node function takes (parameter -> message types, whether a list) and returns."""

    def __init__(self, fn: Callable[..., Any], where: str) -> None:
        try:
            hints = typing.get_type_hints(fn)
        except Exception as exc:  # a hint that names something undefined
            raise SpecError(
                f"{where}: cannot read its type hints: {exc}", hint="import what the hints name"
            ) from None
        self.params: dict[str, tuple[frozenset[str], bool]] = {}
        import inspect

        for name in inspect.signature(fn).parameters:
            named = _message_types(hints.get(name))
            if named is None:
                raise SpecError(
                    f"{where}: parameter {name!r} has no message type hint",
                    hint="annotate each parameter with a message type, e.g. (draft: Draft) or (notes: list[Note])",
                )
            self.params[name] = named
        returned = _message_types(hints.get("return"))
        if returned is None or returned[1] or len(returned[0]) != 1:
            raise SpecError(
                f"{where}: its return type hint must be one message type",
                hint=f"annotate it, e.g. -> Note; message types: {', '.join(sorted(MESSAGE_TYPES))}",
            )
        self.returns = next(iter(returned[0]))

    def accepts(self) -> frozenset[str]:
        return frozenset().union(*(types_ for types_, _ in self.params.values())) | {"UserRequest"}


class Node(BaseModel):
    """A Python function in a pipeline (see the module docs)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    fn: str = Field(description="import path module:function (a callable is accepted in Python)")

    @field_validator("fn", mode="before")
    @classmethod
    def _fn(cls, value: Any, info: ValidationInfo) -> str:
        return _fn_path(value, info)

    def function(self) -> Callable[..., Any]:
        return resolve_function(self.fn)

    def signature(self) -> Signature:
        return Signature(self.function(), f"node {self.name} ({self.fn})")


class Route(BaseModel):
    """``fn(message) -> target name`` chooses which of ``source``'s targets gets its message (``user``:
    the answer). ``max_rounds``: how often ``source`` may run; its last run sends to ``then``."""

    model_config = ConfigDict(extra="forbid")

    source: str
    fn: str = Field(description="import path module:function (a callable is accepted in Python)")
    max_rounds: int | None = Field(None, ge=1, le=100)
    then: str | None = None

    @field_validator("fn", mode="before")
    @classmethod
    def _fn(cls, value: Any, info: ValidationInfo) -> str:
        return _fn_path(value, info)

    def choose(self, message: Message, rounds: int, targets: Sequence[str]) -> str:
        """The target of this run's message: ``then`` once ``max_rounds`` is reached, else the function's."""
        if self.max_rounds is not None and rounds >= self.max_rounds and self.then:
            return self.then
        chosen = resolve_function(self.fn)(message)
        match = next((t for t in targets if str(chosen).lower() == t.lower()), None)
        if match is None:
            raise SpecError(
                f"route of {self.source} ({self.fn}) chose {chosen!r}, which is not one of its targets",
                hint=f"return one of: {', '.join(targets)}",
            )
        return match


class Approval(BaseModel):
    """Where a run asks the user. With ``agent`` alone: about that agent's message before it goes on (a
    Verdict whose score is below ``below``, any Verdict when ``below`` is unset, is accepted or rejected
    by the answer; other messages are approved with "yes" or replaced by the user's text). With ``tool``:
    before each call of that tool (by ``agent`` only, when it is set) runs; "yes" runs it, any other
    answer declines it and the agent gets a failed result saying so."""

    model_config = ConfigDict(extra="forbid")

    agent: str | None = None
    tool: str | None = Field(None, min_length=1)
    below: float | None = Field(None, ge=0.0, le=1.0)
    question: str | None = None

    @model_validator(mode="after")
    def _what(self) -> Approval:
        if self.agent is None and self.tool is None:
            raise ValueError("an approval names an agent (its messages) or a tool (its calls), or both")
        if self.tool is not None and self.below is not None:
            raise ValueError("below is for an agent's verdicts, not for tool calls")
        return self

    def covers(self, agent: str, tool: str) -> bool:
        """Whether this approval asks before ``agent`` calls ``tool``."""
        return (
            self.tool is not None
            and self.tool.lower() == tool.lower()
            and (self.agent is None or self.agent.lower() == agent.lower())
        )


def tool_approval_problems(
    approvals: Sequence[Approval], tools: dict[str, frozenset[str] | None]
) -> Iterator[tuple[tuple[str | int, ...], SpecError]]:
    """Each tool approval that names a tool no agent has (or not the agent it names); ``tools`` maps each
    agent to the names of its tools (None: not known before its MCP server is reached, so any name)."""
    for i, approval in enumerate(approvals):
        if approval.tool is None:
            continue
        agents = [name for name in tools if approval.agent is None or name.lower() == approval.agent.lower()]
        if approval.agent is not None and not agents:
            yield (
                ("approvals", i, "agent"),
                SpecError(
                    f"tool approval names no agent {approval.agent!r}",
                    hint=f"name one of: {', '.join(tools) or 'none'} (or leave agent out: every agent)",
                ),
            )
            continue
        names = [tools[a] for a in agents]
        if any(n is None or approval.tool.lower() in {t.lower() for t in n} for n in names):
            continue
        known = sorted({t for n in names for t in n or ()})
        whose = f"agent {approval.agent} does not have" if approval.agent else "no agent of the workflow has"
        yield (
            ("approvals", i, "tool"),
            SpecError(
                f"tool approval names tool {approval.tool!r}, which {whose}",
                hint=f"name one of its tools: {', '.join(known)}"
                if known
                else "give the agent the tool first (tools: [...]), then ask before its calls",
            ),
        )


def loop_problems(
    graph: Any, routes: Sequence[Route], edges: dict[tuple[str, str], int]
) -> Iterator[tuple[tuple[str | int, ...], SpecError]]:
    """Each loop of ``graph`` (a networkx DiGraph of the pipeline) without a bounded route, and each
    route whose ``then`` is missing or leads back into its loop; ``edges`` maps (source, target) to the
    channel index, to say where a problem is."""
    import itertools

    import networkx as nx

    bounded = {r.source for r in routes if r.max_rounds is not None}
    routed = [r.source for r in routes]
    order = {name: i for i, name in enumerate(graph.nodes)}
    for cycle in itertools.islice(nx.simple_cycles(graph), 64):
        if not bounded & set(cycle):
            first = min(range(len(cycle)), key=lambda i: order[cycle[i]])  # in the spec's order
            cycle = cycle[first:] + cycle[:first]
            at = next((name for name in cycle if name in routed), cycle[-1])
            closing = edges.get((cycle[-1], cycle[0]))
            yield (
                ("channels",) if closing is None else ("channels", closing),
                SpecError(
                    f"loop {' -> '.join([*cycle, cycle[0]])} has no declared maximum",
                    hint=f"declare how often it may run, e.g. routes: [{{source: {at}, "
                    f"fn: 'mymodule:next_step', max_rounds: 3, then: user}}]",
                ),
            )
    for i, route in enumerate(routes):
        if route.max_rounds is not None and route.then is None:
            yield (
                ("routes", i),
                SpecError(
                    f"route of {route.source} has max_rounds but no then",
                    hint="say where its message goes once max_rounds is reached, e.g. then: user",
                ),
            )
        inside = route.then and route.then.lower() != "user" and route.source in graph and route.then in graph
        if inside and (route.then == route.source or route.source in nx.descendants(graph, route.then)):
            yield (
                ("routes", i, "then"),
                SpecError(
                    f"route of {route.source}: then {route.then} leads back to {route.source}",
                    hint="then must leave the loop (e.g. then: user)",
                ),
            )
