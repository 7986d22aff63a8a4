"""An equipment order remembers the referral (and its assessment) it was prescribed from.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("equipment_order") as batch:
        batch.add_column(sa.Column("referral_id", sa.Integer(), nullable=True))
        batch.create_index("ix_equipment_order_referral_id", ["referral_id"])
        batch.create_foreign_key("fk_equipment_order_referral_id_referral", "referral", ["referral_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("equipment_order") as batch:
        batch.drop_constraint("fk_equipment_order_referral_id_referral", type_="foreignkey")
        batch.drop_index("ix_equipment_order_referral_id")
        batch.drop_column("referral_id")
