"""Counted stock in a store: receipts, corrections, reorder levels and cleaning returned items."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update

from portal.audit.services import record
from portal.equipment.models import Product, StockLevel
from portal.equipment.services.ledger import change_level, ensure_level, move
from portal.equipment.services.recall_hold import hold_received_stock
from portal.errors import IllegalTransition, NotFound, OutOfStock, Refusal


def counted_product(session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("There is no product with that id."))
    if product.tracking != "counted":
        raise Refusal(_("%(name)s is serialised: add or adjust its assets one by one.", name=product.name),
                      field="product_id")
    return product


def receive_stock(session, actor, store_id: int, product_id: int, quantity: int, reason: str,
                  at: datetime | None = None) -> None:
    """Counted stock arriving (a purchase or a transfer in): on hand goes up."""
    counted_product(session, product_id)
    if quantity <= 0:
        raise Refusal(_("Enter a quantity of 1 or more."), field="quantity")
    change_level(session, store_id, product_id, on_hand=quantity)
    move(session, actor, "received", store_id, product_id, on_hand=quantity, reason=reason, at=at)
    record(session, actor, "equipment.stock_received", "equipment_store", store_id,
           product_id=product_id, quantity=quantity, reason=reason)
    recall = hold_received_stock(session, actor, store_id, product_id, quantity, at=at)
    if recall is not None:
        record(session, actor, "equipment.stock_quarantined", "equipment_store", store_id, product_id=product_id,
               quantity=quantity, recall_id=recall.id, reference=recall.reference)


def adjust_stock(session, actor, store_id: int, product_id: int, change: int, reason: str) -> None:
    """A correction after a count (stocktake, damage, loss): never below what is reserved."""
    counted_product(session, product_id)
    if not reason or not reason.strip():
        raise Refusal(_("Enter the reason for the adjustment."), field="reason")
    if change == 0:
        raise Refusal(_("Enter a change other than 0."), field="quantity")
    if not change_level(session, store_id, product_id, on_hand=change):
        raise OutOfStock(_("That adjustment would take stock below zero or below what is reserved."), field="quantity")
    move(session, actor, "adjust", store_id, product_id, on_hand=change, reason=reason)
    record(session, actor, "equipment.stock_adjusted", "equipment_store", store_id,
           product_id=product_id, change=change, reason=reason)


def set_reorder_level(session, actor, store_id: int, product_id: int, level: int) -> None:
    if level < 0:
        raise Refusal(_("Enter a reorder level of 0 or more."), field="quantity")
    ensure_level(session, store_id, product_id)
    session.execute(update(StockLevel.__table__).where(
        StockLevel.__table__.c.store_id == store_id, StockLevel.__table__.c.product_id == product_id
    ).values(reorder_level=level))
    record(session, actor, "equipment.reorder_level_set", "equipment_store", store_id,
           product_id=product_id, level=level)


def clean_counted(session, actor, store_id: int, product_id: int, quantity: int) -> None:
    """Returned counted loan items, cleaned: awaiting cleaning → on hand."""
    if quantity <= 0:
        raise Refusal(_("Enter a quantity of 1 or more."), field="quantity")
    if not change_level(session, store_id, product_id, on_hand=quantity, cleaning=-quantity):
        raise IllegalTransition(_("There are not that many items of this product awaiting cleaning."),
                                field="quantity")
    move(session, actor, "clean", store_id, product_id, on_hand=quantity, cleaning=-quantity,
          reason="Cleaned and returned to stock")
    record(session, actor, "equipment.counted_cleaned", "equipment_store", store_id,
           product_id=product_id, quantity=quantity)
