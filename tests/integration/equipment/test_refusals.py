"""Safety and refusals: an asset overdue for its LOLER inspection never goes out, and every rule
that says no comes back on the same page with the message, a 422 and the answers kept."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.equipment import services
from portal.equipment.models import Asset, Order, StockLevel
from portal.equipment.services import LineRequest
from portal.errors import IllegalTransition, NotAllowed, OutOfStock, Refusal
from portal.timeutil import today, utcnow
from tests.conftest import csrf_from


@pytest.fixture
def sling(db_session, world):
    """A universal sling (6-monthly LOLER inspection) bought a year ago and never inspected: overdue."""
    product = services.create_product(db_session, "t", code="SLI-T", name="Universal sling",
                                      category="community_equipment", supply="loan", tracking="serialised",
                                      inspection_months=6, warranty_months=12, cleaning_required=True,
                                      self_purchase=False)
    asset = services.add_asset(db_session, "t", product_id=product.id, store_id=world["north"].id,
                               asset_tag="SL-1", purchased_on=today() - timedelta(days=365))
    assert services.inspection_overdue(asset)
    return asset


def _order_for(session, world, product_id):
    order, _ = services.raise_order(session, "t", store_id=world["north"].id, priority="urgent",
                                    lines=[LineRequest(product_id)], person_id=world["person"].id)
    return order


def test_an_overdue_sling_cannot_be_reserved(db_session, world, sling):
    order = _order_for(db_session, world, sling.product_id)
    with pytest.raises(OutOfStock, match="1 more is due for inspection before .*: inspect it now"):
        services.reserve_order(db_session, "t", order.id)
    line_id = order.lines[0].id
    with pytest.raises(OutOfStock,
                       match="SL-1 is due its inspection on .*before the delivery .*Inspect it now, or pick another"):
        services.reserve_order(db_session, "t", order.id, assets={line_id: sling.id})
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "requested"
    assert db_session.get(Asset, sling.id).status == "available"
    services.record_inspection(db_session, "t", sling.id, today())
    services.reserve_order(db_session, "t", order.id)
    assert db_session.get(Asset, sling.id).status == "reserved"


def test_a_sling_that_falls_overdue_after_reservation_cannot_be_delivered(db_session, world, sling):
    services.record_inspection(db_session, "t", sling.id, today())
    order = _order_for(db_session, world, sling.product_id)
    services.reserve_order(db_session, "t", order.id)
    db_session.execute(update(Asset).where(Asset.id == sling.id).values(next_inspection_due=today() - timedelta(1)))
    db_session.expire_all()
    assert "deliver" not in services.allowed_order_actions("t", db_session.get(Order, order.id))
    with pytest.raises(IllegalTransition, match="SL-1 .*cannot be delivered. Record its inspection now"):
        services.deliver_order(db_session, "t", order.id)
    services.record_inspection(db_session, "t", sling.id, today())
    assert services.deliver_order(db_session, "t", order.id).state == "delivered"


def test_an_overdue_device_cannot_be_fitted(db_session, world, sling):
    with pytest.raises(IllegalTransition, match="SL-1 was due its inspection .*cannot be fitted"):
        services.fit_asset(db_session, "t", sling.id, world["person"].id, "Install")
    assert db_session.get(Asset, sling.id).status == "available"


def test_overdue_sling_over_the_web(client, staff, db_session, world, sling):
    staff.login_as("stores_officer")
    order = _order_for(db_session, world, sling.product_id)
    db_session.commit()  # a refusal rolls the request's session back; keep what the test set up
    url = f"/equipment/orders/{order.id}"
    page = client.get(url)
    resp = client.post(url + "/reserve", data={"csrf_token": csrf_from(page.text), "version": order.version})
    assert resp.status_code == 422
    assert "There is a problem" in resp.text
    assert "due for inspection before" in resp.text and "inspect it now" in resp.text
    assert f"Order {order.id}</h1>" in resp.text
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "requested"
    asset_page = client.get(f"/equipment/assets/{sling.id}")
    assert "overdue for its inspection" in asset_page.text and "Overdue by" in asset_page.text

    services.record_inspection(db_session, "t", sling.id, today())
    services.reserve_order(db_session, "t", order.id)
    db_session.execute(update(Asset).where(Asset.id == sling.id).values(next_inspection_due=today() - timedelta(1)))
    db_session.commit()
    page = client.get(url)
    assert "Record delivery" not in page.text
    db_session.expire_all()
    version = db_session.get(Order, order.id).version
    resp = client.post(url + "/deliver", data={"csrf_token": csrf_from(page.text), "version": version},
                       headers={"HX-Request": "true", "HX-Target": "order"})
    assert resp.status_code == 422 and resp.text.lstrip().startswith('<div id="order">')
    assert "cannot be delivered. Record its inspection now" in resp.text
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "reserved"


def test_the_order_form_keeps_the_answers_and_names_the_field(client, staff, db_session, world):
    staff.login_as("occupational_therapist")
    url = f"/equipment/orders/new?person={world['person'].id}"
    db_session.commit()
    page = client.get(url)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.text).group(1)
    past = today() - timedelta(days=2)
    resp = client.post(url, data={
        "csrf_token": csrf_from(page.text), "submission_key": key, "store_id": world["north"].id,
        "priority": "standard", "product_1": world["commode"].id, "quantity_1": 2, "kit_id": "", "product_2": "",
        "product_3": "", "notes": "Side door, ring twice", "planned_date": [past.day, past.month, past.year]})
    assert resp.status_code == 422
    assert "The planned delivery date must be today or in the future" in resp.text
    assert 'href="#planned_date' in resp.text and "Side door, ring twice" in resp.text
    assert db_session.scalar(select(Order.id).where(Order.submission_key == key)) is None


def test_an_unknown_or_withdrawn_product_is_refused_on_its_line(db_session, world):
    world["rail"].active = False
    with pytest.raises(Refusal, match="Select a product from the catalogue") as refused:
        services.raise_order(db_session, "t", store_id=world["north"].id, priority="standard",
                             lines=[LineRequest(world["commode"].id), LineRequest(world["rail"].id)],
                             person_id=world["person"].id)
    assert refused.value.field == "line_1"


def test_a_stale_asset_action_comes_back_on_the_asset_page(client, staff, db_session, world):
    staff.login_as("stores_officer")
    asset = services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                               asset_tag="RF-1")
    db_session.commit()
    page = client.get(f"/equipment/assets/{asset.id}")
    resp = client.post(f"/equipment/assets/{asset.id}/clean", data={"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 422
    assert "RF-1 is available, so it cannot be marked as cleaned" in resp.text and "Asset RF-1</h1>" in resp.text
    resp = client.post(f"/equipment/assets/{asset.id}/retire", data={"csrf_token": csrf_from(page.text),
                                                                     "reason": ""})
    assert resp.status_code == 422 and "Enter the reason" in resp.text
    assert db_session.get(Asset, asset.id).status == "available"


def test_cancelling_needs_a_reason_and_only_the_prescriber_who_raised_it(client, staff, db_session, world):
    owner = staff.create("occupational_therapist")
    order, _ = services.raise_order(db_session, owner, store_id=world["north"].id, priority="standard",
                                    lines=[LineRequest(world["commode"].id)], person_id=world["person"].id)
    other = staff.create("occupational_therapist")
    db_session.commit()
    with pytest.raises(NotAllowed, match="Only the prescriber who raised order"):
        services.cancel_order(db_session, other, order.id, "Not needed")
    assert staff.sign_in(owner).status_code == 303
    url = f"/equipment/orders/{order.id}"
    page = client.get(url + "/cancel")
    resp = client.post(url + "/cancel", data={"csrf_token": csrf_from(page.text), "version": order.version,
                                              "reason": ""})
    assert resp.status_code == 422 and "Enter the reason" in resp.text and "Cancel order" in resp.text
    resp = client.post(url + "/cancel", data={"csrf_token": csrf_from(page.text), "version": order.version,
                                              "reason": "Moved to a care home", "confirmed": "yes"})
    assert resp.status_code == 303
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "cancelled"


def test_a_stale_version_is_a_clash_not_a_refusal(client, staff, db_session, world):
    staff.login_as("stores_officer")
    services.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 2, "In")
    order = _order_for(db_session, world, world["commode"].id)
    db_session.commit()
    url = f"/equipment/orders/{order.id}"
    page = client.get(url)
    resp = client.post(url + "/reserve", data={"csrf_token": csrf_from(page.text), "version": order.version + 5})
    assert resp.status_code == 409 and "changed by someone else" in resp.text
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "requested"


def test_a_stock_correction_below_zero_comes_back_on_the_store_page(client, staff, db_session, world):
    staff.login_as("stores_officer")
    services.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 1, "In")
    db_session.commit()
    url = f"/equipment/stores/{world['north'].id}"
    page = client.get(url)
    resp = client.post(url + "/stock/changes", data={"csrf_token": csrf_from(page.text),
                                                     "product_id": world["commode"].id,
                                                     "action": "adjust", "quantity": "-3", "reason": "Count"})
    assert resp.status_code == 422
    assert "below zero or below what is reserved" in resp.text and 'href="#quantity"' in resp.text
    assert 'value="-3"' in resp.text
    level = db_session.scalar(select(StockLevel).where(StockLevel.store_id == world["north"].id,
                                                       StockLevel.product_id == world["commode"].id))
    assert level.on_hand == 1


def test_a_stocktake_without_a_reason_comes_back_on_its_page(client, staff, db_session, world):
    staff.login_as("stores_officer")
    stocktake = services.start_stocktake(db_session, "t", world["north"].id)
    db_session.commit()
    page = client.get(f"/equipment/stocktakes/{stocktake.id}")
    resp = client.post(f"/equipment/stocktakes/{stocktake.id}/complete",
                       data={"csrf_token": csrf_from(page.text), "reason": ""})
    assert resp.status_code == 422 and "There is a problem" in resp.text and "Enter the reason" in resp.text
    assert stocktake.state == "open"
    assert utcnow()
