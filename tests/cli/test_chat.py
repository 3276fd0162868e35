"""`qsm chat` driven through a pseudo-terminal, as a person types: two turns on one thread (the second
carries the first), /history, Ctrl-C while WeQ writes (the chat stays, /resume finishes the turn), /new and
/quit. The fake backend answers; WeQ is slowed so that Ctrl-C lands mid-answer."""

from __future__ import annotations

import os
import pty
import re
import select
import sys
import time
from pathlib import Path

import pytest

from qsm.graph import Runtime, Workflow
from qsm.graph.compile import compiled
from qsm.settings import load_settings

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CAPITAL, PEOPLE, SEA = (
    "What is the capital of France?",
    "How many people live there?",
    "Why is the sea salty?",
)


class Terminal:
    """A child process on a pseudo-terminal: what it printed (without colours), and keys to send it."""

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: qsm chat
            os.execv(argv[0], argv)
        self.text = ""
        self.mark = 0
        self.exit_code: int | None = None

    def expect(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        """Wait until the output after the last match matches ``pattern``."""
        end = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text[self.mark :], re.S)
            if found:
                self.mark += found.end()
                return found
            if time.monotonic() > end:
                raise AssertionError(f"no {pattern!r} in:\n{self.text[self.mark :]}")
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    chunk = ""
                self.text += _ANSI.sub("", chunk.replace("\r", ""))

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def wait(self, timeout: float = 30.0) -> int:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_code = os.waitstatus_to_exitcode(status)
                return self.exit_code
            try:  # keep draining so that the child never blocks on a full terminal
                if select.select([self.fd], [], [], 0.1)[0]:
                    self.text += _ANSI.sub("", os.read(self.fd, 4096).decode(errors="replace"))
            except OSError:
                pass
        raise AssertionError(f"qsm chat did not leave; it printed:\n{self.text}")

    def close(self) -> None:
        if self.exit_code is None:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def test_qsm_chat_two_turns_history_ctrl_c_resume_new(tmp_path: Path) -> None:
    cfg = tmp_path / "fake.toml"
    cfg.write_text(
        f'data_dir = "{tmp_path / "d"}"\n[defaults.model]\nbackend = "fake"\n'
        "[agents.WeQ.model]\nfake_delay_s = 1.5\n"  # WeQ writes slowly enough for Ctrl-C to land
        "[memory]\nenabled = false\n[ledger]\nenabled = false\n"
        '[runtime]\nrouter = "llm"\ntools = false\nref_judge = "checks+model"\n'
    )
    term = Terminal([sys.executable, "-m", "qsm.cli", "--config", str(cfg), "chat"])
    try:
        thread = term.expect(r"qsm chat · thread (\w+)").group(1)
        term.expect(r"you › ")
        term.send(CAPITAL + "\n")
        first = int(term.expect(r"qsm › [^\n]*capital of France\?\n\s*\[ok · 4 calls, (\d+) tokens").group(1))
        term.expect(r"you › ")
        term.send(PEOPLE + "\n")
        second = int(term.expect(r"qsm › [^\n]*live there\?\n\s*\[ok · 4 calls, (\d+) tokens").group(1))
        assert second > first  # the first turn rode along in the second one's prompts
        term.expect(r"you › ")
        term.send("/history\n")
        term.expect(rf"1\. you: {re.escape(CAPITAL)}\n\s*qsm: .*?2\. you: {re.escape(PEOPLE)}\n\s*qsm: ")
        term.expect(r"you › ")

        term.send(SEA + "\n")
        term.expect(r"\[WeQ · draft")
        time.sleep(0.3)
        term.send("\x03")  # Ctrl-C while WeQ writes (its call takes 1.5 s)
        pressed = time.monotonic()
        term.expect(r"stopping at the next token")
        term.expect(r"stopped\. /resume finishes this turn")
        assert time.monotonic() - pressed < 1.0, "Ctrl-C waited for WeQ's call to finish"
        term.expect(r"you › ")  # the chat is still there
        term.send("/history\n")
        term.expect(rf"3\. you: {re.escape(SEA)}\n\s*qsm: \(no answer: interrupted\)")
        term.expect(r"you › ")
        term.send("/resume\n")
        term.expect(r"qsm › [^\n]*sea salty\?\n\s*\[ok")
        term.expect(r"you › ")

        term.send("/new\n")
        new = term.expect(r"new conversation · thread (\w+)").group(1)
        assert new != thread
        term.expect(r"you › ")
        term.send("/history\n")
        term.expect(r"no turns yet")
        term.expect(r"you › ")
        term.send("/quit\n")
        assert term.wait() == 0
    finally:
        term.close()
    # the second turn's run state holds the first turn, which is what QSM's and WeQ's prompts are built from
    with Runtime(load_settings(cfg), memory=None, ledger=None) as runtime:
        checkpoints = compiled(runtime, Workflow.default()).get_state_history(
            {"configurable": {"thread_id": thread}}
        )
        carried = {
            (t["question"], t["answer"])
            for snap in checkpoints
            if snap.values.get("request")
            for t in (snap.values.get("conversation") or {}).get("turns", [])
        }
    assert (CAPITAL, f"(fake model) reply to: Request: {CAPITAL}") in carried
