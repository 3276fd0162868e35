"""Generate the public team set, ``team_set.jsonl`` beside this module, from a fixed seed.

    python -m qsm.evals.build_team_set            # rewrite the packaged file
    python -m qsm.evals.build_team_set --check    # exit 1 if the packaged file is not what this script makes

The output is deterministic: one ``random.Random(SEED)`` drives every template in a fixed order. The set is
held out: nothing may train on it, and no training data may be generated with this script or its
``gen_*`` templates (see CARD.md).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from qsm.evals import gen_arithmetic, gen_format, gen_multistep, gen_notes, gen_resource
from qsm.evals.gen_common import Draft, round_robin
from qsm.evals.gen_facts import fact_drafts
from qsm.evals.team_set import CATEGORIES, team_set_file

__all__ = ["PER_CATEGORY", "SEED", "build_items", "main", "render"]

SEED = 20261201
"""The seed of the published set. Changing it publishes a different set."""

PER_CATEGORY = 40
"""Items per category."""


def _category_drafts(category: str, rng: random.Random, seen: set[str]) -> list[Draft]:
    if category == "facts":
        drafts = fact_drafts(rng)
        seen.update(draft[0] for draft in drafts)
        return drafts
    makers = {
        "arithmetic": gen_arithmetic.MAKERS,
        "notes": gen_notes.MAKERS,
        "resource": gen_resource.MAKERS,
        "format": gen_format.makers(),
        "multistep": gen_multistep.makers(),
    }[category]
    return round_robin(rng, makers, PER_CATEGORY, seen)


def build_items(seed: int = SEED) -> list[dict[str, Any]]:
    """Every item of the set, category by category in ``CATEGORIES`` order, ids ``<category>-001`` on."""
    rng = random.Random(seed)
    seen: set[str] = set()
    items: list[dict[str, Any]] = []
    for category in CATEGORIES:
        drafts = _category_drafts(category, rng, seen)
        if len(drafts) != PER_CATEGORY:
            raise RuntimeError(f"{category}: {len(drafts)} items, expected {PER_CATEGORY}")
        for index, (request, checker, gold) in enumerate(drafts, start=1):
            items.append({
                "id": f"{category}-{index:03d}",
                "category": category,
                "request": request,
                "gold": gold,
                "checker": checker,
            })  # fmt: skip
    return items


def render(items: list[dict[str, Any]]) -> str:
    """The JSONL text: one item per line, keys in a fixed order, UTF-8 kept as is."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` verify) the team set file; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m qsm.evals.build_team_set", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: the packaged file)")
    parser.add_argument("--check", action="store_true", help="only compare with the existing file")
    args = parser.parse_args(argv)
    path: Path = args.out or Path(str(team_set_file()))
    text = render(build_items())
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} differs from what build_team_set makes; run python -m qsm.evals.build_team_set")
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} items to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
