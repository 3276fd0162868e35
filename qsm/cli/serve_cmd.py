"""`qsm serve`: the team over HTTP (OpenAI-compatible chat and a runs API), and `qsm serve keys` to make,
list and revoke the API keys that map to users."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import click

from qsm.cli.context import CliContext, pass_cli

__all__ = ["serve_group"]


@click.group("serve", invoke_without_command=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; beyond loopback only once API keys exist (qsm serve keys add USER).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8400, show_default=True, help="Port.")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Runs at once (more wait)."
)
@click.option(
    "--queue",
    type=click.IntRange(0, 10_000),
    default=16,
    show_default=True,
    help="Runs that may wait for a worker; beyond workers + queue a request gets 429 (queue_full).",
)
@click.option(
    "--workflows",
    "folders",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="A folder of workflow specs (*.yaml) to offer as models, besides the library's (the team, the "
    "examples, <data_dir>/workflows; `qsm workflows`). Repeatable.",
)
@click.option(
    "--max-body",
    type=click.IntRange(1024, 100_000_000),
    default=1_000_000,
    show_default=True,
    help="Largest request body in bytes (larger: 413).",
)
@click.option(
    "--otel",
    type=click.Choice(["console", "otlp"]),
    help="OpenTelemetry spans per run, agent step and tool call: to stdout, or to OTLP "
    "(OTEL_EXPORTER_OTLP_ENDPOINT).",
)
@click.pass_context
def serve_group(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    queue: int,
    folders: tuple[Path, ...],
    max_body: int,
    otel: Literal["console", "otlp"] | None,
) -> None:
    """Serve the team over HTTP: an OpenAI-compatible /v1/chat/completions (model = a workflow) and a runs
    API (threads, background runs, event streams, cancel, resume), each user seeing only their own."""
    if ctx.invoked_subcommand is not None:
        return
    from qsm.errors import ConfigError
    from qsm.graph.runtime import Runtime

    try:
        from qsm.serve.app import serve
    except ImportError as exc:
        raise ConfigError(
            f"qsm serve needs {exc.name or 'the server packages'}", hint='pip install -e ".[serve]"'
        ) from None
    from qsm.serve.catalog import WorkflowCatalog

    cli_ctx = ctx.find_object(CliContext)
    assert cli_ctx is not None
    settings = cli_ctx.settings
    catalog = WorkflowCatalog.load(settings.data_dir, folders)
    with Runtime(settings) as runtime:
        click.echo(
            f"qsm serve on http://{host}:{port} (models: {', '.join(catalog.names())}; data: {settings.data_dir})"
        )
        serve(
            runtime,
            host=host,
            port=port,
            catalog=catalog,
            workers=workers,
            queue=queue,
            max_body=max_body,
            otel=otel,
        )


@serve_group.group("keys")
def keys_group() -> None:
    """Make, list and revoke API keys; each key stands for one user."""


@keys_group.command("add")
@click.argument("user")
@pass_cli
def keys_add(cli_ctx: CliContext, user: str) -> None:
    """Make a key for USER and print it (shown this once: only its hash is kept)."""
    from qsm.apikeys import KeyStore

    store = KeyStore(cli_ctx.settings.data_dir)
    try:
        record, key = store.add(user)
    finally:
        store.close()
    click.echo(key)
    click.echo(
        f"key id {record.key_id} for user {record.user}; store the key now, it is not shown again", err=True
    )


@keys_group.command("list")
@pass_cli
def keys_list(cli_ctx: CliContext) -> None:
    """List the keys: id, user, when made, and whether revoked (never the keys themselves)."""
    from qsm.apikeys import KeyStore

    store = KeyStore(cli_ctx.settings.data_dir)
    try:
        keys = store.all_keys()
    finally:
        store.close()
    if not keys:
        click.echo("no API keys (qsm serve keys add USER makes one)")
    for key in keys:
        made = dt.datetime.fromtimestamp(key.created_at).strftime("%Y-%m-%d %H:%M")
        state = "revoked" if key.revoked_at is not None else "live"
        click.echo(f"{key.key_id}  {key.user:<20}  {made}  {state}")


@keys_group.command("revoke")
@click.argument("key_id")
@pass_cli
def keys_revoke(cli_ctx: CliContext, key_id: str) -> None:
    """Revoke the key KEY_ID (from `qsm serve keys list`); it stops working at once."""
    from qsm.apikeys import KeyStore

    store = KeyStore(cli_ctx.settings.data_dir)
    try:
        record = store.revoke(key_id)
    finally:
        store.close()
    click.echo(f"revoked key {record.key_id} of user {record.user}")
