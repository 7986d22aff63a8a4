"""Reports: covering indexes, so each dashboard query reads one index and no table rows.

Revision ID: 0007a
Revises: 0007
"""

from alembic import op

revision = "0007a"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_referral_closed", table_name="referral")
    op.drop_index("ix_referral_assessed", table_name="referral")
    op.create_index("ix_referral_closed_outcome", "referral", ["closed_at", "locality", "state", "outcome"])
    op.create_index("ix_referral_assessed_wait", "referral",
                    ["assessed_at", "locality", "received_at", "priority", "suggested_priority"])
    op.create_index("ix_referral_received_timeliness", "referral",
                    ["received_at", "locality", "priority", "suggested_priority", "state", "first_contact_at",
                     "contact_due_at", "assessed_at", "assessment_due_at"])
    op.create_index("ix_referral_open_overdue", "referral",
                    ["state", "locality", "priority", "suggested_priority", "paused_since", "assessed_at",
                     "next_due_at"])
    op.create_index("ix_advice_report_completed_outcome", "advice_report", ["status", "completed_at", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_advice_report_completed_outcome", table_name="advice_report")
    op.drop_index("ix_referral_open_overdue", table_name="referral")
    op.drop_index("ix_referral_received_timeliness", table_name="referral")
    op.drop_index("ix_referral_assessed_wait", table_name="referral")
    op.drop_index("ix_referral_closed_outcome", table_name="referral")
    op.create_index("ix_referral_assessed", "referral", ["assessed_at"])
    op.create_index("ix_referral_closed", "referral", ["closed_at"])
