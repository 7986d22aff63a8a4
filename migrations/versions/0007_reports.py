"""Reports: indexes for the dashboard's aggregate queries.

Revision ID: 0007
Revises: 0003
"""

from alembic import op

revision = "0007"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_referral_closed", "referral", ["closed_at"])
    op.create_index("ix_referral_assessed", "referral", ["assessed_at"])
    op.create_index("ix_referral_received_demand", "referral", ["received_at", "locality", "source"])
    op.create_index("ix_referral_advice_report", "referral", ["advice_report_id"])


def downgrade() -> None:
    op.drop_index("ix_referral_advice_report", table_name="referral")
    op.drop_index("ix_referral_received_demand", table_name="referral")
    op.drop_index("ix_referral_assessed", table_name="referral")
    op.drop_index("ix_referral_closed", table_name="referral")
