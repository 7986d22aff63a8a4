"""Equipment: catalogue, stores, serialised assets, counted stock, orders and the movements ledger.

Integrity lives in the database: CHECK constraints keep counted stock from going negative or
over-reserved, a partial unique index keeps one asset on at most one open order line, and the
movements ledger refuses UPDATE and DELETE (a trigger, see migration 0004).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.timeutil import utcnow

CATEGORIES = {
    "telecare": "Telecare",
    "telehealth": "Telehealth",
    "environmental_controls": "Environmental controls",
    "community_equipment": "Community equipment",
}
SUPPLY = {"loan": "Loaned", "issue": "Issued (kept by the person)"}
TRACKING = {"serialised": "Serialised (each item has an asset tag)", "counted": "Counted stock"}

ASSET_STATUSES = {
    "available": "Available",
    "reserved": "Reserved",
    "on_loan": "On loan",
    "awaiting_collection": "Awaiting collection",
    "awaiting_cleaning": "Awaiting cleaning",
    "in_repair": "In repair",
    "quarantined": "Quarantined (recalled)",
    "retired": "Retired",
}
ORDER_STATES = {
    "requested": "Requested",
    "reserved": "Reserved",
    "delivered": "Delivered",
    "collection_requested": "Collection requested",
    "collected": "Collected",
    "cancelled": "Cancelled",
}
OPEN_ORDER_STATES = ("requested", "reserved")
PRIORITIES = {"urgent": "Urgent (same or next working day)", "standard": "Standard (within 7 working days)"}
COLLECTION_REASONS = {
    "no_longer_needed": "No longer needed",
    "moved": "The person has moved",
    "died": "The person has died",
    "care_home_amnesty": "Care home amnesty",
    "product_recall": "Product recall (field safety notice)",
}
ORGANISATION_KINDS = {"care_home": "Care home", "supported_living": "Supported living", "other": "Other"}
# Who may prescribe a product (DESIGN.md 4): moving-and-handling and bariatric equipment is for an
# occupational therapist or a level-4 trusted assessor; some specialist items for an OT alone.
PRESCRIBER_LEVELS = {
    "any": "Any prescriber",
    "trusted_assessor_4": "An occupational therapist or a trusted assessor of level 4",
    "occupational_therapist": "An occupational therapist only",
}
PRESCRIBER_SHORT = {"any": "Any prescriber", "trusted_assessor_4": "OT or trusted assessor level 4",
                    "occupational_therapist": "OT only"}
STOCKTAKE_STATES = {"open": "Open", "awaiting_approval": "Awaiting a manager's approval", "completed": "Completed"}
MOVEMENT_KINDS = (
    "received", "reserve", "release", "deliver", "collection_requested", "collect", "clean",
    "repair", "repaired", "retire", "inspect", "adjust", "transfer", "quarantine", "release",
)
RECALL_SCOPES = {
    "product": "Every item of the product",
    "serials": "A range of serial numbers",
    "supplied": "Items supplied between two dates",
}
RECALL_ACTIONS = {
    "collect_replace": "Collect and replace",
    "inspect": "Inspect in place",
    "stop_use": "Stop use and collect",
}
RECALL_STATES = {"open": "Open", "closed": "Closed"}
# An affected item: held in a store, or at a home waiting for its collection or inspection; then
# resolved (inspected and safe, disposed of, returned to the supplier, released after the fix, or
# left open when the recall was closed with a reason).
RECALL_ITEM_OPEN = {
    "held": "Held in store (quarantined)",
    "to_collect": "To collect from the home",
    "to_inspect": "To inspect at the home",
}
RECALL_ITEM_DONE = {
    "inspected": "Inspected: safe to keep using",
    "disposed": "Disposed of",
    "returned_to_supplier": "Returned to the supplier",
    "released": "Released back to stock after the fix",
    "closed": "Closed with the recall",
}
RECALL_ITEM_STATES = {**RECALL_ITEM_OPEN, **RECALL_ITEM_DONE}


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Product(db.Model):
    """A catalogue entry. Self-purchase information is shown by the advice pages."""

    __tablename__ = "equipment_product"
    __table_args__ = (
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("supply", SUPPLY), name="supply"),
        CheckConstraint(_in("tracking", TRACKING), name="tracking"),
        CheckConstraint("inspection_months IS NULL OR inspection_months > 0", name="inspection_months"),
        CheckConstraint("warranty_months IS NULL OR warranty_months >= 0", name="warranty_months"),
        CheckConstraint(_in("prescriber", PRESCRIBER_LEVELS), name="prescriber"),
        CheckConstraint("alarm_unit IS NULL OR alarm_unit IN ('digital', 'analogue')", name="alarm_unit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    area: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    supply: Mapped[str] = mapped_column(String(10), default="loan")
    tracking: Mapped[str] = mapped_column(String(12), default="counted")
    self_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    price_min: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    price_max: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    what_to_look_for: Mapped[str | None] = mapped_column(Text)
    inspection_months: Mapped[int | None]
    warranty_months: Mapped[int | None]
    cleaning_required: Mapped[bool] = mapped_column(Boolean, default=True)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    prescriber: Mapped[str] = mapped_column(String(30), default="any", server_default="any")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A telecare alarm unit: "digital" (works on a digital or mobile line) or "analogue"; None for
    # anything that is not an alarm unit (pendants, sensors...). From catalogue.yaml (migration 0017).
    alarm_unit: Mapped[str | None] = mapped_column(String(10))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def prescriber_label(self) -> str:
        return PRESCRIBER_LEVELS.get(self.prescriber, self.prescriber)

    @property
    def prescriber_short(self) -> str:
        return PRESCRIBER_SHORT.get(self.prescriber, self.prescriber)

    @property
    def serialised(self) -> bool:
        return self.tracking == "serialised"

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)


class Kit(db.Model):
    """Products issued together (for example a single-handed-care kit)."""

    __tablename__ = "equipment_kit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    items: Mapped[list["KitItem"]] = relationship(back_populates="kit", cascade="all, delete-orphan")


class KitItem(db.Model):
    __tablename__ = "equipment_kit_item"
    __table_args__ = (
        UniqueConstraint("kit_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("equipment_kit.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("equipment_product.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    kit: Mapped[Kit] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class Store(db.Model):
    __tablename__ = "equipment_store"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    locality: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))


class BorrowerOrganisation(db.Model):
    """A care home or supported-living provider that holds loans for its residents."""

    __tablename__ = "equipment_borrower_organisation"
    __table_args__ = (CheckConstraint(_in("kind", ORGANISATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    locality: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))


class Asset(db.Model):
    """One physical, serialised item (a hoist, a bed, a pendant alarm)."""

    __tablename__ = "equipment_asset"
    __table_args__ = (
        CheckConstraint(_in("status", ASSET_STATUSES), name="status"),
        CheckConstraint("purchase_cost IS NULL OR purchase_cost >= 0", name="purchase_cost"),
        CheckConstraint("loan_count >= 0", name="loan_count"),
        UniqueConstraint("product_id", "serial"),
        Index("ix_equipment_asset_store_status", "store_id", "status", "product_id"),
        Index("ix_equipment_asset_next_inspection_due", "next_inspection_due"),
        Index("ix_equipment_asset_warranty_end", "warranty_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    serial: Mapped[str | None] = mapped_column(String(80))
    product_id: Mapped[int] = mapped_column(ForeignKey("equipment_product.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("equipment_store.id"))
    status: Mapped[str] = mapped_column(String(24), default="available")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("equipment_borrower_organisation.id"), index=True)
    on_loan_since: Mapped[datetime | None]
    loan_count: Mapped[int] = mapped_column(default=0)
    purchased_on: Mapped[date | None]
    purchase_cost: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    last_inspected_on: Mapped[date | None]
    next_inspection_due: Mapped[date | None]
    warranty_end: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    product: Mapped[Product] = relationship()
    store: Mapped[Store] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return ASSET_STATUSES.get(self.status, self.status)


class StockLevel(db.Model):
    """Counted stock of one product in one store. on_hand counts what is on the shelf (clean);
    awaiting_cleaning counts returned loan items that are not yet usable."""

    __tablename__ = "equipment_stock_level"
    __table_args__ = (
        UniqueConstraint("store_id", "product_id"),
        CheckConstraint("on_hand >= 0", name="on_hand"),
        CheckConstraint("reserved >= 0", name="reserved"),
        CheckConstraint("reserved <= on_hand", name="reserved_le_on_hand"),
        CheckConstraint("awaiting_cleaning >= 0", name="awaiting_cleaning"),
        CheckConstraint("reorder_level >= 0", name="reorder_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("equipment_store.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("equipment_product.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    awaiting_cleaning: Mapped[int] = mapped_column(default=0)
    reorder_level: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship()
    store: Mapped[Store] = relationship()

    @property
    def free(self) -> int:
        return self.on_hand - self.reserved


class Amnesty(db.Model):
    """A campaign to recover equipment on loan to an organisation or area for longer than N months."""

    __tablename__ = "equipment_amnesty"
    __table_args__ = (CheckConstraint("months > 0", name="months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_borrower_organisation.id"))
    locality: Mapped[str | None] = mapped_column(String(40))
    months: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    organisation: Mapped[BorrowerOrganisation | None] = relationship()


class Order(db.Model):
    """An order for a person (or a borrower organisation): requested → reserved → delivered →
    collection_requested → collected, or cancelled before delivery."""

    __tablename__ = "equipment_order"
    __table_args__ = (
        CheckConstraint(_in("state", ORDER_STATES), name="state"),
        CheckConstraint(_in("priority", PRIORITIES), name="priority"),
        CheckConstraint("collection_reason IS NULL OR " + _in("collection_reason", COLLECTION_REASONS),
                        name="collection_reason"),
        CheckConstraint("person_id IS NOT NULL OR organisation_id IS NOT NULL", name="borrower"),
        Index("ix_equipment_order_state_due", "state", "due_date"),
        Index("ix_equipment_order_delivered_at", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(36), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("equipment_borrower_organisation.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("equipment_store.id"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_kit.id"))
    amnesty_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_amnesty.id"))
    locality: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(10), default="standard")
    state: Mapped[str] = mapped_column(String(24), default="requested")
    planned_date: Mapped[date]
    due_date: Mapped[date]
    notes: Mapped[str | None] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # the referral (and its assessment) the order was prescribed from, when raised from one
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    referral = relationship("Referral")
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    reserved_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    delivered_on_time: Mapped[bool | None] = mapped_column(Boolean)
    collection_requested_at: Mapped[datetime | None]
    collection_reason: Mapped[str | None] = mapped_column(String(24))
    collection_due: Mapped[date | None]
    collected_at: Mapped[datetime | None]
    collected_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    collected_on_time: Mapped[bool | None] = mapped_column(Boolean)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(default=1)

    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", order_by="OrderLine.id")
    store: Mapped[Store] = relationship()
    kit: Mapped[Kit | None] = relationship()
    organisation: Mapped[BorrowerOrganisation | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        return ORDER_STATES.get(self.state, self.state)


class OrderLine(db.Model):
    """One product on an order; a serialised line names its asset once reserved.
    released_at is set when the line no longer holds its asset or stock (issued, collected or
    cancelled), so the partial unique index allows one open line per asset."""

    __tablename__ = "equipment_order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        Index("uq_equipment_order_line_open_asset", "asset_id", unique=True,
              sqlite_where=text("asset_id IS NOT NULL AND released_at IS NULL"),
              postgresql_where=text("asset_id IS NOT NULL AND released_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("equipment_order.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("equipment_product.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_asset.id"))
    reissue: Mapped[bool | None] = mapped_column(Boolean)
    released_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
    asset: Mapped[Asset | None] = relationship()


class Movement(db.Model):
    """The append-only stock ledger. For counted stock the sums of on_hand_change,
    reserved_change and cleaning_change per store and product equal the stock level; for an
    asset, the last row's to_status is its status."""

    __tablename__ = "equipment_movement"
    __table_args__ = (
        Index("ix_equipment_movement_stock", "store_id", "product_id"),
        Index("ix_equipment_movement_asset", "asset_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    store_id: Mapped[int] = mapped_column(ForeignKey("equipment_store.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("equipment_product.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_asset.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_order.id"), index=True)
    on_hand_change: Mapped[int] = mapped_column(default=0)
    reserved_change: Mapped[int] = mapped_column(default=0)
    cleaning_change: Mapped[int] = mapped_column(default=0)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(300))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor: Mapped[str] = mapped_column(String(160))

    product: Mapped[Product] = relationship()
    store: Mapped[Store] = relationship()


class Stocktake(db.Model):
    """open → completed, or open → awaiting_approval → completed when the write-off is more than
    EQUIPMENT_STOCKTAKE_APPROVAL_SHARE of the store's assets (a manager other than the submitter
    approves, or returns it to open)."""

    __tablename__ = "equipment_stocktake"
    __table_args__ = (CheckConstraint(_in("state", STOCKTAKE_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("equipment_store.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="open")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    completed_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(300))
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    missing_count: Mapped[int | None]
    missing_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    store: Mapped[Store] = relationship()

    @property
    def state_label(self) -> str:
        return STOCKTAKE_STATES.get(self.state, self.state)


class StocktakeScan(db.Model):
    __tablename__ = "equipment_stocktake_scan"
    __table_args__ = (UniqueConstraint("stocktake_id", "asset_tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("equipment_stocktake.id", ondelete="CASCADE"))
    asset_tag: Mapped[str] = mapped_column(String(40))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_asset.id"))
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Recall(db.Model):
    """A product recall after a field safety notice: open → closed. Its scope is the whole product,
    a range of serial numbers, or the items supplied between two dates."""

    __tablename__ = "equipment_recall"
    __table_args__ = (
        CheckConstraint(_in("scope", RECALL_SCOPES), name="scope"),
        CheckConstraint(_in("action", RECALL_ACTIONS), name="action"),
        CheckConstraint(_in("state", RECALL_STATES), name="state"),
        CheckConstraint("scope <> 'serials' OR (serial_from IS NOT NULL AND serial_to IS NOT NULL)",
                        name="serials"),
        CheckConstraint("scope <> 'supplied' OR (supplied_from IS NOT NULL AND supplied_to IS NOT NULL "
                        "AND supplied_from <= supplied_to)", name="supplied"),
        CheckConstraint("(state = 'open' AND closed_at IS NULL) OR (state = 'closed' AND closed_at IS NOT NULL)",
                        name="closed"),
        Index("ix_equipment_recall_product_state", "product_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_key: Mapped[str] = mapped_column(String(36), unique=True)
    reference: Mapped[str] = mapped_column(String(80))
    product_id: Mapped[int] = mapped_column(ForeignKey("equipment_product.id"))
    scope: Mapped[str] = mapped_column(String(12))
    serial_from: Mapped[str | None] = mapped_column(String(80))
    serial_to: Mapped[str | None] = mapped_column(String(80))
    supplied_from: Mapped[date | None]
    supplied_to: Mapped[date | None]
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    close_reason: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(default=1)

    product: Mapped[Product] = relationship()
    items: Mapped[list["RecallItem"]] = relationship(back_populates="recall", order_by="RecallItem.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        return RECALL_STATES.get(self.state, self.state)

    @property
    def action_label(self) -> str:
        return RECALL_ACTIONS.get(self.action, self.action)

    @property
    def scope_label(self) -> str:
        if self.scope == "serials":
            return f"Serial numbers {self.serial_from} to {self.serial_to}"
        if self.scope == "supplied":
            return f"Supplied from {self.supplied_from:%-d %B %Y} to {self.supplied_to:%-d %B %Y}"
        return RECALL_SCOPES["product"]


class RecallItem(db.Model):
    """One affected item of a recall: a serialised asset, or a quantity of counted stock (held in
    a store, or on loan on an order line). An asset is in at most one unresolved recall item
    (partial unique index), so two open recalls never count or handle the same asset twice."""

    __tablename__ = "equipment_recall_item"
    __table_args__ = (
        CheckConstraint(_in("state", RECALL_ITEM_STATES), name="state"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("asset_id IS NULL OR quantity = 1", name="asset_quantity"),
        CheckConstraint(f"({_in('state', RECALL_ITEM_OPEN)} AND resolved_at IS NULL) OR "
                        f"({_in('state', RECALL_ITEM_DONE)} AND resolved_at IS NOT NULL)", name="resolved"),
        Index("uq_equipment_recall_item_open_asset", "asset_id", unique=True,
              sqlite_where=text("asset_id IS NOT NULL AND resolved_at IS NULL"),
              postgresql_where=text("asset_id IS NOT NULL AND resolved_at IS NULL")),
        Index("ix_equipment_recall_item_recall_state", "recall_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("equipment_recall.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_asset.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("equipment_store.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_order_line.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_borrower_organisation.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_order.id"))
    fitted_by_telecare: Mapped[bool] = mapped_column(Boolean, default=False)
    was_on_loan: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    collected_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    note: Mapped[str | None] = mapped_column(String(300))

    recall: Mapped[Recall] = relationship(back_populates="items")
    asset: Mapped[Asset | None] = relationship()
    store: Mapped[Store] = relationship()
    organisation: Mapped[BorrowerOrganisation | None] = relationship()

    @property
    def state_label(self) -> str:
        return RECALL_ITEM_STATES.get(self.state, self.state)

    @property
    def resolved(self) -> bool:
        return self.state in RECALL_ITEM_DONE
