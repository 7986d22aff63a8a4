"""Stocktakes: bulk scanning that never stores a bogus tag, and a write-off that is counted,
valued, confirmed and, above the configured share of the store, approved by another manager."""

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.equipment import services
from portal.equipment.models import Asset, Stocktake, StocktakeScan
from portal.errors import IllegalTransition, NotAllowed, Refusal
from tests.actions import shown_actions
from tests.conftest import Staff, csrf_from

STOCKTAKE_ACTIONS = {"stocktake_scan", "stocktake_complete", "stocktake_approve", "stocktake_return"}
FORM_DATA = {"stocktake_scan": {"tags": "ST-0"}, "stocktake_complete": {"reason": "Count", "missing": "15",
                                                                        "confirm": "y"},
             "stocktake_return": {"reason": "Check the back room"}}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _store_with(session, world, n=20):
    tags = [f"ST-{i}" for i in range(n)]
    for tag in tags:
        services.add_asset(session, "t", product_id=world["hoist"].id, store_id=world["north"].id, asset_tag=tag)
    return tags


def _retired(session):
    return session.scalar(select(func.count()).select_from(Asset).where(Asset.status == "retired"))


def test_five_scans_never_write_off_the_rest_without_a_manager(db_session, world, staff):
    """Seen: scanning 5 tags and pressing Complete wrote off 747 assets."""
    tags = _store_with(db_session, world)
    stores, manager = staff.create("stores_officer"), staff.create("manager")
    take = services.start_stocktake(db_session, stores, world["north"].id)
    report = services.scan(db_session, stores, take.id, "\n".join(tags[:5]))
    assert report.recorded == tags[:5]
    with pytest.raises(Refusal, match=r"Confirm that 15 missing items, worth £14,250, will be written off"):
        services.complete_stocktake(db_session, stores, take.id, "Annual count", confirmed_missing=None)
    with pytest.raises(Refusal, match="The count has changed since the page was shown: 15 items"):
        services.complete_stocktake(db_session, stores, take.id, "Annual count", confirmed_missing=14)
    summary = services.complete_stocktake(db_session, stores, take.id, "Annual count", confirmed_missing=15)
    assert summary["awaiting_approval"] and _retired(db_session) == 0
    assert take.state == "awaiting_approval" and take.missing_count == 15 and take.missing_value == 14250
    with pytest.raises(NotAllowed, match="Only a manager can approve"):
        services.approve_stocktake(db_session, stores, take.id)
    both = staff.create("manager", "stores_officer")
    take2 = services.start_stocktake(db_session, both, world["south"].id)
    services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["south"].id, asset_tag="SS-1")
    services.complete_stocktake(db_session, both, take2.id, "Count", confirmed_missing=1)
    with pytest.raises(NotAllowed, match="You submitted this stocktake: another manager must approve"):
        services.approve_stocktake(db_session, both, take2.id)
    with pytest.raises(IllegalTransition, match="awaiting a manager's approval"):
        services.scan(db_session, stores, take.id, "ST-6")
    done = services.approve_stocktake(db_session, manager, take.id)
    assert done["written_off"] == 15 and _retired(db_session) == 15
    assert take.state == "completed" and take.approved_by_id == manager.id


def test_a_small_write_off_completes_once_confirmed(db_session, world, staff):
    tags = _store_with(db_session, world, 40)
    stores = staff.create("stores_officer")
    take = services.start_stocktake(db_session, stores, world["north"].id)
    services.scan(db_session, stores, take.id, "\r\n".join(tags[:-2]))
    summary = services.complete_stocktake(db_session, stores, take.id, "Quarterly", confirmed_missing=2)
    assert not summary["awaiting_approval"] and summary["written_off"] == 2 and _retired(db_session) == 2


def test_a_manager_can_send_it_back_for_more_scanning(db_session, world, staff):
    tags = _store_with(db_session, world, 10)
    stores, manager = staff.create("stores_officer"), staff.create("manager")
    take = services.start_stocktake(db_session, stores, world["north"].id)
    services.scan(db_session, stores, take.id, tags[0])
    services.complete_stocktake(db_session, stores, take.id, "Count", confirmed_missing=9)
    with pytest.raises(Refusal, match="Enter what the stores should check"):
        services.return_stocktake(db_session, manager, take.id, " ")
    services.return_stocktake(db_session, manager, take.id, "Check the back room")
    assert take.state == "open"
    services.scan(db_session, stores, take.id, "\n".join(tags))
    assert services.complete_stocktake(db_session, stores, take.id, "Count", confirmed_missing=0)["written_off"] == 0


def test_bulk_scanning_reports_unknown_and_duplicate_tags_and_stores_only_real_ones(db_session, world, staff):
    _store_with(db_session, world, 3)
    stores = staff.create("stores_officer")
    take = services.start_stocktake(db_session, stores, world["north"].id)
    services.scan(db_session, stores, take.id, "ST-0")
    report = services.scan(db_session, stores, take.id,
                           "st-1\nST-0\nhttps://portal.example/equipment/assets/ST-2/\nNOPE-99\n<script>\nST-1\n\n")
    assert report.recorded == ["ST-1", "ST-2"]
    assert report.duplicates == ["ST-0", "ST-1"]
    assert report.unknown == ["NOPE-99"] and report.invalid == ["<script>"]
    stored = set(db_session.scalars(select(StocktakeScan.asset_tag).where(StocktakeScan.stocktake_id == take.id)))
    assert stored == {"ST-0", "ST-1", "ST-2"}
    assert "NOPE-99 is not" not in (services.scan_problem_message(report) or "")
    assert "1 tag not on record, so not stored: NOPE-99" in services.scan_problem_message(report)
    with pytest.raises(Refusal, match="Scan or enter at least one asset tag"):
        services.scan(db_session, stores, take.id, " \n ")


def test_bulk_scanning_over_the_web(client, staff, db_session, world):
    _store_with(db_session, world, 3)
    take = services.start_stocktake(db_session, "t", world["north"].id)
    db_session.commit()
    staff.login_as("stores_officer")
    url = f"/equipment/stocktakes/{take.id}"
    page = client.get(url)
    resp = client.post(url + "/scan", data={"csrf_token": csrf_from(page.text), "tags": "ST-0\nST-1\n"})
    assert resp.status_code == 303
    assert "2 tags recorded" in client.get(resp.headers["Location"]).text
    resp = client.post(url + "/scan", data={"csrf_token": csrf_from(page.text), "tags": "ST-2\nST-0\nBAD-1\n%%%"})
    assert resp.status_code == 422 and "There is a problem" in resp.text
    assert "1 tag not on record, so not stored: BAD-1" in resp.text and "1 line not an asset tag" in resp.text
    assert "Already scanned, not counted twice: ST-0" in resp.text and "1 tag recorded" in resp.text
    assert ">BAD-1\n%%%</textarea>" in resp.text
    stored = set(db_session.scalars(select(StocktakeScan.asset_tag).where(StocktakeScan.stocktake_id == take.id)))
    assert stored == {"ST-0", "ST-1", "ST-2"}


def test_completing_over_the_web_shows_the_count_and_value_and_asks_to_confirm(client, staff, db_session, world):
    tags = _store_with(db_session, world)
    take = services.start_stocktake(db_session, "t", world["north"].id)
    services.scan(db_session, "t", take.id, "\n".join(tags[:5]))
    db_session.commit()
    stores = staff.login_as("stores_officer")
    url = f"/equipment/stocktakes/{take.id}"
    page = client.get(url)
    assert "15 missing items, worth £14,250, will be written off" in page.text
    assert "so a manager must approve it first" in page.text and "Send for a manager's approval" in page.text
    resp = client.post(url + "/complete", data={"csrf_token": csrf_from(page.text), "reason": "Annual",
                                                "missing": "15"})
    assert resp.status_code == 422 and "Confirm that 15 missing items" in resp.text and 'value="Annual"' in resp.text
    assert _retired(db_session) == 0
    resp = client.post(url + "/complete", data={"csrf_token": csrf_from(page.text), "reason": "Annual",
                                                "missing": "15", "confirm": "y"})
    assert resp.status_code == 303 and _retired(db_session) == 0
    db_session.expire_all()
    assert db_session.get(Stocktake, take.id).submitted_by_id == stores.id
    assert client.post(url + "/approve", data={"csrf_token": csrf_from(page.text)}).status_code == 403


def _build(session, world, state, submitter):
    tags = _store_with(session, world)
    take = services.start_stocktake(session, "t", world["north"].id)
    services.scan(session, "t", take.id, "\n".join(tags[:5]))
    if state != "open":
        services.complete_stocktake(session, submitter, take.id, "Count", confirmed_missing=15)
    if state == "completed":
        services.approve_stocktake(session, "t", take.id)
    return take


def _snapshot(session, take_id):
    session.expire_all()
    take = session.get(Stocktake, take_id)
    audits = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "equipment_stocktake", AuditEvent.entity_id == str(take_id)))
    scans = session.scalar(select(func.count()).select_from(StocktakeScan))
    return take.state, audits, scans, _retired(session)


@pytest.mark.parametrize("state", ["open", "awaiting_approval", "completed"])
def test_stocktake_page_offers_exactly_the_allowed_actions(app, client, db_session, world, state):
    people = Staff(client, db_session)
    submitter = people.create("manager", "stores_officer")
    take_id = _build(db_session, world, state, submitter).id
    db_session.commit()
    for identity in [*ROLES, "submitter"]:
        web = app.test_client()
        them = Staff(web, db_session)
        user = submitter if identity == "submitter" else them.create(identity)
        assert them.sign_in(user).status_code == 303
        db_session.expire_all()
        allowed = services.allowed_stocktake_actions(user, db_session.get(Stocktake, take_id))
        url = f"/equipment/stocktakes/{take_id}"
        page = web.get(url)
        if page.status_code != 200:
            assert page.status_code == 403 and allowed == frozenset()
            token = them.csrf()
        else:
            assert shown_actions(app, page.text, "equipment") & STOCKTAKE_ACTIONS == set(allowed), identity
            token = csrf_from(page.text)
        for action in STOCKTAKE_ACTIONS - allowed:
            before = _snapshot(db_session, take_id)
            resp = web.post(f"{url}/{action.removeprefix('stocktake_')}",
                            data={"csrf_token": token, **FORM_DATA.get(action, {})})
            assert resp.status_code in (403, 422), (identity, action, resp.status_code)
            assert _snapshot(db_session, take_id) == before, (identity, action)
