from datetime import datetime

import pytest
from sqlalchemy import select, text

from portal.audit.models import AuditEvent
from portal.errors import IllegalTransition, NotAllowed, Refusal, VersionClash
from portal.referrals import services
from tests.conftest import csrf_from


def test_clocks_follow_the_priority_targets(make_referral):
    monday_9am = datetime(2026, 11, 23, 9, 0)
    urgent = make_referral(priority="urgent", received_at=monday_9am)
    assert urgent.contact_due_at == datetime(2026, 11, 23, 11, 0)
    assert urgent.assessment_due_at == datetime(2026, 11, 25, 9, 0)
    routine = make_referral(priority="routine", received_at=monday_9am)
    assert routine.contact_due_at == datetime(2026, 11, 30, 9, 0)  # 5 working days
    assert routine.assessment_due_at == datetime(2026, 12, 21, 9, 0)  # 28 days
    assert urgent.next_due_at == urgent.contact_due_at


def test_christmas_bank_holidays_are_skipped(make_referral):
    referral = make_referral(priority="high", received_at=datetime(2026, 12, 24, 10, 0))
    # 24 Dec (Thu) + 2 working days: 25 Fri and 28 Mon are holidays → 29 Tue, 30 Wed
    assert referral.contact_due_at == datetime(2026, 12, 30, 10, 0)


def test_first_contact_stops_the_contact_clock(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    referral = make_referral(priority="urgent")
    services.record_first_contact(db_session, officer, referral, when=datetime(2026, 11, 23, 10, 0))
    assert referral.state == "screened"
    assert referral.next_due_at == referral.assessment_due_at


def test_pause_pushes_the_deadline_back_and_is_excluded_from_the_wait(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    referral = make_referral(priority="routine", received_at=datetime(2026, 11, 23, 9, 0))
    before = referral.assessment_due_at
    services.pause(db_session, officer, referral, "Waiting for the GP", when=datetime(2026, 11, 24, 9, 0))
    assert referral.paused_since is not None
    services.resume(db_session, officer, referral, when=datetime(2026, 11, 27, 9, 0))
    assert referral.assessment_due_at == before + (datetime(2026, 11, 27, 9) - datetime(2026, 11, 24, 9))
    wait = services.elapsed_wait(referral, now=datetime(2026, 11, 28, 9, 0))
    assert wait.days == 2  # 5 days elapsed, 3 paused


def test_routing_rules(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    referral = make_referral(needs=("major_adaptation",))
    with pytest.raises(Refusal, match="complex case must go to an occupational therapist") as refused:
        services.route(db_session, officer, referral, route_to="trusted_assessor", complex_case=True,
                       reason="x", ta_level_required=3)
    assert refused.value.field == "complex_case"
    # a major adaptation is not complex by itself: the triager may send it to a trusted assessor
    services.route(db_session, officer, referral, route_to="trusted_assessor", complex_case=False,
                   reason="Straightforward stair rail need", ta_level_required=4)
    assert referral.state == "awaiting_assessment" and referral.complex is False


def test_trusted_assessors_only_see_non_complex_cases_within_their_level(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    level3 = staff.create("trusted_assessor", level=3)
    level4 = staff.create("trusted_assessor", level=4)
    ot = staff.create("occupational_therapist")
    for_level4 = make_referral()
    services.route(db_session, officer, for_level4, route_to="trusted_assessor", complex_case=False,
                   reason="r", ta_level_required=4)
    complex_case = make_referral()
    services.route(db_session, officer, complex_case, route_to="occupational_therapist", complex_case=True,
                   reason="Complex")
    assert services.can_open(level4, for_level4) and not services.can_open(level3, for_level4)
    assert not services.can_open(level4, complex_case) and services.can_open(ot, complex_case)
    visible = {r.id for r in services.queue(db_session, level3, services.QueueFilters()).items}
    assert for_level4.id not in visible and complex_case.id not in visible


def test_illegal_transitions_raise_a_clear_error(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    referral = make_referral()
    services.decline(db_session, officer, referral, "Not eligible")
    with pytest.raises(IllegalTransition, match="cannot set the priority of referral .* now: it is declined"):
        services.set_priority(db_session, officer, referral, "urgent", "why")
    with pytest.raises(NotAllowed, match="Your role cannot close a referral"):
        services.close(db_session, officer, referral, "signposted")  # closing is the assessor's
    ot = staff.create("occupational_therapist")
    with pytest.raises(IllegalTransition, match="cannot close referral .* now: it is declined"):
        services.close(db_session, ot, referral, "signposted")


def test_stale_version_is_refused(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    referral = make_referral()
    seen = referral.version
    services.set_priority(db_session, officer, referral, "high", "Carer struggling", version=seen)
    db_session.flush()
    with pytest.raises(VersionClash, match="changed by someone else") as clash:
        services.set_priority(db_session, officer, referral, "urgent", "Other view", version=seen)
    assert (clash.value.entity_type, clash.value.entity_id) == ("referral", referral.id)


def test_every_transition_is_audited(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    referral = make_referral()
    services.set_priority(db_session, officer, referral, "high", "reason")
    services.record_first_contact(db_session, officer, referral)
    services.route(db_session, officer, referral, route_to="occupational_therapist", complex_case=True, reason="r")
    db_session.flush()
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(referral.id))).all()
    assert {"referral.created", "referral.priority_set", "referral.first_contact", "referral.routed"} <= set(actions)


def test_queue_page_and_fragment(client, staff, make_referral, htmx_headers):
    staff.login_as("triage_officer")
    referral = make_referral(priority="urgent", family_name="Quigley")
    full = client.get("/referrals")
    assert full.status_code == 200 and "<!DOCTYPE html>" in full.text and referral.reference in full.text
    assert "HX-Request" in full.headers["Vary"] and full.headers["Cache-Control"] == "no-store"
    fragment = client.get("/referrals?q=quig", headers=htmx_headers)
    assert "<!DOCTYPE html>" not in fragment.text and referral.reference in fragment.text
    restore = client.get("/referrals", headers={**htmx_headers, "HX-History-Restore-Request": "true"})
    assert "<!DOCTYPE html>" in restore.text
    none = client.get("/referrals?q=nobody-like-this", headers=htmx_headers)
    assert "No referrals match" in none.text


def test_queue_search_by_reference_nhs_number_and_postcode(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    target = make_referral(nhs_number="9434765919", postcode="ZZ9 9ZZ", family_name="Abbott")
    make_referral(family_name="Other")
    for term in (target.reference, "943 476 5919", "zz99zz", "abbott m"):
        rows = services.queue(db_session, officer, services.QueueFilters(search=term)).items
        assert [r.id for r in rows] == [target.id], term


def test_queue_is_in_time_left_order_page_by_page_to_the_end(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    made = [make_referral(priority=p, received_at=datetime(2026, 11, 2 + i, 9, 0))
            for i, p in enumerate(["routine", "urgent", "high", "routine", "urgent"])]
    pages = [services.queue(db_session, officer, services.QueueFilters(), page=n, page_size=2) for n in (1, 2, 3)]
    ordered = [r for page in pages for r in page.items]
    assert sorted(r.id for r in ordered) == sorted(r.id for r in made)
    dues = [r.next_due_at for r in ordered]
    assert dues == sorted(dues) and pages[0].total == 5 and pages[0].pages == 3 and len(pages[2].items) == 1


def test_queue_sorts_by_a_chosen_column_both_ways(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    for name in ("Mills", "Abbott", "Young"):
        make_referral(family_name=name)
    up = services.queue(db_session, officer, services.QueueFilters(), sort="person")
    down = services.queue(db_session, officer, services.QueueFilters(), sort="person", descending=True)
    assert [r.family_name for r in up.items] == ["Abbott", "Mills", "Young"]
    assert [r.family_name for r in down.items] == ["Young", "Mills", "Abbott"]


def test_db_optimize_gives_the_planner_statistics(app, db_session, make_referral):
    make_referral()
    result = app.test_cli_runner().invoke(args=["db-optimize"])
    assert result.exit_code == 0 and "statistics refreshed" in result.output
    if db_session.get_bind().dialect.name == "sqlite":
        indexes = set(db_session.execute(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'referral'")).scalars())
        assert "ix_referral_open" in indexes


def test_claim_inline_returns_the_changed_row(client, staff, make_referral, htmx_headers):
    staff.login_as("triage_officer")
    referral = make_referral()
    page = client.get("/referrals")
    # one form a row: it posts to claim, and the Contacted button to its own action, without JavaScript
    assert f'action="/referrals/{referral.id}/claim"' in page.text
    assert f'formaction="/referrals/{referral.id}/first-contact"' in page.text
    resp = client.post(f"/referrals/{referral.id}/claim",
                       data={"csrf_token": csrf_from(page.text), "version": referral.version},
                       headers={**htmx_headers, "HX-Target": f"referral-row-{referral.id}"})
    assert resp.status_code == 200
    assert resp.text.strip().startswith("<tr") and "You have claimed" in resp.text
    assert "Claim<" not in resp.text and "Contacted<" in resp.text
    plain = client.post(f"/referrals/{referral.id}/first-contact",
                        data={"csrf_token": csrf_from(page.text), "version": referral.version})  # re-read: now 2
    assert plain.status_code == 303


def test_two_people_triage_at_once_second_gets_409(client, staff, make_referral, app):
    user = staff.login_as("triage_officer")
    referral = make_referral()
    page = client.get(f"/referrals/{referral.id}")
    token, seen = csrf_from(page.text), referral.version
    first = client.post(f"/referrals/{referral.id}/priority",
                        data={"priority-csrf_token": token, "priority-version": seen, "priority-priority": "high",
                              "priority-reason": "a"})
    assert first.status_code == 303
    second = client.post(f"/referrals/{referral.id}/priority",
                         data={"priority-csrf_token": token, "priority-version": seen,
                               "priority-priority": "urgent", "priority-reason": "b"})
    assert second.status_code == 409
    assert "changed by someone else" in second.text and "not saved" in second.text
    assert referral.priority == "high" and user is not None


def test_invalid_action_shows_the_error_summary(client, staff, make_referral):
    staff.login_as("triage_officer")
    referral = make_referral()
    page = client.get(f"/referrals/{referral.id}")
    resp = client.post(f"/referrals/{referral.id}/decline",
                       data={"csrf_token": csrf_from(page.text), "version": referral.version, "reason": ""})
    assert resp.status_code == 422
    assert "There is a problem" in resp.text and "Enter a reason" in resp.text
    assert 'href="#reason-decline"' in resp.text and 'id="reason-decline"' in resp.text
    assert "<title>Error: " in resp.text


def test_viewing_a_referral_audits_the_person_view(client, staff, make_referral, db_session):
    user = staff.login_as("triage_officer")
    referral = make_referral()
    client.get(f"/referrals/{referral.id}")
    views = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(referral.person_id))).all()
    assert len(views) == 1 and views[0].actor_id == user.id


def test_access_by_role_and_object(client, staff, make_referral, db_session):
    officer = staff.create("triage_officer")
    complex_case = make_referral()
    services.route(db_session, officer, complex_case, route_to="occupational_therapist", complex_case=True,
                   reason="r")
    db_session.flush()
    staff.login_as("trusted_assessor", level=4)
    assert client.get(f"/referrals/{complex_case.id}").status_code == 404
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    staff.login_as("telecare_installer")
    assert client.get("/referrals").status_code == 403
    assert client.get(f"/referrals/{complex_case.id}").status_code == 403


def test_possible_duplicates_are_shown_and_can_be_linked(client, staff, make_referral, db_session):
    staff.login_as("triage_officer")
    first = make_referral(family_name="Duplicate", postcode="DD1 1DD")
    second = make_referral(family_name="duplicate", postcode="DD1 1DD")
    page = client.get(f"/referrals/{second.id}")
    assert "possible duplicate" in page.text
    resp = client.post(f"/referrals/{second.id}/link-person", data={
        "csrf_token": csrf_from(page.text), "version": second.version, "person_id": first.person_id})
    assert resp.status_code == 303
    db_session.expire_all()
    assert second.person_id == first.person_id


def test_paused_cases_sort_after_running_clocks_and_are_not_overdue(db_session, staff, make_referral):
    officer = staff.create("triage_officer")
    paused = make_referral(priority="urgent", received_at=datetime(2026, 1, 5, 9, 0))
    running = make_referral(priority="routine", received_at=datetime(2026, 11, 20, 9, 0))
    services.pause(db_session, officer, paused, "Waiting for the occupational therapy report")
    rows = services.queue(db_session, officer, services.QueueFilters()).items
    assert [r.id for r in rows] == [running.id, paused.id]
    overdue = {r.id for r in services.queue(db_session, officer, services.QueueFilters(overdue=True),
                                            now=datetime(2027, 6, 1)).items}
    assert paused.id not in overdue and running.id in overdue
