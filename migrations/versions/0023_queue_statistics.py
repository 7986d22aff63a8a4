"""The filtered triage queue reads its own index, and PostgreSQL knows how common each priority is.

The queue's most used filters are the locality and the priority a referral's clocks run on
(`coalesce(priority, suggested_priority, 'routine')`). PostgreSQL had no statistics on that
expression, so it guessed 0.5 % of rows and took the locality index, reading every referral in
the locality (bench/results: 565 ms p95 at 8 connections). Now:
- `ix_referral_open_locality_priority`: open referrals by locality and priority, in time-left order,
  so a filtered page reads its 50 rows in order and its count reads one range;
- `st_referral_effective_priority` (PostgreSQL 14+): statistics on the expression, so estimates
  are right for every other combination of filters too.

Revision ID: 0023_queue_statistics
Revises: 0022_referral_screens
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_queue_statistics"
down_revision = "0022_referral_screens"
branch_labels = None
depends_on = None

OPEN = sa.text("next_due_at IS NOT NULL")
EFFECTIVE_PRIORITY = "coalesce(priority, suggested_priority, 'routine')"


def upgrade() -> None:
    op.create_index("ix_referral_open_locality_priority", "referral",
                    ["locality", sa.text(EFFECTIVE_PRIORITY), "next_due_at", "id"],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.dialect.server_version_info >= (14,):
        op.execute(f"CREATE STATISTICS IF NOT EXISTS st_referral_effective_priority ON ({EFFECTIVE_PRIORITY}) "
                   "FROM referral")
    op.execute("ANALYZE referral")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_referral_effective_priority")
    op.drop_index("ix_referral_open_locality_priority", table_name="referral")
