"""Per-agent rights per subtree: refused operations say why, change nothing and lose nothing."""

from __future__ import annotations

import io

import pytest

from qsm.errors import AccessDeniedError, MemoryStoreError
from qsm.store import (
    AccessPolicy,
    AccessRuleSettings,
    DirectoryMemory,
    EntryDraft,
    FakeMemoryStore,
    PathAccessDenied,
)
from qsm.store.paths import (
    agent_lessons_path,
    glob_literal_prefix,
    glob_matches,
    knowledge_path,
    normalize_path,
    user_chats_path,
)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/**", "/", True),
        ("/**", "/a/b", True),
        ("/agents/Ref/**", "/agents/Ref", True),
        ("/agents/Ref/**", "/agents/Ref/lessons/x", True),
        ("/agents/Ref/**", "/agents/Refx", False),
        ("/users/*/chats", "/users/alice/chats", True),
        ("/users/*/chats", "/users/alice/notes", False),
        ("/users/*/chats", "/users/alice/chats/old", False),
        ("/knowledge/py*/**", "/knowledge/python/async", True),
        ("/a/**/z", "/a/z", True),
        ("/a/**/z", "/a/b/c/z", True),
    ],
)
def test_glob_matching(pattern: str, path: str, expected: bool) -> None:
    assert glob_matches(pattern, path) is expected


def test_path_helpers_make_valid_paths() -> None:
    assert user_chats_path("alice@example.com") == "/users/alice@example.com/chats"
    assert user_chats_path("../../etc") == "/users/etc/chats"
    assert user_chats_path("a/b*") == "/users/a-b/chats"
    assert agent_lessons_path("Ref") == "/agents/Ref/lessons"
    assert knowledge_path("python/asyncio") == "/knowledge/python/asyncio"
    for path in (user_chats_path("x y?"), knowledge_path(" tea / green ")):
        assert normalize_path(path) == path


def test_glob_literal_prefix() -> None:
    assert glob_literal_prefix("/users/*/chats/**") == "/users"
    assert glob_literal_prefix("/**") == "/"
    assert glob_literal_prefix("/agents/Ref/**") == "/agents/Ref"


def test_default_policy_matches_the_roles() -> None:
    policy = AccessPolicy()
    assert policy.permits("WeQ", "write", "/users/alice/chats")
    assert policy.permits("WeQ", "write", "/knowledge/python")
    assert not policy.permits("WeQ", "write", "/agents/Ref/lessons")
    assert policy.permits("Ref", "write", "/agents/Ref/lessons")
    assert not policy.permits("Ref", "write", "/knowledge/python")
    assert policy.permits("Ref", "curate", "/knowledge/python")
    assert policy.permits("Ref", "curate", "/agents/WeQ/notes")
    assert not policy.permits("Ref", "curate", "/users/alice/chats")
    assert policy.permits("SOM", "write", "/agents/SOM/prices") and not policy.permits(
        "SOM", "write", "/knowledge"
    )
    assert policy.permits("Planner", "write", "/agents/Planner/x")  # unknown agents get their own subtree
    assert policy.permits("user", "write", "/anything/at/all")
    assert all(policy.permits(a, "read", "/users/bob/chats") for a in ("QSM", "WeQ", "SOM", "Ref"))
    assert policy.permits("weq", "write", "/knowledge/x")  # principal names are case-insensitive


def test_settings_override_single_fields() -> None:
    policy = AccessPolicy.from_settings(
        {
            "WeQ": AccessRuleSettings(write=["/users/**"]),
            "SOM": AccessRuleSettings(read=["/agents/SOM/**", "/knowledge/**"]),
        }
    )
    assert not policy.permits("WeQ", "write", "/knowledge/python")
    assert policy.permits("WeQ", "read", "/agents/Ref/lessons")  # read kept its default
    assert not policy.permits("SOM", "read", "/users/alice/chats")
    with pytest.raises(ValueError, match="must start with '/'"):
        AccessRuleSettings(write=["knowledge/**"])


def test_writing_outside_the_subtree_is_refused_and_nothing_is_lost(memory: DirectoryMemory) -> None:
    memory.write("existing lesson", path="/agents/Ref/lessons", as_agent="Ref")
    before = io.StringIO()
    memory.export(before)
    with pytest.raises(PathAccessDenied) as info:
        memory.write("WeQ's note", path="/agents/Ref/lessons", as_agent="WeQ", confidence=0.6, source="chat")
    err = info.value
    assert isinstance(err, AccessDeniedError) and isinstance(err, MemoryStoreError)
    assert "WeQ" in err.message and "/agents/Ref/lessons" in err.message
    assert "/users/**" in err.message and "/knowledge/**" in err.message  # the allowed prefixes
    assert err.allowed == ("/users/**", "/knowledge/**", "/agents/WeQ/**")
    assert err.rejected is not None
    assert (err.rejected.text, err.rejected.confidence, err.rejected.source) == ("WeQ's note", 0.6, "chat")
    after = io.StringIO()
    memory.export(after)
    assert _body(after) == _body(before)
    saved = memory.write(err.rejected.text, path="/agents/WeQ/notes", as_agent="WeQ")  # caller re-homes it
    assert saved.text == "WeQ's note"


def test_a_refused_batch_writes_nothing(memory: DirectoryMemory) -> None:
    drafts = [EntryDraft(text="fine", path="/knowledge/a"), EntryDraft(text="not fine", path="/agents/QSM/x")]
    with pytest.raises(PathAccessDenied) as info:
        memory.write_many(drafts, as_agent="WeQ")
    assert info.value.rejected is not None and info.value.rejected.text == "not fine"
    assert memory.stats()["entries"] == 0


def test_curation_rights(memory: DirectoryMemory) -> None:
    chat = memory.write("alice's chat", path="/users/alice/chats", as_agent="WeQ")
    fact = memory.write("a fact", path="/knowledge/misc", as_agent="WeQ")
    with pytest.raises(PathAccessDenied, match="Ref may not curate /users/alice/chats"):
        memory.refile(chat.id, "/knowledge/misc", as_agent="Ref")
    with pytest.raises(PathAccessDenied, match="may not curate /users/alice/notes"):
        memory.refile(fact.id, "/users/alice/notes", as_agent="Ref")
    assert memory.get(fact.id) == fact and memory.get(chat.id) == chat
    with pytest.raises(PathAccessDenied):
        memory.delete(fact.id, as_agent="SOM")
    with pytest.raises(PathAccessDenied):
        memory.ingest("nothing.txt", under="/knowledge/x", as_agent="Ref")
    with pytest.raises(PathAccessDenied):
        memory.create_view("/views/mine", query="x", as_agent="WeQ")
    moved = memory.refile(fact.id, "/knowledge/filed", as_agent="Ref")
    assert moved.provenance.operation == "refile" and moved.provenance.by == "Ref"
    assert memory.curation_log()[-1].by == "Ref"


def test_read_rights_filter_search_ls_and_get() -> None:
    policy = AccessPolicy.from_settings(
        {"SOM": AccessRuleSettings(read=["/knowledge/**", "/agents/*/prices"])}
    )
    memory = FakeMemoryStore(policy=policy)
    secret = memory.write("alice likes tea", path="/users/alice/chats", as_agent="user")
    memory.write("tea is a drink", path="/knowledge/tea", as_agent="user")
    memory.write("tea costs 3", path="/agents/SOM/prices", as_agent="SOM")
    memory.write("tea lesson", path="/agents/SOM/lessons", as_agent="SOM")
    hits = memory.search("tea", k=10, as_agent="SOM")
    assert sorted(h.entry.path for h in hits) == ["/agents/SOM/prices", "/knowledge/tea"]
    assert len(memory.search("tea", k=10, as_agent="WeQ")) == 4
    assert [d.name for d in memory.ls("/", as_agent="SOM").dirs] == ["agents", "knowledge"]
    with pytest.raises(PathAccessDenied, match="SOM may not read /users"):
        memory.search("tea", under="/users", as_agent="SOM")
    with pytest.raises(PathAccessDenied):
        memory.get(secret.id, as_agent="SOM")
    assert memory.ls("/agents/SOM/lessons", as_agent="SOM").entries == []


def _body(dump: io.StringIO) -> list[str]:
    return dump.getvalue().splitlines()[1:]  # without the header (it carries the export time)
