"""Who may decide an identity check: for every role and every state of the check, its page offers
exactly `identity_check_actions`, and every other action is refused without changing anything."""

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.people import services as people
from portal.people.models import IdentityCheck
from portal.web.security import access_rule
from tests.actions import shown_actions

STATES = ["open", "same_person", "different_people"]
DATA = {"identity_same": {"same_reason": "Confirmed"},
        "identity_different": {"nhs_number_owner": "existing", "reason": "Different people"}}
PATHS = {"identity_same": "same", "identity_different": "different"}


def build(db_session, decider, state: str, n: int) -> IdentityCheck:
    holder = people.create_person(db_session, "test", given_name="Anil", family_name="Patel",
                                  date_of_birth=date(1941, 7, 4), address_line_1="12 Mill Lane",
                                  postcode="AB1 2DE", nhs_number=f"{n}")
    check = people.match_or_create(db_session, "public", given_name="Anita", family_name="Patel",
                                   date_of_birth=date(1950, 1, 2), address_line_1="3 Park Road",
                                   postcode="AB1 9ZZ", nhs_number=holder.nhs_number).check
    if state == "same_person":
        people.confirm_same_person(db_session, decider, check)
    elif state == "different_people":
        people.keep_apart(db_session, decider, check, nhs_number_owner="existing", reason="Twins")
    db_session.commit()
    return check


def snapshot(db_session, check):
    db_session.expire_all()
    fresh = db_session.get(IdentityCheck, check.id)
    audits = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.like("person.identity%")))
    return fresh.state, fresh.version, fresh.person.merged_into_id, fresh.existing_person.nhs_number, audits


@pytest.mark.parametrize("role", list(ROLES))
def test_the_check_page_offers_exactly_the_allowed_actions(app, client, staff, db_session, role):
    decider = staff.create("triage_officer")
    user = staff.login_as(role)
    token = staff.csrf()
    for n, state in enumerate(STATES):
        check = build(db_session, decider, state, 9434765919 - 11 * n)  # any ten digits; not validated here
        allowed = people.identity_check_actions(user, check)
        page = client.get(f"/people/identity-checks/{check.id}")
        # the page shows both records: triage (whose work the check is) and managers (oversight) may
        # open it; an OT only with work on both people, which none has here
        if role not in ("triage_officer", "manager"):
            assert page.status_code in (403, 404), (role, state)
        else:
            assert page.status_code == 200, (role, state)
            assert shown_actions(app, page.text, "people") == allowed, (role, state)
        for action in sorted(set(people.IDENTITY_ACTION_ROLES) - allowed):
            before = snapshot(db_session, check)
            resp = client.post(f"/people/identity-checks/{check.id}/{PATHS[action]}",
                               data={"csrf_token": token, "version": check.version, **DATA[action]})
            expected = 403 if not user.has_role(*people.IDENTITY_ACTION_ROLES[action]) else 422
            assert resp.status_code == expected, (role, state, action, resp.status_code)
            assert snapshot(db_session, check) == before, (role, state, action)


def test_each_identity_route_admits_exactly_its_roles(app):
    for action, roles in people.IDENTITY_ACTION_ROLES.items():
        assert access_rule(app, f"people.{action}") == frozenset(roles), action
