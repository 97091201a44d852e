"""Registry core: reference tables, firms, filings with append-only revisions, certificates,
tier status, users, tokens, audit log.

Revision ID: 0001_registry_core
Revises:
Create Date: 2026-11-22 04:33:06.306527+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_registry_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "district",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("group_2023", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("group_2022", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_district")),
        sa.UniqueConstraint("name", name=op.f("uq_district_name")),
    )
    op.create_table(
        "bureau",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name=op.f("fk_bureau_district_code_district")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_bureau")),
        sa.UniqueConstraint("name", name=op.f("uq_bureau_name")),
    )
    op.create_table(
        "district_target",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("metric", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("target", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("responsible", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["bureau_code"], ["bureau.code"], name=op.f("fk_district_target_bureau_code_bureau")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_target")),
        sa.UniqueConstraint(
            "bureau_code", "year", "metric", name=op.f("uq_district_target_bureau_code_year_metric")
        ),
    )
    op.create_table(
        "functional_zone",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("full_name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("review_bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("has_own_bureau", sa.Boolean(), nullable=False),
        sa.Column("confidence", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name=op.f("fk_functional_zone_district_code_district")
        ),
        sa.ForeignKeyConstraint(
            ["review_bureau_code"], ["bureau.code"], name=op.f("fk_functional_zone_review_bureau_code_bureau")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_functional_zone")),
        sa.UniqueConstraint("name", name=op.f("uq_functional_zone_name")),
    )
    op.create_table(
        "firm",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("legal_form", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("functional_zone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("tech_field", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("uscc_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("revision_no", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bureau_code"], ["bureau.code"], name=op.f("fk_firm_bureau_code_bureau")),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name=op.f("fk_firm_district_code_district")
        ),
        sa.ForeignKeyConstraint(
            ["functional_zone"],
            ["functional_zone.code"],
            name=op.f("fk_firm_functional_zone_functional_zone"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm")),
        sa.UniqueConstraint("uscc", name=op.f("uq_firm_uscc")),
    )
    op.create_index("ix_firm_bureau_code", "firm", ["bureau_code"], unique=False)
    op.create_table(
        "filing",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("current_revision_no", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("fiscal_year BETWEEN 1980 AND 2200", name=op.f("ck_filing_fiscal_year_range")),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_filing_firm_id_firm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filing")),
        sa.UniqueConstraint("firm_id", "fiscal_year", name=op.f("uq_filing_firm_id_fiscal_year")),
    )
    op.create_table(
        "tier_status",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("batch_label", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("admission_no", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_tier_status_firm_id_firm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_status")),
        sa.UniqueConstraint("admission_no", name=op.f("uq_tier_status_admission_no")),
        sa.UniqueConstraint("firm_id", "tier", "year", name=op.f("uq_tier_status_firm_id_tier_year")),
    )
    op.create_index(op.f("ix_tier_status_firm_id"), "tier_status", ["firm_id"], unique=False)
    op.create_index("ix_tier_status_tier_state", "tier_status", ["tier", "state"], unique=False)
    op.create_table(
        "user",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=True),
        sa.Column("bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role <> 'bureau' OR bureau_code IS NOT NULL", name=op.f("ck_user_bureau_has_bureau")
        ),
        sa.CheckConstraint(
            "role <> 'enterprise' OR firm_id IS NOT NULL", name=op.f("ck_user_enterprise_has_firm")
        ),
        sa.ForeignKeyConstraint(["bureau_code"], ["bureau.code"], name=op.f("fk_user_bureau_code_bureau")),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_user_firm_id_firm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("username", name=op.f("uq_user_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_audit_log_actor_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "auth_token",
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_auth_token_user_id_user")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_token")),
    )
    op.create_index(op.f("ix_auth_token_user_id"), "auth_token", ["user_id"], unique=False)
    op.create_table(
        "certificate",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= issued_on", name=op.f("ck_certificate_expires_after_issue")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_certificate_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_certificate_firm_id_firm")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_certificate_kind_number")),
    )
    op.create_index(op.f("ix_certificate_firm_id"), "certificate", ["firm_id"], unique=False)
    op.create_table(
        "import_run",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bureau_code"], ["bureau.code"], name=op.f("fk_import_run_bureau_code_bureau")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_import_run_created_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run")),
    )
    op.create_index(op.f("ix_import_run_sha256"), "import_run", ["sha256"], unique=False)
    op.create_table(
        "tier_transition",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tier_status_id", sa.BigInteger(), nullable=False),
        sa.Column("from_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_label", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user.id"], name=op.f("fk_tier_transition_actor_id_user")),
        sa.ForeignKeyConstraint(
            ["tier_status_id"], ["tier_status.id"], name=op.f("fk_tier_transition_tier_status_id_tier_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_transition")),
    )
    op.create_index(
        op.f("ix_tier_transition_tier_status_id"), "tier_transition", ["tier_status_id"], unique=False
    )
    op.create_table(
        "filing_revision",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("import_run_id", sa.BigInteger(), nullable=True),
        sa.Column("source_sheet", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revenue_yuan", sa.BigInteger(), nullable=True),
        sa.Column("total_income_yuan", sa.BigInteger(), nullable=True),
        sa.Column("hitech_revenue_yuan", sa.BigInteger(), nullable=True),
        sa.Column("rd_expense_yuan", sa.BigInteger(), nullable=True),
        sa.Column("rd_domestic_yuan", sa.BigInteger(), nullable=True),
        sa.Column("total_cost_yuan", sa.BigInteger(), nullable=True),
        sa.Column("total_assets_yuan", sa.BigInteger(), nullable=True),
        sa.Column("net_assets_yuan", sa.BigInteger(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("tech_staff", sa.Integer(), nullable=True),
        sa.Column("ip_class1", sa.Integer(), nullable=True),
        sa.Column("ip_class2", sa.Integer(), nullable=True),
        sa.Column("tech_transformations", sa.Integer(), nullable=True),
        sa.Column("max_single_vc_yuan", sa.BigInteger(), nullable=True),
        sa.Column("contest_level", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("contest_prize", sa.Integer(), nullable=True),
        sa.Column("st_award_level", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("st_award_rank", sa.Integer(), nullable=True),
        sa.Column("rd_institution_level", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("standard_level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("standard_role", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("project_level", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("research_misconduct", sa.Boolean(), nullable=True),
        sa.Column("abnormal_operation", sa.Boolean(), nullable=True),
        sa.Column("serious_violation", sa.Boolean(), nullable=True),
        sa.Column("major_incident", sa.Boolean(), nullable=True),
        sa.Column("serious_fraud", sa.Boolean(), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("filing_id", sa.BigInteger(), nullable=False),
        sa.Column("revision_no", sa.Integer(), nullable=False),
        sa.CheckConstraint("employees >= 0", name=op.f("ck_filing_revision_employees_non_negative")),
        sa.CheckConstraint(
            "hitech_revenue_yuan >= 0", name=op.f("ck_filing_revision_hitech_revenue_yuan_non_negative")
        ),
        sa.CheckConstraint("ip_class1 >= 0", name=op.f("ck_filing_revision_ip_class1_non_negative")),
        sa.CheckConstraint("ip_class2 >= 0", name=op.f("ck_filing_revision_ip_class2_non_negative")),
        sa.CheckConstraint(
            "max_single_vc_yuan >= 0", name=op.f("ck_filing_revision_max_single_vc_yuan_non_negative")
        ),
        sa.CheckConstraint(
            "rd_domestic_yuan >= 0", name=op.f("ck_filing_revision_rd_domestic_yuan_non_negative")
        ),
        sa.CheckConstraint(
            "rd_expense_yuan >= 0", name=op.f("ck_filing_revision_rd_expense_yuan_non_negative")
        ),
        sa.CheckConstraint("revenue_yuan >= 0", name=op.f("ck_filing_revision_revenue_yuan_non_negative")),
        sa.CheckConstraint(
            "tech_staff <= employees", name=op.f("ck_filing_revision_tech_staff_within_employees")
        ),
        sa.CheckConstraint("tech_staff >= 0", name=op.f("ck_filing_revision_tech_staff_non_negative")),
        sa.CheckConstraint(
            "tech_transformations >= 0", name=op.f("ck_filing_revision_tech_transformations_non_negative")
        ),
        sa.CheckConstraint(
            "total_assets_yuan >= 0", name=op.f("ck_filing_revision_total_assets_yuan_non_negative")
        ),
        sa.CheckConstraint(
            "total_cost_yuan >= 0", name=op.f("ck_filing_revision_total_cost_yuan_non_negative")
        ),
        sa.CheckConstraint(
            "total_income_yuan >= 0", name=op.f("ck_filing_revision_total_income_yuan_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_filing_revision_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"], ["filing.id"], name=op.f("fk_filing_revision_filing_id_filing")
        ),
        sa.ForeignKeyConstraint(
            ["import_run_id"], ["import_run.id"], name=op.f("fk_filing_revision_import_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filing_revision")),
        sa.UniqueConstraint(
            "filing_id", "revision_no", name=op.f("uq_filing_revision_filing_id_revision_no")
        ),
    )
    op.create_index(op.f("ix_filing_revision_filing_id"), "filing_revision", ["filing_id"], unique=False)
    op.create_index(
        op.f("ix_filing_revision_import_run_id"), "filing_revision", ["import_run_id"], unique=False
    )
    op.create_table(
        "firm_revision",
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("import_run_id", sa.BigInteger(), nullable=True),
        sa.Column("source_sheet", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("legal_form", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("bureau_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("functional_zone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("tech_field", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("firm_id", sa.BigInteger(), nullable=False),
        sa.Column("revision_no", sa.Integer(), nullable=False),
        sa.CheckConstraint("revision_no >= 1", name=op.f("ck_firm_revision_revision_no_positive")),
        sa.ForeignKeyConstraint(
            ["bureau_code"], ["bureau.code"], name=op.f("fk_firm_revision_bureau_code_bureau")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_firm_revision_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["district.code"], name=op.f("fk_firm_revision_district_code_district")
        ),
        sa.ForeignKeyConstraint(["firm_id"], ["firm.id"], name=op.f("fk_firm_revision_firm_id_firm")),
        sa.ForeignKeyConstraint(
            ["functional_zone"],
            ["functional_zone.code"],
            name=op.f("fk_firm_revision_functional_zone_functional_zone"),
        ),
        sa.ForeignKeyConstraint(
            ["import_run_id"], ["import_run.id"], name=op.f("fk_firm_revision_import_run_id_import_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_revision")),
        sa.UniqueConstraint("firm_id", "revision_no", name=op.f("uq_firm_revision_firm_id_revision_no")),
    )
    op.create_index(op.f("ix_firm_revision_firm_id"), "firm_revision", ["firm_id"], unique=False)
    op.create_index(op.f("ix_firm_revision_import_run_id"), "firm_revision", ["import_run_id"], unique=False)
    _create_append_only_guards()


APPEND_ONLY = ("filing_revision", "firm_revision", "tier_transition", "audit_log")


def _create_append_only_guards() -> None:
    # History tables are the evidence trail: the database itself refuses to rewrite them.
    op.execute(
        """
        CREATE FUNCTION tidu_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
        END
        $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tidu_forbid_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION tidu_forbid_change()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS tidu_forbid_change()")
    op.drop_index(op.f("ix_firm_revision_import_run_id"), table_name="firm_revision")
    op.drop_index(op.f("ix_firm_revision_firm_id"), table_name="firm_revision")
    op.drop_table("firm_revision")
    op.drop_index(op.f("ix_filing_revision_import_run_id"), table_name="filing_revision")
    op.drop_index(op.f("ix_filing_revision_filing_id"), table_name="filing_revision")
    op.drop_table("filing_revision")
    op.drop_index(op.f("ix_tier_transition_tier_status_id"), table_name="tier_transition")
    op.drop_table("tier_transition")
    op.drop_index(op.f("ix_import_run_sha256"), table_name="import_run")
    op.drop_table("import_run")
    op.drop_index(op.f("ix_certificate_firm_id"), table_name="certificate")
    op.drop_table("certificate")
    op.drop_index(op.f("ix_auth_token_user_id"), table_name="auth_token")
    op.drop_table("auth_token")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("user")
    op.drop_index("ix_tier_status_tier_state", table_name="tier_status")
    op.drop_index(op.f("ix_tier_status_firm_id"), table_name="tier_status")
    op.drop_table("tier_status")
    op.drop_table("filing")
    op.drop_index("ix_firm_bureau_code", table_name="firm")
    op.drop_table("firm")
    op.drop_table("functional_zone")
    op.drop_table("district_target")
    op.drop_table("bureau")
    op.drop_table("district")
