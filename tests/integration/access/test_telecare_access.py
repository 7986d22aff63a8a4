"""Telecare shows a person only through the access rule (DESIGN.md 6): the installer's part on the
job card, the coordinator's part on the list, job page and planner, and a refused request for a
connection or a new job is "not found" and a security event."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.telecare.models import Connection, Job
from portal.timeutil import today, utcnow
from tests.integration.telecare.conftest import make_world, referral_for

KEY_SAFE = "Behind the blue gate"


def _job(db_session, person, installer, *, done_days_ago=None, state="scheduled") -> Job:
    done = done_days_ago is not None
    job = Job(submission_key=f"job-{person.id}-{utcnow().timestamp()}", job_type="fault_visit",
              person_id=person.id, due_date=today(), state="completed" if done else state,
              scheduled_date=today(), slot="am", installer_id=installer.id if installer else None,
              completed_at=utcnow() - timedelta(days=done_days_ago) if done else None)
    db_session.add(job)
    db_session.flush()
    return job


def _connection(db_session, person):
    db_session.add(Connection(person_id=person.id, line_type="digital", status="active", telephone="01632 960999",
                              provider="Openline", unit_model="Digital alarm hub", key_safe_present=True,
                              key_safe_location=KEY_SAFE))
    db_session.flush()


def _count(db_session, action, person) -> int:
    return db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_type == "person", AuditEvent.entity_id == str(person.id)))


def test_the_installer_card_shows_name_address_and_key_safe_but_not_the_phone(client, db_session, staff):
    world = make_world(db_session)
    person = world["person"]
    me = staff.login_as("telecare_installer")
    _connection(db_session, person)
    job = _job(db_session, person, me)
    db_session.commit()
    for url in ("/telecare/today", f"/telecare/jobs/{job.id}"):
        page = client.get(url)
        assert page.status_code == 200
        assert "Edna Brookes" in page.text and "4 Mill Lane, AB1 2CD" in page.text and KEY_SAFE in page.text
        assert "01632 960001" not in page.text  # the person's phone is not the installer's part
    viewed = db_session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(person.id))).all()
    assert [d["purpose"] for d in viewed] == [f"telecare job {job.id}"] * 2
    assert viewed[0]["parts"] == ["address", "name", "telecare"]


def test_the_card_of_a_job_done_long_ago_no_longer_shows_the_person(client, db_session, staff):
    world = make_world(db_session)
    me = staff.login_as("telecare_installer")
    _connection(db_session, world["person"])
    job = _job(db_session, world["person"], me, done_days_ago=60)
    db_session.commit()
    page = client.get(f"/telecare/jobs/{job.id}")
    assert page.status_code == 200 and f"Job {job.id}" in page.text
    assert "Edna" not in page.text and "Mill Lane" not in page.text and KEY_SAFE not in page.text
    assert "no longer part of your current work" in page.text


@pytest.mark.parametrize(("role", "with_referral", "state", "sees"), [
    # an open job is a coordinator's work (switchover batches have no referral); a finished one is not
    ("admin", False, "scheduled", True), ("triage_officer", False, "scheduled", True),
    ("admin", False, "cancelled", False), ("triage_officer", False, "cancelled", False),
    ("triage_officer", True, "cancelled", True), ("manager", False, "cancelled", True)])
def test_coordinators_see_the_person_only_as_the_rule_gives(client, db_session, staff, role, with_referral, state,
                                                            sees):
    world = make_world(db_session)
    person = world["person"]
    fitter = staff.create("telecare_installer", name="Ian Walsh")
    if with_referral:
        referral_for(db_session, person)
    job = _job(db_session, person, fitter, state=state)
    week = today() - timedelta(days=today().weekday())
    job.scheduled_date = week  # a weekday, so the planner shows it
    db_session.commit()
    staff.login_as(role)
    lists = ("/telecare/", f"/telecare/planner?week={week}") if state == "scheduled" else ()  # lists show open jobs
    for url in (*lists, f"/telecare/jobs/{job.id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert ("Edna Brookes" in page.text or "AB1 2CD" in page.text) is sees, url
        assert "Mill Lane" not in page.text or sees, url
    assert (_count(db_session, "person.viewed", person) > 0) is sees
    connection = client.get(f"/telecare/people/{person.id}/connection")
    assert connection.status_code == (200 if sees else 404)
    assert _count(db_session, "security.refused", person) == (0 if sees else 1)


@pytest.mark.parametrize("role", ["admin", "triage_officer"])
def test_a_new_job_for_someone_outside_the_coordinators_work_is_refused(client, db_session, staff, role):
    world = make_world(db_session)
    db_session.commit()
    staff.login_as(role)
    page = client.get(f"/telecare/jobs/new?person={world['person'].id}")
    assert page.status_code == 404 and "Edna" not in page.text
    assert _count(db_session, "security.refused", world["person"]) == 1
    search = client.get("/telecare/jobs/new?q=brookes")
    assert search.status_code == 200 and "Edna" not in search.text and "No one in your work matches" in search.text
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_the_search_lists_only_people_in_the_coordinators_work(client, db_session, staff):
    world = make_world(db_session)
    referral_for(db_session, world["person"])
    other = make_world(db_session)["person"]
    other.given_name = "Edgar"
    db_session.commit()
    staff.login_as("triage_officer")
    search = client.get("/telecare/jobs/new?q=brookes")
    assert "Edna Brookes" in search.text and "Edgar" not in search.text
    assert client.get(f"/telecare/jobs/new?person={world['person'].id}").status_code == 200


@pytest.mark.parametrize("case", ["not_assigned", "done_long_ago", "cancelled"])
def test_an_installer_sees_a_connection_only_through_a_current_job(client, db_session, staff, case):
    world = make_world(db_session)
    person = world["person"]
    me = staff.login_as("telecare_installer")
    _connection(db_session, person)
    if case == "not_assigned":
        job = _job(db_session, person, staff.create("telecare_installer"))
    else:
        _job(db_session, person, me, done_days_ago=60 if case == "done_long_ago" else None,
             state="cancelled" if case == "cancelled" else "scheduled")
    db_session.commit()
    page = client.get(f"/telecare/people/{person.id}/connection")
    assert page.status_code == 404 and "Edna" not in page.text and "01632 960999" not in page.text
    assert _count(db_session, "security.refused", person) == 1
    if case == "not_assigned":  # the coordinator gives the open visit to me (one open fault visit a person)
        job.installer_id = me.id
    else:
        db_session.add(Job(submission_key="current", job_type="fault_visit", person_id=person.id, due_date=today(),
                           state="scheduled", scheduled_date=today(), slot="pm", installer_id=me.id))
    db_session.commit()
    page = client.get(f"/telecare/people/{person.id}/connection")
    assert page.status_code == 200 and "Edna Brookes" in page.text and "01632 960999" in page.text


def test_the_line_register_export_records_who_and_how_many_never_the_data(client, db_session, staff):
    world = make_world(db_session)
    _connection(db_session, world["person"])
    db_session.commit()
    user = staff.login_as("manager")
    resp = client.get("/telecare/line-register.csv")
    assert resp.status_code == 200 and "Edna" in resp.text
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "telecare.line_register_exported"))
    assert event.actor_id == user.id and event.details["rows"] == 1
    assert "Edna" not in str(event.details) and "01632" not in str(event.details)


def test_an_installer_id_too_large_for_the_database_is_ignored(client, staff):
    staff.login_as("manager")
    assert client.get("/telecare/?installer=99999999999999999999").status_code == 200
    assert client.get("/telecare/jobs/new?person=99999999999999999999").status_code == 200
