"""Imports (runs with their files and issues), the linked business-registration and IP registers,
and scheduled job runs.

Revision ID: 0004_imports_jobs
Revises: 0003_evaluations_awards
Create Date: 2026-11-22 06:36:36.157331+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_imports_jobs"
down_revision: str | None = "0003_evaluations_awards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # APScheduler's own job store (SQLAlchemyJobStore's layout): made here so the scheduler never
    # needs CREATE rights; autogenerate leaves it alone (env.py include_name).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "job_run",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("job_id", "fire_time", name=op.f("uq_job_run_job_id_fire_time")),
    )
    op.create_table(
        "business_record",
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("abnormal_operation", sa.Boolean(), nullable=True),
        sa.Column("serious_violation", sa.Boolean(), nullable=True),
        sa.Column("import_run_id", sa.BigInteger(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"], ["import_run.id"], name=op.f("fk_business_record_import_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_business_record")),
    )
    op.create_table(
        "import_file",
        sa.Column("import_run_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"], ["import_run.id"], name=op.f("fk_import_file_import_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("import_run_id", name=op.f("pk_import_file")),
    )
    op.create_table(
        "import_issue",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("import_run_id", sa.BigInteger(), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("sheet", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("header", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_run_id"], ["import_run.id"], name=op.f("fk_import_issue_import_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_issue")),
    )
    op.create_index(op.f("ix_import_issue_import_run_id"), "import_issue", ["import_run_id"], unique=False)
    op.create_table(
        "ip_record",
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("ip_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("ip_class", sa.Integer(), nullable=True),
        sa.Column("owner_uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("import_run_id", sa.BigInteger(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_run_id"], ["import_run.id"], name=op.f("fk_ip_record_import_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_ip_record")),
    )
    op.create_index(op.f("ix_ip_record_owner_uscc"), "ip_record", ["owner_uscc"], unique=False)
    op.add_column(
        "import_run",
        sa.Column(
            "kind",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default=sa.text("'filings'"),
        ),
    )
    op.add_column(
        "import_run", sa.Column("file_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
    )
    op.add_column(
        "import_run", sa.Column("file_size", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column(
        "import_run",
        sa.Column(
            "actor_label",
            sqlmodel.sql.sqltypes.AutoString(length=80),
            nullable=False,
            server_default=sa.text("''"),
        ),
    )
    op.add_column(
        "import_run",
        sa.Column(
            "source",
            sqlmodel.sql.sqltypes.AutoString(length=10),
            nullable=False,
            server_default=sa.text("'upload'"),
        ),
    )
    op.add_column("import_run", sa.Column("duplicate_of_id", sa.BigInteger(), nullable=True))
    op.add_column("import_run", sa.Column("fiscal_year", sa.Integer(), nullable=True))
    op.add_column(
        "import_run", sa.Column("sheet", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
    )
    op.add_column("import_run", sa.Column("header_row", sa.Integer(), nullable=True))
    op.add_column(
        "import_run",
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.add_column(
        "import_run", sa.Column("duration_ms", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column("import_run", sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index(op.f("ix_import_run_sha256"), table_name="import_run")
    op.create_index("ix_import_run_sha_kind", "import_run", ["sha256", "kind", "status"], unique=False)
    op.create_foreign_key(
        op.f("fk_import_run_duplicate_of_id_import_run"),
        "import_run",
        "import_run",
        ["duplicate_of_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_import_run_duplicate_of_id_import_run"), "import_run", type_="foreignkey")
    op.drop_index("ix_import_run_sha_kind", table_name="import_run")
    op.create_index(op.f("ix_import_run_sha256"), "import_run", ["sha256"], unique=False)
    op.drop_column("import_run", "committed_at")
    op.drop_column("import_run", "duration_ms")
    op.drop_column("import_run", "counts")
    op.drop_column("import_run", "header_row")
    op.drop_column("import_run", "sheet")
    op.drop_column("import_run", "fiscal_year")
    op.drop_column("import_run", "duplicate_of_id")
    op.drop_column("import_run", "source")
    op.drop_column("import_run", "actor_label")
    op.drop_column("import_run", "file_size")
    op.drop_column("import_run", "file_kind")
    op.drop_column("import_run", "kind")
    op.drop_index(op.f("ix_ip_record_owner_uscc"), table_name="ip_record")
    op.drop_table("ip_record")
    op.drop_index(op.f("ix_import_issue_import_run_id"), table_name="import_issue")
    op.drop_table("import_issue")
    op.drop_table("import_file")
    op.drop_table("business_record")
    op.drop_table("job_run")
    op.drop_table("apscheduler_jobs")
