"""Fixtures of the robustness tests: one killable pipeline driver per session."""

from __future__ import annotations

import pytest

from tests.robustness.helpers import Driver


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    d = Driver(tmp_path_factory.mktemp("driver"))
    yield d
    d.close()
