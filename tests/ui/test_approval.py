"""The chat's answer box (qsm/ui/approval.py) in Streamlit's AppTest: a run that asks the user shows its
question with Approve / Reject and a text box instead of Resume; answering resumes it in the app's run
manager and the page shows the answer."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from qsm.graph import Runtime, Workflow, run
from qsm.graph.workflow_files import EXAMPLES_DIR
from qsm.settings import load_settings
from qsm.ui import APP_PATH
from tests.ui.test_apptest import texts

SPEC = """
name: approve-draft
kind: pipeline
agents:
  writer: {role: communicator}
channels:
  - "user -> writer: UserRequest"
  - "writer -> user: Draft"
approvals:
  - {agent: writer}
"""
VERDICT_SPEC = """
name: ref-approves
kind: pipeline
agents:
  writer: {role: communicator}
  Ref: {role: reflector}
nodes:
  publish: qsm.graph.flow_examples:publish
channels:
  - "user -> writer: UserRequest"
  - "writer -> Ref: Draft"
  - "writer -> publish: Draft"
  - "Ref -> publish: Verdict"
  - "publish -> user: Note"
approvals:
  - {agent: Ref}
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")


def _waiting(spec: str, thread: str) -> None:
    with Runtime(load_settings(), memory=None, ledger=None) as rt:
        result = run(Workflow.from_yaml(spec), "Name a colour.", runtime=rt, thread_id=thread)
    assert result.status == "waiting"


def _open(thread: str) -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.query_params["thread"] = thread
    at.run()
    assert not at.exception, at.exception
    return at


def _question(at: AppTest) -> str:
    return "\n".join(str(t.value) for t in at.text)


def test_a_typed_answer_resumes_the_run(fake: None) -> None:
    _waiting(SPEC, "ask-text")
    at = _open("ask-text")
    assert "writer proposes:" in _question(at)
    assert "The run waits for your answer." in texts(at) and "No final answer yet" not in texts(at)
    assert not [b for b in at.button if b.key == "resume-ask-text"], "the answer box replaces Resume"
    assert not [b for b in at.button if b.key == "approve-ask-text"], "a text question has no Approve"
    at.text_input(key="answer-text-ask-text").set_value("Green, typed in the app")
    next(b for b in at.button if b.key == "answer-send-ask-text").click().run()
    assert not at.exception, at.exception
    assert "Green, typed in the app" in texts(at)
    with Runtime(load_settings(), memory=None, ledger=None) as rt:
        assert rt.runs.thread("ask-text").status == "ok"


def test_reject_answers_a_yes_no_question(fake: None) -> None:
    _waiting(VERDICT_SPEC, "ask-verdict")
    at = _open("ask-verdict")
    assert "Ref says" in _question(at)
    next(b for b in at.button if b.key == "reject-ask-verdict").click().run()
    assert not at.exception, at.exception
    assert "unverified" in texts(at) and "the user answered 'no'" in texts(at)


def test_the_graph_view_draws_python_nodes() -> None:
    from qsm.ui.graph_view import topology_dot

    wf = Workflow.from_yaml(EXAMPLES_DIR / "draft-check-loop.yaml")
    dot = topology_dot(wf, wf.channels, active_agent="check")
    assert '"check" [shape=note, fillcolor="#ffd54f", label="check\\npython"];' in dot
    assert '"publish" [shape=note' in dot and '"check" -> "writer"' in dot


def test_a_chat_whose_live_run_asks_shows_the_box(fake: None) -> None:
    data_dir = load_settings().data_dir
    (data_dir / "workflows").mkdir(parents=True, exist_ok=True)
    (data_dir / "workflows" / "approve-draft.yaml").write_text(SPEC)
    at = AppTest.from_file(str(APP_PATH), default_timeout=120)
    at.run()
    at.selectbox(key="chat_workflow").set_value("approve-draft").run()
    at.chat_input[0].set_value("Name a colour.").run()
    assert not at.exception, at.exception
    at.run()  # the page after the run stopped to ask
    assert "writer proposes:" in _question(at), texts(at)
    send = [b for b in at.button if b.key and b.key.startswith("answer-send-")]
    assert send, "the answer box is shown under the live run's answer"
    thread = send[0].key.removeprefix("answer-send-")
    at.text_input(key=f"answer-text-{thread}").set_value("Red, typed while following")
    send[0].click().run()
    assert not at.exception, at.exception
    assert "Red, typed while following" in texts(at)


def test_the_sidebar_says_a_waiting_chat_waits_for_you() -> None:
    from qsm.ui.thread_list import status_words

    assert status_words("waiting", live=False) == ("waits for you", "violet")
