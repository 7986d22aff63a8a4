"""A short code to carry on with an unfinished self-assessment on another device.

Revision ID: 0012_advice_resume
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_advice_resume"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advice_report") as batch:
        batch.add_column(sa.Column("resume_code", sa.String(length=10), nullable=True))
        batch.create_unique_constraint(op.f("uq_advice_report_resume_code"), ["resume_code"])


def downgrade() -> None:
    with op.batch_alter_table("advice_report") as batch:
        batch.drop_constraint(op.f("uq_advice_report_resume_code"), type_="unique")
        batch.drop_column("resume_code")
