"""dbt unit tests (`unit_tests:` in the models' YAML) and the column documentation.

The unit tests hold the business rules on hand-worked rows: each finding rule,
the service-credit rule, the abandon treatments, tier pricing and FX. dbt needs
the column types of a tested model's inputs, so the project is first built
empty (`dbt run --empty` on an empty raw layer: every relation, no rows;
fixture empty_dbt_build in conftest.py), then
`dbt test --select test_type:unit --vars '{unit_tests: true}'` runs them (they
are disabled otherwise, so that every build does not run them); no data is built.

The same empty build lists every staging and intermediate relation's columns:
each must be documented in the YAML beside its model, and the YAML must not
document a column the model does not have.
"""

from __future__ import annotations

import json

import duckdb

from tests.dbt.harness import dbt_command


def test_unit_tests_pass(empty_dbt_build):
    proc = dbt_command(empty_dbt_build, "test", "--select", "test_type:unit", "--vars", "{unit_tests: true}")
    results = [r for r in json.loads((empty_dbt_build / "target" / "run_results.json").read_text())["results"]
               if r["unique_id"].startswith("unit_test.")]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert proc.returncode == 0 and not failed, f"{failed}\n{proc.stdout[-6000:]}"
    tested = {r["unique_id"].split(".")[2] for r in results}
    # every rule named in DEVELOPERS.md "dbt unit tests" has its tests (a rename must not drop them)
    assert {f"int_finding_{t}" for t in (
        "outside_contract_period", "off_contract_item", "duplicate_line", "arithmetic_error", "rate_variance",
        "quantity_variance", "passthrough_over_cap", "unapproved_passthrough", "missing_service_credit",
        "minimum_commitment_misbilled")} | {
        "int_service_credits", "int_sla_actuals", "int_sla_contact_counts", "int_pricing_expected_amounts",
        "int_fx_invoice_rates", "unforeseen_costs", "int_qa_evaluations", "int_qa_calibration_pairs",
        "int_sla_qa_counts", "dispute_status"} <= tested


def test_every_column_is_documented(empty_dbt_build, dbt_manifest):
    manifest = dbt_manifest
    con = duckdb.connect(str(empty_dbt_build / "warehouse.duckdb"), read_only=True)
    try:
        actual: dict[str, list[str]] = {}
        for table, column in con.execute(
                "select table_name, column_name from duckdb_columns() where schema_name in ('staging', 'intermediate')"
                " order by table_name, column_index").fetchall():
            actual.setdefault(table, []).append(column)
    finally:
        con.close()
    models = {n["name"]: n for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["schema"] in ("staging", "intermediate")}
    assert set(models) == set(actual)
    problems = []
    for name, node in sorted(models.items()):
        documented = {c: v.get("description", "") for c, v in node["columns"].items()}
        if not node.get("description"):
            problems.append(f"{name}: no description")
        problems += [f"{name}.{c}: not documented" for c in actual[name] if not documented.get(c)]
        problems += [f"{name}.{c}: documented but not a column" for c in documented if c not in actual[name]]
    assert problems == []
