"""Warehouses built from generated data for tests: `generate`, then `bpo run`, as a user does.

`generated_warehouse(out, **generate_args)` builds one in `out`, for a test (or module) of its own, which may
write to it. `shared_warehouse(tmp_path_factory, **generate_args)` builds each distinct data set once per test
session, whichever pytest-xdist worker asks first (a file lock makes the others wait for it), in the folder the
workers share; the tests that use it only read it, and `assert_unchanged` (called by the session fixtures in
tests/conftest.py at the end) fails when one wrote to it. A test that writes (a run, a dbt build, a page beside
the warehouse) works on `copy_to(dest)`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from generator import generate

BPO = str(Path(sys.executable).with_name("bpo"))


@dataclass(frozen=True)
class GeneratedWarehouse:
    """`root`/data (landing, contracts, ground_truth.json) and `root`/wh (warehouse, published copy, ...)."""

    root: Path
    truth: dict
    stdout: str  # of the `bpo run` that built it
    stderr: str

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def landing(self) -> Path:
        return self.data / "landing"

    @property
    def contracts(self) -> Path:
        return self.data / "contracts"

    @property
    def warehouse(self) -> Path:
        return self.root / "wh" / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.warehouse.parent / "published.duckdb"

    @property
    def run_args(self) -> list[str]:
        """The `bpo run` command line of this warehouse (running it again is a write: use a copy)."""
        return [BPO, "run", "--landing", str(self.landing), "--contracts", str(self.contracts),
                "--warehouse", str(self.warehouse)]

    def copy_to(self, dest: Path) -> GeneratedWarehouse:
        """A private copy under `dest` (data and warehouse folder), for a test that writes."""
        shutil.copytree(self.root, dest, ignore=shutil.ignore_patterns(_BUILT, "*.lock"))
        return GeneratedWarehouse(dest, self.truth, self.stdout, self.stderr)

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """Every file under root (path -> size, mtime): what `assert_unchanged` compares."""
        return {p.relative_to(self.root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
                for p in sorted(self.root.rglob("*")) if p.is_file() and p.name != _BUILT}

    def assert_unchanged(self) -> None:
        """Fail when a test wrote to this shared warehouse (it must have taken a copy)."""
        recorded = json.loads((self.root / _BUILT).read_text())["fingerprint"]
        now = {k: list(v) for k, v in self.fingerprint().items()}
        changed = sorted(k for k in recorded.keys() | now.keys() if recorded.get(k) != now.get(k))
        assert not changed, f"a test wrote to the shared warehouse {self.root}: {changed[:10]}"


def _env() -> dict[str, str]:
    # as a user runs it, without BPO_LOG_LEVEL (tests/serving/test_docs.py checks the run is quiet)
    return {k: v for k, v in os.environ.items() if k != "BPO_LOG_LEVEL"}


def generated_warehouse(out: Path, **generate_args) -> GeneratedWarehouse:
    """generate(out/data, **generate_args), then `bpo run` into out/wh/warehouse.duckdb; the run must exit 0."""
    truth = generate(Path(out) / "data", **generate_args)
    built = GeneratedWarehouse(Path(out), truth, "", "")
    run = subprocess.run(built.run_args, capture_output=True, text=True, env=_env())
    assert run.returncode == 0, f"bpo run exited {run.returncode}:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    return GeneratedWarehouse(Path(out), truth, run.stdout, run.stderr)


_BUILT = "built.json"  # written last: the build is complete


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # under pytest-xdist each worker's basetemp (popen-gwN) is inside this session's folder, which all share;
    # without xdist, basetemp's parent outlives the session (earlier sessions' builds): use basetemp itself
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_warehouse(tmp_path_factory: pytest.TempPathFactory, **generate_args) -> GeneratedWarehouse:
    """The generated warehouse of these arguments, built once per test session (xdist workers included).

    Read only: a test that writes takes `copy_to`. A failed build is remembered, so every user fails with its
    message at once instead of building again.
    """
    key = json.dumps(generate_args, sort_keys=True)
    folder = _shared_folder(tmp_path_factory) / "shared_warehouses" / hashlib.sha256(key.encode()).hexdigest()[:16]
    folder.parent.mkdir(parents=True, exist_ok=True)
    failed = folder.with_name(folder.name + ".failed")
    with FileLock(str(folder) + ".lock"):
        if failed.exists():
            pytest.fail(f"shared warehouse {key} (built by another worker) failed:\n{failed.read_text()}",
                        pytrace=False)
        if not (folder / _BUILT).exists():
            shutil.rmtree(folder, ignore_errors=True)  # an earlier attempt that did not finish
            try:
                built = generated_warehouse(folder, **generate_args)
            except BaseException as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}")
                raise
            (folder / _BUILT).write_text(json.dumps({
                "generate": generate_args, "stdout": built.stdout, "stderr": built.stderr,
                "fingerprint": built.fingerprint()}))
    info = json.loads((folder / _BUILT).read_text())
    truth = json.loads((folder / "data" / "ground_truth.json").read_text())  # what generate() returned
    return GeneratedWarehouse(folder, truth, info["stdout"], info["stderr"])
