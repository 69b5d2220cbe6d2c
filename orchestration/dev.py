"""`python -m orchestration.dev [dg dev options]` (`make dagster`): the UI for one warehouse.

Runs `dg dev` from the project root on the warehouse named by BPO_WAREHOUSE
(with BPO_LANDING, BPO_CONTRACTS ...), with DAGSTER_HOME set to that
warehouse's persistent home, <warehouse folder>/.dagster: runs, the sensor
cursor and the `bpo run` history survive restarts. Before it starts, runs the
previous session left 'started' (it was killed mid-run) are marked failed, so
they do not hold the one-run-at-a-time queue for ever; runs still queued go on.

SIGTERM and SIGINT (Ctrl-C) stop it: `dg dev` handles SIGTERM as it handles
SIGINT, and a process started in the background by a script or `nohup`
inherits SIGINT *ignored*, so `dg dev` would then ignore SIGTERM too. Both are
reset to their defaults here before `dg dev` replaces this process.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from ingestion.settings import Settings, allocator_environment
from orchestration.instance import fail_abandoned_runs, open_instance, prepare_dagster_home

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:  # pragma: no cover - replaces the process; tests/orchestration/test_dev.py
    warehouse = Settings().warehouse
    home = prepare_dagster_home(warehouse)
    with open_instance(warehouse) as instance:
        for run_id in fail_abandoned_runs(instance, ui_stopped=True):
            print(f"run {run_id} was left unfinished by an earlier session: marked failed", file=sys.stderr)
    print(f"Dagster home: {home}", file=sys.stderr)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # kept across exec; an ignored signal would stay ignored
    dg = str(Path(sys.executable).with_name("dg"))
    # the code server and its run workers load polars: its allocator settings go in first
    env = allocator_environment({**os.environ, "DAGSTER_HOME": str(home), "VIRTUAL_ENV": sys.prefix})
    os.chdir(PROJECT_ROOT)
    os.execve(dg, [dg, "dev", *argv], env)


if __name__ == "__main__":
    main(sys.argv[1:])
