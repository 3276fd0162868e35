"""How much of the machine other programs used while a benchmark ran (:class:`OtherLoad`), so that a result
says whether its latencies were measured on a quiet machine.

Every few seconds it reads the machine's busy CPU time and the CPU time of the benchmark's own processes
(itself, its children, and any extra roots such as a PostgreSQL postmaster); what is left is the others'.
A process of ours that starts and ends between two samples is counted as the others' (a small error)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import psutil

__all__ = ["OtherLoad"]


def _busy_s() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class OtherLoad:
    """Samples CPU use from :meth:`start` to :meth:`stop`; ``extra_roots`` are pids whose process trees
    count as ours although they are not our children."""

    def __init__(self, extra_roots: list[int] | None = None, every_s: float = 2.0) -> None:
        self._roots = [os.getpid(), *(extra_roots or [])]
        self._every_s = every_s
        self._seen: dict[int, tuple[psutil.Process, float]] = {}
        self._ours_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="other-load", daemon=True)
        self._started = self._busy_start = 0.0
        self._load_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self._busiest: list[dict[str, Any]] = []

    def start(self) -> OtherLoad:
        self._busiest = self._busiest_others()
        self._sample()
        self._ours_s = 0.0  # only what our processes use from now on
        self._started, self._busy_start = time.monotonic(), _busy_s()
        self._load_start = os.getloadavg()
        self._thread.start()
        return self

    def stop(self) -> dict[str, Any]:
        """The figures: CPU seconds used by the machine, by us and by the others, and the others'
        average share of the machine."""
        self._stop.set()
        self._thread.join()
        self._sample()
        wall = time.monotonic() - self._started
        busy = _busy_s() - self._busy_start
        others = max(0.0, busy - self._ours_s)
        cpus = psutil.cpu_count() or 1
        return {
            "cpus": cpus,
            "wall_s": round(wall, 1),
            "machine_busy_cpu_s": round(busy, 1),
            "benchmark_cpu_s": round(self._ours_s, 1),
            "other_programs_cpu_s": round(others, 1),
            "other_programs_cores": round(others / wall, 2) if wall else 0.0,
            "other_load_present": others / wall > 0.1 if wall else False,
            "loadavg_at_start": [round(x, 2) for x in self._load_start],
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "busiest_other_programs_at_start": self._busiest,
        }

    def _ours(self) -> list[psutil.Process]:
        found: list[psutil.Process] = []
        for pid in self._roots:
            try:
                root = psutil.Process(pid)
                found += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
        return found

    def _sample(self) -> None:
        for proc in self._ours():
            try:
                times = proc.cpu_times()
                used = times.user + times.system
                key = proc.pid
                known = self._seen.get(key)
                if known is None or known[0].create_time() != proc.create_time():
                    self._seen[key] = (proc, used)
                    self._ours_s += used
                else:
                    self._ours_s += used - known[1]
                    self._seen[key] = (known[0], used)
            except psutil.NoSuchProcess:
                continue

    def _watch(self) -> None:
        while not self._stop.wait(self._every_s):
            self._sample()

    def _busiest_others(self) -> list[dict[str, Any]]:
        ours = {p.pid for p in self._ours()}
        procs = [p for p in psutil.process_iter(["name", "cmdline"]) if p.pid not in ours]
        for proc in procs:
            try:
                proc.cpu_percent(None)
            except psutil.NoSuchProcess:
                continue
        time.sleep(1.0)
        busy: list[dict[str, Any]] = []
        for proc in procs:
            try:
                percent = proc.cpu_percent(None)
                if percent >= 10:
                    command = " ".join(proc.info["cmdline"] or [proc.info["name"] or "?"])
                    busy.append({"command": command[:120], "cpu_percent": round(percent)})
            except psutil.NoSuchProcess:
                continue
        return sorted(busy, key=lambda b: -b["cpu_percent"])[:5]
