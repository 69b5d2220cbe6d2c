"""A warehouse built with hex-text customer keys, converted in place (ingestion/warehouse.py
`migrate_customer_keys`), builds the same marts, and a contact loaded afterwards (keyed by today's
ingestion, ingestion/pii.py) is matched with the same customer's contacts from before.

One vendor (America/Sao_Paulo, UTC-3 all year), FCR window 7 days, queue q1; the scenario of
test_sla_compliance's fcr_br, keys written as the old ingestion wrote them (sha256 hex of salt, 0x1f,
value) in VARCHAR columns:
  f1 28 Mar (resolved) and f2 2 Apr (abandoned), customer CUST-1: f1 not FCR (repeat within 5 days);
  f3 10 Mar and f4 20 Mar, CUST-2: 10 days apart, both FCR;
  f5 12 Mar (q1) and f6 13 Mar (q2), CUST-3: other queue, both FCR;
  f7 / f8 14 Mar without customer_ref: disposition decides (not resolved / resolved).
March, all queues: 7 answered (f1 f3 f4 f5 f6 f7 f8), FCR f3 f4 f5 f6 f8 = 5 of 7.
After the conversion a new file brings f12, CUST-2 on 25 Mar in q1: f4 now has a repeat 5 days later
(not FCR), f12 has none (FCR): 5 of 8 (f3 f5 f6 f8 f12).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from ingestion.pii import salted_key
from ingestion.warehouse import connect
from tests.dbt.harness import create_raw, dbt_build, query

SALT = "s3cret"
SAO = ZoneInfo("America/Sao_Paulo")
VERSION = "fcr_br@2026-01-01"
SELECT = ("--select", "+sla_compliance")
KEY_COLUMNS = {"interactions": ("customer_ref_hash", "customer_phone_hash", "customer_email_hash"),
               "self_service": ("customer_ref_hash",)}


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day} 10:00").replace(tzinfo=SAO).astimezone(timezone.utc)


def contact(iid: str, day: str, *, answered=True, queue="q1", customer: str | None = None, **extra) -> dict:
    arrived = at(day)
    row = dict(vendor_id="fcr_br", interaction_id=iid, channel="voice", queue=queue, arrived_at=arrived,
               ended_at=arrived + timedelta(seconds=105), customer=customer, **extra)
    if answered:
        row.update(answered_at=arrived + timedelta(seconds=5), talk_seconds=100, agent_id="ag1")
    return row


CONTACTS = [
    contact("f1", "2026-03-28", customer="CUST-1", resolved=True),
    contact("f2", "2026-04-02", answered=False, customer="CUST-1"),
    contact("f3", "2026-03-10", customer="CUST-2"),
    contact("f4", "2026-03-20", customer="CUST-2"),
    contact("f5", "2026-03-12", customer="CUST-3"),
    contact("f6", "2026-03-13", queue="q2", customer="CUST-3"),
    contact("f7", "2026-03-14", resolved=False),
    contact("f8", "2026-03-14", resolved=True),
]


def old_key(value: str | None) -> str | None:
    """The key as ingestion wrote it before: the whole salted sha256, as 64 hex digits."""
    return None if value is None else hashlib.sha256(f"{SALT}\x1f{value}".encode()).hexdigest()


def old_warehouse(path) -> None:
    create_raw(path, {
        "contracts": [dict(vendor_id="fcr_br", name="FCR", kind="outsourcer", timezone="America/Sao_Paulo",
                           currency="BRL")],
        "contract_versions": [dict(vendor_id="fcr_br", version_id=VERSION, effective_from=date(2026, 1, 1),
                                   tolerance_quantity_pct=0.02, tolerance_amount_abs=1)],
        "contract_sla": [dict(vendor_id="fcr_br", version_id=VERSION, sla_line=1, metric="fcr_rate", target=0.5,
                              credit_pct=0.01, repeat_window_days=7)],
    })
    con = duckdb.connect(str(path))
    for table, columns in KEY_COLUMNS.items():
        for column in columns:
            con.execute(f"alter table raw.{table} alter column {column} set data type varchar")
    con.close()
    rows = []
    for c in CONTACTS:
        row = {k: v for k, v in c.items() if k != "customer"}
        rows.append({**row, "customer_ref_hash": old_key(c["customer"]), "customer_phone_hash": old_key(c["customer"])})
    sessions = [dict(vendor_id="fcr_br", session_id="s1", channel="ivr", started_at=at("2026-03-09"),
                     ended_at=at("2026-03-09"), outcome="transferred", customer_ref_hash=old_key("CUST-2"))]
    create_raw(path, {"interactions": rows, "self_service": sessions})


def march(con) -> tuple:
    (r,) = query(con, "select sample_size, actual, fcr_repeat_basis_contacts, fcr_disposition_basis_contacts "
                      "from marts.sla_compliance where vendor_id = 'fcr_br' and period_month = ?", [date(2026, 3, 1)])
    return r["sample_size"], r["actual"], r["fcr_repeat_basis_contacts"], r["fcr_disposition_basis_contacts"]


def facts(con) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "select interaction_id, customer_ref_hash, next_contact_arrived_at from intermediate.int_interaction_facts"
    ).fetchall()}


def marts(con) -> dict[str, list]:
    return {t: sorted(con.execute(f'select * from marts."{t}"').fetchall(), key=repr)
            for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}


def test_an_old_warehouse_is_converted_and_its_marts_are_unchanged(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    old_warehouse(path)
    dbt_build(path, *SELECT)
    with duckdb.connect(str(path), read_only=True) as con:
        before_marts, before_facts = marts(con), facts(con)
        assert march(con) == (7, pytest.approx(5 / 7), 5, 2)
    assert before_facts["f1"][1] == at("2026-04-02") and before_facts["f4"][1] is None  # f4: f3 is earlier
    assert len(before_facts["f1"][0]) == 64  # hex text

    with connect(path) as con:  # opening it for writing converts the keys
        keys = {t: [r[0] for r in con.execute(f"select distinct typeof(customer_ref_hash) from {t}").fetchall()]
                for t in ("raw.interactions", "raw.self_service", "intermediate.int_interaction_facts")}
    assert keys == {t: ["BLOB"] for t in keys}
    dbt_build(path, *SELECT)  # nothing new: the kept (converted) rows stay
    with duckdb.connect(str(path), read_only=True) as con:
        assert marts(con) == before_marts
        converted = facts(con)
        # today's key for each customer: the old hex key's first 16 bytes
        new = dict(zip(["CUST-1", "CUST-2", "CUST-3"],
                       salted_key(pl.Series(["CUST-1", "CUST-2", "CUST-3"]), SALT).to_list()))
        assert converted == {i: (None if c["customer"] is None else new[c["customer"]], before_facts[i][1])
                             for i, c in ((c["interaction_id"], c) for c in CONTACTS)}
        # the session joins the customer's contacts on the key
        assert con.execute("select list(i.interaction_id order by i.interaction_id) from raw.self_service as s "
                           "join raw.interactions as i using (customer_ref_hash)").fetchone() == (["f3", "f4"],)

    # a file loaded after the conversion: f12, CUST-2 again, keyed as ingestion keys it now
    with connect(path) as con:
        con.execute("insert into raw.load_manifest (load_id, file_path, file_name, sha256, vendor_id, feed, rows, "
                    "status, processed_at) values ('load_new', '/landing/new', 'new.csv', 'new', 'fcr_br', "
                    "'interactions', 1, 'loaded', ?)", [datetime(2026, 6, 2, tzinfo=timezone.utc)])
        f12 = {k: v for k, v in contact("f12", "2026-03-25").items() if k != "customer"}
        f12.update(customer_ref_hash=new["CUST-2"], _load_id="load_new", _row_number=1,
                   _loaded_at=datetime(2026, 6, 2, tzinfo=timezone.utc))
        con.execute(f"insert into raw.interactions ({', '.join(f12)}) values ({', '.join('?' for _ in f12)})",
                    list(f12.values()))
    dbt_build(path, *SELECT)  # incremental: the new contact is joined with the converted kept rows
    with duckdb.connect(str(path), read_only=True) as con:
        incremental = march(con), facts(con)
    assert incremental[0] == (8, pytest.approx(5 / 8), 6, 2)
    assert incremental[1]["f4"][1] == at("2026-03-25") and incremental[1]["f12"][1] is None
    dbt_build(path, *SELECT, "--full-refresh")
    with duckdb.connect(str(path), read_only=True) as con:
        assert (march(con), facts(con)) == incremental
