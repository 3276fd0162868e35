"""Start-up stays cheap: what `qsm`, its settings and `qsm ledger verify` import (structural checks, no
timings; benchmarks/bench_startup.py measures wall time and memory), and the lazy tables behind it."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import click
import pytest

from qsm.cli.main import COMMANDS, cli

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("langgraph", "chromadb", "web3", "streamlit", "llama_cpp", "torch")
"""Libraries no command may pay for before it runs."""
LAZY_PACKAGES = (
    "qsm.agents",
    "qsm.agents.tools",
    "qsm.graph",
    "qsm.store",
    "qsm.chain",
    "qsm.train",
    "qsm.ui",
)


def modules_after(code: str, cwd: Path) -> set[str]:
    """``sys.modules`` of a fresh interpreter (this checkout first on its path) after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env["XDG_CONFIG_HOME"] = str(cwd)  # no user config file
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: set[str], *roots: str) -> list[str]:
    """Which of the packages ``roots`` (or their submodules) are in ``modules``."""
    return sorted(m for m in modules if m.split(".")[0] in roots or m in roots)


def test_the_cli_entry_imports_no_heavy_library(tmp_path: Path) -> None:
    modules = modules_after("import qsm.cli.main", tmp_path)
    assert loaded(modules, *HEAVY, "pydantic_settings", "numpy", "networkx") == []
    assert sorted(m for m in modules if m.startswith("qsm.cli.")) == [
        "qsm.cli.context",
        "qsm.cli.lazy_group",
        "qsm.cli.main",
    ]


def test_qsm_help_imports_no_subcommand(tmp_path: Path) -> None:
    modules = modules_after(
        "from qsm.cli.main import cli\ncli(['--help'], prog_name='qsm', standalone_mode=False)", tmp_path
    )
    assert loaded(modules, *HEAVY, "pydantic_settings") == []
    assert not any(COMMANDS[name].target.partition(":")[0] in modules for name in COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_commands_help_imports_no_heavy_library(name: str, tmp_path: Path) -> None:
    """A command module imports LangGraph, Chroma, web3... inside the command function, when it runs."""
    modules = modules_after(
        f"from qsm.cli.main import cli\ncli([{name!r}, '--help'], prog_name='qsm', standalone_mode=False)",
        tmp_path,
    )
    assert loaded(modules, *HEAVY, "numpy", "networkx", "eth_tester") == []


def test_settings_load_without_any_domain_runtime(tmp_path: Path) -> None:
    modules = modules_after("from qsm.settings import load_settings\nload_settings()", tmp_path)
    assert loaded(modules, *HEAVY, "numpy", "networkx", "eth_tester", "httpx", "yaml") == []
    domain_modules = {m for m in modules if m.count(".") >= 1 and m.split(".")[1] in _packages()}
    assert {m for m in domain_modules if not m.endswith(".settings")} == set(LAZY_PACKAGES) & modules


def test_ledger_verify_loads_no_outbox_worker_or_evm(tmp_path: Path) -> None:
    """py-evm (eth_tester) loads only when an embedded-chain proof is checked, inside verify_proof."""
    modules = modules_after("import qsm.cli.ledger, qsm.chain.proofs", tmp_path)
    assert loaded(modules, "langgraph", "chromadb", "streamlit", "llama_cpp", "torch", "eth_tester") == []
    assert {"qsm.chain.outbox", "qsm.chain.ledger", "qsm.chain.worker"} & modules == set()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_group_shows_each_commands_own_help(name: str) -> None:
    lazy = COMMANDS[name]
    command = lazy.load()
    assert command.name == name
    assert lazy.placeholder(name).get_short_help_str(500) == command.get_short_help_str(500), (
        f"the help of `qsm {name}` changed: copy its first sentence into COMMANDS in qsm/cli/main.py"
    )


def test_every_subcommand_is_lazy() -> None:
    assert cli.list_commands(click.Context(cli)) == sorted(COMMANDS)


def _packages() -> set[str]:
    return {name.split(".")[1] for name in LAZY_PACKAGES}


def _type_checking_imports(package: ModuleType) -> dict[str, tuple[str, ...]]:
    tree = ast.parse(Path(str(package.__file__)).read_text(encoding="utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.unparse(stmt)
                found[stmt.module] = tuple(alias.name for alias in stmt.names)
    return found


def _top_level_names(module: str) -> set[str]:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"no module {module}"
    names: set[str] = set()
    for node in ast.parse(Path(spec.origin).read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_lazy_exports_name_real_definitions(name: str) -> None:
    """Checked from the source: resolving every export would import everything."""
    package = importlib.import_module(name)
    exports: dict[str, tuple[str, ...]] = package._EXPORTS
    exported = [n for names in exports.values() for n in names]
    assert sorted(exported) == sorted(package.__all__) == dir(package)
    assert _type_checking_imports(package) == exports, "the TYPE_CHECKING imports must match _EXPORTS"
    for module, names in exports.items():
        missing = set(names) - _top_level_names(module)
        assert not missing, f"{module} does not define {sorted(missing)}"
    submodules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    assert submodules.isdisjoint(exported), "an export named like a submodule is hidden by that submodule"
