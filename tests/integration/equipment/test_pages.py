"""Equipment pages through the real app: access, each screen renders, actions via plain POST and HTMX."""

import re

from sqlalchemy import select

from portal.equipment import services
from portal.equipment.models import Asset, Order
from portal.equipment.services import LineRequest
from tests.conftest import csrf_from


def test_pages_render_for_the_stores_officer(client, staff, db_session, world):
    staff.login_as("stores_officer")
    w = world
    asset = services.add_asset(db_session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="PG-1")
    services.receive_stock(db_session, "t", w["north"].id, w["commode"].id, 4, "In")
    order, _ = services.raise_order(db_session, "t", store_id=w["north"].id, priority="urgent",
                                    lines=[LineRequest(w["hoist"].id)], person_id=w["person"].id)
    for queue in services.QUEUES:
        assert client.get(f"/equipment/?queue={queue}").status_code == 200
    for url in ("/equipment/catalogue", f"/equipment/catalogue/{w['hoist'].id}", "/equipment/stores",
                f"/equipment/stores/{w['north'].id}", f"/equipment/assets/{asset.id}",
                f"/equipment/assets/{asset.id}/label", f"/equipment/orders/{order.id}", "/equipment/amnesties"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.text.count("<h1") == 1, url
    assert "data:image/svg+xml" in client.get(f"/equipment/assets/{asset.id}/label").text
    resp = client.get("/equipment/assets/lookup?tag=pg-1")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/equipment/assets/{asset.id}")
    assert client.get("/equipment/assets/lookup?tag=NOPE").status_code == 404
    fragment = client.get("/equipment/?queue=deliveries", headers={"HX-Request": "true", "HX-Target": "list"})
    assert fragment.text.lstrip().startswith('<div id="list"')
    assert '<div id="queue-tabs" hx-swap-oob="true">' in fragment.text  # the tab counts follow the filters


def test_order_journey_through_the_web(client, staff, db_session, world):
    staff.login_as("stores_officer", "occupational_therapist")
    w = world
    services.add_asset(db_session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="PG-2")
    page = client.get(f"/equipment/orders/new?person={w['person'].id}")
    assert page.status_code == 200
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": csrf_from(page.text), "submission_key": key, "store_id": w["north"].id,
            "priority": "urgent", "product_1": w["hoist"].id, "quantity_1": 1, "kit_id": "", "product_2": "",
            "product_3": ""}
    resp = client.post(f"/equipment/orders/new?person={w['person'].id}", data=data)
    assert resp.status_code == 303, resp.text[:2000]
    again = client.post(f"/equipment/orders/new?person={w['person'].id}", data=data)
    assert again.headers["Location"] == resp.headers["Location"]  # a double submit makes one order
    order = db_session.scalar(select(Order).where(Order.submission_key == key))
    url = f"/equipment/orders/{order.id}"
    token = csrf_from(client.get(url).text)
    assert client.post(url + "/reserve", data={"csrf_token": token}).status_code == 303
    resp = client.post(url + "/deliver", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "HX-Location" in resp.headers
    again = client.post(url + "/deliver", data={"csrf_token": token})  # already delivered: the same page, 422
    assert again.status_code == 422 and "is delivered, so it cannot be delivered" in again.text
    assert "There is a problem" in again.text and f"Order {order.id}</h1>" in again.text
    assert client.post(url + "/collection", data={"csrf_token": token, "reason": "moved"}).status_code == 303
    assert client.post(url + "/collect", data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    assert db_session.scalar(select(Asset.status).where(Asset.asset_tag == "PG-2")) == "awaiting_cleaning"
    assert client.post(url + "/clean", data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    assert db_session.scalar(select(Asset.status).where(Asset.asset_tag == "PG-2")) == "available"


def test_access_rules(client, staff, world):
    staff.login_as("triage_officer")
    assert client.get("/equipment/").status_code == 403
    assert client.get(f"/equipment/orders/new?person={world['person'].id}").status_code == 403
    assert client.get("/equipment/catalogue").status_code == 200
    assert client.get("/equipment/catalogue/new").status_code == 403


def test_admin_adds_a_product(client, staff):
    staff.login_as("admin")
    page = client.get("/equipment/catalogue/new")
    resp = client.post("/equipment/catalogue/new", data={
        "csrf_token": csrf_from(page.text), "code": "tst-001", "name": "Test bath lift", "category":
        "community_equipment", "supply": "loan", "tracking": "serialised", "inspection_months": "6",
        "cleaning_required": "y", "active": "y"})
    assert resp.status_code == 303, resp.text[:3000]
    page = client.get(resp.headers["Location"])
    assert "Test bath lift" in page.text and "TST-001" in page.text
    bad = client.post("/equipment/catalogue/new", data={"csrf_token": csrf_from(page.text), "name": ""})
    assert "Error:" in bad.text and "Enter a product code" in bad.text
