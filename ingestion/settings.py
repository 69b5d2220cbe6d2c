"""Where things are and how the pipeline behaves: one settings object shared by `bpo`, Dagster and tests.

Every value can be set by an environment variable, BPO_ + the field's name in capitals
(BPO_WAREHOUSE, BPO_PII_SALT, BPO_LOCK_WAIT_SECONDS, BPO_INGEST_MEMORY_LIMIT,
BPO_DUCKDB_MEMORY_LIMIT, BPO_LOG_LEVEL, ...), or on the command line; defaults suit a project
checkout. A bad value is refused in one line naming its variable (`Settings.from_env`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The built-in PII salt exists only so the demo runs: it is public, so `bpo run` warns when it is used.
DEMO_SALT = "bpo-warehouse-demo-salt"
# polars allocates through its own jemalloc, which keeps freed pages for seconds by default:
# during a backfill one file's garbage stayed resident while the next was read (a 960k-row file
# left 1.6 GB resident after preparing a 0.3 GB result; 0.7 GB with this). jemalloc reads it when
# polars is loaded, so the entry points (`bpo`, `make dagster`) set it before that
# (`allocator_environment`); an explicit setting in the environment wins.
ALLOCATOR_ENV = {"_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}


def allocator_environment(environ: dict[str, str]) -> dict[str, str]:
    """`environ` with the allocator settings for polars added where it sets none."""
    return {**ALLOCATOR_ENV, **environ}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BPO_", extra="ignore")

    landing: Path | str = Field(default=Path("landing"), description=(
        "landing zone root: a folder, or s3://bucket/prefix (credentials and endpoint from the AWS environment)"))
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
    pii_salt: SecretStr = Field(default=SecretStr(DEMO_SALT), description=(
        "secret salt of the sha256 that replaces customer identifiers; the default is the public demo salt"))
    lock_wait_seconds: float = Field(default=30.0, ge=0, description=(
        "how long to wait for another process holding the warehouse before failing with WarehouseLocked"))
    # DuckDB's buffer pool defaults to 80 % of RAM and keeps what a run wrote cached beside the files
    # in flight. Ingestion writes one file at a time and needs little: at 10M rows, 256MB took peak
    # RSS from 3.5 to 3.2 GB. A dbt build sorts and windows the whole history: 1500MB (a 10M-row full
    # build peaks at 2.7 GB RSS and is no slower than with 2GB); beyond it, DuckDB spills to disk.
    ingest_memory_limit: str = Field(default="256MB", description="DuckDB memory_limit while loading files")
    duckdb_memory_limit: str = Field(default="1500MB", description="DuckDB memory_limit of a dbt build")
    log_level: str = Field(default="WARNING", description="Dagster's console log level for `bpo run`")

    @field_validator("landing", mode="before")
    @classmethod
    def _landing_location(cls, value):
        from ingestion.storage import landing_location

        return landing_location(value)

    @classmethod
    def from_env(cls, **values) -> Settings:
        """Settings(**values) with the rest from the environment; a bad value is one line naming its variable."""
        try:
            return cls(**values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            name = "BPO_" + "_".join(str(p) for p in problem["loc"]).upper()
            raise ValueError(f"{name}: {problem['msg']} (got {problem.get('input')!r})") from None

    @property
    def using_demo_salt(self) -> bool:
        return self.pii_salt.get_secret_value() == DEMO_SALT

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
            "landing": self.landing if isinstance(self.landing, str) else self.landing.resolve(),
            "contracts": self.contracts.resolve(),
            "warehouse": self.warehouse.resolve(),
            "quarantine": self.quarantine_dir.resolve(),
            "published": self.published_path.resolve(),
            "mappings": self.mappings_dir.resolve(),
        })
