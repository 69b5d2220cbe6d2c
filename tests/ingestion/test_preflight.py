"""ingestion.preflight: the checks that refuse a run before it touches anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingestion.contracts import ContractError, load_contract
from ingestion.preflight import (ConfigurationError, check_landing, check_warehouse_path, load_run_contracts,
                                 require_contracts_for_loaded_vendors)
from ingestion.warehouse import connect
from tests.conftest import write_contract

ROOT = Path(__file__).resolve().parents[2]


def test_an_unreadable_feed_folder_is_named_instead_of_skipped(tmp_path, monkeypatch):
    feed = tmp_path / "acme_mx" / "interactions"
    feed.mkdir(parents=True)
    real_scandir = os.scandir

    def scandir(path):  # tests run as root, for whom chmod 000 changes nothing
        if os.fspath(path) == str(feed):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(ConfigurationError, match=f"landing folder {feed} cannot be read"):
        check_landing(tmp_path)


def test_a_file_given_as_the_landing_folder(tmp_path):
    (tmp_path / "landing").write_text("")
    with pytest.raises(ConfigurationError, match="is a file, not a folder"):
        check_landing(tmp_path / "landing")


def test_the_warehouse_path_may_be_new_or_a_duckdb_file(tmp_path):
    check_warehouse_path(tmp_path / "new" / "warehouse.duckdb", tmp_path / "new" / "published.duckdb")
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    check_warehouse_path(tmp_path / "w.duckdb", tmp_path / "published.duckdb")
    with pytest.raises(ConfigurationError, match="is the published read-only copy"):
        check_warehouse_path(tmp_path / "published.duckdb", tmp_path / "published.duckdb")


def test_contracts_folder_missing_or_empty(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_run_contracts(tmp_path / "nope")
    with pytest.raises(ConfigurationError, match="holds no contract"):
        load_run_contracts(tmp_path)
    write_contract(tmp_path, "acme_mx")
    assert list(load_run_contracts(tmp_path)) == ["acme_mx"]


def test_vendors_with_loaded_data_need_their_contract(tmp_path):
    contracts = tmp_path / "contracts"
    write_contract(contracts, "acme_mx")
    with connect(tmp_path / "warehouse.duckdb") as con:
        con.execute("insert into raw.load_manifest (load_id, file_path, file_name, sha256, vendor_id, feed, rows,"
                    " status, processed_at) values"
                    " ('1', 'a', 'a', 's1', 'acme_mx', 'interactions', 1, 'loaded', now()),"
                    " ('2', 'b', 'b', 's2', 'gone_co', 'interactions', 1, 'loaded', now()),"
                    " ('3', 'c', 'c', 's3', 'never_co', 'interactions', 0, 'quarantined', now()),"
                    " ('4', 'd', 'd', 's4', '_shared', 'fx_rates', 1, 'loaded', now())")
        # gone_co has loaded data and no contract; never_co only a quarantined file; _shared is no vendor
        with pytest.raises(ContractError, match="has no contract for gone_co, whose data is loaded"):
            require_contracts_for_loaded_vendors(con, load_run_contracts(contracts), contracts)
        write_contract(contracts, "gone_co")
        require_contracts_for_loaded_vendors(con, load_run_contracts(contracts), contracts)


@pytest.mark.parametrize("bad, field", [("2026-02-30", "effective_from"), ("2026-13-01", "effective_from")])
def test_an_impossible_date_names_file_line_and_field(tmp_path, bad, field):
    write_contract(tmp_path, "acme_mx")
    path = tmp_path / "acme_mx.yaml"
    path.write_text(path.read_text().replace("effective_from: 2026-01-01", f"effective_from: {bad}"))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert str(info.value).startswith(f"{path}, line 7: versions[0].{field}: '{bad}' is not a valid date")
    assert "\n" not in str(info.value)


def test_the_preflight_of_bpo_run_does_not_import_pandas(tmp_path):
    """bpo run's preflight (orchestration.cli._preflight) reads no frame: binding a query parameter makes
    DuckDB's Python client import pandas (~0.4 CPU s of every run's start), so none is bound there."""
    contracts, landing, warehouse = tmp_path / "contracts", tmp_path / "landing", tmp_path / "wh" / "warehouse.duckdb"
    write_contract(contracts, "acme_mx")
    (landing / "acme_mx" / "interactions").mkdir(parents=True)
    with connect(warehouse) as con:  # a warehouse with loaded data: the contract check reads the manifest
        con.execute("insert into raw.load_manifest (load_id, file_path, file_name, sha256, vendor_id, feed, rows,"
                    " status, processed_at) values ('1', 'a', 'a', 's1', 'acme_mx', 'interactions', 1, 'loaded',"
                    " now())")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ingestion.settings import Settings\n"
        "from orchestration.cli import _preflight\n"
        f"_preflight(Settings(landing=Path({str(landing)!r}), contracts=Path({str(contracts)!r}),"
        f" warehouse=Path({str(warehouse)!r})))\n"
        "print(sorted(m for m in ('pandas', 'dagster', 'dbt') if m in sys.modules))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "[]"
