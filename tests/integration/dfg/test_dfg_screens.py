"""The DFG screens (issue 20): the queue on the list pattern, the case's sections, and the decisions'
check step."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import DFG_CASEWORKER, MANAGER, ROLES
from portal.dfg.models import DfgCase
from portal.timeutil import today as london_today
from tests.conftest import csrf_from
from tests.integration.dfg.conftest import new_case, walk_to

SECTIONS = {"": "Overview", "/money": "Money", "/quotes": "Quotes and payments", "/evidence": "Evidence",
            "/history": "History"}


def _date(d):
    return [str(d.day), str(d.month), str(d.year)]


def _audits(session, c, action=None) -> int:
    stmt = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "dfg_case", AuditEvent.entity_id == str(c.id))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return session.scalar(stmt)


def test_the_queue_filters_sorts_and_pages_to_the_last_case(client, staff, db_session):
    cases = [new_case(db_session) for _ in range(27)]
    for i, c in enumerate(cases):
        c.locality = "Zedland" if i % 3 == 0 else "North"
        c.property_postcode = "ZZ9 9ZZ" if i == 26 else c.property_postcode
    db_session.commit()
    staff.login_as(MANAGER)
    first = client.get("/dfg/cases?q=lovelace")
    assert first.status_code == 200
    assert 'id="list-count"' in first.text and "27 cases" in first.text and 'aria-label="Page 2"' in first.text
    last = client.get("/dfg/cases?q=lovelace&page=2")
    assert "Showing 26 to 27" in last.text
    shown = {c.reference for c in cases if c.reference in first.text} | {
        c.reference for c in cases if c.reference in last.text}
    assert shown == {c.reference for c in cases}  # every case is reached through pagination
    # sorted by reference, descending: the newest reference first
    newest = max(cases, key=lambda c: c.reference)
    by_ref = client.get("/dfg/cases?q=lovelace&sort=reference&order=descending")
    assert 'aria-sort="descending"' in by_ref.text
    oldest = min(cases, key=lambda c: c.reference)
    assert newest.reference in by_ref.text and oldest.reference not in by_ref.text
    assert oldest.reference in client.get("/dfg/cases?q=lovelace&sort=reference&order=descending&page=2").text
    # a filter is in the URL, shown as a tag that removes it, with "Clear filters"
    north = client.get("/dfg/cases?q=lovelace&tenure=owner_occupier&state=enquiry")
    assert "Selected filters" in north.text and "Clear filters" in north.text and "27 cases" in north.text
    assert "No cases match" in client.get("/dfg/cases?q=lovelace&state=paid").text
    # closed cases appear only with "all, including closed"
    cases[0].state = "withdrawn"
    db_session.commit()
    assert "26 cases" in client.get("/dfg/cases?q=lovelace").text
    assert "27 cases" in client.get("/dfg/cases?q=lovelace&state=all").text


def test_an_htmx_queue_request_gets_only_the_list(client, staff, db_session, htmx_headers):
    c = new_case(db_session)
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    fragment = client.get("/dfg/cases?state=enquiry&sort=stage", headers=htmx_headers)
    assert fragment.status_code == 200 and "<html" not in fragment.text and c.reference in fragment.text
    assert 'id="list"' in fragment.text


@pytest.mark.parametrize("role", ROLES)
def test_each_section_is_for_the_roles_that_read_cases(client, staff, db_session, caseworker, role):
    c = walk_to(db_session, caseworker, "works")
    db_session.commit()
    staff.login_as(role)
    for path, title in SECTIONS.items():
        page = client.get(f"/dfg/cases/{c.id}{path}")
        if role in (DFG_CASEWORKER, MANAGER):
            assert page.status_code == 200, path
            assert page.text.count("<h1") == 1 and c.reference in page.text and f">{title}</h2>" in page.text
            assert 'aria-current="page"' in page.text and "moj-sub-navigation" in page.text
            for other in SECTIONS:
                assert f'href="/dfg/cases/{c.id}{other}"' in page.text
            assert ("Record a payment" in page.text) == (role == DFG_CASEWORKER and path in ("", "/quotes"))
        else:
            assert page.status_code == 403, path
    if role not in (DFG_CASEWORKER, MANAGER):
        assert f"/dfg/cases/{c.id}" not in client.get("/").text


def test_a_section_is_not_found_once_the_case_is_not_the_caseworkers_to_see(client, staff, db_session,
                                                                              caseworker, app):
    c = walk_to(db_session, caseworker, "withdrawn")
    c.state_changed_at = c.state_changed_at - timedelta(days=app.config["DFG_CLOSED_ACCESS_DAYS"] + 5)
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    for path in SECTIONS:
        assert client.get(f"/dfg/cases/{c.id}{path}").status_code == 404, path


def test_approve_needs_confirmation_and_is_audited(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    form = client.get(f"/dfg/cases/{c.id}/approve")
    assert form.status_code == 200 and "Approve the grant" in form.text
    data = {"approve-csrf_token": csrf_from(form.text), "approve-version": str(c.version), "approve-fees": "120",
            "approve-decision_date": _date(london_today())}
    before = _audits(db_session, c, "dfg.transition")
    check = client.post(f"/dfg/cases/{c.id}/approve", data=data)
    assert check.status_code == 200 and "Check your decision: approve the grant" in check.text
    assert "£4,920" in check.text and "statutory clock for the decision stops" in check.text
    assert 'name="confirmed" value="yes"' in check.text
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == "application_received"
    assert _audits(db_session, c, "dfg.transition") == before
    done = client.post(f"/dfg/cases/{c.id}/approve", data={**data, "confirmed": "yes"})
    assert done.status_code == 303
    db_session.expire_all()
    fresh = db_session.get(DfgCase, c.id)
    assert fresh.state == "approved" and fresh.fees == 120
    assert _audits(db_session, c, "dfg.transition") == before + 1


@pytest.mark.parametrize("action,field,to_state", [("refuse", "reason", "refused"),
                                                    ("withdraw", "reason", "withdrawn")])
def test_refuse_and_withdraw_need_confirmation(client, staff, db_session, caseworker, action, field, to_state):
    c = walk_to(db_session, caseworker, "application_received")
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    form = client.get(f"/dfg/cases/{c.id}/{action}")
    data = {f"{action}-csrf_token": csrf_from(form.text), f"{action}-version": str(c.version),
            f"{action}-{field}": "Not a main residence"}
    check = client.post(f"/dfg/cases/{c.id}/{action}", data=data)
    assert check.status_code == 200 and "Check your decision" in check.text and "govuk-button--warning" in check.text
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == "application_received"
    done = client.post(f"/dfg/cases/{c.id}/{action}", data={**data, "confirmed": "yes"})
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == to_state
    assert _audits(db_session, c, "dfg.transition") >= 1


def test_change_your_answers_keeps_them(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    form = client.get(f"/dfg/cases/{c.id}/approve")
    data = {"approve-csrf_token": csrf_from(form.text), "approve-version": str(c.version), "approve-fees": "345.50",
            "approve-discretionary": "", "approve-decision_date": _date(london_today())}
    back = client.post(f"/dfg/cases/{c.id}/approve", data={**data, "change": "yes"})
    assert back.status_code == 200 and "<h1" in back.text and "Approve the grant" in back.text
    assert 'value="345.50"' in back.text and "Check your decision" not in back.text
    db_session.expire_all()
    assert db_session.get(DfgCase, c.id).state == "application_received"


def test_a_refusal_on_the_check_step_comes_back_on_the_form(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received")
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    form = client.get(f"/dfg/cases/{c.id}/approve")
    resp = client.post(f"/dfg/cases/{c.id}/approve", data={
        "approve-csrf_token": csrf_from(form.text), "approve-version": str(c.version), "approve-discretionary": "50",
        "approve-decision_date": _date(london_today()), "confirmed": "yes"})
    assert resp.status_code == 422 and "Select the policy reason" in resp.text and 'value="50"' in resp.text


def test_a_form_page_for_an_action_not_open_now_goes_back_to_the_case(client, staff, db_session, caseworker):
    c = walk_to(db_session, caseworker, "enquiry")
    db_session.commit()
    staff.login_as(DFG_CASEWORKER)
    resp = client.get(f"/dfg/cases/{c.id}/approve")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/dfg/cases/{c.id}")
    staff.login_as(MANAGER)
    assert client.get(f"/dfg/cases/{c.id}/approve").status_code == 403


@pytest.mark.parametrize("parts,message", [
    (["31", "2", "1941"], "Date of birth must be a real date"),
    (["4", "July", "1941"], "Date of birth must be a real date"),
    (["4", "", "1941"], "Date of birth must include a month"),
    (["4", "7", "41"], "Year must include 4 numbers"),
    (["", "", ""], "Enter the date of birth"),
])
def test_the_dfg_enquiry_date_of_birth_uses_govuk_wording(client, parts, message):
    page = client.get("/dfg/enquiry/date-of-birth")
    resp = client.post("/dfg/enquiry/date-of-birth", data={"csrf_token": csrf_from(page.text),
                                                           "date_of_birth": parts})
    assert resp.status_code == 422 and message in resp.text
    assert "Enter a real date of birth" not in resp.text
