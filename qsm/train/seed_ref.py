"""Ref seed tasks: verdicts with reasons on right, partial and wrong answers (gold: accept / revise /
reject), and diagnoses of answers that need revision (gold: the missing part named).

Wrong answers are hard negatives beside the right answer to the same kind of request: a plausible wrong
number or entity and off-topic text (reject); a right answer with junk appended, the wrong note cited, a
broken stated format, a missing part (revise). About half of all verdicts are accept, so a verdict carries
information either way."""

from __future__ import annotations

from dataclasses import dataclass, field

from qsm.agents.messages import Draft, UserRequest, Verdict
from qsm.agents.roles import ROLE_PROMPTS, DiagnosisReply, ProblemReply, VerdictReply, verdict_score
from qsm.graph import prompts
from qsm.train.example import Example
from qsm.train.seed_common import Seeds, example, reply_json, unique_examples
from qsm.train.seed_general import GeneralTask, format_problem, general_task
from qsm.train.seed_vocab import DEFINITIONS, JUNK, LIST_THINGS, OFF_TOPIC

__all__ = ["ref_examples"]

REFUSALS = ("I don't know.", "Sorry, I cannot help with that.", "I am not sure.", "That is a good question.")


@dataclass
class Case:
    request: str
    answer: str
    decision: str
    confidence: str
    reasons: list[str]
    kind: str
    group: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    instruction: str = ""
    keyword: str = ""


def ref_examples(seeds: Seeds, count: int) -> list[Example]:
    diagnoses = max(1, round(count * 0.2))
    verdicts = unique_examples(lambda: _verify(_case(seeds), seeds), count - diagnoses)
    return verdicts + unique_examples(lambda: _diagnose(_revise_case(seeds), seeds), diagnoses)


def _case(seeds: Seeds) -> Case:
    maker = seeds.pick((_arithmetic, _minutes, _larger, _listing, _two_part, _define, *[_general] * 9))
    return maker(seeds)


def _revise_case(seeds: Seeds) -> Case:
    while True:
        case = seeds.pick((_listing, _two_part, _define, _general, _general, _general))(seeds)
        if case.decision == "revise":
            return case


_FORMAT_FIX = {
    "word": ("one word", "Answer with one word only."),
    "number": ("number only", "Give the number only."),
    "yesno": ("yes or no", "Answer yes or no only."),
    "json": ("json", "Answer with the JSON object only, with the keys asked for."),
}


def _general(seeds: Seeds) -> Case:
    """A general request with its right answer (accept) or one hard negative."""
    task = general_task(seeds)
    if seeds.chance(0.5):
        return _case_of(task.kind, task.request, task.answer, "accept", _why_right(task), task.group)
    faults = ["wrong", "wrong", "junk", "junk", "off_topic"]
    if task.wrong_note is not None:
        faults += ["wrong_note"] * 3
    if task.fmt is not None:
        faults += ["format"] * 3
    fault = seeds.pick(faults)
    kind = f"{task.kind}.{fault}"
    if fault == "wrong":
        return _case_of(kind, task.request, task.wrong, "reject", task.wrong_reason[:120], task.group)
    if fault == "off_topic":
        reason = "The answer is off-topic: it does not address the request."
        return _case_of(kind, task.request, seeds.pick(OFF_TOPIC), "reject", reason, task.group)
    if fault == "junk":
        junk = seeds.pick(JUNK)
        reason = "The answer is right, but unrelated text follows it."
        fix = ("unrelated text after the answer", "remove the extra text")
        case = _revision(kind, task.request, f"{task.answer} {junk}", reason, fix,
                         "Give only the answer, without the extra text.", "extra")  # fmt: skip
    elif fault == "wrong_note":
        cite, wrong = task.cite, task.wrong_note
        reason = f"The fact is right, but it cites note [{wrong}]; note [{cite}] holds it."
        fix = (f"cites note [{wrong}] instead of [{cite}]", f"cite note [{cite}]")
        answer = task.answer.replace(f"[{cite}]", f"[{wrong}]")
        case = _revision(kind, task.request, answer, reason, fix, f"Cite note [{cite}], which holds the answer.",
                         f"[{cite}]")  # fmt: skip
    else:
        assert task.fmt is not None
        problem = format_problem(task.fmt, task.keys, task.broken) or "the stated format is not kept"
        keyword, instruction = _FORMAT_FIX[task.fmt]
        reason = f"The content is right, but {problem}."[:120]
        case = _revision(kind, task.request, task.broken, reason, (problem, instruction.lower()), instruction,
                         keyword)  # fmt: skip
    case.group = task.group
    return case


def _why_right(task: GeneralTask) -> str:
    if task.cite is not None:
        return f"It gives {task.value} and cites note [{task.cite}], which holds it."[:120]
    if task.fmt is not None:
        return f"Correct, and in the format asked for: {task.value}."[:120]
    return f"It answers the request correctly: {task.value}."[:120]


def _verify(case: Case, seeds: Seeds) -> Example:
    draft = Draft(text=case.answer, author="WeQ", candidate=0)
    messages = prompts.verify_prompt(
        ROLE_PROMPTS["Ref.verify"], UserRequest(text=case.request), draft, seeds.strength()
    )
    reply = VerdictReply(decision=case.decision, confidence=case.confidence, reasons=case.reasons)
    gold = {"decision": case.decision}
    return example(
        "Ref.verify", f"{case.kind}.{case.decision}", case.group, messages, reply_json(reply), gold
    )


def _diagnose(case: Case, seeds: Seeds) -> Example:
    draft = Draft(text=case.answer, author="WeQ", candidate=0)
    verdict = Verdict(
        decision="revise", score=verdict_score("revise", case.confidence), reasons=case.reasons, candidate=0
    )
    messages = prompts.diagnose_prompt(
        ROLE_PROMPTS["Ref.diagnose"], UserRequest(text=case.request), draft, verdict
    )
    reply = DiagnosisReply(
        problems=[ProblemReply(problem=p, solution=s) for p, s in case.problems], instruction=case.instruction
    )
    gold = {"keyword": case.keyword}
    return example("Ref.diagnose", case.kind, case.group, messages, reply_json(reply), gold)


def _case_of(kind: str, request: str, answer: str, decision: str, reason: str, group: str = "") -> Case:
    confidence = "medium" if decision == "revise" else "high"
    return Case(request, answer, decision, confidence, [reason], kind, group or request)


def _revision(
    kind: str, request: str, answer: str, reason: str, fix: tuple[str, str], instruction: str, keyword: str
) -> Case:
    case = _case_of(kind, request, answer, "revise", reason)
    case.problems, case.instruction, case.keyword = [fix], instruction, keyword
    return case


def _wrong(seeds: Seeds, right: int) -> int:
    return right + seeds.pick((-10, -3, -2, -1, 1, 2, 3, 10))


def _arithmetic(seeds: Seeds) -> Case:
    a, b = seeds.number(2, 40), seeds.number(2, 30)
    op = seeds.pick(("+", "-", "times"))
    if op == "-" and b > a:
        a, b = b, a
    right = a + b if op == "+" else a - b if op == "-" else a * b
    shown = right if seeds.chance(0.5) else _wrong(seeds, right)
    request = seeds.pick((f"What is {a} {op} {b}?", f"Compute {a} {op} {b}."))
    answer = seeds.pick((f"{a} {op} {b} = {shown}.", f"The answer is {shown}.", f"It is {shown}."))
    if shown == right:
        return _case_of(
            "math", request, answer, "accept", f"{a} {op} {b} is {right}; correct.", f"{a}{op}{b}"
        )
    return _case_of(
        "math", request, answer, "reject", f"{a} {op} {b} is {right}, not {shown}.", f"{a}{op}{b}"
    )


def _minutes(seeds: Seeds) -> Case:
    hours = seeds.number(2, 12)
    shown = 60 * hours if seeds.chance(0.5) else 60 * hours + seeds.pick((-60, -30, 30, 60, 100))
    request = f"How many minutes are in {hours} hours?"
    answer = f"There are {shown} minutes in {hours} hours."
    if shown == 60 * hours:
        return _case_of("minutes", request, answer, "accept", f"{hours} x 60 = {shown} minutes is correct.")
    return _case_of(
        "minutes", request, answer, "reject", f"{hours} hours are {60 * hours} minutes, not {shown}."
    )


def _larger(seeds: Seeds) -> Case:
    x, y = seeds.sample(range(2, 99), 2)
    request = f"Which is larger, {x} or {y}?"
    pick = max(x, y) if seeds.chance(0.5) else min(x, y)
    answer = f"{pick} is larger."
    if pick == max(x, y):
        return _case_of("larger", request, answer, "accept", f"{pick} is the larger number.")
    return _case_of("larger", request, answer, "reject", f"{max(x, y)} is larger than {pick}.")


def _listing(seeds: Seeds) -> Case:
    things = seeds.pick(tuple(LIST_THINGS))
    n = seeds.number(2, 4)
    request = f"List {n} {things}."
    roll = seeds.rng.random()
    if roll < 0.4:
        answer = ", ".join(seeds.sample(LIST_THINGS[things], n)) + "."
        return _case_of("list", request, answer, "accept", f"It lists {n} {things} as asked.")
    if roll < 0.75:
        m = seeds.number(1, n - 1)
        answer, missing = ", ".join(seeds.sample(LIST_THINGS[things], m)) + ".", n - m
        reason = f"Only {m} of the {n} requested {things} are listed."
        fix = (f"only {m} of {n} {things} listed", f"add {missing} more {things}")
        return _revision(
            "list", request, answer, reason, fix, f"List {n} {things}: add {missing} more.", str(missing)
        )
    other = seeds.pick([t for t in LIST_THINGS if t != things])
    answer = ", ".join(seeds.sample(LIST_THINGS[other], n)) + "."
    return _case_of("list", request, answer, "reject", f"These are {other}, not {things}.")


def _two_part(seeds: Seeds) -> Case:
    a, b = seeds.number(2, 12), seeds.number(2, 12)
    request = f"Give the sum and the product of {a} and {b}."
    roll = seeds.rng.random()
    if roll < 0.4:
        answer = f"The sum is {a + b} and the product is {a * b}."
        return _case_of("two_part", request, answer, "accept", "Both the sum and the product are correct.")
    if roll < 0.75:
        part, other = seeds.pick((("sum", "product"), ("product", "sum")))
        answer = f"The {part} is {a + b if part == 'sum' else a * b}."
        fix = (f"the {other} is missing", f"add the {other} of {a} and {b}")
        instruction = f"Also give the {other} of {a} and {b}."
        return _revision("two_part", request, answer, f"The {other} is missing.", fix, instruction, other)
    answer = f"The sum is {a + b + 1} and the product is {a * b + a}."
    return _case_of("two_part", request, answer, "reject", f"The sum is {a + b} and the product is {a * b}.")


def _define(seeds: Seeds) -> Case:
    concept = seeds.pick(tuple(DEFINITIONS))
    request = seeds.pick((f"Explain {concept} in one sentence.", f"What is {concept}?"))
    roll = seeds.rng.random()
    if roll < 0.4:
        return _case_of(
            "define", request, DEFINITIONS[concept], "accept", f"It explains {concept} correctly."
        )
    if roll < 0.7:
        other = seeds.pick([c for c in DEFINITIONS if c != concept])
        reason = f"The answer explains {other}, not {concept}."
        return _case_of("define", request, DEFINITIONS[other], "reject", reason)
    fix = ("no explanation given", f"explain {concept} in one sentence")
    instruction, keyword = f"Explain {concept} in one sentence.", concept.split()[-1]
    reason = "The answer does not explain anything yet."
    return _revision("define", request, seeds.pick(REFUSALS), reason, fix, instruction, keyword)
