"""`make dagster` (python -m orchestration.dev): `dg dev` on the warehouse's home, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ignore_sigint() -> None:
    # as for a process started in the background by a script or under nohup
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.slow
def test_dg_dev_uses_the_warehouse_home_and_stops_on_sigterm_even_with_sigint_ignored(settings, tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(BPO_LANDING=str(settings.landing), BPO_CONTRACTS=str(settings.contracts),
               BPO_WAREHOUSE=str(settings.warehouse))
    log = (tmp_path / "dg.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "orchestration.dev", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_ignore_sigint, start_new_session=True)
    try:
        # up once the webserver answers (this waits; nothing here is a timed assertion)
        while proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                time.sleep(1)
        assert proc.poll() is None, (tmp_path / "dg.log").read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        # before: SIGTERM was handled like the ignored SIGINT, i.e. not at all (this wait ran out)
        assert proc.wait(timeout=240) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    output = (tmp_path / "dg.log").read_text()
    home = settings.warehouse.parent / ".dagster"
    assert f"Dagster home: {home}" in output
    assert "Dagster services shut down" in output
    assert (home / "dagster.yaml").exists() and (home / "history").is_dir()  # runs are stored there
    with pytest.raises(OSError):  # the webserver is gone with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
