"""What a product recall holds back, used wherever stock arrives or comes back (no order logic here).

An asset under an open recall (an unresolved recall item) is quarantined: it comes back from a home
to quarantine instead of to cleaning, and new stock that matches an open recall's scope is
quarantined on receipt. `matches` says whether an asset is in a recall's scope.
"""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import object_session

from portal.equipment.models import Asset, Product, Recall, RecallItem
from portal.equipment.services.ledger import asset_move, change_level, move
from portal.timeutil import utcnow

_PARTS = re.compile(r"(\d+)")


def serial_key(serial: str) -> tuple:
    """Serial numbers in natural order: BL-9 comes before BL-10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.upper()) for p in _PARTS.split(serial.strip()) if p)


def serial_in_range(serial: str | None, low: str, high: str) -> bool:
    if not serial:
        return False
    return serial_key(low) <= serial_key(serial) <= serial_key(high)


def matches(recall: Recall, asset: Asset) -> bool:
    """Whether the asset is in the recall's scope (same product; the serial range or supply dates)."""
    if asset.product_id != recall.product_id:
        return False
    if recall.scope == "serials":
        return serial_in_range(asset.serial, recall.serial_from, recall.serial_to)
    if recall.scope == "supplied":
        return asset.purchased_on is not None and recall.supplied_from <= asset.purchased_on <= recall.supplied_to
    return True


def open_item_for_asset(session, asset_id: int) -> RecallItem | None:
    return session.scalar(select(RecallItem).where(RecallItem.asset_id == asset_id,
                                                   RecallItem.resolved_at.is_(None)))


def open_item_for_line(session, line_id: int) -> RecallItem | None:
    return session.scalar(select(RecallItem).where(RecallItem.order_line_id == line_id,
                                                   RecallItem.asset_id.is_(None), RecallItem.resolved_at.is_(None)))


def return_status(session, asset_id: int) -> str:
    """Where an item coming back from a home goes: quarantine if it is under an open recall, else cleaning."""
    return "quarantined" if open_item_for_asset(session, asset_id) is not None else "awaiting_cleaning"


def mark_returned(item: RecallItem | None, store_id: int, at: datetime | None = None) -> None:
    """The recalled item is back in a store (collected, exchanged or removed by telecare): held there."""
    if item is not None and item.state in ("to_collect", "to_inspect"):
        item.state, item.collected_at, item.store_id = "held", at or utcnow(), store_id
        object_session(item).flush()


def open_recalls(session, product_id: int) -> list[Recall]:
    return list(session.scalars(select(Recall).where(Recall.product_id == product_id, Recall.state == "open")
                                .order_by(Recall.id)))


def hold_new_asset(session, actor, asset: Asset, at: datetime | None = None) -> Recall | None:
    """A new asset that matches an open recall is quarantined on receipt (and listed on the recall)."""
    recall = next((r for r in open_recalls(session, asset.product_id) if matches(r, asset)), None)
    if recall is None:
        return None
    asset_move(session, actor, asset.id, ("available",), "quarantined", "quarantine", at=at,
               reason=f"Received under open recall {recall.reference}: quarantined")
    session.add(RecallItem(recall_id=recall.id, asset_id=asset.id, store_id=asset.store_id, quantity=1,
                           state="held", was_on_loan=False))
    session.flush()
    return recall


def hold_received_stock(session, actor, store_id: int, product_id: int, quantity: int,
                        at: datetime | None = None) -> Recall | None:
    """Counted stock received while its product is recalled goes straight to quarantine."""
    product = session.get(Product, product_id)
    recalls = open_recalls(session, product_id) if product.tracking == "counted" else []
    if not recalls:
        return None
    recall = recalls[0]
    change_level(session, store_id, product_id, on_hand=-quantity)
    move(session, actor, "quarantine", store_id, product_id, on_hand=-quantity, at=at,
         reason=f"Received under open recall {recall.reference}: quarantined")
    session.add(RecallItem(recall_id=recall.id, store_id=store_id, quantity=quantity, state="held",
                           was_on_loan=False))
    session.flush()
    return recall
