"""The Dagster home of a warehouse: `<warehouse folder>/.dagster`.

One persistent Dagster instance per warehouse keeps the landing sensor's
cursor, the run history of the UI (`dg dev`) and the runs of `bpo run` in one
place, so a restart of the UI requests nothing already processed and `bpo run`
runs show in the UI's history. Its `dagster.yaml` is copied from the project
root's (one warehouse writer at a time); a copy someone edited by hand (the
marker line removed) is left alone.

`python -m orchestration.dev` (`make dagster`) starts `dg dev` on it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROJECT_DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"
HOME_NAME = ".dagster"
_MARKER = "# copied by bpo-warehouse from the project's dagster.yaml; remove this line to keep your own edits"


def dagster_home(warehouse: Path) -> Path:
    """Where the Dagster instance of this warehouse lives."""
    return Path(warehouse).resolve().parent / HOME_NAME


def prepare_dagster_home(warehouse: Path) -> Path:
    """Create the home (and its dagster.yaml) of this warehouse's Dagster instance; return it."""
    home = dagster_home(warehouse)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = f"{_MARKER}\n{PROJECT_DAGSTER_YAML.read_text(encoding='utf-8')}"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current != wanted and current.startswith(_MARKER)):
        tmp = config.with_name(f".dagster.yaml.{os.getpid()}.tmp")
        tmp.write_text(wanted, encoding="utf-8")
        tmp.replace(config)  # the daemon may read it at any moment: never half written
    return home


def open_instance(warehouse: Path):
    """The persistent Dagster instance of this warehouse (a context manager, like DagsterInstance.get()).

    Its SQLite event log keeps its connections open (compat/dagster_sqlite.py): storing each of a run's
    ~1,000 events no longer opens, fsyncs and checkpoints the database anew.
    """
    import fcntl

    import dagster as dg

    from compat.dagster_sqlite import keep_event_log_open

    home = dagster_home(warehouse)
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".open.lock").open("w") as lock:
        # Dagster creates its SQLite storage on first open, and two processes doing it at once
        # (`make dagster` and a `bpo run`) can fail ("alembic_version has more than one head")
        fcntl.flock(lock, fcntl.LOCK_EX)
        prepare_dagster_home(warehouse)
        instance = dg.DagsterInstance.from_config(str(home))
    keep_event_log_open(instance)
    return instance


BPO_RUN_TAGS = {"bpo/source": "bpo run"}


def bpo_run_tags() -> dict[str, str]:
    """Tags of a `bpo run` run: where its process runs, so an abandoned one can be recognised."""
    return {**BPO_RUN_TAGS, "bpo/host": socket.gethostname(), "bpo/pid": str(os.getpid())}


def fail_abandoned_runs(instance, *, ui_stopped: bool = False) -> list[str]:
    """Mark as failed the runs still 'started' whose process is gone (killed mid-run); return their ids.

    Such a run would otherwise count as in progress for ever and hold the run queue of the UI's
    daemon (one run at a time). A `bpo run` run is judged by its process id (on this host);
    with ui_stopped (no `dg dev` serves this home: called before one starts), the runs the
    previous UI session launched are gone with it too.
    """
    import dagster as dg

    host = socket.gethostname()
    in_flight = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
    abandoned = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=in_flight)):
        if run.tags.get("bpo/source") == BPO_RUN_TAGS["bpo/source"]:
            pid = run.tags.get("bpo/pid", "")
            if run.tags.get("bpo/host") != host or not pid.isdigit() or _process_alive(int(pid)):
                continue
            why = "the `bpo run` process running it ended without finishing it"
        elif ui_stopped:
            why = "the Dagster UI (dg dev) running it stopped before it finished"
        else:
            continue
        instance.report_run_failed(run, message=why)
        abandoned.append(run.run_id)
    return abandoned


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
