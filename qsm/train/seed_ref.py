"""Ref seed tasks: verdicts with reasons on right, partial and wrong answers (gold: accept / revise /
reject), and diagnoses of answers that need revision (gold: the missing part named)."""

from __future__ import annotations

from dataclasses import dataclass, field

from qsm.agents.messages import Draft, UserRequest, Verdict
from qsm.agents.roles import ROLE_PROMPTS, DiagnosisReply, ProblemReply, VerdictReply
from qsm.graph import prompts
from qsm.graph.team_candidates import verdict_score
from qsm.train.example import Example
from qsm.train.seed_common import Seeds, example, reply_json, unique_examples
from qsm.train.seed_vocab import LIST_THINGS

__all__ = ["DEFINITIONS", "ref_examples"]

DEFINITIONS = {
    "a Merkle tree": "A Merkle tree is a tree of hashes where each parent hashes its children; the root covers all.",
    "photosynthesis": "Photosynthesis is how plants turn sunlight, water and carbon dioxide into sugar and oxygen.",
    "a hash function": "A hash function maps any input to a fixed-size value; equal inputs give equal hashes.",
    "recursion": "Recursion is when a function solves a problem by calling itself on a smaller part of it.",
    "the water cycle": "The water cycle: water evaporates, forms clouds, falls as rain and flows back to the sea.",
    "gravity": "Gravity is the force that pulls masses towards each other, such as objects towards the Earth.",
    "binary search": "Binary search finds an item in a sorted list by halving the search range at every step.",
    "DNS": "DNS translates domain names such as example.com into the IP addresses computers use.",
    "a compiler": "A compiler translates source code into machine code before the program runs.",
    "a database index": "A database index lets queries find rows quickly without scanning the whole table.",
    "version control": "Version control records every change to files so you can review or undo them later.",
    "a transistor": "A transistor is a tiny electronic switch that controls current; chips are built from them.",
    "a rainbow": "A rainbow appears when raindrops refract and reflect sunlight, splitting it into colours.",
    "natural selection": "Natural selection means living things with helpful traits survive and reproduce more often.",
}  # fmt: skip
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
    maker = seeds.pick((_arithmetic, _arithmetic, _minutes, _larger, _listing, _listing, _two_part, _define))
    return maker(seeds)


def _revise_case(seeds: Seeds) -> Case:
    while True:
        case = seeds.pick((_listing, _two_part, _define))(seeds)
        if case.decision == "revise":
            return case


def _verify(case: Case, seeds: Seeds) -> Example:
    draft = Draft(text=case.answer, author="WeQ", candidate=0)
    messages = prompts.verify_prompt(
        ROLE_PROMPTS["Ref.verify"], UserRequest(text=case.request), draft, seeds.strength()
    )
    reply = VerdictReply(decision=case.decision, confidence=case.confidence, reasons=case.reasons)  # type: ignore[arg-type]
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
