"""The raw layer as Parquet (serving/export_parquet.py): one folder per raw table, types kept, replaced whole."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from serving.export_parquet import export_raw_parquet


def _warehouse(path, amount: str) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute("create table raw.invoice_lines (line_id varchar, amount decimal(18,4), loaded_at timestamptz)")
    con.execute("insert into raw.invoice_lines values ('L001', ?::decimal(18,4), '2026-01-31 23:30:00+00')", [amount])
    con.execute("create table raw.fx_rates (currency varchar, rate_to_reporting decimal(18,8))")
    con.execute("create schema marts")
    con.execute("create table marts.not_raw (x int)")
    con.close()


def test_each_raw_table_is_a_folder_with_its_rows_and_types(tmp_path):
    _warehouse(tmp_path / "wh.duckdb", "12.3450")
    tables = export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    assert tables == ["fx_rates", "invoice_lines"]
    assert sorted(p.name for p in (tmp_path / "raw_parquet").iterdir()) == ["fx_rates", "invoice_lines"]
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    lines = str(tmp_path / "raw_parquet" / "invoice_lines" / "data.parquet")
    types = dict(con.execute("select column_name, column_type from (describe select * from read_parquet(?))",
                             [lines]).fetchall())
    assert types == {"line_id": "VARCHAR", "amount": "DECIMAL(18,4)", "loaded_at": "TIMESTAMP WITH TIME ZONE"}
    (amount, hour) = con.execute("select amount, hour(loaded_at) from read_parquet(?)", [lines]).fetchone()
    assert amount == Decimal("12.3450") and hour == 23
    fx = str(tmp_path / "raw_parquet" / "fx_rates" / "data.parquet")
    assert con.execute("select count(*) from read_parquet(?)", [fx]).fetchone() == (0,)


def test_a_new_export_replaces_the_folder_and_clears_what_a_killed_one_left(tmp_path):
    _warehouse(tmp_path / "wh.duckdb", "1")
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    (tmp_path / "raw_parquet" / "dropped_table").mkdir()  # a table the next warehouse no longer has
    (tmp_path / ".raw_parquet.dead.tmp").mkdir()  # a killed export's scratch
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("update raw.invoice_lines set amount = 2")
    con.close()
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw_parquet", "wh.duckdb"]
    assert sorted(p.name for p in (tmp_path / "raw_parquet").iterdir()) == ["fx_rates", "invoice_lines"]
    lines = str(tmp_path / "raw_parquet" / "invoice_lines" / "data.parquet")
    assert duckdb.connect().execute("select amount from read_parquet(?)", [lines]).fetchone() == (Decimal("2"),)


def _feed_warehouse(path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute("create table raw.interactions (interaction_id varchar, wrap_seconds integer, _load_id varchar)")
    con.execute("insert into raw.interactions values ('i1', 10, 'a'), ('i2', 20, 'a'), ('i3', 30, 'b')")
    con.execute("create table raw.surveys (survey_id varchar, _load_id varchar)")  # a feed with nothing loaded
    return con


def _files(folder):
    return {p.name: p.stat().st_ino for p in folder.iterdir() if not p.name.startswith("_")}


def _rows(folder):
    return sorted(duckdb.connect().execute(
        "select interaction_id, wrap_seconds, _load_id from read_parquet(?)", [str(folder / "*.parquet")]).fetchall())


def test_a_feed_table_is_one_file_per_load_and_only_new_loads_are_written(tmp_path):
    con = _feed_warehouse(tmp_path / "wh.duckdb")
    con.close()
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    first = _files(tmp_path / "raw_parquet" / "interactions")
    assert sorted(first) == ["load-a.parquet", "load-b.parquet"]
    # a feed with no rows yet still has a file: readers (Spark) learn its columns from it
    empty = str(tmp_path / "raw_parquet" / "surveys" / "data.parquet")
    assert duckdb.connect().execute("select count(*) from read_parquet(?)", [empty]).fetchone() == (0,)

    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("insert into raw.interactions values ('i1', 11, 'c')")  # an update by id is a new load
    con.close()
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    second = _files(tmp_path / "raw_parquet" / "interactions")
    assert sorted(second) == ["load-a.parquet", "load-b.parquet", "load-c.parquet"]
    # the loads exported before are the same files (hard links), not written again
    assert second["load-a.parquet"] == first["load-a.parquet"] and second["load-b.parquet"] == first["load-b.parquet"]
    assert _rows(tmp_path / "raw_parquet" / "interactions") == [
        ("i1", 10, "a"), ("i1", 11, "c"), ("i2", 20, "a"), ("i3", 30, "b")]


def test_a_changed_table_or_load_is_written_again(tmp_path):
    _feed_warehouse(tmp_path / "wh.duckdb").close()
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    first = _files(tmp_path / "raw_parquet" / "interactions")

    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("delete from raw.interactions where interaction_id = 'i2'")  # load a now has other rows
    con.close()
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    second = _files(tmp_path / "raw_parquet" / "interactions")
    assert second["load-a.parquet"] != first["load-a.parquet"] and second["load-b.parquet"] == first["load-b.parquet"]
    assert _rows(tmp_path / "raw_parquet" / "interactions") == [("i1", 10, "a"), ("i3", 30, "b")]

    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    con.execute("alter table raw.interactions alter wrap_seconds type bigint")  # a migration: all loads again
    con.close()
    export_raw_parquet(tmp_path / "wh.duckdb", tmp_path / "raw_parquet")
    third = _files(tmp_path / "raw_parquet" / "interactions")
    assert not set(third.values()) & set(second.values())
    folder = str(tmp_path / "raw_parquet" / "interactions" / "*.parquet")
    assert duckdb.connect().execute("select distinct typeof(wrap_seconds) from read_parquet(?)",
                                    [folder]).fetchall() == [("BIGINT",)]
