"""Descriptions reach BI tools: the published copy keeps the warehouse's DuckDB comments (dbt persist_docs)."""

from __future__ import annotations

import duckdb

from serving.publish import BUILD_ID_COMMENT, publish_marts


def test_published_copy_keeps_table_and_column_comments(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts")
    con.execute("create table marts.costs(vendor_id varchar, amount decimal(18, 2))")
    con.execute("comment on table marts.costs is 'Cost per vendor (the vendor''s invoices)'")
    con.execute("comment on column marts.costs.vendor_id is 'Vendor'")
    con.execute("comment on column marts.costs.amount is 'Amount in the invoice currency'")
    con.close()

    publish_marts(warehouse, tmp_path / "published.duckdb", build_id="b1")

    con = duckdb.connect(str(tmp_path / "published.duckdb"), read_only=True)
    assert con.execute("select comment from duckdb_tables() where schema_name = 'marts' and table_name = 'costs'"
                       ).fetchone()[0] == "Cost per vendor (the vendor's invoices)"
    columns = dict(con.execute("select column_name, comment from duckdb_columns() where schema_name = 'marts' "
                               "and table_name = 'costs'").fetchall())
    assert columns == {"vendor_id": "Vendor", "amount": "Amount in the invoice currency",
                       "build_id": BUILD_ID_COMMENT}
    con.close()
