"""The bad-input corpus (tests/robustness/corpus.py): each kind of broken file is quarantined with a
specific reason, whole (no partial rows anywhere), and everything else keeps flowing."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.batch import ingest
from ingestion.feeds import FEEDS
from tests.robustness.corpus import CASES, GOOD, write_in_house_contract

FEED_TABLES = [f.table for f in FEEDS.values()]


def test_the_corpus_has_at_least_30_kinds_of_bad_file():
    bad = [c for c in CASES if c.expect == "quarantined"]
    assert len(bad) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def raw_counts(con) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in FEED_TABLES}


def assert_no_partial_rows(con) -> None:
    """Every raw row belongs to a file recorded as loaded, which holds exactly the manifest's row count."""
    for table in FEED_TABLES:
        orphans = con.execute(
            f"select count(*) from raw.{table} r left join raw.load_manifest m "
            "on m.load_id = r._load_id and m.status = 'loaded' where m.load_id is null").fetchone()[0]
        assert orphans == 0, f"raw.{table} has rows of files that were not loaded"
        wrong = con.execute(
            f"select m.file_name, m.rows, count(r._load_id) from raw.load_manifest m "
            f"join raw.{table} r on r._load_id = m.load_id group by all having count(r._load_id) <> m.rows"
        ).fetchall()
        assert wrong == [], f"raw.{table}: rows differ from the manifest count: {wrong}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_bad_file_is_quarantined_whole_with_a_specific_reason(settings, validate, tmp_path, case):
    write_in_house_contract(settings.contracts)
    path = case.land(settings.landing, tmp_path / "outside")
    (result,) = ingest(settings, validate)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        manifest = con.execute("select status, reason, warnings, rows from raw.load_manifest").fetchall()
        counts = raw_counts(con)
        assert_no_partial_rows(con)
    finally:
        con.close()
    if case.expect == "loaded":
        assert result.status == "loaded", result.reason
        assert all(case.reason in w for w in result.warnings) if case.reason else not result.warnings
        assert manifest[0][0] == "loaded" and manifest[0][3] == sum(counts.values()) > 0
        if case.reason:
            assert case.reason in manifest[0][2]
        return
    assert result.status == "quarantined"
    assert case.reason in result.reason, result.reason
    assert manifest == [("quarantined", result.reason, None, 0)]
    assert sum(counts.values()) == 0, counts
    # The reason file says what is wrong, where the file came from and how to replay it.
    reasons = list(settings.quarantine_dir.rglob("*.reason.txt"))
    assert len(reasons) == 1
    text = reasons[0].read_text()
    assert case.reason in text and "Nothing from this file was loaded" in text and "bpo replay" in text
    copy = reasons[0].with_name(reasons[0].name.removesuffix(".reason.txt"))
    if case.make is None:
        assert copy.read_bytes() == path.read_bytes()
    else:  # a link out of the landing zone: what it points to is never read nor copied
        assert not copy.exists()
        assert settings.quarantine_dir.resolve() in reasons[0].resolve().parents


@pytest.mark.slow
def test_the_whole_corpus_beside_good_files_in_one_run(settings, validate, tmp_path, driver):
    """One run over every bad file and a set of good ones: good files load, bad ones are quarantined
    with their own reasons, dbt builds and the marts are published."""
    write_in_house_contract(settings.contracts)
    for vendor, feed, name, content in GOOD:
        path = settings.landing / vendor / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    landed = {str(case.land(settings.landing, tmp_path / "outside")): case for case in CASES}
    results = ingest(settings, validate)
    by_file = {r.file: r for r in results}
    assert len(results) == len(CASES) + len(GOOD)
    for file, case in landed.items():
        r = by_file[file]
        assert r.status == case.expect, (case.id, r.status, r.reason)
        assert case.reason in (r.reason or "") or any(case.reason in w for w in r.warnings), (case.id, r.reason)
    good = [r for r in results if r.file not in landed]
    assert [r.status for r in good] == ["loaded"] * len(GOOD), [(r.file, r.reason) for r in good]

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        assert_no_partial_rows(con)
        statuses = dict(con.execute("select status, count(*) from raw.load_manifest group by 1").fetchall())
    finally:
        con.close()
    expected_loaded = len(GOOD) + sum(c.expect == "loaded" for c in CASES)
    assert statuses == {"loaded": expected_loaded, "quarantined": len(CASES) - sum(c.expect == "loaded" for c in CASES)}

    # then the rest of the pipeline: dbt build and publish (the driver's cycle finds no new file)
    cycle = driver.run({"landing": str(settings.landing), "contracts": str(settings.contracts),
                        "warehouse": str(settings.warehouse), "published": str(settings.published_path),
                        "target": str(tmp_path / "dbt_target")})
    build_id = cycle.done.split()[4]
    assert cycle.done.split()[2:4] == ["0", "0"]
    con = duckdb.connect(str(settings.published_path), read_only=True)
    try:
        interactions = con.execute("select sum(offered) from marts.sla_interval").fetchone()[0]
        findings = con.execute("select finding from marts.unforeseen_costs where invoice_id = 'INV-ARITH'").fetchall()
        assert con.execute("select build_id from publication").fetchone()[0] == build_id
    finally:
        con.close()
    # good_interactions (5) + the extra-column file (3) for acme_mx, 4 rows for iberia_es
    assert interactions == 5 + 3 + 4
    assert ("arithmetic_error",) in findings
