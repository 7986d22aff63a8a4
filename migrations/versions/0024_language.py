"""The language a person used (Welsh Language Standards): kept with what they sent, so that the
emails and texts about it go out in that language.

`language` ('en' or 'cy', English by default) on the self-assessment report, the referral, the
DFG case (its public enquiry) and each message in the notify outbox. Added with plain
`ALTER TABLE ... ADD COLUMN` (both SQLite and PostgreSQL take a named CHECK there), so SQLite's
tables are not rebuilt (a rebuild would lose the referral queue's expression index).

Revision ID: 0024_language
Revises: 0024_sso
"""

from alembic import op

revision = "0024_language"
down_revision = "0024_sso"
branch_labels = None
depends_on = None

TABLES = ("advice_report", "referral", "dfg_case", "notification")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN language VARCHAR(2) DEFAULT 'en' NOT NULL "
                   f"CONSTRAINT ck_{table}_language CHECK (language IN ('en', 'cy'))")


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "postgresql":
            op.drop_constraint(f"ck_{table}_language", table, type_="check")
            op.drop_column(table, "language")
        else:  # SQLite cannot drop a column a CHECK names: rebuild the table without it
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(f"ck_{table}_language", type_="check")
                batch.drop_column("language")
