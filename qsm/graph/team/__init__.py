"""The built-in team workflow: request analysis, routing, tools, Ref's checks, collapse."""

from qsm.graph.team.topology import NODES, build_team_graph

__all__ = ["NODES", "build_team_graph"]
