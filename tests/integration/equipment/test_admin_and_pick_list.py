"""Pick list per store and day, borrower organisations admin, kits admin."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.audit.models import AuditEvent
from portal.equipment import services
from portal.equipment.models import BorrowerOrganisation, Kit
from portal.equipment.services import LineRequest
from portal.errors import Conflict, Refusal
from portal.timeutil import utcnow
from tests.conftest import csrf_from


def _day(offset=10):
    return services.london_date(utcnow()) + timedelta(days=offset)


def _raise(s, w, store, lines, day, reserve=True, **kwargs):
    if "organisation_id" not in kwargs:
        kwargs["person_id"] = w["person"].id
    order, _ = services.raise_order(s, "t", store_id=store.id, priority=kwargs.pop("priority", "standard"),
                                    lines=lines, planned_date=day, **kwargs)
    if reserve:
        services.reserve_order(s, "t", order.id)
    return order


@pytest.fixture
def picks(db_session, world):
    s, w = db_session, world
    day = _day()
    for tag in ("PL-1", "PL-2", "PL-3"):
        services.add_asset(s, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag=tag)
    services.add_asset(s, "t", product_id=w["hoist"].id, store_id=w["south"].id, asset_tag="PL-S")
    services.receive_stock(s, "t", w["north"].id, w["commode"].id, 10, "In")
    services.receive_stock(s, "t", w["south"].id, w["commode"].id, 10, "In")
    home = services.create_organisation(s, "t", "Willow Court Care Home", "care_home", locality="North",
                                        address="1 Willow Road, AB1 9ZZ")
    wanted = _raise(s, w, w["north"], [LineRequest(w["hoist"].id), LineRequest(w["commode"].id, 2)], day,
                    priority="urgent")
    wanted_org = _raise(s, w, w["north"], [LineRequest(w["commode"].id, 3)], day, organisation_id=home.id)
    other_store = _raise(s, w, w["south"], [LineRequest(w["hoist"].id)], day)
    other_day = _raise(s, w, w["north"], [LineRequest(w["commode"].id, 1)], day + timedelta(days=1))
    not_reserved = _raise(s, w, w["north"], [LineRequest(w["commode"].id, 4)], day, reserve=False)
    return {"day": day, "in": [wanted, wanted_org], "out": [other_store, other_day, not_reserved], "home": home}


def test_pick_list_service_orders_and_totals(db_session, world, picks):
    result = services.pick_list(db_session, world["north"].id, picks["day"])
    assert [o.id for o, _ in result["orders"]] == [o.id for o in picks["in"]]  # urgent first
    totals = {t.code: t.quantity for t in result["totals"]}
    assert totals == {world["hoist"].code: 1, world["commode"].code: 5}
    first_lines = result["orders"][0][1]
    assert {(ln.code, ln.quantity) for ln in first_lines} == {(world["hoist"].code, 1), (world["commode"].code, 2)}
    assert [ln.asset_tag for ln in first_lines if ln.code == world["hoist"].code][0].startswith("PL-")
    assert services.pick_list(db_session, world["north"].id, picks["day"] - timedelta(days=1))["orders"] == []


def test_pick_list_uses_a_fixed_number_of_queries(db_session, world, picks):
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db_session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        services.pick_list(db_session, world["north"].id, picks["day"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3


def test_pick_list_page(client, staff, world, picks):
    staff.login_as("stores_officer")
    url = f"/equipment/stores/{world['north'].id}/pick-list?day={picks['day'].isoformat()}"
    page = client.get(url)
    assert page.status_code == 200 and page.text.count("<h1") == 1
    for order in picks["in"]:
        assert f">Order {order.id}<" in page.text
    for order in picks["out"]:
        assert f">Order {order.id}<" not in page.text
    assert "Edna Brookes" in page.text and "4 Mill Lane" in page.text
    assert "Willow Court Care Home" in page.text and "1 Willow Road" in page.text
    assert "Urgent" in page.text and re.search(r"PL-\d", page.text)
    assert f"day={(picks['day'] + timedelta(days=1)).isoformat()}" in page.text  # next day link
    assert client.get(f"/equipment/stores/{world['north'].id}/pick-list").status_code == 200  # today
    assert client.get(f"/equipment/stores/{world['north'].id}/pick-list?day=nope").status_code == 400
    assert client.get("/equipment/stores/987654/pick-list").status_code == 404
    assert "pick-list" in client.get(f"/equipment/stores/{world['north'].id}").text
    assert "pick-list" in client.get("/equipment/?queue=deliveries").text


@pytest.mark.parametrize("role", ["occupational_therapist", "manager", "admin", "trusted_assessor"])
def test_pick_list_is_for_stores_only(client, staff, world, role):
    staff.login_as(role)
    assert client.get(f"/equipment/stores/{world['north'].id}/pick-list").status_code == 403


# ---------------------------------------------------------------- organisations

def test_organisation_services_audit_and_reject_duplicates(db_session):
    s = db_session
    org = services.create_organisation(s, "t", "Beech House", "supported_living", locality="South")
    services.update_organisation(s, "t", org.id, name="Beech House Living", kind="supported_living",
                                 locality="South", address="2 Beech Street")
    assert org.name == "Beech House Living" and org.address == "2 Beech Street"
    actions = s.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "equipment_borrower_organisation",
                                                       AuditEvent.entity_id == str(org.id))).all()
    assert actions == ["equipment.organisation_created", "equipment.organisation_changed"]
    with pytest.raises(Conflict, match="already an organisation called beech house living"):
        services.create_organisation(s, "t", "beech house living", "care_home")
    with pytest.raises(Refusal, match="Select the kind of organisation"):
        services.update_organisation(s, "t", org.id, name="Beech", kind="hotel")


def test_organisations_admin_pages(client, staff, db_session):
    staff.login_as("stores_officer")
    page = client.get("/equipment/organisations/new")
    assert page.status_code == 200
    resp = client.post("/equipment/organisations/new", data={
        "csrf_token": csrf_from(page.text), "name": "Oak Lodge", "kind": "care_home", "locality": "Central",
        "address": "3 Oak Lane"})
    assert resp.status_code == 303, resp.text[:2000]
    org = db_session.scalar(select(BorrowerOrganisation).where(BorrowerOrganisation.name == "Oak Lodge"))
    listing = client.get("/equipment/organisations")
    assert listing.status_code == 200 and "Oak Lodge" in listing.text and "3 Oak Lane" in listing.text
    assert f"/equipment/orders/new?organisation={org.id}" in listing.text
    edit_url = f"/equipment/organisations/{org.id}/edit"
    edit = client.get(edit_url)
    assert 'value="Oak Lodge"' in edit.text
    resp = client.post(edit_url, data={"csrf_token": csrf_from(edit.text), "name": "Oak Lodge Care",
                                       "kind": "care_home", "locality": "Central", "address": "3 Oak Lane"})
    assert resp.status_code == 303
    db_session.expire_all()
    assert db_session.get(BorrowerOrganisation, org.id).name == "Oak Lodge Care"
    bad = client.post("/equipment/organisations/new", data={"csrf_token": csrf_from(edit.text), "name": ""})
    assert "Error:" in bad.text and "Enter the organisation" in bad.text and "Select the kind" in bad.text
    assert client.get(f"/equipment/orders/new?organisation={org.id}").status_code == 200
    assert "/equipment/organisations" in client.get("/equipment/").text


def test_organisations_access(client, staff):
    staff.login_as("admin")
    assert client.get("/equipment/organisations").status_code == 200
    assert "/equipment/orders/new?organisation=" not in client.get("/equipment/organisations").text
    for role in ("occupational_therapist", "manager", "triage_officer"):
        staff.login_as(role)
        assert client.get("/equipment/organisations").status_code == 403, role
        assert client.get("/equipment/organisations/new").status_code == 403, role


# ---------------------------------------------------------------- kits

def test_create_kit_service(db_session, world):
    s, w = db_session, world
    kit = services.create_kit(s, "t", code="kit-bath", name="Bathing kit",
                              items=[(w["rail"].code.lower(), 2), (w["commode"].code, 1), ("", 1)])
    assert kit.code == "KIT-BATH"
    assert {(i.product_id, i.quantity) for i in kit.items} == {(w["rail"].id, 2), (w["commode"].id, 1)}
    assert s.scalar(select(AuditEvent.action).where(AuditEvent.entity_type == "equipment_kit",
                                                   AuditEvent.entity_id == str(kit.id))) == "equipment.kit_created"
    with pytest.raises(services.UnknownProducts, match="no product with code NOPE-1") as exc:
        services.create_kit(s, "t", code="KIT-X", name="X", items=[("NOPE-1", 1)])
    assert exc.value.codes == ["NOPE-1"]
    with pytest.raises(Conflict, match="kit with code KIT-BATH already exists"):
        services.create_kit(s, "t", code="KIT-BATH", name="Again", items=[(w["rail"].code, 1)])
    with pytest.raises(Refusal, match="up to 5 products"):
        services.create_kit(s, "t", code="KIT-Y", name="Y", items=[(f"C{n}", 1) for n in range(6)])
    with pytest.raises(Refusal, match="at least one product code"):
        services.create_kit(s, "t", code="KIT-Z", name="Z", items=[])


def test_kits_admin_pages(client, staff, db_session, world):
    staff.login_as("admin")
    listing = client.get("/equipment/kits")
    assert listing.status_code == 200 and world["kit"].name in listing.text and world["hoist"].code in listing.text
    page = client.get("/equipment/kits/new")
    data = {"csrf_token": csrf_from(page.text), "code": "kit-web", "name": "Web kit",
            "product_code_1": world["rail"].code, "quantity_1": "3", "product_code_2": "NOT-REAL", "quantity_2": "1"}
    bad = client.post("/equipment/kits/new", data=data)
    assert bad.status_code == 422 and "Error:" in bad.text and "NOT-REAL" in bad.text
    assert db_session.scalar(select(Kit).where(Kit.code == "KIT-WEB")) is None
    empty = client.post("/equipment/kits/new", data={"csrf_token": data["csrf_token"], "code": "K", "name": "K"})
    assert "Enter at least one product code" in empty.text
    data["product_code_2"] = ""
    resp = client.post("/equipment/kits/new", data=data)
    assert resp.status_code == 303, resp.text[:2000]
    kit = db_session.scalar(select(Kit).where(Kit.code == "KIT-WEB"))
    assert [(i.product_id, i.quantity) for i in kit.items] == [(world["rail"].id, 3)]
    assert "Web kit" in client.get("/equipment/kits").text
    assert "/equipment/kits" in client.get("/equipment/").text


def test_kits_access(client, staff):
    staff.login_as("stores_officer")
    assert client.get("/equipment/kits").status_code == 200
    assert client.get("/equipment/kits/new").status_code == 200


@pytest.mark.parametrize("role", ["occupational_therapist", "manager", "trusted_assessor"])
def test_kits_forbidden(client, staff, role):
    staff.login_as(role)
    assert client.get("/equipment/kits").status_code == 403
    assert client.get("/equipment/kits/new").status_code == 403
