"""Issue 17: telecare by the book. Each rule's good and bad path at the service, and what a
coordinator or installer sees when they post it (message shown, answers kept, nothing saved)."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.errors import Conflict, Refusal
from portal.extensions import db, write_intent
from portal.telecare import services
from portal.telecare.models import Job
from portal.timeutil import today
from portal.web.bank_holidays import bank_holidays
from tests.conftest import csrf_from
from tests.integration.telecare.conftest import make_world, referral_for
from tests.integration.telecare.test_services import _install, _scheduled


@pytest.mark.parametrize("text", ["Key safe code 1234", "keysafe: 4 5 6 7", "Door code is 0912",
                                  "combination 1-2-3-4 by the gate", "Lock box PIN 8841"])
def test_key_safe_codes_are_detected(text):
    assert services.looks_like_key_safe_code(text)
    assert "[key safe code removed]" in services.redact_key_safe_codes(text)


@pytest.mark.parametrize("text", ["Key safe left of the front door", "Postcode AB1 2CD, flat 12",
                                  "Call daughter on 07700 900123 about the key safe", "2 linked smoke detectors",
                                  None, ""])
def test_ordinary_notes_are_not_codes(text):
    assert not services.looks_like_key_safe_code(text)


def test_a_job_note_with_a_code_is_refused_on_its_field(db_session, world):
    with pytest.raises(Refusal, match="Do not record key safe codes") as caught:
        services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                            priority="routine", access_notes="Key safe code 4321, side door")
    assert caught.value.field == "access_notes"
    with pytest.raises(Refusal) as caught:
        services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                            priority="routine", to_fit="Hub; keysafe 1 2 3 4")
    assert caught.value.field == "to_fit"


def test_a_second_open_job_of_a_type_links_to_the_first(db_session, world):
    first, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                   priority="routine")
    with pytest.raises(services.DuplicateJob) as caught:
        services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                            priority="urgent")
    assert caught.value.job_id == first.id and f"job {first.id}" in caught.value.message


def test_the_database_keeps_one_open_job_of_a_type(db_session, world):
    first, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                   priority="routine")
    second = Job(submission_key="x" * 32, job_type="new_install", person_id=world["person"].id, priority="routine",
                 state="requested", due_date=today(), visit=1, version=1)
    with pytest.raises(Exception), db_session.begin_nested():  # noqa: B017, PT011 (IntegrityError, either backend)
        db_session.add(second)
        db_session.flush()


def test_a_new_install_over_a_live_connection_is_refused(db_session, world, installer):
    _install(db_session, world, installer())
    with pytest.raises(Conflict, match="already has a telecare connection"):
        services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                            priority="routine")


def test_overlapping_visits_are_refused_and_free_slots_are_not(db_session, world, installer):
    user = installer()
    _scheduled(db_session, world, user)  # today, morning
    other = make_world(db_session)
    job, _ = services.create_job(db_session, "t", person_id=other["person"].id, job_type="new_install",
                                 priority="routine")
    for slot in ("am", "10:30", "08:00"):  # same slot; a start time in it; one running into it
        with pytest.raises(services.BookingClash, match="already has a visit") as caught:
            services.schedule_job(db_session, "t", job.id, on=today(), slot=slot, installer_id=user.id)
        assert caught.value.field == "slot"
    services.schedule_job(db_session, "t", job.id, on=today(), slot="13:00", installer_id=user.id)
    third = make_world(db_session)
    job3, _ = services.create_job(db_session, "t", person_id=third["person"].id, job_type="new_install",
                                  priority="routine")
    with pytest.raises(services.BookingClash):
        services.schedule_job(db_session, "t", job3.id, on=today(), slot="pm", installer_id=user.id)
    services.schedule_job(db_session, "t", job3.id, on=today(), slot="eve", installer_id=user.id)


def test_days_the_service_does_not_work_are_refused(app, db_session, world, installer):
    user = installer()
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    saturday = today() + timedelta(days=(5 - today().weekday()) % 7 or 7)
    app.config["TELECARE_WORKS_WEEKENDS"] = False
    try:
        with pytest.raises(Refusal, match="weekend") as caught:
            services.schedule_job(db_session, "t", job.id, on=saturday, slot="am", installer_id=user.id)
        assert caught.value.field == "on"
        plan = services.planner(db_session, saturday - timedelta(days=5))
        assert len(plan["days"]) == 5
    finally:
        app.config["TELECARE_WORKS_WEEKENDS"] = True
    services.schedule_job(db_session, "t", job.id, on=saturday, slot="am", installer_id=user.id)
    plan = services.planner(db_session, saturday - timedelta(days=5))
    assert saturday in plan["days"] and plan["slots"][(user.id, saturday)]["am"][0].id == job.id
    holiday = min((d for d in bank_holidays() if d > today()), default=None)
    assert holiday is not None, "the bank holiday calendar should reach past today"
    app.config["TELECARE_WORKS_BANK_HOLIDAYS"] = False  # the production default
    try:
        with pytest.raises(Refusal, match="bank holiday"):
            services.schedule_job(db_session, "t", job.id, on=holiday, slot="am", installer_id=user.id)
    finally:
        app.config["TELECARE_WORKS_BANK_HOLIDAYS"] = True


def test_responders_need_a_uk_number_stored_in_the_national_format(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    with pytest.raises(Refusal, match="UK telephone number") as caught:
        services.record_step(db_session, user, job.id, "responders_confirmed",
                             {"responders": [{"name": "Pat Holt", "phone": "12345"}]})
    assert caught.value.field == "responder_1_phone"
    row, _ = services.record_step(db_session, user, job.id, "responders_confirmed",
                                  {"responders": [{"name": "Pat Holt", "phone": "+447700900123"}]})
    assert row.details["responders"][0]["phone"] == "07700 900123"


def test_fictional_numbers_are_not_reachable_in_production(app):
    app.config["TELECARE_ACCEPT_FICTIONAL_NUMBERS"] = False
    try:
        with app.app_context():
            assert services.parse_uk_phone("07700 900123") is None
            assert services.parse_uk_phone("020 3123 4567") == "020 3123 4567"
    finally:
        app.config["TELECARE_ACCEPT_FICTIONAL_NUMBERS"] = True


def test_an_analogue_unit_cannot_go_on_a_digital_line_and_an_analogue_install_joins_the_plan(db_session, world,
                                                                                            installer):
    user = installer()
    with pytest.raises(Refusal, match="analogue alarm unit") as caught:
        _install(db_session, world, user, tags=("ANA1", "PEN1"), line="digital")
    assert caught.value.field == "line_type"
    refused = db_session.scalar(select(Job).where(Job.person_id == world["person"].id))
    services.cancel_job(db_session, "t", refused.id, "Wrong unit")
    world = make_world(db_session)
    _install(db_session, world, user, tags=("ANA1", "PEN1"), line="analogue")
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "telecare.switchover_plan_joined")) == 1
    assert any(r["analogue"] >= 1 for r in services.analogue_by_locality(db_session) if r["locality"] == "North")


def test_nothing_is_fitted_after_all_devices_fitted_until_the_step_is_reopened(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    services.fit_device(db_session, user, job.id, world["assets"]["HUB1"].asset_tag)
    services.record_step(db_session, user, job.id, "devices_fitted")
    services.record_step(db_session, user, job.id, "test_call_passed")
    with pytest.raises(Refusal, match="Reopen that step"):
        services.fit_device(db_session, user, job.id, world["assets"]["PEN1"].asset_tag)
    with pytest.raises(Refusal, match="why"):
        services.reopen_devices(db_session, user, job.id, "")
    services.reopen_devices(db_session, user, job.id, "Forgot the pendant")
    assert set(services.steps_done(db_session, job)) == {"arrived"}  # the test call is made again
    services.fit_device(db_session, user, job.id, world["assets"]["PEN1"].asset_tag)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "telecare.step_reopened"))
    assert event.details["cleared"] == ["devices_fitted", "test_call_passed"]
    assert event.details["reason"] == "Forgot the pendant"


def test_key_safe_yes_corrected_to_no_is_saved_and_audited(db_session, world, installer):
    user = installer()
    job = _scheduled(db_session, world, user)
    services.record_step(db_session, user, job.id, "arrived")
    services.record_step(db_session, user, job.id, "key_safe_checked", {"present": True, "location": "By the door"})
    row, changed = services.record_step(db_session, user, job.id, "key_safe_checked", {"present": False})
    assert changed and row.details == {"present": False, "location": ""}
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "telecare.key_safe_corrected"))
    assert event.details["was_present"] is True and event.details["present"] is False
    with pytest.raises(Refusal, match="Do not record key safe codes") as caught:
        services.record_step(db_session, user, job.id, "key_safe_checked", {"present": True, "location": "code 2468"})
    assert caught.value.field == "location"


# ---------------------------------------------------------------- what people see


def test_a_duplicate_request_on_the_form_links_to_the_open_job(client, staff, db_session, world):
    referral_for(db_session, world["person"])
    first, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                   priority="routine")
    db_session.commit()
    staff.login_as("triage_officer")
    page = client.get(f"/telecare/jobs/new?person={world['person'].id}")
    resp = client.post(f"/telecare/jobs/new?person={world['person'].id}", data={
        "csrf_token": csrf_from(page.text), "job_type": "new_install", "priority": "urgent",
        "access_notes": "Side door", "to_fit": "Pendant"})
    assert resp.status_code == 422
    assert "already open" in resp.text and f'href="/telecare/jobs/{first.id}"' in resp.text
    assert "Side door" in resp.text
    assert db_session.scalar(select(func.count()).select_from(Job).where(Job.person_id == world["person"].id)) == 1


def test_a_key_safe_code_on_the_form_is_refused_with_answers_kept(client, staff, db_session, world):
    referral_for(db_session, world["person"])
    staff.login_as("triage_officer")
    page = client.get(f"/telecare/jobs/new?person={world['person'].id}")
    resp = client.post(f"/telecare/jobs/new?person={world['person'].id}", data={
        "csrf_token": csrf_from(page.text), "job_type": "new_install", "priority": "urgent",
        "access_notes": "Key safe code 1379", "to_fit": "Pendant and hub"})
    assert resp.status_code == 422
    assert "Do not record key safe codes in the portal" in resp.text and "Pendant and hub" in resp.text
    assert db_session.scalar(select(func.count()).select_from(Job).where(Job.person_id == world["person"].id)) == 0


def test_a_double_booking_on_the_job_page_shows_the_clash(client, staff, db_session, world, installer):
    fitter = installer()
    booked = _scheduled(db_session, world, fitter)
    other = make_world(db_session)
    job, _ = services.create_job(db_session, "t", person_id=other["person"].id, job_type="new_install",
                                 priority="routine")
    db_session.commit()
    staff.login_as("manager")
    page = client.get(f"/telecare/jobs/{job.id}")
    day = today()
    resp = client.post(f"/telecare/jobs/{job.id}/schedule", data={
        "csrf_token": csrf_from(page.text), "version": job.version, "on": [str(day.day), str(day.month), str(day.year)],
        "slot": "", "start_time": "10:00", "installer_id": fitter.id})
    assert resp.status_code == 422
    assert f"job {booked.id}" in resp.text and 'value="10:00"' in resp.text
    db_session.expire_all()
    assert db_session.get(Job, job.id).state == "requested"


# ---------------------------------------------------------------- two coordinators at once


@pytest.fixture
def race_app(tmp_path):
    import os

    from flask_migrate import upgrade

    from tests.conftest import make_app
    from tests.integration.proof.conftest import fresh_postgres_url

    if os.environ.get("PORTAL_TEST_BACKEND") == "postgresql":
        url = fresh_postgres_url("tecs_telecare_race")
    else:
        url = "sqlite:///" + str(tmp_path / "race.db")
    app = make_app(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 12} if "postgres" in url else {})
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


def test_two_coordinators_booking_the_same_slot_at_once_book_it_once(race_app):
    from portal.auth.services import create_user

    threads_n = 8
    with race_app.app_context(), write_intent():
        fitter = create_user(db.session, "test", email="race-inst@test.council.example", name="Race Installer",
                             password="correct horse battery staple", roles=["telecare_installer"])
        jobs = []
        for _ in range(threads_n):
            world = make_world(db.session)
            jobs.append(services.create_job(db.session, "t", person_id=world["person"].id, job_type="new_install",
                                            priority="routine")[0].id)
        db.session.commit()
        fitter_id = fitter.id
        db.session.remove()
    barrier = threading.Barrier(threads_n)
    results, lock = [], threading.Lock()

    def attempt(job_id, slot):
        with race_app.app_context(), write_intent():
            barrier.wait()
            try:
                services.schedule_job(db.session, "coordinator", job_id, on=today(), slot=slot,
                                      installer_id=fitter_id)
                db.session.commit()
                outcome = "booked"
            except Exception as exc:  # noqa: BLE001 (each loser must be a refusal, checked below)
                db.session.rollback()
                outcome = type(exc).__name__
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(job_id, "am" if i % 2 else "10:00"))
               for i, job_id in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("booked") == 1, results
    assert set(results) <= {"booked", "BookingClash", "Conflict", "OperationalError"}, results
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(Job.state == "scheduled")) == 1
        db.session.remove()
