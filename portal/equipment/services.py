"""Equipment rules: every stock change and state transition lives here.

Integrity (RELIABILITY.md §3.1–3.3):
- Counted stock changes are single conditional UPDATEs (`... WHERE on_hand - reserved >= n`), with
  CHECK constraints behind them, so two staff can never take the last item.
- Asset status changes are conditional UPDATEs on the status that was read
  (`UPDATE ... SET status='reserved' WHERE id=:id AND status='available'`); a partial unique index
  keeps one asset on at most one open order line.
- Every stock change writes a row in the append-only movements ledger in the same transaction, so
  stock levels always equal the sums of the ledger (see `ledger_discrepancies`).

Future-dated reservations (kept simple on purpose): a reservation holds stock from the moment
it is made until delivery. An order planned for date D may only take stock that is free now AND
not needed by other orders of the same store that are still *requested* (not yet reserved) and
planned for a date before D: earlier-dated orders have first call on free stock. So a hospital
discharge booked for next Tuesday cannot take the last hoist that an order for tomorrow needs.
"""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.audit.services import record
from portal.equipment.models import (
    COLLECTION_REASONS,
    OPEN_ORDER_STATES,
    ORGANISATION_KINDS,
    PRIORITIES,
    Amnesty,
    Asset,
    BorrowerOrganisation,
    Kit,
    KitItem,
    Movement,
    Order,
    OrderLine,
    Product,
    StockLevel,
    Stocktake,
    StocktakeScan,
    Store,
)
from portal.errors import Conflict, IllegalTransition, NotFound, OutOfStock, PortalError, VersionClash
from portal.people.models import Person
from portal.timeutil import to_london, utcnow
from portal.web.bank_holidays import bank_holidays
from portal.web.clocks import add_months, add_working_days

DEFAULT_TARGETS = {"urgent": 1, "standard": 7, "collection": 5}  # working days
IN_STORE = ("available", "reserved", "awaiting_cleaning", "in_repair")


# ---------------------------------------------------------------- configuration and helpers

def targets() -> dict:
    """Delivery and collection targets in working days; override with EQUIPMENT_TARGETS."""
    if has_app_context():
        return {**DEFAULT_TARGETS, **(current_app.config.get("EQUIPMENT_TARGETS") or {})}
    return DEFAULT_TARGETS


def holidays() -> frozenset:
    extra = current_app.config.get("EXTRA_CLOSURE_DAYS", ()) if has_app_context() else ()
    return bank_holidays(extra)


def london_date(moment: datetime) -> date:
    return to_london(moment).date()


def due_after(start: datetime, working_days: int) -> date:
    if working_days <= 0:
        return london_date(start)
    return london_date(add_working_days(start, working_days, holidays()))


def next_inspection(last: date | None, months: int | None) -> date | None:
    """Next inspection = last inspection + the product's interval in months (end-of-month clamped)."""
    if last is None or not months:
        return None
    return add_months(last, months)


def warranty_end(start: date | None, months: int | None) -> date | None:
    if start is None or months is None:
        return None
    return add_months(start, months)


def _actor(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, f"{actor.name} <{actor.email}>"[:160]


def _move(session, actor, kind: str, store_id: int, product_id: int, *, asset_id=None, order_id=None,
          on_hand=0, reserved=0, cleaning=0, from_status=None, to_status=None, reason=None,
          at: datetime | None = None) -> Movement:
    actor_id, label = _actor(actor)
    row = Movement(kind=kind, store_id=store_id, product_id=product_id, asset_id=asset_id,
                   order_id=order_id, on_hand_change=on_hand, reserved_change=reserved,
                   cleaning_change=cleaning, from_status=from_status, to_status=to_status,
                   reason=reason[:300] if reason else None, actor_id=actor_id, actor=label,
                   at=at or utcnow())
    session.add(row)
    return row


def _insert_ignore(session, table, values: dict, index_elements: list[str]):
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return ins.values(**values).on_conflict_do_nothing(index_elements=index_elements)


def _ensure_level(session, store_id: int, product_id: int) -> None:
    session.execute(_insert_ignore(session, StockLevel.__table__, {
        "store_id": store_id, "product_id": product_id, "on_hand": 0, "reserved": 0,
        "awaiting_cleaning": 0, "reorder_level": 0}, ["store_id", "product_id"]))


def _change_level(session, store_id: int, product_id: int, *, on_hand=0, reserved=0, cleaning=0,
                  extra_free: int = 0) -> bool:
    """One conditional UPDATE: applies the changes only if every rule still holds afterwards.
    extra_free: free stock (on_hand - reserved) that must remain after the change."""
    _ensure_level(session, store_id, product_id)
    level = StockLevel.__table__.c
    stmt = (
        update(StockLevel.__table__)
        .where(level.store_id == store_id, level.product_id == product_id,
               level.on_hand + on_hand >= 0, level.reserved + reserved >= 0,
               level.awaiting_cleaning + cleaning >= 0,
               (level.on_hand + on_hand) - (level.reserved + reserved) >= extra_free)
        .values(on_hand=level.on_hand + on_hand, reserved=level.reserved + reserved,
                awaiting_cleaning=level.awaiting_cleaning + cleaning)
        .returning(level.id)
    )
    done = session.execute(stmt).first() is not None
    if done:
        for obj in list(session.identity_map.values()):
            if isinstance(obj, StockLevel) and obj.store_id == store_id and obj.product_id == product_id:
                session.expire(obj)
    return done


def _asset_move(session, actor, asset_id: int, allowed: tuple[str, ...], to_status: str, kind: str, *,
                order_id=None, reason=None, what: str = "", at=None, **values) -> Asset:
    """Move an asset between statuses with a conditional UPDATE on the status read."""
    row = session.execute(select(Asset.status, Asset.store_id, Asset.product_id, Asset.asset_tag)
                          .where(Asset.id == asset_id)).first()
    if row is None:
        raise NotFound("There is no asset with that id.")
    if row.status not in allowed:
        raise IllegalTransition(
            f"Asset {row.asset_tag} is {row.status.replace('_', ' ')}, so it cannot be {what or kind}. "
            f"It must be {' or '.join(s.replace('_', ' ') for s in allowed)}.")
    store_id = values.get("store_id", row.store_id)
    stmt = (update(Asset).where(Asset.id == asset_id, Asset.status == row.status)
            .values(status=to_status, version=Asset.version + 1, **values)
            .returning(Asset.id).execution_options(synchronize_session="fetch"))
    if session.execute(stmt).first() is None:
        raise VersionClash(f"Asset {row.asset_tag} was changed by someone else just now. Refresh and try again.")
    _move(session, actor, kind, store_id, row.product_id, asset_id=asset_id, order_id=order_id,
          from_status=row.status, to_status=to_status, reason=reason, at=at)
    return session.get(Asset, asset_id)


def _order_move(session, order_id: int, allowed: tuple[str, ...], to_state: str, what: str,
                expected_version: int | None = None, **values) -> Order:
    row = session.execute(select(Order.state, Order.version).where(Order.id == order_id)).first()
    if row is None:
        raise NotFound("There is no order with that number.")
    if expected_version is not None and int(expected_version) != row.version:
        raise VersionClash(f"Order {order_id} was changed by someone else since you opened it. "
                       "Your change was not saved; refresh the page to see the latest.")
    if row.state not in allowed:
        raise IllegalTransition(
            f"Order {order_id} is {row.state.replace('_', ' ')}, so it cannot be {what}. "
            f"It must be {' or '.join(s.replace('_', ' ') for s in allowed)}.")
    stmt = (update(Order).where(Order.id == order_id, Order.state == row.state)
            .values(state=to_state, version=Order.version + 1, **values)
            .returning(Order.id).execution_options(synchronize_session="fetch"))
    if session.execute(stmt).first() is None:
        raise VersionClash(f"Order {order_id} was changed by someone else just now. Refresh and try again.")
    order = session.get(Order, order_id)
    session.refresh(order)
    return order


def get_order(session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("There is no order with that number.")
    return order


def get_asset(session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound("There is no asset with that id.")
    return asset


# ---------------------------------------------------------------- catalogue, stores, stock

PRODUCT_FIELDS = ("code", "name", "category", "area", "description", "supply", "tracking", "self_purchase",
                  "price_min", "price_max", "what_to_look_for", "inspection_months", "warranty_months",
                  "cleaning_required", "unit_cost", "active")


def create_product(session, actor, **fields) -> Product:
    code = (fields.get("code") or "").strip().upper()
    if session.scalar(select(Product.id).where(Product.code == code)):
        raise Conflict(f"A product with code {code} already exists.")
    product = Product(**{k: v for k, v in fields.items() if k in PRODUCT_FIELDS})
    product.code = code
    session.add(product)
    session.flush()
    record(session, actor, "equipment.product_created", "equipment_product", product.id, code=code)
    return product


def update_product(session, actor, product_id: int, version: int, **fields) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product with that id.")
    if int(version) != product.version:
        raise VersionClash(f"Product {product.code} was changed by someone else since you opened it. "
                       "Your changes were not saved.")
    changed = {}
    for key, value in fields.items():
        if key in PRODUCT_FIELDS and key != "code" and getattr(product, key) != value:
            changed[key] = str(value)
            setattr(product, key, value)
    session.flush()
    record(session, actor, "equipment.product_changed", "equipment_product", product.id, changed=changed)
    return product


def create_store(session, actor, code: str, name: str, locality=None, address=None) -> Store:
    store = Store(code=code, name=name, locality=locality, address=address)
    session.add(store)
    session.flush()
    record(session, actor, "equipment.store_created", "equipment_store", store.id, code=code)
    return store


def _check_organisation(session, name: str, kind: str, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise PortalError("Enter the organisation's name.")
    if kind not in ORGANISATION_KINDS:
        raise PortalError("Select the kind of organisation.")
    stmt = select(BorrowerOrganisation.id).where(func.lower(BorrowerOrganisation.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(BorrowerOrganisation.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"There is already an organisation called {name}.")
    return name


def create_organisation(session, actor, name: str, kind: str, locality=None, address=None):
    name = _check_organisation(session, name, kind)
    org = BorrowerOrganisation(name=name, kind=kind, locality=locality, address=address)
    session.add(org)
    session.flush()
    record(session, actor, "equipment.organisation_created", "equipment_borrower_organisation", org.id)
    return org


def update_organisation(session, actor, organisation_id: int, *, name: str, kind: str, locality=None,
                        address=None) -> BorrowerOrganisation:
    org = session.get(BorrowerOrganisation, organisation_id)
    if org is None:
        raise NotFound("There is no organisation with that id.")
    name = _check_organisation(session, name, kind, exclude_id=org.id)
    changed = {}
    for key, value in (("name", name), ("kind", kind), ("locality", locality or None),
                       ("address", address or None)):
        if getattr(org, key) != value:
            changed[key] = str(value) if value is not None else None
            setattr(org, key, value)
    session.flush()
    if changed:
        record(session, actor, "equipment.organisation_changed", "equipment_borrower_organisation", org.id,
               changed=changed)
    return org


MAX_KIT_ITEMS = 5


def create_kit(session, actor, *, code: str, name: str, items: list[tuple[str, int]],
               description: str | None = None) -> Kit:
    """A kit of up to MAX_KIT_ITEMS products, named by product code with a quantity each."""
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not code or not name:
        raise PortalError("Enter the kit's code and name.")
    wanted: dict[str, int] = {}
    for product_code, quantity in items:
        product_code = (product_code or "").strip().upper()
        if not product_code:
            continue
        if not quantity or quantity <= 0:
            raise PortalError(f"Enter a quantity of 1 or more for {product_code}.")
        wanted[product_code] = wanted.get(product_code, 0) + quantity
    if not wanted:
        raise PortalError("Enter at least one product code.")
    if len(wanted) > MAX_KIT_ITEMS:
        raise PortalError(f"A kit can have up to {MAX_KIT_ITEMS} products.")
    found = dict(session.execute(select(Product.code, Product.id).where(Product.code.in_(list(wanted)))).all())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise UnknownProducts(missing)
    if session.scalar(select(Kit.id).where(Kit.code == code)) is not None:
        raise Conflict(f"A kit with code {code} already exists.")
    kit = Kit(code=code, name=name, description=description or None)
    kit.items = [KitItem(product_id=found[c], quantity=q) for c, q in wanted.items()]
    session.add(kit)
    session.flush()
    record(session, actor, "equipment.kit_created", "equipment_kit", kit.id, code=code,
           items={c: q for c, q in wanted.items()})
    return kit


class UnknownProducts(PortalError):
    """Product codes that are not in the catalogue (the kit form shows them against the fields)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__("There is no product with code " + ", ".join(codes) + " in the catalogue.")
        self.codes = codes


def kits_with_items(session) -> list[tuple[Kit, list]]:
    """Every kit with its items (product code, name, quantity) in two queries."""
    kits = list(session.scalars(select(Kit).order_by(Kit.name)))
    rows = session.execute(
        select(KitItem.kit_id, Product.id, Product.code, Product.name, KitItem.quantity)
        .join(Product, Product.id == KitItem.product_id).order_by(Product.name)).all()
    by_kit: dict[int, list] = {}
    for row in rows:
        by_kit.setdefault(row.kit_id, []).append(row)
    return [(kit, by_kit.get(kit.id, [])) for kit in kits]


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


def add_asset(session, actor, *, product_id: int, store_id: int, asset_tag: str, serial=None,
              purchase_cost=None, purchased_on: date | None = None, last_inspected_on: date | None = None,
              at: datetime | None = None) -> Asset:
    product = session.get(Product, product_id)
    if product is None or product.tracking != "serialised":
        raise PortalError("Assets can only be added for serialised products.")
    tag = asset_tag.strip().upper()
    if session.scalar(select(Asset.id).where(Asset.asset_tag == tag)):
        raise Conflict(f"Asset tag {tag} is already in use.")
    purchased_on = purchased_on or london_date(utcnow())
    asset = Asset(asset_tag=tag, serial=serial, product_id=product_id, store_id=store_id, status="available",
                  purchase_cost=purchase_cost if purchase_cost is not None else product.unit_cost,
                  purchased_on=purchased_on, last_inspected_on=last_inspected_on,
                  next_inspection_due=next_inspection(last_inspected_on or purchased_on,
                                                      product.inspection_months),
                  warranty_end=warranty_end(purchased_on, product.warranty_months))
    session.add(asset)
    session.flush()
    _move(session, actor, "received", store_id, product_id, asset_id=asset.id, to_status="available",
          reason="New asset added", at=at)
    record(session, actor, "equipment.asset_added", "equipment_asset", asset.id, tag=tag)
    return asset


def _counted_product(session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound("There is no product with that id.")
    if product.tracking != "counted":
        raise PortalError(f"{product.name} is serialised: add or adjust its assets one by one.")
    return product


def receive_stock(session, actor, store_id: int, product_id: int, quantity: int, reason: str,
                  at: datetime | None = None) -> None:
    """Counted stock arriving (a purchase or a transfer in): on hand goes up."""
    _counted_product(session, product_id)
    if quantity <= 0:
        raise PortalError("Enter a quantity of 1 or more.")
    _change_level(session, store_id, product_id, on_hand=quantity)
    _move(session, actor, "received", store_id, product_id, on_hand=quantity, reason=reason, at=at)
    record(session, actor, "equipment.stock_received", "equipment_store", store_id,
           product_id=product_id, quantity=quantity, reason=reason)


def adjust_stock(session, actor, store_id: int, product_id: int, change: int, reason: str) -> None:
    """A correction after a count (stocktake, damage, loss): never below what is reserved."""
    _counted_product(session, product_id)
    if not reason or not reason.strip():
        raise PortalError("Enter the reason for the adjustment.")
    if change == 0:
        raise PortalError("Enter a change other than 0.")
    if not _change_level(session, store_id, product_id, on_hand=change):
        raise OutOfStock("That adjustment would take stock below zero or below what is reserved.")
    _move(session, actor, "adjust", store_id, product_id, on_hand=change, reason=reason)
    record(session, actor, "equipment.stock_adjusted", "equipment_store", store_id,
           product_id=product_id, change=change, reason=reason)


def set_reorder_level(session, actor, store_id: int, product_id: int, level: int) -> None:
    if level < 0:
        raise PortalError("Enter a reorder level of 0 or more.")
    _ensure_level(session, store_id, product_id)
    session.execute(update(StockLevel.__table__).where(
        StockLevel.__table__.c.store_id == store_id, StockLevel.__table__.c.product_id == product_id
    ).values(reorder_level=level))
    record(session, actor, "equipment.reorder_level_set", "equipment_store", store_id,
           product_id=product_id, level=level)


def clean_counted(session, actor, store_id: int, product_id: int, quantity: int) -> None:
    """Returned counted loan items, cleaned: awaiting cleaning → on hand."""
    if quantity <= 0:
        raise PortalError("Enter a quantity of 1 or more.")
    if not _change_level(session, store_id, product_id, on_hand=quantity, cleaning=-quantity):
        raise IllegalTransition("There are not that many items of this product awaiting cleaning.")
    _move(session, actor, "clean", store_id, product_id, on_hand=quantity, cleaning=-quantity,
          reason="Cleaned and returned to stock")
    record(session, actor, "equipment.counted_cleaned", "equipment_store", store_id,
           product_id=product_id, quantity=quantity)


# ---------------------------------------------------------------- asset life

def clean_asset(session, actor, asset_id: int) -> Asset:
    asset = _asset_move(session, actor, asset_id, ("awaiting_cleaning",), "available", "clean",
                        what="marked as cleaned", reason="Cleaned and returned to stock")
    record(session, actor, "equipment.asset_cleaned", "equipment_asset", asset_id)
    return asset


def send_to_repair(session, actor, asset_id: int, reason: str) -> Asset:
    asset = _asset_move(session, actor, asset_id, ("available", "awaiting_cleaning"), "in_repair", "repair",
                        what="sent for repair", reason=reason or "Sent for repair")
    record(session, actor, "equipment.asset_to_repair", "equipment_asset", asset_id, reason=reason)
    return asset


def return_from_repair(session, actor, asset_id: int) -> Asset:
    """Back from repair: it must be cleaned before it is available again."""
    asset = _asset_move(session, actor, asset_id, ("in_repair",), "awaiting_cleaning", "repaired",
                        what="returned from repair", reason="Returned from repair")
    record(session, actor, "equipment.asset_repaired", "equipment_asset", asset_id)
    return asset


def retire_asset(session, actor, asset_id: int, reason: str) -> Asset:
    if not reason or not reason.strip():
        raise PortalError("Enter the reason for retiring the asset.")
    asset = _asset_move(session, actor, asset_id, ("available", "awaiting_cleaning", "in_repair"), "retired",
                        "retire", what="retired", reason=reason)
    record(session, actor, "equipment.asset_retired", "equipment_asset", asset_id, reason=reason)
    return asset


def record_inspection(session, actor, asset_id: int, inspected_on: date) -> Asset:
    asset = get_asset(session, asset_id)
    if asset.status == "retired":
        raise IllegalTransition(f"Asset {asset.asset_tag} is retired, so it cannot be inspected.")
    if inspected_on > london_date(utcnow()):
        raise PortalError("The inspection date must be today or in the past.")
    asset.last_inspected_on = inspected_on
    asset.next_inspection_due = next_inspection(inspected_on, asset.product.inspection_months)
    session.flush()
    _move(session, actor, "inspect", asset.store_id, asset.product_id, asset_id=asset.id,
          from_status=asset.status, to_status=asset.status, reason=f"Inspected on {inspected_on.isoformat()}")
    record(session, actor, "equipment.asset_inspected", "equipment_asset", asset_id,
           inspected_on=inspected_on.isoformat())
    return asset


# ---------------------------------------------------------------- orders

@dataclass
class LineRequest:
    product_id: int
    quantity: int = 1


def raise_order(session, actor, *, store_id: int, priority: str, lines: list[LineRequest] | None = None,
                kit_id: int | None = None, person_id: int | None = None, organisation_id: int | None = None,
                planned_date: date | None = None, notes: str | None = None,
                submission_key: str | None = None, now: datetime | None = None) -> tuple[Order, bool]:
    """Create an order (requested). Returns (order, created); a repeated submission_key returns
    the existing order and created=False (double click, back button, retry)."""
    now = now or utcnow()
    key = submission_key or str(uuid.uuid4())
    existing = session.scalar(select(Order).where(Order.submission_key == key))
    if existing is not None:
        return existing, False
    if priority not in PRIORITIES:
        raise PortalError("Select a delivery priority.")
    if (person_id is None) == (organisation_id is None):
        raise PortalError("An order is for one person or one organisation.")
    locality = None
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound("There is no person with that id.")
        locality = person.locality
    else:
        org = session.get(BorrowerOrganisation, organisation_id)
        if org is None:
            raise NotFound("There is no organisation with that id.")
        locality = org.locality
    if session.get(Store, store_id) is None:
        raise NotFound("There is no store with that id.")
    wanted: list[LineRequest] = list(lines or [])
    if kit_id:
        kit = session.get(Kit, kit_id)
        if kit is None:
            raise NotFound("There is no kit with that id.")
        wanted += [LineRequest(item.product_id, item.quantity) for item in kit.items]
    if not wanted:
        raise PortalError("Select at least one product or a kit.")
    today = london_date(now)
    if planned_date is not None and planned_date < today:
        raise PortalError("The planned delivery date must be today or in the future.")
    target = due_after(now, targets()[priority])
    planned = planned_date or target
    values = dict(submission_key=key, person_id=person_id, organisation_id=organisation_id, store_id=store_id,
                  kit_id=kit_id, locality=locality, priority=priority, state="requested",
                  planned_date=planned, due_date=max(target, planned), notes=notes,
                  raised_by_id=_actor(actor)[0], raised_at=now, version=1)
    order_id = session.execute(_insert_ignore(session, Order.__table__, values, ["submission_key"])
                               .returning(Order.__table__.c.id)).scalar()
    if order_id is None:  # a concurrent duplicate submission won
        return session.scalar(select(Order).where(Order.submission_key == key)), False
    for req in wanted:
        product = session.get(Product, req.product_id)
        if product is None or not product.active:
            raise PortalError("Select a product from the catalogue.")
        if req.quantity <= 0:
            raise PortalError("Enter a quantity of 1 or more.")
        if product.tracking == "serialised":
            session.add_all(OrderLine(order_id=order_id, product_id=product.id, quantity=1)
                            for _ in range(req.quantity))
        else:
            session.add(OrderLine(order_id=order_id, product_id=product.id, quantity=req.quantity))
    session.flush()
    record(session, actor, "equipment.order_raised", "equipment_order", order_id, priority=priority,
           planned_date=planned.isoformat(), person_id=person_id, organisation_id=organisation_id)
    return session.get(Order, order_id), True


def availability_on(session, store_id: int, product_id: int, on_date: date,
                    exclude_order_id: int | None = None) -> dict:
    """Stock of a product in a store that an order planned for on_date may take:
    free now, less what requested (unreserved) orders planned for an earlier date still need."""
    product = session.get(Product, product_id)
    if product.tracking == "serialised":
        free = session.scalar(select(func.count()).select_from(Asset).where(
            Asset.store_id == store_id, Asset.product_id == product_id, Asset.status == "available")) or 0
    else:
        row = session.execute(select(StockLevel.on_hand, StockLevel.reserved).where(
            StockLevel.store_id == store_id, StockLevel.product_id == product_id)).first()
        free = (row.on_hand - row.reserved) if row else 0
    stmt = (select(func.coalesce(func.sum(OrderLine.quantity), 0)).join(Order)
            .where(Order.store_id == store_id, OrderLine.product_id == product_id, Order.state == "requested",
                   Order.planned_date < on_date))
    if exclude_order_id:
        stmt = stmt.where(Order.id != exclude_order_id)
    earlier = int(session.scalar(stmt) or 0)
    return {"free_now": int(free), "needed_earlier": earlier, "available": int(free) - earlier}


def reserve_order(session, actor, order_id: int, *, assets: dict[int, int] | None = None,
                  expected_version: int | None = None) -> Order:
    """requested → reserved. All lines or none (a savepoint): a kit reserves as one order.
    `assets` may name the asset for a serialised line ({line_id: asset_id}), e.g. after a scan."""
    assets = assets or {}
    with session.begin_nested():
        order = _order_move(session, order_id, ("requested",), "reserved", "reserved", expected_version,
                            reserved_at=utcnow())
        need = Counter()
        for line in order.lines:
            need[line.product_id] += line.quantity
        for product_id, quantity in need.items():
            avail = availability_on(session, order.store_id, product_id, order.planned_date, order.id)
            if avail["available"] < quantity:
                name = session.get(Product, product_id).name
                extra = (f" ({avail['needed_earlier']} needed by orders planned before "
                         f"{order.planned_date.strftime('%-d %B %Y')})" if avail["needed_earlier"] else "")
                raise OutOfStock(f"Not enough {name} in {order.store.name} for this order: "
                                 f"{max(avail['free_now'], 0)} free{extra}, {quantity} wanted. Nothing was reserved.")
        for line in order.lines:
            product = line.product
            if product.tracking == "serialised":
                _reserve_asset(session, actor, order, line, assets.get(line.id))
            else:
                earlier = availability_on(session, order.store_id, product.id, order.planned_date,
                                          order.id)["needed_earlier"]
                if not _change_level(session, order.store_id, product.id, reserved=line.quantity,
                                     extra_free=earlier):
                    raise OutOfStock(f"Not enough {product.name} in {order.store.name}: someone else has "
                                     "just reserved it. Nothing was reserved.")
                _move(session, actor, "reserve", order.store_id, product.id, order_id=order.id,
                      reserved=line.quantity, reason=f"Reserved for order {order.id}")
        session.flush()
    record(session, actor, "equipment.order_reserved", "equipment_order", order.id)
    return order


def _reserve_asset(session, actor, order: Order, line: OrderLine, asset_id: int | None) -> None:
    if asset_id is not None:
        candidates = [asset_id]
    else:
        candidates = list(session.scalars(
            select(Asset.id).where(Asset.store_id == order.store_id, Asset.product_id == line.product_id,
                                   Asset.status == "available")
            .order_by(Asset.next_inspection_due.desc(), Asset.id).limit(50)))
    for candidate in candidates:
        stmt = (update(Asset).where(Asset.id == candidate, Asset.status == "available",
                                    Asset.product_id == line.product_id, Asset.store_id == order.store_id)
                .values(status="reserved", version=Asset.version + 1)
                .returning(Asset.id).execution_options(synchronize_session="fetch"))
        if session.execute(stmt).first() is not None:
            line.asset_id = candidate
            session.flush()  # the partial unique index checks the asset is on no other open line
            _move(session, actor, "reserve", order.store_id, line.product_id, asset_id=candidate,
                  order_id=order.id, from_status="available", to_status="reserved",
                  reason=f"Reserved for order {order.id}")
            return
    if asset_id is not None:
        tag = session.scalar(select(Asset.asset_tag).where(Asset.id == asset_id)) or asset_id
        raise OutOfStock(f"Asset {tag} is not available in {order.store.name} for this product: someone "
                         "else may have reserved it. Nothing was reserved.")
    raise OutOfStock(f"No {line.product.name} is available in {order.store.name}: someone else has just "
                     "reserved the last one. Nothing was reserved.")


def _release_line(session, actor, order: Order, line: OrderLine, reason: str) -> None:
    now = utcnow()
    if line.asset_id is not None:
        _asset_move(session, actor, line.asset_id, ("reserved",), "available", "release", order_id=order.id,
                    reason=reason)
    elif line.product.tracking == "counted":
        if not _change_level(session, order.store_id, line.product_id, reserved=-line.quantity):
            raise VersionClash("The reservation could not be released; the stock record has changed.")
        _move(session, actor, "release", order.store_id, line.product_id, order_id=order.id,
              reserved=-line.quantity, reason=reason)
    line.released_at = now


def cancel_order(session, actor, order_id: int, reason: str, expected_version: int | None = None) -> Order:
    if not reason or not reason.strip():
        raise PortalError("Enter the reason for cancelling the order.")
    was = get_order(session, order_id).state
    order = _order_move(session, order_id, OPEN_ORDER_STATES, "cancelled", "cancelled", expected_version,
                        cancelled_at=utcnow(), cancel_reason=reason[:300])
    if was == "reserved":
        for line in order.lines:
            _release_line(session, actor, order, line, f"Order {order.id} cancelled: {reason}")
    else:
        for line in order.lines:
            line.released_at = utcnow()
    session.flush()
    record(session, actor, "equipment.order_cancelled", "equipment_order", order.id, reason=reason)
    return order


def deliver_order(session, actor, order_id: int, *, at: datetime | None = None,
                  expected_version: int | None = None) -> Order:
    """reserved → delivered: assets go on loan to the person (or organisation); counted stock
    leaves the shelf (on hand and reserved both go down); issued items are the person's to keep."""
    at = at or utcnow()
    actor_id = _actor(actor)[0]
    order = get_order(session, order_id)
    on_time = london_date(at) <= order.due_date
    order = _order_move(session, order_id, ("reserved",), "delivered", "delivered", expected_version,
                        delivered_at=at, delivered_by_id=actor_id, delivered_on_time=on_time)
    borrower = f"person {order.person_id}" if order.person_id else f"organisation {order.organisation_id}"
    for line in order.lines:
        if line.asset_id is not None:
            asset = session.get(Asset, line.asset_id)
            line.reissue = asset.loan_count > 0
            _asset_move(session, actor, line.asset_id, ("reserved",), "on_loan", "deliver", order_id=order.id,
                        reason=f"Delivered on loan to {borrower}", at=at, person_id=order.person_id,
                        organisation_id=order.organisation_id, on_loan_since=at,
                        loan_count=Asset.loan_count + 1)
        else:
            if not _change_level(session, order.store_id, line.product_id, on_hand=-line.quantity,
                                 reserved=-line.quantity):
                raise VersionClash("The stock record changed while delivering; nothing was saved.")
            issued = line.product.supply == "issue"
            _move(session, actor, "deliver", order.store_id, line.product_id, order_id=order.id,
                  on_hand=-line.quantity, reserved=-line.quantity, at=at,
                  reason=f"{'Issued' if issued else 'Delivered on loan'} to {borrower}")
            if issued:
                line.released_at = at
    session.flush()
    record(session, actor, "equipment.order_delivered", "equipment_order", order.id, on_time=on_time)
    return order


def _loan_lines(order: Order) -> list[OrderLine]:
    return [line for line in order.lines if line.released_at is None]


def request_collection(session, actor, order_id: int, reason: str, *, amnesty_id: int | None = None,
                       now: datetime | None = None, expected_version: int | None = None) -> Order:
    if reason not in COLLECTION_REASONS:
        raise PortalError("Select the reason for the collection.")
    now = now or utcnow()
    order = get_order(session, order_id)
    if order.state == "delivered" and not _loan_lines(order):
        raise IllegalTransition(f"Everything on order {order_id} was issued, not loaned: there is nothing "
                                "to collect.")
    order = _order_move(session, order_id, ("delivered",), "collection_requested", "booked for collection",
                        expected_version, collection_requested_at=now, collection_reason=reason,
                        collection_due=due_after(now, targets()["collection"]), amnesty_id=amnesty_id)
    for line in _loan_lines(order):
        if line.asset_id is not None:
            _asset_move(session, actor, line.asset_id, ("on_loan",), "awaiting_collection", "collection_requested",
                        order_id=order.id, reason=COLLECTION_REASONS[reason], at=now)
    session.flush()
    record(session, actor, "equipment.collection_requested", "equipment_order", order.id, reason=reason)
    return order


def collect_order(session, actor, order_id: int, *, at: datetime | None = None,
                  expected_version: int | None = None) -> Order:
    """collection_requested → collected. Returned items go to awaiting cleaning, never to available."""
    at = at or utcnow()
    order = get_order(session, order_id)
    on_time = order.collection_due is None or london_date(at) <= order.collection_due
    order = _order_move(session, order_id, ("collection_requested",), "collected", "collected",
                        expected_version, collected_at=at, collected_by_id=_actor(actor)[0],
                        collected_on_time=on_time)
    for line in _loan_lines(order):
        if line.asset_id is not None:
            _asset_move(session, actor, line.asset_id, ("awaiting_collection",), "awaiting_cleaning", "collect",
                        order_id=order.id, reason="Collected; awaiting cleaning", at=at,
                        store_id=order.store_id, person_id=None, organisation_id=None, on_loan_since=None)
        else:
            _change_level(session, order.store_id, line.product_id, cleaning=line.quantity)
            _move(session, actor, "collect", order.store_id, line.product_id, order_id=order.id,
                  cleaning=line.quantity, reason="Collected; awaiting cleaning", at=at)
        line.released_at = at
    session.flush()
    record(session, actor, "equipment.order_collected", "equipment_order", order.id, on_time=on_time)
    return order


def clean_order_items(session, actor, order_id: int) -> int:
    """Mark everything that came back on a collected order as cleaned. Returns how many."""
    order = get_order(session, order_id)
    if order.state != "collected":
        raise IllegalTransition(f"Order {order_id} is {order.state.replace('_', ' ')}: only collected items "
                                "can be cleaned.")
    cleaned = 0
    for line in order.lines:
        if line.asset_id is not None:
            status = session.scalar(select(Asset.status).where(Asset.id == line.asset_id))
            if status == "awaiting_cleaning":
                clean_asset(session, actor, line.asset_id)
                cleaned += 1
        elif line.product.supply == "loan":
            level = session.execute(select(StockLevel.awaiting_cleaning).where(
                StockLevel.store_id == order.store_id, StockLevel.product_id == line.product_id)).scalar() or 0
            quantity = min(level, line.quantity)
            if quantity:
                clean_counted(session, actor, order.store_id, line.product_id, quantity)
                cleaned += quantity
    if cleaned == 0:
        raise IllegalTransition(f"Nothing from order {order_id} is waiting to be cleaned.")
    return cleaned


def fit_asset(session, actor, asset_id: int, person_id: int, reason: str, *,
              at: datetime | None = None) -> Asset:
    """An installer fits an available serialised asset at a person's home (telecare): it goes on
    loan to the person without an order. One conditional UPDATE and one ledger row, like a delivery."""
    at = at or utcnow()
    if session.get(Person, person_id) is None:
        raise NotFound("There is no person with that id.")
    asset = _asset_move(session, actor, asset_id, ("available",), "on_loan", "deliver", reason=reason, at=at,
                        what="fitted", person_id=person_id, organisation_id=None, on_loan_since=at,
                        loan_count=Asset.loan_count + 1)
    record(session, actor, "equipment.asset_fitted", "equipment_asset", asset_id, person_id=person_id)
    return asset


def return_fitted_asset(session, actor, asset_id: int, reason: str, *, store_id: int | None = None,
                        at: datetime | None = None) -> Asset:
    """A fitted asset comes back from a person's home (removal, replacement): on loan → awaiting
    cleaning, never straight to available. It returns to store_id, or to the store it came from."""
    at = at or utcnow()
    values = {"store_id": store_id} if store_id is not None else {}
    asset = _asset_move(session, actor, asset_id, ("on_loan",), "awaiting_cleaning", "collect", reason=reason,
                        at=at, what="returned to stock", person_id=None, organisation_id=None,
                        on_loan_since=None, **values)
    record(session, actor, "equipment.asset_returned", "equipment_asset", asset_id, reason=reason)
    return asset


# ---------------------------------------------------------------- reading

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


def orders_for_person(session, person_id: int, limit: int = 50) -> list[Order]:
    return list(session.scalars(select(Order).where(Order.person_id == person_id)
                                .order_by(Order.raised_at.desc()).limit(limit)))


def asset_history(session, asset_id: int) -> list[Movement]:
    return list(session.scalars(select(Movement).where(Movement.asset_id == asset_id)
                                .order_by(Movement.id.desc())))


def find_asset_by_tag(session, tag: str) -> Asset | None:
    cleaned = (tag or "").strip().upper()
    if not cleaned:
        return None
    # A scanned QR label carries the asset page path: take the last part.
    cleaned = cleaned.rstrip("/").rsplit("/", 1)[-1]
    return session.scalar(select(Asset).where(Asset.asset_tag == cleaned))


def ledger_discrepancies(session) -> list[str]:
    """Stock levels and asset statuses that disagree with the ledger (should always be empty)."""
    problems = []
    sums = (select(Movement.store_id, Movement.product_id,
                   func.sum(Movement.on_hand_change).label("on_hand"),
                   func.sum(Movement.reserved_change).label("reserved"),
                   func.sum(Movement.cleaning_change).label("cleaning"))
            .where(Movement.asset_id.is_(None)).group_by(Movement.store_id, Movement.product_id).subquery())
    rows = session.execute(
        select(StockLevel.store_id, StockLevel.product_id, StockLevel.on_hand, StockLevel.reserved,
               StockLevel.awaiting_cleaning, sums.c.on_hand, sums.c.reserved, sums.c.cleaning)
        .outerjoin(sums, and_(sums.c.store_id == StockLevel.store_id, sums.c.product_id == StockLevel.product_id))
    ).all()
    for r in rows:
        if (r[2], r[3], r[4]) != (r[5] or 0, r[6] or 0, r[7] or 0):
            problems.append(f"store {r[0]} product {r[1]}: level {r[2:5]} ledger {r[5:8]}")
    last = (select(Movement.asset_id, func.max(Movement.id).label("last_id"))
            .where(Movement.asset_id.is_not(None)).group_by(Movement.asset_id).subquery())
    rows = session.execute(
        select(Asset.asset_tag, Asset.status, Movement.to_status)
        .outerjoin(last, last.c.asset_id == Asset.id).outerjoin(Movement, Movement.id == last.c.last_id)
        .where(or_(Movement.to_status.is_(None), Movement.to_status != Asset.status))
    ).all()
    problems += [f"asset {tag}: status {status}, ledger {ledger}" for tag, status, ledger in rows]
    return problems


# ---------------------------------------------------------------- queues

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
    raise NotFound("There is no such queue.")


def queue_rows(session, kind: str, today: date, store_id: int | None = None, limit: int = 100) -> list:
    stmt, store_col = _queue_stmt(kind, today, store_id)
    if store_id:
        stmt = stmt.where(store_col == store_id)
    return session.execute(stmt.limit(limit)).all()


def queue_counts(session, today: date, store_id: int | None = None) -> dict:
    counts = {}
    for kind in QUEUES:
        stmt, store_col = _queue_stmt(kind, today, store_id)
        if store_id:
            stmt = stmt.where(store_col == store_id)
        counts[kind] = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    overdue = {
        "deliveries": select(func.count()).select_from(Order).where(
            Order.state.in_(OPEN_ORDER_STATES), Order.due_date < today),
        "collections": select(func.count()).select_from(Order).where(
            Order.state == "collection_requested", Order.collection_due < today),
        "inspections": select(func.count()).select_from(Asset).where(
            Asset.status != "retired", Asset.next_inspection_due < today),
    }
    for kind, stmt in overdue.items():
        if store_id:
            stmt = stmt.where((Order.store_id if kind != "inspections" else Asset.store_id) == store_id)
        counts[f"{kind}_overdue"] = session.scalar(stmt)
    return counts


# ---------------------------------------------------------------- figures for the dashboard

def _month(session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def figures(session, start: date, end: date, locality: str | None = None) -> dict:
    """Aggregates for the dashboard between start and end (inclusive dates). All SQL aggregates."""
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    where_loc = [Order.locality == locality] if locality else []
    month = _month(session, Order.delivered_at)
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
    asset_value = session.scalar(
        select(func.coalesce(func.sum(Asset.purchase_cost), 0)).join(Store, Store.id == Asset.store_id)
        .where(Asset.status != "retired", *store_loc))
    counted_value = session.scalar(
        select(func.coalesce(func.sum(StockLevel.on_hand * Product.unit_cost), 0))
        .join(Product, Product.id == StockLevel.product_id).join(Store, Store.id == StockLevel.store_id)
        .where(*store_loc))
    today = london_date(utcnow())
    overdue = session.scalar(
        select(func.count()).select_from(Asset).join(Store, Store.id == Asset.store_id)
        .where(Asset.status != "retired", Asset.next_inspection_due < today, *store_loc))

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
        "stock_value": Decimal(asset_value or 0) + Decimal(counted_value or 0),
        "inspections_overdue": int(overdue or 0),
    }


# ---------------------------------------------------------------- stocktake

STOCKTAKE_EXPECTED = ("available", "reserved", "awaiting_cleaning")


def start_stocktake(session, actor, store_id: int) -> Stocktake:
    existing = session.scalar(select(Stocktake).where(Stocktake.store_id == store_id, Stocktake.state == "open"))
    if existing:
        return existing
    if session.get(Store, store_id) is None:
        raise NotFound("There is no store with that id.")
    stocktake = Stocktake(store_id=store_id, started_by_id=_actor(actor)[0])
    session.add(stocktake)
    session.flush()
    record(session, actor, "equipment.stocktake_started", "equipment_stocktake", stocktake.id, store_id=store_id)
    return stocktake


def scan(session, actor, stocktake_id: int, tag: str) -> tuple[str, Asset | None, bool]:
    """Record one scanned label. Returns (tag, asset or None, was it new)."""
    stocktake = session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound("There is no stocktake with that id.")
    if stocktake.state != "open":
        raise IllegalTransition("This stocktake is completed: start a new one to scan again.")
    cleaned = (tag or "").strip().upper().rstrip("/").rsplit("/", 1)[-1][:40]
    if not cleaned:
        raise PortalError("Scan or enter an asset tag.")
    asset = session.scalar(select(Asset).where(Asset.asset_tag == cleaned))
    new_id = session.execute(_insert_ignore(session, StocktakeScan.__table__, {
        "stocktake_id": stocktake_id, "asset_tag": cleaned, "asset_id": asset.id if asset else None,
        "scanned_at": utcnow()}, ["stocktake_id", "asset_tag"]).returning(StocktakeScan.__table__.c.id)).scalar()
    return cleaned, asset, new_id is not None


def stocktake_result(session, stocktake: Stocktake) -> dict:
    scans = session.execute(
        select(StocktakeScan.asset_tag, StocktakeScan.scanned_at, Asset.id, Asset.store_id, Asset.status,
               Product.name)
        .outerjoin(Asset, Asset.id == StocktakeScan.asset_id).outerjoin(Product, Product.id == Asset.product_id)
        .where(StocktakeScan.stocktake_id == stocktake.id).order_by(StocktakeScan.id.desc())).all()
    scanned_ids = {row.id for row in scans if row.id}
    expected = session.execute(
        select(Asset.id, Asset.asset_tag, Asset.status, Product.name).join(Product, Product.id == Asset.product_id)
        .where(Asset.store_id == stocktake.store_id, Asset.status.in_(STOCKTAKE_EXPECTED))
        .order_by(Asset.asset_tag)).all()
    return {
        "scans": scans,
        "found": [r for r in scans if r.id and r.store_id == stocktake.store_id and r.status in STOCKTAKE_EXPECTED],
        "missing": [r for r in expected if r.id not in scanned_ids],
        "misplaced": [r for r in scans if r.id and r.store_id != stocktake.store_id
                      and r.status in STOCKTAKE_EXPECTED],
        "unexpected": [r for r in scans if r.id is None or r.status not in STOCKTAKE_EXPECTED],
    }


def complete_stocktake(session, actor, stocktake_id: int, reason: str) -> dict:
    """Record the adjustments: misplaced assets move to this store; missing available or
    awaiting-cleaning assets are retired as lost. Unknown tags and loaned items are only reported."""
    if not reason or not reason.strip():
        raise PortalError("Enter the reason for the adjustments.")
    stocktake = session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound("There is no stocktake with that id.")
    if stocktake.state != "open":
        raise IllegalTransition("This stocktake is already completed.")
    result = stocktake_result(session, stocktake)
    label = f"Stocktake {stocktake.id}: {reason}"
    moved = lost = 0
    for row in result["misplaced"]:
        asset = session.get(Asset, row.id)
        from_store = asset.store_id
        stmt = (update(Asset).where(Asset.id == row.id, Asset.store_id == from_store, Asset.status == asset.status)
                .values(store_id=stocktake.store_id, version=Asset.version + 1)
                .returning(Asset.id).execution_options(synchronize_session="fetch"))
        if session.execute(stmt).first() is not None:
            _move(session, actor, "transfer", stocktake.store_id, asset.product_id, asset_id=asset.id,
                  from_status=asset.status, to_status=asset.status, reason=f"{label} (found here; was store "
                  f"{from_store})")
            moved += 1
    for row in result["missing"]:
        if row.status in ("available", "awaiting_cleaning"):
            _asset_move(session, actor, row.id, (row.status,), "retired", "adjust",
                        reason=f"{label} (missing: not found at stocktake)")
            lost += 1
    stocktake.state = "completed"
    stocktake.completed_at = utcnow()
    stocktake.reason = reason[:300]
    session.flush()
    summary = {"moved": moved, "written_off": lost, "unexpected": len(result["unexpected"]),
               "found": len(result["found"])}
    record(session, actor, "equipment.stocktake_completed", "equipment_stocktake", stocktake.id, **summary)
    return summary


# ---------------------------------------------------------------- amnesty

def start_amnesty(session, actor, name: str, months: int, organisation_id: int | None = None,
                  locality: str | None = None) -> Amnesty:
    if not name or not name.strip():
        raise PortalError("Enter a name for the amnesty.")
    if months <= 0:
        raise PortalError("Enter a number of months of 1 or more.")
    if not organisation_id and not locality:
        raise PortalError("Select an organisation or an area.")
    amnesty = Amnesty(name=name.strip(), months=months, organisation_id=organisation_id or None,
                      locality=locality or None, started_by_id=_actor(actor)[0])
    session.add(amnesty)
    session.flush()
    record(session, actor, "equipment.amnesty_started", "equipment_amnesty", amnesty.id, months=months)
    return amnesty


def amnesty_candidates(session, amnesty: Amnesty, now: datetime | None = None) -> list:
    """Orders still on loan (delivered, not yet booked for collection) to the organisation or
    area for longer than the amnesty's months."""
    cutoff = add_months(now or utcnow(), -amnesty.months)
    stmt = (select(Order.id, Order.delivered_at, Person.given_name, Person.family_name,
                   BorrowerOrganisation.name.label("organisation"), func.count(OrderLine.id).label("items"))
            .join(OrderLine, and_(OrderLine.order_id == Order.id, OrderLine.released_at.is_(None)))
            .outerjoin(Person, Person.id == Order.person_id)
            .outerjoin(BorrowerOrganisation, BorrowerOrganisation.id == Order.organisation_id)
            .where(Order.state == "delivered", Order.delivered_at < cutoff)
            .group_by(Order.id, Order.delivered_at, Person.given_name, Person.family_name, BorrowerOrganisation.name)
            .order_by(Order.delivered_at))
    if amnesty.organisation_id:
        stmt = stmt.where(Order.organisation_id == amnesty.organisation_id)
    if amnesty.locality:
        stmt = stmt.where(Order.locality == amnesty.locality)
    return session.execute(stmt).all()


def amnesty_request_collections(session, actor, amnesty_id: int) -> int:
    amnesty = session.get(Amnesty, amnesty_id)
    if amnesty is None:
        raise NotFound("There is no amnesty with that id.")
    rows = amnesty_candidates(session, amnesty)
    for row in rows:
        request_collection(session, actor, row.id, "care_home_amnesty", amnesty_id=amnesty.id)
    return len(rows)


def amnesty_report(session, amnesty: Amnesty) -> dict:
    by_state = dict(session.execute(select(Order.state, func.count()).where(Order.amnesty_id == amnesty.id)
                                    .group_by(Order.state)).all())
    returned = session.scalar(select(func.count(OrderLine.id)).join(Order, Order.id == OrderLine.order_id)
                              .where(Order.amnesty_id == amnesty.id, Order.state == "collected")) or 0
    return {"requested": by_state.get("collection_requested", 0), "collected": by_state.get("collected", 0),
            "items_returned": returned}
