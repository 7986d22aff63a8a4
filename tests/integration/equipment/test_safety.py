"""Issue 19 item 1: an unfit asset never goes to a person (reserve, future-dated reserve, swap,
exchange), prescriber levels per product, serials unique per product, kits that make sense and
demo data with only a few overdue inspections."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.equipment import seed, services
from portal.equipment.models import Asset, Kit, Movement, Order, Product
from portal.equipment.services import LineRequest
from portal.errors import Conflict, NotAllowed, OutOfStock, Refusal
from portal.timeutil import today
from tests.conftest import csrf_from


def _hoists(session, world, *tags, due_in_days=None):
    assets = [services.add_asset(session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                                 asset_tag=tag) for tag in tags]
    if due_in_days is not None:
        for asset, days in zip(assets, due_in_days, strict=True):
            session.execute(update(Asset).where(Asset.id == asset.id)
                            .values(next_inspection_due=today() + timedelta(days=days)))
    session.expire_all()
    return [session.get(Asset, a.id) for a in assets]


def _order(session, world, actor="t", planned=None, product="hoist"):
    order, _ = services.raise_order(session, actor, store_id=world["north"].id, priority="standard",
                                    lines=[LineRequest(world[product].id)], person_id=world["person"].id,
                                    planned_date=planned)
    return order


def _state(session, order_id):
    session.expire_all()
    order = session.get(Order, order_id)
    return order.state, order.version, [line.asset_id for line in order.lines]


# ------------------------------------------------------------------ reserving for a future date

def test_a_future_reservation_never_takes_an_asset_due_before_the_delivery(db_session, world):
    (soon,) = _hoists(db_session, world, "FD-1", due_in_days=[5])
    order = _order(db_session, world, planned=today() + timedelta(days=10))
    with pytest.raises(OutOfStock, match=r"Not enough Mobile hoist .*1 more is due for inspection before"):
        services.reserve_order(db_session, "t", order.id)
    with pytest.raises(OutOfStock, match=r"FD-1 is due its inspection on .*before the delivery on"):
        services.reserve_order(db_session, "t", order.id, assets={order.lines[0].id: soon.id})
    assert _state(db_session, order.id)[0] == "requested"
    assert services.availability_on(db_session, world["north"].id, world["hoist"].id,
                                    today() + timedelta(days=10))["free_now"] == 0
    # Inspected now: in date for the delivery, so it can be reserved.
    services.record_inspection(db_session, "t", soon.id, today())
    assert services.reserve_order(db_session, "t", order.id).state == "reserved"


def test_a_future_reservation_picks_the_asset_still_in_date(db_session, world):
    soon, later = _hoists(db_session, world, "FD-2", "FD-3", due_in_days=[5, 60])
    order = _order(db_session, world, planned=today() + timedelta(days=10))
    services.reserve_order(db_session, "t", order.id)
    assert _state(db_session, order.id)[2] == [later.id]


def test_a_kit_with_an_overdue_hoist_reserves_nothing(db_session, world):
    _hoists(db_session, world, "KT-1", due_in_days=[-1])
    services.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 3, "In")
    order, _ = services.raise_order(db_session, "t", store_id=world["north"].id, priority="standard",
                                    kit_id=world["kit"].id, person_id=world["person"].id)
    with pytest.raises(OutOfStock, match="Not enough Mobile hoist .*Nothing was reserved"):
        services.reserve_order(db_session, "t", order.id)
    assert _state(db_session, order.id)[0] == "requested"


# ------------------------------------------------------------------ swapping

def test_pick_another_swaps_an_overdue_reserved_hoist_for_one_in_date(db_session, world):
    first, spare = _hoists(db_session, world, "SW-1", "SW-2", due_in_days=[100, 50])
    order = _order(db_session, world)
    services.reserve_order(db_session, "t", order.id)
    assert _state(db_session, order.id)[2] == [first.id]
    db_session.execute(update(Asset).where(Asset.id == first.id).values(next_inspection_due=today() - timedelta(1)))
    db_session.expire_all()
    order = db_session.get(Order, order.id)
    assert "deliver" not in services.allowed_order_actions("t", order)
    assert "overdue for its inspection" in services.unfit_reason(order.lines[0].asset)
    new = services.swap_line(db_session, "t", order.id, order.lines[0].id, expected_version=order.version)
    assert new.id == spare.id and new.status == "reserved"
    assert db_session.get(Asset, first.id).status == "available"
    assert services.deliver_order(db_session, "t", order.id).state == "delivered"


def test_swap_never_takes_an_overdue_asset_and_changes_nothing_when_none_is_fit(db_session, world):
    first, overdue = _hoists(db_session, world, "SW-3", "SW-4", due_in_days=[100, -2])
    order = _order(db_session, world)
    services.reserve_order(db_session, "t", order.id)
    before = _state(db_session, order.id)
    order = db_session.get(Order, order.id)
    with pytest.raises(OutOfStock, match="No other Mobile hoist .*in date for its inspection.*Nothing was changed"):
        services.swap_line(db_session, "t", order.id, order.lines[0].id)
    assert _state(db_session, order.id) == before
    assert db_session.get(Asset, overdue.id).status == "available"


def test_exchanging_an_item_on_loan_sends_a_fit_one_and_brings_the_old_one_back(db_session, world):
    on_loan, overdue, fit = _hoists(db_session, world, "EX-1", "EX-2", "EX-3", due_in_days=[200, -5, 90])
    order = _order(db_session, world)
    services.reserve_order(db_session, "t", order.id)
    services.deliver_order(db_session, "t", order.id)
    order = db_session.get(Order, order.id)
    assert "swap" in services.allowed_order_actions("t", order)
    new = services.swap_line(db_session, "t", order.id, order.lines[0].id)
    assert new.id == fit.id and new.status == "on_loan" and new.person_id == world["person"].id
    old = db_session.get(Asset, on_loan.id)
    assert old.status == "awaiting_cleaning" and old.person_id is None
    assert db_session.get(Asset, overdue.id).status == "available"
    assert services.ledger_discrepancies(db_session) == []


def test_pick_another_over_the_web(client, staff, db_session, world):
    """The order page says why next to the item, links to inspecting it, and offers another."""
    first, spare = _hoists(db_session, world, "WB-1", "WB-2", due_in_days=[100, 50])
    order = _order(db_session, world)
    services.reserve_order(db_session, "t", order.id)
    db_session.execute(update(Asset).where(Asset.id == first.id).values(next_inspection_due=today() - timedelta(1)))
    db_session.commit()
    staff.login_as("stores_officer")
    url = f"/equipment/orders/{order.id}"
    page = client.get(url)
    assert "WB-1 is overdue for its inspection" in page.text
    assert f'href="/equipment/assets/{first.id}#inspect"' in page.text and "Pick another" in page.text
    assert "Record delivery" not in page.text
    db_session.expire_all()
    order = db_session.get(Order, order.id)
    resp = client.post(url + "/swap", data={"csrf_token": csrf_from(page.text), "version": order.version,
                                            "line_id": order.lines[0].id})
    assert resp.status_code == 303
    assert _state(db_session, order.id)[2] == [spare.id]
    page = client.get(url)
    assert "Record delivery" in page.text and "overdue for its inspection" not in page.text
    # With no other fit hoist the refusal comes back on the order page.
    db_session.execute(update(Asset).where(Asset.id == first.id).values(next_inspection_due=today() - timedelta(1)))
    db_session.commit()
    order = db_session.get(Order, order.id)
    resp = client.post(url + "/swap", data={"csrf_token": csrf_from(page.text), "version": order.version,
                                            "line_id": order.lines[0].id})
    assert resp.status_code == 422 and "No other Mobile hoist" in resp.text and "There is a problem" in resp.text
    assert _state(db_session, order.id)[2] == [spare.id]


# ------------------------------------------------------------------ prescriber levels

@pytest.fixture
def restricted(db_session, world):
    db_session.execute(update(Product).where(Product.id == world["hoist"].id)
                       .values(prescriber="trusted_assessor_4"))
    db_session.expire_all()
    return world


def test_only_an_ot_or_a_level_4_trusted_assessor_orders_a_hoist(db_session, restricted, staff):
    w = restricted
    level_3 = staff.create("trusted_assessor", level=3)
    with pytest.raises(Refusal, match="Mobile hoist can only be ordered by an occupational therapist or a "
                                      "trusted assessor of level 4") as caught:
        _order(db_session, w, actor=level_3)
    assert caught.value.field == "line_0"
    with pytest.raises(Refusal, match="Mobile hoist can only be ordered by") as caught:
        services.raise_order(db_session, level_3, store_id=w["north"].id, priority="standard",
                             kit_id=w["kit"].id, person_id=w["person"].id)
    assert caught.value.field == "kit_id"
    assert _order(db_session, w, actor=level_3, product="commode").state == "requested"
    assert _order(db_session, w, actor=staff.create("trusted_assessor", level=4)).state == "requested"
    assert _order(db_session, w, actor=staff.create("occupational_therapist")).state == "requested"
    stores = staff.create("stores_officer")  # stores officers order for organisations, never for a resident
    with pytest.raises(NotAllowed, match="only for someone whose referral or assessment you may open"):
        _order(db_session, w, actor=stores)
    db_session.execute(update(Product).where(Product.id == w["hoist"].id).values(prescriber="occupational_therapist"))
    db_session.expire_all()
    with pytest.raises(Refusal, match="Mobile hoist can only be ordered by an occupational therapist only"):
        _order(db_session, w, actor=staff.create("trusted_assessor", level=4))


def test_the_order_form_offers_only_what_the_prescriber_may_order(client, staff, db_session, restricted):
    w = restricted
    db_session.commit()
    staff.login_as("trusted_assessor", level=3)
    url = f"/equipment/orders/new?person={w['person'].id}"
    page = client.get(url)
    assert page.status_code == 200
    assert f'({w["commode"].code})' in page.text
    assert f'({w["hoist"].code})' not in page.text and w["kit"].name not in page.text
    resp = client.post(url, data={"csrf_token": csrf_from(page.text), "store_id": w["north"].id,
                                  "priority": "standard", "product_1": w["hoist"].id, "quantity_1": 1,
                                  "notes": "Keep me"})
    assert resp.status_code == 422 and "Not a valid choice" in resp.text and "Keep me" in resp.text
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


def test_the_catalogue_and_product_page_say_who_may_order(client, staff, db_session, restricted):
    db_session.commit()
    staff.login_as("trusted_assessor", level=3)
    assert "OT or trusted assessor level 4" in client.get("/equipment/catalogue?q=hoist").text
    page = client.get(f"/equipment/catalogue/{restricted['hoist'].id}")
    assert "An occupational therapist or a trusted assessor of level 4" in page.text


def test_the_seed_sets_prescriber_levels_from_the_catalogue():
    assert seed.prescriber_for("HOIST-005", "Universal sling (medium)", "bed_and_chair", "serialised") \
        == "trusted_assessor_4"
    assert seed.prescriber_for("BED-003", "Bariatric profiling bed", "bed_and_chair", "serialised") \
        == "trusted_assessor_4"
    assert seed.prescriber_for("CHILD-004", "Safe-space bed", "send", "serialised") == "occupational_therapist"
    assert seed.prescriber_for("BATH-008", "Shower stool", "bathing", "counted") == "any"


# ------------------------------------------------------------------ serial numbers and tags

def test_a_serial_number_is_unique_per_product(db_session, world):
    services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                       asset_tag="SN-1", serial="ABC123")
    with pytest.raises(Conflict, match="Serial number ABC123 is already recorded for Mobile hoist SN-1") as caught:
        services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["south"].id,
                           asset_tag="SN-2", serial=" ABC123 ")
    assert caught.value.field == "serial"
    other = services.create_product(db_session, "t", code="BED-SN", name="Bed", category="community_equipment",
                                    supply="loan", tracking="serialised", cleaning_required=True, self_purchase=False)
    services.add_asset(db_session, "t", product_id=other.id, store_id=world["north"].id, asset_tag="SN-3",
                       serial="ABC123")


def test_the_database_refuses_a_duplicate_serial(db_session, world):
    services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                       asset_tag="SN-4", serial="DUP1")
    with pytest.raises(IntegrityError, match="(?i)unique"), db_session.begin_nested():
        db_session.add(Asset(asset_tag="SN-5", serial="DUP1", product_id=world["hoist"].id,
                             store_id=world["north"].id))
        db_session.flush()


def test_a_bogus_asset_tag_is_refused(db_session, world):
    with pytest.raises(Refusal, match="Enter an asset tag of letters, digits and hyphens") as caught:
        services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                           asset_tag="<b>hoist</b>")
    assert caught.value.field == "asset_tag"


def test_duplicate_serial_and_tag_come_back_on_the_store_form(client, staff, db_session, world):
    services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                       asset_tag="SF-1", serial="XYZ")
    db_session.commit()
    staff.login_as("stores_officer")
    url = f"/equipment/stores/{world['north'].id}"
    page = client.get(url)
    data = {"csrf_token": csrf_from(page.text), "product_id": world["hoist"].id, "asset_tag": "SF-2",
            "serial": "XYZ", "purchase_cost": "12.50"}
    resp = client.post(url + "/assets/new", data=data)
    assert resp.status_code == 422 and "Serial number XYZ is already recorded" in resp.text
    assert 'href="#serial"' in resp.text and 'value="SF-2"' in resp.text and 'value="12.50"' in resp.text
    resp = client.post(url + "/assets/new", data={**data, "asset_tag": "SF-1", "serial": "NEW"})
    assert resp.status_code == 422 and "Asset tag SF-1 is already in use" in resp.text
    assert db_session.scalar(select(func.count()).select_from(Asset).where(Asset.store_id == world["north"].id)) == 1


def test_a_past_planned_date_comes_back_on_the_order_form(client, staff, db_session, world):
    db_session.commit()
    staff.login_as("occupational_therapist")
    url = f"/equipment/orders/new?person={world['person'].id}"
    page = client.get(url)
    past = today() - timedelta(days=3)
    resp = client.post(url, data={"csrf_token": csrf_from(page.text), "store_id": world["north"].id,
                                  "priority": "urgent", "product_1": world["commode"].id, "quantity_1": 2,
                                  "planned_date": [past.day, past.month, past.year], "notes": "Ring first"})
    assert resp.status_code == 422
    assert "The planned delivery date must be today or in the future" in resp.text
    assert "Ring first" in resp.text and f'value="{past.year}"' in resp.text
    assert db_session.scalar(select(func.count()).select_from(Order)) == 0


# ------------------------------------------------------------------ demo data

def test_every_demo_kit_holds_items_for_its_one_purpose(db_session):
    seed.load_catalogue(db_session)
    kits = seed.seed_kits(db_session)
    assert {kit.code for kit in kits} == {code for code, *_ in seed.KITS}
    purposes = {code: purpose for code, _name, purpose, *_ in seed.KITS}
    for kit in db_session.scalars(select(Kit).where(Kit.code.in_(purposes))):
        products = [item.product for item in kit.items]
        assert len(products) >= 2, kit.code
        assert len({p.category for p in products}) == 1, kit.code
        purpose = purposes[kit.code]
        assert all(purpose in (p.area, p.category) for p in products), (kit.code, [p.code for p in products])


def test_demo_inspections_are_mostly_in_date():
    """Most hoists and slings were inspected within their interval; only a few are overdue, and
    only ones that sit available in the store (never one that is out)."""
    rng, today_ = random.Random(3), today()
    sling = Product(code="S", name="Sling", inspection_months=6)
    overdue = 0
    for _ in range(2000):
        bought = today_ - timedelta(days=rng.randint(30, 2000))
        last = seed._last_inspection(rng, sling, bought, today_, may_be_overdue=True)
        overdue += services.next_inspection(last, 6) < today_
        out = seed._last_inspection(rng, sling, bought, today_, may_be_overdue=False)
        assert services.next_inspection(out, 6) >= today_
    assert 0 < overdue <= 2000 * 0.02


def test_movements_record_every_swap(db_session, world):
    first, spare = _hoists(db_session, world, "MV-1", "MV-2", due_in_days=[100, 50])
    order = _order(db_session, world)
    services.reserve_order(db_session, "t", order.id)
    before = db_session.scalar(select(func.count()).select_from(Movement))
    services.swap_line(db_session, "t", order.id, order.lines[0].id)
    assert db_session.scalar(select(func.count()).select_from(Movement)) == before + 2
