"""Equipment recall after a field safety notice (issue 17 part 3).

- equipment_asset.status gains "quarantined": a recalled item held back in a store, never issued.
- equipment_order.collection_reason gains "product_recall".
- equipment_recall: the recall (product, scope, notice reference, action, reason, open or closed).
- equipment_recall_item: each affected item (an asset, or a quantity of counted stock), held in a
  store or at a home waiting for its collection or inspection, until it is resolved. A partial
  unique index keeps an asset in at most one unresolved recall item.

Revision ID: 0019_equipment_recall
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_equipment_recall"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD_STATUSES = ("available", "reserved", "on_loan", "awaiting_collection", "awaiting_cleaning", "in_repair",
                "retired")
NEW_STATUSES = OLD_STATUSES[:-1] + ("quarantined", "retired")
OLD_REASONS = ("no_longer_needed", "moved", "died", "care_home_amnesty")
NEW_REASONS = OLD_REASONS + ("product_recall",)
SCOPES = ("product", "serials", "supplied")
ACTIONS = ("collect_replace", "inspect", "stop_use")
ITEM_OPEN = ("held", "to_collect", "to_inspect")
ITEM_DONE = ("inspected", "disposed", "returned_to_supplier", "released", "closed")
OPEN_ASSET = "asset_id IS NOT NULL AND resolved_at IS NULL"


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("equipment_asset") as batch:
        batch.drop_constraint(op.f("ck_equipment_asset_status"), type_="check")
        batch.create_check_constraint("status", _in("status", NEW_STATUSES))
    with op.batch_alter_table("equipment_order") as batch:
        batch.drop_constraint(op.f("ck_equipment_order_collection_reason"), type_="check")
        batch.create_check_constraint("collection_reason",
                                      "collection_reason IS NULL OR " + _in("collection_reason", NEW_REASONS))

    t = "equipment_recall"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_key", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=12), nullable=False),
        sa.Column("serial_from", sa.String(length=80), nullable=True),
        sa.Column("serial_to", sa.String(length=80), nullable=True),
        sa.Column("supplied_from", sa.Date(), nullable=True),
        sa.Column("supplied_to", sa.Date(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("close_reason", sa.String(length=300), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("scope", SCOPES), name=op.f("ck_equipment_recall_scope")),
        sa.CheckConstraint(_in("action", ACTIONS), name=op.f("ck_equipment_recall_action")),
        sa.CheckConstraint(_in("state", ("open", "closed")), name=op.f("ck_equipment_recall_state")),
        sa.CheckConstraint("scope <> 'serials' OR (serial_from IS NOT NULL AND serial_to IS NOT NULL)",
                           name=op.f("ck_equipment_recall_serials")),
        sa.CheckConstraint("scope <> 'supplied' OR (supplied_from IS NOT NULL AND supplied_to IS NOT NULL "
                           "AND supplied_from <= supplied_to)", name=op.f("ck_equipment_recall_supplied")),
        sa.CheckConstraint("(state = 'open' AND closed_at IS NULL) OR (state = 'closed' AND closed_at IS NOT NULL)",
                           name=op.f("ck_equipment_recall_closed")),
        sa.ForeignKeyConstraint(["product_id"], ["equipment_product.id"],
                                name=op.f("fk_equipment_recall_product_id_equipment_product")),
        sa.ForeignKeyConstraint(["started_by_id"], ["staff_user.id"],
                                name=op.f("fk_equipment_recall_started_by_id_staff_user")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["staff_user.id"],
                                name=op.f("fk_equipment_recall_closed_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_recall")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_equipment_recall_submission_key")),
    )
    op.create_index("ix_equipment_recall_product_state", t, ["product_id", "state"])

    t = "equipment_recall_item"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recall_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("fitted_by_telecare", sa.Boolean(), nullable=False),
        sa.Column("was_on_loan", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.CheckConstraint(_in("state", ITEM_OPEN + ITEM_DONE), name=op.f("ck_equipment_recall_item_state")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_equipment_recall_item_quantity")),
        sa.CheckConstraint("asset_id IS NULL OR quantity = 1", name=op.f("ck_equipment_recall_item_asset_quantity")),
        sa.CheckConstraint(f"({_in('state', ITEM_OPEN)} AND resolved_at IS NULL) OR "
                           f"({_in('state', ITEM_DONE)} AND resolved_at IS NOT NULL)",
                           name=op.f("ck_equipment_recall_item_resolved")),
        sa.ForeignKeyConstraint(["recall_id"], ["equipment_recall.id"],
                                name=op.f("fk_equipment_recall_item_recall_id_equipment_recall")),
        sa.ForeignKeyConstraint(["asset_id"], ["equipment_asset.id"],
                                name=op.f("fk_equipment_recall_item_asset_id_equipment_asset")),
        sa.ForeignKeyConstraint(["store_id"], ["equipment_store.id"],
                                name=op.f("fk_equipment_recall_item_store_id_equipment_store")),
        sa.ForeignKeyConstraint(["order_line_id"], ["equipment_order_line.id"],
                                name=op.f("fk_equipment_recall_item_order_line_id_equipment_order_line")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_equipment_recall_item_person_id_person")),
        sa.ForeignKeyConstraint(["organisation_id"], ["equipment_borrower_organisation.id"],
                                name=op.f("fk_equipment_recall_item_organisation_id_equipment_borrower_organisation")),
        sa.ForeignKeyConstraint(["order_id"], ["equipment_order.id"],
                                name=op.f("fk_equipment_recall_item_order_id_equipment_order")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["staff_user.id"],
                                name=op.f("fk_equipment_recall_item_resolved_by_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_recall_item")),
    )
    op.create_index("uq_equipment_recall_item_open_asset", t, ["asset_id"], unique=True,
                    sqlite_where=sa.text(OPEN_ASSET), postgresql_where=sa.text(OPEN_ASSET))
    op.create_index("ix_equipment_recall_item_recall_state", t, ["recall_id", "state"])
    op.create_index(op.f("ix_equipment_recall_item_asset_id"), t, ["asset_id"])
    op.create_index(op.f("ix_equipment_recall_item_person_id"), t, ["person_id"])


def downgrade() -> None:
    op.drop_table("equipment_recall_item")
    op.drop_table("equipment_recall")
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE equipment_asset SET status = 'awaiting_cleaning' WHERE status = 'quarantined'"))
    bind.execute(sa.text("UPDATE equipment_order SET collection_reason = 'no_longer_needed' "
                         "WHERE collection_reason = 'product_recall'"))
    with op.batch_alter_table("equipment_order") as batch:
        batch.drop_constraint(op.f("ck_equipment_order_collection_reason"), type_="check")
        batch.create_check_constraint("collection_reason",
                                      "collection_reason IS NULL OR " + _in("collection_reason", OLD_REASONS))
    with op.batch_alter_table("equipment_asset") as batch:
        batch.drop_constraint(op.f("ck_equipment_asset_status"), type_="check")
        batch.create_check_constraint("status", _in("status", OLD_STATUSES))
