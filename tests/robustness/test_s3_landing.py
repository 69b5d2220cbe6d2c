"""The landing zone on object storage (ingestion/storage.py) against a local S3 server (moto's server mode).

Each test gets its own bucket; the server listens on a free port chosen at run time (xdist-safe).
Credentials and the endpoint reach the pipeline only through the standard AWS environment variables.
"""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import boto3
import duckdb
import pytest
import requests
from typer.testing import CliRunner

from ingestion.batch import file_statuses, ingest, landed_file
from ingestion.landing import scan
from ingestion.settings import Settings
from orchestration.cli import app
from tests.conftest import write_contract
from tests.robustness.corpus import interactions


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(s3_endpoint, monkeypatch, tmp_path):
    """The standard AWS variables only (no profile, no ~/.aws): what a user would set for a store."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "bpo-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bpo-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return s3_endpoint


class Bucket:
    def __init__(self):
        self.client = boto3.client("s3")
        self.name = f"bpo-{uuid.uuid4().hex[:16]}"
        self.client.create_bucket(Bucket=self.name)

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def url(self, prefix: str = "landing") -> str:
        return f"s3://{self.name}/{prefix}"


@pytest.fixture
def bucket(aws_env) -> Bucket:
    return Bucket()


@pytest.fixture
def s3_settings(bucket, tmp_path) -> Settings:
    s = Settings(landing=bucket.url(), contracts=tmp_path / "contracts", warehouse=tmp_path / "wh" / "warehouse.duckdb")
    write_contract(s.contracts, "acme_mx")
    return s.resolved()


def query(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_landing_setting_keeps_an_s3_url_whole(tmp_path):
    assert Settings(landing="s3://bucket/some/prefix/").resolved().landing == "s3://bucket/some/prefix"
    assert Settings(landing=str(tmp_path / "x")).landing == tmp_path / "x"
    with pytest.raises(ValueError, match="names no bucket"):
        Settings(landing="s3://")


def test_exactly_once_by_checksum_and_the_settle_rule_on_s3(bucket, s3_settings, validate):
    rows = interactions(3)
    bucket.put("landing/acme_mx/interactions/day1.csv", rows)
    bucket.put("landing/acme_mx/interactions/day1_resent.csv", rows)  # the same bytes under another name
    results = ingest(s3_settings, validate)
    assert sorted(r.status for r in results) == ["duplicate", "loaded"]
    assert all(r.file.startswith(bucket.url() + "/acme_mx/interactions/day1") for r in results)
    assert query(s3_settings, "select count(*) from raw.interactions") == [(3,)]
    assert query(s3_settings, "select file_path, status from raw.load_manifest") == [
        (f"{bucket.url()}/acme_mx/interactions/day1.csv", "loaded")]
    # the same run again loads nothing
    assert {r.status for r in ingest(s3_settings, validate)} == {"duplicate"}
    assert query(s3_settings, "select count(*) from raw.interactions") == [(3,)]

    # settle rule: judged on LastModified; a <name>.done object as new as the file makes it complete at once
    bucket.put("landing/acme_mx/interactions/day2.csv", interactions(2, start=10))
    waiting = ingest(s3_settings.model_copy(update={"settle_seconds": 3600}), validate)
    (pending,) = [r for r in waiting if r.file.endswith("day2.csv")]
    assert pending.status == "pending"
    assert "still being written" in pending.reason and "day2.csv.done" in pending.reason
    bucket.put("landing/acme_mx/interactions/day2.csv.done", b"")
    marked = ingest(s3_settings.model_copy(update={"settle_seconds": 3600}), validate)
    assert [r.status for r in marked if r.file.endswith("day2.csv")] == ["loaded"]
    assert query(s3_settings, "select count(*) from raw.interactions") == [(5,)]


def _overwrite_before_first_copy(monkeypatch, bucket: Bucket, key: str, body: bytes) -> None:
    """The object is replaced after the listing judged it complete, before it is read."""
    from ingestion.storage import S3Landing

    original = S3Landing.copy
    done = []

    def copy(self, relative, target):
        if not done:
            done.append(True)
            bucket.put(key, body)
        return original(self, relative, target)

    monkeypatch.setattr(S3Landing, "copy", copy)


def test_an_object_overwritten_after_listing_waits_then_loads_one_whole_version(bucket, s3_settings, validate,
                                                                                monkeypatch):
    key = "landing/acme_mx/interactions/live.csv"
    bucket.put(key, interactions(4, start=1))
    _overwrite_before_first_copy(monkeypatch, bucket, key, interactions(2, start=100))
    (first,) = ingest(s3_settings, validate)
    assert first.status == "pending" and "overwritten after it was listed" in first.reason
    assert query(s3_settings, "select count(*) from raw.load_manifest") == [(0,)]
    (second,) = ingest(s3_settings, validate)  # the new version has settled (BPO_SETTLE_SECONDS=0 in tests)
    assert second.status == "loaded" and second.rows == 2
    ids = query(s3_settings, "select interaction_id from raw.interactions order by 1")
    assert [i for (i,) in ids] == ["i100", "i101"]  # only the second version, whole


def test_an_object_overwritten_while_it_is_read_never_loads_a_mix(bucket, s3_settings, validate, monkeypatch):
    import s3fs.core

    from ingestion import storage

    key = "landing/acme_mx/interactions/growing.csv"
    first, second = interactions(40, start=100), interactions(40, start=500)
    assert len(first) == len(second)  # same size: only the ETag tells the versions apart
    bucket.put(key, first)
    monkeypatch.setattr(storage, "_CHUNK", 256)  # many ranged reads per object
    original_read = s3fs.core.S3File.read
    reads = []

    def read(self, length=-1):
        reads.append(length)
        if len(reads) == 2:  # between the first and the second ranged read
            bucket.put(key, second)
        return original_read(self, length)

    monkeypatch.setattr(s3fs.core.S3File, "read", read)
    (result,) = ingest(s3_settings, validate)
    # the copy of version 1 failed its If-Match; the whole new version was copied, but it is not the
    # version the listing judged complete: left pending, nothing recorded
    assert result.status == "pending" and "overwritten after it was listed" in result.reason
    assert query(s3_settings, "select count(*) from raw.load_manifest") == [(0,)]
    monkeypatch.setattr(s3fs.core.S3File, "read", original_read)
    (loaded,) = ingest(s3_settings, validate)
    assert loaded.status == "loaded" and loaded.rows == 40
    ids = [i for (i,) in query(s3_settings, "select interaction_id from raw.interactions order by 1")]
    assert ids == [f"i{n}" for n in range(500, 540)]  # version 2 only


def test_a_listing_of_thousands_of_keys_is_paged_through(bucket, s3_settings, validate):
    from concurrent.futures import ThreadPoolExecutor

    # 2,997 keys that are not data files (in-progress uploads, markers, hidden files), named so that
    # the three data files sort before, among and after them: the last one is on the third page
    noise = ([f"landing/acme_mx/interactions/f{i:04d}.csv.part" for i in range(1000)]
             + [f"landing/acme_mx/interactions/g{i:04d}.csv.done" for i in range(1000)]
             + [f"landing/acme_mx/interactions/.h{i:04d}" for i in range(997)])
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: bucket.put(k, b"x"), noise))
    for name, start in (("a.csv", 1), ("g0500.csv", 10), ("z.csv", 20)):
        bucket.put(f"landing/acme_mx/interactions/{name}", interactions(2, start=start))
    assert len(bucket.keys()) == 3000
    found = scan(s3_settings.landing, 0)
    assert sorted(f.name for f in found.complete) == ["a.csv", "g0500.csv", "z.csv"] and found.waiting == []
    results = ingest(s3_settings, validate)
    assert sorted(r.status for r in results) == ["loaded"] * 3
    assert query(s3_settings, "select count(*) from raw.interactions") == [(6,)]


def test_a_quarantined_s3_file_is_copied_locally_and_replayed(bucket, s3_settings, validate):
    body = interactions(4)
    bucket.put("landing/newco_ph/interactions/first.csv", body)
    (result,) = ingest(s3_settings, validate)
    assert result.status == "quarantined" and "no contract for vendor 'newco_ph'" in result.reason
    copy = s3_settings.quarantine_dir / "newco_ph" / "interactions" / "first.csv"
    assert copy.read_bytes() == body  # nothing lost: the bytes hashed, beside the warehouse
    url = f"{bucket.url()}/newco_ph/interactions/first.csv"
    assert f"bpo replay {url} --landing {bucket.url()}" in copy.with_name("first.csv.reason.txt").read_text()
    assert bucket.get("landing/newco_ph/interactions/first.csv") == body  # the landed object stays
    # the quarantined copy stands for the object it was copied from
    assert landed_file(s3_settings, copy).source == url
    with pytest.raises(ValueError, match="not inside the landing zone"):
        landed_file(s3_settings, f"s3://{bucket.name}/elsewhere/first.csv")
    write_contract(s3_settings.contracts, "newco_ph", timezone="Asia/Manila", currency="PHP")
    (again,) = ingest(s3_settings, validate)
    assert again.status == "duplicate"
    (replayed,) = ingest(s3_settings, validate, [str(copy)], replay=True)
    assert replayed.status == "loaded" and replayed.rows == 4 and replayed.file == url
    (once_more,) = ingest(s3_settings, validate, [url], replay=True)
    assert once_more.status == "duplicate"
    assert query(s3_settings, "select count(*) from raw.interactions") == [(4,)]


def test_status_lists_s3_files_pending_and_processed(bucket, s3_settings, validate):
    bucket.put("landing/acme_mx/interactions/done.csv", interactions(2))
    ingest(s3_settings, validate)
    bucket.put("landing/acme_mx/interactions/new.csv", interactions(3, start=50))
    entries = {e["name"]: e for e in file_statuses(s3_settings.warehouse, s3_settings.landing)}
    assert {n: e["status"] for n, e in entries.items()} == {"done.csv": "loaded", "new.csv": "pending"}
    assert entries["new.csv"]["file"] == f"{bucket.url()}/acme_mx/interactions/new.csv"
    out = CliRunner().invoke(app, ["status", "--warehouse", str(s3_settings.warehouse), "--landing",
                                   bucket.url(), "--json"])
    assert out.exit_code == 0, out.output
    assert '"status": "pending"' in out.output and "new.csv" in out.output


def test_a_bucket_that_refuses_access_is_one_clear_error_and_nothing_is_lost(bucket, s3_settings, aws_env):
    body = interactions(3)
    bucket.put("landing/acme_mx/interactions/day1.csv", body)
    args = ["--landing", bucket.url(), "--contracts", str(s3_settings.contracts),
            "--warehouse", str(s3_settings.warehouse)]
    # from here on the server checks every request's credentials: ours belong to no known user
    requests.post(f"{aws_env}/moto-api/reset-auth", data=b"0").raise_for_status()
    try:
        ran = CliRunner().invoke(app, ["run", *args])
        status = CliRunner().invoke(app, ["status", "--warehouse", str(s3_settings.warehouse),
                                          "--landing", bucket.url()])
    finally:
        requests.post(f"{aws_env}/moto-api/reset-auth", data=b"inf").raise_for_status()
    for result in (ran, status):
        assert result.exit_code == 2, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "access denied" in errors[0] and bucket.url() in errors[0]
        assert "Traceback" not in result.output
    assert not Path(s3_settings.warehouse).exists() or query(
        s3_settings, "select count(*) from raw.load_manifest") == [(0,)]
    assert bucket.get("landing/acme_mx/interactions/day1.csv") == body


def test_a_missing_bucket_is_refused_in_one_line(aws_env, tmp_path):
    write_contract(tmp_path / "contracts", "acme_mx")
    result = CliRunner().invoke(app, ["run", "--landing", "s3://bpo-no-such-bucket/landing", "--contracts",
                                      str(tmp_path / "contracts"), "--warehouse", str(tmp_path / "wh.duckdb")])
    assert result.exit_code == 2
    assert "bucket 'bpo-no-such-bucket' does not exist" in result.output


@pytest.mark.slow
def test_bpo_run_on_s3_gives_the_same_marts_as_the_same_files_in_a_local_folder(bucket, tmp_path,
                                                                               evidence_warehouse):
    import subprocess

    from tests.robustness.helpers import assert_same_tables, table_rows
    from tests.warehouses import BPO

    # the local run: the session's shared evidence warehouse (tests/conftest.py), read only
    landing, contracts = evidence_warehouse.landing, evidence_warehouse.contracts
    files = sorted(p for p in landing.rglob("*") if p.is_file())
    for path in files:
        bucket.put(f"landing/{path.relative_to(landing).as_posix()}", path.read_bytes())

    def run(where: str, warehouse: Path) -> subprocess.CompletedProcess:
        # a separate process: the AWS settings reach it through the environment only
        done = subprocess.run([BPO, "run", "--landing", where, "--contracts", str(contracts),
                               "--warehouse", str(warehouse)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done

    local_wh, s3_wh = evidence_warehouse.warehouse, tmp_path / "s3" / "warehouse.duckdb"
    first = run(bucket.url(), s3_wh)
    assert f"committed {len(files)} file(s)" in first.stdout
    manifest = "select status, count(*) from raw.load_manifest group by all"
    for wh in (local_wh, s3_wh):
        assert query(Settings(warehouse=wh), manifest) == [("loaded", len(files))]
    # every mart row by row, without the columns that say when or where a file was loaded (loaded_at)
    local_marts, s3_marts = table_rows(local_wh, "marts"), table_rows(s3_wh, "marts")
    assert len(local_marts) >= 10 and sum(bool(rows) for _, rows in local_marts.values()) >= 8
    assert_same_tables(s3_marts, local_marts, "marts")
    # exactly once: the same run again loads nothing
    again = run(bucket.url(), s3_wh)
    assert "committed 0 file(s)" in again.stdout
    assert query(Settings(warehouse=s3_wh), manifest) == [("loaded", len(files))]
    raw_counts = "select count(*) from raw.interactions"
    assert query(Settings(warehouse=s3_wh), raw_counts) == query(Settings(warehouse=local_wh), raw_counts)


def test_the_sensor_requests_each_new_s3_object_once(bucket, s3_settings, validate):
    import dagster as dg

    from orchestration.definitions import build_definitions

    bucket.put("landing/acme_mx/interactions/a.csv", interactions(2))
    bucket.put("landing/acme_mx/interactions/b.csv.part", interactions(2))  # still uploading: not taken
    defs = build_definitions(s3_settings)
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    url = f"{bucket.url()}/acme_mx/interactions/a.csv"
    with dg.DagsterInstance.ephemeral() as instance:
        with dg.build_sensor_context(resources=defs.resources, instance=instance) as context:
            (request,) = sensor(context)
            cursor = context.cursor
        assert request.run_config["ops"]["landed_files"]["config"]["paths"] == [url]
        assert request.tags["bpo/file"] == "acme_mx/interactions/a.csv"
        (loaded,) = ingest(s3_settings, validate, [url])  # what the requested run does
        assert loaded.status == "loaded"
        with dg.build_sensor_context(resources=defs.resources, instance=instance, cursor=cursor) as context:
            again = sensor(context)  # the object is recorded and nothing new landed: no request
        assert isinstance(again, dg.SkipReason)


@pytest.mark.slow
def test_bpo_replay_of_a_quarantined_s3_object(bucket, s3_settings, validate):
    bucket.put("landing/newco_ph/interactions/first.csv", interactions(3))
    (result,) = ingest(s3_settings, validate)
    assert result.status == "quarantined"
    copy = s3_settings.quarantine_dir / "newco_ph" / "interactions" / "first.csv"
    write_contract(s3_settings.contracts, "newco_ph", timezone="Asia/Manila", currency="PHP")
    url = f"{bucket.url()}/newco_ph/interactions/first.csv"
    replayed = CliRunner().invoke(app, ["replay", url, "--landing", bucket.url(), "--contracts",
                                        str(s3_settings.contracts), "--warehouse", str(s3_settings.warehouse)])
    assert replayed.exit_code == 0, replayed.output
    assert "committed 1 file(s) (3 rows)" in replayed.output
    assert not copy.exists() and not copy.with_name("first.csv.reason.txt").exists()  # nothing left to replay
    assert query(s3_settings, "select status from raw.load_manifest order by processed_at") == [
        ("quarantined",), ("loaded",)]
