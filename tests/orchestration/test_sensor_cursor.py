"""The landing sensor's cursor forgets files that left the landing zone, and still requests bytes once."""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from ingestion.batch import ingest
from tests.conftest import land
from tests.orchestration.test_definitions import SensorTicks, _requested_paths
from tests.robustness.corpus import interactions


def _cursor(ticks: SensorTicks) -> dict:
    return json.loads(ticks.cursor)


def test_entries_of_removed_files_go_and_loaded_bytes_that_come_back_are_not_requested(settings, validate):
    ticks = SensorTicks(settings)
    a = land(settings, "acme_mx", "interactions", "a.csv", interactions(2))
    b = land(settings, "acme_mx", "interactions", "b.csv", interactions(3))
    assert sorted(_requested_paths(ticks.tick())) == [[str(a)], [str(b)]]
    assert len(_cursor(ticks)["seen"]) == 2
    ingest(settings, validate, [a, b])  # what their runs do
    ticks.end_waiting_runs()
    assert isinstance(ticks.tick(), dg.SkipReason)

    content = a.read_bytes()
    a.unlink()  # archived by the vendor after loading
    assert isinstance(ticks.tick(), dg.SkipReason)
    # only b is still listed
    assert list(_cursor(ticks)["seen"].values()) == [hashlib.sha256(b.read_bytes()).hexdigest()]

    land(settings, "acme_mx", "interactions", "a.csv", content)  # the same bytes again (a new inode)
    skipped = ticks.tick()
    assert isinstance(skipped, dg.SkipReason), "loaded bytes requested again"
    assert "already processed" in skipped.skip_message
    assert len(_cursor(ticks)["seen"]) == 2
    assert _cursor(ticks)["unconfirmed"] == {} and _cursor(ticks)["given_up"] == []

    for path in settings.landing.rglob("*.csv"):
        path.unlink()
    assert isinstance(ticks.tick(), dg.SkipReason)
    assert _cursor(ticks)["seen"] == {}


def test_bytes_given_up_after_three_runs_stay_given_up_when_their_file_comes_back(settings):
    """A file whose three runs ended without recording it is left for `bpo run`; removed and landed again
    (same bytes), the sensor still does not ask for it, although its `seen` entry went."""
    ticks = SensorTicks(settings)
    c = land(settings, "acme_mx", "interactions", "c.csv", "interaction_id\nx1\n")
    (first,) = ticks.tick()
    sha = first.tags["bpo/sha256"]
    for _ in range(2):
        ticks.end_waiting_runs()
        (again,) = ticks.tick()
        assert again.tags["bpo/sha256"] == sha
    ticks.end_waiting_runs()
    assert isinstance(ticks.tick(), dg.SkipReason)  # three runs: given up
    assert _cursor(ticks)["given_up"] == [sha]

    content = c.read_bytes()
    c.unlink()
    land(settings, "acme_mx", "interactions", "z.csv", "interaction_id\nx2\n")  # a tick that writes the cursor
    ticks.tick()
    assert sha not in _cursor(ticks)["seen"].values()
    land(settings, "acme_mx", "interactions", "c_again.csv", content)  # z's run is still waiting
    assert isinstance(ticks.tick(), dg.SkipReason)
    assert len(ticks.runs(sha)) == 3


def test_a_cursor_of_an_older_version_loses_its_stale_keys(settings):
    """Keys no file has any more (an older fingerprint format, files long gone) are dropped at the next tick;
    their bytes count as given up until the manifest is read, so nothing is requested for them."""
    ticks = SensorTicks(settings)
    ticks.cursor = json.dumps({"seen": {"acme_mx/interactions/old.csv|10|1": "f" * 64}, "unconfirmed": {}})
    assert isinstance(ticks.tick(), dg.SkipReason)
    assert _cursor(ticks) == {"seen": {}, "unconfirmed": {}, "given_up": ["f" * 64]}
    d = land(settings, "acme_mx", "interactions", "d.csv", "interaction_id\nx3\n")
    assert _requested_paths(ticks.tick()) == [[str(d)]]
    # the manifest (empty here) does not hold the old bytes: still given up, never requested
    assert _cursor(ticks)["given_up"] == ["f" * 64] and len(_cursor(ticks)["seen"]) == 1
