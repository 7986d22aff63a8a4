"""Equipment services: the loan lifecycle, illegal transitions, kits, future-dated reservations,
inspection and warranty dates, the ledger."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.equipment import services
from portal.equipment.models import Asset, Movement, OrderLine, StockLevel
from portal.equipment.services import LineRequest
from portal.errors import IllegalTransition, OutOfStock, Refusal
from portal.timeutil import today as london_today
from portal.timeutil import utcnow


def _level(session, store, product):
    session.expire_all()
    return session.scalar(select(StockLevel).where(StockLevel.store_id == store.id,
                                                   StockLevel.product_id == product.id))


def _order(session, world, lines, **kwargs):
    kwargs.setdefault("person_id", world["person"].id)
    order, created = services.raise_order(session, "test", store_id=world["north"].id,
                                          priority=kwargs.pop("priority", "standard"), lines=lines, **kwargs)
    assert created
    return order


def test_full_loan_lifecycle(db_session, world):
    s, w = db_session, world
    hoist = services.add_asset(s, "test", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="h-1001",
                               serial="SN1")
    services.receive_stock(s, "test", w["north"].id, w["commode"].id, 3, "Delivery from supplier")
    services.receive_stock(s, "test", w["north"].id, w["rail"].id, 10, "Delivery from supplier")
    order = _order(s, w, [LineRequest(w["hoist"].id), LineRequest(w["commode"].id, 2), LineRequest(w["rail"].id, 4)])
    assert order.state == "requested"
    assert len(order.lines) == 3

    services.reserve_order(s, "test", order.id)
    assert s.get(Asset, hoist.id).status == "reserved"
    level = _level(s, w["north"], w["commode"])
    assert (level.on_hand, level.reserved) == (3, 2)

    services.deliver_order(s, "test", order.id)
    asset = s.get(Asset, hoist.id)
    assert asset.status == "on_loan" and asset.person_id == w["person"].id and asset.loan_count == 1
    level = _level(s, w["north"], w["commode"])
    assert (level.on_hand, level.reserved) == (1, 0)
    assert _level(s, w["north"], w["rail"]).on_hand == 6
    loans = services.loans_for_person(s, w["person"].id)
    assert {row["name"] for row in loans} == {"Mobile hoist", "Commode"}  # the rail was issued, not loaned

    order = services.request_collection(s, "test", order.id, "no_longer_needed")
    assert order.state == "collection_requested" and order.collection_due > london_today()
    assert s.get(Asset, hoist.id).status == "awaiting_collection"

    services.collect_order(s, "test", order.id)
    asset = s.get(Asset, hoist.id)
    assert asset.status == "awaiting_cleaning" and asset.person_id is None
    level = _level(s, w["north"], w["commode"])
    assert (level.on_hand, level.awaiting_cleaning) == (1, 2)  # never available until cleaned
    assert services.loans_for_person(s, w["person"].id) == []

    assert services.clean_order_items(s, "test", order.id) == 3
    assert s.get(Asset, hoist.id).status == "available"
    level = _level(s, w["north"], w["commode"])
    assert (level.on_hand, level.awaiting_cleaning) == (3, 0)
    assert services.ledger_discrepancies(s) == []
    kinds = [m.kind for m in services.asset_history(s, hoist.id)]
    assert kinds == ["clean", "collect", "collection_requested", "deliver", "reserve", "received"]

    # the same hoist goes out again: a re-issue
    again = _order(s, w, [LineRequest(w["hoist"].id)])
    services.reserve_order(s, "test", again.id)
    services.deliver_order(s, "test", again.id)
    assert s.get(Asset, hoist.id).loan_count == 2
    today = london_today()
    figs = services.figures(s, today - timedelta(days=1), today + timedelta(days=1))
    assert figs["reissued_items"] == 1 and figs["serialised_items_delivered"] == 2
    assert figs["items_delivered"] == 1 + 2 + 4 + 1


def test_illegal_transitions_are_refused_with_a_message(db_session, world):
    s, w = db_session, world
    hoist = services.add_asset(s, "test", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="H-2001")
    order = _order(s, w, [LineRequest(w["hoist"].id)])
    with pytest.raises(IllegalTransition, match="requested, so it cannot be delivered"):
        services.deliver_order(s, "test", order.id)
    with pytest.raises(IllegalTransition, match="cannot be booked for collection"):
        services.request_collection(s, "test", order.id, "moved")
    with pytest.raises(IllegalTransition, match="requested, so it cannot be collected"):
        services.collect_order(s, "test", order.id)
    with pytest.raises(IllegalTransition, match="available, so it cannot be marked as cleaned"):
        services.clean_asset(s, "test", hoist.id)
    services.reserve_order(s, "test", order.id)
    with pytest.raises(IllegalTransition, match="reserved, so it cannot be reserved"):
        services.reserve_order(s, "test", order.id)
    services.deliver_order(s, "test", order.id)
    with pytest.raises(IllegalTransition, match="on loan, so it cannot be retired"):
        services.retire_asset(s, "test", hoist.id, "Broken")
    with pytest.raises(IllegalTransition, match="cannot be cancelled"):
        services.cancel_order(s, "test", order.id, "Changed mind")
    with pytest.raises(Refusal, match="Select why it is being collected"):
        services.request_collection(s, "test", order.id, "bored")


def test_cancel_releases_the_reservation(db_session, world):
    s, w = db_session, world
    services.receive_stock(s, "test", w["north"].id, w["commode"].id, 1, "In")
    order = _order(s, w, [LineRequest(w["commode"].id)])
    services.reserve_order(s, "test", order.id)
    assert _level(s, w["north"], w["commode"]).reserved == 1
    services.cancel_order(s, "test", order.id, "Person went into hospital")
    assert _level(s, w["north"], w["commode"]).reserved == 0
    assert services.ledger_discrepancies(s) == []


def test_kit_reserves_all_or_nothing(db_session, world):
    s, w = db_session, world
    services.add_asset(s, "test", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="H-3001")
    order, _ = services.raise_order(s, "test", store_id=w["north"].id, priority="urgent", kit_id=w["kit"].id,
                                    person_id=w["person"].id)
    assert {line.product_id for line in order.lines} == {w["hoist"].id, w["commode"].id}
    with pytest.raises(OutOfStock, match="Nothing was reserved"):
        services.reserve_order(s, "test", order.id)  # no commodes: the hoist must not stay reserved
    s.expire_all()
    assert s.scalar(select(Asset.status).where(Asset.asset_tag == "H-3001")) == "available"
    assert services.get_order(s, order.id).state == "requested"
    services.receive_stock(s, "test", w["north"].id, w["commode"].id, 1, "In")
    services.reserve_order(s, "test", order.id)
    assert services.get_order(s, order.id).state == "reserved"
    assert services.ledger_discrepancies(s) == []


def test_future_dated_orders_respect_earlier_dated_demand(db_session, world):
    s, w = db_session, world
    services.receive_stock(s, "test", w["north"].id, w["commode"].id, 1, "In")
    today = london_today()
    tomorrow_order = _order(s, w, [LineRequest(w["commode"].id)], planned_date=today + timedelta(days=1))
    next_week = _order(s, w, [LineRequest(w["commode"].id)], planned_date=today + timedelta(days=8))
    avail = services.availability_on(s, w["north"].id, w["commode"].id, today + timedelta(days=8), next_week.id)
    assert avail == {"free_now": 1, "needed_earlier": 1, "available": 0}
    with pytest.raises(OutOfStock, match="needed by orders planned before"):
        services.reserve_order(s, "test", next_week.id)
    services.reserve_order(s, "test", tomorrow_order.id)
    assert services.get_order(s, tomorrow_order.id).due_date >= today + timedelta(days=1)


def test_planned_date_cannot_be_past_and_due_date_uses_priority(db_session, world):
    s, w = db_session, world
    monday = datetime(2026, 3, 2, 10, 0)  # a Monday
    order, _ = services.raise_order(s, "t", store_id=w["north"].id, priority="urgent",
                                    lines=[LineRequest(w["commode"].id)], person_id=w["person"].id, now=monday)
    assert order.due_date == date(2026, 3, 3)
    order, _ = services.raise_order(s, "t", store_id=w["north"].id, priority="standard",
                                    lines=[LineRequest(w["commode"].id)], person_id=w["person"].id, now=monday)
    assert order.due_date == date(2026, 3, 11)
    with pytest.raises(Refusal, match="today or in the future") as refused:
        services.raise_order(s, "t", store_id=w["north"].id, priority="standard",
                             lines=[LineRequest(w["commode"].id)], person_id=w["person"].id,
                             planned_date=london_today() - timedelta(days=1))
    assert refused.value.field == "planned_date"


def test_duplicate_submission_returns_the_same_order(db_session, world):
    s, w = db_session, world
    first, created = services.raise_order(s, "t", store_id=w["north"].id, priority="standard",
                                          lines=[LineRequest(w["commode"].id)], person_id=w["person"].id,
                                          submission_key="key-1")
    again, created_again = services.raise_order(s, "t", store_id=w["north"].id, priority="standard",
                                                lines=[LineRequest(w["commode"].id)], person_id=w["person"].id,
                                                submission_key="key-1")
    assert created and not created_again and first.id == again.id


@pytest.mark.parametrize("last, months, expected", [
    (date(2026, 1, 15), 6, date(2026, 7, 15)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 1, 31), 12, date(2027, 1, 31)),
    (None, 6, None),
    (date(2026, 1, 1), None, None),
])
def test_next_inspection_date_arithmetic(last, months, expected):
    assert services.next_inspection(last, months) == expected


def test_warranty_and_inspection_on_assets(db_session, world):
    s, w = db_session, world
    asset = services.add_asset(s, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="H-4001",
                               purchased_on=date(2024, 2, 29))
    assert asset.warranty_end == date(2026, 2, 28)
    assert asset.next_inspection_due == date(2024, 8, 29)
    services.record_inspection(s, "t", asset.id, date(2025, 12, 31))
    assert asset.next_inspection_due == date(2026, 6, 30)
    assert services.warranty_end(date(2026, 1, 10), 0) == date(2026, 1, 10)


def test_repair_and_retire_paths(db_session, world):
    s, w = db_session, world
    asset = services.add_asset(s, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="H-5001")
    services.send_to_repair(s, "t", asset.id, "Motor fault")
    services.return_from_repair(s, "t", asset.id)
    assert s.get(Asset, asset.id).status == "awaiting_cleaning"  # back from repair: cleaned first
    services.retire_asset(s, "t", asset.id, "Beyond economic repair")
    with pytest.raises(IllegalTransition, match="retired, so it cannot be marked as cleaned"):
        services.clean_asset(s, "t", asset.id)
    assert services.ledger_discrepancies(s) == []


def test_database_refuses_negative_stock_and_ledger_edits(db_session, world):
    s, w = db_session, world
    services.receive_stock(s, "t", w["north"].id, w["commode"].id, 1, "In")
    with pytest.raises(OutOfStock, match="below zero or below what is reserved"):
        services.adjust_stock(s, "t", w["north"].id, w["commode"].id, -2, "Count")
    with pytest.raises(IntegrityError, match="(?i)check constraint"), s.begin_nested():
        s.execute(text("UPDATE equipment_stock_level SET on_hand = -1"))
    with pytest.raises(DBAPIError, match="append-only"), s.begin_nested():
        s.execute(text("UPDATE equipment_movement SET reason = 'x'"))
    with pytest.raises(DBAPIError, match="append-only"), s.begin_nested():
        s.execute(text("DELETE FROM equipment_movement"))
    assert s.scalar(select(Movement.id).limit(1)) is not None


def test_one_asset_on_one_open_line_is_enforced_by_the_database(db_session, world):
    s, w = db_session, world
    asset = services.add_asset(s, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="H-6001")
    a = _order(s, w, [LineRequest(w["hoist"].id)])
    b = _order(s, w, [LineRequest(w["hoist"].id)])
    a.lines[0].asset_id = asset.id
    s.flush()
    with pytest.raises(IntegrityError, match="(?i)unique constraint"), s.begin_nested():
        b.lines[0].asset_id = asset.id
        s.flush()
    s.expire_all()
    assert s.scalar(select(OrderLine.asset_id).where(OrderLine.order_id == b.id)) is None


def test_queues_and_figures_count(db_session, world):
    s, w = db_session, world
    today = london_today()
    services.receive_stock(s, "t", w["north"].id, w["commode"].id, 1, "In")
    services.set_reorder_level(s, "t", w["north"].id, w["commode"].id, 5)
    services.add_asset(s, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="H-7001",
                       purchased_on=today - timedelta(days=400))
    _order(s, w, [LineRequest(w["commode"].id)])
    counts = services.queue_counts(s, today, w["north"].id)
    assert counts["deliveries"] == 1 and counts["low_stock"] == 1 and counts["inspections"] == 1
    assert counts["inspections_overdue"] == 1
    rows = services.queue_rows(s, "low_stock", today, w["north"].id)
    assert rows[0].product == "Commode"
    figs = services.figures(s, today - timedelta(days=30), today, locality="North")
    assert figs["inspections_overdue"] == 1
    assert utcnow()
