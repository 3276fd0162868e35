from __future__ import annotations

from qsm.agents import FakeChatModel
from qsm.graph import Workflow, run
from tests.helpers import ACCEPT, fake_runtime

SPEC = """
name: review
kind: pipeline
prompt: Explain Merkle trees.
agents:
  writer: {role: communicator, system_prompt: "You write short explanations."}
  critic: {role: reflector}
  editor: {role: custom, produces: Note, system_prompt: "You edit text using the review."}
channels:
  - "user -> writer: UserRequest"
  - "user -> editor: UserRequest"
  - "writer -> critic: Draft"
  - {source: writer, target: editor, type: Draft, strength: 0.9}
  - {source: critic, target: editor, type: Verdict, strength: 0.3}
  - "editor -> user: Note"
"""


def test_pipeline_runs_dag_with_joins(tmp_path) -> None:
    wf = Workflow.from_yaml(SPEC)
    fakes = {
        "writer": FakeChatModel(["A Merkle tree hashes pairs up to one root."], auto=False),
        "critic": FakeChatModel([ACCEPT], auto=False),
        "editor": FakeChatModel(["Merkle trees: pairwise hashes to a single root."], auto=False),
    }
    with fake_runtime(tmp_path, fakes) as rt:
        result = run(wf, wf.prompt, runtime=rt)
    assert result.status == "ok" and result.text == "Merkle trees: pairwise hashes to a single root."
    editor_prompt = fakes["editor"].calls[0].messages
    assert editor_prompt[0]["content"] == "You edit text using the review."
    body = editor_prompt[1]["content"]
    assert body.index("From writer") < body.index("From user") < body.index("From critic")  # 0.9 > 0.5 > 0.3
    note = next(e for e in result.trace if e.type == "Note")
    assert len(note.parents) == 3
    assert result.final.collapse == "pipeline"
