"""Helpers for the robustness tests: the killable pipeline driver, landing data in waves, comparing marts."""

from __future__ import annotations

import json
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = ("__dbt_tmp", "__dbt_backup")
# when and where a file was loaded or published: differs between two runs by nature
VOLATILE = re.compile(r"(^|_)(load(ed)?_(at|id)|processed_at|published_at|file_path|file_mtime|build_id|source_file)$")


@dataclass
class Paths:
    root: Path
    landing: Path = field(init=False)
    contracts: Path = field(init=False)
    warehouse: Path = field(init=False)
    published: Path = field(init=False)
    target: Path = field(init=False)

    def __post_init__(self) -> None:
        self.landing = self.root / "landing"
        self.contracts = self.root / "contracts"
        self.warehouse = self.root / "wh" / "warehouse.duckdb"  # the driver needs this file name
        self.published = self.root / "wh" / "published.duckdb"
        self.target = self.root / "dbt_target"
        self.landing.mkdir(parents=True, exist_ok=True)

    def command(self) -> dict:
        return {"landing": str(self.landing), "contracts": str(self.contracts), "warehouse": str(self.warehouse),
                "published": str(self.published), "target": str(self.target)}


@dataclass
class Cycle:
    pid: int
    sent_at: float
    marks: dict[str, float] = field(default_factory=dict)  # phase -> monotonic time seen
    exit_code: int | None = None
    done: str | None = None  # the "done ..." line
    failure: str | None = None

    @property
    def last_phase(self) -> str | None:
        """The last phase the child announced (after it exited: the phase it was killed in)."""
        return max(self.marks, key=self.marks.get) if self.marks else None


class Driver:
    """The long-lived process of tests/robustness/driver.py; each `start` forks one pipeline cycle."""

    def __init__(self, workdir: Path, ready_timeout: float = 300.0):
        workdir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = workdir / "driver.stderr"
        env = {**os.environ, "BPO_DRIVER_PARSE_TARGET": str(workdir), "PYTHONUNBUFFERED": "1",
               "GX_ANALYTICS_ENABLED": "false"}
        self._stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.robustness.driver"], cwd=ROOT, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                     text=True, bufsize=1)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self._expect(lambda line: line == "ready", ready_timeout, "the driver to start")

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))
        self.lines.put((time.monotonic(), "<eof>"))

    def _next(self, deadline: float) -> tuple[float, str]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        t, line = self.lines.get(timeout=remaining)
        self.log.append(line)
        if line == "<eof>":
            raise AssertionError(f"the driver died:\n{self.stderr_tail()}")
        return t, line

    def _expect(self, match, timeout: float, what: str) -> tuple[float, str]:
        deadline = time.monotonic() + timeout
        try:
            while True:
                t, line = self._next(deadline)
                if match(line):
                    return t, line
        except (TimeoutError, queue.Empty):
            raise AssertionError(f"timed out waiting for {what}; last lines: {self.log[-15:]}\n"
                                 f"{self.stderr_tail()}") from None

    def stderr_tail(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-4000:]

    def start(self, paths: Paths | dict) -> Cycle:
        assert self.proc.stdin is not None
        sent = time.monotonic()
        command = paths if isinstance(paths, dict) else paths.command()
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        _, line = self._expect(lambda s: s.startswith("started "), 60, "the fork")
        cycle = Cycle(pid=int(line.split()[1]), sent_at=sent)
        # the child may have printed before the parent: replay what we skipped
        for earlier in self.log[-20:]:
            self._note(cycle, earlier, time.monotonic())
        return cycle

    def _note(self, cycle: Cycle, line: str, t: float) -> None:
        parts = line.split(maxsplit=2)
        if parts[:1] == [str(cycle.pid)]:
            if len(parts) == 3 and parts[1] == "phase":
                cycle.marks.setdefault(parts[2], t)
            elif len(parts) >= 2 and parts[1] == "done":
                cycle.done = line
                cycle.marks.setdefault("done", t)
            elif len(parts) >= 2 and parts[1] == "failed":
                cycle.failure = line
        elif parts[:2] == ["exited", str(cycle.pid)]:
            cycle.exit_code = int(parts[2])

    def wait_phase(self, cycle: Cycle, phase: str, timeout: float = 120) -> bool:
        """Wait until the child reaches `phase`; False when it exited first."""
        deadline = time.monotonic() + timeout
        while phase not in cycle.marks and cycle.exit_code is None:
            try:
                t, line = self._next(deadline)
            except (TimeoutError, queue.Empty):
                raise AssertionError(f"timed out waiting for phase {phase}: {self.log[-15:]}") from None
            self._note(cycle, line, t)
        return phase in cycle.marks

    def wait_exit(self, cycle: Cycle, timeout: float = 180) -> Cycle:
        deadline = time.monotonic() + timeout
        while cycle.exit_code is None:
            try:
                t, line = self._next(deadline)
            except (TimeoutError, queue.Empty):
                raise AssertionError(f"timed out waiting for the cycle to end: {self.log[-15:]}") from None
            self._note(cycle, line, t)
        return cycle

    def run(self, paths: Paths | dict, timeout: float = 180) -> Cycle:
        """One full cycle that must succeed."""
        cycle = self.wait_exit(self.start(paths), timeout)
        assert cycle.exit_code == 0 and cycle.done, f"cycle failed: {cycle.failure}\n{self.log[-20:]}"
        return cycle

    def kill(self, cycle: Cycle) -> None:
        try:
            os.kill(cycle.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.close()


def files_in_arrival_order(landing: Path) -> list[Path]:
    files = [p for p in landing.rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime, str(p)))


def spread_mtimes(landing: Path, step: float = 1.0) -> list[Path]:
    """Give the files distinct, increasing mtimes in their current arrival order (deterministic order)."""
    return set_arrival_order(files_in_arrival_order(landing), step)


def set_arrival_order(files: list[Path], step: float = 1.0) -> list[Path]:
    """Arrival order (mtime) = the order of `files`."""
    base = time.time() - step * (len(files) + 10)
    for i, path in enumerate(files):
        os.utime(path, (base + i * step, base + i * step))
    return files


def copy_landed(files: list[Path], src_landing: Path, dst_landing: Path) -> None:
    """Land files (mtime kept, so arrival order stays the same)."""
    for path in files:
        target = dst_landing / path.relative_to(src_landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]).fetchall()
        if not r[0].endswith(SCRATCH)]


def _norm(value):
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return round(value, 9)  # parallel float sums may differ in the last bits
    if isinstance(value, Decimal):
        return value.normalize()
    return value


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of one query on a DuckDB file, opened read-only and closed again."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_rows(path: Path, schema: str, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every table of a schema: its rows, normalised and sorted, without the columns that say when or
    where a file was loaded (VOLATILE) or that are excluded."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for name in tables(con, schema):
            cols = [r[0] for r in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                "order by column_index", [schema, name]).fetchall()
                if r[0] not in exclude and not VOLATILE.search(r[0])]
            rows = con.execute(f'select {", ".join(chr(34) + c + chr(34) for c in cols)} from {schema}."{name}"').fetchall()
            out[name] = (cols, sorted((tuple(_norm(v) for v in r) for r in rows), key=repr))
        return out
    finally:
        con.close()


def assert_same_tables(actual: dict, expected: dict, what: str) -> None:
    assert sorted(actual) == sorted(expected), f"{what}: different tables {sorted(actual)} vs {sorted(expected)}"
    for name in expected:
        cols_a, rows_a = actual[name]
        cols_e, rows_e = expected[name]
        assert cols_a == cols_e, f"{what}.{name}: columns differ"
        if rows_a != rows_e:
            missing = [r for r in rows_e if r not in rows_a][:3]
            extra = [r for r in rows_a if r not in rows_e][:3]
            raise AssertionError(f"{what}.{name}: {len(rows_a)} rows vs {len(rows_e)} expected; "
                                 f"missing {missing}; unexpected {extra}")
