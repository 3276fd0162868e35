"""Memory of the two ways to serve four specialised agents, each measured in a fresh subprocess through
the real serving path (qsm.agents.ModelPool, one short generation per agent):

* ``shared``: one base GGUF, each agent with its LoRA adapter (``max_instances`` llama.cpp contexts);
* ``merged``: each agent on its own merged GGUF (adapter folded in, quantized like the base).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from qsm.train.errors import TrainingError

__all__ = ["measure_serving_memory", "process_memory"]

_PROBE = r"""
import json, sys
from qsm.agents import ModelPool, Sampling, allow_real_models
from qsm.agents.backend import ModelRequest
from qsm.agents.settings import AgentSettings
from qsm.train.memory import process_memory
spec = json.loads(sys.argv[1])
pool = ModelPool()
with allow_real_models():
    for agent, model in spec["agents"].items():
        settings = AgentSettings.model_validate({"model": model})
        pool.model_for(agent, settings).complete(ModelRequest(
            [{"role": "user", "content": "Say hello."}], Sampling(temperature=0, max_tokens=8), cache_key=agent
        ))
    print(json.dumps(process_memory()))
pool.close()
"""


def process_memory() -> dict[str, float]:
    """This process's RSS, PSS (shared pages split between their users) and USS, in MiB."""
    rollup = Path("/proc/self/smaps_rollup")
    if rollup.is_file():
        values: dict[str, int] = {}
        for line in rollup.read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            values[name.strip()] = int(rest.split()[0])  # kB
        uss = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
        return {"rss_mb": values["Rss"] / 1024, "pss_mb": values["Pss"] / 1024, "uss_mb": uss / 1024}
    import psutil

    info = psutil.Process().memory_full_info()
    return {
        "rss_mb": info.rss / 2**20,
        "pss_mb": getattr(info, "pss", info.rss) / 2**20,
        "uss_mb": getattr(info, "uss", info.rss) / 2**20,
    }


def _probe(agents: dict[str, dict[str, Any]]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps({"agents": agents})],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise TrainingError(f"memory probe failed: {tail}", hint="check the adapter and merged GGUF files")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_serving_memory(
    base: Path, adapters: dict[str, Path], merged: dict[str, Path], *, n_ctx: int = 1024, instances: int = 1
) -> dict[str, Any]:
    """PSS/RSS of the shared-base setup (with ``instances`` contexts) vs the merged-models setup, plus the
    base alone and the files' sizes on disk."""
    common = {"n_ctx": n_ctx, "n_threads": 1, "max_instances": instances}
    shared = {a: {**common, "path": str(base), "adapter": str(p)} for a, p in adapters.items()}
    separate = {a: {**common, "path": str(p), "max_instances": 1} for a, p in merged.items()}
    base_only = {"QSM": {**common, "path": str(base), "max_instances": 1}}
    out: dict[str, Any] = {
        "base_only": _probe(base_only),
        "base_plus_adapters": _probe(shared),
        "merged_models": _probe(separate),
        "instances_per_base": instances,
        "n_ctx": n_ctx,
    }
    out["disk_mb"] = {
        "base": base.stat().st_size / 2**20,
        "adapters": sum(p.stat().st_size for p in adapters.values()) / 2**20,
        "merged": sum(p.stat().st_size for p in merged.values()) / 2**20,
    }
    out["pss_ratio_shared_vs_merged"] = out["base_plus_adapters"]["pss_mb"] / out["merged_models"]["pss_mb"]
    return out
