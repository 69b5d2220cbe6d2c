"""Great Expectations internals: its import without pyspark, and two speed patches applied when the feed
validator is built."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from compat import check_versions

check_versions("great-expectations")


def import_great_expectations() -> ModuleType:
    """`great_expectations`, imported without its Spark support.

    GX imports pyspark at import time whenever it is installed (the Spark target's extra): about 6 s more per
    process, for an execution engine this project never uses, and pyspark's import exits a `python -c` process.
    `great_expectations.compatibility.pyspark` falls back to "not imported" when `import pyspark` fails, so
    pyspark is hidden while GX is first imported; it stays importable for everything else.
    """
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    # hidden even when this process already imported pyspark (a Spark build, the Spark tests): GX's Spark support
    # then ends the process (SystemExit while pyspark's connect modules import); restored afterwards
    imported = {name: module for name, module in sys.modules.items() if name == "pyspark" or name.startswith("pyspark.")}
    sys.modules["pyspark"] = None  # type: ignore[assignment]  # makes `import pyspark(.…)` raise ImportError
    try:
        import great_expectations
    finally:
        del sys.modules["pyspark"]
        sys.modules.update(imported)
    return great_expectations


def speed_up_validation() -> None:
    """Skip GX work this project never uses (idempotent; imports GX).

    - GX fingerprints every pandas batch under 1 GB by hashing the whole frame
      (pandas_data_fingerprint batch marker), twice per batch.validate (~2.4 s per million
      interaction rows each time). We never read the marker: the threshold goes to 0.
    - GX rebuilds an expectation's whole configuration (a pydantic `.dict()`) once per kwarg
      it looks up: about 100 rebuilds per expectation per validation, ~40 % of validating a
      small file. `_get_domain_kwargs` / `_get_success_kwargs` are GX 1.24's own, building
      it once per call.
    """
    from great_expectations.exceptions import InvalidExpectationKwargsError
    from great_expectations.execution_engine import pandas_execution_engine
    from great_expectations.expectations.expectation import Expectation

    pandas_execution_engine.HASH_THRESHOLD = 0
    if getattr(Expectation, "_bpo_kwargs_once", False):
        return

    def _get_domain_kwargs(self) -> dict[str, Any]:
        kwargs = self.configuration.kwargs
        domain_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.domain_keys}
        missing_kwargs = set(self.domain_keys) - set(domain_kwargs.keys())
        if missing_kwargs:
            raise InvalidExpectationKwargsError(f"Missing domain kwargs: {list(missing_kwargs)}")
        return domain_kwargs

    def _get_success_kwargs(self) -> dict[str, Any]:
        domain_kwargs = self._get_domain_kwargs()
        kwargs = self.configuration.kwargs
        success_kwargs = {key: kwargs.get(key, self._get_default_value(key)) for key in self.success_keys}
        success_kwargs.update(domain_kwargs)
        return success_kwargs

    Expectation._get_domain_kwargs = _get_domain_kwargs
    Expectation._get_success_kwargs = _get_success_kwargs
    Expectation._bpo_kwargs_once = True
