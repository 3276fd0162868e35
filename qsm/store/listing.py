"""Reading the directory: what an agent may see, ``ls``, ``tree`` and saved views."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from qsm.errors import MemoryStoreError
from qsm.store.codec import to_ms
from qsm.store.engine import MemoryEngine
from qsm.store.filters import Where, all_of, any_of, subtree, translate
from qsm.store.models import DirInfo, DirListing, MemoryEntry, TreeNode, ViewDefinition
from qsm.store.paths import VIEWS_ROOT, ancestors, is_under, join, normalize_path, parent_of

__all__ = ["ReadScope", "build_tree", "check_view", "create_view", "list_directory"]

_QUERY_VIEW_K = 20


class ReadScope:
    """What ``agent`` may read: a backend filter (a superset) plus an exact per-entry check."""

    def __init__(self, engine: MemoryEngine, agent: str) -> None:
        self.agent = agent
        self._policy = engine.policy
        prefixes = engine.policy.read_prefixes(agent)
        self.clause: Where | None = (
            None if prefixes is None else any_of(*(subtree(p) or {} for p in prefixes))
        )
        self._exact = prefixes is not None

    def keep(self, entry: MemoryEntry) -> bool:
        return not self._exact or self._policy.permits(self.agent, "read", entry.path)

    def reads_some(self, path: str) -> bool:
        return self._policy.reads_some(self.agent, path)


def list_directory(engine: MemoryEngine, path: str, scope: ReadScope, limit: int | None) -> DirListing:
    if is_under(path, VIEWS_ROOT):
        return _list_views(engine, path, scope, limit)
    engine.policy.require_some_read(scope.agent, path)
    counts = engine.sidecar.dir_counts(path)
    direct: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    depth = len(ancestors(path))
    for entry_path, n in counts.items():
        chain = ancestors(entry_path)
        if len(chain) > depth:
            child = chain[depth]
            total[child] += n
            direct[child] += n if entry_path == child else 0
    dirs = [
        DirInfo(path=c, name=c.rsplit("/", 1)[-1], entries=direct[c], total=total[c])
        for c in sorted(total)
        if scope.reads_some(c)
    ]
    if path == "/" and engine.sidecar.views():
        dirs.append(DirInfo(path=VIEWS_ROOT, name="views", entries=0, total=None, view=True))
    entries = [] if path == "/" else [e for e in engine.find({"path": path}) if scope.keep(e)]
    return DirListing(path=path, dirs=dirs, entries=entries[:limit] if limit else entries)


def _list_views(engine: MemoryEngine, path: str, scope: ReadScope, limit: int | None) -> DirListing:
    engine.policy.require(scope.agent, "read", path)
    if path == VIEWS_ROOT:
        dirs = [
            DirInfo(path=v.path, name=v.path.rsplit("/", 1)[-1], entries=None, total=None, view=True)
            for v in engine.sidecar.views()
        ]
        return DirListing(path=path, dirs=dirs, entries=[])
    found = engine.sidecar.view(path)
    if found is None:
        raise MemoryStoreError(
            f"there is no view {path}", hint=f"list the views with `qsm memory ls {VIEWS_ROOT}`"
        )
    view, vector, embedder_name = found
    try:
        view = check_view(view)
    except MemoryStoreError as exc:  # saved before views were checked (an old import)
        raise MemoryStoreError(
            f"the view {path} is invalid: {exc.message}",
            hint=f"remove it with `qsm memory drop-view {path}` and create it again",
        ) from None
    if view.query:
        import numpy as np

        if vector is None or embedder_name != engine.embedder.name:
            query_vector = engine.embedder.embed([view.query])[0]
        else:
            query_vector = np.asarray(vector, dtype=np.float32)
        k = view.k or _QUERY_VIEW_K
        clause = all_of(translate(view.where), scope.clause)
        entries = [h.entry for h in engine.nearest(query_vector, k, view.under, clause, scope.keep)]
    else:
        clause = all_of(subtree(view.under), translate(view.where), scope.clause)
        entries = [e for e in engine.find(clause) if scope.keep(e)]
        entries = entries[: view.k] if view.k else entries
    return DirListing(path=path, dirs=[], entries=entries[:limit] if limit else entries, view=view)


def build_tree(engine: MemoryEngine, path: str, depth: int | None, scope: ReadScope) -> TreeNode:
    """The directories at and below ``path`` with entry counts, down to ``depth`` levels."""
    if is_under(path, VIEWS_ROOT):
        engine.policy.require(scope.agent, "read", path)
        views = [v for v in engine.sidecar.views() if is_under(v.path, path)]
        if path == VIEWS_ROOT:
            return _views_node(views, depth)
        if not views:
            raise MemoryStoreError(
                f"there is no view {path}", hint=f"list the views with `qsm memory ls {VIEWS_ROOT}`"
            )
        return _view_node(path)
    engine.policy.require_some_read(scope.agent, path)
    base = len(ancestors(path))
    direct: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for entry_path, n in engine.sidecar.dir_counts(path).items():
        direct[entry_path] += n
        for node in [path, *ancestors(entry_path)[base:]]:
            total[node] += n
    children: dict[str, list[str]] = defaultdict(list)
    for node in sorted(total):
        if (
            node != path
            and (depth is None or len(ancestors(node)) - base <= depth)
            and scope.reads_some(node)
        ):
            children[parent_of(node)].append(node)

    def node_of(node_path: str) -> TreeNode:
        kids = [node_of(c) for c in children.get(node_path, [])]
        name = node_path.rsplit("/", 1)[-1] or "/"
        return TreeNode(
            path=node_path, name=name, entries=direct[node_path], total=total[node_path], children=kids
        )

    root = node_of(path)
    views = engine.sidecar.views() if path == "/" and (depth is None or depth >= 1) else []
    if views:
        views_node = _views_node(views, None if depth is None else depth - 1)
        root = root.model_copy(update={"children": [*root.children, views_node]})
    return root


def _views_node(views: list[ViewDefinition], depth: int | None) -> TreeNode:
    kids = [_view_node(v.path) for v in views] if depth is None or depth >= 1 else []
    return TreeNode(path=VIEWS_ROOT, name="views", entries=None, total=None, view=True, children=kids)


def _view_node(view_path: str) -> TreeNode:
    return TreeNode(path=view_path, name=view_path.rsplit("/", 1)[-1], entries=None, total=None, view=True)


def check_view(view: ViewDefinition) -> ViewDefinition:
    """``view`` with its paths normalised, or :class:`MemoryStoreError` saying what is wrong with it
    (views made here and views read from an export obey the same rules)."""
    path = normalize_path(view.path)
    if parent_of(path) != VIEWS_ROOT:
        raise MemoryStoreError(
            f"views live directly under {VIEWS_ROOT}, got {path}",
            hint=f"use a path like {join(VIEWS_ROOT, 'python')}",
        )
    query = view.query.strip() if view.query else None
    if not query and not view.where:
        raise MemoryStoreError(f"the view {path} needs a query, a facet filter, or both")
    translate(view.where)  # validates the filter
    under = normalize_path(view.under)
    if is_under(under, VIEWS_ROOT):
        raise MemoryStoreError(
            f"the view {path} looks under {under}, inside {VIEWS_ROOT}",
            hint="a view looks in a subtree of entries, e.g. / or /knowledge",
        )
    return view.model_copy(update={"path": path, "query": query, "under": under})


def create_view(
    engine: MemoryEngine,
    path: str,
    *,
    query: str | None,
    where: Mapping[str, Any] | None,
    under: str,
    k: int | None,
    description: str,
    as_agent: str,
) -> ViewDefinition:
    path = normalize_path(path)
    engine.policy.require(as_agent, "write", path)
    plain_where = json.loads(json.dumps(dict(where), default=_jsonable)) if where else None
    view = check_view(
        ViewDefinition(
            path=path,
            query=query,
            where=plain_where,
            under=under,
            k=k,
            description=description,
            created_by=as_agent,
            created_at=engine.now(),
        )
    )
    vector = engine.embedder.embed([view.query])[0].tolist() if view.query else None
    engine.sidecar.put_view(view, vector, engine.embedder.name)
    return view


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_ms(value)
    raise MemoryStoreError(f"view filters take strings, numbers and bools, got {value!r}")
