"""The self-assessment report's answers are private: a date of birth or an emailed code to see
them, with failed tries counted and locked in the database.

Revision ID: 0020_advice_report_privacy
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_advice_report_privacy"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advice_report") as batch:
        batch.add_column(sa.Column("dob_hash", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("email_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("check_code_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("check_code_expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("check_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("check_locked_until", sa.DateTime(), nullable=True))
        batch.create_check_constraint(
            "protected_when_done", "(dob_hash IS NULL AND email_hash IS NULL) OR status = 'completed'")
        batch.create_check_constraint(
            "code_expiry", "(check_code_hash IS NULL AND check_code_expires_at IS NULL) OR "
                           "(check_code_hash IS NOT NULL AND check_code_expires_at IS NOT NULL)")
        batch.create_check_constraint("check_failures", "check_failures >= 0")


def downgrade() -> None:
    with op.batch_alter_table("advice_report") as batch:
        batch.drop_constraint(op.f("ck_advice_report_check_failures"), type_="check")
        batch.drop_constraint(op.f("ck_advice_report_code_expiry"), type_="check")
        batch.drop_constraint(op.f("ck_advice_report_protected_when_done"), type_="check")
        for column in ("check_locked_until", "check_failures", "check_code_expires_at", "check_code_hash",
                       "email_hash", "dob_hash"):
            batch.drop_column(column)
