"""Where things are: one settings object shared by `bpo`, Dagster and tests.

Every value can be set by an environment variable (BPO_WAREHOUSE, ...) or
on the command line; defaults suit a project checkout.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BPO_", extra="ignore")

    landing: Path = Field(default=Path("landing"), description="landing zone root")
    contracts: Path = Field(default=Path("contracts"), description="folder of <vendor_id>.yaml contracts")
    warehouse: Path = Field(default=Path("warehouse/warehouse.duckdb"), description="DuckDB warehouse file")
    quarantine: Path | None = Field(default=None, description="default: <warehouse folder>/quarantine")
    published: Path | None = Field(default=None, description="read-only copy for BI; default: <warehouse folder>/published.duckdb")
    mappings: Path | None = Field(default=None, description="vendor mappings, <vendor_id>/<feed>.yaml; "
                                  "default: <contracts folder>/../mappings")
    reporting_currency: str = "USD"
    settle_seconds: float = Field(default=10.0, ge=0, description=(
        "a landed file is taken once its mtime is this far from now (or a <name>.done marker is beside it); "
        "a file written to more recently may still be growing and waits for a later run"))

    @property
    def quarantine_dir(self) -> Path:
        return self.quarantine or self.warehouse.parent / "quarantine"

    @property
    def mappings_dir(self) -> Path:
        """Vendor mapping files (docs/onboarding.md); a vendor/feed without one sends canonical files."""
        return self.mappings or self.contracts.parent / "mappings"

    @property
    def published_path(self) -> Path:
        return self.published or self.warehouse.parent / "published.duckdb"

    def resolved(self) -> Settings:
        """Absolute paths, so that dbt (run from its own folder) sees the same files."""
        return self.model_copy(update={
            "landing": self.landing.resolve(),
            "contracts": self.contracts.resolve(),
            "warehouse": self.warehouse.resolve(),
            "quarantine": self.quarantine_dir.resolve(),
            "published": self.published_path.resolve(),
            "mappings": self.mappings_dir.resolve(),
        })
