"""What a build selects (transform/dbt_selection.py) and when it may select (transform/run_inputs.py
`input_parts` / `changed_raw_tables`), on hand-made manifests and warehouses."""

from __future__ import annotations

import duckdb

from transform.dbt_selection import selection_for
from transform.run_inputs import CODE_PART, changed_raw_tables, input_parts, mark_building, mark_published


def _node(kind: str, name: str, parents: list[str], tags: list[str] = (), code: str = "select 1") -> tuple[str, dict]:
    return f"{kind}.p.{name}", {"resource_type": kind, "name": name, "tags": list(tags), "raw_code": code,
                                "depends_on": {"nodes": parents}}


def _manifest() -> dict:
    """raw.interactions → stg_interactions → int_facts (scoped) → sla (mart); raw.fx_rates → stg_fx → money;
    int_scope (build_scope) reads stg_load_manifest; disputes reads now(); a test on each of stg_fx and sla,
    one on both int_facts and money (a relationship)."""
    src = {f"source.p.raw.{t}": {"source_name": "raw", "name": t} for t in ("interactions", "fx_rates", "load_manifest")}
    nodes = dict([
        _node("model", "stg_load_manifest", ["source.p.raw.load_manifest"]),
        _node("model", "stg_interactions", ["source.p.raw.interactions", "source.p.raw.load_manifest"]),
        _node("model", "int_scope", ["model.p.stg_load_manifest", "model.p.stg_interactions"], ["build_scope"]),
        _node("model", "int_facts", ["model.p.stg_interactions", "model.p.int_scope"], ["scoped"]),
        _node("model", "sla", ["model.p.int_facts"]),
        _node("model", "stg_fx", ["source.p.raw.fx_rates", "source.p.raw.load_manifest"]),
        _node("model", "money", ["model.p.stg_fx"]),
        _node("model", "disputes", [], code="select cast(now() as date) as as_of"),
        _node("test", "not_null_stg_fx", ["model.p.stg_fx"]),
        _node("test", "not_null_sla", ["model.p.sla"]),
        _node("test", "facts_vs_money", ["model.p.int_facts", "model.p.money"]),
    ])
    return {"nodes": nodes, "sources": src}


def test_one_changed_feed_selects_what_it_reaches_its_scope_models_the_clock_and_the_gate():
    s = selection_for(_manifest(), ["interactions"])
    assert s.select == ("source:raw.interactions+", "tag:build_scope", "disputes", "stg_load_manifest")
    assert s.models == {"model.p.stg_interactions", "model.p.int_scope", "model.p.int_facts", "model.p.sla",
                        "model.p.disputes", "model.p.stg_load_manifest"}
    # eager: a test of any selected model (the relationship test too, though `money` stays as it was)
    assert s.tests == {"test.p.not_null_sla", "test.p.facts_vs_money"}


def test_a_feed_without_scoped_models_leaves_the_build_scope_out():
    s = selection_for(_manifest(), ["fx_rates"])
    assert s.select == ("source:raw.fx_rates+", "disputes", "stg_load_manifest")
    assert s.models == {"model.p.stg_fx", "model.p.money", "model.p.disputes", "model.p.stg_load_manifest"}
    assert s.tests == {"test.p.not_null_stg_fx", "test.p.facts_vs_money"}


def test_nothing_changed_in_the_data_selects_the_clock_and_the_gate_only():
    s = selection_for(_manifest(), [])
    assert s.select == ("disputes", "stg_load_manifest")
    assert s.tests == frozenset()


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.load_manifest (load_id varchar, feed varchar, status varchar)")
    con.execute("create table raw.interactions (_load_id varchar)")
    con.execute("create table raw.invoice_lines (_load_id varchar)")
    con.execute("create table raw.contract_sla (vendor_id varchar, target decimal(18,6))")
    con.execute("insert into raw.load_manifest values ('L1', 'interactions', 'loaded'), ('L2', 'invoices', 'loaded')")
    con.execute("insert into raw.contract_sla values ('acme_mx', 0.8)")
    return con


def _published(con, parts) -> None:
    mark_building(con, "fingerprint", parts)
    mark_published(con, "build-1")


def test_the_changed_tables_are_those_whose_loads_or_rows_changed_since_the_published_build():
    con = _warehouse()
    before = input_parts(con, "USD|wh")
    assert changed_raw_tables(con, before) is None  # no build on record: everything
    _published(con, before)
    assert changed_raw_tables(con, input_parts(con, "USD|wh")) == []
    # a quarantined file adds a manifest row but no rows; an invoice file (table invoice_lines) adds rows
    con.execute("insert into raw.load_manifest values ('L3', 'interactions', 'quarantined'), "
                "('L4', 'invoices', 'loaded')")
    assert changed_raw_tables(con, input_parts(con, "USD|wh")) == ["invoice_lines"]
    con.execute("update raw.contract_sla set target = 0.85")  # a contract change (replaced at each run)
    assert changed_raw_tables(con, input_parts(con, "USD|wh")) == ["contract_sla", "invoice_lines"]


def test_other_code_or_an_unfinished_build_selects_everything():
    con = _warehouse()
    parts = input_parts(con, "USD|wh")
    _published(con, parts)
    assert changed_raw_tables(con, {**parts, CODE_PART: "other"}) is None
    assert changed_raw_tables(con, input_parts(con, "EUR|wh")) is None  # other vars
    mark_building(con, "fingerprint", parts)  # a build that never published
    assert changed_raw_tables(con, parts) is None
