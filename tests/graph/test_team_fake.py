from __future__ import annotations

import networkx as nx
import pytest

from qsm.agents import FakeChatModel
from qsm.graph import Workflow, run, stream
from qsm.graph.export import channel_traffic, mermaid, topology_graph, traffic_graph
from tests.helpers import ACCEPT, BUDGET, DIAGNOSIS, PLAN, REJECT, REVISE, fake_runtime, team_fakes


def test_clean_run_through_all_four_agents(tmp_path) -> None:
    fakes = team_fakes()
    with fake_runtime(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.status == "ok" and result.text == "2 + 2 = 4"
    types = [(e.source, e.target, e.type) for e in result.trace]
    assert types == [
        ("user", "QSM", "UserRequest"),
        ("QSM", "SOM", "Plan"),
        ("SOM", "QSM", "Budget"),
        ("QSM", "WeQ", "Task"),
        ("WeQ", "Ref", "Draft"),
        ("Ref", "QSM", "Verdict"),
        ("QSM", "user", "FinalAnswer"),
        ("QSM", "SOM", "FinalAnswer"),
        ("SOM", "user", "CostReport"),
    ]
    dag = traffic_graph(result.trace)
    assert nx.is_directed_acyclic_graph(dag)
    assert nx.has_path(dag, result.trace[0].id, result.final_id)
    assert result.final_id and result.final_id.startswith("final:")
    assert set(result.cost.by_agent) == {"QSM", "SOM", "WeQ", "Ref"}
    assert result.cost.calls == 4
    weq_prompt = fakes["WeQ"].calls[0].messages[-1]["content"]
    assert "What is 2+2?" in weq_prompt and "compute 2+2" in weq_prompt


def test_repair_loop_is_bounded_and_feeds_diagnosis_back(tmp_path) -> None:
    fakes = team_fakes(WeQ=["4", "2 + 2 = 4, the sum"], Ref=[REVISE, DIAGNOSIS, ACCEPT])
    with fake_runtime(tmp_path, fakes, runtime={"repair_limit": 1}) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.text == "2 + 2 = 4, the sum" and result.status == "ok"
    revise_prompt = fakes["WeQ"].calls[1].messages[-1]["content"]
    assert "Your previous answer: 4" in revise_prompt and "State 4." in revise_prompt
    repair = next(e for e in result.trace if e.type == "RepairPlan")
    second_draft = [e for e in result.trace if e.type == "Draft"][1]
    assert repair.id in second_draft.parents

    fakes = team_fakes(WeQ=["4", "still 4"], Ref=[REVISE, DIAGNOSIS, REVISE])
    with fake_runtime(tmp_path / "b", fakes, runtime={"repair_limit": 1}) as rt:
        capped = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert len([e for e in capped.trace if e.type == "Draft"]) == 2  # limit 1: one revision, then settle
    assert capped.final.text == "still 4"


def test_fan_out_ref_rank_picks_best_and_runs_in_parallel(tmp_path) -> None:
    weq = FakeChatModel(["four", "2 + 2 = 4", "five"], auto=False, delay_s=0.3)
    ref_replies = {"four": REVISE, "2 + 2 = 4": ACCEPT, "five": REJECT}
    ref = FakeChatModel(
        [lambda call: ref_replies[call.messages[-1]["content"].split("Answer: ")[1].split("\n")[0]]] * 3,
        auto=False,
    )
    fakes = {**team_fakes(), "WeQ": weq, "Ref": ref}
    with fake_runtime(tmp_path, fakes, runtime={"fan_out": 3, "repair_limit": 0}) as rt:
        events = list(stream(Workflow.default(), "What is 2+2?", runtime=rt))
    result = events[-1].result
    assert result.final.text == "2 + 2 = 4" and result.final.candidates == 3
    drafts = [e for e in result.trace if e.type == "Draft"]
    assert sorted(e.payload["candidate"] for e in drafts) == [0, 1, 2]
    steps = [e for e in events if e.type == "step" and e.node == "draft"]
    assert len(steps) == 3


def test_vote_collapse_prefers_agreeing_candidates(tmp_path) -> None:
    weq = FakeChatModel(["The answer is 4", "I think the answer is 4", "Bananas"], auto=False)
    ref = FakeChatModel([ACCEPT] * 3, auto=False)
    fakes = {**team_fakes(), "WeQ": weq, "Ref": ref}
    with fake_runtime(tmp_path, fakes, runtime={"fan_out": 3, "collapse": "vote"}) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert "4" in result.text and result.final.collapse == "vote"


def test_merge_collapse_asks_qsm_to_merge(tmp_path) -> None:
    fakes = team_fakes(QSM=[PLAN, "Merged: 4"], WeQ=["4", "four"], Ref=[ACCEPT, ACCEPT])
    with fake_runtime(tmp_path, fakes, runtime={"fan_out": 2, "collapse": "merge"}) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.text == "Merged: 4"
    merge_prompt = fakes["QSM"].calls[-1].messages[-1]["content"]
    assert "Candidate 1" in merge_prompt and "Candidate 2" in merge_prompt
    final = next(e for e in result.trace if e.type == "FinalAnswer")
    assert len([p for p in final.parents if p.startswith("draft:")]) == 2


def test_routes_resource_questions_to_som(tmp_path) -> None:
    plan = PLAN.replace('"WeQ"', '"SOM"')
    fakes = team_fakes(QSM=[plan], SOM=[BUDGET, "Spend 60% on drafting."])
    with fake_runtime(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "How should I split 1000 tokens?", runtime=rt)
    assert result.text == "Spend 60% on drafting."
    assert ("SOM", "Ref", "Draft") in [(e.source, e.target, e.type) for e in result.trace]
    assert "economist" in fakes["SOM"].calls[1].messages[0]["content"]


def test_budget_exhaustion_stops_cleanly_with_best_so_far(tmp_path) -> None:
    fakes = team_fakes(Ref=[REVISE, DIAGNOSIS, ACCEPT])
    with fake_runtime(tmp_path, fakes, budget={"calls": 4}, runtime={"repair_limit": 2}) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.status == "budget_exhausted"
    assert result.text == "2 + 2 = 4" and "call budget" in result.final.note
    assert result.cost.exhausted and result.cost.calls == 4


def test_budget_too_small_for_any_draft(tmp_path) -> None:
    with fake_runtime(tmp_path, team_fakes(), budget={"tokens": 20}) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.status == "budget_exhausted" and "before any answer" in result.text


def test_unusable_json_falls_back_and_is_reported(tmp_path) -> None:
    fakes = team_fakes(QSM=["garbage", "more garbage", "still"], Ref=["x", "y", "z"])
    with fake_runtime(tmp_path, fakes) as rt:
        result = run(Workflow.default(), "What is 2+2?", runtime=rt)
    assert result.status == "ok" and result.text == "2 + 2 = 4"
    assert any("PlanReply" in e for e in result.errors) and any("VerdictReply" in e for e in result.errors)


def test_streams_tokens_with_speaking_agent(tmp_path) -> None:
    fakes = team_fakes(WeQ=["<think>add them</think>It is 4"])
    with fake_runtime(tmp_path, fakes) as rt:
        events = list(stream(Workflow.default(), "What is 2+2?", runtime=rt))
    weq_tokens = [e for e in events if e.type == "token" and e.agent == "WeQ"]
    assert "".join(e.text for e in weq_tokens if not e.thinking) == "It is 4"
    assert "".join(e.text for e in weq_tokens if e.thinking) == "add them"
    assert events[-1].result.final.thinking == "add them" and events[-1].result.text == "It is 4"
    messages = [e for e in events if e.type == "message"]
    assert all(e.envelope.id.split(":")[0] for e in messages) and len(messages) == 9


def test_topology_and_traffic_export(tmp_path) -> None:
    with fake_runtime(tmp_path, team_fakes()) as rt:
        wf = Workflow.default()
        result = run(wf, "What is 2+2?", runtime=rt)
        channels = rt.channel_book(wf).channels()
    graph = topology_graph(wf, channels)
    assert graph.has_edge("WeQ", "Ref", key="Draft")
    assert graph.edges["QSM", "SOM", "Plan"]["strength"] > 0.8
    traffic = channel_traffic(result.trace)
    assert len(traffic["WeQ->Ref:Draft"]) == 1
    text = mermaid(wf, channels, result.trace, active="Ref")
    assert 'WeQ -->|"Draft 0.91 ×1"| Ref' in text and "style Ref" in text


@pytest.mark.parametrize("fan_out", [1, 2])
def test_per_agent_settings_from_spec_reach_the_model(tmp_path, fan_out: int) -> None:
    wf = Workflow.default().model_copy(deep=True)
    wf.agents[1].settings = {"sampling": {"temperature": 1.3}}
    fakes = team_fakes(WeQ=["4"] * fan_out, Ref=[ACCEPT] * fan_out)
    with fake_runtime(tmp_path, fakes, runtime={"fan_out": fan_out, "greedy_first": False}) as rt:
        run(wf, "What is 2+2?", runtime=rt)
    assert {c.sampling.temperature for c in fakes["WeQ"].calls} == {1.3}
    fakes = team_fakes(WeQ=["4"] * fan_out, Ref=[ACCEPT] * fan_out)
    with fake_runtime(tmp_path / "greedy", fakes, runtime={"fan_out": fan_out}) as rt:
        run(wf, "What is 2+2?", runtime=rt)
    assert sorted(c.sampling.temperature for c in fakes["WeQ"].calls) == [0.0, 1.3][:fan_out]
