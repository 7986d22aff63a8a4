"""Product recalls after a field safety notice (FSN): start one, see what it affects, close it.

Starting a recall, in one transaction: every matching item in any store is quarantined (assets
move to "quarantined"; counted stock leaves on hand and is held by the recall); an order holding a
matching item goes back to "requested" so that it is reserved again from good stock; every
matching item on loan is listed with its borrower and gets a job: an inspection at the home, or a
collection. A collection is booked through the order's collection workflow when everything still
on loan on that order is recalled; otherwise (other items stay with the person, or telecare
fitted it) the job stays on the recall for the stores or the telecare team.

Races: the matching assets and stock levels are locked (FOR UPDATE on PostgreSQL; SQLite writes are
serialised by BEGIN IMMEDIATE) and every move is a conditional UPDATE, so an item being reserved or
delivered at the same moment ends either recalled (and then collected) or never issued.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from portal.audit.services import record
from portal.auth.roles import MANAGER, STORES_OFFICER
from portal.equipment.models import (
    RECALL_ACTIONS,
    RECALL_ITEM_OPEN,
    RECALL_SCOPES,
    Asset,
    Order,
    OrderLine,
    Product,
    Recall,
    RecallItem,
    StockLevel,
)
from portal.equipment.services.allowed import _roles, loan_lines
from portal.equipment.services.ledger import actor_id, asset_move, change_level, move
from portal.equipment.services.orders import book_collection, unreserve_order
from portal.equipment.services.recall_hold import matches, open_recalls, serial_key
from portal.errors import Conflict, IllegalTransition, NotAllowed, NotFound, Refusal, check_version
from portal.sql import insert_ignore, move_state, new_submission_key
from portal.timeutil import utcnow

RECALL_ROLES = {"recall_start": (STORES_OFFICER, MANAGER), "recall_close": (STORES_OFFICER, MANAGER),
                "recall_item": (STORES_OFFICER,)}
RECALL_READERS = (STORES_OFFICER, MANAGER)
IN_STORE_STATUSES = ("available", "reserved", "awaiting_cleaning", "in_repair", "quarantined")
ON_LOAN_STATUSES = ("on_loan", "awaiting_collection")
DEVICE_CATEGORIES = ("telecare", "telehealth", "environmental_controls")


@dataclass
class RecallRequest:
    product_id: int | None
    scope: str
    reference: str
    action: str
    reason: str
    serial_from: str | None = None
    serial_to: str | None = None
    supplied_from: date | None = None
    supplied_to: date | None = None


# ---------------------------------------------------------------- who may do what

def allowed_recall_actions(user, recall: Recall | None = None) -> frozenset[str]:
    """recall_start (no recall yet); on an open recall: recall_close (the stores or a manager) and
    recall_item (the stores: record a collection, an inspection or how a held item was resolved)."""
    roles = _roles(user)
    if recall is None:
        open_now = {"recall_start"}
    elif recall.state == "open":
        open_now = {"recall_close", "recall_item"}
    else:
        open_now = set()
    return frozenset(a for a in open_now if roles & set(RECALL_ROLES[a]))


def check_recall_action(actor, recall: Recall | None, action: str) -> None:
    if not _roles(actor) & set(RECALL_ROLES[action]):
        raise NotAllowed("Only the stores or a manager can start or close a recall."
                         if action != "recall_item" else "Only the stores can record work on a recall.")
    if action not in allowed_recall_actions(actor, recall):
        raise IllegalTransition(_("This recall is closed, so nothing more can be recorded on it."))


def get_recall(session, recall_id: int) -> Recall:
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFound(_("There is no recall with that number."))
    return recall


# ---------------------------------------------------------------- what a recall would affect

def check_request(session, req: RecallRequest) -> Product:
    """Every answer checked, each refusal naming its field."""
    product = session.get(Product, req.product_id) if req.product_id else None
    if product is None:
        raise Refusal(_("Select the product from the catalogue."), field="product_id")
    if not (req.reference or "").strip():
        raise Refusal(_("Enter the field safety notice reference."), field="reference")
    if req.scope not in RECALL_SCOPES:
        raise Refusal(_("Select which items are recalled."), field="scope")
    if req.action not in RECALL_ACTIONS:
        raise Refusal(_("Select the action the notice asks for."), field="action")
    if not (req.reason or "").strip():
        raise Refusal(_("Enter the reason for the recall, as the notice gives it."), field="reason")
    if product.tracking == "counted" and req.scope != "product":
        raise Refusal(_("%(name)s is counted stock without serial numbers or supply dates: recall every "
                        "item of it.",
                        name=product.name), field="scope")
    if req.scope == "serials":
        if not (req.serial_from or "").strip():
            raise Refusal(_("Enter the first serial number in the range."), field="serial_from")
        if not (req.serial_to or "").strip():
            raise Refusal(_("Enter the last serial number in the range."), field="serial_to")
        if serial_key(req.serial_from) > serial_key(req.serial_to):
            raise Refusal(_("The first serial number must come before the last."), field="serial_to")
    if req.scope == "supplied":
        if req.supplied_from is None:
            raise Refusal(_("Enter the first supply date, like 1 3 2026."), field="supplied_from")
        if req.supplied_to is None:
            raise Refusal(_("Enter the last supply date, like 31 3 2026."), field="supplied_to")
        if req.supplied_from > req.supplied_to:
            raise Refusal(_("The first supply date must be on or before the last."), field="supplied_to")
    if product.tracking == "counted" and open_recalls(session, product.id):
        raise Conflict(_("%(name)s is already under an open recall: record this notice on that one.",
                         name=product.name),
                       field="product_id")
    return product


def _draft(req: RecallRequest) -> Recall:
    return Recall(product_id=req.product_id, scope=req.scope, serial_from=(req.serial_from or "").strip() or None,
                  serial_to=(req.serial_to or "").strip() or None, supplied_from=req.supplied_from,
                  supplied_to=req.supplied_to, reference=req.reference.strip()[:80], action=req.action,
                  reason=req.reason.strip())


def _matching_assets(session, recall: Recall, lock: bool) -> list[Asset]:
    stmt = select(Asset).where(Asset.product_id == recall.product_id, Asset.status != "retired").order_by(Asset.id)
    if recall.scope == "supplied":
        stmt = stmt.where(Asset.purchased_on >= recall.supplied_from, Asset.purchased_on <= recall.supplied_to)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return [a for a in session.scalars(stmt) if matches(recall, a)]


def _open_line(session, asset_id: int) -> OrderLine | None:
    return session.scalar(select(OrderLine).where(OrderLine.asset_id == asset_id, OrderLine.released_at.is_(None)))


def _counted_loans(session, product_id: int) -> list[OrderLine]:
    return list(session.scalars(
        select(OrderLine).join(Order).where(OrderLine.product_id == product_id, OrderLine.asset_id.is_(None),
                                            OrderLine.released_at.is_(None),
                                            Order.state.in_(("delivered", "collection_requested")))
        .order_by(OrderLine.id)))


def _reserved_counted_orders(session, product_id: int) -> list[Order]:
    return list(session.scalars(
        select(Order).join(OrderLine).where(OrderLine.product_id == product_id, Order.state == "reserved",
                                            OrderLine.released_at.is_(None)).distinct().order_by(Order.id)))


def preview(session, req: RecallRequest) -> dict:
    """What starting the recall would do now: items held in stores, orders to reserve again, items
    on loan (and how many of those telecare fitted), items already held by another open recall."""
    product = check_request(session, req)
    recall = _draft(req)
    out = {"product": product, "in_store": 0, "orders_back": set(), "on_loan": 0, "telecare": 0,
           "elsewhere": 0, "stores": set()}
    if product.tracking == "serialised":
        for asset in _matching_assets(session, recall, lock=False):
            held = session.scalar(select(RecallItem.id).where(RecallItem.asset_id == asset.id,
                                                              RecallItem.resolved_at.is_(None)))
            if held:
                out["elsewhere"] += 1
            elif asset.status in IN_STORE_STATUSES:
                out["in_store"] += 1
                out["stores"].add(asset.store_id)
                if asset.status == "reserved" and (line := _open_line(session, asset.id)):
                    out["orders_back"].add(line.order_id)
            elif asset.status in ON_LOAN_STATUSES:
                out["on_loan"] += 1
                if _open_line(session, asset.id) is None:
                    out["telecare"] += 1
    else:
        rows = session.execute(select(StockLevel.store_id, StockLevel.on_hand + StockLevel.awaiting_cleaning)
                               .where(StockLevel.product_id == product.id)).all()
        out["in_store"] = sum(q for _s, q in rows)
        out["stores"] = {s for s, q in rows if q}
        out["orders_back"] = {o.id for o in _reserved_counted_orders(session, product.id)}
        out["on_loan"] = sum(line.quantity for line in _counted_loans(session, product.id))
    out["orders_back"], out["stores"] = len(out["orders_back"]), len(out["stores"])
    return out


# ---------------------------------------------------------------- starting one

def start_recall(session, actor, req: RecallRequest, *, submission_key: str | None = None,
                 now: datetime | None = None) -> tuple[Recall, bool]:
    """Start the recall and hold everything it covers, all in one transaction. A repeated
    submission_key returns the recall already started (double click, back button)."""
    check_recall_action(actor, None, "recall_start")
    key = submission_key or new_submission_key()
    existing = session.scalar(select(Recall).where(Recall.submission_key == key))
    if existing is not None:
        return existing, False
    product = check_request(session, req)
    now = now or utcnow()
    draft = _draft(req)
    values = dict(submission_key=key, reference=draft.reference, product_id=product.id, scope=draft.scope,
                  serial_from=draft.serial_from, serial_to=draft.serial_to, supplied_from=draft.supplied_from,
                  supplied_to=draft.supplied_to, action=draft.action, reason=draft.reason, state="open",
                  started_at=now, started_by_id=actor_id(actor), version=1)
    recall_id = session.execute(insert_ignore(session, Recall.__table__, values, ["submission_key"])
                                .returning(Recall.__table__.c.id)).scalar()
    if recall_id is None:  # the same form sent twice at once: the first one won
        return session.scalar(select(Recall).where(Recall.submission_key == key)), False
    recall = session.get(Recall, recall_id)
    label = f"Recall {recall.reference}"
    _lock_orders(session, product.id)
    if product.tracking == "serialised":
        counts = _hold_assets(session, actor, recall, label, now)
    else:
        counts = _hold_counted(session, actor, recall, label, now)
    booked = _book_collections(session, actor, recall, now)
    session.flush()
    record(session, actor, "equipment.recall_started", "equipment_recall", recall.id, reference=recall.reference,
           product_id=product.id, scope=recall.scope, recall_action=recall.action, collections_booked=booked,
           **counts)
    return recall, True


def _lock_orders(session, product_id: int) -> None:
    """Lock every open order of the product first, in id order, as reserving, delivering and
    collecting do (the order, then its stock): a recall and an order never wait on each other in
    opposite orders (no deadlock), and an order being reserved or delivered now finishes first or
    sees the recall."""
    lines = select(OrderLine.order_id).where(OrderLine.product_id == product_id, OrderLine.released_at.is_(None))
    session.execute(select(Order.id).where(Order.id.in_(lines), Order.state.in_(
        ("requested", "reserved", "delivered", "collection_requested"))).order_by(Order.id).with_for_update())


def _loan_item(recall: Recall, *, asset: Asset | None, line: OrderLine | None, quantity: int, store_id: int,
               person_id, organisation_id, telecare: bool) -> RecallItem:
    return RecallItem(recall_id=recall.id, asset_id=asset.id if asset else None, store_id=store_id,
                      order_line_id=line.id if line else None, order_id=line.order_id if line else None,
                      quantity=quantity, person_id=person_id, organisation_id=organisation_id,
                      fitted_by_telecare=telecare, was_on_loan=True,
                      state="to_inspect" if recall.action == "inspect" else "to_collect")


def _hold_assets(session, actor, recall: Recall, label: str, now: datetime) -> dict:
    counts = {"held": 0, "on_loan": 0, "orders_back": 0, "elsewhere": 0}
    for asset in _matching_assets(session, recall, lock=True):
        if session.scalar(select(RecallItem.id).where(RecallItem.asset_id == asset.id,
                                                      RecallItem.resolved_at.is_(None))):
            counts["elsewhere"] += 1  # already held and handled by another open recall
            continue
        status = session.scalar(select(Asset.status).where(Asset.id == asset.id))
        if status == "reserved":
            line = _open_line(session, asset.id)
            if line is not None:
                unreserve_order(session, actor, line.order,
                                f"{label}: {asset.asset_tag} is recalled, so the order must be reserved again")
                counts["orders_back"] += 1
            status = session.scalar(select(Asset.status).where(Asset.id == asset.id))
        if status in IN_STORE_STATUSES:
            if status != "quarantined":
                asset_move(session, actor, asset.id, (status,), "quarantined", "quarantine", at=now,
                           reason=f"{label}: quarantined")
            session.add(RecallItem(recall_id=recall.id, asset_id=asset.id, store_id=asset.store_id, quantity=1,
                                   state="held", was_on_loan=False))
            counts["held"] += 1
        elif status in ON_LOAN_STATUSES:
            line = _open_line(session, asset.id)
            order = line.order if line else None
            telecare = line is None and asset.product.category in DEVICE_CATEGORIES
            session.add(_loan_item(recall, asset=asset, line=line, quantity=1, store_id=asset.store_id,
                                   person_id=order.person_id if order else asset.person_id,
                                   organisation_id=order.organisation_id if order else asset.organisation_id,
                                   telecare=telecare))
            counts["on_loan"] += 1
        session.flush()  # the partial unique index: one unresolved recall item per asset
    return counts


def _hold_counted(session, actor, recall: Recall, label: str, now: datetime) -> dict:
    counts = {"held": 0, "on_loan": 0, "orders_back": 0, "elsewhere": 0}
    for order in _reserved_counted_orders(session, recall.product_id):
        unreserve_order(session, actor, order, f"{label}: the product is recalled, so the order must be "
                                               "reserved again")
        counts["orders_back"] += 1
    levels = session.scalars(select(StockLevel).where(StockLevel.product_id == recall.product_id)
                             .order_by(StockLevel.id).with_for_update().execution_options(populate_existing=True))
    for level in list(levels):
        shelf, dirty = level.on_hand - level.reserved, level.awaiting_cleaning
        if shelf + dirty <= 0:
            continue
        if not change_level(session, level.store_id, recall.product_id, on_hand=-shelf, cleaning=-dirty):
            raise Conflict(_("The stock changed while the recall was starting. Nothing was saved: try again."))
        move(session, actor, "quarantine", level.store_id, recall.product_id, on_hand=-shelf, cleaning=-dirty,
             at=now, reason=f"{label}: {shelf + dirty} quarantined")
        session.add(RecallItem(recall_id=recall.id, store_id=level.store_id, quantity=shelf + dirty, state="held",
                               was_on_loan=False))
        counts["held"] += shelf + dirty
    for line in _counted_loans(session, recall.product_id):
        order = line.order
        session.add(_loan_item(recall, asset=None, line=line, quantity=line.quantity, store_id=order.store_id,
                               person_id=order.person_id, organisation_id=order.organisation_id, telecare=False))
        counts["on_loan"] += line.quantity
    session.flush()
    return counts


def _book_collections(session, actor, recall: Recall, now: datetime) -> int:
    """Book a collection on each delivered order whose every item still on loan is to be collected
    under this recall; other jobs stay on the recall page."""
    by_order = defaultdict(set)
    for item in session.scalars(select(RecallItem).where(RecallItem.recall_id == recall.id,
                                                         RecallItem.state == "to_collect",
                                                         RecallItem.order_id.is_not(None))):
        by_order[item.order_id].add(item.order_line_id)
    booked = 0
    for order_id, lines in sorted(by_order.items()):
        booked += book_if_all_recalled(session, actor, session.get(Order, order_id), lines, now)
    return booked


def book_if_all_recalled(session, actor, order: Order, recalled_lines: set, now: datetime) -> int:
    if order.state != "delivered" or {line.id for line in loan_lines(order)} - recalled_lines:
        return 0
    book_collection(session, actor, order, "product_recall", now=now)
    return 1


# ---------------------------------------------------------------- closing one

def unresolved(session, recall_id: int) -> int:
    return session.scalar(select(func.count()).select_from(RecallItem).where(
        RecallItem.recall_id == recall_id, RecallItem.state.in_(tuple(RECALL_ITEM_OPEN)))) or 0


def close_recall(session, actor, recall_id: int, reason: str | None = None, *,
                 expected_version: int | None = None) -> Recall:
    """open → closed once every affected item is resolved; or, with a reason, earlier: items still
    held in a store go back for cleaning and checking (never straight to available), and the
    jobs still open are closed with the recall."""
    recall = get_recall(session, recall_id)
    check_version(recall, expected_version, f"Recall {recall.reference}")
    check_recall_action(actor, recall, "recall_close")
    reason = (reason or "").strip()
    left = unresolved(session, recall.id)
    if left and not reason:
        raise Refusal(ngettext("%(num)d affected item is not resolved yet. Resolve it, or give the reason for "
                               "closing the recall anyway.",
                               "%(num)d affected items are not resolved yet. Resolve them, or give the reason for "
                               "closing the recall anyway.", left), field="reason")
    now = utcnow()
    if left:
        from portal.equipment.services.recall_items import release_held

        for item in session.scalars(select(RecallItem).where(RecallItem.recall_id == recall.id,
                                                             RecallItem.state.in_(tuple(RECALL_ITEM_OPEN)))):
            if item.state == "held":
                release_held(session, actor, item, f"Recall {recall.reference} closed: {reason}", now)
            item.state, item.resolved_at, item.resolved_by_id = "closed", now, actor_id(actor)
            item.note = f"Closed with the recall: {reason}"[:300]
        session.flush()
    recall = move_state(session, recall, "closed", f"Recall {recall.reference}", closed_at=now,
                        closed_by_id=actor_id(actor), close_reason=reason[:300] or None)
    record(session, actor, "equipment.recall_closed", "equipment_recall", recall.id, reference=recall.reference,
           unresolved=left, reason=reason or None)
    return recall
