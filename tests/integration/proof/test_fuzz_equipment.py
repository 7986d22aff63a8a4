"""Form fuzzing of the equipment forms (order, stock, assets, catalogue, organisations, kits,
stocktake, amnesty) and every order and asset action, each met in a state in which it is open.
The engine and the invariants are in test_fuzz_forms.py."""

import secrets
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from portal.equipment import services
from portal.equipment.forms import (
    AmnestyForm,
    AssetForm,
    CollectionForm,
    InspectionForm,
    KitForm,
    OrderForm,
    OrganisationForm,
    ProductForm,
    ReasonForm,
    RecallForm,
    ScanForm,
    StockForm,
    VersionForm,
)
from portal.sql import new_submission_key
from portal.timeutil import today
from tests.integration.equipment.conftest import make_world
from tests.integration.equipment.test_allowed_actions import ASSET_STATES, ORDER_STATES, build_asset, build_order
from tests.integration.proof.test_fuzz_forms import Step, field_names, fuzz


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def world(db_session):
    w = make_world(db_session)
    services.receive_stock(db_session, "test", w["north"].id, w["rail"].id, 500, "In")
    services.receive_stock(db_session, "test", w["north"].id, w["commode"].id, 500, "In")
    db_session.commit()
    return w


def _date(day) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def _forms(w):
    """(path, role, form class, plausible answers, field to keep) for each form that makes or edits
    reference data or stock; the answers are made afresh for every success."""
    tag = lambda: f"FZ-{secrets.token_hex(4).upper()}"  # noqa: E731
    return {
        "order_new": (f"/equipment/orders/new?person={w['person'].id}", "occupational_therapist", OrderForm,
                      lambda: {"store_id": w["north"].id, "priority": "standard", "product_1": w["rail"].id,
                               "quantity_1": "1", "planned_date": _date(today() + timedelta(days=3)),
                               "notes": "Leave with neighbour", "submission_key": new_submission_key()}, "notes"),
        "store_stock": (f"/equipment/stores/{w['north'].id}/stock/changes", "stores_officer", StockForm,
                        lambda: {"product_id": w["commode"].id, "action": "receive", "quantity": "2",
                                 "reason": "Delivery"}, "reason"),
        "store_add_asset": (f"/equipment/stores/{w['north'].id}/assets/new", "stores_officer", AssetForm,
                            lambda: {"product_id": w["hoist"].id, "asset_tag": tag(), "serial": tag(),
                                     "purchase_cost": "950.00"}, "serial"),
        "product_new": ("/equipment/catalogue/new", "admin", ProductForm,
                        lambda: {"code": tag(), "name": "Perching stool", "category": "community_equipment",
                                 "supply": "loan", "tracking": "counted", "description": "Adjustable",
                                 "price_min": "20", "price_max": "40"}, "description"),
        "product_edit": (f"/equipment/catalogue/{w['commode'].id}/edit", "admin", ProductForm,
                         lambda: {"code": w["commode"].code, "name": "Commode", "category": "community_equipment",
                                  "supply": "loan", "tracking": "counted", "description": "Padded seat",
                                  "version": str(_fresh(w["commode"]).version)}, "description"),
        "organisation_new": ("/equipment/organisations/new", "stores_officer", OrganisationForm,
                             lambda: {"name": f"Care home {tag()}", "kind": "care_home",
                                      "address": "1 High Street"}, "address"),
        "kit_new": ("/equipment/kits/new", "stores_officer", KitForm,
                    lambda: {"code": tag(), "name": "Bathing kit", "description": "For a bath",
                             "product_code_1": w["rail"].code, "quantity_1": "2"}, "description"),
        "amnesties": ("/equipment/amnesties", "stores_officer", AmnestyForm,
                      lambda: {"name": f"Spring amnesty {tag()}", "months": "12", "locality": "North"}, "name"),
    }


def _fresh(thing):
    from portal.extensions import db

    db.session.refresh(thing)
    return thing


FORMS = ["order_new", "store_stock", "store_add_asset", "product_new", "product_edit", "organisation_new",
         "kit_new", "amnesties"]


@pytest.mark.parametrize("name", FORMS)
def test_fuzz_equipment_forms(app, client, staff, db_session, world, name):
    url, role, form_class, valid, keep = _forms(world)[name]
    staff.login_as(role)
    token = staff.csrf("/staff")
    fuzz(client, token, lambda: Step(url, field_names(app, form_class), valid(), keep))


def test_fuzz_organisation_edit(app, client, staff, db_session, world):
    org = services.create_organisation(db_session, "test", "Sunny Care Home", "care_home")
    db_session.commit()
    staff.login_as("stores_officer")
    token = staff.csrf("/staff")
    fuzz(client, token, lambda: Step(f"/equipment/organisations/{org.id}/edit", field_names(app, OrganisationForm),
                                     {"name": "Sunny Care Home", "kind": "care_home", "address": "2 Low Road"},
                                     "address"))


def test_fuzz_stocktake(app, client, staff, db_session, world):
    services.add_asset(db_session, "test", product_id=world["hoist"].id, store_id=world["north"].id,
                       asset_tag="ST-1")
    db_session.commit()
    staff.login_as("stores_officer")
    token = staff.csrf("/staff")
    fuzz(client, token, lambda: Step(f"/equipment/stores/{world['north'].id}/stocktake", ["reason"]),
         max_examples=5)

    def make():
        take = services.start_stocktake(db_session, "test", world["south"].id)
        db_session.commit()
        return take

    take = make()
    fuzz(client, token, lambda: Step(f"/equipment/stocktakes/{take.id}/scan", field_names(app, ScanForm),
                                     {"tags": "ST-1"}, "tags"))
    fuzz(client, token, lambda: Step(f"/equipment/stocktakes/{make().id}/complete", field_names(app, ReasonForm),
                                     {"reason": "Year-end count"}, "reason"))


def test_fuzz_amnesty_request(app, client, staff, db_session, world):
    staff.login_as("stores_officer")
    token = staff.csrf("/staff")

    def make():
        amnesty = services.start_amnesty(db_session, "test", f"Amnesty {secrets.token_hex(2)}", 1,
                                         locality="North")
        db_session.commit()
        return Step(f"/equipment/amnesties/{amnesty.id}/request", ["version", "reason"])

    fuzz(client, token, make, max_examples=10)


# -- every order and asset action, where it is open ------------------------------------------------

ORDER_FORMS = {"reserve": (VersionForm, {}, None), "deliver": (VersionForm, {}, None),
               "collection": (CollectionForm, {"reason": "moved"}, None), "collect": (VersionForm, {}, None),
               "clean_order": (VersionForm, {}, None), "cancel": (ReasonForm, {"reason": "Not needed"}, "reason")}
ASSET_FORMS = {"inspect": (InspectionForm, {"inspected_on": _date(today())}, None), "clean": (VersionForm, {}, None),
               "repair": (ReasonForm, {"reason": "Motor fault"}, "reason"), "repaired": (VersionForm, {}, None),
               "retire": (ReasonForm, {"reason": "Worn out"}, "reason")}


def _team(staff):
    team = {"owner": staff.create("occupational_therapist"), "stores_officer": staff.create("stores_officer"),
            "manager": staff.create("manager")}
    staff.session.commit()
    return team


@pytest.mark.parametrize("action", ORDER_FORMS)
def test_fuzz_order_actions(app, client, staff, db_session, action):
    team = _team(staff)
    state, who = _where_open(db_session, team, ORDER_STATES, lambda s: build_order(db_session, _asset_world(
        db_session), team["owner"], s), services.allowed_order_actions, action)
    assert staff.sign_in(team[who]).status_code == 303
    token = staff.csrf("/staff")
    form_class, valid, keep = ORDER_FORMS[action]

    def make():
        order = build_order(db_session, _asset_world(db_session), team["owner"], state)
        db_session.commit()
        # cancelling has a check step: valid answers without "confirmed" come back as the check page (200)
        confirm = {"confirmed": "yes"} if action == "cancel" else {}
        return Step(f"/equipment/orders/{order.id}/{'clean' if action == 'clean_order' else action}",
                    field_names(app, form_class), {**valid, **confirm, "version": str(order.version)}, keep,
                    rerender_has_summary=action != "cancel")

    fuzz(client, token, make, max_examples=15)


@pytest.mark.parametrize("action", ASSET_FORMS)
def test_fuzz_asset_actions(app, client, staff, db_session, action):
    team = _team(staff)
    state, who = _where_open(db_session, team, ASSET_STATES, lambda s: build_asset(db_session, _asset_world(
        db_session), s), services.allowed_asset_actions, action)
    assert staff.sign_in(team[who]).status_code == 303
    token = staff.csrf("/staff")
    form_class, valid, keep = ASSET_FORMS[action]

    def make():
        asset = build_asset(db_session, _asset_world(db_session), state)
        db_session.commit()
        return Step(f"/equipment/assets/{asset.id}/{action}", field_names(app, form_class),
                    {**valid, "version": str(asset.version)}, keep)

    fuzz(client, token, make, max_examples=15)


def _asset_world(session):
    """A world of its own; the tags the builders always use are moved out of the way first."""
    from sqlalchemy import update

    from portal.equipment.models import Asset

    session.execute(update(Asset).where(Asset.asset_tag.in_(["AX-1", "MX-1"]))
                    .values(asset_tag=f"OLD-{secrets.token_hex(4)}"))
    return make_world(session)


def _where_open(db_session, team, states, build, allowed, action):
    for state in states:
        thing = build(state)
        for who, user in team.items():
            if action in allowed(user, thing):
                db_session.rollback()
                return state, who
    raise AssertionError(f"{action} is never open")


def test_the_plausible_answers_pass(app, client, staff, db_session, world):
    """The fuzzing starts from answers that work, so it reaches the rules behind each form."""
    for name in FORMS:
        url, role, _form, valid, _keep = _forms(world)[name]
        staff.login_as(role)
        token = staff.csrf("/staff")
        resp = client.post(url, data={**valid(), "csrf_token": token})
        assert resp.status_code in (200, 303) and (resp.status_code == 303 or resp.headers.get("HX-Location")), \
            (name, resp.status_code, resp.text[:2000])
        db_session.rollback()


def test_fuzz_recall_start(app, client, staff, db_session, world):
    """Odd answers at the recall's one form (the check page's confirm posts the same answers)."""
    staff.login_as("stores_officer")
    token = staff.csrf("/staff")
    valid = lambda: {"product_id": world["hoist"].id, "reference": f"FSN-{secrets.token_hex(3)}",  # noqa: E731
                     "scope": "serials", "serial_from": "A100", "serial_to": "A200", "action": "inspect",
                     "reason": "Maker's field safety notice", "submission_key": new_submission_key(),
                     "confirm": "1"}
    fuzz(client, token, lambda: Step("/equipment/recalls/new", field_names(app, RecallForm), valid(), "reason"))
