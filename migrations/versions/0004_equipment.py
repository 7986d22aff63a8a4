"""Equipment: catalogue, kits, stores, assets, counted stock, orders, movements ledger,
borrower organisations, amnesties and stocktakes.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

CATEGORIES = ("telecare", "telehealth", "environmental_controls", "community_equipment")
ASSET_STATUSES = ("available", "reserved", "on_loan", "awaiting_collection", "awaiting_cleaning",
                  "in_repair", "retired")
ORDER_STATES = ("requested", "reserved", "delivered", "collection_requested", "collected", "cancelled")
COLLECTION_REASONS = ("no_longer_needed", "moved", "died", "care_home_amnesty")
OPEN_LINE = "asset_id IS NOT NULL AND released_at IS NULL"


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _pk(table):
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table, column, target, ondelete=None):
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade():
    t = "equipment_product"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("supply", sa.String(length=10), nullable=False),
        sa.Column("tracking", sa.String(length=12), nullable=False),
        sa.Column("self_purchase", sa.Boolean(), nullable=False),
        sa.Column("price_min", sa.Numeric(10, 2), nullable=True),
        sa.Column("price_max", sa.Numeric(10, 2), nullable=True),
        sa.Column("what_to_look_for", sa.Text(), nullable=True),
        sa.Column("inspection_months", sa.Integer(), nullable=True),
        sa.Column("warranty_months", sa.Integer(), nullable=True),
        sa.Column("cleaning_required", sa.Boolean(), nullable=False),
        sa.Column("unit_cost", sa.Numeric(10, 2), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("category", CATEGORIES), name=op.f("ck_equipment_product_category")),
        sa.CheckConstraint("supply IN ('loan', 'issue')", name=op.f("ck_equipment_product_supply")),
        sa.CheckConstraint("tracking IN ('serialised', 'counted')", name=op.f("ck_equipment_product_tracking")),
        sa.CheckConstraint("inspection_months IS NULL OR inspection_months > 0",
                           name=op.f("ck_equipment_product_inspection_months")),
        sa.CheckConstraint("warranty_months IS NULL OR warranty_months >= 0",
                           name=op.f("ck_equipment_product_warranty_months")),
        _pk(t),
        sa.UniqueConstraint("code", name=op.f("uq_equipment_product_code")),
    )

    t = "equipment_kit"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        _pk(t),
        sa.UniqueConstraint("code", name=op.f("uq_equipment_kit_code")),
    )
    t = "equipment_kit_item"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_equipment_kit_item_quantity")),
        _fk(t, "kit_id", "equipment_kit", "CASCADE"),
        _fk(t, "product_id", "equipment_product"),
        _pk(t),
        sa.UniqueConstraint("kit_id", "product_id", name=op.f("uq_equipment_kit_item_kit_id_product_id")),
    )

    t = "equipment_store"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        _pk(t),
        sa.UniqueConstraint("code", name=op.f("uq_equipment_store_code")),
    )

    t = "equipment_borrower_organisation"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.CheckConstraint("kind IN ('care_home', 'supported_living', 'other')",
                           name=op.f("ck_equipment_borrower_organisation_kind")),
        _pk(t),
        sa.UniqueConstraint("name", name=op.f("uq_equipment_borrower_organisation_name")),
    )

    t = "equipment_asset"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_tag", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.String(length=80), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("on_loan_since", sa.DateTime(), nullable=True),
        sa.Column("loan_count", sa.Integer(), nullable=False),
        sa.Column("purchased_on", sa.Date(), nullable=True),
        sa.Column("purchase_cost", sa.Numeric(10, 2), nullable=True),
        sa.Column("last_inspected_on", sa.Date(), nullable=True),
        sa.Column("next_inspection_due", sa.Date(), nullable=True),
        sa.Column("warranty_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("status", ASSET_STATUSES), name=op.f("ck_equipment_asset_status")),
        sa.CheckConstraint("purchase_cost IS NULL OR purchase_cost >= 0",
                           name=op.f("ck_equipment_asset_purchase_cost")),
        sa.CheckConstraint("loan_count >= 0", name=op.f("ck_equipment_asset_loan_count")),
        _fk(t, "product_id", "equipment_product"),
        _fk(t, "store_id", "equipment_store"),
        _fk(t, "person_id", "person"),
        _fk(t, "organisation_id", "equipment_borrower_organisation"),
        _pk(t),
        sa.UniqueConstraint("asset_tag", name=op.f("uq_equipment_asset_asset_tag")),
    )
    op.create_index(op.f("ix_equipment_asset_product_id"), t, ["product_id"])
    op.create_index(op.f("ix_equipment_asset_person_id"), t, ["person_id"])
    op.create_index(op.f("ix_equipment_asset_organisation_id"), t, ["organisation_id"])
    op.create_index("ix_equipment_asset_store_status", t, ["store_id", "status", "product_id"])
    op.create_index("ix_equipment_asset_next_inspection_due", t, ["next_inspection_due"])
    op.create_index("ix_equipment_asset_warranty_end", t, ["warranty_end"])

    t = "equipment_stock_level"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("awaiting_cleaning", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_equipment_stock_level_on_hand")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_equipment_stock_level_reserved")),
        sa.CheckConstraint("reserved <= on_hand", name=op.f("ck_equipment_stock_level_reserved_le_on_hand")),
        sa.CheckConstraint("awaiting_cleaning >= 0", name=op.f("ck_equipment_stock_level_awaiting_cleaning")),
        sa.CheckConstraint("reorder_level >= 0", name=op.f("ck_equipment_stock_level_reorder_level")),
        _fk(t, "store_id", "equipment_store"),
        _fk(t, "product_id", "equipment_product"),
        _pk(t),
        sa.UniqueConstraint("store_id", "product_id", name=op.f("uq_equipment_stock_level_store_id_product_id")),
    )
    op.create_index(op.f("ix_equipment_stock_level_product_id"), t, ["product_id"])

    t = "equipment_amnesty"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("months > 0", name=op.f("ck_equipment_amnesty_months")),
        _fk(t, "organisation_id", "equipment_borrower_organisation"),
        _fk(t, "started_by_id", "staff_user"),
        _pk(t),
    )

    t = "equipment_order"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_key", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("kit_id", sa.Integer(), nullable=True),
        sa.Column("amnesty_id", sa.Integer(), nullable=True),
        sa.Column("locality", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.Column("delivered_on_time", sa.Boolean(), nullable=True),
        sa.Column("collection_requested_at", sa.DateTime(), nullable=True),
        sa.Column("collection_reason", sa.String(length=24), nullable=True),
        sa.Column("collection_due", sa.Date(), nullable=True),
        sa.Column("collected_at", sa.DateTime(), nullable=True),
        sa.Column("collected_by_id", sa.Integer(), nullable=True),
        sa.Column("collected_on_time", sa.Boolean(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("state", ORDER_STATES), name=op.f("ck_equipment_order_state")),
        sa.CheckConstraint("priority IN ('urgent', 'standard')", name=op.f("ck_equipment_order_priority")),
        sa.CheckConstraint("collection_reason IS NULL OR " + _in("collection_reason", COLLECTION_REASONS),
                           name=op.f("ck_equipment_order_collection_reason")),
        sa.CheckConstraint("person_id IS NOT NULL OR organisation_id IS NOT NULL",
                           name=op.f("ck_equipment_order_borrower")),
        _fk(t, "person_id", "person"),
        _fk(t, "organisation_id", "equipment_borrower_organisation"),
        _fk(t, "store_id", "equipment_store"),
        _fk(t, "kit_id", "equipment_kit"),
        _fk(t, "amnesty_id", "equipment_amnesty"),
        _fk(t, "raised_by_id", "staff_user"),
        _fk(t, "delivered_by_id", "staff_user"),
        _fk(t, "collected_by_id", "staff_user"),
        _pk(t),
        sa.UniqueConstraint("submission_key", name=op.f("uq_equipment_order_submission_key")),
    )
    op.create_index(op.f("ix_equipment_order_person_id"), t, ["person_id"])
    op.create_index(op.f("ix_equipment_order_organisation_id"), t, ["organisation_id"])
    op.create_index("ix_equipment_order_state_due", t, ["state", "due_date"])
    op.create_index("ix_equipment_order_delivered_at", t, ["delivered_at"])

    t = "equipment_order_line"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("reissue", sa.Boolean(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_equipment_order_line_quantity")),
        _fk(t, "order_id", "equipment_order", "CASCADE"),
        _fk(t, "product_id", "equipment_product"),
        _fk(t, "asset_id", "equipment_asset"),
        _pk(t),
    )
    op.create_index(op.f("ix_equipment_order_line_order_id"), t, ["order_id"])
    # One asset is on at most one open order line (the database backstop, RELIABILITY.md §3.3).
    op.create_index("uq_equipment_order_line_open_asset", t, ["asset_id"], unique=True,
                    sqlite_where=sa.text(OPEN_LINE), postgresql_where=sa.text(OPEN_LINE))

    t = "equipment_movement"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("on_hand_change", sa.Integer(), nullable=False),
        sa.Column("reserved_change", sa.Integer(), nullable=False),
        sa.Column("cleaning_change", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=160), nullable=False),
        _fk(t, "store_id", "equipment_store"),
        _fk(t, "product_id", "equipment_product"),
        _fk(t, "asset_id", "equipment_asset"),
        _fk(t, "order_id", "equipment_order"),
        _fk(t, "actor_id", "staff_user"),
        _pk(t),
    )
    op.create_index(op.f("ix_equipment_movement_order_id"), t, ["order_id"])
    op.create_index("ix_equipment_movement_stock", t, ["store_id", "product_id"])
    op.create_index("ix_equipment_movement_asset", t, ["asset_id", "id"])

    t = "equipment_stocktake"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint("state IN ('open', 'completed')", name=op.f("ck_equipment_stocktake_state")),
        _fk(t, "store_id", "equipment_store"),
        _fk(t, "started_by_id", "staff_user"),
        _pk(t),
    )
    op.create_index(op.f("ix_equipment_stocktake_store_id"), t, ["store_id"])
    t = "equipment_stocktake_scan"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stocktake_id", sa.Integer(), nullable=False),
        sa.Column("asset_tag", sa.String(length=40), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        _fk(t, "stocktake_id", "equipment_stocktake", "CASCADE"),
        _fk(t, "asset_id", "equipment_asset"),
        _pk(t),
        sa.UniqueConstraint("stocktake_id", "asset_tag",
                            name=op.f("uq_equipment_stocktake_scan_stocktake_id_asset_tag")),
    )

    _append_only("equipment_movement")


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on the ledger (refuse_change() comes from migration 0001)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION refuse_change()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS equipment_movement_append_only ON equipment_movement")
    for table in ("equipment_stocktake_scan", "equipment_stocktake", "equipment_movement",
                  "equipment_order_line", "equipment_order", "equipment_amnesty", "equipment_stock_level",
                  "equipment_asset", "equipment_borrower_organisation", "equipment_store",
                  "equipment_kit_item", "equipment_kit", "equipment_product"):
        op.drop_table(table)
