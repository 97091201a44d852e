"""Users, their roles and bindings, and the bearer tokens they log in with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime
from sqlmodel import Field, SQLModel

from backend.models.base import bigint_pk, created_at_field


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role <> 'enterprise' OR firm_id IS NOT NULL", name="enterprise_has_firm"),
        CheckConstraint("role <> 'bureau' OR bureau_code IS NOT NULL", name="bureau_has_bureau"),
    )

    id: int | None = bigint_pk()
    username: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=12)
    firm_id: int | None = Field(default=None, foreign_key="firm.id", sa_type=BigInteger)
    bureau_code: str | None = Field(default=None, foreign_key="bureau.code", max_length=16)
    is_active: bool = True
    created_at: datetime = created_at_field()
    last_login_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AuthToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored, so a database dump leaks no usable token."""

    __tablename__ = "auth_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", sa_type=BigInteger, index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LoginFailure(SQLModel, table=True):
    """A refused login, counted to throttle password guessing (per account and per address)."""

    __tablename__ = "login_failure"

    id: int | None = bigint_pk()
    username: str = Field(max_length=60, index=True)
    client_ip: str = Field(max_length=64, index=True)
    at: datetime = created_at_field()
