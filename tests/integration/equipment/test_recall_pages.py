"""The recall pages as people use them: answers, check answers (what it will affect), confirm;
refusals on the same form with every answer kept and nothing saved; the recall page's progress,
names shown only to those who may open the record; and every role against every recall action."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.equipment import services
from portal.equipment.models import Asset, Movement, Recall, RecallItem
from portal.equipment.services import LineRequest, RecallRequest
from tests.actions import shown_actions
from tests.conftest import Staff, csrf_from

RECALL_ACTIONS = {"recall_close", "recall_item", "recall_item_collected"}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _answers(w, token, **extra):
    data = {"csrf_token": token, "product_id": str(w["hoist"].id), "reference": "MHRA/2026/FSN-0412",
            "scope": "serials", "serial_from": "BL-100", "serial_to": "BL-199", "action": "collect_replace",
            "reason": "The lifting strap may fray", "submission_key": "b" * 32}
    data.update(extra)
    return data


def _counts(session):
    session.expire_all()
    return (session.scalar(select(func.count()).select_from(Recall)),
            session.scalar(select(func.count()).select_from(Movement)),
            tuple(session.scalars(select(Asset.status).order_by(Asset.id))))


def test_start_a_recall_through_check_answers(client, db_session, world, staff):
    w = world
    services.add_asset(db_session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="PG-1",
                       serial="BL-150")
    services.add_asset(db_session, "t", product_id=w["hoist"].id, store_id=w["south"].id, asset_tag="PG-2",
                       serial="BL-250")
    db_session.commit()
    staff.login_as("stores_officer")
    page = client.get("/equipment/recalls/new")
    assert page.status_code == 200 and "Start a recall" in page.text
    token = csrf_from(page.text)
    before = _counts(db_session)

    check = client.post("/equipment/recalls/new", data=_answers(w, token))
    assert check.status_code == 200
    assert "1 item in 1 store will be quarantined" in check.text and "BL-100 to BL-199" in check.text
    assert _counts(db_session) == before  # checking changes nothing

    change = client.post("/equipment/recalls/new", data={**_answers(w, token), "change": "1"})
    assert 'value="MHRA/2026/FSN-0412"' in change.text and "BL-199" in change.text

    done = client.post("/equipment/recalls/new", data={**_answers(w, token), "confirm": "1"})
    assert done.status_code == 303
    recall = db_session.scalar(select(Recall))
    assert done.headers["Location"].endswith(f"/equipment/recalls/{recall.id}")
    again = client.post("/equipment/recalls/new", data={**_answers(w, token), "confirm": "1"})
    assert again.status_code == 303 and db_session.scalar(select(func.count()).select_from(Recall)) == 1
    page = client.get(f"/equipment/recalls/{recall.id}")
    assert "Recall MHRA/2026/FSN-0412" in page.text and "PG-1" in page.text and "PG-2" not in page.text
    assert "Held in quarantine now" in page.text
    listing = client.get("/equipment/recalls")
    assert "MHRA/2026/FSN-0412" in listing.text
    assert "Product recalls" in client.get("/equipment/").text


@pytest.mark.parametrize("bad, field, message", [
    ({"reference": ""}, "reference", "Enter the field safety notice reference"),
    ({"serial_from": ""}, "serial_from", "Enter the first serial number in the range"),
    ({"serial_from": "BL-300"}, "serial_to", "The first serial number must come before the last."),
    ({"scope": "supplied", "supplied_from": ["1", "3", "2026"], "supplied_to": ["1", "2", "2026"]}, "supplied_to",
     "The first supply date must be on or before the last."),
    ({"scope": "supplied", "supplied_from": ["31", "2", "2026"], "supplied_to": ["1", "3", "2026"]},
     "supplied_from", "Not a valid date value."),
])
def test_bad_answers_come_back_on_the_form_with_answers_kept(client, db_session, world, staff, bad, field,
                                                            message):
    w = world
    services.add_asset(db_session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="PB-1",
                       serial="BL-150")
    db_session.commit()
    staff.login_as("manager")
    token = csrf_from(client.get("/equipment/recalls/new").text)
    before = _counts(db_session)
    for extra in ({}, {"confirm": "1"}):
        resp = client.post("/equipment/recalls/new", data={**_answers(w, token), **bad, **extra})
        assert resp.status_code == 422
        assert "There is a problem" in resp.text and f'href="#{field}"' in resp.text
        assert message.rstrip(".") in resp.text
        assert "The lifting strap may fray" in resp.text
        assert _counts(db_session) == before


def test_other_roles_cannot_start_a_recall(client, db_session, world, staff):
    staff.login_as("occupational_therapist")
    token = staff.csrf()
    assert client.get("/equipment/recalls/new").status_code == 403
    assert client.get("/equipment/recalls").status_code == 403
    resp = client.post("/equipment/recalls/new", data={**_answers(world, token), "confirm": "1"})
    assert resp.status_code == 403 and db_session.scalar(select(func.count()).select_from(Recall)) == 0


def _recall_with_everything(session, w):
    """An open recall with an item held in store, one on loan to a collection not yet booked (the
    order holds another product too) and one to inspect on a second recall."""
    services.add_asset(session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="PM-1")
    services.receive_stock(session, "t", w["north"].id, w["commode"].id, 2, "In")
    order, _ = services.raise_order(session, "t", store_id=w["north"].id, priority="standard",
                                    lines=[LineRequest(w["hoist"].id), LineRequest(w["commode"].id)],
                                    person_id=w["person"].id)
    services.reserve_order(session, "t", order.id)
    services.deliver_order(session, "t", order.id)
    services.add_asset(session, "t", product_id=w["hoist"].id, store_id=w["north"].id, asset_tag="PM-2")
    recall, _ = services.start_recall(session, "t", RecallRequest(
        product_id=w["hoist"].id, scope="product", reference="FSN-M", action="collect_replace", reason="Fault"))
    session.commit()
    return recall.id


@pytest.mark.parametrize("state", ["open", "closed"])
def test_recall_page_offers_exactly_the_allowed_actions_to_every_role(app, db_session, world, state):
    recall_id = _recall_with_everything(db_session, world)
    if state == "closed":
        services.close_recall(db_session, "t", recall_id, "Notice withdrawn")
        db_session.commit()
    item_id = db_session.scalar(select(RecallItem.id).where(RecallItem.recall_id == recall_id,
                                                            RecallItem.was_on_loan.is_(False)))
    for role in ROLES:
        web = app.test_client()
        people = Staff(web, db_session)
        user = people.create(role)
        assert people.sign_in(user).status_code == 303
        db_session.expire_all()
        recall = db_session.get(Recall, recall_id)
        allowed = services.allowed_recall_actions(user, recall)
        page = web.get(f"/equipment/recalls/{recall_id}")
        if page.status_code != 200:
            assert page.status_code == 403 and role not in services.RECALL_READERS
            token = people.csrf()
            shown = set()
        else:
            token = csrf_from(page.text)
            shown = shown_actions(app, page.text, "equipment") & RECALL_ACTIONS
        expected = {"recall_close"} & allowed | ({"recall_item", "recall_item_collected"} if "recall_item" in allowed
                                                 else set())
        assert shown == expected, (role, state, shown)
        refused = {"recall_close": f"/equipment/recalls/{recall_id}/close",
                   "recall_item": f"/equipment/recalls/{recall_id}/items/{item_id}",
                   "recall_item_collected": f"/equipment/recalls/{recall_id}/items/{item_id}/collected"}
        for action, url in refused.items():
            if action in shown and action != "recall_item_collected":
                continue
            before = _counts(db_session) + (recall.version,)
            resp = web.post(url, data={"csrf_token": token, "version": recall.version, "outcome": "disposed",
                                       "note": "Scrapped", "reason": "Because"})
            if action in shown:
                assert resp.status_code == 422, (role, action)  # a held item is not one to collect
            else:
                assert resp.status_code in (403, 422), (role, action, resp.status_code)
            db_session.expire_all()
            assert _counts(db_session) + (db_session.get(Recall, recall_id).version,) == before, (role, action)


def test_stores_record_work_on_the_page_and_refusals_keep_the_answers(client, db_session, world, staff):
    recall_id = _recall_with_everything(db_session, world)
    staff.login_as("stores_officer")
    page = client.get(f"/equipment/recalls/{recall_id}")
    token = csrf_from(page.text)
    assert "Edna Brookes" not in page.text or "people/" in page.text
    held = db_session.scalar(select(RecallItem.id).where(RecallItem.recall_id == recall_id,
                                                         RecallItem.state == "held"))
    resp = client.post(f"/equipment/recalls/{recall_id}/items/{held}",
                       data={"csrf_token": token, "outcome": "disposed", "note": ""})
    assert resp.status_code == 422 and "Enter a note" in resp.text and f'href="#item-{held}"' in resp.text
    assert 'value="disposed" checked' in resp.text
    resp = client.post(f"/equipment/recalls/{recall_id}/items/{held}",
                       data={"csrf_token": token, "outcome": "returned_to_supplier", "note": "RMA 8812"})
    assert resp.status_code == 303
    loan = db_session.scalar(select(RecallItem).where(RecallItem.recall_id == recall_id,
                                                      RecallItem.state == "to_collect"))
    resp = client.post(f"/equipment/recalls/{recall_id}/items/{loan.id}/collected", data={"csrf_token": token})
    assert resp.status_code == 303
    resp = client.post(f"/equipment/recalls/{recall_id}/close", data={"csrf_token": token, "version": "1"})
    assert resp.status_code == 422 and "not resolved yet" in resp.text
    db_session.expire_all()
    assert db_session.get(Recall, recall_id).state == "open"
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "equipment.recall_item_resolved")) == 1


def test_names_show_only_to_staff_who_may_open_the_record(client, db_session, world, staff):
    recall_id = _recall_with_everything(db_session, world)
    staff.login_as("manager")
    page = client.get(f"/equipment/recalls/{recall_id}")
    assert "Edna Brookes" in page.text and f"/people/{world['person'].id}" in page.text
