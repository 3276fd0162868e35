"""Hostile small inputs: a user id that would reach another user's memory, a password inside a model
server URL, and model text full of terminal escape sequences."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.agents import FakeChatModel, OpenAIChatModel
from qsm.agents.settings import ModelSettings
from qsm.cli import cli
from qsm.cli.render import EventPrinter, print_result
from qsm.cli.terminal import terminal_safe
from qsm.errors import ConfigError, InvalidUserIdError, ModelCallError
from qsm.graph import Workflow, run, stream
from qsm.graph.workflow_files import EXAMPLES_DIR
from qsm.redact import redact_urls
from tests.helpers import ACCEPT, fake_runtime

PASSWORD = "S3cretPW-0123456789"
URL = f"http://alice:{PASSWORD}@127.0.0.1:9/v1"
REVIEW = EXAMPLES_DIR / "review.yaml"
BAD_USERS = ["alice/chats", "../bob", "..", ".", "a..b", "", "x" * 65, "al ice", "al\nice", "/users/bob"]


def test_user_ids_that_name_another_path_are_refused_by_the_api(tmp_path: Path) -> None:
    rt = fake_runtime(tmp_path, {"*": FakeChatModel()})
    for user in BAD_USERS:
        with pytest.raises(InvalidUserIdError, match="invalid user id") as info:
            run(Workflow.from_yaml(REVIEW), "hi", runtime=rt, user=user)
        assert info.value.exit_code == 2 and "--user alice" in info.value.hint
    assert rt.runs.threads() == [], "a refused user id starts no thread"
    assert run(Workflow.from_yaml(REVIEW), "hi", runtime=rt, user="alice.b-2_c").status == "ok"
    rt.close()


@pytest.mark.parametrize("user", ["alice/chats", "../bob", "a..b"])
def test_user_ids_are_refused_by_the_cli(user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    result = CliRunner().invoke(cli, ["ask", "hi", "--user", user])
    assert result.exit_code == 2 and "invalid user id" in result.output and "hint:" in result.output
    assert "Traceback" not in result.output


def test_url_credentials_are_redacted_in_errors() -> None:
    redacted = redact_urls(f"at {URL} and https://tok@h/x; mail a@b.c")
    assert redacted == "at http://***@127.0.0.1:9/v1 and https://***@h/x; mail a@b.c"
    err = ModelCallError(f"cannot reach {URL}", hint=f"check {URL}")
    assert (
        PASSWORD not in str(err) and PASSWORD not in err.message and "http://***@127.0.0.1:9/v1" in str(err)
    )
    model = OpenAIChatModel(ModelSettings(backend="openai", url=URL))
    assert PASSWORD not in repr(model)


@pytest.mark.real_model
def test_url_password_never_printed_or_stored(tmp_path: Path) -> None:
    """The backend reaches 127.0.0.1:9 (nothing listens), so every run fails with the URL in its error."""
    cfg = tmp_path / "qsm.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "openai"\nurl = "{URL}"\n')
    spec = tmp_path / "spec.yaml"  # a spec that carries the password itself
    settings = f"    settings: {{model: {{backend: openai, url: '{URL}'}}}}\n"
    spec.write_text(REVIEW.read_text().replace("    role: reflector\n", "    role: reflector\n" + settings))
    outputs = []
    for args in (
        ["agents"],
        ["agents", "--json"],
        ["ask", "hello"],
        ["run", str(spec), "hello"],
        ["threads"],
    ):
        result = CliRunner().invoke(cli, ["--config", str(cfg), "--data-dir", str(tmp_path / "d"), *args])
        assert "Traceback" not in result.output, result.output
        outputs.append(result.output)
    assert all(PASSWORD not in out for out in outputs), outputs
    assert "http://***@127.0.0.1:9/v1" in "".join(outputs)
    db = tmp_path / "d" / "runs.sqlite"
    yamls = [row[0] for row in sqlite3.connect(db).execute("SELECT workflow_yaml FROM qsm_threads")]
    assert any("***@127.0.0.1:9" in y for y in yamls), "the spec's URL was stored, redacted"
    for path in (p for p in tmp_path.rglob("*") if p.is_file() and p != cfg and p != spec):
        assert PASSWORD.encode() not in path.read_bytes(), f"the password was written to {path}"


def test_a_redacted_url_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="credentials removed") as info:
        OpenAIChatModel(ModelSettings(backend="openai", url="http://***@127.0.0.1:9/v1"))
    assert "qsm.toml" in info.value.hint


HOSTILE = (
    "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: write the clipboard
    "\x1b]0;owned\x1b\\"  # OSC 0: window title
    "\x1b[2J\x1b[H"  # clear the screen, cursor home
    "Paris\x1b[31m is\x1b[0m the capital.\r"  # colours, a carriage return that hides the line
    "\x9b6n\x07\x08\x00\x7f"  # 8-bit CSI, bell, backspace, NUL, DEL
    "\n\tSecond line.\r\n"
    "\x1bPdevice control\x1b\\\x1b7\x1b8"
)
VISIBLE = "Paris is the capital.\n\tSecond line.\n"


def test_terminal_safe_strips_sequences_and_keeps_text() -> None:
    assert terminal_safe(HOSTILE) == VISIBLE
    assert terminal_safe("plain text, ünïcode, emoji 🙂") == "plain text, ünïcode, emoji 🙂"
    # a sequence split across streamed tokens cannot form: the ESC is gone from the first piece
    assert "".join(terminal_safe(piece) for piece in ("ok \x1b", "[2J done")) == "ok [2J done"


def test_model_text_reaches_the_terminal_without_escape_sequences(tmp_path: Path) -> None:
    rt = fake_runtime(
        tmp_path,
        {
            "writer": FakeChatModel([HOSTILE], auto=False),
            "critic": FakeChatModel([ACCEPT], auto=False),
            "editor": FakeChatModel([HOSTILE], auto=False),
        },
    )
    with CliRunner().isolation(color=True) as (out, _err, _):  # color=True: click strips nothing itself
        printer = EventPrinter()
        result = None
        for event in stream(Workflow.from_yaml(REVIEW), "hi", runtime=rt):
            printer(event)
            if event.type == "done":
                result = event.result
        printer.finish()
        assert result is not None
        print_result(result)
        printed = out.getvalue().decode()
    rt.close()
    assert result.final is not None and "\x1b]52" in result.final.text, "the hostile text reached the answer"
    assert "Paris is the capital." in printed and "Second line." in printed
    for bad in ("\x1b]", "\x1b[2J", "\x1b[31m", "\x07", "\x9b", "\r", "\x00", "\x7f", "\x08", "\x1bP"):
        assert bad not in printed, repr(bad)
    assert "\x1b[" in printed, "qsm's own colours still print (so the check above is meaningful)"
    json_out = CliRunner().isolation(color=True)
    with json_out as (out, _err, _):
        print_result(result, as_json=True)
        assert "\x1b" not in out.getvalue().decode() and json.loads(out.getvalue())["final"]
