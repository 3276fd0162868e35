"""The run database is untrusted input: a checkpoint patched to name os.system, subprocess, a pickle or a
legacy JSON constructor is refused with a clear error when a thread is read, and nothing in it runs."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from click.testing import CliRunner
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from qsm.agents import FakeChatModel
from qsm.cli import cli
from qsm.errors import UnsafeCheckpointError
from qsm.graph import Workflow, load_result, run
from qsm.graph.serde import SafeSerializer
from qsm.graph.workflow_files import EXAMPLES_DIR
from tests.helpers import fake_runtime


class _Shell:
    """Runs ``touch MARKER`` when unpickled: what a hostile pickle row would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (__import__("os").system, (f"touch {self.marker}",))


def _ext(code: int, *parts: Any) -> ormsgpack.Ext:
    return ormsgpack.Ext(code, ormsgpack.packb(parts))


def payloads(marker: Path) -> dict[str, tuple[str, bytes, str]]:
    """name -> (checkpoint format, blob, the name the error must mention)."""
    touch = f"touch {marker}"
    msgpack_exts = {
        "os.system": _ext(0, "os", "system", touch),
        "subprocess.call": _ext(1, "subprocess", "call", (["sh", "-c", touch],)),
        "subprocess.run": _ext(2, "subprocess", "run", {"args": touch, "shell": True}),
        "subprocess.os.system": _ext(3, "subprocess", "os", touch, "system"),
        "os.popen": _ext(5, "os", "popen", {"cmd": touch}, "model_validate_json"),
    }
    out = {}
    for name, ext in msgpack_exts.items():
        out[name] = ("msgpack", ormsgpack.packb({"v": 4, "channel_values": {"request": ext}}), name)
    out["pickle"] = ("pickle", pickle.dumps(_Shell(marker)), "'pickle'")
    lc = {"lc": 2, "type": "constructor", "id": ["os", "system"], "args": [touch]}
    out["json"] = ("json", json.dumps({"channel_values": {"request": lc}}).encode(), "'json'")
    return out


@pytest.mark.parametrize("name", ["os.system", "subprocess.call", "subprocess.run"])
def test_the_payloads_are_live_under_a_permissive_serializer(tmp_path: Path, name: str) -> None:
    """Guards the test below: the same bytes do run code when every type is allowed."""
    marker = tmp_path / "pwned"
    kind, blob, _ = payloads(marker)[name]
    JsonPlusSerializer(allowed_msgpack_modules=True).loads_typed((kind, blob))
    assert marker.exists()


@pytest.mark.parametrize("name", list(payloads(Path("m"))))
def test_safe_serializer_refuses_and_runs_nothing(tmp_path: Path, name: str) -> None:
    marker = tmp_path / "pwned"
    kind, blob, mentioned = payloads(marker)[name]
    with pytest.raises(UnsafeCheckpointError, match="run database") as info:
        SafeSerializer().loads_typed((kind, blob))
    assert mentioned in info.value.message and "runs.sqlite" in info.value.hint
    assert not marker.exists()


def test_safe_serializer_round_trips_what_qsm_and_langgraph_store() -> None:
    from langgraph.types import Command, Send

    from qsm.agents.messages import Draft

    serde = SafeSerializer()
    value = {
        "trace": [{"id": "draft:" + "0" * 64, "n": 1}],
        "goto": Send("Ref.verify", {"candidate": 1}),
        "cmd": Command(goto="QSM.collapse"),
        "draft": Draft(text="4", author="WeQ", candidate=1),
    }
    back = serde.loads_typed(serde.dumps_typed(value))
    assert back["trace"] == value["trace"] and back["goto"] == value["goto"]
    assert isinstance(back["cmd"], Command) and back["draft"] == Draft(text="4", author="WeQ", candidate=1)


def patched_run_db(tmp_path: Path, payload: tuple[str, bytes, str]) -> tuple[Path, str]:
    """A finished pipeline run whose latest checkpoint is replaced by ``payload``."""
    rt = fake_runtime(tmp_path, {"*": FakeChatModel()})
    result = run(Workflow.from_yaml(EXAMPLES_DIR / "review.yaml"), "What is 2+2?", runtime=rt, thread_id="t1")
    assert result.status == "ok"
    rt.close()
    db_path = tmp_path / "data" / "runs.sqlite"
    db = sqlite3.connect(db_path)
    with db:
        db.execute(
            "UPDATE checkpoints SET type=?, checkpoint=? WHERE thread_id='t1' AND checkpoint_id="
            "(SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id='t1')",
            payload[:2],
        )
    db.close()
    return tmp_path / "data", "t1"


@pytest.mark.parametrize("name", ["os.system", "subprocess.call", "pickle"])
def test_patched_run_database_does_not_execute_on_trace_or_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    marker = tmp_path / "pwned"
    payload = payloads(marker)[name]
    data_dir, thread = patched_run_db(tmp_path, payload)
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "trace", thread])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert payload[2] in result.output
    assert "nothing in it ran" in result.output or "never writes" in result.output
    assert "runs.sqlite" in result.output
    rt = fake_runtime(tmp_path, {"*": FakeChatModel()})
    with pytest.raises(UnsafeCheckpointError):
        load_result(thread, rt)
    rt.close()
    assert not marker.exists()
