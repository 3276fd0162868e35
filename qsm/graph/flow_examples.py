"""The Python functions that the shipped flow example (``qsm/graph/workflows/draft-check-loop.yaml``) names: a length
check (a Python node), the route of its loop, and the step that publishes the answer. Modules of the ``qsm``
package are always allowed in specs, so the example runs without changing settings."""

from __future__ import annotations

from qsm.agents.messages import Draft, Note, Verdict

__all__ = ["MAX_WORDS", "check_length", "publish", "revise_or_publish"]

MAX_WORDS = 40


def check_length(draft: Draft) -> Verdict:
    """Accept a draft of at most :data:`MAX_WORDS` words; ask for a shorter one otherwise."""
    words = len(draft.text.split())
    if words <= MAX_WORDS:
        return Verdict(
            decision="accept", score=1.0, reasons=[f"{words} words"], candidate=0, judged_by="checks"
        )
    return Verdict(
        decision="revise",
        score=round(MAX_WORDS / words, 2),
        reasons=[f"{words} words: shorten the answer to at most {MAX_WORDS} words"],
        candidate=0,
        judged_by="checks",
    )


def revise_or_publish(verdict: Verdict) -> str:
    """The route after the check: back to the writer to revise, or on to publish."""
    return "publish" if verdict.decision == "accept" else "writer"


def publish(draft: Draft, verdict: Verdict | None) -> Note:
    """The answer: the latest draft, marked when the check (or the user) did not accept it."""
    if verdict is None or verdict.decision == "accept":
        return Note(text=draft.text, author="publish")
    return Note(text=f"{draft.text}\n\n(unverified: {'; '.join(verdict.reasons)})", author="publish")
