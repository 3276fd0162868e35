"""The app in server mode (``[ui] server``): a real ``qsm serve`` on a loopback port with fake models, and
the app under Streamlit's AppTest asking it with the key in ``$QSM_API_KEY``. Its threads are the server's,
scoped to the key's user; a server that is down, or a bad key, is a clear error."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from qsm.agents import FakeChatModel
from qsm.agents.fake import FakeCall
from qsm.errors import ConfigError
from qsm.settings import load_settings
from qsm.ui import APP_PATH, remote_chat
from qsm.ui.server_client import ServerClient, ServerError
from tests.serve.conftest import Served, serving
from tests.ui.test_approval import SPEC
from tests.ui.test_apptest import texts


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server_dir = tmp_path / "server"  # its data dir is server/data, not the app's: the app must not read it
    (server_dir / "data" / "workflows").mkdir(parents=True)
    (server_dir / "data" / "workflows" / "approve-draft.yaml").write_text(SPEC)
    with serving(server_dir) as s:
        yield s


def _configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, key: str | None) -> None:
    """The app's config names the server (``[ui] server``); its key is in ``$QSM_API_KEY``."""
    config = tmp_path / "app.toml"
    config.write_text(f'[ui]\nserver = "{url}"\n')
    monkeypatch.setenv("QSM_UI_CONFIG", str(config))
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    if key is None:
        monkeypatch.delenv("QSM_API_KEY", raising=False)
    else:
        monkeypatch.setenv("QSM_API_KEY", key)


def _app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, key: str | None, thread: str | None = None
) -> AppTest:
    _configure(monkeypatch, tmp_path, url, key)
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    if thread is not None:  # a chat's link: ?thread=
        at.query_params["thread"] = thread
    at.run()
    assert not at.exception, at.exception
    return at


def _thread_buttons(at: AppTest) -> list[str]:
    return [b.key.removeprefix("thread-") for b in at.sidebar.button if b.key and b.key.startswith("thread-")]


def test_ask_through_the_server_and_the_thread_is_the_key_users(
    served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, alice = served.keys.add("alice")
    _, bob = served.keys.add("bob")
    at = _app(monkeypatch, tmp_path, served.url, alice)
    at.chat_input[0].set_value("Why is the sea salty?").run()
    assert not at.exception, at.exception
    out = texts(at)
    assert "(fake model) reply to:" in out and "Why is the sea salty?" in out, out
    assert any("**QSM** plans" in e.label for e in at.expander), "the streamed steps are drawn"
    thread = at.session_state["thread"]
    assert _thread_buttons(at) == [thread], "the sidebar lists the server's thread"

    with ServerClient(served.url, alice) as mine, ServerClient(served.url, bob) as theirs:
        assert [t.thread_id for t in mine.threads()] == [thread]
        assert mine.threads()[0].request == "Why is the sea salty?"
        assert theirs.threads() == [] and theirs.state(thread) is None
    assert not (load_settings().data_dir / "runs.sqlite").exists(), "no run in the app's own data dir"

    at.chat_input[0].set_value("And why is it blue?").run()  # the next turn of the same thread
    assert not at.exception, at.exception
    assert at.session_state["thread"] == thread and "And why is it blue?" in texts(at)
    with ServerClient(served.url, alice) as mine:
        state = mine.state(thread)
        assert state is not None
        assert [t.question for t in state.turns] == ["Why is the sea salty?", "And why is it blue?"]

    other = _app(monkeypatch, tmp_path, served.url, bob, thread)  # bob's: not alice's chat, even by its link
    assert _thread_buttons(other) == []
    assert f"No thread {thread}." in texts(other)


def test_a_shared_app_signs_each_session_in_with_its_own_key(
    served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On the server host with the server's data dir (its keys: the app may listen beyond loopback), each
    session signs in and the server sees that session's user, never $QSM_API_KEY's."""
    _, alice = served.keys.add("alice")
    _, bob = served.keys.add("bob")
    monkeypatch.setenv("QSM_DATA_DIR", str(served.runtime.data_dir))
    at = _app(monkeypatch, tmp_path, served.url, bob)
    assert at.title[0].value == "Sign in to qsm" and not at.chat_input, "no chat before signing in"
    at.text_input[0].set_value(alice)
    at.button[0].click().run()
    assert not at.exception, at.exception
    at.chat_input[0].set_value("Why is the sea salty?").run()
    assert not at.exception, at.exception
    thread = at.session_state["thread"]
    with ServerClient(served.url, alice) as mine, ServerClient(served.url, bob) as theirs:
        assert [t.thread_id for t in mine.threads()] == [thread]
        assert theirs.threads() == []


def test_stop_and_resume_a_run_on_the_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    gate, asked = threading.Event(), threading.Event()

    def slow(call: FakeCall) -> str:
        asked.set()
        assert gate.wait(60)
        return "The sea is salty because rivers carry minerals into it."

    with serving(tmp_path / "server", {"WeQ": FakeChatModel([slow, slow])}) as served:
        with ServerClient(served.url) as client:
            run = client.ask("Why is the sea salty?", workflow="team")
            assert asked.wait(30), "WeQ was never asked"
            assert client.live(run.thread_id) is not None
            _configure(monkeypatch, tmp_path, served.url, None)
            remote_chat._stop(run.thread_id)  # the page's Stop button
            gate.set()
            for _ in client.events(run.thread_id, run.run_id):
                pass
            assert client.run(run.thread_id, run.run_id).status == "interrupted"
        at = _app(monkeypatch, tmp_path, served.url, None, run.thread_id)
        resume = [b for b in at.button if b.key == f"resume-{run.thread_id}"]
        assert resume, texts(at)
        resume[0].click().run()
        assert not at.exception, at.exception
        assert "rivers carry minerals" in texts(at)


def test_a_waiting_run_is_answered_in_the_app(
    served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = _app(monkeypatch, tmp_path, served.url, None)
    at.selectbox(key="chat_workflow").set_value("approve-draft").run()
    at.chat_input[0].set_value("Name a colour.").run()
    assert not at.exception, at.exception
    assert "writer proposes:" in "\n".join(str(t.value) for t in at.text), texts(at)
    thread = at.session_state["thread"]
    at.text_input(key=f"answer-text-{thread}").set_value("Red, typed in server mode")
    next(b for b in at.button if b.key == f"answer-send-{thread}").click().run()
    assert not at.exception, at.exception
    assert "Red, typed in server mode" in texts(at)
    with ServerClient(served.url) as client:
        assert client.threads()[0].status == "ok"


def test_a_server_that_is_down_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    at = _app(monkeypatch, tmp_path, f"http://127.0.0.1:{port}", "qsm-whatever")
    out = "\n".join(e.body for e in at.error)
    assert f"cannot reach the qsm server at http://127.0.0.1:{port}" in out, texts(at)
    assert "qsm serve" in out and "unset [ui] server" in out and "qsm-whatever" not in texts(at)
    at.switch_page("pages/memory.py").run()  # the other pages say what to do, without a traceback
    assert not at.exception, at.exception
    assert "run `qsm ui` on the server host" in texts(at)


def test_a_bad_key_is_a_clear_error(served: Served, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    served.keys.add("alice")
    at = _app(monkeypatch, tmp_path, served.url, "qsm-0000-not-a-key")
    out = "\n".join(e.body for e in at.error)
    assert "refused the API key" in out and "QSM_API_KEY" in out and "qsm serve keys add" in out, texts(at)
    assert "qsm-0000-not-a-key" not in texts(at)
    at = _app(monkeypatch, tmp_path, served.url, None)
    assert "needs an API key" in "\n".join(e.body for e in at.error)


@pytest.mark.parametrize(
    "url",
    ["ftp://host:1", "127.0.0.1:8400", "http://user:secret@host:8400", "http://host:8400/?key=x"],
)
def test_a_bad_server_url_is_refused(url: str, tmp_path: Path) -> None:
    config = tmp_path / "qsm.toml"
    config.write_text(f'[ui]\nserver = "{url}"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    assert "ui.server" in err.value.message and "secret" not in str(err.value)


def test_the_server_url_loses_its_trailing_slash(tmp_path: Path) -> None:
    config = tmp_path / "qsm.toml"
    config.write_text('[ui]\nserver = "http://127.0.0.1:8400/"\n')
    assert load_settings(config).ui.server == "http://127.0.0.1:8400"


def test_the_client_never_shows_its_key() -> None:
    client = ServerClient("http://127.0.0.1:9", "qsm-abcd-secret")
    assert "secret" not in repr(client)
    with pytest.raises(ServerError) as err:
        client.threads()
    assert "secret" not in str(err.value) and "cannot reach" in err.value.message
