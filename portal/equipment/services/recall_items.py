"""The work on each item a recall affects, and what the recall pages show.

An item at a home is collected (or removed by telecare, or exchanged) and then held in a store, or
inspected there and found safe. An item held in a store is disposed of, returned to the supplier,
or released back to stock after the fix (to cleaning first, never straight to available).
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.audit.services import record
from portal.equipment.models import (
    RECALL_ITEM_DONE,
    RECALL_ITEM_OPEN,
    Asset,
    Order,
    OrderLine,
    Product,
    Recall,
    RecallItem,
    Store,
)
from portal.equipment.services.ledger import actor_id, asset_move, change_level, move
from portal.equipment.services.recall import book_if_all_recalled, check_recall_action
from portal.errors import IllegalTransition, NotFound, Refusal
from portal.timeutil import utcnow

HELD_OUTCOMES = {"disposed": "Disposed of", "returned_to_supplier": "Returned to the supplier",
                 "released": "Released back to stock after the fix"}


def get_item(session, recall_id: int, item_id: int) -> RecallItem:
    item = session.get(RecallItem, item_id)
    if item is None or item.recall_id != recall_id:
        raise NotFound(_("There is no such item on this recall."))
    return item


def item_actions(item: RecallItem, order_state: str | None) -> frozenset[str]:
    """What can be recorded on this item now (the recall being open and the user of the stores)."""
    if item.state == "to_inspect":
        return frozenset({"inspected_ok", "inspected_failed"})
    if item.state == "to_collect":
        # telecare removes its own devices (a removal job); a booked order is collected as the order
        if item.fitted_by_telecare or order_state == "collection_requested":
            return frozenset()
        return frozenset({"collected"})
    if item.state == "held":
        return frozenset(HELD_OUTCOMES)
    return frozenset()


def _check(session, actor, recall_id: int, item_id: int, action: str) -> RecallItem:
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFound(_("There is no recall with that number."))
    check_recall_action(actor, recall, "recall_item")
    item = get_item(session, recall_id, item_id)
    order_state = session.scalar(select(Order.state).where(Order.id == item.order_id)) if item.order_id else None
    if action not in item_actions(item, order_state):
        why = (" Telecare removes it on a removal or replacement visit." if item.fitted_by_telecare else
               " Its collection is booked: record it on the order." if order_state == "collection_requested"
               else "")
        raise IllegalTransition(_("This item is %(state)s, so that cannot be recorded.%(why)s",
                                  state=item.state_label.lower(), why=why))
    return item


def record_collected(session, actor, recall_id: int, item_id: int, at: datetime | None = None) -> RecallItem:
    """The stores brought the recalled item back from the home (only it: anything else on the order
    stays with the person): it is held in quarantine at the order's store."""
    at = at or utcnow()
    item = _check(session, actor, recall_id, item_id, "collected")
    line = session.get(OrderLine, item.order_line_id) if item.order_line_id else None
    store_id = line.order.store_id if line else item.store_id
    if item.asset_id is not None:
        asset_move(session, actor, item.asset_id, ("on_loan", "awaiting_collection"), "quarantined", "collect",
                   order_id=line.order_id if line else None, at=at, store_id=store_id, person_id=None,
                   organisation_id=None, on_loan_since=None, what="collected",
                   reason=f"Collected under recall {item.recall.reference}: quarantined")
    else:
        move(session, actor, "collect", store_id, line.product_id, order_id=line.order_id, at=at,
             reason=f"Collected under recall {item.recall.reference}: {item.quantity} quarantined")
    if line is not None:
        line.released_at = at
    item.state, item.collected_at, item.store_id = "held", at, store_id
    session.flush()
    record(session, actor, "equipment.recall_item_collected", "equipment_recall", recall_id, item_id=item.id,
           reference=item.recall.reference)
    return item


def record_item_inspection(session, actor, recall_id: int, item_id: int, passed: bool, note: str) -> RecallItem:
    """Inspected at the home as the notice says: safe to keep using (resolved), or not (to collect;
    the order's collection is booked when everything on it is recalled)."""
    item = _check(session, actor, recall_id, item_id, "inspected_ok" if passed else "inspected_failed")
    note = (note or "").strip()
    if not note:
        raise Refusal(_("Enter what the inspection found."), field="note")
    now = utcnow()
    if passed:
        item.state, item.resolved_at, item.resolved_by_id = "inspected", now, actor_id(actor)
    else:
        item.state = "to_collect"
    item.note = note[:300]
    session.flush()
    if not passed and item.order_id:
        recalled = set(session.scalars(select(RecallItem.order_line_id).where(
            RecallItem.order_id == item.order_id, RecallItem.state == "to_collect")))
        book_if_all_recalled(session, actor, session.get(Order, item.order_id), recalled, now)
    record(session, actor, "equipment.recall_item_inspected", "equipment_recall", recall_id, item_id=item.id,
           passed=passed, note=note[:300])
    return item


def release_held(session, actor, item: RecallItem, reason: str, at: datetime) -> None:
    """A held item goes back to the store's cleaning (never straight to available)."""
    if item.asset_id is not None:
        asset_move(session, actor, item.asset_id, ("quarantined",), "awaiting_cleaning", "release", at=at,
                   what="released", reason=reason)
    else:
        product_id = item.recall.product_id
        change_level(session, item.store_id, product_id, cleaning=item.quantity)
        move(session, actor, "release", item.store_id, product_id, cleaning=item.quantity, at=at, reason=reason)


def resolve_held(session, actor, recall_id: int, item_id: int, outcome: str, note: str) -> RecallItem:
    """How a held item left quarantine: disposed of or returned to the supplier (the asset is
    retired), or released back to stock after the fix the notice describes (to cleaning first)."""
    if outcome not in HELD_OUTCOMES:
        raise Refusal(_("Select what happened to the item."), field="outcome")
    item = _check(session, actor, recall_id, item_id, outcome)
    note = (note or "").strip()
    if not note:
        raise Refusal(_("Enter a note: the disposal, the supplier's returns number, or the fix made."), field="note")
    now = utcnow()
    reason = f"Recall {item.recall.reference}: {HELD_OUTCOMES[outcome].lower()}: {note}"
    if outcome == "released":
        release_held(session, actor, item, reason, now)
    elif item.asset_id is not None:
        asset_move(session, actor, item.asset_id, ("quarantined",), "retired", "retire", at=now, what="retired",
                   reason=reason)
    else:
        move(session, actor, "retire", item.store_id, item.recall.product_id, at=now,
             reason=f"{reason} ({item.quantity})")
    item.state, item.resolved_at, item.resolved_by_id, item.note = outcome, now, actor_id(actor), note[:300]
    session.flush()
    record(session, actor, "equipment.recall_item_resolved", "equipment_recall", recall_id, item_id=item.id,
           outcome=outcome, note=note[:300])
    return item


# ---------------------------------------------------------------- pages

def recall_list(session) -> list[dict]:
    """Every recall, open ones first, with its unresolved count."""
    left = (select(RecallItem.recall_id, func.count().label("left")).where(
        RecallItem.state.in_(tuple(RECALL_ITEM_OPEN))).group_by(RecallItem.recall_id).subquery())
    rows = session.execute(select(Recall, Product.name, func.coalesce(left.c.left, 0))
                           .join(Product, Product.id == Recall.product_id)
                           .outerjoin(left, left.c.recall_id == Recall.id)
                           .order_by(Recall.state.desc(), Recall.started_at.desc())).all()
    return [{"recall": r, "product": name, "unresolved": n} for r, name, n in rows]


def progress(session, recall: Recall) -> dict:
    """Items quarantined (held now), still at homes, collected or inspected, disposed of or returned."""
    rows = session.execute(select(RecallItem.state, RecallItem.was_on_loan, RecallItem.collected_at.is_not(None),
                                  func.sum(RecallItem.quantity))
                           .where(RecallItem.recall_id == recall.id)
                           .group_by(RecallItem.state, RecallItem.was_on_loan,
                                     RecallItem.collected_at.is_not(None))).all()
    out = {"held": 0, "at_homes": 0, "collected": 0, "inspected": 0, "disposed": 0, "returned": 0,
           "released": 0, "closed": 0, "total": 0, "unresolved": 0}
    for state, _on_loan, collected, n in rows:
        n = int(n or 0)
        out["total"] += n
        out["held"] += n if state == "held" else 0
        out["at_homes"] += n if state in ("to_collect", "to_inspect") else 0
        out["collected"] += n if collected else 0
        out["inspected"] += n if state == "inspected" else 0
        out["disposed"] += n if state == "disposed" else 0
        out["returned"] += n if state == "returned_to_supplier" else 0
        out["released"] += n if state == "released" else 0
        out["closed"] += n if state == "closed" else 0
        out["unresolved"] += n if state in RECALL_ITEM_OPEN else 0
    return out


def recall_rows(session, recall: Recall) -> list[dict]:
    """Each affected item with its asset tag, store, order, order state and what may be recorded now."""
    rows = session.execute(
        select(RecallItem, Asset.asset_tag, Asset.serial, Store.name, Order.state)
        .outerjoin(Asset, Asset.id == RecallItem.asset_id).join(Store, Store.id == RecallItem.store_id)
        .outerjoin(Order, Order.id == RecallItem.order_id)
        .where(RecallItem.recall_id == recall.id).order_by(RecallItem.was_on_loan.desc(), RecallItem.id)).all()
    return [{"item": item, "tag": tag, "serial": serial, "store": store, "order_state": order_state,
             "actions": item_actions(item, order_state) if recall.state == "open" else frozenset(),
             "done": item.state in RECALL_ITEM_DONE}
            for item, tag, serial, store, order_state in rows]
