"""History rows without per-row foreign-key checks; the rows they name cannot be deleted.

A bulk import writes one firm_revision and one filing_revision per firm. Their foreign keys to
reference codes (bureau, district, zone: a snapshot of what the firm had then) and to provenance
(import run, user) were each checked row by row: about 0.3 s per key per 100,000 rows, 1.3 s of
a 100,000-firm import. The keys a revision cannot live without stay (firm_id, filing_id); the
rows the others point at are now protected from DELETE and TRUNCATE instead, so nothing a
revision names can disappear.

Revision ID: 0008_history_without_row_checks
Revises: 0007_login_failures
Create Date: 2026-12-03 08:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_history_without_row_checks"
down_revision: str | None = "0007_login_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, referenced table, referenced column)
DROPPED = (
    ("firm_revision", "bureau_code", "bureau", "code"),
    ("firm_revision", "district_code", "district", "code"),
    ("firm_revision", "functional_zone", "functional_zone", "code"),
    ("firm_revision", "import_run_id", "import_run", "id"),
    ("firm_revision", "created_by_id", "user", "id"),
    ("filing_revision", "import_run_id", "import_run", "id"),
    ("filing_revision", "created_by_id", "user", "id"),
)
NEVER_DELETED = ("bureau", "district", "functional_zone", "import_run", "user")


def upgrade() -> None:
    for table, column, target, _ in DROPPED:
        op.drop_constraint(f"fk_{table}_{column}_{target}", table, type_="foreignkey")
    op.execute(
        """
        CREATE FUNCTION tidu_forbid_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'rows of % are never deleted (history names them): % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'restrict_violation';
        END
        $$
        """
    )
    for table in NEVER_DELETED:
        op.execute(
            f'CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION tidu_forbid_delete()"
        )
        op.execute(
            f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION tidu_forbid_delete()"
        )


def downgrade() -> None:
    for table in NEVER_DELETED:
        op.execute(f'DROP TRIGGER IF EXISTS {table}_never_deleted ON "{table}"')
        op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS tidu_forbid_delete()")
    for table, column, target, key in DROPPED:
        op.create_foreign_key(f"fk_{table}_{column}_{target}", table, target, [column], [key])
