"""Runtime configuration. Nothing outside this module reads the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from importers.limits import Limits

DEV_SECRET = "dev-only-not-secret"
# Running as root, PostgreSQL must run as an unprivileged account that cannot enter /root;
# /var/lib/<name> is where a system service keeps its state.
ROOT_DATA_DIR = Path("/var/lib/tidu")


def default_data_dir() -> Path:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ROOT_DATA_DIR
    return Path(user_data_dir("tidu"))


def asyncpg_url(url: str) -> str:
    """Normalise any PostgreSQL URL spelling to the asyncpg driver SQLAlchemy needs."""
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("DATABASE_URL 必须是 PostgreSQL 连接串（postgresql://…）")


def libpq_url(url: str) -> str:
    """The same URL without a driver suffix, for psql and other libpq clients."""
    return "postgresql://" + asyncpg_url(url)[len("postgresql+asyncpg://") :]


class Settings(BaseSettings):
    """Everything tidu can be configured with; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="TIDU_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    # Unset: tidu starts its embedded PostgreSQL under data_dir. Same migrations either way.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TIDU_DATABASE_URL")
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    # OS account that runs the embedded PostgreSQL when tidu itself runs as root.
    pg_user: str | None = None
    # Connections per process: the pool, and extra ones opened for bursts beyond it.
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    # How long to wait for PostgreSQL to accept a connection before calling it down.
    db_connect_timeout_seconds: float = Field(default=5, gt=0)
    # Longest statement a web request may run (server statement_timeout; the client gives up a
    # little later if the server itself stops answering). 0 = no limit.
    db_statement_timeout_seconds: float = Field(default=30, ge=0)
    # The same for the command line, the scheduler and migrations, whose year evaluations,
    # imports and exports legitimately run long statements. 0 = no limit.
    db_job_statement_timeout_seconds: float = Field(default=3600, ge=0)
    # Admission control, per API process: requests using the database at once (unset: the pool
    # plus its overflow), and how long one more may wait for a slot before it is answered 503.
    max_db_requests: int | None = Field(default=None, ge=1)
    db_queue_wait_seconds: float = Field(default=3, gt=0)
    # On SIGTERM, how long `tidu serve` lets requests in progress finish before cancelling them.
    shutdown_grace_seconds: int = Field(default=15, ge=1)
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    token_ttl_hours: int = 12
    # Login throttling: refusals per account and address, and per address, within the window.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    timezone: str = "Asia/Shanghai"
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_mb: int = Field(default=50, ge=1, le=1024)  # one workbook upload (and inbox file)
    inbox_poll_seconds: int = Field(default=60, ge=5)  # how often the scheduler looks in inbox/<bureau>/
    # Operations (README "Operating tidu").
    # Reverse proxies whose X-Forwarded-For/-Proto tidu believes: comma-separated addresses or
    # networks, "*" for any, "" for none. Everyone else's forwarding headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    log_format: Literal["text", "json"] = "text"
    # /docs and /openapi.json: None means on, except in prod.
    api_docs: bool | None = None
    # /metrics: without a token only for direct local requests; with one, for a matching bearer.
    metrics_token: SecretStr | None = None
    # How a firm's status is decided: "scalar" (one firm in plain Python, milliseconds) or "frames"
    # (the registry's vectorised path on a one-row frame; the load benchmark's baseline).
    status_engine: Literal["scalar", "frames"] = "scalar"

    @property
    def db_request_slots(self) -> int:
        """Requests one API process lets use the database at once."""
        return self.max_db_requests or self.db_pool_size + self.db_max_overflow

    def import_limits(self) -> Limits:
        return Limits(max_bytes=self.max_upload_mb * 1024 * 1024)

    @property
    def docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.env != "prod"

    @property
    def inbox_dir(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def outbox_dir(self) -> Path:
        """Where scheduled exports land: ``outbox/<bureau>/``, beside the inbox."""
        return self.data_dir / "outbox"

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str | None) -> str | None:
        return asyncpg_url(value) if value else None

    @model_validator(mode="after")
    def _real_secret_in_prod(self) -> Self:
        if self.env == "prod" and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError("生产环境必须设置 TIDU_SECRET_KEY")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
