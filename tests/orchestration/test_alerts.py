"""Alerts (serving/alerts.py) and the Dagster alert sensor, delivered to a local HTTP server."""

from __future__ import annotations

import json
import sys
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import duckdb
import pytest

from orchestration.assets import contracts
from orchestration.definitions import build_definitions
from orchestration.instance import open_instance
from orchestration.resources import WarehouseResource
from serving.alerts import AlertDeliveryError, send_run_alerts
from tests.conftest import land
from tests.orchestration.test_asset_checks import materialize_ingestion
from tests.robustness.corpus import interactions


class Receiver:
    """A webhook on 127.0.0.1 (a free port) that records what it is sent."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"path": self.path, "content_type": self.headers["Content-Type"],
                                          "json": json.loads(body)})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/SECRET-TOKEN"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(monkeypatch):
    receiver = Receiver()
    monkeypatch.setenv("BPO_ALERT_WEBHOOK", receiver.url)
    monkeypatch.delenv("BPO_ALERT_COMMAND", raising=False)
    yield receiver
    receiver.close()


SLA_TABLE = """
    create schema marts;
    create table marts.sla_compliance (vendor_id varchar, period_month date, version_id varchar, sla_line integer,
        metric varchar, channel varchar, queue varchar, target decimal(18,4), actual double, met boolean,
        sample_size bigint, credit_due_amount decimal(18,4), currency varchar);
"""
MISSED_JAN = ("acme_mx", date(2026, 1, 1), "acme_mx@2026-01-01", 1, "service_level", "voice", None,
              Decimal("0.8000"), 0.75, False, 400, Decimal("360.0000"), "MXN")


def publish_sla_rows(path, *rows):
    """A published copy holding only marts.sla_compliance (what the alerts read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        if not con.execute("select count(*) from duckdb_tables() where table_name = 'sla_compliance'").fetchone()[0]:
            con.execute(SLA_TABLE)
        con.executemany("insert into marts.sla_compliance values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    finally:
        con.close()


RESULTS = [
    {"file": "/landing/acme_mx/surveys/bad.csv", "vendor_id": "acme_mx", "feed": "surveys", "status": "quarantined",
     "rows": 0, "reason": "missing columns: interaction_id, responded_at", "quarantine_path": "/q/bad.csv"},
    {"file": "/landing/acme_mx/interactions/good.csv", "vendor_id": "acme_mx", "feed": "interactions",
     "status": "loaded", "rows": 3, "reason": None},
    {"file": "/landing/acme_mx/interactions/again.csv", "vendor_id": "acme_mx", "feed": "interactions",
     "status": "duplicate", "rows": 0, "reason": "same bytes already loaded"},
]


def test_bpo_run_alerts_quarantines_and_only_new_missed_slas(settings, webhook):
    published = settings.published_path
    publish_sla_rows(published, MISSED_JAN,
                     ("acme_mx", date(2026, 1, 1), "acme_mx@2026-01-01", 2, "asa_seconds", "voice", None,
                      Decimal("30.0000"), 12.5, True, 380, Decimal("0.0000"), "MXN"),  # met
                     ("acme_mx", date(2026, 1, 1), "acme_mx@2026-01-01", 3, "csat_top2box", None, None,
                      Decimal("0.9000"), None, None, 0, Decimal("0.0000"), "MXN"))  # no sample: not missed

    sent = send_run_alerts(settings, RESULTS, published)

    (got,) = webhook.received
    assert got["path"] == "/hooks/SECRET-TOKEN" and got["content_type"] == "application/json"
    assert got["json"] == sent
    body = got["json"]
    assert body["source"] == "bpo run"
    assert body["summary"] == "1 file quarantined or failed, 1 new missed SLA"
    assert body["files"] == [{"file": "/landing/acme_mx/surveys/bad.csv", "vendor_id": "acme_mx", "feed": "surveys",
                              "status": "quarantined", "reason": "missing columns: interaction_id, responded_at",
                              "quarantine_path": "/q/bad.csv"}]
    assert body["failed_checks"] == []
    # money as an exact string, never a float
    assert body["missed_slas"] == [{"vendor_id": "acme_mx", "period_month": "2026-01-01",
                                    "version_id": "acme_mx@2026-01-01", "sla_line": 1, "metric": "service_level",
                                    "channel": "voice", "queue": None, "target": "0.8000", "actual": 0.75,
                                    "sample_size": 400, "credit_due_amount": "360.0000", "currency": "MXN"}]
    assert "bad.csv: missing columns" in body["text"]
    assert "acme_mx 2026-01-01 line 1 service_level voice: actual 0.75, target 0.8000" in body["text"]

    # the same missed SLA is not alerted twice; nothing else to say: nothing is sent
    assert send_run_alerts(settings, [], published) is None
    assert len(webhook.received) == 1
    # a missed SLA new in the published copy is, alone
    publish_sla_rows(published, ("acme_mx", date(2026, 2, 1), "acme_mx@2026-01-01", 1, "service_level", "voice",
                                 None, Decimal("0.8000"), 0.70, False, 410, Decimal("372.0000"), "MXN"))
    send_run_alerts(settings, [], published)
    assert [(s["period_month"], s["sla_line"]) for s in webhook.received[-1]["json"]["missed_slas"]] == [
        ("2026-02-01", 1)]


def test_an_undelivered_alert_is_one_line_without_the_webhook_token_and_is_sent_again(settings, webhook):
    publish_sla_rows(settings.published_path, MISSED_JAN)
    webhook.status = 500
    with pytest.raises(AlertDeliveryError) as caught:
        send_run_alerts(settings, [], settings.published_path)
    message = str(caught.value)
    assert "HTTP 500" in message and "\n" not in message and "SECRET-TOKEN" not in message
    webhook.status = 200
    send_run_alerts(settings, [], settings.published_path)  # not remembered as alerted: sent again
    assert [len(r["json"]["missed_slas"]) for r in webhook.received] == [1, 1]


def test_the_alert_command_reads_the_payload_on_stdin(settings, tmp_path, monkeypatch):
    out = tmp_path / "alert.json"
    monkeypatch.delenv("BPO_ALERT_WEBHOOK", raising=False)
    monkeypatch.setenv("BPO_ALERT_COMMAND",
                       f"'{sys.executable}' -c 'import sys; open(sys.argv[1], \"wb\").write(sys.stdin.buffer.read())'"
                       f" '{out}'")
    sent = send_run_alerts(settings, RESULTS, None)  # the run published nothing: no SLA part
    assert json.loads(out.read_text()) == sent
    assert sent["summary"] == "1 file quarantined or failed" and sent["missed_slas"] == []


def test_nothing_is_sent_without_a_configured_target(settings, monkeypatch):
    monkeypatch.delenv("BPO_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("BPO_ALERT_COMMAND", raising=False)
    assert send_run_alerts(settings, RESULTS, None) is None


def test_the_alert_sensor_posts_the_quarantines_of_a_finished_run(settings, webhook):
    """A run of the pipeline (here its ingestion steps) quarantines a file; the run-status sensor
    posts it, with the reason, once (its failed Great Expectations check is that same file)."""
    land(settings, "acme_mx", "interactions", "good.csv", interactions(3))
    bad = land(settings, "acme_mx", "surveys", "bad.csv", "survey_id\ns1\n")
    with open_instance(settings.warehouse) as instance:
        result = materialize_ingestion(settings, instance)
        (reason,) = [e.metadata["reason"].value for e in result.get_asset_check_evaluations() if not e.passed]
        run = instance.get_run_by_id(result.run_id)
        (success,) = [r.event_log_entry.dagster_event for r in instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS).records]
        defs = build_definitions(settings)
        sensor = defs.resolve_sensor_def("alert_after_success")
        context = dg.build_run_status_sensor_context(sensor_name=sensor.name, dagster_event=success,
                                                     dagster_instance=instance, dagster_run=run,
                                                     resources=defs.resources)
        sensor(context)
    (got,) = webhook.received
    body = got["json"]
    assert body["source"] == "dagster" and body["run_id"] == result.run_id
    assert [(f["file"], f"bad.csv: {f['reason']}") for f in body["files"]] == [(str(bad), reason)]
    assert body["failed_checks"] == []  # the failed GX check is the quarantined file, reported once
    assert body["missed_slas"] == []  # nothing published yet


def test_the_failure_sensor_alerts_a_failed_run(settings, webhook):
    (settings.contracts / "acme_mx.yaml").write_text("vendor_id: acme_mx\nversions: not a list\n")
    with open_instance(settings.warehouse) as instance:
        result = dg.materialize([contracts], instance=instance, raise_on_error=False,
                                resources={"warehouse": WarehouseResource.from_settings(settings)})
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        (failure,) = [r.event_log_entry.dagster_event for r in instance.get_records_for_run(
            result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records]
        defs = build_definitions(settings)
        sensor = defs.resolve_sensor_def("alert_after_failure")
        sensor(dg.build_run_status_sensor_context(sensor_name=sensor.name, dagster_event=failure,
                                                  dagster_instance=instance, dagster_run=run,
                                                  resources=defs.resources).for_run_failure())
    (got,) = webhook.received
    body = got["json"]
    assert body["summary"] == "1 failed run" and body["run_id"] == result.run_id
    assert body["run_error"] == failure.message.strip().splitlines()[0]
    assert "contracts" in body["run_error"]  # the failed step is named
