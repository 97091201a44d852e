"""Admission batches and 公示 objections; awards with their events, budgets, exclusions and
once-per-firm index; export runs (manifest, row fingerprint, diff).

Revision ID: 0006_batches_awards_exports
Revises: 0005_drop_covered_indexes
Create Date: 2026-12-02 22:03:58.468071+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_batches_awards_exports"
down_revision: str | None = "0005_drop_covered_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "award_budget",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_yuan >= 0", name=op.f("ck_award_budget_amount_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_budget")),
        sa.UniqueConstraint("program", "year", name=op.f("uq_award_budget_program_year")),
    )
    op.create_table(
        "tier_batch",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("notice_from", sa.Date(), nullable=True),
        sa.Column("notice_to", sa.Date(), nullable=True),
        sa.Column("announced_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "notice_to IS NULL OR notice_to >= notice_from", name=op.f("ck_tier_batch_notice_window_ordered")
        ),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_tier_batch_seq_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_batch")),
        sa.UniqueConstraint("year", "seq", name=op.f("uq_tier_batch_year_seq")),
    )
    op.create_table(
        "award_exclusion",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("program", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("to_year", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_award_exclusion_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_award_exclusion_firm_id_firm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_exclusion")),
    )
    op.create_index(op.f("ix_award_exclusion_firm_id"), "award_exclusion", ["firm_id"], unique=False)
    op.create_table(
        "export_run",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("scope_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("file_format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("rows_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("file_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("totals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("manifest", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("diff_summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("previous_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_export_run_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"], ["export_run.id"], name=op.f("fk_export_run_previous_id_export_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_run")),
    )
    op.create_index(
        "ix_export_run_kind_scope", "export_run", ["kind", "scope_key", "created_at"], unique=False
    )
    op.create_table(
        "award_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("award_id", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_award_event_actor_id_user")),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"], name=op.f("fk_award_event_award_id_award")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_event")),
    )
    op.create_index(op.f("ix_award_event_award_id"), "award_event", ["award_id"], unique=False)
    op.create_table(
        "tier_objection",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tier_status_id", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("content", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("recorded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_by_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_tier_objection_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["user.id"], name=op.f("fk_tier_objection_resolved_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["tier_status_id"], ["tier_status.id"], name=op.f("fk_tier_objection_tier_status_id_tier_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_objection")),
    )
    op.create_index(
        op.f("ix_tier_objection_tier_status_id"), "tier_objection", ["tier_status_id"], unique=False
    )
    op.add_column(
        "award", sa.Column("bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
    )
    op.add_column("award", sa.Column("once_per_firm", sa.Boolean(), nullable=False))
    op.add_column("award", sa.Column("evaluation_id", sa.BigInteger(), nullable=True))
    op.add_column("award", sa.Column("export_run_id", sa.BigInteger(), nullable=True))
    op.add_column("award", sa.Column("paid_on", sa.Date(), nullable=True))
    op.add_column(
        "award", sa.Column("payment_ref", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True)
    )
    op.create_index("ix_award_program_year_state", "award", ["program", "year", "state"], unique=False)
    op.create_index(
        "uq_award_once_per_firm",
        "award",
        ["firm_id", "program"],
        unique=True,
        postgresql_where=sa.text("once_per_firm AND state NOT IN ('superseded', 'rejected')"),
    )
    op.create_foreign_key(
        op.f("fk_award_export_run_id_export_run"), "award", "export_run", ["export_run_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_award_evaluation_id_evaluation"), "award", "evaluation", ["evaluation_id"], ["id"]
    )
    op.create_foreign_key(op.f("fk_award_bureau_code_bureau"), "award", "bureau", ["bureau_code"], ["code"])
    op.add_column("tier_status", sa.Column("batch_id", sa.BigInteger(), nullable=True))
    op.add_column("tier_status", sa.Column("evaluation_id", sa.BigInteger(), nullable=True))
    op.add_column("tier_status", sa.Column("last_reviewed_year", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_tier_status_batch_id"), "tier_status", ["batch_id"], unique=False)
    op.create_foreign_key(
        op.f("fk_tier_status_batch_id_tier_batch"), "tier_status", "tier_batch", ["batch_id"], ["id"]
    )
    op.create_foreign_key(
        op.f("fk_tier_status_evaluation_id_evaluation"),
        "tier_status",
        "evaluation",
        ["evaluation_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_tier_status_evaluation_id_evaluation"), "tier_status", type_="foreignkey")
    op.drop_constraint(op.f("fk_tier_status_batch_id_tier_batch"), "tier_status", type_="foreignkey")
    op.drop_index(op.f("ix_tier_status_batch_id"), table_name="tier_status")
    op.drop_column("tier_status", "last_reviewed_year")
    op.drop_column("tier_status", "evaluation_id")
    op.drop_column("tier_status", "batch_id")
    op.drop_constraint(op.f("fk_award_bureau_code_bureau"), "award", type_="foreignkey")
    op.drop_constraint(op.f("fk_award_evaluation_id_evaluation"), "award", type_="foreignkey")
    op.drop_constraint(op.f("fk_award_export_run_id_export_run"), "award", type_="foreignkey")
    op.drop_index(
        "uq_award_once_per_firm",
        table_name="award",
        postgresql_where=sa.text("once_per_firm AND state NOT IN ('superseded', 'rejected')"),
    )
    op.drop_index("ix_award_program_year_state", table_name="award")
    op.drop_column("award", "payment_ref")
    op.drop_column("award", "paid_on")
    op.drop_column("award", "export_run_id")
    op.drop_column("award", "evaluation_id")
    op.drop_column("award", "once_per_firm")
    op.drop_column("award", "bureau_code")
    op.drop_index(op.f("ix_tier_objection_tier_status_id"), table_name="tier_objection")
    op.drop_table("tier_objection")
    op.drop_index(op.f("ix_award_event_award_id"), table_name="award_event")
    op.drop_table("award_event")
    op.drop_index("ix_export_run_kind_scope", table_name="export_run")
    op.drop_table("export_run")
    op.drop_index(op.f("ix_award_exclusion_firm_id"), table_name="award_exclusion")
    op.drop_table("award_exclusion")
    op.drop_table("tier_batch")
    op.drop_table("award_budget")
