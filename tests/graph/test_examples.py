"""The shipped examples are real user paths: they must load and run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qsm.graph import Workflow, run
from qsm.graph.workflow_files import EXAMPLES_DIR
from tests.helpers import fake_runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("spec", sorted(EXAMPLES_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_example_specs_run(tmp_path: Path, spec: Path) -> None:
    from qsm.agents import FakeChatModel

    workflow = Workflow.from_yaml(spec)
    with fake_runtime(tmp_path, {"*": FakeChatModel()}) as rt:
        result = run(workflow, workflow.prompt or "Name three prime numbers.", runtime=rt)
    assert result.status == "ok" and result.final_id


def test_example_script_runs(tmp_path: Path) -> None:
    env = {**os.environ, "QSM_DEFAULTS__MODEL__BACKEND": "fake", "QSM_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "script.py")], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "final:" in out.stdout and "(fake model) reply to:" in out.stdout
