"""Workflow specs: which agents, which channels, how the run is shaped. Python API or YAML.

Two kinds of workflow:

* ``team``: the built-in QSM -> SOM -> WeQ/SOM (N candidates) -> Ref (repair loop) -> QSM collapse
  flow. Agents are matched to steps by role; names, prompts, models and channel strengths are yours.
* ``pipeline``: your own graph of agents and Python nodes (:mod:`qsm.graph.flow`). Each runs once all its
  inbound channels have delivered and sends its output (its ``produces`` type) on every outbound channel,
  or, with a route, on the one its route chooses; a loop needs a route with a declared ``max_rounds``.

:meth:`Workflow.check` refuses a topology whose channel types do not match what their ends produce and
accept, naming both ends and both types.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator

from qsm.agents.messages import MESSAGE_TYPES
from qsm.agents.roles import DEFAULT_NAMES, Role, TeamNames
from qsm.agents.settings import AgentSettings
from qsm.agents.tools.adapters import tool_reference
from qsm.agents.tools.settings import McpServerSettings
from qsm.errors import ChannelTypeError, SpecError, UnknownAgentError
from qsm.graph.builtin_team import TEAM_AGENTS, TEAM_CHANNELS, TEAM_DESCRIPTION, TEAM_ROLES, required_channels
from qsm.graph.channels import Channel
from qsm.graph.flow import ALLOWED_KEY, Approval, Node, Route, loop_problems, tool_approval_problems
from qsm.graph.settings import BudgetSettings, CollapseMode
from qsm.graph.spec_yaml import dump_spec_yaml, parse_spec_yaml, read_spec_text

__all__ = ["PIPELINE_OUTPUTS", "ROLE_IO", "USER", "Agent", "Workflow", "WorkflowKind", "validation_context"]

USER = "user"
WorkflowKind = Literal["team", "pipeline"]
SpecPath = tuple[str | int, ...]
"""Where something is in a spec: keys and list indexes from its top, such as ``("channels", 2)``."""

# What each role can produce and accept. ``custom`` accepts anything and produces what it declares.
ROLE_IO: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "coordinator": (
        frozenset({"Plan", "Task", "FinalAnswer"}),
        frozenset({"UserRequest", "Budget", "Draft", "Verdict", "Note", "CostReport"}),
    ),
    "economist": (
        frozenset({"Budget", "Draft", "CostReport"}),
        frozenset({"UserRequest", "Plan", "Task", "RepairPlan", "FinalAnswer", "Draft", "Verdict", "Note"}),
    ),
    "communicator": (
        frozenset({"Draft", "Note"}),
        frozenset({"UserRequest", "Task", "Budget", "RepairPlan", "Plan", "Verdict", "Note", "Draft"}),
    ),
    "reflector": (
        frozenset({"Verdict", "RepairPlan"}),
        frozenset({"Draft", "Note", "FinalAnswer", "UserRequest"}),
    ),
}
PIPELINE_OUTPUTS = frozenset(
    {"Draft", "Note", "FinalAnswer", "Plan", "Budget", "Verdict", "RepairPlan", "Task"}
)
PIPELINE_DEFAULT_OUTPUT = {
    "coordinator": "FinalAnswer",
    "economist": "Budget",
    "communicator": "Draft",
    "reflector": "Verdict",
    "custom": "Note",
}


def _checked(model: type[BaseModel], value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if it is a valid (partial) ``model``: a spec's overrides are checked when it is loaded,
    not when a step first uses them."""
    try:
        model.model_validate(value)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ValueError(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from None
    return value


class Agent(BaseModel):
    """One agent of a workflow. ``settings`` overrides the config's agent settings (model, sampling...)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")
    role: Role = "custom"
    system_prompt: str | None = None
    produces: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    tools: list[Any] = Field(
        default_factory=list,
        description="tools the agent may call (pipelines): functions, langchain-core tools or qsm tools in "
        "Python; 'module:function' (from [tools] allowed_modules) or 'mcp:<server>[/<tool>]' in YAML",
    )

    @field_validator("settings")
    @classmethod
    def _valid_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _checked(AgentSettings, value)

    @field_serializer("tools")
    def _tool_refs(self, tools: list[Any]) -> list[str]:
        return [tool_reference(t) for t in tools]

    def output_types(self, kind: WorkflowKind) -> frozenset[str]:
        if kind == "pipeline":
            return frozenset({self.produces or PIPELINE_DEFAULT_OUTPUT[self.role]})
        if self.role == "custom":
            return frozenset({self.produces or "Note"})
        return ROLE_IO[self.role][0]

    def input_types(self) -> frozenset[str] | None:
        """None = accepts any type."""
        return None if self.role == "custom" else ROLE_IO[self.role][1]


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: WorkflowKind = "team"
    description: str = ""
    prompt: str = Field("", description="default input for `qsm run SPEC` when no prompt is given")
    agents: list[Agent]
    channels: list[Channel]
    fan_out: int | None = Field(None, ge=1, le=16)
    repair_limit: int | None = Field(None, ge=0, le=8)
    collapse: CollapseMode | None = None
    budget: dict[str, Any] = Field(default_factory=dict)
    mcp_servers: dict[str, McpServerSettings] = Field(
        default_factory=dict, description="MCP servers its agents' 'mcp:<server>' tools name"
    )
    nodes: list[Node] = Field(default_factory=list, description="Python function nodes (pipelines)")
    routes: list[Route] = Field(default_factory=list, description="conditional edges and loop bounds")
    approvals: list[Approval] = Field(
        default_factory=list, description="where the run asks the user: about a message, before a tool call"
    )

    @field_validator("budget")
    @classmethod
    def _valid_budget(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _checked(BudgetSettings, value)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def default(cls) -> Workflow:
        """The built-in team (:mod:`qsm.graph.builtin_team`)."""
        return cls(
            name="team",
            kind="team",
            description=TEAM_DESCRIPTION,
            agents=[Agent(name=name, role=role) for name, role in TEAM_AGENTS.items()],
            channels=[
                Channel(source=s, target=t, type=type_name, strength=strength)
                for s, t, type_name, strength in TEAM_CHANNELS
            ],
        ).check()

    @classmethod
    def from_yaml(cls, source: str | Path, *, allowed_modules: list[str] | None = None) -> Workflow:
        """Load and check a spec from a YAML file path or YAML text. Functions it names (nodes, routes)
        must come from the ``qsm`` package or ``allowed_modules`` (default: ``[tools] allowed_modules`` of
        the config); others are refused before they are imported."""
        where = str(source) if isinstance(source, Path) else "<yaml>"
        text = read_spec_text(source) if isinstance(source, Path) else source
        data = parse_spec_yaml(text, where)  # bounded: no aliases, at most 256 KB
        if not isinstance(data, dict):
            raise SpecError(
                f"workflow spec {where} must be a mapping with name, agents, channels", hint=_SPEC_HINT
            )
        data = _expand_shorthand(data, where)
        try:
            workflow = cls.model_validate(data, context=validation_context(data, allowed_modules))
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise SpecError(f"workflow spec {where}: {loc}: {err['msg']}", hint=_SPEC_HINT) from None
        return workflow.check()

    @classmethod
    def load(cls, name: str, data_dir: Path | None = None) -> Workflow:
        """The workflow ``name`` of the library (:mod:`qsm.graph.library`): yours in
        ``<data_dir>/workflows/``, a shipped example, or ``team`` (the built-in team)."""
        from qsm.graph.workflow_files import WorkflowFiles

        spec = WorkflowFiles(data_dir).runnable(name)
        return cls.default() if spec.path is None else cls.from_yaml(spec.path)

    def to_yaml(self) -> str:
        return dump_spec_yaml(self.model_dump(mode="json", exclude_defaults=True))

    # -- checks ----------------------------------------------------------------------------------
    def node(self, name: str) -> Node | None:
        """The Python node ``name``, or None when it is not one."""
        return next((n for n in self.nodes if n.name.lower() == name.lower()), None)

    def message_approvals(self) -> dict[str, Approval]:
        """The agents and nodes whose messages the user approves, each with its approval."""
        return {a.agent: a for a in self.approvals if a.agent is not None and a.tool is None}

    def tool_approvals(self, agent: str) -> list[Approval]:
        """The approvals that ask before ``agent`` calls a tool."""
        return [a for a in self.approvals if a.tool and (a.agent is None or a.agent.lower() == agent.lower())]

    def agent(self, name: str) -> Agent:
        for agent in self.agents:
            if agent.name.lower() == name.lower():
                return agent
        raise UnknownAgentError(
            f"workflow {self.name!r} has no agent {name!r}",
            hint=f"agents are: {', '.join(a.name for a in self.agents)}",
        )

    def by_role(self, role: str) -> Agent:
        matches = [a for a in self.agents if a.role == role]
        if len(matches) != 1:
            raise SpecError(
                f"a team workflow needs exactly one agent with role {role!r}, found {len(matches)}",
                hint="give each of coordinator, economist, communicator, reflector to one agent",
            )
        return matches[0]

    def team_names(self) -> TeamNames:
        """What reply schemas and role prompts call the agents: for each team role, the one agent that has
        it, or the default name where none or several do (a pipeline need not have all four)."""

        def name(role: str, default: str) -> str:
            matches = [a.name for a in self.agents if a.role == role]
            return matches[0] if len(matches) == 1 else default

        return TeamNames(**{role: name(role, default) for role, default in DEFAULT_NAMES._asdict().items()})

    def check(self) -> Workflow:
        """Refuse unknown agents, duplicate names, and channels whose type does not match their ends."""
        for _, problem in self.problems():
            raise problem
        return self

    def problems(self) -> Iterator[tuple[SpecPath, SpecError]]:
        """Every problem :meth:`check` would refuse, each with where it is in the spec (a path of keys and
        indexes, such as ``("channels", 2)``), so that an editor can show them all at their lines."""
        names = [a.name for a in self.agents] + [n.name for n in self.nodes]
        if len({n.lower() for n in names}) != len(names):
            yield (
                ("agents",),
                SpecError(f"workflow {self.name!r} has duplicate agent names: {names}", hint="rename one"),
            )
        for i, agent in enumerate(self.agents):
            if agent.name.lower() == USER:
                yield (
                    ("agents", i, "name"),
                    SpecError("'user' is reserved for the person asking", hint="rename that agent"),
                )
            if agent.produces is not None and agent.produces not in MESSAGE_TYPES:
                yield (
                    ("agents", i, "produces"),
                    SpecError(
                        f"agent {agent.name} produces unknown message type {agent.produces!r}",
                        hint=f"use one of: {', '.join(sorted(MESSAGE_TYPES))}",
                    ),
                )
        for i, node in enumerate(self.nodes):
            try:
                node.signature()
            except SpecError as problem:
                yield ("nodes", i, "fn"), problem
            if node.name.lower() == USER:
                yield (
                    ("nodes", i, "name"),
                    SpecError("'user' is reserved for the person asking", hint="rename it"),
                )
        for i, channel in enumerate(self.channels):
            try:
                self._check_channel(channel)
            except UnknownAgentError as problem:
                where = f"channel {channel.source} -> {channel.target}: "
                yield ("channels", i), UnknownAgentError(where + problem.message, hint=problem.hint)
            except SpecError as problem:
                yield ("channels", i), problem
        if self.kind == "team" and (self.nodes or self.routes):
            yield (
                ("kind",),
                SpecError("nodes and routes are for pipelines", hint="set kind: pipeline"),
            )
        team_ref = [a.name for a in self.agents if a.role == "reflector"] if self.kind == "team" else []
        for i, approval in enumerate(self.approvals if self.kind == "team" else []):
            if approval.tool is not None:
                yield (
                    ("approvals", i, "tool"),
                    SpecError(
                        "tool approvals are for pipeline agents' tools (the team uses its built-in ones)",
                        hint="set kind: pipeline, or remove the approval's tool",
                    ),
                )
            elif approval.agent not in team_ref:
                yield (
                    ("approvals", i, "agent"),
                    SpecError(
                        f"in a team workflow only the reflector's verdicts can be approved, not {approval.agent!r}",
                        hint=f"name the reflector: agent: {team_ref[0] if team_ref else 'Ref'}",
                    ),
                )
        for i, agent in enumerate(self.agents):
            if self.kind == "team" and agent.tools and agent.role not in ("communicator", "economist"):
                yield (
                    ("agents", i, "tools"),
                    SpecError(
                        f"agent {agent.name}: in a team, tools are for the agents that draft answers "
                        f"(communicator, economist), not the {agent.role}",
                        hint="give the tools to the communicator or the economist, or set kind: pipeline",
                    ),
                )
        if self.kind == "team":
            yield from self._team_problems()
        else:
            yield from self._pipeline_problems()

    def _team_problems(self) -> Iterator[tuple[SpecPath, SpecError]]:
        name_of_role = {}
        for role in TEAM_ROLES:
            try:
                name_of_role[role] = self.by_role(role).name
            except SpecError as problem:
                yield ("agents",), problem
        if len(name_of_role) != len(TEAM_ROLES):
            return
        present = {(c.source.lower(), c.target.lower(), c.type) for c in self.channels}
        for source, target, type_name in required_channels(name_of_role):
            if (source.lower(), target.lower(), type_name) not in present:
                yield (
                    ("channels",),
                    SpecError(
                        f"team workflow {self.name!r} needs a channel {source} -> {target} carrying {type_name}",
                        hint="add it to channels (see `qsm graph` for the default topology)",
                    ),
                )

    def _check_channel(self, channel: Channel) -> None:
        if channel.source.lower() == USER and channel.target.lower() == USER:
            raise SpecError(
                "a channel user -> user connects no agent",
                hint="connect the user to an agent, e.g. user -> WeQ",
            )
        if channel.type not in MESSAGE_TYPES:
            raise SpecError(
                f"channel {channel.source} -> {channel.target} carries unknown type {channel.type!r}",
                hint=f"use one of: {', '.join(sorted(MESSAGE_TYPES))}",
            )
        if channel.source.lower() == USER:
            produced: frozenset[str] | None = frozenset({"UserRequest"})
        elif (source := self.node(channel.source)) is not None:
            produced = frozenset({source.signature().returns})
        else:
            produced = self.agent(channel.source).output_types(self.kind)
        if channel.target.lower() == USER:
            accepted = None
        elif (target := self.node(channel.target)) is not None:
            accepted = target.signature().accepts()
        else:
            accepted = self.agent(channel.target).input_types()
        if produced is not None and channel.type not in produced:
            raise ChannelTypeError(
                f"channel {channel.source} -> {channel.target} is declared as {channel.type}, but "
                f"{channel.source} produces {_types(produced)} and {channel.target} accepts {_types(accepted)}",
                hint=f"declare the channel with a type {channel.source} produces, or change the agent's role/produces",
            )
        if accepted is not None and channel.type not in accepted:
            raise ChannelTypeError(
                f"channel {channel.source} -> {channel.target}: {channel.source} sends {channel.type}, but "
                f"{channel.target} accepts {_types(accepted)}",
                hint=f"route {channel.type} to an agent that accepts it, or give {channel.target} another role",
            )

    def _pipeline_problems(self) -> Iterator[tuple[SpecPath, SpecError]]:
        import networkx as nx

        graph: nx.DiGraph[str] = nx.DiGraph()
        graph.add_nodes_from(a.name for a in self.agents)
        graph.add_nodes_from(n.name for n in self.nodes)
        inner = [c for c in self.channels if USER not in (c.source.lower(), c.target.lower())]
        graph.add_edges_from((c.source, c.target) for c in inner)
        edges = {(c.source, c.target): i for i, c in enumerate(self.channels)}
        yield from loop_problems(graph, self.routes, edges)
        yield from self._flow_problems(graph)
        for i, agent in enumerate(self.agents):
            produced = next(iter(agent.output_types("pipeline")))
            if produced not in PIPELINE_OUTPUTS:
                yield (
                    ("agents", i),
                    SpecError(
                        f"pipeline agent {agent.name} cannot produce {produced}",
                        hint=f"pipeline agents produce one of: {', '.join(sorted(PIPELINE_OUTPUTS))}",
                    ),
                )
        if not any(c.source.lower() == USER for c in self.channels):
            yield (
                ("channels",),
                SpecError(
                    f"pipeline {self.name!r} has no channel from user",
                    hint="add user -> <agent>: UserRequest",
                ),
            )
        if not any(c.target.lower() == USER for c in self.channels):
            yield (
                ("channels",),
                SpecError(
                    f"pipeline {self.name!r} has no channel to user", hint="add <agent> -> user: <its output>"
                ),
            )
        reached: set[str] = set()
        for c in self.channels:
            if c.source.lower() == USER and c.target in graph:
                reached |= {c.target} | nx.descendants(graph, c.target)
        for i, node in enumerate(self.nodes):
            if node.name not in reached:
                yield (
                    ("nodes", i),
                    SpecError(
                        f"pipeline {self.name!r}: {node.name} never receives anything: no channel from the "
                        "user reaches it",
                        hint=f"add a channel to {node.name} from the user or from an agent the user reaches",
                    ),
                )
        for i, agent in enumerate(self.agents):
            if agent.name not in reached:
                yield (
                    ("agents", i),
                    SpecError(
                        f"pipeline {self.name!r}: {agent.name} never receives anything: no channel from the "
                        "user reaches it",
                        hint=f"add a channel to {agent.name} from the user or from an agent the user reaches",
                    ),
                )

    def _flow_problems(self, graph: Any) -> Iterator[tuple[SpecPath, SpecError]]:
        """Routes and approvals that name no node, or a ``then`` that is not one of the route's targets."""
        seen = set()
        for i, route in enumerate(self.routes):
            targets = {c.target.lower() for c in self.channels if c.source == route.source}
            if route.source not in graph:
                yield (
                    ("routes", i, "source"),
                    SpecError(
                        f"route of {route.source!r}: there is no such agent or node",
                        hint="name one of the workflow's",
                    ),
                )
            elif route.source in seen:
                yield ("routes", i), SpecError(f"{route.source} has two routes", hint="give it one")
            elif route.then and route.then.lower() not in targets:
                yield (
                    ("routes", i, "then"),
                    SpecError(
                        f"route of {route.source}: then {route.then!r} is not one of its channels' targets",
                        hint=f"add a channel {route.source} -> {route.then}, or name one of: "
                        + ", ".join(sorted(targets)),
                    ),
                )
            seen.add(route.source)
        answering = {c.source for c in self.channels if c.target.lower() == USER}
        routed = answering & seen
        if routed and answering - routed:
            yield (
                ("routes",),
                SpecError(
                    f"{', '.join(sorted(answering - routed))} and the routed {', '.join(sorted(routed))} both "
                    "answer the user: the run would finish twice",
                    hint="let one routed node answer (route the others to it), or answer without routes",
                ),
            )
        yield from tool_approval_problems(self.approvals, {a.name: _tool_names(a) for a in self.agents})
        for i, approval in enumerate(self.approvals):
            if approval.tool is None and approval.agent not in graph:
                yield (
                    ("approvals", i, "agent"),
                    SpecError(
                        f"approval names no agent or node {approval.agent!r}",
                        hint="name one of the workflow's",
                    ),
                )


def validation_context(data: dict[str, Any], allowed_modules: list[str] | None = None) -> dict[str, Any]:
    """The pydantic context to validate the (expanded) YAML spec ``data`` with: the modules its functions
    may come from, ``allowed_modules`` or, when the spec names functions, the config's ``[tools]
    allowed_modules``; a function from any other module is refused before it is imported."""
    if allowed_modules is None and (data.get("nodes") or data.get("routes")):
        from qsm.settings import load_settings

        allowed_modules = list(load_settings().tools.allowed_modules)
    return {ALLOWED_KEY: list(allowed_modules or [])}


_SPEC_HINT = (
    "see qsm workflows show review; a spec has name, kind (team|pipeline), agents: [{name, role}], channels"
)


def _tool_names(agent: Agent) -> frozenset[str] | None:
    """The names of ``agent``'s tools in the spec; None when one of them is a whole MCP server."""
    from qsm.agents.tools.catalog import tool_names

    names = [tool_names(ref) for ref in agent.tools]
    return None if None in names else frozenset().union(*(n for n in names if n is not None))


def _types(types: frozenset[str] | None) -> str:
    return "any type" if types is None else "/".join(sorted(types))


def _expand_shorthand(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Allow ``channels: ["A -> B: Draft", ...]`` and ``agents: {Name: {role: ...}}`` in YAML."""
    data = dict(data)
    agents = data.get("agents")
    if isinstance(agents, dict):
        data["agents"] = [{"name": k, **(v or {})} for k, v in agents.items()]
    nodes = data.get("nodes")
    if isinstance(nodes, dict):  # nodes: {count: mypackage.nodes:word_count}
        data["nodes"] = [{"name": k, **(v if isinstance(v, dict) else {"fn": v})} for k, v in nodes.items()]
    routes = data.get("routes")
    if isinstance(routes, dict):  # routes: {critic: {fn: ..., max_rounds: 3, then: user}}
        data["routes"] = [
            {"source": k, **(v if isinstance(v, dict) else {"fn": v})} for k, v in routes.items()
        ]
    channels = data.get("channels")
    if isinstance(channels, list):
        out = []
        for item in channels:
            if isinstance(item, str):
                try:
                    ends, type_name = item.rsplit(":", 1)
                    source, target = (p.strip() for p in ends.split("->"))
                except ValueError:
                    raise SpecError(
                        f"workflow spec {where}: channel {item!r} is not 'Source -> Target: Type'",
                        hint=_SPEC_HINT,
                    ) from None
                out.append({"source": source, "target": target, "type": type_name.strip()})
            else:
                out.append(item)
        data["channels"] = out
    return data
