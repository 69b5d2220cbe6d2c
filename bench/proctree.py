"""Resident memory of a process tree, sampled from /proc (psutil is not a dependency).

`RssSampler(pid)` polls the process and all its descendants (dbt, DuckDB
helpers, ...) every `interval` seconds in a background thread and keeps the
samples, so the peak of the whole tree, and the peak during any time window
(a pipeline stage), can be read afterwards.

The sum of VmRSS counts shared pages (e.g. mapped libraries) once per
process, so it slightly over-states the tree's footprint; it never misses a
child that lives longer than one interval.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            except OSError:
                continue
            out.extend(int(c) for c in text.split())
    except OSError:
        pass
    return out


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _name(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        parts = [p.decode(errors="replace") for p in raw if p]
    except OSError:
        return "?"
    # "python .../bin/dbt build ..." -> "dbt"; "python bench/timed_bpo.py" -> "timed_bpo.py"
    for p in parts[:3]:
        base = os.path.basename(p)
        if base and not base.startswith("python"):
            return base
    return os.path.basename(parts[0]) if parts else "?"


def tree(pid: int) -> list[int]:
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo.extend(_children(p))
    return seen


@dataclass
class RssSampler:
    pid: int
    interval: float = 0.05
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic seconds, bytes of the tree)
    peak_by_process: dict[str, int] = field(default_factory=dict)  # process name -> its own peak bytes
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        names: dict[int, str] = {}
        while not self._stop.is_set():
            total = 0
            for p in tree(self.pid):
                rss = _rss_bytes(p)
                total += rss
                if p not in names:
                    names[p] = _name(p)
                key = names[p]
                if rss > self.peak_by_process.get(key, 0):
                    self.peak_by_process[key] = rss
            self.samples.append((time.monotonic(), total))
            self._stop.wait(self.interval)

    @property
    def peak_bytes(self) -> int:
        return max((b for _, b in self.samples), default=0)

    def peak_between(self, t0: float, t1: float) -> int:
        return max((b for t, b in self.samples if t0 <= t <= t1), default=0)


def mb(n_bytes: int) -> float:
    return round(n_bytes / 2**20, 1)
