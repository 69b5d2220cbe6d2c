"""`bpo` with stopwatches: `python bench/timed_bpo.py run --landing ... --contracts ... --warehouse ...`.

Runs exactly the `bpo` command line (orchestration.cli.app) in this process,
after wrapping a few pipeline functions with timers, so the benchmark can
split ingestion time into read / normalise / to_pandas / validate / load
without changing pipeline code. The wrappers only read the clock around the
original calls (plus the file's sha256, which the loader computes first
thing anyway and caches on the LandedFile). When a function is renamed or
moved, its wrapper is skipped and listed under "missing"; the split then
has gaps but the run itself is unaffected.

Timings go to the JSON file named by $BENCH_TIMINGS_OUT when the process exits.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from pathlib import Path

T_START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STATE: dict = {"files": [], "gx_setup_seconds": 0.0, "gx_setup_calls": 0, "patched": [], "missing": []}
# Ingestion prepares the next file (read, normalise) in a background thread while the current one is
# validated and loaded, so each thread has its own current file; records are keyed by the file's path.
_records: dict[str, dict] = {}
_local = threading.local()


def _record(landed) -> dict:
    return _records.setdefault(str(landed.path), {"file": str(landed.path), "feed": landed.feed,
                                                  "vendor": landed.vendor_id})


def _patch(module, name: str, make):
    target = getattr(module, name, None)
    label = f"{module.__name__}.{name}"
    if target is None:
        STATE["missing"].append(label)
        return
    setattr(module, name, make(target))
    STATE["patched"].append(label)


def _accumulate(key: str):
    def make(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            rec = getattr(_local, "record", None)
            if rec is None:
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                rec[key] = rec.get(key, 0.0) + time.perf_counter() - t0
        return wrapper
    return make


def _with_record(key: str, landed_arg: int):
    """Time the whole call under `key` and make its file the thread's current one."""
    def make(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            rec = _record(args[landed_arg])
            outer = getattr(_local, "record", None)
            _local.record = rec
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                rec[key] = rec.get(key, 0.0) + time.perf_counter() - t0
                _local.record = outer
        return wrapper
    return make


def _ingest_file(fn):
    timed = _with_record("total", 1)(fn)

    @functools.wraps(fn)
    def wrapper(con, landed, *args, **kwargs):
        rec = _record(landed)
        t0 = time.perf_counter()
        _ = landed.sha256  # cached on the object (usually hashed already while preparing)
        rec["sha256"] = rec.get("sha256", 0.0) + time.perf_counter() - t0
        result = timed(con, landed, *args, **kwargs)
        rec["status"], rec["rows"] = result.status, result.rows
        STATE["files"].append(rec)
        return result
    return wrapper


def _get_validator(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            STATE["gx_setup_seconds"] += time.perf_counter() - t0
            STATE["gx_setup_calls"] += 1
    return wrapper


def install() -> None:
    import expectations.runner as runner
    import ingestion.batch as batch
    import ingestion.loader as loader

    _patch(batch, "ingest_file", _ingest_file)
    _patch(batch, "prepare_file", _with_record("prepare", 0))  # background thread: read + normalise + stage
    _patch(loader, "_load", _accumulate("load"))
    # read: DuckDB stages the file (through its mapping, the identity for a canonical file) in a private
    # connection; normalise: typing, UTC, PII hashing in SQL, out as one Arrow table
    _patch(loader, "read_landed", _accumulate("read"))
    _patch(loader, "normalise_staged", _accumulate("normalise"))
    # key "to_pandas" (what bench/run.py sums as validation's preparation): now the copy of the normalised
    # rows into the staged table GX validates (ingestion.loader.stage_rows); there is no pandas frame any more
    _patch(loader, "stage_rows", _accumulate("to_pandas"))
    _patch(runner, "get_validator", _get_validator)
    validator_cls = getattr(runner, "FeedValidator", None)
    if validator_cls is not None:
        _patch(validator_cls, "validate_relation", _accumulate("validate"))
    else:
        STATE["missing"].append("expectations.runner.FeedValidator.validate_relation")


def _dump() -> None:
    out = os.environ.get("BENCH_TIMINGS_OUT")
    if not out:
        return
    STATE["process_seconds"] = time.perf_counter() - T_START
    STATE["cpu"] = dict(zip(("user", "system", "children_user", "children_system"), os.times()[:4]))
    Path(out).write_text(json.dumps(STATE, indent=1))


def main() -> None:
    install()
    STATE["patch_import_seconds"] = time.perf_counter() - T_START
    from orchestration.cli import app

    try:
        app(prog_name="bpo")
    finally:
        _dump()


if __name__ == "__main__":
    main()
