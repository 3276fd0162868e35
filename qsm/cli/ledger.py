"""`qsm ledger status|anchor|redeploy|proof|verify|keystore create`: anchor outputs and check proofs.

Each command imports the part of the ledger it needs when it runs: `verify` loads the proof checks and the
chain client (plus py-evm for an embedded-chain proof), not the outbox or the anchoring worker.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import click
from pydantic import ValidationError

from qsm.chain.models import LEGACY_PROOF_FORMATS, BatchInfo, ProofFile, VerifyStatus
from qsm.cli.context import CliContext, pass_cli
from qsm.errors import ConfigError, LedgerError

__all__ = ["ledger_group"]


@click.group("ledger")
def ledger_group() -> None:
    """Anchor outputs on an Ethereum chain and verify proofs."""


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _batch_line(b: BatchInfo) -> str:
    where = f"block {b.block_number}" if b.block_number is not None else "no block yet"
    tx = f" tx {b.tx_hash}" if b.tx_hash else (f" tx {b.tx_hashes[-1]} (pending)" if b.tx_hashes else "")
    extra = f" reorgs={b.reorgs}" if b.reorgs else ""
    error = f"\n      last error: {b.last_error}" if b.last_error else ""
    return f"  #{b.batch_id:<5} {b.state:<9} {b.leaf_count:>5} leaves  {where}{tx}{extra}{error}"


@ledger_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_cli
def status_command(cli: CliContext, as_json: bool) -> None:
    """Outputs and batches per state, the chain, and the latest batches."""
    from qsm.chain.ledger import open_ledger

    settings = cli.settings
    ledger = open_ledger(settings.ledger, settings.data_dir)
    try:
        status = ledger.status()
    finally:
        ledger.close()
    if as_json:
        click.echo(status.model_dump_json(indent=2))
        return
    click.echo(f"backend   {status.backend}{'' if status.enabled else ' (disabled)'}")
    click.echo(f"chain     {status.chain_id if status.chain_id is not None else '(not connected yet)'}")
    click.echo(f"registry  {status.contract or '(not deployed yet)'}")
    click.echo(f"signer    {status.signer or '(none yet)'}")
    outputs = ", ".join(f"{k}={v}" for k, v in sorted(status.outputs.items())) or "none"
    batches = ", ".join(f"{k}={v}" for k, v in sorted(status.batches.items())) or "none"
    click.echo(f"outputs   {outputs}")
    click.echo(f"batches   {batches}")
    if status.oldest_pending_age_s is not None:
        click.echo(f"oldest pending output waits {status.oldest_pending_age_s:.0f}s")
    if status.last_error:
        click.secho(f"last error: {status.last_error}", fg="yellow")
    for batch in status.recent:
        click.echo(_batch_line(batch))


@ledger_group.command("anchor")
@click.option("--timeout", type=float, default=None, help="Seconds to wait for receipts (default: settings).")
@pass_cli
def anchor_command(cli: CliContext, timeout: float | None) -> None:
    """Seal everything pending now and wait until its transactions are mined."""
    from qsm.chain.ledger import open_ledger

    settings = cli.settings
    ledger = open_ledger(settings.ledger, settings.data_dir)
    try:
        batches = ledger.anchor_now(timeout_s=timeout)
    finally:
        ledger.close()
    if not batches:
        click.echo("nothing to anchor")
    for batch in batches:
        click.echo(_batch_line(batch))


@ledger_group.command("redeploy")
@click.option("--timeout", type=float, default=None, help="Seconds to wait for receipts (default: settings).")
@pass_cli
def redeploy_command(cli: CliContext, timeout: float | None) -> None:
    """Deploy the registry again on a chain that lost it (reset, or an older contract), and anchor every
    batch recorded there again (on an RPC chain this costs gas; the embedded chain does it by itself)."""
    from qsm.chain.ledger import Ledger, open_ledger

    settings = cli.settings
    ledger = open_ledger(settings.ledger, settings.data_dir)
    try:
        if not isinstance(ledger, Ledger):
            raise LedgerError("the ledger is disabled", hint="set ledger.enabled = true")
        batches = ledger.redeploy(timeout_s=timeout)
    finally:
        ledger.close()
    for batch in batches:
        click.echo(_batch_line(batch))


@ledger_group.command("proof")
@click.argument("content_id")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default stdout)."
)
@pass_cli
def proof_command(cli: CliContext, content_id: str, output: Path | None) -> None:
    """Write the proof file of CONTENT_ID (e.g. final:<64 hex>)."""
    from qsm.chain.ledger import open_ledger

    if output is not None:
        _check_proof_path(output)
    settings = cli.settings
    ledger = open_ledger(settings.ledger, settings.data_dir)
    try:
        proof = ledger.proof(content_id)
    finally:
        ledger.close()
    text = proof.model_dump_json(indent=2)
    if output is None:
        click.echo(text)
        return
    _write_proof(output, text + "\n")
    state = (
        "final" if proof.anchor and proof.anchor.final else ("mined" if proof.anchor else "not yet anchored")
    )
    click.echo(f"wrote {output} (batch {proof.batch_id}, {state})")


_PROOF_PATH_HINT = "pass -o a new file name in an existing folder (or leave -o out to print the proof)"


def _check_proof_path(output: Path) -> None:
    """Refuse an ``-o`` qsm cannot or should not write: a missing folder, or a file that is not a proof."""
    if not output.parent.is_dir():
        raise ConfigError(
            f"cannot write the proof to {output}: the folder {output.parent} does not exist", _PROOF_PATH_HINT
        )
    if output.exists() and not _is_proof_file(output):
        raise ConfigError(
            f"{output} exists and is not a qsm proof file: qsm does not overwrite it", _PROOF_PATH_HINT
        )


def _write_proof(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the proof to {output}: {exc.strerror}", _PROOF_PATH_HINT) from None


def _is_proof_file(path: Path) -> bool:
    """Whether ``path`` holds a qsm proof file (of this format or an older one)."""
    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read(1 << 20))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("format", "")).startswith("qsm-ledger-proof/")


@ledger_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rpc", "rpc_url", help="JSON-RPC endpoint of the proof's chain (embedded proofs: leave out).")
@click.option("--content-id", help="Also require the proof to be for this content id.")
@click.option(
    "--answer",
    metavar="TEXT|FILE",
    help="Also check that this answer (text, or a file holding it) is the one the proof carries.",
)
@click.pass_context
def verify_command(
    ctx: click.Context, file: Path, rpc_url: str | None, content_id: str | None, answer: str | None
) -> None:
    """Check a proof file against the chain: the output it carries re-derives its content id, and every
    field it states (batch, leaf count, submitter, tx, block, finality) matches the chain.

    Exit status: 0 verified and final, 10 anchored but not final yet, 11 not anchored, 12 tampered (a field
    the content or the chain contradicts is named; also: --answer differs, not a current proof file),
    13 endpoint is another chain, 6 the chain could not be asked.
    """
    cli: CliContext = ctx.obj
    raw = file.read_bytes()
    if legacy := _legacy_format(raw):
        click.secho(
            f"TAMPERED: {file} is a {legacy} proof (written by an older qsm): it holds only the content id "
            "and names the previous AnchorRegistry, so it cannot be checked as it is",
            fg="red",
            err=True,
        )
        click.echo(
            "  hint: write it again with `qsm ledger proof <content id>` in the data dir that recorded it "
            "(that ledger re-anchors its outputs in the current registry)",
            err=True,
        )
        ctx.exit(VerifyStatus.TAMPERED.exit_code)
    try:
        proof = ProofFile.model_validate_json(raw)
    except (ValidationError, ValueError) as exc:
        click.secho(f"TAMPERED: {file} is not a valid proof file ({_first_error(exc)})", fg="red", err=True)
        ctx.exit(VerifyStatus.TAMPERED.exit_code)
    from qsm.chain.proofs import verify_proof

    settings = cli.settings
    if rpc_url is None and proof.anchor is not None and proof.anchor.backend == "rpc":
        rpc_url = settings.ledger.rpc_url
    result = verify_proof(
        proof,
        rpc_url,
        settings.data_dir,
        expected_content_id=content_id,
        answer=_answer_text(answer) if answer is not None else None,
        confirmations=settings.ledger.confirmations,
        rpc_timeout_s=settings.ledger.rpc_timeout_s,
    )
    colour = "green" if result.ok else ("yellow" if result.status is VerifyStatus.NOT_FINAL else "red")
    click.secho(f"{result.status.value.upper().replace('_', ' ')}: {result.message}", fg=colour)
    for note in result.notes:
        click.echo(f"  note: {note}")
    ctx.exit(result.status.exit_code)


def _legacy_format(raw: bytes) -> str | None:
    """The format name of an older proof file (None for anything else)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    fmt = data.get("format") if isinstance(data, dict) else None
    return fmt if fmt in LEGACY_PROOF_FORMATS else None


def _answer_text(value: str) -> str:
    """``--answer``: the text itself, or the UTF-8 text of the file it names."""
    path = Path(value)
    try:
        if len(value) < 4096 and "\n" not in value and path.is_file():
            return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter(f"{value} is not a UTF-8 text file", param_hint="--answer") from None
    except OSError as exc:
        raise click.BadParameter(f"cannot read {value}: {exc.strerror}", param_hint="--answer") from None
    return value


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
    return type(exc).__name__


@ledger_group.group("keystore")
def keystore_group() -> None:
    """Encrypted keystores for the signing key of an RPC chain."""


@keystore_group.command("create")
@click.option(
    "--path", "path", type=click.Path(dir_okay=False, path_type=Path), help="Keystore file to write."
)
@click.option("--from-env", is_flag=True, help="Encrypt $QSM_LEDGER_PRIVATE_KEY instead of a new random key.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_cli
def keystore_create_command(cli: CliContext, path: Path | None, from_env: bool, force: bool) -> None:
    """Write an encrypted (scrypt) keystore; the password comes from $QSM_LEDGER_KEYSTORE_PASSWORD or a prompt."""
    from qsm.chain.keys import ENV_KEYSTORE_PASSWORD, create_keystore, key_from_env_for_import

    settings = cli.settings
    target = path or settings.ledger.keystore_path or settings.data_dir / "ledger" / "keystore.json"
    key = None
    if from_env:
        key = key_from_env_for_import()
        if key is None:
            raise LedgerError("--from-env given but $QSM_LEDGER_PRIVATE_KEY is not set")
    password = os.environ.get(ENV_KEYSTORE_PASSWORD)
    if password is None:
        password = click.prompt("keystore password", hide_input=True, confirmation_prompt=True)
    address = create_keystore(target, password, key, overwrite=force)
    click.echo(json.dumps({"keystore": str(target), "address": address}))
    click.echo(f'set ledger.keystore_path = "{target}" and {ENV_KEYSTORE_PASSWORD} to sign with it', err=True)
