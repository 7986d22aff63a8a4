"""Staff admin actions (DESIGN.md 5): one route per action, the buttons from
`auth.services.allowed_actions`, and every action not allowed refused without a change."""

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth import services
from portal.auth.roles import ROLES
from portal.errors import IllegalTransition, NotAllowed
from tests.actions import shown_actions

ACTIONS = {"disable_staff": "disable", "enable_staff": "enable", "reset_two_factor": "reset-two-factor"}
STATES = [(active, totp) for active in (True, False) for totp in (True, False)]


def _audit_rows(db_session, user) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id)))


def _in_state(db_session, user, active: bool, totp: bool):
    user.active = active
    user.totp_secret = services.new_totp_secret() if totp else None
    db_session.commit()
    return user


@pytest.mark.parametrize(("active", "totp"), STATES)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_account_page_offers_exactly_the_allowed_actions(app, client, db_session, staff, role, active, totp):
    me = staff.login_as(role)
    target = _in_state(db_session, staff.create("manager"), active, totp)
    allowed = services.allowed_actions(me, target)
    page = client.get(f"/admin/staff/{target.id}")
    if role != "admin":
        assert page.status_code == 403 and allowed == frozenset()
    else:
        assert page.status_code == 200
        assert shown_actions(app, page.text, "auth") & set(ACTIONS) == allowed
        expected = {"disable_staff"} if active else {"enable_staff"}
        assert allowed == expected | ({"reset_two_factor"} if totp else set())
    for action, path in ACTIONS.items():
        if action in allowed:
            continue
        before = (target.active, target.totp_secret, _audit_rows(db_session, target))
        resp = client.post(f"/admin/staff/{target.id}/{path}", data={"csrf_token": staff.csrf()})
        assert resp.status_code == (403 if role != "admin" else 422), (action, resp.status_code)
        db_session.expire_all()
        assert (target.active, target.totp_secret, _audit_rows(db_session, target)) == before


def test_an_admin_is_offered_nothing_that_locks_themselves_out(app, client, db_session, staff):
    me = staff.login_as("admin")
    _in_state(db_session, me, True, True)
    assert services.allowed_actions(me, me) == frozenset()
    page = client.get(f"/admin/staff/{me.id}")
    assert page.status_code == 200 and shown_actions(app, page.text, "auth") & set(ACTIONS) == set()
    resp = client.post(f"/admin/staff/{me.id}/disable", data={"csrf_token": staff.csrf()})
    assert resp.status_code == 422 and "You cannot disable your own account" in resp.text
    resp = client.post(f"/admin/staff/{me.id}/reset-two-factor", data={"csrf_token": staff.csrf()})
    assert resp.status_code == 422 and "You cannot reset your own two-factor sign-in" in resp.text
    db_session.expire_all()
    assert me.active and me.totp_enabled


def test_the_services_check_the_same_rule(db_session, staff):
    admin, manager = staff.create("admin"), staff.create("manager")
    target = _in_state(db_session, staff.create("stores_officer"), True, False)
    with pytest.raises(NotAllowed, match="Only an administrator can change staff accounts"):
        services.set_active(db_session, manager, target, False)
    with pytest.raises(IllegalTransition, match="already enabled"):
        services.set_active(db_session, admin, target, True)
    with pytest.raises(IllegalTransition, match="has not set up two-factor sign-in"):
        services.reset_two_factor(db_session, admin, target)
    services.set_active(db_session, admin, target, False)
    assert target.active is False


@pytest.mark.parametrize(("path", "active_after", "message"), [
    ("disable", False, "account is disabled"), ("reset-two-factor", True, "Two-factor sign-in reset")])
def test_each_action_has_its_own_route(client, db_session, staff, path, active_after, message):
    staff.login_as("admin")
    target = _in_state(db_session, staff.create("manager", name="Pat Lane"), True, True)
    resp = client.post(f"/admin/staff/{target.id}/{path}", data={"csrf_token": staff.csrf()},
                       follow_redirects=True)
    assert resp.status_code == 200 and message in resp.text
    db_session.expire_all()
    assert target.active is active_after
