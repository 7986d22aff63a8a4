"""What the equipment pages and the dashboard read: loans, pick lists, queues, clocks and figures."""

from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from portal import timeutil
from portal.equipment.models import (
    OPEN_ORDER_STATES,
    Asset,
    BorrowerOrganisation,
    Order,
    OrderLine,
    Product,
    StockLevel,
    Store,
)
from portal.errors import NotFound
from portal.people.models import Person
from portal.sql import month_key
from portal.web.clocks import Reading, read_clock
from portal.web.registry import Event


def loans_for_person(session, person_id: int) -> list[dict]:
    """What a person has on loan now (for the person page): one row per open loan line."""
    rows = session.execute(
        select(Order.id, Order.state, Order.delivered_at, Order.collection_due, OrderLine.quantity,
               Product.name, Product.code, Asset.id.label("asset_id"), Asset.asset_tag,
               Asset.next_inspection_due)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(Asset, Asset.id == OrderLine.asset_id)
        .where(Order.person_id == person_id, Order.state.in_(("delivered", "collection_requested")),
               OrderLine.released_at.is_(None))
        .order_by(Order.delivered_at.desc(), OrderLine.id)
    ).all()
    return [dict(row._mapping) for row in rows]


def current_order_id(session, asset_id: int) -> int | None:
    """The open or on-loan order that holds an asset, if any."""
    return session.execute(
        select(Order.id).where(Order.lines.any(asset_id=asset_id),
                               Order.state.in_(("requested", "reserved", "delivered", "collection_requested")))
        .order_by(Order.id.desc()).limit(1)).scalar()


def product_stock(session, product: Product) -> tuple[list, list]:
    """A product's stock by store: asset counts by status (serialised), or stock levels (counted)."""
    if product.tracking == "serialised":
        return session.execute(
            select(Store.id, Store.name, Asset.status, func.count()).join(Asset, Asset.store_id == Store.id)
            .where(Asset.product_id == product.id).group_by(Store.id, Store.name, Asset.status)
            .order_by(Store.name)).all(), []
    return [], session.execute(
        select(Store.id, Store.name, StockLevel.on_hand, StockLevel.reserved, StockLevel.awaiting_cleaning,
               StockLevel.reorder_level).join(Store, Store.id == StockLevel.store_id)
        .where(StockLevel.product_id == product.id).order_by(Store.name)).all()


def stores_overview(session) -> dict:
    """Every store with its count of assets (not retired) and of products below their reorder level."""
    asset_counts = dict(session.execute(
        select(Asset.store_id, func.count()).where(Asset.status != "retired").group_by(Asset.store_id)).all())
    low = dict(session.execute(
        select(StockLevel.store_id, func.count()).where(
            StockLevel.reorder_level > 0, StockLevel.on_hand - StockLevel.reserved < StockLevel.reorder_level)
        .group_by(StockLevel.store_id)).all())
    return {"stores": list(session.scalars(select(Store).order_by(Store.name))), "asset_counts": asset_counts,
            "low": low}


def orders_for_person(session, person_id: int, limit: int = 50) -> list[Order]:
    return list(session.scalars(select(Order).where(Order.person_id == person_id)
                                .order_by(Order.raised_at.desc()).limit(limit)))


def pick_list(session, store_id: int, day: date) -> dict:
    """Reserved orders of a store planned for delivery on `day`, each with its lines, and the total
    of each product to pick. Three queries whatever the number of orders."""
    where = (Order.store_id == store_id, Order.state == "reserved", Order.planned_date == day)
    orders = session.execute(
        select(Order.id, Order.priority, Order.planned_date, Order.due_date, Order.notes,
               Person.given_name, Person.family_name, Person.address_line_1, Person.address_line_2,
               Person.town, Person.postcode, BorrowerOrganisation.name.label("organisation"),
               BorrowerOrganisation.address.label("organisation_address"))
        .outerjoin(Person, Person.id == Order.person_id)
        .outerjoin(BorrowerOrganisation, BorrowerOrganisation.id == Order.organisation_id)
        .where(*where)
        .order_by(case((Order.priority == "urgent", 0), else_=1), Order.id)).all()
    line_rows = session.execute(
        select(OrderLine.order_id, Product.code, Product.name, OrderLine.quantity, Asset.asset_tag)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .outerjoin(Asset, Asset.id == OrderLine.asset_id)
        .where(*where, OrderLine.released_at.is_(None))
        .order_by(OrderLine.order_id, Product.name, OrderLine.id)).all()
    lines: dict[int, list] = {}
    for row in line_rows:
        lines.setdefault(row.order_id, []).append(row)
    totals = session.execute(
        select(Product.code, Product.name, func.sum(OrderLine.quantity).label("quantity"))
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*where, OrderLine.released_at.is_(None))
        .group_by(Product.code, Product.name).order_by(Product.name)).all()
    return {"orders": [(order, lines.get(order.id, [])) for order in orders], "totals": totals}


QUEUES = {
    "deliveries": "Deliveries due",
    "collections": "Collections due",
    "cleaning": "Awaiting cleaning",
    "low_stock": "Low stock",
    "inspections": "Inspections due",
    "warranties": "Warranties ending",
}
INSPECTION_WARNING_DAYS = 30
WARRANTY_WARNING_DAYS = 90


def _queue_stmt(kind: str, today: date, store_id: int | None):
    if kind == "deliveries":
        stmt = (select(Order.id, Order.priority, Order.state, Order.planned_date, Order.due_date,
                       Person.given_name, Person.family_name, Person.postcode,
                       BorrowerOrganisation.name.label("organisation"), Store.name.label("store"))
                .join(Store, Store.id == Order.store_id)
                .outerjoin(Person, Person.id == Order.person_id)
                .outerjoin(BorrowerOrganisation, BorrowerOrganisation.id == Order.organisation_id)
                .where(Order.state.in_(OPEN_ORDER_STATES))
                .order_by(Order.due_date, case((Order.priority == "urgent", 0), else_=1), Order.id))
        return stmt, Order.store_id
    if kind == "collections":
        stmt = (select(Order.id, Order.collection_reason, Order.collection_due, Order.collection_requested_at,
                       Person.given_name, Person.family_name, Person.postcode,
                       BorrowerOrganisation.name.label("organisation"), Store.name.label("store"))
                .join(Store, Store.id == Order.store_id)
                .outerjoin(Person, Person.id == Order.person_id)
                .outerjoin(BorrowerOrganisation, BorrowerOrganisation.id == Order.organisation_id)
                .where(Order.state == "collection_requested")
                .order_by(Order.collection_due, Order.id))
        return stmt, Order.store_id
    asset_cols = (Asset.id, Asset.asset_tag, Asset.status, Asset.next_inspection_due, Asset.warranty_end,
                  Product.name.label("product"), Store.name.label("store"))
    if kind == "cleaning":
        stmt = (select(*asset_cols).join(Product, Product.id == Asset.product_id)
                .join(Store, Store.id == Asset.store_id).where(Asset.status == "awaiting_cleaning")
                .order_by(Store.name, Product.name, Asset.asset_tag))
        return stmt, Asset.store_id
    if kind == "inspections":
        stmt = (select(*asset_cols).join(Product, Product.id == Asset.product_id)
                .join(Store, Store.id == Asset.store_id)
                .where(Asset.status != "retired",
                       Asset.next_inspection_due <= today + timedelta(days=INSPECTION_WARNING_DAYS))
                .order_by(Asset.next_inspection_due, Asset.id))
        return stmt, Asset.store_id
    if kind == "warranties":
        stmt = (select(*asset_cols).join(Product, Product.id == Asset.product_id)
                .join(Store, Store.id == Asset.store_id)
                .where(Asset.status != "retired", Asset.warranty_end >= today,
                       Asset.warranty_end <= today + timedelta(days=WARRANTY_WARNING_DAYS))
                .order_by(Asset.warranty_end, Asset.id))
        return stmt, Asset.store_id
    if kind == "low_stock":
        stmt = (select(StockLevel.store_id, StockLevel.product_id, StockLevel.on_hand, StockLevel.reserved,
                       StockLevel.awaiting_cleaning, StockLevel.reorder_level, Product.name.label("product"),
                       Product.code, Store.name.label("store"))
                .join(Product, Product.id == StockLevel.product_id).join(Store, Store.id == StockLevel.store_id)
                .where(StockLevel.reorder_level > 0,
                       StockLevel.on_hand - StockLevel.reserved < StockLevel.reorder_level)
                .order_by(Store.name, (StockLevel.on_hand - StockLevel.reserved) - StockLevel.reorder_level))
        return stmt, StockLevel.store_id
    raise NotFound(_("There is no such queue."))


def queue_rows(session, kind: str, today: date, store_id: int | None = None, limit: int = 100) -> list:
    stmt, store_col = _queue_stmt(kind, today, store_id)
    if store_id:
        stmt = stmt.where(store_col == store_id)
    return session.execute(stmt.limit(limit)).all()


def queue_count(session, kind: str, today: date, store_id: int | None = None) -> int:
    """How many rows a queue (?queue=kind) has: the figure on its tab and in its caption."""
    stmt, store_col = _queue_stmt(kind, today, store_id)
    if store_id:
        stmt = stmt.where(store_col == store_id)
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def waiting_count(kind: str):
    """The staff home's card for one queue: count_fn(session, user) for add_waiting_work."""
    def count(session, user) -> int:
        return queue_count(session, kind, timeutil.today())
    return count


def queue_counts(session, today: date, store_id: int | None = None) -> dict:
    """Every queue's count (the tabs) and the overdue ones, for one store or all: three queries over
    the orders, the assets and the stock levels (the same rows as each queue's own query, whose joins
    to store and product never drop a row: both keys are required)."""
    def at_store(stmt, column):
        return stmt.where(column == store_id) if store_id else stmt

    open_order = Order.state.in_(OPEN_ORDER_STATES)
    collecting = Order.state == "collection_requested"
    orders = session.execute(at_store(select(
        func.count().filter(open_order), func.count().filter(open_order, Order.due_date < today),
        func.count().filter(collecting), func.count().filter(collecting, Order.collection_due < today),
    ).where(Order.state.in_((*OPEN_ORDER_STATES, "collection_requested"))), Order.store_id)).one()
    in_use = Asset.status != "retired"
    assets = session.execute(at_store(select(
        func.count().filter(Asset.status == "awaiting_cleaning"),
        func.count().filter(Asset.next_inspection_due <= today + timedelta(days=INSPECTION_WARNING_DAYS)),
        func.count().filter(Asset.next_inspection_due < today),
        func.count().filter(Asset.warranty_end >= today,
                            Asset.warranty_end <= today + timedelta(days=WARRANTY_WARNING_DAYS)),
    ).where(in_use), Asset.store_id)).one()
    low = session.scalar(at_store(select(func.count()).select_from(StockLevel).where(
        StockLevel.reorder_level > 0, StockLevel.on_hand - StockLevel.reserved < StockLevel.reorder_level),
        StockLevel.store_id))
    return {"deliveries": orders[0], "deliveries_overdue": orders[1], "collections": orders[2],
            "collections_overdue": orders[3], "cleaning": assets[0], "inspections": assets[1],
            "inspections_overdue": assets[2], "warranties": assets[3], "low_stock": low}


def figures(session, start: date, end: date, locality: str | None = None) -> dict:
    """Aggregates for the dashboard between start and end (inclusive dates). All SQL aggregates."""
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    where_loc = [Order.locality == locality] if locality else []
    month = month_key(session, Order.delivered_at)
    delivered = session.execute(
        select(month.label("month"), func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.delivered_at >= lo, Order.delivered_at < hi, *where_loc)
        .group_by(month).order_by(month)).all()
    urgent = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Order.delivered_on_time.is_(True), 1), else_=0)), 0))
        .where(Order.priority == "urgent", Order.delivered_at >= lo, Order.delivered_at < hi, *where_loc)).one()
    collections = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Order.collected_on_time.is_(True), 1), else_=0)), 0))
        .where(Order.collected_at >= lo, Order.collected_at < hi, *where_loc)).one()
    reissue = session.execute(
        select(func.count(OrderLine.asset_id),
               func.coalesce(func.sum(case((OrderLine.reissue.is_(True), 1), else_=0)), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.delivered_at >= lo, Order.delivered_at < hi, OrderLine.asset_id.is_not(None),
               *where_loc)).one()
    store_loc = [Store.locality == locality] if locality else []
    overdue = session.scalar(
        select(func.count()).select_from(Asset).join(Store, Store.id == Asset.store_id)
        .where(Asset.status != "retired", Asset.next_inspection_due < timeutil.today(), *store_loc))

    def rate(part, whole):
        return round(100 * part / whole, 1) if whole else None

    return {
        "delivered_per_month": [{"month": m, "items": int(n or 0)} for m, n in delivered],
        "items_delivered": sum(int(n or 0) for _, n in delivered),
        "urgent_deliveries": int(urgent[0]),
        "urgent_on_time": int(urgent[1]),
        "urgent_on_time_percent": rate(int(urgent[1]), int(urgent[0])),
        "collections": int(collections[0]),
        "collections_on_time": int(collections[1]),
        "reissued_items": int(reissue[1]),
        "serialised_items_delivered": int(reissue[0]),
        "reissue_rate_percent": rate(int(reissue[1]), int(reissue[0])),
        "inspections_overdue": int(overdue or 0),
    }


def queue_clock(kind: str, row, now: datetime) -> Reading | None:
    """The clock a queue row shows (none for cleaning and low stock)."""
    if kind == "deliveries":
        return read_clock("Deliver by", row.due_date, now, due_soon_days=1)
    if kind == "collections":
        return read_clock("Collect by", row.collection_due, now, due_soon_days=1)
    if kind == "inspections":
        return read_clock("Inspect by", row.next_inspection_due, now, due_soon_days=INSPECTION_WARNING_DAYS)
    if kind == "warranties":
        return read_clock("Warranty ends", row.warranty_end, now, due_soon_days=WARRANTY_WARNING_DAYS)
    return None


def inspection_clock(due: date | None, now: datetime) -> Reading | None:
    return read_clock("Inspect by", due, now, due_soon_days=INSPECTION_WARNING_DAYS) if due else None


def order_clocks(order: Order, now: datetime) -> dict[str, Reading]:
    """The delivery and collection clocks of an order: open, met or missed."""
    clocks = {}
    if order.state != "cancelled":
        clocks["delivery"] = read_clock("Deliver by", order.due_date, now, stopped_at=order.delivered_at,
                                        due_soon_days=1)
    if order.collection_due is not None:
        clocks["collection"] = read_clock("Collect by", order.collection_due, now, stopped_at=order.collected_at,
                                          due_soon_days=1)
    return clocks


def person_events(session, person) -> list:
    """The person record's timeline: each order raised, delivered and collected."""
    events = []
    for order in session.scalars(select(Order).where(Order.person_id == person.id)):
        href = url_for("equipment.order", order_id=order.id)
        events.append(Event(order.raised_at, f"Equipment order {order.id} raised", href, None, order.state_label))
        if order.delivered_at:
            events.append(Event(order.delivered_at, f"Equipment order {order.id} delivered", href))
        if order.collected_at:
            events.append(Event(order.collected_at, f"Equipment order {order.id} collected", href))
    return events
