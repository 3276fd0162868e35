"""Scores one reply against an example's gold labels: format validity and the role's judgement.

Format validity is strict, as a model must manage without grammar constraints: the whole reply is one JSON
object that validates against the role's reply schema (``format_lenient`` adds what the serving path
recovers by parsing leniently and repairing), or, for text replies, the citation format. The judgement
checks are what the role is for: route and memory decisions, complexity, verdicts, grounded facts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from qsm.agents.structured import extract_json, repair_to_schema, schema_of
from qsm.train.example import REPLY_TYPES, Example
from qsm.train.seed_general import format_problem

__all__ = ["HEADLINE", "Judgement", "judge"]

# The judgement metric each task is mainly measured by (all are recorded).
HEADLINE = {
    "QSM.plan": "route_accuracy",
    "QSM.merge": "majority_accuracy",
    "SOM.budget": "complexity_accuracy",
    "SOM.answer": "answer_accuracy",
    "WeQ.draft": "grounded_correct",
    "Ref.verify": "decision_accuracy",
    "Ref.diagnose": "names_problem",
}
_CITATION = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Judgement:
    format_valid: bool
    format_lenient: bool
    metrics: dict[str, bool] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """What Ref-style rejection sampling keeps: valid format and every judgement check right."""
        return self.format_valid and all(self.metrics.values())


def judge(example: Example, reply: str) -> Judgement:
    reply_type = REPLY_TYPES.get(example.task)
    if reply_type is not None:
        strict, lenient = _parse(reply, reply_type)
        value = strict or lenient
        metrics = _json_checks(example.task, example.gold, value)
        return Judgement(strict is not None, value is not None, metrics)
    valid, metrics = _text_checks(example.task, example.gold, reply)
    return Judgement(valid, valid, metrics)


def _parse(text: str, reply_type: type[BaseModel]) -> tuple[BaseModel | None, BaseModel | None]:
    """(strictly valid value, leniently recovered value)."""
    try:
        return reply_type.model_validate(json.loads(text.strip())), None
    except (json.JSONDecodeError, ValidationError):
        pass
    data, _ = extract_json(text)
    if data is None:
        return None, None
    for candidate in (data, repair_to_schema(data, schema_of(reply_type))):
        try:
            return None, reply_type.model_validate(candidate)
        except ValidationError:
            continue
    return None, None


def _json_checks(task: str, gold: dict[str, Any], value: Any) -> dict[str, bool]:
    if task == "QSM.plan":
        route = value is not None and value.route_to == gold["route_to"]
        memory = value is not None and value.needs_memory == gold["needs_memory"]
        return {"route_accuracy": route, "memory_accuracy": memory}
    if task == "SOM.budget":
        complexity = value is not None and value.complexity == gold["complexity"]
        w = value.weights if value is not None else None
        drafter_first = w is not None and w.WeQ >= max(w.QSM, w.Ref)
        return {"complexity_accuracy": complexity, "drafter_weighted_most": drafter_first}
    if task == "Ref.verify":
        return {"decision_accuracy": value is not None and value.decision == gold["decision"]}
    # Ref.diagnose: the diagnosis names what is actually wrong
    text = "" if value is None else json.dumps(value.model_dump()).lower()
    return {"names_problem": value is not None and gold["keyword"].lower() in text}


def _text_checks(task: str, gold: dict[str, Any], reply: str) -> tuple[bool, dict[str, bool]]:
    text = reply.strip()
    answer = str(gold["answer"]).lower()
    if task == "WeQ.draft":
        cited = [int(n) for n in _CITATION.findall(text)]
        notes = int(gold["notes"])
        if notes:
            valid = bool(text) and bool(cited) and all(1 <= n <= notes for n in cited)
        else:
            valid = bool(text) and not cited
        has_fact = _mentions(text, answer)
        right_note = gold["cite"] is None or gold["cite"] in cited
        fmt = gold.get("format")
        kept = fmt is None or format_problem(fmt, tuple(gold.get("keys", ())), text) is None
        metrics = {"grounded_correct": has_fact and right_note and kept, "fact_present": has_fact}
        return valid and kept, metrics | {"format_followed": kept}
    valid = bool(text) and not text.startswith("{") and len(text) <= 600
    if task == "QSM.merge":
        wrong = str(gold["wrong"]).lower()
        return valid, {"majority_accuracy": _mentions(text, answer) and not _mentions(text, wrong)}
    return valid, {"answer_accuracy": _mentions(text, answer)}  # SOM.answer


def _mentions(text: str, value: str) -> bool:
    """``value`` occurs in ``text`` as whole words (so 42 is not found in 142 or 4.42)."""
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w]|\.\d)", text.lower()) is not None
