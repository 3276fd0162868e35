"""memory_search over the fake store: paths and quotes back as text; failures as error results."""

from __future__ import annotations

import pytest

from qsm.agents.tools import MemorySearch, MemorySearchArgs, ToolCall, ToolError, builtin_toolbox
from qsm.store.fake import FakeMemoryStore


@pytest.fixture
def store() -> FakeMemoryStore:
    memory = FakeMemoryStore()
    memory.write("Rust ownership moves values between bindings.", path="/knowledge/rust", as_agent="WeQ")
    memory.write("Python lists are mutable sequences. " * 20, path="/knowledge/python", as_agent="WeQ")
    memory.write("The office closes at 18:00 on Fridays.", path="/notes/office", as_agent="user")
    return memory


def test_hits_come_back_with_paths_and_quotes(store: FakeMemoryStore) -> None:
    output = MemorySearch(store).run(MemorySearchArgs(query="rust ownership moves values", k=2))
    lines = output.text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("1. [mem:") and "/knowledge/rust" in lines[0]
    assert '"Rust ownership moves values between bindings."' in lines[0]
    assert all("/notes/" not in line for line in lines)  # only under /knowledge by default
    long_quote = next(hit["quote"] for hit in output.value if hit["path"] == "/knowledge/python")
    assert len(long_quote) <= 240 and long_quote.endswith("…")
    assert {hit["path"] for hit in output.value} == {"/knowledge/rust", "/knowledge/python"}


def test_search_under_another_folder_and_no_hits(store: FakeMemoryStore) -> None:
    toolbox = builtin_toolbox(store)
    assert toolbox.names == ["calculator", "convert_units", "memory_search"]
    found = toolbox.run(
        ToolCall(tool="memory_search", arguments={"query": "office hours", "under": "/notes"})
    )
    assert found.ok and "/notes/office" in found.output and found.value is None
    empty = toolbox.run(ToolCall(tool="memory_search", arguments={"query": "anything", "under": "/nothing"}))
    assert empty.ok and empty.output == "no notes under /nothing match 'anything'"


def test_store_errors_become_error_results(store: FakeMemoryStore) -> None:
    toolbox = builtin_toolbox(store)
    bad = toolbox.run(ToolCall(tool="memory_search", arguments={"query": "x", "under": "/views/recent"}))
    assert not bad.ok and "memory search failed" in bad.error and "is a view" in bad.error
    with pytest.raises(ToolError, match="at most 500"):
        MemorySearch(store).run(MemorySearchArgs(query="x" * 501))
    refused = toolbox.validate({"tool": "memory_search", "arguments": {"query": "rust", "k": 50}})
    assert refused.arguments["k"] == 10  # clamped into the schema's range by the repair
