"""`qsm ui`: start the Streamlit app on the embedded defaults (127.0.0.1:8501 unless told otherwise)."""

from __future__ import annotations

import os

import click

from qsm.cli.context import CliContext, pass_cli

__all__ = ["ui_cmd"]


@click.command("ui")
@click.option(
    "--host",
    help="Address to bind (default from [ui] host: 127.0.0.1); beyond loopback only once API keys exist "
    "(qsm serve keys add USER), and every session then logs in with one.",
)
@click.option("--port", type=int, help="Port (default from [ui] port: 8501).")
@click.option("--browser/--no-browser", default=False, help="Open a browser tab.")
@click.option(
    "--theme",
    type=click.Choice(["auto", "light", "dark"]),
    help="Colours (default from [ui] theme: auto, which follows the system; switch in the app's menu).",
)
@pass_cli
def ui_cmd(cli_ctx: CliContext, host: str | None, port: int | None, browser: bool, theme: str | None) -> None:
    """Open the app: chat, graph inspector, memory browser, ledger explorer, settings."""
    from qsm.ui.launch import check_bind, streamlit_command
    from qsm.ui.services import CONFIG_ENV

    settings = cli_ctx.settings  # validates the config before starting the server
    if port is not None:
        settings = settings.with_overrides({"ui": {"port": port}})  # checked like [ui] port: 1..65535
    env = dict(os.environ)
    if cli_ctx.config is not None:
        env[CONFIG_ENV] = str(cli_ctx.config.resolve())
    env["QSM_DATA_DIR"] = str(settings.data_dir)
    host = check_bind(host or settings.ui.host, settings.data_dir)  # beyond loopback only with API keys
    port = settings.ui.port
    click.echo(f"qsm ui on http://{host}:{port} (data: {settings.data_dir}); Ctrl-C to stop")
    command = streamlit_command(
        host, port, headless=not browser, theme=theme or settings.ui.theme, data_dir=settings.data_dir
    )
    os.execvpe(command[0], command, env)  # Streamlit replaces this process: signals reach the server itself
