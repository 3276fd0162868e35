"""The inspector's routing panel: which router decided the run's route (the classical student, the quantum
student, QSM's LLM or the default), with what confidence, and the quantum student's circuit as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qsm.agents.messages import Plan
from qsm.errors import QsmError
from qsm.graph import Envelope

__all__ = ["routing_line", "show_routing"]

_WHO = {
    "student": "the student router (classifier over the MiniLM embedding)",
    "quantum": "the quantum student router (PennyLane circuit)",
    "llm": "QSM's LLM plan",
    "default": "the default route (QSM's plan reply was unusable)",
}


def routing_line(trace: list[Envelope]) -> str | None:
    """'Routed to X by Y (confidence c)' for the run's plan, or None before QSM planned."""
    plan_env = next((e for e in trace if e.type == "Plan"), None)
    if plan_env is None:
        return None
    plan = plan_env.message_as(Plan)
    confidence = f" (student confidence {plan.confidence:.2f})" if plan.confidence is not None else ""
    return f"Routed to **{plan.route_to}** by {_WHO.get(plan.router, plan.router)}{confidence}."


def show_routing(st: Any, trace: list[Envelope], router_path: Path | None = None) -> None:
    """The routing line and, when the quantum student decided, its circuit (PennyLane's text drawer)."""
    line = routing_line(trace)
    if line is None:
        return
    st.subheader("Routing")
    st.markdown(line)
    plan_env = next(e for e in trace if e.type == "Plan")
    if plan_env.message_as(Plan).router != "quantum":
        return
    with st.expander("The quantum student's circuit"):
        try:
            from qsm.agents.quantum_router import QuantumRouterStudent

            student = QuantumRouterStudent.load(router_path)
            st.caption(
                f"{student.qubits} qubits, {student.layers} entangling layers, "
                f"{student.parameters} trainable parameters"
            )
            st.code(student.draw(), language=None)
        except QsmError as err:
            st.caption(f"{err.message} ({err.hint})" if err.hint else err.message)
