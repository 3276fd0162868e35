"""The built-in team as data: its four roles and its channels, named by role. The spec module builds
``Workflow.default()`` from it and checks renamed team specs against it; the team graph runs on it.

user --UserRequest--> QSM --Plan--> SOM --Budget--> QSM --Task x N--> WeQ|SOM (drafts in parallel)
WeQ|SOM --Draft--> Ref --Verdict--> QSM            (accept / reject: the candidate is settled)
                   Ref --RepairPlan--> WeQ|SOM     (revise: bounded repair loop)
QSM --FinalAnswer--> user (collapse: ref_rank | vote | merge);  QSM --FinalAnswer--> SOM --CostReport--> user
"""

from __future__ import annotations

__all__ = ["TEAM_AGENTS", "TEAM_CHANNELS", "TEAM_DESCRIPTION", "TEAM_ROLES", "required_channels"]

TEAM_ROLES = ("coordinator", "communicator", "economist", "reflector")
TEAM_AGENTS = {"QSM": "coordinator", "WeQ": "communicator", "SOM": "economist", "Ref": "reflector"}
TEAM_DESCRIPTION = (
    "QSM routes (a student router; it plans with its LLM when a request needs steps), SOM budgets, "
    "WeQ drafts N candidates with tools and stated formats, Ref checks and verifies, QSM collapses"
)
# (source, target, message type, strength); "user" is the person asking.
TEAM_CHANNELS: tuple[tuple[str, str, str, float], ...] = (
    ("user", "QSM", "UserRequest", 1.0),
    ("QSM", "SOM", "Plan", 0.8),
    ("SOM", "QSM", "Budget", 0.8),
    ("QSM", "WeQ", "Task", 0.9),
    ("QSM", "SOM", "Task", 0.6),
    ("WeQ", "Ref", "Draft", 0.9),
    ("SOM", "Ref", "Draft", 0.6),
    ("Ref", "QSM", "Verdict", 0.8),
    ("Ref", "WeQ", "RepairPlan", 0.7),
    ("Ref", "SOM", "RepairPlan", 0.5),
    ("QSM", "user", "FinalAnswer", 1.0),
    ("QSM", "SOM", "FinalAnswer", 0.5),
    ("SOM", "user", "CostReport", 0.5),
)


def required_channels(names: dict[str, str]) -> list[tuple[str, str, str]]:
    """Channels the team steps send on, for a team whose role -> agent name map is ``names``."""
    q, w, s, r = (names[role] for role in TEAM_ROLES)
    return [
        ("user", q, "UserRequest"),
        (q, s, "Plan"),
        (s, q, "Budget"),
        (q, w, "Task"),
        (w, r, "Draft"),
        (r, q, "Verdict"),
        (r, w, "RepairPlan"),
        (q, "user", "FinalAnswer"),
        (q, s, "FinalAnswer"),
        (s, "user", "CostReport"),
    ]
