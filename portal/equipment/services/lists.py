"""What the equipment lists read (queues, a store's stock and assets): filtered, sorted and cut
into pages by portal.web.lists, counted in full so pagination reaches the last row. Reads only."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, false, func, or_, select

from portal.equipment.models import (
    Asset,
    Order,
    Product,
    StockLevel,
    Stocktake,
    Store,
)
from portal.equipment.services._common import IN_STORE
from portal.equipment.services.queries import _queue_stmt
from portal.web.lists import PAGE_SIZE, Page, ordered, paginate

DUE_CHOICES = {"overdue": "Overdue", "today": "Today", "overdue_or_today": "Overdue or today",
               "week": "In the next 7 days"}
QUEUES_WITH_DUE = ("deliveries", "collections", "inspections", "warranties")


@dataclass(frozen=True)
class QueueFilters:
    store_id: int | None = None
    due: str = ""
    priority: str = ""
    state: str = ""
    reason: str = ""
    search: str = ""


def _free():
    return StockLevel.on_hand - StockLevel.reserved


def _queue_sorts(kind: str) -> dict:
    urgent_first = case((Order.priority == "urgent", 0), else_=1)
    if kind == "deliveries":
        return {"order": Order.id, "priority": urgent_first, "state": Order.state, "due": Order.due_date,
                "planned": Order.planned_date, "store": Store.name}
    if kind == "collections":
        return {"order": Order.id, "reason": Order.collection_reason, "due": Order.collection_due,
                "store": Store.name}
    if kind == "low_stock":
        return {"store": Store.name, "product": Product.name, "free": _free(),
                "reorder": StockLevel.reorder_level}
    due = Asset.warranty_end if kind == "warranties" else Asset.next_inspection_due
    return {"tag": Asset.asset_tag, "product": Product.name, "status": Asset.status, "due": due,
            "store": Store.name}


def _due_column(kind: str):
    return {"deliveries": Order.due_date, "collections": Order.collection_due,
            "inspections": Asset.next_inspection_due, "warranties": Asset.warranty_end}.get(kind)


def _tiebreak(kind: str):
    if kind in ("deliveries", "collections"):
        return (Order.id.asc(),)
    if kind == "low_stock":
        return (StockLevel.id.asc(),)
    return (Asset.id.asc(),)


def _queue_filtered(kind: str, today: date, filters: QueueFilters):
    stmt, store_col = _queue_stmt(kind, today, filters.store_id)
    if filters.store_id:
        stmt = stmt.where(store_col == filters.store_id)
    column = _due_column(kind)
    if column is not None and filters.due in DUE_CHOICES:
        stmt = stmt.where({"overdue": column < today, "today": column == today,
                           "overdue_or_today": column <= today,
                           "week": column.between(today, today + timedelta(days=7))}[filters.due])
    if kind == "deliveries":
        if filters.priority:
            stmt = stmt.where(Order.priority == filters.priority)
        if filters.state:
            stmt = stmt.where(Order.state == filters.state)
    if kind == "collections" and filters.reason:
        stmt = stmt.where(Order.collection_reason == filters.reason)
    if filters.search:
        like = f"%{filters.search.lower()}%"
        if kind in ("deliveries", "collections"):
            number = filters.search.removeprefix("Order ").strip()
            stmt = stmt.where(Order.id == int(number) if number.isdigit() and len(number) < 10 else false())
        elif kind == "low_stock":
            stmt = stmt.where(or_(func.lower(Product.name).like(like), func.lower(Product.code).like(like)))
        else:
            stmt = stmt.where(or_(func.lower(Asset.asset_tag).like(like), func.lower(Product.name).like(like)))
    return stmt


def queue_page(session, kind: str, today: date, filters: QueueFilters, *, sort: str | None = None,
               descending: bool = False, page: int = 1, page_size: int = PAGE_SIZE) -> Page:
    """One page of a work queue (?queue=kind): its rows in the queue's own order (earliest due first),
    or sorted by a column."""
    stmt = _queue_filtered(kind, today, filters)
    if sort in _queue_sorts(kind):
        stmt = stmt.order_by(None).order_by(*ordered(_queue_sorts(kind), sort, descending, *_tiebreak(kind)))
    else:
        stmt = stmt.order_by(*_tiebreak(kind))
    return paginate(session, stmt, page, page_size, scalars=False)


def queue_total(session, kind: str, today: date, filters: QueueFilters) -> int:
    stmt = _queue_filtered(kind, today, filters)
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


# ---------------------------------------------------------------- a store's sections

STOCK_SORTS = {"product": Product.name, "on_hand": StockLevel.on_hand, "reserved": StockLevel.reserved,
               "free": _free(), "cleaning": StockLevel.awaiting_cleaning, "reorder": StockLevel.reorder_level}


def _low():
    return (StockLevel.reorder_level > 0) & (_free() < StockLevel.reorder_level)


def store_stock_page(session, store_id: int, *, search: str = "", category: str = "", low_only: bool = False,
                     sort: str | None = "product", descending: bool = False, page: int = 1,
                     page_size: int = PAGE_SIZE) -> Page:
    """A store's counted stock, one row per product: its figures (product_id, on_hand, reserved, free,
    awaiting_cleaning, reorder_level), the product's name and code, and low (below the reorder level)."""
    stmt = (select(StockLevel.product_id, StockLevel.on_hand, StockLevel.reserved, _free().label("free"),
                   StockLevel.awaiting_cleaning, StockLevel.reorder_level, Product.name, Product.code,
                   _low().label("low"))
            .join(Product, Product.id == StockLevel.product_id).where(StockLevel.store_id == store_id))
    if search:
        like = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(Product.name).like(like), func.lower(Product.code).like(like)))
    if category:
        stmt = stmt.where(Product.category == category)
    if low_only:
        stmt = stmt.where(_low())
    stmt = stmt.order_by(*ordered(STOCK_SORTS, sort, descending, Product.name.asc(), StockLevel.id.asc()))
    return paginate(session, stmt, page, page_size, scalars=False)


ASSET_SORTS = {"tag": Asset.asset_tag, "product": Product.name, "status": Asset.status,
               "inspection": Asset.next_inspection_due}


def store_assets_page(session, store_id: int, *, search: str = "", status: str = "", product_id: int | None = None,
                      sort: str | None = None, descending: bool = False, page: int = 1,
                      page_size: int = PAGE_SIZE) -> Page:
    """A store's serialised assets (those in the store unless a status is chosen), every one of them
    reachable page by page: rows of (id, asset_tag, status, next_inspection_due, name)."""
    stmt = (select(Asset.id, Asset.asset_tag, Asset.status, Asset.next_inspection_due, Product.name)
            .join(Product, Product.id == Asset.product_id).where(Asset.store_id == store_id))
    stmt = stmt.where(Asset.status == status) if status else stmt.where(Asset.status.in_(IN_STORE))
    if product_id:
        stmt = stmt.where(Asset.product_id == product_id)
    if search:
        like = f"%{search.lower()}%"
        stmt = stmt.where(or_(func.lower(Asset.asset_tag).like(like), func.lower(Asset.serial).like(like),
                              func.lower(Product.name).like(like)))
    stmt = stmt.order_by(*ordered(ASSET_SORTS, sort, descending, Product.name.asc(), Asset.asset_tag.asc()))
    return paginate(session, stmt, page, page_size, scalars=False)


def store_asset_products(session, store_id: int) -> list[tuple[int, str]]:
    """The serialised products a store holds assets of (the asset list's "Product" filter)."""
    return [(row.id, row.name) for row in session.execute(
        select(Product.id, Product.name).where(Product.id.in_(select(Asset.product_id)
                                                              .where(Asset.store_id == store_id)))
        .order_by(Product.name))]


def store_figures(session, store_id: int) -> dict:
    """The store's overview: counted products, how many are low, assets by status, the open stocktake."""
    products, low, units = session.execute(
        select(func.count(), func.coalesce(func.sum(case((_low(), 1), else_=0)), 0),
               func.coalesce(func.sum(StockLevel.on_hand), 0))
        .where(StockLevel.store_id == store_id)).one()
    by_status = dict(session.execute(select(Asset.status, func.count()).where(Asset.store_id == store_id)
                                     .group_by(Asset.status)).all())
    return {"products": int(products), "low": int(low), "units": int(units), "assets_by_status": by_status,
            "stocktake": open_stocktake(session, store_id)}


def open_stocktake(session, store_id: int) -> Stocktake | None:
    return session.scalar(select(Stocktake).where(Stocktake.store_id == store_id,
                                                  Stocktake.state.in_(("open", "awaiting_approval"))))


def store_stocktakes(session, store_id: int, limit: int = 20) -> list[Stocktake]:
    return list(session.scalars(select(Stocktake).where(Stocktake.store_id == store_id)
                                .order_by(Stocktake.started_at.desc(), Stocktake.id.desc()).limit(limit)))


def store_names(session) -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in session.execute(select(Store.id, Store.name).order_by(Store.name))]


# ---------------------------------------------------------------- timelines

@dataclass(frozen=True)
class TimelineEvent:
    label: str
    by: str | None
    at: object
    text: str = ""


ORDER_EVENT_LABELS = {
    "equipment.order_raised": "Order raised", "equipment.order_reserved": "Stock reserved",
    "equipment.order_unreserved": "Reservation released", "equipment.asset_swapped": "Item swapped",
    "equipment.order_delivered": "Delivered", "equipment.collection_requested": "Collection requested",
    "equipment.order_collected": "Collected", "equipment.order_cancelled": "Order cancelled",
}


def _who(label: str | None) -> str | None:
    name = (label or "").split(" <", 1)[0]
    return name or None


def order_events(session, order_id: int) -> list[TimelineEvent]:
    """An order's history, newest first, from its audit trail (what was done, by whom, when)."""
    from portal.audit.services import history
    from portal.equipment.models import COLLECTION_REASONS, PRIORITIES

    events = []
    for row in history(session, "equipment_order", order_id, limit=100):
        if row.action not in ORDER_EVENT_LABELS:
            continue
        details = row.details or {}
        text = ""
        if row.action == "equipment.order_raised" and details.get("priority"):
            text = PRIORITIES.get(details["priority"], details["priority"])
        elif row.action == "equipment.collection_requested":
            text = COLLECTION_REASONS.get(details.get("reason"), details.get("reason") or "")
        elif details.get("reason"):
            text = str(details["reason"])
        elif "on_time" in details:
            text = "On time" if details["on_time"] else "Late"
        events.append(TimelineEvent(ORDER_EVENT_LABELS[row.action], _who(row.actor), row.at, text))
    return events
