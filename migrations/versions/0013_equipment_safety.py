"""Equipment safety and stock integrity (issue 19 item 1).

- equipment_product.prescriber: who may prescribe the product; hoists, slings and bariatric
  equipment are set to "an OT or a level-4 trusted assessor".
- equipment_asset: serial numbers unique per product. A duplicate already stored keeps its first
  holder; the later ones get "-DUP<asset id>" appended, so nothing is lost and each can be
  corrected from the asset's record.
- equipment_stocktake: a large write-off waits for a manager's approval (state
  awaiting_approval, who submitted it, the missing count and value, who approved it).

Revision ID: 0013
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

PRESCRIBERS = ("any", "trusted_assessor_4", "occupational_therapist")


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("equipment_product") as batch:
        batch.add_column(sa.Column("prescriber", sa.String(length=30), server_default="any", nullable=False))
        batch.create_check_constraint("prescriber", _in("prescriber", PRESCRIBERS))
    bind.execute(sa.text(
        "UPDATE equipment_product SET prescriber = 'trusted_assessor_4' WHERE lower(name) LIKE '%hoist%' "
        "OR lower(name) LIKE '%sling%' OR lower(name) LIKE '%bariatric%'"))

    bind.execute(sa.text(
        "UPDATE equipment_asset SET serial = substr(serial, 1, 60) || '-DUP' || CAST(id AS VARCHAR(20)) "
        "WHERE serial IS NOT NULL AND EXISTS (SELECT 1 FROM equipment_asset AS first "
        "WHERE first.product_id = equipment_asset.product_id AND first.serial = equipment_asset.serial "
        "AND first.id < equipment_asset.id)"))
    with op.batch_alter_table("equipment_asset") as batch:
        batch.create_unique_constraint(op.f("uq_equipment_asset_product_id_serial"), ["product_id", "serial"])

    with op.batch_alter_table("equipment_stocktake") as batch:
        batch.drop_constraint(op.f("ck_equipment_stocktake_state"), type_="check")
        batch.alter_column("state", existing_type=sa.String(length=10), type_=sa.String(length=20),
                           existing_nullable=False)
        batch.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("missing_count", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("missing_value", sa.Numeric(12, 2), nullable=True))
        batch.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_equipment_stocktake_submitted_by_id_staff_user"), "staff_user",
                                 ["submitted_by_id"], ["id"])
        batch.create_foreign_key(op.f("fk_equipment_stocktake_approved_by_id_staff_user"), "staff_user",
                                 ["approved_by_id"], ["id"])
        batch.create_check_constraint("state", _in("state", ("open", "awaiting_approval", "completed")))


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE equipment_stocktake SET state = 'open' WHERE state = 'awaiting_approval'"))
    with op.batch_alter_table("equipment_stocktake") as batch:
        batch.drop_constraint(op.f("ck_equipment_stocktake_state"), type_="check")
        batch.drop_constraint(op.f("fk_equipment_stocktake_approved_by_id_staff_user"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_equipment_stocktake_submitted_by_id_staff_user"), type_="foreignkey")
        for column in ("approved_by_id", "approved_at", "missing_value", "missing_count", "submitted_by_id",
                       "submitted_at"):
            batch.drop_column(column)
        batch.alter_column("state", existing_type=sa.String(length=20), type_=sa.String(length=10),
                           existing_nullable=False)
        batch.create_check_constraint("state", "state IN ('open', 'completed')")
    with op.batch_alter_table("equipment_asset") as batch:
        batch.drop_constraint(op.f("uq_equipment_asset_product_id_serial"), type_="unique")
    with op.batch_alter_table("equipment_product") as batch:
        batch.drop_constraint(op.f("ck_equipment_product_prescriber"), type_="check")
        batch.drop_column("prescriber")
