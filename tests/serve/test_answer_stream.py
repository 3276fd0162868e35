"""Which tokens a streamed chat completion shows as they come (only those that are the answer), and the
content deltas an answer stream makes of a run's events."""

from __future__ import annotations

from pathlib import Path

import pytest

from qsm.graph import Workflow
from qsm.graph.flow import Approval
from qsm.graph.workflow_files import EXAMPLES_DIR
from qsm.serve.answer_stream import MERGE_NODE, AnswerStream, answer_node, pieces
from tests.helpers import fake_runtime


def _token(text: str, node: str = "editor", **fields: object) -> dict[str, object]:
    return {"type": "token", "node": node, "agent": node, "text": text, "format": "text", **fields}


def test_which_workflows_stream_tokens(tmp_path: Path) -> None:
    review = Workflow.from_yaml(EXAMPLES_DIR / "review.yaml")
    team = Workflow.default()
    with fake_runtime(tmp_path, {}) as rt:
        assert answer_node(review, rt) == "editor"  # the one agent that writes to the user
        assert answer_node(Workflow.from_yaml(EXAMPLES_DIR / "draft-check-loop.yaml"), rt) is None  # Python
        asked = review.model_copy(update={"approvals": [Approval(agent="editor")]})
        assert answer_node(asked, rt) is None  # the user may replace the editor's note
        assert (
            answer_node(team, rt) is None
        )  # ref_rank: the answer is a draft Ref checked after it was written
        assert answer_node(team.model_copy(update={"collapse": "merge"}), rt) == MERGE_NODE
    with fake_runtime(tmp_path / "merge", {}, runtime={"collapse": "merge"}) as rt:
        assert answer_node(team, rt) == MERGE_NODE


def test_tokens_become_deltas_without_the_whitespace_the_answer_is_stripped_of() -> None:
    stream = AnswerStream("editor")
    sent = [stream.feed(e) for e in (_token("  "), _token(" A"), _token(" tree"), _token(" \n"))]
    ignored = [
        stream.feed(_token("x", node="writer")),
        stream.feed(_token("hmm", thinking=True)),
        stream.feed(_token("{", format="json")),
    ]
    assert sent == [[], ["A"], [" tree"], []] and ignored == [[], [], []]
    assert stream.feed(_token(" hashes")) == [" \n hashes"]  # held whitespace goes out inside the answer
    assert stream.sent == "A tree \n hashes"
    rest = " pairs of hashes up to one root."
    assert stream.finish("A tree \n hashes" + rest) == pieces(rest) and len(pieces(rest)) == 2
    assert stream.finish("anything") == []  # once


@pytest.mark.parametrize("text", ["", "   ", "one", "a b  c\n\nd", "x" * 60 + " y"])
def test_pieces_join_back_to_the_text(text: str) -> None:
    assert "".join(pieces(text)) == text
    assert all(len(p) <= 24 or " " not in p.strip() for p in pieces(text))


def test_tokens_that_turn_out_not_to_be_the_answer_add_nothing_more() -> None:
    stream = AnswerStream("editor")
    stream.feed(_token("Draft"))
    assert stream.finish("Another answer") == []
