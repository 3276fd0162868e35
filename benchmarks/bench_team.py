"""team: the team as shipped vs the team without adapters vs one base-model call, on the public team set.

Writes benchmarks/results/team_eval.json (per category: accuracy, mean and median latency, tokens; Ref's
verdicts on held-out drafts) and prints one summary line. ``--quick``: 8 requests per category.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_result

from qsm.settings import load_settings
from qsm.train.team_eval import run_team_eval


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    limit = 8 if args.quick else args.limit
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(overrides={"data_dir": tmp})
        report = run_team_eval(settings, limit_per_category=limit, log=print)
    vs, ref = report["team_vs_base"], report["ref_verdicts"]
    base, team = report["systems"]["base"]["overall"], report["systems"]["team"]["overall"]
    plain = report["systems"]["team_plain"]["overall"]
    summary = (
        f"team {team['correct']}/{team['n']} vs base {base['correct']}/{base['n']} "
        f"({vs['accuracy_points']:+.1f} points; worst category {vs['worst_category_points']:+.1f}); "
        f"team without adapters {plain['correct']}/{plain['n']}; median latency x{vs['median_latency_ratio']:.2f}; "
        f"Ref accuracy {ref['accuracy']:.2f} (false accept {ref['false_accept_rate']:.2f}, "
        f"false reject {ref['false_reject_rate']:.2f})"
    )
    for name in report["systems"]:
        for row in report["systems"][name]["rows"]:
            row["answer"] = row["answer"][:300]
    write_result("team_eval", {"quick": args.quick, "limit_per_category": limit, **report}, summary)


if __name__ == "__main__":
    main()
