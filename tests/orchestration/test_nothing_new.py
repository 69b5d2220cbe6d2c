"""A run with nothing new builds and publishes nothing (issue 16); anything new, a changed contract,
an unfinished build or a missing published copy makes the next run build again."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from tests.conftest import land
from tests.robustness.corpus import interactions
from transform.dbt_build import dbt_target_path
from transform.run_inputs import NOTHING_NEW


def _bpo_run(settings):
    result = CliRunner().invoke(app, ["run", "--landing", str(settings.landing), "--contracts",
                                      str(settings.contracts), "--warehouse", str(settings.warehouse)])
    assert result.exit_code == 0, result.output
    return result.output


def _stamp(path: Path) -> tuple[int, bytes]:
    return path.stat().st_mtime_ns, path.read_bytes()


def _dbt_invocation(settings) -> str | None:
    """The id of the last dbt invocation against this warehouse (dbt rewrites run_results.json each time)."""
    results = dbt_target_path(settings.warehouse) / "run_results.json"
    return json.loads(results.read_text())["metadata"]["invocation_id"] if results.exists() else None


def _warehouse_state(settings) -> dict:
    """The marts, the build ledger and the manifest, as rows."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() "
                             "where schema_name in ('marts', 'build_state') or table_name = 'load_manifest' "
                             "order by all").fetchall()
        return {f"{s}.{t}": sorted(map(repr, con.execute(f'select * from {s}."{t}"').fetchall()))
                for s, t in tables}


@pytest.mark.slow
def test_nothing_new_builds_nothing_and_anything_new_builds(settings):
    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    first = _bpo_run(settings)
    assert NOTHING_NEW not in first
    published = settings.published_path
    before = (_stamp(published), _dbt_invocation(settings), _warehouse_state(settings))
    assert before[1] is not None

    # 1. nothing landed, contracts unchanged: no dbt invocation, the published copy untouched, one line
    second = _bpo_run(settings)
    assert NOTHING_NEW in second
    assert (_stamp(published), _dbt_invocation(settings), _warehouse_state(settings)) == before

    # 2. a contract changed (no new file): built and published again
    contract = settings.contracts / "acme_mx.yaml"
    contract.write_text(contract.read_text().replace("rate: 10.00", "rate: 11.00"))
    third = _bpo_run(settings)
    assert NOTHING_NEW not in third
    assert _dbt_invocation(settings) != before[1]
    assert _stamp(published) != before[0]

    # 3. the published copy is missing: published again
    published.unlink()
    assert NOTHING_NEW not in _bpo_run(settings)
    assert published.exists()
    assert NOTHING_NEW in _bpo_run(settings)


@pytest.mark.slow
def test_a_run_after_an_interrupted_build_builds_even_with_nothing_new(settings, monkeypatch):
    import orchestration.assets as assets

    land(settings, "acme_mx", "interactions", "a.csv", interactions(3))
    _bpo_run(settings)
    land(settings, "acme_mx", "interactions", "b.csv", interactions(2))
    published = settings.published_path
    good = _stamp(published)

    # the build of b.csv does not finish: dbt built, then the publication failed (as if killed there)
    def killed(*args, **kwargs):
        raise OSError("disk full during the publication")

    monkeypatch.setattr(assets, "publish_marts", killed)
    result = CliRunner().invoke(app, ["run", "--landing", str(settings.landing), "--contracts",
                                      str(settings.contracts), "--warehouse", str(settings.warehouse)])
    assert result.exit_code != 0
    assert _stamp(published) == good  # the last good copy stays published
    monkeypatch.undo()

    # nothing new has landed since, but the last build did not finish: this run builds and publishes
    invocation = _dbt_invocation(settings)
    output = _bpo_run(settings)
    assert NOTHING_NEW not in output
    assert _dbt_invocation(settings) != invocation
    assert _stamp(published) != good
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        loads = con.execute("select count(*) from raw.load_manifest where status = 'loaded'").fetchone()[0]
        built = con.execute("select count(*) from build_state.built_loads").fetchone()[0]
    assert loads == built == 2
    assert NOTHING_NEW in _bpo_run(settings)
