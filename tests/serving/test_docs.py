"""Docs where BI tools look: DuckDB comments on every mart table and column (warehouse and published
copy), the static dbt docs page beside the published copy, `bpo docs`, and a quiet `bpo run`.

A small generated data set goes through `bpo run` (the session's shared evidence warehouse, tests/conftest.py
`evidence_warehouse`, which these tests only read); the docs page is opened via file:// in headless
Chromium and must show a mart and one of its column descriptions. A screenshot is saved to
docs/screenshots/dbt-docs.png.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.browser import browser_page  # noqa: F401  (pytest fixture)
from tests.warehouses import BPO

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dbt-docs.png"


@pytest.fixture(scope="module")
def built(evidence_warehouse):
    """The session's shared evidence warehouse (tests/conftest.py), read only; its `bpo run` ran without
    BPO_LOG_LEVEL, as a user runs it (tests/warehouses.py)."""
    return {"warehouse": evidence_warehouse.warehouse, "published": evidence_warehouse.published,
            "run_stdout": evidence_warehouse.stdout}


@pytest.mark.slow
@pytest.mark.parametrize("copy", ["warehouse", "published"])
def test_every_mart_table_and_column_has_a_comment(built, copy):
    con = duckdb.connect(str(built[copy]), read_only=True)
    try:
        tables = con.execute("select table_name, comment from duckdb_tables() where schema_name = 'marts'").fetchall()
        uncommented = con.execute("select table_name || '.' || column_name from duckdb_columns() "
                                  "where schema_name = 'marts' and (comment is null or comment = '')").fetchall()
    finally:
        con.close()
    assert {"sla_compliance", "cost_to_serve", "unforeseen_costs"} <= {name for name, _ in tables}
    assert [name for name, comment in tables if not comment] == []
    assert uncommented == []


@pytest.mark.slow
def test_run_is_quiet_and_keeps_the_node_log(built):
    assert " START sql " not in built["run_stdout"]  # dbt's per-node lines
    log = built["warehouse"].parent / "dbt_logs" / "pipeline.log"
    assert "sla_compliance" in log.read_text()


@pytest.mark.slow
def test_docs_page_opens_offline_and_shows_descriptions(built, browser_page, tmp_path):
    where = subprocess.run([BPO, "docs", "--warehouse", str(built["warehouse"])], capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    page = Path(where.stdout.strip())
    assert page == built["warehouse"].parent / "docs" / "index.html" and page.is_file()

    con = duckdb.connect(str(built["published"]), read_only=True)
    description = con.execute("select comment from duckdb_columns() where schema_name = 'marts' "
                              "and table_name = 'sla_compliance' and column_name = 'credit_due_amount'").fetchone()[0]
    con.close()

    browser_page.goto(page.as_uri() + "#!/model/model.bpo_warehouse.sla_compliance")
    browser_page.get_by_text("credit_due_amount").first.wait_for(timeout=30_000)
    text = browser_page.inner_text("body")
    assert "sla_compliance" in text
    assert " ".join(description.split())[:60] in " ".join(text.split())
    browser_page.screenshot(path=str(tmp_path / "dbt-docs.png"), full_page=False)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser_page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert (tmp_path / "dbt-docs.png").stat().st_size > 10_000


def test_docs_without_a_publish_is_one_clear_line(tmp_path):
    where = subprocess.run([BPO, "docs", "--warehouse", str(tmp_path / "warehouse.duckdb")],
                           capture_output=True, text=True)
    assert where.returncode == 1
    assert "no docs yet" in where.stderr and "Traceback" not in where.stderr
