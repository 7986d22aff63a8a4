"""The dashboard's figures kept as daily totals (issue 13): written from scratch by
`flask reports refresh` (scheduled), read by the reports pages with the time they are true at.
The refresh row starts empty (never refreshed): until the first refresh the pages work the figures
out live, so a fresh install shows figures. Also two indexes for the DFG end-to-end times.

Revision ID: 0023_dashboard_figures
Revises: 0023_queue_statistics
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_dashboard_figures"
down_revision = "0023_queue_statistics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_referral_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locality", sa.String(40), nullable=False),
        sa.Column("source", sa.String(30), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("contacts_due", sa.Integer(), nullable=False),
        sa.Column("contacted_in_time", sa.Integer(), nullable=False),
        sa.Column("assessments_due", sa.Integer(), nullable=False),
        sa.Column("assessed_in_time", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "locality", "source", "priority", name=op.f("pk_report_referral_day")),
    )
    op.create_table(
        "report_need_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locality", sa.String(40), nullable=False),
        sa.Column("need", sa.String(30), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "locality", "need", name=op.f("pk_report_need_day")),
    )
    op.create_table(
        "report_advice_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("self_help", sa.Integer(), nullable=False),
        sa.Column("asked_for_help", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_advice_day")),
    )
    op.create_table(
        "report_assessed_wait",
        sa.Column("referral_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("locality", sa.String(40), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_report_assessed_wait")),
    )
    op.create_index("ix_report_assessed_wait_day", "report_assessed_wait",
                    ["day", "locality", "priority", "wait_seconds"])
    refresh = op.create_table(
        "report_refresh",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_refresh")),
    )
    op.bulk_insert(refresh, [{"id": 1, "as_of": None, "seconds": None}])
    # DFG end-to-end times (REP-06) read the grants finished in a period from these, not the whole table
    op.create_index("ix_dfg_case_completed_report", "dfg_case", ["completed_date", "locality", "created_at"])
    op.create_index("ix_dfg_case_paid_report", "dfg_case", ["paid_date", "locality", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_dfg_case_paid_report", table_name="dfg_case")
    op.drop_index("ix_dfg_case_completed_report", table_name="dfg_case")
    op.drop_table("report_refresh")
    op.drop_index("ix_report_assessed_wait_day", table_name="report_assessed_wait")
    op.drop_table("report_assessed_wait")
    op.drop_table("report_advice_day")
    op.drop_table("report_need_day")
    op.drop_table("report_referral_day")
