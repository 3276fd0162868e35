"""The chat people expect (issue 13 item 4), in Streamlit's AppTest on the fake model: chats found by search,
renamed and deleted (checkpoints and index row gone); thumbs up/down kept with the run and exported as
training data; Regenerate making a new branch of the thread; citations [n] linked to the sources under the
answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from qsm.graph import Runtime, Workflow
from qsm.graph.compile import compiled
from qsm.graph.thread_notes import ThreadNotes
from qsm.graph.turn_history import thread_turns
from qsm.settings import load_settings
from qsm.ui import APP_PATH, services
from qsm.ui.answer_card import linked_citations, source_anchor, sources_html
from tests.ui.test_apptest import ask, texts

SEA, PRIME = "Why is the sea salty?", "Name a prime number."


def _threads(at: AppTest) -> dict[str, str]:
    """thread id -> its label in the sidebar."""
    return {
        b.key.removeprefix("thread-"): b.label
        for b in at.sidebar.button
        if b.key and b.key.startswith("thread-")
    }


def _two_chats(at: AppTest) -> tuple[str, str]:
    ask(at, SEA)
    next(b for b in at.sidebar.button if b.label == "New chat").click().run()
    ask(at, PRIME)
    at.run()  # the sidebar drawn with both
    with Runtime(load_settings(), memory=None, ledger=None) as rt:
        prime, sea = (t.thread_id for t in rt.runs.threads(2))
    return sea, prime


def _runtime() -> Runtime:
    return Runtime(load_settings(), memory=None, ledger=None)


def test_search_rename_and_delete_chats(app: AppTest) -> None:
    sea, prime = _two_chats(app)
    assert set(_threads(app)) == {sea, prime}
    assert any(c.value == "Today" for c in app.sidebar.caption), "chats are grouped by day"

    app.text_input(key="chat_search").set_value("SALTY sea").run()
    assert set(_threads(app)) == {sea}, "the search keeps the chats with every word, in any case"
    app.text_input(key="chat_search").set_value("tides").run()
    assert not _threads(app) and "No chat matches “tides”." in texts(app)
    app.text_input(key="chat_search").set_value("").run()

    app.text_input(key=f"title-{prime}").set_value("  Primes   for my maths class ")
    app.button(key=f"rename-{prime}").click().run()
    assert "Primes for my maths class" in _threads(app)[prime]
    app.text_input(key="chat_search").set_value("maths").run()
    assert set(_threads(app)) == {prime}, "a renamed chat is found by its title"
    app.text_input(key="chat_search").set_value("").run()
    with _runtime() as rt:
        assert services.notes(rt).titles() == {prime: "Primes for my maths class"}

    # the open chat (prime) is deleted: its checkpoints, index row and title go, and the page shows none
    app.button(key=f"delete-{prime}").click().run()
    assert not app.exception, app.exception
    assert set(_threads(app)) == {sea}
    assert "thread" not in app.query_params and PRIME not in texts(app)
    with _runtime() as rt:
        assert rt.runs.thread(prime) is None and rt.runs.thread(sea) is not None
        assert rt.runs.saver.get_tuple({"configurable": {"thread_id": prime, "checkpoint_ns": ""}}) is None
        assert rt.runs.last_checkpoint(sea) is not None, "the other chat keeps its checkpoints"
        assert services.notes(rt).titles() == {}
    link = AppTest.from_file(str(APP_PATH), default_timeout=120)  # the deleted chat's link, opened afresh
    link.query_params["thread"] = prime
    link.run()
    assert f"No thread {prime}." in texts(link) and PRIME not in texts(link)


def test_thumbs_are_stored_with_the_run_and_exported(app: AppTest, tmp_path: Path) -> None:
    ask(app, SEA)
    with _runtime() as rt:
        info = rt.runs.threads(1)[0]
    assert info.final_id
    key = f"thumbs-{info.thread_id}-{info.final_id}"
    app.feedback(key=key).set_value(0).run()  # thumbs down
    with _runtime() as rt:
        notes = ThreadNotes.of(rt)
        (kept,) = notes.feedback()
        assert (kept.thread_id, kept.final_id, kept.rating) == (info.thread_id, info.final_id, -1)
        assert kept.question == SEA and "(fake model) reply to:" in kept.answer and kept.workflow == "team"
        notes.close()
    app.feedback(key=key).set_value(1).run()  # changed to thumbs up
    with _runtime() as rt:
        notes = ThreadNotes.of(rt)
        assert [f.rating for f in notes.feedback()] == [1]
        assert notes.rating(info.thread_id, info.final_id) == 1
        notes.close()
    app.run()
    assert app.feedback(key=key).value == 1, "the page shows the stored rating"

    from qsm.cli.main import cli

    out = tmp_path / "feedback.jsonl"
    result = CliRunner().invoke(cli, ["feedback", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["rating"] == 1 and row["question"] == SEA and row["final_id"] == info.final_id


def test_regenerate_makes_a_new_branch_of_the_thread(app: AppTest) -> None:
    ask(app, SEA)
    with _runtime() as rt:
        thread = rt.runs.threads(1)[0].thread_id
        before = rt.runs.last_checkpoint(thread)
    app.button(key=f"regenerate-{thread}").click().run()
    assert not app.exception, app.exception
    assert services.run_manager().live_threads() == set()
    users = [m for m in app.chat_message if m.name == "user"]
    assert len(users) == 1 and users[0].markdown[0].value == SEA, "one turn shown: the regenerated one"
    assert "final:" in texts(app)
    with _runtime() as rt:
        assert rt.runs.last_checkpoint(thread) != before
        turns = thread_turns(thread, rt)
        assert [t.question for t in turns] == [SEA] and turns[0].answer
        graph = compiled(rt, Workflow.default())
        snapshots = list(graph.get_state_history({"configurable": {"thread_id": thread}}))
        parents = [s.parent_config["configurable"]["checkpoint_id"] for s in snapshots if s.parent_config]
        forks = {p for p in parents if parents.count(p) > 1}
        assert len(forks) == 1, "the history forks once: the old answer's branch and the new one"
        on_branch, snap = set(), snapshots[0]
        by_id = {s.config["configurable"]["checkpoint_id"]: s for s in snapshots}
        while snap is not None:
            on_branch.add(snap.config["configurable"]["checkpoint_id"])
            snap = (
                by_id.get(snap.parent_config["configurable"]["checkpoint_id"]) if snap.parent_config else None
            )
        assert before not in on_branch, "the old answer is off the current branch, still in the history"


def test_citations_are_links_to_the_sources_under_the_answer() -> None:
    def page() -> None:
        import streamlit as st

        from qsm.agents.messages import Citation, FinalAnswer
        from qsm.graph import RunResult
        from qsm.ui.run_view import render_final

        final = FinalAnswer(
            text="Salt comes from rocks [1] and vents [2]; see also [7] and [x](http://example.org).",
            citations=[
                Citation(entry_id="e1", path="/knowledge/sea/rocks.md", quote="Rain wears rocks."),
                Citation(entry_id="e2", path="/knowledge/sea/vents.md", quote="Vents <add> salt."),
            ],
        )
        render_final(st, RunResult(thread_id="T", final=final, final_id="final:abc123", status="ok"))

    at = AppTest.from_function(page)
    at.run()
    assert not at.exception, at.exception
    answer = next(m.value for m in at.markdown if "Salt comes" in m.value)
    one, two = source_anchor("final:abc123", 1), source_anchor("final:abc123", 2)
    assert f'[\\[1\\]](#{one} "/knowledge/sea/rocks.md")' in answer
    assert f'[\\[2\\]](#{two} "/knowledge/sea/vents.md")' in answer
    assert "[7]" in answer and "#source" not in answer.split("[7]")[1], "a number with no source stays text"
    assert "[x](http://example.org)" in answer
    sources = next(m for m in at.markdown if "Sources from memory** (2)" in m.value)
    assert f'id="{one}"' in sources.value and f'id="{two}"' in sources.value
    assert "Vents &lt;add&gt; salt." in sources.value, "quotes are escaped"
    assert sources.allow_html


def test_linked_citations_leave_other_brackets_alone() -> None:
    from qsm.agents.messages import Citation

    cites = [Citation(entry_id="e", path="/a")]
    assert linked_citations("x [1] [2] [1](y) [01]", cites, None).startswith("x [\\[1\\]](#source-answer-1")
    assert "[2] [1](y) [\\[1\\]]" in linked_citations("x [1] [2] [1](y) [01]", cites, None)
    assert linked_citations("none", [], "f") == "none"
    assert "<li" in sources_html(cites, None) and sources_html([], None) == '<ol class="qsm-sources"></ol>'


def test_qsm_ui_starts_in_the_theme_asked_for() -> None:
    from qsm.errors import ConfigError
    from qsm.ui.launch import streamlit_command

    dark = streamlit_command("127.0.0.1", 8501, theme="dark")
    assert dark[dark.index("--theme.base") + 1] == "dark"
    assert "--theme.base" not in streamlit_command("127.0.0.1", 8501), "auto follows the system"
    with pytest.raises(ConfigError, match="no theme 'blue'"):
        streamlit_command("127.0.0.1", 8501, theme="blue")
    assert load_settings(overrides={"ui": {"theme": "light"}}).ui.theme == "light"


def test_chats_are_grouped_by_day_and_searched_by_every_word() -> None:
    import time

    from qsm.ui.thread_list import day_group, matches

    now = time.mktime((2026, 12, 1, 9, 30, 0, 0, 0, -1))  # a Tuesday morning, local time
    assert day_group(now - 3600, now) == "Today"
    assert day_group(now - 86400, now) == "Yesterday"
    assert day_group(now - 10 * 3600, now) == "Yesterday", "yesterday evening is yesterday, not 10 hours ago"
    assert day_group(now - 3 * 86400, now) == "Saturday"
    assert day_group(now - 30 * 86400, now) == "1 Nov 2026"
    assert matches("", "anything") and matches("SEA salt", "Why is the sea salty?")
    assert not matches("sea tides", "Why is the sea salty?")
    assert matches("maths", "Why is the sea salty?", "Primes for my maths class"), "title or question"
