"""Micro-benchmark of ingestion alone (read → normalise → GX → load), no Dagster, no dbt.

    .venv/bin/python bench/ingest_profile.py /tmp/g1m            # a generated data set (landing/, contracts/)
    .venv/bin/python bench/ingest_profile.py /tmp/g1m --profile /tmp/ingest.prof   # + cProfile
    /usr/bin/time -f %M .venv/bin/python bench/ingest_profile.py /tmp/g1m          # + peak RSS (KB)

Ingests every landed file into a fresh warehouse in a temporary folder and
prints, per feed, the seconds spent in each stage. Stages are measured by
wrapping the loader's functions (like bench/timed_bpo.py); with prefetching,
read/normalise/stage run in a background thread, so their sum can exceed
the wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TIMES: dict[tuple[str, str], float] = defaultdict(float)
ROWS: dict[str, int] = defaultdict(int)
_feed = threading.local()


def _timed(stage: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[(getattr(_feed, "name", "?"), stage)] += time.perf_counter() - t0
    return wrapper


def _feed_of(fn, feed_arg):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _feed.name = feed_arg(*args, **kwargs)
        return fn(*args, **kwargs)
    return wrapper


def install() -> None:
    import expectations.runner as runner
    import ingestion.batch as batch
    import ingestion.loader as loader

    # read: DuckDB stages the file (through its mapping, the identity for a canonical file);
    # normalise: typing, UTC, PII hashing in SQL, out as one Arrow table (what is loaded); stage: those rows
    # into the staged table GX's SQL engine validates
    loader.read_landed = _timed("read", _feed_of(loader.read_landed, lambda con, path, feed, **_: feed))
    loader.normalise_staged = _timed("normalise", loader.normalise_staged)
    loader.stage_rows = _timed("stage", loader.stage_rows)
    runner.FeedValidator.validate_relation = _timed(
        "validate", _feed_of(runner.FeedValidator.validate_relation, lambda self, con, rel, feed, *a, **k: feed))
    runner.get_validator = _timed("gx_setup", runner.get_validator)
    if hasattr(loader, "_load"):
        loader._load = _timed("load", loader._load)
    if hasattr(batch, "_Prefetch"):  # the main thread waiting for a file to be prepared
        batch._Prefetch.take = _timed("waited", batch._Prefetch.take)


class _InlineExecutor:
    """A ThreadPoolExecutor stand-in that runs each task at once, in the caller's thread."""

    def __init__(self, *args, **kwargs):
        pass

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller like a real executor does
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="folder with landing/ and contracts/")
    parser.add_argument("--profile", type=Path, help="write cProfile stats here")
    parser.add_argument("--no-prefetch", action="store_true",
                        help="prepare each file in the main thread (to measure what prefetching gains)")
    args = parser.parse_args()
    install()
    if args.no_prefetch:
        import ingestion.batch as batch

        batch.ThreadPoolExecutor = _InlineExecutor
    from ingestion.batch import ingest
    from ingestion.loader import gx_validate
    from ingestion.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(landing=args.dataset / "landing", contracts=args.dataset / "contracts",
                            warehouse=Path(tmp) / "warehouse.duckdb")

        profiler = cProfile.Profile() if args.profile else None
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        results = ingest(settings, gx_validate)
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(args.profile))
        wall = time.perf_counter() - t0
    for r in results:
        ROWS[r.feed or "?"] += r.rows
    statuses = defaultdict(int)
    for r in results:
        statuses[r.status] += 1
    stages = ("read", "normalise", "stage", "validate", "load", "waited")
    feeds = sorted({f for f, _ in TIMES} - {"?"})
    print(f"{'feed':<14}{'rows':>10}" + "".join(f"{s:>11}" for s in stages))
    for feed in feeds:
        print(f"{feed:<14}{ROWS[feed]:>10,}" + "".join(f"{TIMES[(feed, s)]:>11.2f}" for s in stages))
    setup = sum(t for (_, s), t in TIMES.items() if s == "gx_setup")
    print(f"files: {dict(statuses)}; wall {wall:.2f} s, of which GX set-up {setup:.2f} s\n")


if __name__ == "__main__":
    main()
