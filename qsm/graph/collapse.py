"""Measurement: collapse N candidate drafts into one answer (Ref-ranked pick, vote, or a merge input)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qsm.agents.messages import Draft, Verdict

__all__ = ["Candidate", "rank", "similarity", "vote"]

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Candidate:
    draft_id: str
    draft: Draft
    verdict_id: str | None
    verdict: Verdict | None
    settled: str

    @property
    def score(self) -> float:
        return self.verdict.score if self.verdict else 0.5

    @property
    def rejected(self) -> bool:
        return self.verdict is not None and self.verdict.decision == "reject"


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Best first: not rejected before rejected, then by Ref's score, then earlier candidate."""
    return sorted(candidates, key=lambda c: (c.rejected, -c.score, c.draft.candidate))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' word sets (0..1)."""
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not wa and not wb:
        return 1.0
    return len(wa & wb) / len(wa | wb)


def vote(candidates: list[Candidate], threshold: float = 0.6) -> list[Candidate]:
    """Self-consistency: the candidate agreeing (similarity >= threshold) with most others wins; ties by
    Ref's ranking. Returns the candidates ordered by that vote."""
    ranked = rank(candidates)

    def support(c: Candidate) -> int:
        return sum(
            1
            for o in candidates
            if o is not c and not o.rejected and similarity(c.draft.text, o.draft.text) >= threshold
        )

    return sorted(ranked, key=lambda c: (c.rejected, -support(c), ranked.index(c)))
