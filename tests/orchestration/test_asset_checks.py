"""Great Expectations results are Dagster asset checks on the raw feed assets."""

from __future__ import annotations

import dagster as dg

from orchestration.assets import contracts, landed_files, raw_key
from orchestration.resources import GreatExpectationsResource, WarehouseResource
from tests.conftest import land
from tests.robustness.corpus import interactions


def materialize_ingestion(settings, instance=None) -> dg.ExecuteInProcessResult:
    """The contracts and landed-files steps of the pipeline (no dbt), as one run."""
    return dg.materialize([contracts, landed_files], instance=instance, resources={
        "warehouse": WarehouseResource.from_settings(settings), "great_expectations": GreatExpectationsResource()})


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()
            if e.check_name == "great_expectations"}


def test_a_quarantined_file_fails_its_feeds_check_as_a_warning_with_the_reason(settings):
    land(settings, "acme_mx", "interactions", "good.csv", interactions(3))
    land(settings, "acme_mx", "surveys", "bad.csv", "survey_id\ns1\n")  # most columns missing
    result = materialize_ingestion(settings)
    assert result.success  # non-blocking: the run goes on
    (manifest,) = [m for m in result.asset_materializations_for_node("landed_files")
                   if m.asset_key == raw_key("load_manifest")]
    (quarantined,) = [r for r in manifest.metadata["results"].value if r["status"] == "quarantined"]
    assert quarantined["reason"]

    checks = evaluations(result)
    surveys = checks["surveys"]
    assert not surveys.passed
    assert surveys.severity == dg.AssetCheckSeverity.WARN
    assert surveys.metadata["reason"].value == f"bad.csv: {quarantined['reason']}"
    (listed,) = surveys.metadata["quarantined"].value
    assert listed["file"] == quarantined["file"] and listed["reason"] == quarantined["reason"]
    assert listed["quarantine_path"].endswith("quarantine/acme_mx/surveys/bad.csv")
    assert surveys.metadata["files"].value == 1 and surveys.metadata["loaded"].value == 0

    good = checks["interactions"]
    assert good.passed
    assert good.metadata["files"].value == 1 and good.metadata["rows"].value == 3
    evaluated = good.metadata["expectations_evaluated"].value
    assert evaluated > 0 and good.metadata["expectations_successful"].value == evaluated
    (stats,) = good.metadata["validation"].value
    assert stats["rows"] == 3 and stats["success"] is True

    # a feed with no file in this run: nothing failed, nothing validated
    assert checks["fx_rates"].passed and checks["fx_rates"].metadata["files"].value == 0
