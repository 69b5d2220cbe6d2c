"""compat/ checks that the libraries whose internals it uses are the versions it was written for."""

from __future__ import annotations

import importlib
import subprocess
import sys
from importlib import metadata

import pytest

from compat import WRITTEN_FOR, UnsupportedVersion, check_versions


def test_the_installed_versions_are_the_ones_compat_was_written_for():
    check_versions()  # raises on any difference
    assert metadata.version("dagster-dbt") == "0.29.27"
    assert metadata.version("great-expectations") == "1.24.1"
    assert metadata.version("dbt-duckdb") == "1.11.1"
    assert metadata.version("duckdb-engine") == "0.17.0"
    assert metadata.version("dbt-core").startswith("1.11.")


def test_every_compat_module_imports_on_the_pinned_versions():
    for module in ("compat.dbt_duckdb", "compat.gx", "compat.gx_duckdb", "compat.dagster_dbt_inprocess"):
        # the import runs the module's version check: an UnsupportedVersion would fail here
        assert importlib.import_module(module).__name__ == module
    check_versions()  # every pinned distribution, as installed


def test_another_version_fails_in_one_clear_line():
    fake = {**{name: metadata.version(name) for name in WRITTEN_FOR}, "dagster-dbt": "0.30.0"}
    with pytest.raises(UnsupportedVersion) as caught:
        check_versions("dbt-core", "dagster-dbt", installed=fake.__getitem__)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("dagster-dbt 0.30.0 is installed but compat/ relies on private internals of "
                              "dagster-dbt 0.29.27")


def test_a_minor_wildcard_accepts_patches_only():
    check_versions("dbt-core", installed=lambda name: "1.11.9")
    with pytest.raises(UnsupportedVersion, match=r"^dbt-core 1\.12\.0 is installed"):
        check_versions("dbt-core", installed=lambda name: "1.12.0")
    with pytest.raises(UnsupportedVersion, match=r"^dbt-core 1\.1\.0 is installed"):
        check_versions("dbt-core", installed=lambda name: "1.1.0")


def test_a_missing_library_is_named():
    def absent(name):
        raise metadata.PackageNotFoundError(name)

    with pytest.raises(UnsupportedVersion, match=r"^great-expectations is not installed"):
        check_versions("great-expectations", installed=absent)


def test_an_upgrade_fails_when_the_compat_module_is_imported():
    """A process with another dagster-dbt version stops at the import of the module that relies on it."""
    code = ("from importlib import metadata; real = metadata.version; "
            "metadata.version = lambda n: '0.30.0' if n == 'dagster-dbt' else real(n); "
            "import compat.dagster_dbt_inprocess")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "UnsupportedVersion: dagster-dbt 0.30.0 is installed" in proc.stderr
