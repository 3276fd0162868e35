"""The ``memory_search`` tool: the notes in a memory store most similar to a query, with their paths.

It needs only the store's ``search`` (``qsm.store.MemoryStore`` has it); :class:`SearchableMemory`
spells out that much, so this module does not import ``qsm.store`` (agents and store are independent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from qsm.agents.tools.base import ToolOutput
from qsm.agents.tools.errors import ToolError
from qsm.errors import QsmError

__all__ = ["MemorySearch", "MemorySearchArgs", "SearchableMemory"]

QUOTE_CHARS = 240
MAX_QUERY_CHARS = 500


class _Entry(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def path(self) -> str: ...

    def citation(self) -> str: ...


class _Hit(Protocol):
    @property
    def entry(self) -> _Entry: ...

    @property
    def score(self) -> float: ...


class SearchableMemory(Protocol):
    """What the tool uses of a memory store (``qsm.store.MemoryStore.search``)."""

    def search(
        self, query: str, *, under: str = "/", k: int = 4, as_agent: str = "user"
    ) -> Sequence[_Hit]: ...


class MemorySearchArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # lengths are checked in run(): limits here would bloat the grammar the schema becomes
    query: str = Field(
        min_length=1,
        description="what to look for, in a few words",
        json_schema_extra={
            "pattern": r'^[^{}\n"]+$'
        },  # schema only: one line, no JSON, for a constrained model
    )
    under: str = Field(
        "/knowledge",
        min_length=1,
        description="the folder to search in",
        json_schema_extra={"pattern": r"^/[A-Za-z0-9_./-]*$"},
    )
    k: int = Field(3, ge=1, le=10, description="how many notes to return")


class MemorySearch:
    """The ``memory_search`` tool over one store, read with ``as_agent``'s rights."""

    name: str = "memory_search"
    description: str = "Search the memory for notes about a query; returns each note's id, path and a quote."
    args_model: type[BaseModel] = MemorySearchArgs

    def __init__(self, store: SearchableMemory, *, as_agent: str = "user", timeout_s: float = 10.0) -> None:
        self.store = store
        self.as_agent = as_agent
        self.timeout_s = timeout_s

    def run(self, args: MemorySearchArgs) -> ToolOutput:
        if len(args.query) > MAX_QUERY_CHARS:
            raise ToolError(
                f"the query is {len(args.query)} characters long; at most {MAX_QUERY_CHARS} are allowed"
            )
        try:
            hits = self.store.search(args.query, under=args.under, k=args.k, as_agent=self.as_agent)
        except QsmError as exc:
            raise ToolError(f"memory search failed: {exc.message}", hint=exc.hint) from None
        if not hits:
            return ToolOutput(f"no notes under {args.under} match {args.query!r}", [])
        lines: list[str] = []
        found: list[dict[str, object]] = []
        for rank, hit in enumerate(hits, 1):
            quote = " ".join(hit.entry.text.split())
            if len(quote) > QUOTE_CHARS:
                quote = quote[: QUOTE_CHARS - 1].rstrip() + "…"
            lines.append(f'{rank}. {hit.entry.citation()} (score {hit.score:.2f}): "{quote}"')
            found.append({"id": hit.entry.id, "path": hit.entry.path, "quote": quote, "score": hit.score})
        return ToolOutput("\n".join(lines), found)
