from __future__ import annotations

from generator import generate

from ._helpers import read_rows


def test_scale_200k_completes(tmp_path):
    truth = generate(tmp_path / "big", scale=200_000)
    assert sum(truth["counts"]["interactions"].values()) == 200_000
    assert len(truth["defects"]) >= 15


def test_rows_per_file_splits_months(tmp_path):
    truth = generate(tmp_path / "split", outsourcers=1, months=1, scale=6000, rows_per_file=1000)
    files = truth["vendors"][0]["interaction_files"]
    assert len(files) == 4 and files[0].endswith("interactions_2026-01_p001.csv")
    ids = [r["interaction_id"] for f in files for r in read_rows(tmp_path / "split" / f)]
    assert len(ids) == len(set(ids)) == truth["counts"]["interactions"]["acme_mx"]


def test_small_and_odd_parameters(tmp_path):
    t = generate(tmp_path / "one", outsourcers=1, months=1, scale=3000, start="2026-11", seed=3)
    assert [v["vendor_id"] for v in t["vendors"]] == ["acme_mx", "inhouse_us"]
    # one month: no previous month whose service credit could be missing
    assert {d["finding"] for d in t["defects"]} == {
        "rate_variance", "off_contract_item", "duplicate_line", "arithmetic_error", "passthrough_over_cap",
        "quantity_variance", "unapproved_passthrough", "minimum_commitment_misbilled", "outside_contract_period"}
    t = generate(tmp_path / "none", outsourcers=0, months=2, scale=2000, start="2026-12")
    assert [v["vendor_id"] for v in t["vendors"]] == ["inhouse_us"] and t["defects"] == []
    assert not (tmp_path / "none" / "landing" / "inhouse_us" / "invoices").exists()


def test_chunked_formatting_gives_the_same_rows(tmp_path, monkeypatch):
    """Large vendor-months are formatted in chunks; the file content must not depend on it."""
    from generator import core

    generate(tmp_path / "whole", months=1, scale=8000)
    monkeypatch.setattr(core, "FRAME_CHUNK", 450)
    generate(tmp_path / "chunked", months=1, scale=8000)
    files = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("interactions_*"))
    assert len(files) == 4
    for f in files:
        assert read_rows(tmp_path / "whole" / f) == read_rows(tmp_path / "chunked" / f), f
