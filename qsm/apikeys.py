"""API keys and the users they stand for, kept in ``<data_dir>/serve/serve.sqlite``.

A key is shown once, when it is made (``qsm serve keys add USER``); only its HMAC-SHA256 under a random
server salt (``<data_dir>/serve/salt``, readable by its owner only) is stored, so the file does not give
the keys away. Keys are 256 random bits: a keyed hash is enough, no slow password hash is needed. The
same database records which user owns each thread the server created. Both front doors use it: ``qsm serve``
(a key per request) and ``qsm ui`` (a key per app session, :func:`user_for_key`)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from pydantic import BaseModel

from qsm.errors import ConfigError, QsmError
from qsm.userid import check_user_id

__all__ = ["ApiKey", "KeyStore", "keys_exist", "user_for_key"]

_PREFIX = "qsm-"


class ApiKey(BaseModel):
    key_id: str
    user: str
    created_at: float
    revoked_at: float | None = None


class KeyStore:
    """Users' API keys (hashed) and thread owners, for the server under ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        folder = data_dir / "serve"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._salt = _salt(folder / "salt")
            self._db = sqlite3.connect(folder / "serve.sqlite", check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            with self._db:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, user TEXT NOT NULL,"
                    " digest TEXT UNIQUE NOT NULL, created_at REAL NOT NULL, revoked_at REAL)"
                )
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS thread_owners (thread_id TEXT PRIMARY KEY, user TEXT NOT NULL,"
                    " created_at REAL NOT NULL, metadata TEXT NOT NULL DEFAULT '{}')"
                )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot use the server's key store under {folder}: {exc}",
                hint="set data_dir (--data-dir, QSM_DATA_DIR or qsm.toml) to a directory you can write",
            ) from None
        self._lock = threading.Lock()

    # -- keys ----------------------------------------------------------------------------------------
    def add(self, user: str) -> tuple[ApiKey, str]:
        """A new key for ``user``: its record and the key itself (shown once, never stored)."""
        user = check_user_id(user)
        key_id = secrets.token_hex(4)
        key = f"{_PREFIX}{key_id}-{secrets.token_urlsafe(32)}"
        record = ApiKey(key_id=key_id, user=user, created_at=time.time())
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO api_keys (key_id, user, digest, created_at) VALUES (?,?,?,?)",
                (key_id, user, self._digest(key), record.created_at),
            )
        return record, key

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke the key ``key_id`` (as ``qsm serve keys list`` shows it); it stops working at once."""
        with self._lock, self._db:
            changed = self._db.execute(
                "UPDATE api_keys SET revoked_at=? WHERE key_id=? AND revoked_at IS NULL",
                (time.time(), key_id),
            ).rowcount
        found = [k for k in self.all_keys() if k.key_id == key_id]
        if not found:
            raise QsmError(f"no API key {key_id!r}", hint="`qsm serve keys list` shows the key ids")
        if not changed:
            raise QsmError(
                f"the API key {key_id} is already revoked", hint="`qsm serve keys add USER` makes a new one"
            )
        return found[0]

    def all_keys(self) -> list[ApiKey]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key_id, user, created_at, revoked_at FROM api_keys ORDER BY created_at"
            ).fetchall()
        return [ApiKey(key_id=r[0], user=r[1], created_at=r[2], revoked_at=r[3]) for r in rows]

    def has_keys(self) -> bool:
        """Whether any key was ever made (a server then asks every request for one)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM api_keys LIMIT 1").fetchone() is not None

    def user_for(self, key: str) -> str | None:
        """The user a live key stands for; None for an unknown or revoked key."""
        if not key.startswith(_PREFIX) or len(key) > 200:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT user FROM api_keys WHERE digest=? AND revoked_at IS NULL", (self._digest(key),)
            ).fetchone()
        return str(row[0]) if row else None

    # -- thread owners -------------------------------------------------------------------------------
    def claim_thread(self, thread_id: str, user: str, metadata: str = "{}") -> bool:
        """Record ``user`` as the owner of a new ``thread_id``; False if the id is taken."""
        with self._lock, self._db:
            return (
                self._db.execute(
                    "INSERT OR IGNORE INTO thread_owners (thread_id, user, created_at, metadata) VALUES (?,?,?,?)",
                    (thread_id, user, time.time(), metadata),
                ).rowcount
                == 1
            )

    def thread_owner(self, thread_id: str) -> tuple[str, float, str] | None:
        """The owner, creation time and metadata (JSON) of a thread the server created."""
        with self._lock:
            row = self._db.execute(
                "SELECT user, created_at, metadata FROM thread_owners WHERE thread_id=?", (thread_id,)
            ).fetchone()
        return (str(row[0]), float(row[1]), str(row[2])) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _digest(self, key: str) -> str:
        return hmac.new(self._salt, key.encode("utf-8"), hashlib.sha256).hexdigest()


def _store_file(data_dir: Path) -> Path:
    return data_dir / "serve" / "serve.sqlite"


def keys_exist(data_dir: Path) -> bool:
    """Whether any API key was ever made for ``data_dir`` (``qsm serve keys add USER``); creates nothing
    when there is no key store yet."""
    if not _store_file(data_dir).is_file():
        return False
    store = KeyStore(data_dir)
    try:
        return store.has_keys()
    finally:
        store.close()


def user_for_key(data_dir: Path, key: str) -> str | None:
    """The user a live API key of ``data_dir`` stands for; None for an unknown or revoked key, or when no
    key was ever made."""
    if not _store_file(data_dir).is_file():
        return None
    store = KeyStore(data_dir)
    try:
        return store.user_for(key.strip())
    finally:
        store.close()


def _salt(path: Path) -> bytes:
    """The server's salt: made once (owner-only file), then read."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        salt = path.read_bytes()
        if len(salt) < 16:
            raise ConfigError(
                f"the server salt {path} is damaged",
                hint="delete it and make new keys (qsm serve keys add USER)",
            ) from None
        return salt
    salt = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as fh:
        fh.write(salt)
    return salt
