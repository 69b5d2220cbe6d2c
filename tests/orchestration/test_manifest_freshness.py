"""The dbt manifest Dagster loads is re-parsed when the project's files change, removals included."""

from __future__ import annotations

import os
import shutil

from orchestration.assets import project_fingerprint
from transform.dbt_build import DBT_PROJECT_DIR


def _copy_project(tmp_path):
    dest = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, dest, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    return dest


def test_fingerprint_changes_when_a_model_is_removed_edited_or_added(tmp_path):
    project = _copy_project(tmp_path)
    before = project_fingerprint(project)
    assert project_fingerprint(project) == before  # stable when nothing changed

    model = next(project.glob("models/marts/*.sql"))
    model.unlink()
    removed = project_fingerprint(project)
    assert removed != before  # an mtime comparison would not see a deleted file

    (project / "models" / "marts" / "new_model.sql").write_text("select 1 as x\n")
    assert project_fingerprint(project) != removed


def test_fingerprint_ignores_dbt_outputs(tmp_path):
    project = _copy_project(tmp_path)
    before = project_fingerprint(project)
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.yml").write_text("x: 1")
    assert project_fingerprint(project) == before
    touched = next(project.glob("models/marts/*.sql"))
    st = touched.stat()
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert project_fingerprint(project) != before
