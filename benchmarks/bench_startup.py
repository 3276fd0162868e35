"""Start-up benchmark: wall time and peak memory of whole `qsm` processes, as a user's shell runs them.

Each command runs in a fresh process under GNU ``/usr/bin/time -v`` (elapsed wall clock, maximum resident
set size, user + system CPU); the median of several runs is compared with the goals:

* ``qsm --help``: <= 0.3 s and <= 60 MiB (nothing but click and the command table is imported);
* ``qsm ask --help``: reported (it imports the run commands, not the graph);
* ``qsm ledger verify PROOF`` on an embedded-chain proof: <= 1.5 s. The proof is made first the way a
  user makes one, in a temporary data dir: ``qsm ask`` on the fake model backend with the ledger on,
  ``qsm ledger anchor``, ``qsm ledger proof``.

    python benchmarks/bench_startup.py [--quick] [--runs N]

Needs GNU time (Debian package ``time``; scripts/install.sh --dev installs it). Writes
benchmarks/results/startup.json and prints one summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

GNU_TIME = Path("/usr/bin/time")
GOALS: dict[str, dict[str, float]] = {
    "help": {"wall_s": 0.3, "max_rss_mib": 60.0},
    "ask_help": {},
    "ledger_verify": {"wall_s": 1.5},
}
PROMPT = "What is 2 + 2?"


def qsm_command() -> list[str]:
    """The `qsm` console script next to this interpreter (what `pip install` put on the user's PATH)."""
    script = Path(sys.executable).with_name("qsm")
    if not script.is_file():
        raise SystemExit(
            f"no qsm console script next to {sys.executable}: run scripts/install.sh, then this benchmark "
            "with .venv/bin/python"
        )
    return [str(script)]


def parse_time_v(report: str) -> dict[str, float]:
    """Wall clock, peak RSS and CPU seconds from the report GNU ``time -v`` writes to stderr."""
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", report)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    user = re.search(r"User time \(seconds\): ([\d.]+)", report)
    system = re.search(r"System time \(seconds\): ([\d.]+)", report)
    if not (wall and rss and user and system):
        raise RuntimeError(f"cannot read the /usr/bin/time -v report:\n{report[-2000:]}")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return {
        "wall_s": seconds,
        "max_rss_mib": int(rss.group(1)) / 1024,
        "cpu_s": float(user.group(1)) + float(system.group(1)),
    }


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[dict[str, float], str]:
    """One run under ``/usr/bin/time -v``; its figures and its stdout. Fails on a non-zero exit."""
    done = subprocess.run(
        [str(GNU_TIME), "-v", *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    marker = "\tCommand being timed:"
    program_err, _, report = done.stderr.partition(marker)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{program_err}")
    return parse_time_v(marker + report), done.stdout


def run(argv: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def make_proof(qsm: list[str], env: dict[str, str], work: Path) -> tuple[Path, dict[str, Any]]:
    """A run on the fake backend whose final answer is anchored on the embedded chain; its proof file."""
    result = json.loads(run([*qsm, "ask", PROMPT, "--json"], env, work))
    final_id = result.get("final_id")
    if not final_id or not result.get("receipt"):
        raise RuntimeError(f"the run recorded no final answer in the ledger: {json.dumps(result)[:500]}")
    run([*qsm, "ledger", "anchor"], env, work)
    proof = work / "proof.json"
    run([*qsm, "ledger", "proof", final_id, "-o", str(proof)], env, work)
    anchor = json.loads(proof.read_text())["anchor"]
    if not anchor or not anchor["final"]:
        raise RuntimeError(f"the proof of {final_id} is not anchored and final: {anchor}")
    return proof, {"content_id": final_id, "block": anchor["block_number"], "bytes": proof.stat().st_size}


def measure(argv: list[str], env: dict[str, str], cwd: Path, runs: int, expect: str) -> dict[str, Any]:
    """Median (and every sample) of ``runs`` timed runs after one untimed warm-up run."""
    _, out = timed(argv, env, cwd)
    if expect not in out:
        raise RuntimeError(f"{' '.join(argv)} did not print {expect!r}:\n{out[-1000:]}")
    samples = [timed(argv, env, cwd)[0] for _ in range(runs)]
    median = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    return {"median": median, "samples": samples}


def judge(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    goals = GOALS[name]
    met = {key: figures["median"][key] <= limit for key, limit in goals.items()}
    return {**figures, "goals": goals, "met": met, "all_met": all(met.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per command instead of 7")
    parser.add_argument("--runs", type=int, help="timed runs per command (median is reported)")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 7)
    if not GNU_TIME.is_file():
        raise SystemExit(
            "GNU time is missing: `apt-get install time` (Debian/Ubuntu) or run scripts/install.sh --dev"
        )
    qsm = qsm_command()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="qsm-bench-startup-") as tmp:
        work = Path(tmp)
        data = work / "data"
        config = work / "qsm.toml"
        config.write_text(
            f'data_dir = "{data}"\n[defaults.model]\nbackend = "fake"\n[ledger]\nenabled = true\n'
            'backend = "embedded"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("QSM_")}
        env |= {"QSM_CONFIG": str(config), "XDG_CONFIG_HOME": str(work), "NO_COLOR": "1"}
        proof, proof_info = make_proof(qsm, env, work)
        results = {
            "help": judge("help", measure([*qsm, "--help"], env, work, runs, "Commands:")),
            "ask_help": judge("ask_help", measure([*qsm, "ask", "--help"], env, work, runs, "--backend")),
            "ledger_verify": judge(
                "ledger_verify",
                measure([*qsm, "ledger", "verify", str(proof)], env, work, runs, "VERIFIED"),
            ),
        }
    data_out = {
        "quick": args.quick,
        "runs": runs,
        "timer": f"{GNU_TIME} -v: {_gnu_time_version()}",
        "qsm": qsm[0],
        "proof": proof_info,
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
        "note": "wall time is for this machine's load; cpu_s (user + system) shows the work itself",
        "commands": results,
        "all_goals_met": all(r["all_met"] for r in results.values()),
    }
    write_result("startup", data_out, summary(results))
    return 0


def _gnu_time_version() -> str:
    """The first line of ``time --version`` (Debian's build says "time (GNU Time) UNKNOWN")."""
    done = subprocess.run([str(GNU_TIME), "--version"], capture_output=True, text=True, check=False)
    return ((done.stdout or done.stderr).splitlines() or ["?"])[0].strip()


def summary(results: dict[str, Any]) -> str:
    def part(label: str, row: dict[str, Any]) -> str:
        median = row["median"]
        text = f"{label} {median['wall_s']:.2f} s (cpu {median['cpu_s']:.2f} s) / {median['max_rss_mib']:.0f} MiB"
        if row["goals"]:
            goals = ", ".join(
                f"<={limit:g} {'s' if key == 'wall_s' else 'MiB'}" for key, limit in row["goals"].items()
            )
            text += f" (goal {goals}: {'met' if row['all_met'] else 'MISSED'})"
        return text

    return "startup (median): " + "; ".join(
        (
            part("qsm --help", results["help"]),
            part("qsm ask --help", results["ask_help"]),
            part("qsm ledger verify", results["ledger_verify"]),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
