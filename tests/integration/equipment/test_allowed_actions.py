"""Who may do what: every order state and asset status x every role. The page shows exactly the
allowed actions, and every other action's route refuses (403 or 422) and changes nothing."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.equipment import services
from portal.equipment.models import Asset, Movement, Order
from portal.equipment.services import LineRequest
from portal.timeutil import today
from tests.actions import shown_actions
from tests.conftest import Staff, csrf_from

ORDER_ACTIONS = {"reserve", "deliver", "collection", "collect", "clean_order", "cancel", "swap"}
ASSET_ACTIONS = {"inspect", "clean", "repair", "repaired", "retire"}
IDENTITIES = [*ROLES, "owner"]  # "owner": the occupational therapist who raised the order
ORDER_STATES = ["requested", "reserved", "reserved_overdue", "delivered", "delivered_issued",
                "collection_requested", "collected", "collected_cleaned", "cancelled"]
ASSET_STATES = ["available", "available_overdue", "reserved", "on_loan", "awaiting_collection",
                "awaiting_cleaning", "in_repair", "quarantined", "retired"]
FORM_DATA = {"collection": {"reason": "moved"}, "cancel": {"reason": "No longer needed"},
             "repair": {"reason": "Motor fault"}, "retire": {"reason": "Worn out"},
             "inspect": {"inspected_on": ["1", "1", "2026"]}}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    """Dozens of sign-ins per test: a cheap hash here, the real one everywhere else."""
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _path(action: str) -> str:
    return "clean" if action == "clean_order" else action


def _overdue(session, asset_id):
    session.execute(update(Asset).where(Asset.id == asset_id)
                    .values(next_inspection_due=today() - timedelta(days=3)))
    session.expire_all()


def build_order(session, world, owner, state):
    """An order in `state`, raised by `owner`, moved on by the service ("t" acts with every role)."""
    w = world
    services.add_asset(session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="MX-1")
    services.receive_stock(session, "t", w["north"].id, w["rail"].id, 5, "In")
    lines = [LineRequest(w["rail"].id)] if state == "delivered_issued" else [LineRequest(w["hoist"].id)]
    order, _ = services.raise_order(session, owner, store_id=w["north"].id, priority="standard", lines=lines,
                                    person_id=w["person"].id)
    if state == "cancelled":
        services.cancel_order(session, "t", order.id, "Not needed")
    if state in ("requested", "cancelled"):
        return order
    services.reserve_order(session, "t", order.id)
    if state == "reserved_overdue":
        _overdue(session, order.lines[0].asset_id)
    if state.startswith("reserved"):
        return order
    services.deliver_order(session, "t", order.id)
    if state.startswith("delivered"):
        return order
    services.request_collection(session, "t", order.id, "moved")
    if state == "collection_requested":
        return order
    services.collect_order(session, "t", order.id)
    if state == "collected_cleaned":
        services.clean_order_items(session, "t", order.id)
    return order


def build_asset(session, world, state):
    w = world
    asset = services.add_asset(session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="AX-1")
    if state == "available_overdue":
        _overdue(session, asset.id)
    if state in ("reserved", "on_loan", "awaiting_collection", "awaiting_cleaning"):
        order, _ = services.raise_order(session, "t", store_id=w["north"].id, priority="standard",
                                        lines=[LineRequest(w["hoist"].id)], person_id=w["person"].id)
        services.reserve_order(session, "t", order.id)
        if state != "reserved":
            services.deliver_order(session, "t", order.id)
        if state in ("awaiting_collection", "awaiting_cleaning"):
            services.request_collection(session, "t", order.id, "moved")
        if state == "awaiting_cleaning":
            services.collect_order(session, "t", order.id)
    if state == "quarantined":
        services.start_recall(session, "t", services.RecallRequest(
            product_id=w["hoist"].id, scope="product", reference="FSN-X", action="collect_replace", reason="Fault"))
    if state in ("in_repair", "retired"):
        services.send_to_repair(session, "t", asset.id, "Fault")
    if state == "retired":
        services.retire_asset(session, "t", asset.id, "Scrap")
    session.expire_all()
    return session.get(Asset, asset.id)


def _as(app, db_session, identity, owner):
    """A client of its own, signed in as `identity` (a role, or the order's owner)."""
    client = app.test_client()
    people = Staff(client, db_session)
    user = owner if identity == "owner" else people.create(identity)
    assert people.sign_in(user).status_code == 303
    return client, people, user


def _snapshot(session, model, entity_type, thing_id):
    session.expire_all()
    thing = session.get(model, thing_id)
    audits = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(thing_id)))
    moves = session.scalar(select(func.count()).select_from(Movement))
    return (getattr(thing, "state", None) or thing.status, thing.version, audits, moves)


def _check(app, db_session, client, people, *, url, model, entity_type, thing_id, actions, allowed, path):
    """The page shows exactly `allowed` (or cannot be opened, and nothing is allowed); every other
    action's route refuses and leaves the record, its audit trail and the ledger as they were."""
    page = client.get(url)
    if page.status_code != 200:
        assert page.status_code == 403 and allowed == frozenset()
        token = people.csrf()
    else:
        # request a collection and cancel are links to pages of their own (cancel has a check step)
        shown = shown_actions(app, page.text, "equipment", {"equipment.collection", "equipment.cancel"})
        assert shown & actions == set(allowed)
        token = csrf_from(page.text)
    for action in actions - allowed:
        before = _snapshot(db_session, model, entity_type, thing_id)
        resp = client.post(f"{url}/{path(action)}",
                           data={"csrf_token": token, "version": before[1], **FORM_DATA.get(action, {})})
        assert resp.status_code in (403, 422), (action, resp.status_code)
        assert _snapshot(db_session, model, entity_type, thing_id) == before, action


@pytest.mark.parametrize("state", ORDER_STATES)
def test_order_page_offers_exactly_the_allowed_actions(app, client, db_session, world, state):
    owner = Staff(client, db_session).create("occupational_therapist")
    order_id = build_order(db_session, world, owner, state).id
    for identity in IDENTITIES:
        web, people, user = _as(app, db_session, identity, owner)
        db_session.expire_all()
        allowed = services.allowed_order_actions(user, db_session.get(Order, order_id))
        _check(app, db_session, web, people, url=f"/equipment/orders/{order_id}", model=Order,
               entity_type="equipment_order", thing_id=order_id, actions=ORDER_ACTIONS, allowed=allowed,
               path=_path)


@pytest.mark.parametrize("state", ASSET_STATES)
def test_asset_page_offers_exactly_the_allowed_actions(app, client, db_session, world, state):
    asset_id = build_asset(db_session, world, state).id
    for identity in ROLES:
        web, people, user = _as(app, db_session, identity, None)
        db_session.expire_all()
        allowed = services.allowed_asset_actions(user, db_session.get(Asset, asset_id))
        _check(app, db_session, web, people, url=f"/equipment/assets/{asset_id}", model=Asset,
               entity_type="equipment_asset", thing_id=asset_id, actions=ASSET_ACTIONS, allowed=allowed,
               path=str)


def test_the_rules_themselves(db_session, world, staff):
    """The matrix above checks pages against the rules; these pin the rules down."""
    owner = staff.create("occupational_therapist")
    other = staff.create("occupational_therapist")
    stores = staff.create("stores_officer")
    manager = staff.create("manager")
    order = build_order(db_session, world, owner, "reserved")
    assert services.allowed_order_actions(stores, order) == {"deliver", "cancel", "swap"}
    assert services.allowed_order_actions(owner, order) == {"cancel"}
    assert services.allowed_order_actions(other, order) == frozenset()
    assert services.allowed_order_actions(manager, order) == frozenset()
    _overdue(db_session, order.lines[0].asset_id)
    assert services.allowed_order_actions(stores, db_session.get(Order, order.id)) == {"cancel", "swap"}
