"""The packaged team set: rebuilt byte for byte from its script, balanced, well-formed, loadable by category."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from qsm.evals import CATEGORIES, load_team_set
from qsm.evals.build_team_set import PER_CATEGORY, build_items, main, render
from qsm.evals.team_set import team_set_file


def test_rebuilding_gives_the_identical_file() -> None:
    assert render(build_items()) == team_set_file().read_text(encoding="utf-8")


def test_check_flag_and_out_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    out = tmp_path / "set.jsonl"
    assert main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == team_set_file().read_text(encoding="utf-8")
    out.write_text(
        out.read_text(encoding="utf-8").replace("arithmetic-001", "arithmetic-999"), encoding="utf-8"
    )
    assert main(["--check", "--out", str(out)]) == 1
    assert "differs" in capsys.readouterr().out


def test_another_seed_gives_another_set() -> None:
    assert render(build_items(seed=1)) != render(build_items())


def test_counts_ids_and_uniqueness() -> None:
    items = load_team_set()
    assert len(items) == len(CATEGORIES) * PER_CATEGORY >= 240
    assert Counter(item["category"] for item in items) == dict.fromkeys(CATEGORIES, PER_CATEGORY)
    assert len({item["id"] for item in items}) == len(items)
    assert len({item["request"] for item in items}) == len(items), "no duplicate requests"
    for item in items:
        assert set(item) == {"id", "category", "request", "gold", "checker"}
        assert re.fullmatch(rf"{item['category']}-\d{{3}}", item["id"])
        assert item["gold"]["answer"].strip()


def test_checkers_per_category() -> None:
    checkers = Counter((item["category"], item["checker"]) for item in load_team_set())
    assert checkers[("arithmetic", "contains_any")] == PER_CATEGORY
    assert checkers[("facts", "contains_any")] == PER_CATEGORY
    assert checkers[("notes", "cites")] == PER_CATEGORY
    assert checkers[("resource", "yes_no")] == PER_CATEGORY
    formats = {checker for (category, checker) in checkers if category == "format"}
    assert formats == {
        "format_one_word", "format_number_only", "format_yes_no_only", "format_json_keys", "format_csv_list",
        "format_lowercase", "format_max_words",
    }  # fmt: skip
    assert {checker for (category, checker) in checkers if category == "multistep"} == {
        "contains_any",
        "yes_no",
    }


def test_resource_is_half_yes() -> None:
    verdicts = Counter(item["gold"]["yes_no"] for item in load_team_set(["resource"]))
    assert verdicts == {"yes": PER_CATEGORY // 2, "no": PER_CATEGORY // 2}


def test_notes_items_hold_their_fact_in_the_right_note_only() -> None:
    positions: Counter[int] = Counter()
    for item in load_team_set(["notes"]):
        gold = item["gold"]
        notes = dict(re.findall(r"^\[(\d+)\] (.+)$", item["request"], flags=re.MULTILINE))
        assert 3 <= len(notes) == gold["notes"] <= 5
        assert 1 <= gold["note"] <= gold["notes"]
        right = notes[str(gold["note"])]
        assert any(alias in right for alias in gold["aliases"]), item["id"]
        for number, text in notes.items():
            if number != str(gold["note"]):
                assert not any(re.search(rf"\b{re.escape(a)}\b", text) for a in gold["aliases"]), item["id"]
        assert gold["distractors"], "at least one note states the same attribute of something else"
        ungrouped = re.sub(r"(?<=\d),(?=\d{3})", "", item["request"])
        assert any(d.replace(",", "") in ungrouped for d in gold["distractors"]), item["id"]
        for distractor in gold["distractors"]:
            assert not re.search(rf"\b{re.escape(distractor)}\b", right), item["id"]
        positions[gold["note"]] += 1
    assert set(positions) == {1, 2, 3, 4, 5}, "the right note is not always in the same place"
    assert max(positions.values()) <= PER_CATEGORY // 2


def test_load_team_set_filters_and_limits() -> None:
    subset = load_team_set(["notes", "format"], limit_per_category=3)
    assert [item["id"] for item in subset] == [
        "notes-001", "notes-002", "notes-003", "format-001", "format-002", "format-003",
    ]  # fmt: skip
    assert load_team_set(["facts"], limit_per_category=0) == []
    first = load_team_set(["facts"], limit_per_category=1)[0]
    first["gold"]["aliases"].append("mutated")
    assert "mutated" not in load_team_set(["facts"], limit_per_category=1)[0]["gold"].get("aliases", [])


def test_load_team_set_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown team-set categories \\['maths'\\]"):
        load_team_set(["maths"])
    with pytest.raises(ValueError, match="limit_per_category"):
        load_team_set(limit_per_category=-1)


def test_prefixes_are_balanced_across_templates() -> None:
    """A runner taking the first 8 of a category still sees several kinds of request."""
    first = load_team_set(["format", "multistep"], limit_per_category=8)
    assert len({item["checker"] for item in first if item["category"] == "format"}) == 7
    assert {item["checker"] for item in first if item["category"] == "multistep"} == {
        "contains_any",
        "yes_no",
    }
    resource = load_team_set(["resource"], limit_per_category=8)
    assert Counter(item["gold"]["yes_no"] for item in resource) == {"yes": 4, "no": 4}
