"""The team workflow's steps. Each step runs one agent, sends its output on a channel, and says where
the run goes next. Budget exhaustion settles what is in flight and goes to the collapse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qsm.graph.spec import Workflow
from qsm.graph.stepbase import StepsBase
from qsm.graph.team_candidates import CandidateSteps
from qsm.graph.team_measure import MeasurementSteps

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["TeamSteps"]


class TeamSteps(CandidateSteps, MeasurementSteps):
    def __init__(self, workflow: Workflow, runtime: Runtime) -> None:
        StepsBase.__init__(self, workflow, runtime)
        self.coordinator = workflow.by_role("coordinator")
        self.communicator = workflow.by_role("communicator")
        self.economist = workflow.by_role("economist")
        self.reflector = workflow.by_role("reflector")
        rs = runtime.settings.runtime
        self.fan_out = workflow.fan_out or rs.fan_out
        self.repair_limit = workflow.repair_limit if workflow.repair_limit is not None else rs.repair_limit
        self.collapse_mode = workflow.collapse or rs.collapse
