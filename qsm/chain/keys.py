"""The signing key: from ``$QSM_LEDGER_PRIVATE_KEY`` or an encrypted keystore, held where nothing shows it.

The key is never logged, printed, written in plain text, put in an exception message or a repr. Errors
about a bad key say what is wrong without quoting the value, and are raised ``from None`` so that no
chained exception carries it either.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from qsm.errors import LedgerError

__all__ = [
    "ENV_KEYSTORE_PASSWORD",
    "ENV_PRIVATE_KEY",
    "Signer",
    "create_keystore",
    "signer_from_env_or_keystore",
]

ENV_PRIVATE_KEY = "QSM_LEDGER_PRIVATE_KEY"
ENV_KEYSTORE_PASSWORD = "QSM_LEDGER_KEYSTORE_PASSWORD"
_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class Signer:
    """Signs transactions for one account. Shows only its address."""

    __slots__ = ("_account", "address")
    _account: LocalAccount
    address: str

    def __init__(self, key: bytes) -> None:
        try:
            account = Account.from_key(key)
        except Exception:
            raise LedgerError("the ledger signing key is not a valid secp256k1 private key") from None
        object.__setattr__(self, "_account", account)
        object.__setattr__(self, "address", account.address)

    def sign(self, tx: dict[str, Any]) -> tuple[bytes, bytes]:
        """``(raw signed transaction, transaction hash)``."""
        try:
            signed = self._account.sign_transaction(tx)
        except Exception as exc:
            raise LedgerError(f"could not sign the transaction ({type(exc).__name__})") from None
        return bytes(signed.raw_transaction), bytes(signed.hash)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Signer is read-only")

    def __repr__(self) -> str:
        return f"Signer(address={self.address})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Signer cannot be pickled or copied")


def _parse_hex_key(text: str, source: str) -> bytes:
    text = text.strip()
    if not _HEX_KEY.match(text):
        raise LedgerError(
            f"{source} is not a private key (expected 64 hex characters, optionally with 0x)",
            hint=f"fix {source}, or use an encrypted keystore: `qsm ledger keystore create`",
        )
    return bytes.fromhex(text.removeprefix("0x"))


def signer_from_env_or_keystore(keystore_path: Path | None) -> Signer:
    """``$QSM_LEDGER_PRIVATE_KEY`` if set, else the keystore at ``keystore_path`` (password from env)."""
    env_key = os.environ.get(ENV_PRIVATE_KEY)
    if env_key:
        return Signer(_parse_hex_key(env_key, ENV_PRIVATE_KEY))
    if keystore_path is None:
        raise LedgerError(
            "no signing key for the ledger's RPC chain",
            hint=f"set {ENV_PRIVATE_KEY}, or create an encrypted keystore with `qsm ledger keystore create` "
            "and set ledger.keystore_path; queued outputs are kept",
        )
    return Signer(_decrypt_keystore(keystore_path))


def _decrypt_keystore(path: Path) -> bytes:
    try:
        keyfile = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LedgerError(
            f"keystore {path} does not exist", hint="create it with `qsm ledger keystore create --path FILE`"
        ) from None
    except (OSError, ValueError) as exc:
        raise LedgerError(f"cannot read keystore {path} ({type(exc).__name__})") from None
    password = os.environ.get(ENV_KEYSTORE_PASSWORD)
    if password is None:
        raise LedgerError(
            f"keystore {path} needs its password", hint=f"set {ENV_KEYSTORE_PASSWORD} in the environment"
        )
    try:
        return bytes(Account.decrypt(keyfile, password))
    except Exception:
        raise LedgerError(
            f"cannot decrypt keystore {path}: wrong password or damaged file",
            hint=f"check {ENV_KEYSTORE_PASSWORD}",
        ) from None


def create_keystore(
    path: Path,
    password: str,
    key: bytes | None = None,
    *,
    overwrite: bool = False,
    scrypt_n: int | None = None,
) -> str:
    """Write an encrypted (scrypt) keystore for ``key`` (a new random key if None); return its address.

    The file is created with mode 0600 and never overwritten unless ``overwrite``.
    """
    if not password:
        raise LedgerError("refusing to write a keystore with an empty password", hint="choose a password")
    try:
        account = Account.from_key(key) if key is not None else Account.create()
    except Exception:
        raise LedgerError("the key to store is not a valid private key") from None
    keyfile = Account.encrypt(account.key, password, kdf="scrypt", iterations=scrypt_n)
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise LedgerError(
            f"keystore {path} already exists", hint="choose another --path or pass --force"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keyfile, handle)
    os.chmod(path, 0o600)
    return str(account.address)


def key_from_env_for_import() -> bytes | None:
    """``$QSM_LEDGER_PRIVATE_KEY`` parsed, for ``qsm ledger keystore create --from-env``; None if unset."""
    env_key = os.environ.get(ENV_PRIVATE_KEY)
    return _parse_hex_key(env_key, ENV_PRIVATE_KEY) if env_key else None
