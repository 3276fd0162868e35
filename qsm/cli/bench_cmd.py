"""`qsm bench`: run the benchmarks in benchmarks/ (each writes JSON and prints one summary line)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

from qsm.errors import QsmError

__all__ = ["bench_cmd", "benchmarks_dir"]


def benchmarks_dir() -> Path:
    """benchmarks/ of the source checkout qsm is installed from (benchmarks are not part of the wheel)."""
    import qsm

    candidate = Path(qsm.__file__).resolve().parents[1] / "benchmarks"
    if not candidate.is_dir():
        raise QsmError(
            f"no benchmarks/ folder next to {Path(qsm.__file__).parent}",
            hint="run `qsm bench` from a source checkout installed with scripts/install.sh (pip install -e)",
        )
    return candidate


@click.command("bench")
@click.argument("names", nargs=-1)
@click.option("--quick", is_flag=True, help="Smaller sizes and fewer repeats.")
@click.option("--list", "list_only", is_flag=True, help="List the benchmarks and exit.")
def bench_cmd(names: tuple[str, ...], quick: bool, list_only: bool) -> None:
    """Run benchmarks (all, or NAMES such as core memory ledger); results go to benchmarks/results/."""
    folder = benchmarks_dir()
    available = {p.stem.removeprefix("bench_"): p for p in sorted(folder.glob("bench_*.py"))}
    if list_only:
        for name, path in available.items():
            doc = (path.read_text().split('"""')[1].strip().splitlines() or [""])[0]
            click.echo(f"{name:<10} {doc}")
        return
    unknown = [n for n in names if n not in available]
    if unknown:
        raise QsmError(
            f"unknown benchmark(s): {', '.join(unknown)}", hint=f"choose from {', '.join(available)}"
        )
    failed = []
    for name in names or tuple(available):
        click.secho(f"== {name}", bold=True)
        cmd = [sys.executable, str(available[name])] + (["--quick"] if quick else [])
        if subprocess.call(cmd) != 0:
            failed.append(name)
    if failed:
        raise QsmError(f"benchmark(s) failed: {', '.join(failed)}", hint="see their output above")
