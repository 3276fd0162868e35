"""With API keys (``qsm serve keys add USER``) the app asks every session for one before any page renders,
and a signed-in user sees only their own chats and memory: alice never sees bob's thread, by the list or
by its link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

from qsm.apikeys import KeyStore
from qsm.ui import APP_PATH
from tests.ui.test_apptest import ask, texts


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    store = KeyStore(Path(os.environ["QSM_DATA_DIR"]))
    made = {user: store.add(user)[1] for user in ("alice", "bob")}
    store.close()
    return made


def _app() -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, key: str) -> AppTest:
    at.text_input[0].set_value(key)
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    return at


def test_nothing_renders_before_sign_in_and_a_wrong_key_is_refused(keys: dict[str, str]) -> None:
    at = _app()
    assert [t.label for t in at.text_input] == ["API key"] and at.text_input[
        0
    ].proto.type == TextInputProto.PASSWORD
    assert not at.chat_input and not at.sidebar.button, "no page before signing in"
    assert "Ask the team" not in [t.value for t in at.title]
    _sign_in(at, keys["alice"][:-2] + "xx")
    assert "not valid" in texts(at)
    assert not at.chat_input and [t.label for t in at.text_input] == ["API key"]
    assert "login_user" not in at.session_state


def test_each_user_sees_only_their_own_threads(keys: dict[str, str]) -> None:
    bob = _sign_in(_app(), keys["bob"])
    assert "Signed in as **bob**" in texts(bob)
    assert not [t for t in bob.text_input if t.label == "You are"], "the key names the user"
    ask(bob, "What is bob's secret plan?")
    bob_thread = bob.session_state["thread"]

    alice = _sign_in(_app(), keys["alice"])
    assert "Signed in as **alice**" in texts(alice)
    ask(alice, "Name a prime number.")
    alice.run()  # the sidebar redraws with the new thread
    threads = [b for b in alice.sidebar.button if b.key and b.key.startswith("thread-")]
    assert [b.key for b in threads] == [f"thread-{alice.session_state['thread']}"]
    assert "bob's secret plan" not in texts(alice)

    alice.switch_page("pages/graph.py").run()  # the Graph inspector lists only alice's runs
    runs = alice.selectbox[0].options
    assert any(alice.session_state["thread"] in o for o in runs) and not any(bob_thread in o for o in runs)
    alice.switch_page("pages/memory.py").run()
    assert not alice.exception, alice.exception
    dirs = alice.radio[0].options
    assert alice.radio[0].value == "/users/alice" and dirs[0].startswith("alice"), dirs
    assert not any("bob" in d or "users" in d for d in dirs), "only alice's own subtree"
    next(t for t in alice.text_input if t.label == "Search").set_value("plan").run()
    next(t for t in alice.text_input if t.label == "within").set_value("/users/bob").run()
    assert "You can search only within /users/alice." in texts(alice) and "secret plan" not in texts(alice)

    link = AppTest.from_file(str(APP_PATH), default_timeout=120)
    link.query_params["thread"] = bob_thread
    link.run()
    _sign_in(link, keys["alice"])  # a link opened before signing in still opens after it
    assert f"No thread {bob_thread}." in texts(link) and "bob's secret plan" not in texts(link)

    next(b for b in link.sidebar.button if b.label == "Log out").click().run()
    assert not link.exception, link.exception
    assert not link.chat_input and [t.label for t in link.text_input] == ["API key"]
    assert "Name a prime number" not in texts(link)


def test_a_signed_in_user_cannot_change_the_shared_settings(keys: dict[str, str]) -> None:
    alice = _sign_in(_app(), keys["alice"])
    alice.switch_page("pages/settings.py").run()
    assert not alice.exception, alice.exception
    labels = [b.label for b in alice.button]
    assert "Save to config file" not in labels and "Apply to this session" not in labels, labels
    assert any("read-only when you sign in" in i.value for i in alice.info)
