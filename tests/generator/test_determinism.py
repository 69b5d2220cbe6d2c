from __future__ import annotations

import os

from generator import generate


def _snapshot(root):
    return {p.relative_to(root).as_posix(): (p.read_bytes(), int(os.stat(p).st_mtime))
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_mtimes(tmp_path, default_out):
    again = tmp_path / "again"
    generate(again, evidence=False)  # as default_out (tests/generator/conftest.py)
    a, b = _snapshot(default_out), _snapshot(again)
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == b[k], k


def test_other_seed_other_data_same_contracts(tmp_path, default_out):
    other = tmp_path / "other"
    generate(other, seed=7, evidence=False)
    a = (default_out / "landing/acme_mx/interactions/interactions_2026-01.csv").read_bytes()
    b = (other / "landing/acme_mx/interactions/interactions_2026-01.csv").read_bytes()
    assert a != b
    for f in (default_out / "contracts").glob("*.yaml"):
        assert f.read_bytes() == (other / "contracts" / f.name).read_bytes()
