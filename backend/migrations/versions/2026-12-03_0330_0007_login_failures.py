"""Refused logins, counted to throttle password guessing on the login page and the API.

Revision ID: 0007_login_failures
Revises: 0006_batches_awards_exports
Create Date: 2026-12-03 03:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_login_failures"
down_revision: str | None = "0006_batches_awards_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("client_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_failure_username", "login_failure", ["username"])
    op.create_index("ix_login_failure_client_ip", "login_failure", ["client_ip"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_client_ip", table_name="login_failure")
    op.drop_index("ix_login_failure_username", table_name="login_failure")
    op.drop_table("login_failure")
