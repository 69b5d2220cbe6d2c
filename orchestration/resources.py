"""Dagster resources: where the warehouse and its inputs are, and the GX validator."""


from pathlib import Path

import dagster as dg

from ingestion.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """Paths of the landing zone, contracts, warehouse, quarantine and published copy."""

    landing: str
    contracts: str
    warehouse: str
    quarantine: str
    published: str
    mappings: str = ""  # vendor mapping files; "" = <contracts folder>/../mappings
    reporting_currency: str = "USD"
    settle_seconds: float = 10.0  # Settings.settle_seconds: how long a landed file must be left alone

    @classmethod
    def from_settings(cls, settings: Settings) -> "WarehouseResource":
        s = settings.resolved()
        return cls(landing=str(s.landing), contracts=str(s.contracts), warehouse=str(s.warehouse),
                   quarantine=str(s.quarantine), published=str(s.published), mappings=str(s.mappings_dir),
                   reporting_currency=s.reporting_currency, settle_seconds=s.settle_seconds)

    @property
    def settings(self) -> Settings:
        return Settings(landing=self.landing, contracts=Path(self.contracts), warehouse=Path(self.warehouse),
                        quarantine=Path(self.quarantine), published=Path(self.published),
                        mappings=Path(self.mappings) if self.mappings else None,
                        reporting_currency=self.reporting_currency, settle_seconds=self.settle_seconds)


class GreatExpectationsResource(dg.ConfigurableResource):
    """The GX validator, built once per process (importing GX alone costs seconds)."""

    def validate(self, feed: str, staged, vendor_id: str | None):
        """Validate a file's rows staged on their DuckDB connection (ingestion.loader.StagedRows)."""
        from ingestion.loader import gx_validate

        return gx_validate(feed, staged, vendor_id)
