"""Referrals with no running clock (assessed, or paused) are never "overdue": the queue's
"Overdue only" filter reads next_due_at, so those rows get the far-future sentinel the services
now write (portal.referrals.services NO_RUNNING_CLOCK).

Revision ID: 0011
Revises: 0010
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NO_RUNNING_CLOCK = datetime(9999, 1, 1)


def upgrade() -> None:
    op.get_bind().execute(
        sa.text("UPDATE referral SET next_due_at = :never WHERE state = 'assessed' OR "
                "(paused_since IS NOT NULL AND state IN ('submitted', 'screened', 'awaiting_assessment'))"),
        {"never": NO_RUNNING_CLOCK})


def downgrade() -> None:
    """The old values cannot be known again; the services recompute them on the next change."""
