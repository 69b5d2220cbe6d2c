"""A pipeline process that tests can SIGKILL: ingest → dbt build → publish, as `bpo run` does.

Run as `python -m tests.robustness.driver`. It pays the expensive imports
(Great Expectations, dbt) and parses the dbt project once, prints `ready`, then
reads one JSON command per line from stdin:

    {"landing": ..., "contracts": ..., "warehouse": ..., "published": ..., "target": ...}

(optionally "settle_seconds": the landing zone's settle interval, 0 otherwise in tests)

For each command it forks a child process that runs ONE pipeline cycle on
those paths with the same functions the Dagster job uses
(`ingestion.batch.ingest` with the real GX validator, `dbt build` with
`transform.dbt_build.dbt_build_args` on this project, then
`serving.publish.publish_marts`) and prints markers as it goes:

    started <pid>                  (from this process, right after the fork)
    <pid> phase ingest             (the child, before the first file)
    <pid> phase dbt                (before dbt starts)
    <pid> phase dbt-nodes          (dbt started building its first node)
    <pid> phase publish
    <pid> done <files loaded> <files quarantined> <build_id>
    exited <pid> <exit status>     (from this process; -9 when the child was SIGKILLed)

A test may SIGKILL the child at any moment: it is a separate process with
its own DuckDB connections, exactly like a killed `bpo run`. The fork saves
the ~10 s of imports per restart that would otherwise make 20 restarts too
slow for CI. Nothing touches DuckDB, polars' thread pool or dbt's adapter
before the fork.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def _load() -> dict:
    from expectations.runner import get_validator
    from compat.dbt_duckdb import run_dbt
    from transform.dbt_build import dbt_build_args, project_args

    validator = get_validator()
    parse_target = Path(os.environ.get("BPO_DRIVER_PARSE_TARGET", "/tmp")) / "bpo_driver_parse"
    # the catalog name in the parsed manifest is the warehouse file stem: warehouses must be *.../warehouse.duckdb
    parsed = run_dbt(project_args(["parse", "--quiet", *dbt_build_args(parse_target / "warehouse.duckdb")[1:]],
                                  parse_target))
    if not parsed.success:
        raise SystemExit(f"dbt parse failed: {parsed.exception}")
    return {"validator": validator, "manifest": parsed.result}


def _cycle(cmd: dict, loaded: dict) -> int:
    from ingestion.batch import ingest
    from ingestion.settings import Settings
    from serving.publish import publish_marts
    from compat.dbt_duckdb import run_dbt
    from transform.dbt_build import dbt_build_args, project_args

    pid = os.getpid()
    settings = Settings(landing=Path(cmd["landing"]), contracts=Path(cmd["contracts"]),
                        warehouse=Path(cmd["warehouse"]), published=Path(cmd["published"]),
                        **{k: cmd[k] for k in ("settle_seconds",) if k in cmd}).resolved()
    validator = loaded["validator"]

    def validate(feed, staged, vendor_id):
        return validator.validate_relation(staged.con, staged.name, feed, vendor_id)

    _say(f"{pid} phase ingest")
    results = ingest(settings, validate)
    _say(f"{pid} phase dbt")
    started = []

    def on_event(event) -> None:
        if not started and event.info.name == "NodeStart":
            started.append(time.monotonic())
            _say(f"{pid} phase dbt-nodes")

    res = run_dbt(project_args([*dbt_build_args(settings.warehouse, settings.reporting_currency), "--quiet"],
                               Path(cmd["target"])),
                  manifest=loaded["manifest"], callbacks=[on_event])
    if not res.success:
        _say(f"{pid} failed dbt build: {res.exception}")
        return 1
    _say(f"{pid} phase publish")
    info = publish_marts(settings.warehouse, settings.published_path)
    loaded_n = sum(r.status == "loaded" for r in results)
    quarantined_n = sum(r.status == "quarantined" for r in results)
    _say(f"{pid} done {loaded_n} {quarantined_n} {info['build_id']}")
    return 0


def main() -> None:
    loaded = _load()
    _say("ready")
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: one cycle, then leave without running the parent's exit handlers
            code = 1
            try:
                code = _cycle(cmd, loaded)
            except BaseException as exc:  # noqa: BLE001 - reported to the test, which fails on it
                _say(f"{os.getpid()} failed {type(exc).__name__}: {str(exc)[:2000]!r}")
            finally:
                os._exit(code)
        _say(f"started {pid}")
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _say(f"exited {pid} {code}")


if __name__ == "__main__":
    main()
