"""Alerts: what needs a person after a run, as one JSON payload sent to a webhook or a command.

Configured by the environment; with neither set, nothing is sent:
- ``BPO_ALERT_WEBHOOK``: a URL; the payload is POSTed as JSON (``Content-Type: application/json``).
  The payload has a ``text`` field, so a Slack or Teams incoming webhook shows it as it is.
- ``BPO_ALERT_COMMAND``: a shell command; the payload is written to its standard input.

An alert lists, for one run:
- ``run_error``: why the run failed, when it did (its files were still committed one by one);
- ``files``: landed files quarantined (a failed Great Expectations check is one of these) or
  failed, each with its vendor, feed and reason;
- ``failed_checks``: other failed asset checks (dbt tests), with their severity;
- ``missed_slas``: rows of ``marts.sla_compliance`` with ``met = false`` not alerted before,
  read from the published copy (never the warehouse a run may be writing). The SLA rows
  already alerted are remembered in ``<warehouse folder>/alerted_slas.json``.

Delivery is at least once: a failed delivery raises `AlertDeliveryError` and nothing is
remembered, so the Dagster sensor tries again at its next tick. Used by the Dagster alert
sensor (orchestration/sensors.py) and by `bpo run` (`send_run_alerts`).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WEBHOOK_ENV = "BPO_ALERT_WEBHOOK"
COMMAND_ENV = "BPO_ALERT_COMMAND"
GX_CHECK = "great_expectations"  # its failures are the quarantined files, reported once as files
ALERTED_SLAS_FILE = "alerted_slas.json"
ALERT_STATUSES = ("quarantined", "failed")
_SLA_FIELDS = ("vendor_id", "period_month", "version_id", "sla_line", "metric", "channel", "queue", "target",
               "actual", "sample_size", "credit_due_amount", "currency")


class AlertDeliveryError(RuntimeError):
    """The webhook or the command did not take the alert (one line, without the URL's secrets)."""


@dataclass(frozen=True)
class AlertTargets:
    webhook: str | None = None
    command: str | None = None
    timeout_seconds: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AlertTargets:
        env = os.environ if environ is None else environ
        return cls(webhook=(env.get(WEBHOOK_ENV) or "").strip() or None,
                   command=(env.get(COMMAND_ENV) or "").strip() or None)

    @property
    def configured(self) -> bool:
        return bool(self.webhook or self.command)


def file_alerts(results: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Quarantined or failed files of a run's ingest results (dicts of `IngestResult` fields)."""
    return [{"file": r.get("file"), "vendor_id": r.get("vendor_id"), "feed": r.get("feed"),
             "status": r.get("status"), "reason": r.get("reason"), "quarantine_path": r.get("quarantine_path")}
            for r in results if r.get("status") in ALERT_STATUSES]


def check_alerts(failed_checks: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Failed checks other than Great Expectations' (whose failures are the quarantined files)."""
    return [dict(c) for c in failed_checks if c.get("check") != GX_CHECK]


def missed_slas(published: Path) -> list[dict]:
    """Every missed SLA line (met = false) in the published copy; none without a published copy."""
    import duckdb

    if not Path(published).exists():
        return []
    con = duckdb.connect(str(published), read_only=True)
    try:
        try:
            cur = con.execute("select * from marts.sla_compliance where met = false "
                              "order by vendor_id, period_month, sla_line")
        except duckdb.CatalogException:  # published before this mart existed
            return []
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()
    return [{k: row.get(k) for k in _SLA_FIELDS} for row in rows]


def sla_key(row: Mapping[str, Any]) -> str:
    """One missed SLA line: vendor, contract month, contract version and line."""
    return f"{row['vendor_id']}|{_plain(row['period_month'])}|{row.get('version_id')}|{row['sla_line']}"


def alerted_slas_path(warehouse: Path) -> Path:
    return Path(warehouse).resolve().parent / ALERTED_SLAS_FILE


def _read_alerted(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text(encoding="utf-8")).get("missed_slas", []))
    except FileNotFoundError:
        return set()


def _remember_alerted(path: Path, keys: Iterable[str]) -> None:
    known = _read_alerted(path) | set(keys)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"missed_slas": sorted(known)}, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers never see half a file


def build_payload(*, source: str, files: list[dict], failed_checks: list[dict], slas: list[dict],
                  warehouse: Path | None = None, run_id: str | None = None,
                  run_error: str | None = None) -> dict | None:
    """The JSON document sent, or None when there is nothing to alert."""
    if not (files or failed_checks or slas or run_error):
        return None
    counts = [(1 if run_error else 0, "failed run", "failed runs"),
              (len(files), "file quarantined or failed", "files quarantined or failed"),
              (len(failed_checks), "failed check", "failed checks"),
              (len(slas), "new missed SLA", "new missed SLAs")]
    summary = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
    lines = [f"bpo-warehouse ({source}): {summary}"]
    lines += [f"- the run failed: {run_error}"] if run_error else []
    lines += [f"- {f['status']}: {f['vendor_id'] or '?'}/{f['feed'] or '?'} {Path(str(f['file'])).name}: {f['reason']}"
              for f in files]
    lines += [f"- check {c.get('asset')} {c.get('check')} failed ({c.get('severity')}): {c.get('description') or ''}"
              for c in failed_checks]
    lines += [f"- SLA missed: {s['vendor_id']} {_plain(s['period_month'])} line {s['sla_line']} {s['metric']}"
              f"{' ' + s['channel'] if s.get('channel') else ''}: actual {_plain(s['actual'])}, target "
              f"{_plain(s['target'])}" for s in slas]
    return _plain({
        "text": "\n".join(lines),
        "summary": summary,
        "source": source,
        "run_id": run_id,
        "warehouse": str(warehouse) if warehouse else None,
        "sent_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "run_error": run_error,
        "files": files,
        "failed_checks": failed_checks,
        "missed_slas": slas,
    })


def _plain(value: Any) -> Any:
    """JSON-ready: money and other decimals as strings (never floats), dates as ISO 8601."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def deliver(payload: dict, targets: AlertTargets) -> None:
    """POST the payload to the webhook and/or pipe it to the command; raise AlertDeliveryError."""
    body = json.dumps(payload).encode("utf-8")
    problems = []
    if targets.webhook:
        where = _safe_url(targets.webhook)
        request = urllib.request.Request(targets.webhook, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "bpo-warehouse-alerts"})
        try:
            with urllib.request.urlopen(request, timeout=targets.timeout_seconds) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            problems.append(f"the webhook {where} answered HTTP {exc.code}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problems.append(f"the webhook {where} could not be reached ({getattr(exc, 'reason', exc)})")
    if targets.command:
        try:
            proc = subprocess.run(targets.command, shell=True, input=body, capture_output=True,
                                  timeout=targets.timeout_seconds)
        except subprocess.TimeoutExpired:
            problems.append(f"the alert command ({COMMAND_ENV}) did not finish in {targets.timeout_seconds:g} s")
        else:
            if proc.returncode != 0:
                said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
                problems.append(f"the alert command ({COMMAND_ENV}) exited with {proc.returncode}"
                                + (f": {said[-1]}" if said else ""))
    if problems:
        raise AlertDeliveryError("alert not delivered: " + "; ".join(problems))


def _safe_url(url: str) -> str:
    """scheme://host[:port] only: a webhook's path often holds its secret token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else "(invalid URL)"


def send_alerts(*, source: str, warehouse: Path, published: Path | None, results: Iterable[Mapping[str, Any]] = (),
                failed_checks: Iterable[Mapping[str, Any]] = (), run_id: str | None = None,
                run_error: str | None = None, targets: AlertTargets | None = None) -> dict | None:
    """Alert what this run left for a person; return the payload sent, or None (nothing to say, or no target).

    published: the published copy to read missed SLAs from; None = skip SLAs (the run published nothing).
    Raises AlertDeliveryError when a target did not take it (the SLA rows are then not remembered).
    """
    targets = AlertTargets.from_env() if targets is None else targets
    if not targets.configured:
        return None
    state = alerted_slas_path(warehouse)
    already = _read_alerted(state)
    slas = [s for s in missed_slas(published) if sla_key(s) not in already] if published is not None else []
    payload = build_payload(source=source, files=file_alerts(results), failed_checks=check_alerts(failed_checks),
                            slas=slas, warehouse=warehouse, run_id=run_id, run_error=run_error)
    if payload is None:
        return None
    deliver(payload, targets)
    if slas:
        _remember_alerted(state, (sla_key(s) for s in slas))
    return payload


def send_run_alerts(settings, results: Iterable[Mapping[str, Any]], published_path: Path | None, *,
                    failed_checks: Iterable[Mapping[str, Any]] = (), run_error: str | None = None) -> dict | None:
    """What `bpo run` calls at its end: the same alerts as the Dagster sensor's, for this run.

    settings: the run's `Settings`; results: the ingest results `_execute` returned; published_path:
    the published copy when the run published, else None; run_error: one line when the run failed.
    Returns the payload sent, or None (nothing to alert, or no BPO_ALERT_WEBHOOK / BPO_ALERT_COMMAND).
    Raises AlertDeliveryError (one line) when the webhook or the command did not take it.
    """
    return send_alerts(source="bpo run", warehouse=settings.resolved().warehouse, published=published_path,
                       results=results, failed_checks=failed_checks, run_error=run_error)
