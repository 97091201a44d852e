"""Column helpers shared by the table models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so migrations can name what they drop.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def created_at_field() -> Any:
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True), nullable=False)


def money_field(**kwargs: Any) -> Any:
    """An amount in integer 元 (bigint); None means "not reported", never zero."""
    return Field(default=None, sa_type=BigInteger, **kwargs)


def bigint_pk() -> Any:
    return Field(default=None, primary_key=True, sa_type=BigInteger)
