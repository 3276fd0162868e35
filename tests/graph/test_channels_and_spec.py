from __future__ import annotations

import pytest

from qsm.agents.messages import Draft, Plan, Verdict
from qsm.errors import ChannelTypeError, SpecError, UnknownAgentError
from qsm.graph import Channel, ChannelBook, Workflow
from qsm.graph.channels import StrengthStore
from qsm.ids import is_content_id

MISMATCH = """
name: mismatch
kind: pipeline
agents:
  writer: {role: communicator}
  critic: {role: reflector}
channels:
  - "user -> writer: UserRequest"
  - "writer -> critic: Plan"
  - "critic -> user: Verdict"
"""


def test_type_mismatch_refused_at_build_naming_both_ends_and_types() -> None:
    with pytest.raises(ChannelTypeError) as info:
        Workflow.from_yaml(MISMATCH)
    msg = info.value.message
    assert "writer -> critic" in msg and "Plan" in msg
    assert "writer produces Draft" in msg and "critic accepts" in msg and "Draft" in msg.split("accepts")[1]


def test_consumer_side_mismatch_names_accepted_types() -> None:
    spec = (
        MISMATCH.replace("writer -> critic: Plan", "writer -> critic: Draft")
        .replace("critic: {role: reflector}", "critic: {role: economist, produces: Budget}")
        .replace("critic -> user: Verdict", "critic -> user: Budget")
    )
    Workflow.from_yaml(spec)  # economist accepts Draft: fine
    bad = (
        spec.replace("writer: {role: communicator}", "writer: {role: custom, produces: Note}")
        .replace("writer -> critic: Draft", "writer -> critic: Note")
        .replace("critic: {role: economist, produces: Budget}", "critic: {role: reflector}")
        .replace("critic -> user: Budget", "critic -> user: Verdict")
    )
    Workflow.from_yaml(bad)  # reflector accepts Note
    worse = (
        bad.replace("critic: {role: reflector}", "critic: {role: coordinator}")
        .replace("critic -> user: Verdict", "critic -> user: FinalAnswer")
        .replace("writer -> critic: Note", "writer -> critic: Note")
    )
    Workflow.from_yaml(worse)


@pytest.mark.parametrize(
    ("yaml_text", "error", "fragment"),
    [
        ("name: x\nagents: [\n", SpecError, "not valid YAML"),
        ("- a\n- b\n", SpecError, "must be a mapping"),
        ("name: x\nagents: {a: {role: wizard}}\nchannels: []", SpecError, "agents.0.role"),
        (
            "name: x\nkind: pipeline\nagents: {a: {role: communicator}}\nchannels: ['user -> ghost: UserRequest']",
            UnknownAgentError,
            "no agent 'ghost'",
        ),
        (
            "name: x\nkind: pipeline\nagents: {a: {}}\nchannels: ['user -> a: Banana']",
            SpecError,
            "unknown type",
        ),
        (
            "name: x\nkind: pipeline\nagents: {a: {}}\nchannels: ['user a UserRequest']",
            SpecError,
            "Source -> Target",
        ),
        (
            "name: x\nkind: pipeline\nagents: {a: {}, b: {}}\nchannels: ['user -> a: UserRequest', 'a -> b: Note',"
            " 'b -> a: Note', 'b -> user: Note']",
            SpecError,
            "has no declared maximum",
        ),
        (
            "name: x\nagents: {QSM: {role: coordinator}}\nchannels: []",
            SpecError,
            "exactly one agent with role",
        ),
    ],
)
def test_malformed_specs(yaml_text: str, error: type, fragment: str) -> None:
    with pytest.raises(error) as info:
        Workflow.from_yaml(yaml_text)
    assert fragment in info.value.message and info.value.exit_code == 2


def test_team_requires_its_channels() -> None:
    spec = Workflow.default().model_dump()
    spec["channels"] = [c for c in spec["channels"] if c["type"] != "Verdict"]
    with pytest.raises(SpecError, match="needs a channel Ref -> QSM carrying Verdict"):
        Workflow.model_validate(spec).check()


def test_default_round_trips_through_yaml() -> None:
    wf = Workflow.default()
    assert Workflow.from_yaml(wf.to_yaml()) == wf


def _book(store: StrengthStore | None = None) -> ChannelBook:
    return ChannelBook("t", [Channel(source="WeQ", target="Ref", type="Draft", strength=0.5)], store)


# the forged Draft below warns when serialised, as it should
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_send_validates_type_and_existence() -> None:
    book = _book()
    draft = Draft(text="hi", author="WeQ", candidate=0)
    env = book.send(draft, source="WeQ", target="Ref", parents=["request:" + "0" * 64])
    assert is_content_id(env.id) and env.id.startswith("draft:") and env.parents == ["request:" + "0" * 64]
    with pytest.raises(ChannelTypeError, match="carries Draft, but WeQ sent Plan"):
        book.send(Plan(goal="g"), source="WeQ", target="Ref", parents=[])
    with pytest.raises(ChannelTypeError, match="no channel from Ref to WeQ"):
        book.send(Verdict(decision="accept", score=1, candidate=0), source="Ref", target="WeQ", parents=[])
    forged = Draft.model_construct(text=5, author="WeQ", candidate=-1)
    with pytest.raises(ChannelTypeError, match="not a valid Draft"):
        book.send(forged, source="WeQ", target="Ref", parents=[])


def test_message_as_returns_the_typed_message_and_refuses_another_type() -> None:
    env = _book().send(Draft(text="hi", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=[])
    draft = env.message_as(Draft)
    assert isinstance(draft, Draft) and draft.text == "hi"
    with pytest.raises(TypeError, match=r"carries a Draft, where a Plan was expected"):
        env.message_as(Plan)


def test_content_id_covers_payload_and_parents() -> None:
    book = _book()
    a = book.send(
        Draft(text="x", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=["p:" + "1" * 64]
    )
    b = book.send(
        Draft(text="x", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=["p:" + "1" * 64]
    )
    c = book.send(
        Draft(text="y", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=["p:" + "1" * 64]
    )
    d = book.send(
        Draft(text="x", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=["p:" + "2" * 64]
    )
    assert a.id == b.id and len({a.id, c.id, d.id}) == 3


def test_strength_reinforces_persists_and_decays(tmp_path) -> None:
    store = StrengthStore(tmp_path / "ch.sqlite")
    book = _book(store)
    for _ in range(3):
        book.send(Draft(text="x", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=[])
    reinforced = book.strength("WeQ", "Ref", "Draft")
    assert reinforced == pytest.approx(1 - 0.5 * 0.9**3)
    book.persist()
    assert _book(store).strength("WeQ", "Ref", "Draft") == pytest.approx(reinforced, rel=1e-3)
    key = "WeQ->Ref:Draft"
    store.save("t", {key: (0.9, "active", 0.0, 3)})  # last used at the epoch: long idle
    idle = _book(store)
    assert idle.strength("WeQ", "Ref", "Draft") < 0.01
    assert idle.channels()[0].state == "dormant"
    idle.send(Draft(text="x", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=[])
    assert idle.channels()[0].state == "active"


def test_isolated_channel_refuses_sends() -> None:
    book = ChannelBook("t", [Channel(source="WeQ", target="Ref", type="Draft", state="isolated")])
    with pytest.raises(ChannelTypeError, match="isolated"):
        book.send(Draft(text="x", author="WeQ", candidate=0), source="WeQ", target="Ref", parents=[])
