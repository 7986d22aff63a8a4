"""The triage queue reads open referrals from a partial covering index; one head again.

Revision ID: 0009
Revises: 0005, 0006, 0007a
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = ("0005", "0006", "0007a")
branch_labels = None
depends_on = None

OPEN = sa.text("next_due_at IS NOT NULL")
FILTERS = ["priority", "suggested_priority", "locality", "source", "assigned_to_id", "route", "paused_since"]


def upgrade() -> None:
    op.drop_index("ix_referral_due", table_name="referral")
    op.create_index("ix_referral_open", "referral", ["next_due_at", "id", *FILTERS],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_referral_open_name", "referral", ["search_name", "next_due_at", "id"],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE")  # SQLite only plans with the new index well once it has statistics


def downgrade() -> None:
    op.drop_index("ix_referral_open_name", table_name="referral")
    op.drop_index("ix_referral_open", table_name="referral")
    op.create_index("ix_referral_due", "referral", ["next_due_at", "id"])
