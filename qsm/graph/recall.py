"""How runs use memory: WeQ recalls notes and cites them, Ref learns lessons from rejected drafts and
curates, every finished run is remembered per user. Memory trouble never breaks a run: it is reported
as an event and the run goes on without it (a refused write keeps its entry on the error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qsm.agents.backend import ModelRequest
from qsm.agents.messages import Citation, Draft, FinalAnswer, Verdict
from qsm.agents.roles import chat
from qsm.errors import MemoryStoreError
from qsm.graph.agent_call import emit
from qsm.graph.events import MemoryEvent, RecallEvent, RecallHit
from qsm.store.paths import user_chats_path

if TYPE_CHECKING:
    from qsm.graph.runtime import Runtime

__all__ = ["LESSONS", "curate", "recall_lessons", "recall_notes", "remember_chat", "write_lesson"]

LESSONS = "/agents/Ref/lessons"


def _safe(what: str, agent: str, fn: Callable[[], Any], default: Any) -> Any:
    try:
        return fn()
    except MemoryStoreError as err:
        emit(MemoryEvent(agent=agent, message=f"{what} skipped: {err.message}"))
        return default


def recall_notes(rt: Runtime, query: str, user: str, agent: str) -> list[Citation]:
    """Knowledge and the user's past chats most similar to ``query`` (best first, at most recall_k)."""
    memory, settings = rt.memory, rt.settings.runtime
    if memory is None or settings.recall_k == 0:
        return []

    def search() -> list[Any]:
        hits = memory.search(
            query,
            under="/knowledge",
            k=settings.recall_k,
            as_agent=agent,
            min_score=settings.recall_min_score,
        )
        hits += memory.search(
            query,
            under=user_chats_path(user),
            k=max(1, settings.recall_k // 2),
            as_agent=agent,
            min_score=max(settings.recall_min_score, settings.recall_chat_min_score),
        )
        return sorted(hits, key=lambda h: -h.score)[: settings.recall_k]

    hits = _safe("recall", agent, search, [])
    if hits:
        emit(
            RecallEvent(
                agent=agent,
                hits=[RecallHit(id=h.entry.id, path=h.entry.path, score=round(h.score, 3)) for h in hits],
            )
        )
    return [Citation(entry_id=h.entry.id, path=h.entry.path, quote=h.entry.text[:400]) for h in hits]


def recall_lessons(rt: Runtime, query: str, agent: str, k: int = 2) -> list[str]:
    memory = rt.memory
    if memory is None or not rt.settings.runtime.ref_lessons:
        return []
    hits = _safe(
        "lessons",
        agent,
        lambda: memory.search(
            query, under=LESSONS, k=k, as_agent=agent, min_score=rt.settings.runtime.recall_min_score
        ),
        [],
    )
    return [h.entry.text for h in hits]


def write_lesson(
    rt: Runtime, request: str, draft: Draft, verdict: Verdict, parents: list[str], agent: str
) -> None:
    """Ref remembers why a draft was rejected, then folds near-duplicate lessons together."""
    memory = rt.memory
    if memory is None or not rt.settings.runtime.ref_lessons:
        return
    text = (
        f"Rejected an answer to {request[:200]!r}: {draft.text[:300]!r}. "
        f"Reasons: {'; '.join(verdict.reasons)[:300]}"
    )
    entry = _safe(
        "lesson",
        agent,
        lambda: memory.write(
            text,
            LESSONS,
            as_agent=agent,
            topic="lessons",
            source="review",
            confidence=1.0 - verdict.score,
            parents=parents,
        ),
        None,
    )
    if entry is not None:
        _safe("dedupe", agent, lambda: memory.dedupe(LESSONS, as_agent=agent), None)


def remember_chat(
    rt: Runtime, user: str, request: str, final: FinalAnswer, final_id: str, thread_id: str
) -> None:
    memory = rt.memory
    if memory is None or not rt.settings.runtime.remember_chats or final.status != "ok":
        return
    _safe(
        "chat memory",
        "WeQ",
        lambda: memory.write(
            f"Q: {request}\nA: {final.text}",
            user_chats_path(user),
            as_agent="WeQ",
            topic="chat",
            source=f"thread:{thread_id}",
            confidence=final.score if final.score is not None else 0.5,
            parents=[final_id],
        ),
        None,
    )


def curate(rt: Runtime, path: str, agent_name: str = "Ref", summarise_over: int = 8) -> dict[str, Any]:
    """Ref's curation of a subtree: fold near-duplicates, then summarise it with Ref's model when it
    holds more than ``summarise_over`` entries. Each step lands in the memory's curation log."""
    from qsm.graph.spec import Agent

    if rt.memory is None:
        raise MemoryStoreError("this runtime has no memory", hint="open qsm with memory enabled")
    report: dict[str, Any] = {"dedupe": rt.memory.dedupe(path, as_agent=agent_name).model_dump(mode="json")}
    listing = rt.memory.ls(path, as_agent=agent_name)
    if len(listing.entries) > summarise_over:
        ref = Agent(name=agent_name, role="reflector")
        model, sampling = rt.model(ref), rt.agent_settings(ref).sampling

        def summarise(texts: list[str]) -> str:
            body = "\n".join(f"- {t[:300]}" for t in texts)
            done = model.complete(
                ModelRequest(
                    chat("You are Ref. Summarise these notes in a few sentences, keeping facts.", body),
                    sampling,
                    cache_key=agent_name,
                )
            )
            return done.text.strip() or body[:1000]

        summary = rt.memory.summarise(path, summarise, as_agent=agent_name)
        report["summary"] = summary.model_dump(mode="json")
    return report
