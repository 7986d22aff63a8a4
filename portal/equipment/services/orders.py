"""Orders: raise → reserve → deliver → request collection → collect → clean, or cancel before delivery.

Future-dated reservations (kept simple on purpose): a reservation holds stock from the moment
it is made until delivery. An order planned for date D may only take stock that is free now AND
not needed by other orders of the same store that are still *requested* (not yet reserved) and
planned for a date before D: earlier-dated orders have first call on free stock. So a hospital
discharge booked for next Tuesday cannot take the last hoist that an order for tomorrow needs.

Safety: an asset is reserved only if it is available and in date for its inspection on the
planned delivery day (`fit_day`), delivered only if in date on the day, and swapped in (`swap_line`)
only if in date today. A product is ordered only by a prescriber its level allows.

Every action is checked against `allowed_order_actions` first (role, state, ownership, safety).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.audit.services import record
from portal.equipment.models import (
    COLLECTION_REASONS,
    PRIORITIES,
    Asset,
    BorrowerOrganisation,
    Kit,
    Order,
    OrderLine,
    Product,
    StockLevel,
    Store,
)
from portal.equipment.services._common import due_after, targets
from portal.equipment.services.allowed import (
    check_order_action,
    inspection_overdue,
    loan_lines,
    may_prescribe,
    swappable_lines,
)
from portal.equipment.services.assets import clean_asset
from portal.equipment.services.ledger import actor_id, asset_move, change_level, move
from portal.equipment.services.recall_hold import mark_returned, open_item_for_asset, open_item_for_line
from portal.equipment.services.stock import clean_counted
from portal.errors import NotAllowed, NotFound, OutOfStock, Refusal, VersionClash, check_version
from portal.people.access import access_to, may_order_for
from portal.people.models import Person
from portal.sql import insert_ignore, move_state, new_submission_key
from portal.timeutil import london_date, today, utcnow


@dataclass
class LineRequest:
    product_id: int
    quantity: int = 1


def get_order(session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(_("There is no order with that number."))
    return order


def _load(session, actor, order_id: int, action: str, expected_version: int | None,
          on: date | None = None) -> Order:
    """The order, checked: the page's version first (a clash), then the action's rule."""
    order = get_order(session, order_id)
    check_version(order, expected_version, f"Order {order.id}")
    check_order_action(actor, order, action, on)
    return order


def _order_move(session, order: Order, to_state: str, **values) -> Order:
    """Two people can never both move the order."""
    return move_state(session, order, to_state, f"Order {order.id}", **values)


def prescribed_from(session, actor, person_id: int, referral_id: int) -> bool:
    """The referral an order is raised from is the person's, and one the prescriber may open."""
    from portal.referrals.models import Referral
    from portal.referrals.services import can_open

    referral = session.get(Referral, referral_id)
    if referral is None or referral.person_id != person_id:
        return False
    return actor is None or isinstance(actor, str) or can_open(actor, referral)


def raise_order(session, actor, *, store_id: int, priority: str, lines: list[LineRequest] | None = None,
                kit_id: int | None = None, person_id: int | None = None, organisation_id: int | None = None,
                planned_date: date | None = None, notes: str | None = None, referral_id: int | None = None,
                submission_key: str | None = None, now: datetime | None = None) -> tuple[Order, bool]:
    """Create an order (requested). Returns (order, created); a repeated submission_key returns
    the existing order and created=False (double click, back button, retry).

    A refusal names its field: `line_<n>` for the n-th of `lines` (from 0), else the form field."""
    now = now or utcnow()
    key = submission_key or new_submission_key()
    existing = session.scalar(select(Order).where(Order.submission_key == key))
    if existing is not None:
        return existing, False
    if priority not in PRIORITIES:
        raise Refusal(_("Select a delivery priority."), field="priority")
    if (person_id is None) == (organisation_id is None):
        raise Refusal(_("An order is for one person or one organisation."))
    if person_id is not None:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound(_("There is no person with that id."))
        if not may_order_for(session, actor, person_id):
            raise NotAllowed(_("You can order equipment only for someone whose referral or assessment you may "
                               "open."))
        if referral_id is not None and not prescribed_from(session, actor, person_id, referral_id):
            raise NotAllowed(_("That referral is not one of this person's that you may open."))
        locality = person.locality
    else:
        org = session.get(BorrowerOrganisation, organisation_id)
        if org is None:
            raise NotFound(_("There is no organisation with that id."))
        locality = org.locality
    if session.get(Store, store_id) is None:
        raise Refusal(_("Select a store from the list."), field="store_id")
    wanted = [(f"line_{n}", req) for n, req in enumerate(lines or [])]
    if kit_id:
        kit = session.get(Kit, kit_id)
        if kit is None:
            raise Refusal(_("Select a kit from the list."), field="kit_id")
        wanted += [("kit_id", LineRequest(item.product_id, item.quantity)) for item in kit.items]
    if not wanted:
        raise Refusal(_("Select at least one product or a kit."), field="line_0")
    for field, req in wanted:
        product = session.get(Product, req.product_id)
        if product is None or not product.active:
            raise Refusal(_("Select a product from the catalogue: that one is not in it, or is withdrawn."),
                          field=field)
        if req.quantity <= 0:
            raise Refusal(_("Enter a quantity of 1 or more."), field=field)
        if not may_prescribe(actor, product):
            what = "the kit" if field == "kit_id" else product.name
            raise Refusal(_("%(name)s can only be ordered by %(prescribers)s: ask one to order %(what)s.",
                            name=product.name, what=what,
                            prescribers=product.prescriber_label[0].lower() + product.prescriber_label[1:]),
                          field=field)
    if planned_date is not None and planned_date < london_date(now):
        raise Refusal(_("The planned delivery date must be today or in the future."), field="planned_date")
    target = due_after(now, targets()[priority])
    planned = planned_date or target
    values = dict(submission_key=key, person_id=person_id, organisation_id=organisation_id, store_id=store_id,
                  kit_id=kit_id, locality=locality, priority=priority, state="requested",
                  planned_date=planned, due_date=max(target, planned), notes=notes,
                  raised_by_id=actor_id(actor), raised_at=now, referral_id=referral_id, version=1)
    order_id = session.execute(insert_ignore(session, Order.__table__, values, ["submission_key"])
                               .returning(Order.__table__.c.id)).scalar()
    if order_id is None:  # a concurrent duplicate submission won
        return session.scalar(select(Order).where(Order.submission_key == key)), False
    for _field, req in wanted:
        product = session.get(Product, req.product_id)
        if product.tracking == "serialised":
            session.add_all(OrderLine(order_id=order_id, product_id=product.id, quantity=1)
                            for _ in range(req.quantity))
        else:
            session.add(OrderLine(order_id=order_id, product_id=product.id, quantity=req.quantity))
    session.flush()
    record(session, actor, "equipment.order_raised", "equipment_order", order_id, priority=priority,
           planned_date=planned.isoformat(), person_id=person_id, organisation_id=organisation_id)
    return session.get(Order, order_id), True


def fit_day(planned: date) -> date:
    """The day an asset must still be in date for: the planned delivery, or today if that is earlier."""
    return max(today(), planned)


def _fit_to_go(store_id: int, product_id: int, on: date):
    """Assets of a product in a store that may go out on `on`: available and in date for inspection."""
    return (Asset.store_id == store_id, Asset.product_id == product_id, Asset.status == "available",
            (Asset.next_inspection_due.is_(None)) | (Asset.next_inspection_due >= on))


def availability_on(session, store_id: int, product_id: int, on_date: date,
                    exclude_order_id: int | None = None) -> dict:
    """Stock of a product in a store that an order planned for on_date may take:
    free now, less what requested (unreserved) orders planned for an earlier date still need.
    An asset that will be overdue for its inspection by on_date is not free."""
    product = session.get(Product, product_id)
    if product.tracking == "serialised":
        free = session.scalar(select(func.count()).select_from(Asset).where(
            *_fit_to_go(store_id, product_id, fit_day(on_date)))) or 0
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


def _overdue_count(session, store_id: int, product_id: int, on: date) -> int:
    return session.scalar(select(func.count()).select_from(Asset).where(
        Asset.store_id == store_id, Asset.product_id == product_id, Asset.status == "available",
        Asset.next_inspection_due < on)) or 0


def reserve_order(session, actor, order_id: int, *, assets: dict[int, int] | None = None,
                  expected_version: int | None = None) -> Order:
    """requested → reserved. All lines or none (a savepoint): a kit reserves as one order.
    `assets` may name the asset for a serialised line ({line_id: asset_id}), e.g. after a scan."""
    assets = assets or {}
    order = _load(session, actor, order_id, "reserve", expected_version)
    day = fit_day(order.planned_date)
    for asset in filter(None, (session.get(Asset, asset_id) for asset_id in assets.values())):
        if asset.status == "quarantined":
            raise OutOfStock(_("%(name)s %(asset_tag)s is quarantined under a product recall, so it cannot be "
                               "reserved. Pick another item. Nothing was reserved.",
                               name=asset.product.name, asset_tag=asset.asset_tag))
        if inspection_overdue(asset, day):
            raise OutOfStock(_("%(name)s %(asset_tag)s is due its inspection on %(due)s, before the "
                               "delivery on %(day)s, so it cannot be reserved. Inspect it now, or pick another "
                               "item. Nothing was reserved.",
                               name=asset.product.name, asset_tag=asset.asset_tag,
                               due=asset.next_inspection_due.strftime("%-d %B %Y"), day=day.strftime("%-d %B %Y")))
    with session.begin_nested():
        order = _order_move(session, order, "reserved", reserved_at=utcnow())
        need = Counter()
        for line in order.lines:
            need[line.product_id] += line.quantity
        for product_id, quantity in need.items():
            avail = availability_on(session, order.store_id, product_id, order.planned_date, order.id)
            if avail["available"] < quantity:
                name = session.get(Product, product_id).name
                extra = (f" ({avail['needed_earlier']} needed by orders planned before "
                         f"{order.planned_date.strftime('%-d %B %Y')})" if avail["needed_earlier"] else "")
                overdue = _overdue_count(session, order.store_id, product_id, day)
                inspect = (f" {overdue} more {'is' if overdue == 1 else 'are'} due for inspection before "
                           f"{day:%-d %B %Y}: inspect "
                           f"{'it' if overdue == 1 else 'them'} now, or order from another store."
                           if overdue else "")
                raise OutOfStock(_("Not enough %(name)s in %(store)s for this order: %(free)s free%(extra)s, "
                                   "%(quantity)s wanted. Nothing was reserved.%(inspect)s",
                                   name=name, store=order.store.name, free=max(avail["free_now"], 0), extra=extra,
                                   quantity=quantity, inspect=inspect))
        for line in order.lines:
            product = line.product
            if product.tracking == "serialised":
                _reserve_asset(session, actor, order, line, assets.get(line.id))
            else:
                earlier = availability_on(session, order.store_id, product.id, order.planned_date,
                                          order.id)["needed_earlier"]
                if not change_level(session, order.store_id, product.id, reserved=line.quantity,
                                    extra_free=earlier):
                    raise OutOfStock(_("Not enough %(name)s in %(store)s: someone else has just reserved it. "
                                       "Nothing was reserved.",
                                       name=product.name, store=order.store.name))
                move(session, actor, "reserve", order.store_id, product.id, order_id=order.id,
                     reserved=line.quantity, reason=f"Reserved for order {order.id}")
        session.flush()
    record(session, actor, "equipment.order_reserved", "equipment_order", order.id)
    return order


def _reserve_asset(session, actor, order: Order, line: OrderLine, asset_id: int | None) -> None:
    if asset_id is not None:
        candidates = [asset_id]
    else:
        candidates = list(session.scalars(
            select(Asset.id).where(*_fit_to_go(order.store_id, line.product_id, fit_day(order.planned_date)))
            .order_by(Asset.next_inspection_due.desc(), Asset.id).limit(50)))
    for candidate in candidates:
        stmt = (update(Asset).where(Asset.id == candidate,
                                    *_fit_to_go(order.store_id, line.product_id, fit_day(order.planned_date)))
                .values(status="reserved", version=Asset.version + 1)
                .returning(Asset.id).execution_options(synchronize_session="fetch"))
        if session.execute(stmt).first() is not None:
            line.asset_id = candidate
            session.flush()  # the partial unique index checks the asset is on no other open line
            move(session, actor, "reserve", order.store_id, line.product_id, asset_id=candidate,
                 order_id=order.id, from_status="available", to_status="reserved",
                 reason=f"Reserved for order {order.id}")
            return
    if asset_id is not None:
        tag = session.scalar(select(Asset.asset_tag).where(Asset.id == asset_id)) or asset_id
        raise OutOfStock(_("Asset %(tag)s is not available in %(name)s for this product: someone else may "
                           "have reserved it. Nothing was reserved.",
                           tag=tag, name=order.store.name))
    raise OutOfStock(_("No %(name)s is available in %(store)s: someone else has just reserved the last "
                       "one. Nothing was reserved.",
                       name=line.product.name, store=order.store.name))


def swap_line(session, actor, order_id: int, line_id: int | None, *, expected_version: int | None = None,
              at: datetime | None = None) -> Asset:
    """Give a serialised line another asset, in date for its inspection. On a reserved order the
    line's asset goes back on the shelf and another is reserved ("pick another"); on a delivered
    order another goes on loan in exchange and the one that was there comes back awaiting cleaning.
    All or nothing. Returns the asset swapped in."""
    at = at or utcnow()
    order = _load(session, actor, order_id, "swap", expected_version)
    line = next((ln for ln in swappable_lines(order) if ln.id == line_id), None)
    if line is None:
        raise Refusal(_("Select an item on this order to swap."))
    reserved = order.state == "reserved"
    day = fit_day(order.planned_date) if reserved else london_date(at)
    old_id, old_tag = line.asset_id, line.asset.asset_tag
    borrower = {"person_id": order.person_id, "organisation_id": order.organisation_id}
    with session.begin_nested():
        order = _order_move(session, order, order.state)
        if reserved:
            asset_move(session, actor, old_id, ("reserved",), "available", "release", order_id=order.id,
                       reason=f"Swapped out of order {order.id}")
        else:
            recalled = open_item_for_asset(session, old_id)
            asset_move(session, actor, old_id, ("on_loan",), "quarantined" if recalled else "awaiting_cleaning",
                       "collect", order_id=order.id, at=at, store_id=order.store_id, person_id=None,
                       organisation_id=None, on_loan_since=None,
                       reason=f"Exchanged on order {order.id}; "
                              f"{'quarantined under a recall' if recalled else 'awaiting cleaning'}")
            mark_returned(recalled, order.store_id, at)
        line.asset_id = None
        session.flush()
        to_status = "reserved" if reserved else "on_loan"
        values = {} if reserved else {**borrower, "on_loan_since": at, "loan_count": Asset.loan_count + 1}
        candidates = session.scalars(
            select(Asset.id).where(*_fit_to_go(order.store_id, line.product_id, day), Asset.id != old_id)
            .order_by(Asset.next_inspection_due.desc(), Asset.id).limit(50)).all()
        for candidate in candidates:
            stmt = (update(Asset).where(Asset.id == candidate, *_fit_to_go(order.store_id, line.product_id, day))
                    .values(status=to_status, version=Asset.version + 1, **values)
                    .returning(Asset.id).execution_options(synchronize_session="fetch"))
            if session.execute(stmt).first() is not None:
                break
        else:
            raise OutOfStock(_("No other %(name)s in %(store)s is available and in date for its inspection on "
                               "%(day)s: record the inspection of %(old_tag)s now, or order from another store. "
                               "Nothing was changed.",
                               name=line.product.name, store=order.store.name, day=day.strftime("%-d %B %Y"),
                               old_tag=old_tag))
        line.asset_id = candidate
        if not reserved:
            line.reissue = session.get(Asset, candidate).loan_count > 1
        session.flush()
        move(session, actor, "reserve" if reserved else "deliver", order.store_id, line.product_id,
             asset_id=candidate, order_id=order.id, from_status="available", to_status=to_status, at=at,
             reason=f"Swapped into order {order.id} for {old_tag}")
    new = session.get(Asset, candidate)
    record(session, actor, "equipment.asset_swapped", "equipment_order", order.id, line_id=line.id,
           swapped_out=old_tag, swapped_in=new.asset_tag)
    return new


def _release_line(session, actor, order: Order, line: OrderLine, reason: str) -> None:
    if line.asset_id is not None:
        asset_move(session, actor, line.asset_id, ("reserved",), "available", "release", order_id=order.id,
                   reason=reason)
    elif line.product.tracking == "counted":
        # Cannot fail while the CHECKs hold (this order's reservation is part of `reserved`).
        if not change_level(session, order.store_id, line.product_id, reserved=-line.quantity):
            raise VersionClash(_("The reservation could not be released: the stock record has changed. Nothing was"
                                 " saved."), entity_type=Order.__tablename__, entity_id=order.id)
        move(session, actor, "release", order.store_id, line.product_id, order_id=order.id,
             reserved=-line.quantity, reason=reason)
    line.released_at = utcnow()


def unreserve_order(session, actor, order: Order, reason: str) -> Order:
    """reserved → requested: every line gives back its asset or counted stock and waits to be reserved
    again (a product recall took one of its items). The order keeps its place and dates."""
    order = _order_move(session, order, "requested", reserved_at=None)
    for line in order.lines:
        if line.asset_id is not None:
            status = session.scalar(select(Asset.status).where(Asset.id == line.asset_id))
            if status == "reserved":
                asset_move(session, actor, line.asset_id, ("reserved",), "available", "release",
                           order_id=order.id, reason=reason)
            line.asset_id = None
        elif line.product.tracking == "counted":
            if not change_level(session, order.store_id, line.product_id, reserved=-line.quantity):
                raise VersionClash(_("The reservation could not be released: the stock record has changed. Nothing was"
                                     " saved."), entity_type=Order.__tablename__, entity_id=order.id)
            move(session, actor, "release", order.store_id, line.product_id, order_id=order.id,
                 reserved=-line.quantity, reason=reason)
    session.flush()
    record(session, actor, "equipment.order_unreserved", "equipment_order", order.id, reason=reason[:300])
    return order


def cancel_order(session, actor, order_id: int, reason: str, expected_version: int | None = None) -> Order:
    order = _load(session, actor, order_id, "cancel", expected_version)
    if not reason or not reason.strip():
        raise Refusal(_("Enter the reason for cancelling the order."), field="reason")
    was = order.state
    order = _order_move(session, order, "cancelled", cancelled_at=utcnow(), cancel_reason=reason[:300])
    for line in order.lines:
        if was == "reserved":
            _release_line(session, actor, order, line, f"Order {order.id} cancelled: {reason}")
        else:
            line.released_at = utcnow()
    session.flush()
    record(session, actor, "equipment.order_cancelled", "equipment_order", order.id, reason=reason)
    return order


def deliver_order(session, actor, order_id: int, *, at: datetime | None = None,
                  expected_version: int | None = None) -> Order:
    """reserved → delivered: assets go on loan to the person (or organisation); counted stock
    leaves the shelf (on hand and reserved both go down); issued items are the person's to keep.
    An asset overdue for its inspection on the day is refused."""
    at = at or utcnow()
    order = _load(session, actor, order_id, "deliver", expected_version, on=london_date(at))
    on_time = london_date(at) <= order.due_date
    order = _order_move(session, order, "delivered", delivered_at=at, delivered_by_id=actor_id(actor),
                        delivered_on_time=on_time)
    borrower = f"person {order.person_id}" if order.person_id else f"organisation {order.organisation_id}"
    for line in order.lines:
        if line.asset_id is not None:
            line.reissue = line.asset.loan_count > 0
            asset_move(session, actor, line.asset_id, ("reserved",), "on_loan", "deliver", order_id=order.id,
                       reason=f"Delivered on loan to {borrower}", at=at, person_id=order.person_id,
                       organisation_id=order.organisation_id, on_loan_since=at,
                       loan_count=Asset.loan_count + 1)
        else:
            # Cannot fail while the CHECKs hold: this order's quantity is reserved, so it is on hand.
            if not change_level(session, order.store_id, line.product_id, on_hand=-line.quantity,
                                reserved=-line.quantity):
                raise VersionClash(_("The stock record changed while delivering. Nothing was saved."),
                                   entity_type=Order.__tablename__, entity_id=order.id)
            issued = line.product.supply == "issue"
            move(session, actor, "deliver", order.store_id, line.product_id, order_id=order.id,
                 on_hand=-line.quantity, reserved=-line.quantity, at=at,
                 reason=f"{'Issued' if issued else 'Delivered on loan'} to {borrower}")
            if issued:
                line.released_at = at
    session.flush()
    record(session, actor, "equipment.order_delivered", "equipment_order", order.id, on_time=on_time)
    return order


def request_collection(session, actor, order_id: int, reason: str, *, amnesty_id: int | None = None,
                       now: datetime | None = None, expected_version: int | None = None) -> Order:
    order = _load(session, actor, order_id, "collection", expected_version)
    if order.person_id is not None and not isinstance(actor, str | None) and not access_to(
            session, actor, order.person_id):
        raise NotAllowed(_("You can ask for a collection only from someone whose record you may see."))
    return book_collection(session, actor, order, reason, amnesty_id=amnesty_id, now=now)


def book_collection(session, actor, order: Order, reason: str, *, amnesty_id: int | None = None,
                    now: datetime | None = None) -> Order:
    """delivered → collection_requested, once the caller has checked who may ask (request_collection
    for a person's order; a product recall for its affected orders)."""
    if reason not in COLLECTION_REASONS:
        raise Refusal(_("Select why it is being collected."), field="reason")
    now = now or utcnow()
    order = _order_move(session, order, "collection_requested", collection_requested_at=now,
                        collection_reason=reason, collection_due=due_after(now, targets()["collection"]),
                        amnesty_id=amnesty_id)
    for line in loan_lines(order):
        if line.asset_id is not None:
            asset_move(session, actor, line.asset_id, ("on_loan",), "awaiting_collection", "collection_requested",
                       order_id=order.id, reason=COLLECTION_REASONS[reason], at=now)
    session.flush()
    record(session, actor, "equipment.collection_requested", "equipment_order", order.id, reason=reason)
    return order


def collect_order(session, actor, order_id: int, *, at: datetime | None = None,
                  expected_version: int | None = None) -> Order:
    """collection_requested → collected. Returned items go to awaiting cleaning, never to available."""
    at = at or utcnow()
    order = _load(session, actor, order_id, "collect", expected_version)
    on_time = order.collection_due is None or london_date(at) <= order.collection_due
    order = _order_move(session, order, "collected", collected_at=at, collected_by_id=actor_id(actor),
                        collected_on_time=on_time)
    for line in loan_lines(order):
        if line.asset_id is not None:
            recalled = open_item_for_asset(session, line.asset_id)
            asset_move(session, actor, line.asset_id, ("awaiting_collection",),
                       "quarantined" if recalled else "awaiting_cleaning", "collect", order_id=order.id, at=at,
                       reason="Collected; " + ("quarantined under a recall" if recalled else "awaiting cleaning"),
                       store_id=order.store_id, person_id=None, organisation_id=None, on_loan_since=None)
            mark_returned(recalled, order.store_id, at)
        elif (recalled := open_item_for_line(session, line.id)) is not None:
            # recalled counted items are held by the recall item, not put back for cleaning
            move(session, actor, "collect", order.store_id, line.product_id, order_id=order.id, at=at,
                 reason=f"Collected; {line.quantity} quarantined under a recall")
            mark_returned(recalled, order.store_id, at)
        else:
            change_level(session, order.store_id, line.product_id, cleaning=line.quantity)
            move(session, actor, "collect", order.store_id, line.product_id, order_id=order.id,
                 cleaning=line.quantity, reason="Collected; awaiting cleaning", at=at)
        line.released_at = at
    session.flush()
    record(session, actor, "equipment.order_collected", "equipment_order", order.id, on_time=on_time)
    return order


def clean_order_items(session, actor, order_id: int, expected_version: int | None = None) -> int:
    """Mark everything that came back on a collected order as cleaned. Returns how many."""
    order = _load(session, actor, order_id, "clean_order", expected_version)
    cleaned = 0
    for line in order.lines:
        if line.asset_id is not None:
            if line.asset.status == "awaiting_cleaning":
                clean_asset(session, actor, line.asset_id)
                cleaned += 1
        elif line.product.supply == "loan":
            level = session.execute(select(StockLevel.awaiting_cleaning).where(
                StockLevel.store_id == order.store_id, StockLevel.product_id == line.product_id)).scalar() or 0
            quantity = min(level, line.quantity)
            if quantity:
                clean_counted(session, actor, order.store_id, line.product_id, quantity)
                cleaned += quantity
    return cleaned
