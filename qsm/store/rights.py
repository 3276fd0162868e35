"""Who may read, write and curate which memory subtrees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from qsm.errors import AccessDeniedError
from qsm.store.models import MemoryEntry
from qsm.store.paths import glob_literal_prefix, glob_matches, is_under
from qsm.store.settings import AccessRuleSettings

__all__ = ["DEFAULT_RULES", "AccessPolicy", "AccessRule", "Action", "PathAccessDenied"]

Action = Literal["read", "write", "curate"]
_ANY = "*"


@dataclass(frozen=True)
class AccessRule:
    """Path globs per action. ``curate`` (dedupe, summarise, move, re-file, delete) is also allowed
    wherever ``write`` is."""

    read: tuple[str, ...] = ("/**",)
    write: tuple[str, ...] = ()
    curate: tuple[str, ...] = ()


DEFAULT_RULES: dict[str, AccessRule] = {
    "user": AccessRule(write=("/**",), curate=("/**",)),
    "QSM": AccessRule(write=("/agents/QSM/**",)),
    "WeQ": AccessRule(write=("/users/**", "/knowledge/**", "/agents/WeQ/**")),
    "SOM": AccessRule(write=("/agents/SOM/**",)),
    "Ref": AccessRule(write=("/agents/Ref/**",), curate=("/knowledge/**", "/agents/**")),
    _ANY: AccessRule(write=("/agents/{agent}/**",)),
}


class PathAccessDenied(AccessDeniedError):
    """A principal lacks a right on a path. Nothing was changed; a refused write keeps its entry in
    :attr:`rejected` so the caller can store it elsewhere."""

    def __init__(
        self, agent: str, action: Action, path: str, allowed: tuple[str, ...], rejected: MemoryEntry | None
    ) -> None:
        shown = ", ".join(allowed) if allowed else "nothing"
        verb = {"read": "read", "write": "write to", "curate": "curate"}[action]
        super().__init__(
            f"{agent} may not {verb} {path}: its {action} rights cover {shown}",
            hint=f"use a path under {shown}, or grant the right in [memory.rights.{agent}] of qsm.toml"
            + ("; the refused entry is kept on the error (.rejected)" if rejected is not None else ""),
        )
        self.agent = agent
        self.action = action
        self.path = path
        self.allowed = allowed
        self.rejected = rejected


class AccessPolicy:
    """Maps a principal (agent name or ``user``) to its rights; unknown agents get the ``*`` rule."""

    def __init__(self, rules: Mapping[str, AccessRule] | None = None) -> None:
        self._rules = dict(DEFAULT_RULES if rules is None else rules)

    @classmethod
    def from_settings(cls, overrides: Mapping[str, AccessRuleSettings]) -> AccessPolicy:
        """The defaults with ``[memory.rights.<principal>]`` overrides applied field by field."""
        rules = dict(DEFAULT_RULES)
        for name, override in overrides.items():
            known = next((k for k in rules if k.lower() == name.lower()), name)
            base = rules.get(known, rules[_ANY])
            rules[known] = AccessRule(
                read=tuple(override.read) if override.read is not None else base.read,
                write=tuple(override.write) if override.write is not None else base.write,
                curate=tuple(override.curate) if override.curate is not None else base.curate,
            )
        return cls(rules)

    def allowed(self, principal: str, action: Action) -> tuple[str, ...]:
        """The globs granting ``action`` to ``principal``, ``{agent}`` filled in."""
        name, rule = self._rule(principal)
        globs = rule.read if action == "read" else rule.write
        if action == "curate":
            globs = rule.write + rule.curate
        return tuple(dict.fromkeys(g.replace("{agent}", name) for g in globs))

    def permits(self, principal: str, action: Action, path: str) -> bool:
        return any(glob_matches(g, path) for g in self.allowed(principal, action))

    def require(self, principal: str, action: Action, path: str, rejected: MemoryEntry | None = None) -> None:
        """Raise :class:`PathAccessDenied` unless ``principal`` may ``action`` at ``path``."""
        if not self.permits(principal, action, path):
            raise PathAccessDenied(principal, action, path, self.allowed(principal, action), rejected)

    def reads_some(self, principal: str, under: str) -> bool:
        """True when ``principal`` may read at least part of the subtree ``under``."""
        for glob in self.allowed(principal, "read"):
            prefix = glob_literal_prefix(glob)
            if is_under(under, prefix) or is_under(prefix, under):
                return True
        return False

    def require_some_read(self, principal: str, under: str) -> None:
        """Raise :class:`PathAccessDenied` unless ``principal`` may read part of ``under``."""
        if not self.reads_some(principal, under):
            raise PathAccessDenied(principal, "read", under, self.allowed(principal, "read"), None)

    def read_prefixes(self, principal: str) -> tuple[str, ...] | None:
        """Directories that contain everything ``principal`` may read; ``None`` when that is all."""
        prefixes = tuple(dict.fromkeys(glob_literal_prefix(g) for g in self.allowed(principal, "read")))
        return None if "/" in prefixes else prefixes

    def _rule(self, principal: str) -> tuple[str, AccessRule]:
        for name, rule in self._rules.items():
            if name.lower() == principal.lower() and name != _ANY:
                return name, rule
        return principal, self._rules.get(_ANY, AccessRule())
