"""The Dagster home of a warehouse: `<warehouse folder>/.dagster`.

One persistent Dagster instance per warehouse keeps the landing sensor's
cursor, the run history of the UI (`dg dev`) and the runs of `bpo run` in one
place, so a restart of the UI requests nothing already processed and `bpo run`
runs show in the UI's history. Its `dagster.yaml` is copied from the project
root's (one warehouse writer at a time); a copy someone edited by hand (the
marker line removed) is left alone.

`python -m orchestration.instance` prepares the home of the warehouse named by
BPO_WAREHOUSE and prints its path: `make dagster` starts `dg dev` with it.
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
        tmp = config.with_name(".dagster.yaml.tmp")
        tmp.write_text(wanted, encoding="utf-8")
        tmp.replace(config)  # the daemon may read it at any moment: never half written
    return home


def open_instance(warehouse: Path):
    """The persistent Dagster instance of this warehouse (a context manager, like DagsterInstance.get())."""
    import dagster as dg

    return dg.DagsterInstance.from_config(str(prepare_dagster_home(warehouse)))


BPO_RUN_TAGS = {"bpo/source": "bpo run"}


def bpo_run_tags() -> dict[str, str]:
    """Tags of a `bpo run` run: where its process runs, so an abandoned one can be recognised."""
    return {**BPO_RUN_TAGS, "bpo/host": socket.gethostname(), "bpo/pid": str(os.getpid())}


def fail_abandoned_bpo_runs(instance) -> list[str]:
    """Mark as failed the `bpo run` runs still 'started' whose process is gone (killed mid-run).

    Such a run would otherwise count as in progress for ever and hold the run queue of the
    UI's daemon (one run at a time). Only runs of this host are judged. Returns their run ids.
    """
    import dagster as dg

    host = socket.gethostname()
    abandoned = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags=BPO_RUN_TAGS)):
        if run.tags.get("bpo/host") != host or not run.tags.get("bpo/pid", "").isdigit():
            continue
        if not _process_alive(int(run.tags["bpo/pid"])):
            instance.report_run_failed(run, message="the `bpo run` process running it ended without finishing it")
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


if __name__ == "__main__":  # pragma: no cover - exercised by `make dagster`
    from ingestion.settings import Settings

    print(prepare_dagster_home(Settings().warehouse))
