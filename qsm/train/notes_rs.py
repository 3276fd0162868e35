"""WeQ on the prompt the team really sends when a user pastes notes, by rejection-sampled SFT.

When a request holds numbered notes, the team's draft step shows WeQ only the note that fits the question
("Note [n]: ...", "Question: ...", "Answer from note [n] in one sentence and cite it as [n]."), not the
recalled-memory prompt WeQ's seed data teaches. This module builds WeQ data on that prompt:

1. Note requests from the training templates (:mod:`qsm.train.seed_general`, never :mod:`qsm.evals`), their
   prompts built by the team's own functions (:func:`~qsm.graph.team.analysis.analyze`, then
   :func:`~qsm.graph.team.candidate.draft_messages`), split by group like every role dataset; groups that
   WeQ's validation or test split holds are left out, so nothing held out is trained on.
2. For each training prompt, several answers sampled from the current model (base + WeQ's adapter); an
   answer is kept only when, shaped as the team keeps it (:func:`~qsm.graph.team.candidate.note_answer`),
   it passes Ref's deterministic checks (:func:`~qsm.graph.team.checks.run_checks`: the right note cited
   and supporting the claim, no junk) and states the prompt's gold fact citing the gold note.
3. The kept answers (category ``notes.team``) are added to WeQ's train split, beside its seed data, so the
   recalled-memory behaviour is still trained; prompts with no kept answer get their gold answer instead
   (counted apart). The validation and test splits gain the held-out note prompts with gold answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from qsm.agents import ChatModel
from qsm.agents.backend import ModelRequest
from qsm.agents.messages import Plan, UserRequest
from qsm.agents.roles import role_prompt
from qsm.agents.settings import AgentSettings, Sampling
from qsm.agents.shipped import resolve_adapter
from qsm.errors import ModelCallError
from qsm.evals.scoring import check_cites
from qsm.graph.team.analysis import RequestAnalysis, analyze
from qsm.graph.team.candidate import draft_messages, note_answer
from qsm.graph.team.checks import run_checks
from qsm.store.embedder import Embedder
from qsm.train.dataset import load_split
from qsm.train.example import Example, Split, write_examples
from qsm.train.seed_common import Seeds, example, split_by_group
from qsm.train.seed_general import general_task
from qsm.train.settings import DataSettings, TrainLayout

__all__ = [
    "CATEGORY",
    "NoteTask",
    "RejectionStats",
    "accept",
    "add_to_weq",
    "build_notes_rs",
    "describe_model",
    "held_out_groups",
    "note_tasks",
    "rejection_sample",
    "split_tasks",
]

CATEGORY = "notes.team"
"""The category of every example built here (seed data's own ``notes`` examples keep theirs)."""

Log = Callable[[str], None]


@dataclass(frozen=True)
class NoteTask:
    """One note request as the team reads it and WeQ's example on the team's prompt (gold target)."""

    request: str
    analysis: RequestAnalysis
    example: Example


def describe_model(agent: AgentSettings) -> str:
    """The model that samples, for the record: backend and base, and the adapter with its sha256 prefix."""
    from qsm.train.teacher import describe_teacher

    choice = resolve_adapter("WeQ", agent.model)
    if choice.path is None or not choice.path.is_file():
        return f"{describe_teacher(agent)}, no adapter"
    digest = hashlib.sha256(choice.path.read_bytes()).hexdigest()[:12]
    return f"{describe_teacher(agent)}, {choice.source} adapter {choice.path.name} {digest}"


def _supports(claim: str, note: str) -> bool:  # the team's rule (TeamContext.supports), for recalled notes
    from qsm.agents.inline_notes import content_words

    return bool(content_words(claim) & content_words(note))


def note_tasks(
    seed: int, count: int, embedder: Embedder | None, *, log: Log = lambda _m: None
) -> list[NoteTask]:
    """``count`` distinct note requests from the training templates, each with WeQ's prompt as the team
    builds it. A request where the team would show another note than the one holding the answer is
    skipped (no answer to it could be right), and so is one the team does not read as notes."""
    seeds = Seeds(seed, "WeQ.notes.team")
    system = role_prompt("WeQ.draft")
    seen: set[str] = set()
    out: list[NoteTask] = []
    skipped = tries = 0
    while len(out) < count and tries < count * 30:
        tries += 1
        task = general_task(seeds, "notes")
        if task.request in seen:
            continue
        seen.add(task.request)
        analysis = analyze(task.request, embedder, None)
        if analysis.notes is None or analysis.best_note != task.cite:
            skipped += 1
            continue
        # A notes request is always routed by the student (the notes settle it), so the plan has no steps.
        plan = Plan(goal=task.request[:200], steps=[], route_to="WeQ", router="student")
        messages = draft_messages(system, UserRequest(text=task.request), analysis, plan, 1.0)
        gold = {
            "answer": task.value,
            "cite": task.cite,
            "notes": task.notes,
            "inline_notes": True,
            "request": task.request,
        }
        item = example("WeQ.draft", CATEGORY, task.group, messages, task.answer, gold)
        out.append(NoteTask(task.request, analysis, item))
    log(f"note prompts: {len(out)} built, {skipped} skipped (the team would show another note)")
    return out


def accept(task: NoteTask, reply: str, embed: Callable[[list[str]], Any] | None = None) -> tuple[str, str]:
    """The reply as the team keeps it and why it is rejected ("" when accepted): Ref's checks first, then
    the gold fact and note."""
    text = note_answer(reply.strip(), task.analysis)
    checks = run_checks(task.analysis, text, expected=None, supports=_supports, embed=embed)
    failed = [c for c in checks if not c.passed]
    if failed:
        return text, f"check {failed[0].name}: {failed[0].problem}"
    gold = task.example.gold
    verdict = check_cites({"aliases": [gold["answer"]], "note": gold["cite"]}, text)
    return text, "" if verdict.correct else f"gold: {verdict.reason}"


@dataclass
class RejectionStats:
    prompts: int = 0
    samples: int = 0
    call_errors: int = 0
    rejected_checks: int = 0
    rejected_gold: int = 0
    duplicates: int = 0
    accepted: int = 0
    prompts_with_accepted: int = 0
    gold_fallback: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def acceptance_rate(self) -> float:
        """Samples that passed Ref's checks and the gold, over samples drawn."""
        return round((self.accepted + self.duplicates) / max(1, self.samples), 4)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "acceptance_rate": self.acceptance_rate}


def _sampling(base: Sampling, index: int, temperature: float) -> Sampling:
    """Sample 0 greedy (what the team's first candidate decodes), the others at ``temperature``."""
    if index == 0:
        return base.model_copy(update={"temperature": 0.0, "seed": 0})
    return base.model_copy(update={"temperature": temperature, "seed": index})


def rejection_sample(
    model: ChatModel,
    tasks: list[NoteTask],
    *,
    samples: int,
    sampling: Sampling,
    temperature: float = 0.8,
    keep: int = 2,
    embed: Callable[[list[str]], Any] | None = None,
    log: Log = lambda _m: None,
) -> tuple[list[Example], RejectionStats]:
    """Up to ``samples`` answers per prompt from ``model``; at most ``keep`` distinct accepted answers per
    prompt become examples (source ``rejection``), and a prompt with none gets its gold
    answer."""
    stats = RejectionStats()
    out: list[Example] = []
    for number, task in enumerate(tasks, 1):
        stats.prompts += 1
        kept: list[str] = []
        for index in range(samples):
            request = ModelRequest(
                task.example.chat, _sampling(sampling, index, temperature), cache_key="WeQ"
            )
            try:
                reply = model.complete(request).text
            except ModelCallError:
                stats.call_errors += 1
                continue
            stats.samples += 1
            text, reason = accept(task, reply, embed)
            if reason:
                kind = reason.split(":", 1)[0]
                stats.reasons[reason.split(" [", 1)[0][:60]] = (
                    stats.reasons.get(reason.split(" [", 1)[0][:60], 0) + 1
                )
                if kind == "gold":
                    stats.rejected_gold += 1
                else:
                    stats.rejected_checks += 1
                continue
            if text in kept:
                stats.duplicates += 1
                continue
            stats.accepted += 1
            kept.append(text)
        if kept:
            stats.prompts_with_accepted += 1
        for text in kept[:keep]:
            out.append(_with_target(task.example, text, "rejection"))
        if not kept:
            stats.gold_fallback += 1
            out.append(task.example)
        if number % 20 == 0 or number == len(tasks):
            log(f"  {number}/{len(tasks)} prompts: {stats.accepted} accepted of {stats.samples} samples")
    return out, stats


def _with_target(item: Example, target: str, source: str) -> Example:
    from qsm.train.example import example_id

    return item.model_copy(
        update={"id": example_id(item.task, item.messages, target), "target": target, "source": source}
    )


def held_out_groups(layout: TrainLayout) -> set[str]:
    """The groups of WeQ's validation and test splits: a note request in one of them is never trained on."""
    return {e.group for split in ("val", "test") for e in load_split(layout, "WeQ", split)}


def split_tasks(tasks: list[NoteTask], data: DataSettings, held_out: set[str]) -> dict[Split, list[NoteTask]]:
    """The note tasks split by group (as the role datasets are); a task whose group WeQ's seed data holds
    out goes to the held-out side, never to train."""
    by_id = {t.example.id: t for t in tasks}
    splits = split_by_group(
        [t.example for t in tasks], test=data.test_fraction, val=data.val_fraction, seed=data.seed
    )
    out: dict[Split, list[NoteTask]] = {name: [by_id[e.id] for e in items] for name, items in splits.items()}
    moved = [t for t in out["train"] if t.example.group in held_out]
    out["train"] = [t for t in out["train"] if t.example.group not in held_out]
    out["test"] = out["test"] + moved
    return out


def add_to_weq(
    layout: TrainLayout,
    splits: dict[Split, list[NoteTask]],
    train_examples: list[Example],
    stats: RejectionStats,
    *,
    settings: dict[str, Any],
) -> dict[str, int]:
    """Write WeQ's splits with the note examples added (earlier ``notes.team`` examples replaced, so the
    command can run again) and record the counts and the sampling's statistics in ``rejection.json``."""
    counts: dict[str, int] = {}
    for name in ("train", "val", "test"):
        current = [e for e in load_split(layout, "WeQ", name) if e.category != CATEGORY]
        added = train_examples if name == "train" else [t.example for t in splits[name]]
        counts[name] = write_examples(layout.split("WeQ", name), current + added)
        counts[f"{name}_added"] = len(added)
    record = {"settings": settings, "counts": counts, "rejection": stats.as_dict()}
    layout.rejection("WeQ").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return counts


def build_notes_rs(
    layout: TrainLayout,
    data: DataSettings,
    model: ChatModel,
    embedder: Embedder | None,
    *,
    prompts: int,
    samples: int,
    keep: int,
    temperature: float,
    sampling: Sampling,
    settings: dict[str, Any],
    log: Log = lambda _m: None,
) -> dict[str, Any]:
    """Steps 1-3 of the module docstring on WeQ's dataset in ``layout`` (built by ``qsm train data``)."""
    tasks = note_tasks(data.seed, prompts, embedder, log=log)
    splits = split_tasks(tasks, data, held_out_groups(layout))
    log(f"note prompts by split: {', '.join(f'{k} {len(v)}' for k, v in splits.items())}")
    embed = None if embedder is None or embedder.name.startswith("hashing") else embedder.embed
    train, stats = rejection_sample(
        model, splits["train"], samples=samples, sampling=sampling, temperature=temperature, keep=keep,
        embed=embed, log=log,
    )  # fmt: skip
    counts = add_to_weq(layout, splits, train, stats, settings=settings)
    log(
        f"rejection sampling: {stats.accepted} distinct answers accepted of {stats.samples} samples "
        f"(acceptance {stats.acceptance_rate:.0%}); {stats.prompts_with_accepted}/{stats.prompts} prompts "
        f"kept a sampled answer, {stats.gold_fallback} took the gold answer"
    )
    return {"counts": counts, "rejection": stats.as_dict()}
