"""WeQ seed tasks: answers grounded in notes from memory with [n] citations (gold: the fact and the note
that holds it), revisions after Ref's diagnosis, and short direct answers to general requests (facts,
arithmetic, unit conversion, definitions, how-to, stated formats, notes given in the request, multi-step)
with the plan shown as the graph shows it: the answer never copies the plan."""

from __future__ import annotations

from qsm.agents.messages import Diagnosis, Draft, Plan, RepairPlan, UserRequest
from qsm.agents.roles import ROLE_PROMPTS
from qsm.graph import prompts
from qsm.train.example import Example
from qsm.train.seed_common import Seeds, example, unique_examples
from qsm.train.seed_facts import fact_notes
from qsm.train.seed_general import general_task
from qsm.train.seed_vocab import JUNK

__all__ = ["weq_examples"]


def weq_examples(seeds: Seeds, count: int) -> list[Example]:
    grounded, fixes, plain_fixes = round(count * 0.3), max(1, round(count * 0.08)), max(1, round(count * 0.1))
    return (
        unique_examples(lambda: _grounded(seeds, revise=False), grounded)
        + unique_examples(lambda: _grounded(seeds, revise=True), fixes)
        + unique_examples(lambda: _plain(seeds, revise=True), plain_fixes)
        + unique_examples(lambda: _plain(seeds, revise=False), count - grounded - fixes - plain_fixes)
    )


def _grounded(seeds: Seeds, *, revise: bool) -> Example:
    fact = fact_notes(seeds)
    target = f"{fact.answer} [{fact.cite}]."
    plan = Plan(goal=fact.question.rstrip("?"), steps=["search memory", "answer with a citation"])
    repair = previous = None
    category = fact.category
    if revise:
        previous, repair, category = _faulty(seeds, fact.answer, fact.notes, fact.cite)
    messages = prompts.draft_prompt(
        ROLE_PROMPTS["WeQ.draft"],
        UserRequest(text=fact.question),
        plan,
        seeds.strength(),
        notes=[f"{text} (from {path})" for text, path, _ in fact.notes],
        repair=repair,
        previous=previous,
    )
    gold = {"answer": fact.value, "cite": fact.cite, "notes": len(fact.notes)}
    return example(
        "WeQ.draft", category, f"{fact.entity}:{fact.attribute}:{fact.value}", messages, target, gold
    )


def _faulty(
    seeds: Seeds, answer: str, notes: list[tuple[str, str, str]], cite: int
) -> tuple[Draft, RepairPlan, str]:
    """A first draft with one typical fault and Ref's diagnosis of it."""
    if seeds.chance(0.5) or len(notes) < 2:
        text, problem = f"{answer}.", Diagnosis(problem="no citation", solution="cite the note used")
        instruction, category = "Cite the note that gives the answer.", "revise.uncited"
    else:
        wrong = seeds.pick([i for i in range(1, len(notes) + 1) if i != cite])
        text = f"{notes[wrong - 1][0].rstrip('.')} [{wrong}]."
        problem = Diagnosis(problem="answers from the wrong note", solution="use the note about the question")
        instruction, category = "Answer from the note that matches the question.", "revise.wrong_note"
    draft = Draft(text=text, author="WeQ", candidate=0)
    return draft, RepairPlan(candidate=0, round=1, diagnoses=[problem], instruction=instruction), category


# Plan steps as a weak coordinator writes them: the answer must not repeat them.
NOISY_STEPS = ("search memory", "answer directly", "give an example", "route to WeQ", "check the budget")


def _plain(seeds: Seeds, *, revise: bool) -> Example:
    """A general request answered directly and briefly; with ``revise``, a draft with junk appended or the
    stated format broken is fixed after Ref's diagnosis."""
    task = general_task(seeds)
    steps = list(task.steps)
    if seeds.chance(0.25):  # the plan the graph shows is not always a good one
        steps = [*steps[:1], seeds.pick(NOISY_STEPS)]
    plan = Plan(goal=task.goal, steps=steps)
    repair = previous = None
    category = task.kind
    if revise:
        if task.fmt and seeds.chance(0.6):
            text = task.broken
            problem = Diagnosis(
                problem="the stated format is not kept", solution="answer in the format asked for"
            )
            instruction, category = "Answer exactly in the format the request states.", "revise.format"
        else:
            text = f"{task.answer} {seeds.pick(JUNK)}"
            problem = Diagnosis(problem="unrelated text after the answer", solution="remove the extra text")
            instruction, category = "Give only the answer, without the extra text.", "revise.junk"
        previous = Draft(text=text, author="WeQ", candidate=0)
        repair = RepairPlan(candidate=0, round=1, diagnoses=[problem], instruction=instruction)
    messages = prompts.draft_prompt(
        ROLE_PROMPTS["WeQ.draft"], UserRequest(text=task.request), plan, seeds.strength(),
        repair=repair, previous=previous,
    )  # fmt: skip
    gold = {
        "answer": task.value,
        "cite": task.cite,
        "notes": task.notes,
        "format": task.fmt,
        "keys": list(task.keys),
        "inline_notes": bool(task.notes),
    }
    return example("WeQ.draft", category, task.group, messages, task.answer, gold)
