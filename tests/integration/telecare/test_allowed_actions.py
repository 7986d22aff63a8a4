"""Who may do what to a telecare job: for every role (and a second installer who is not assigned)
and every state of a job, the page shows exactly the actions `allowed_actions` names, and every
other action, posted anyway, is refused (403, 404 or 422) and changes nothing."""

import re
from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.telecare import services
from portal.telecare.models import ConnectionDevice, Job, JobStep
from portal.telecare.services import ACTIONS, COORDINATORS, INSTALLERS
from portal.timeutil import today
from tests.actions import shown_actions
from tests.conftest import csrf_from
from tests.integration.telecare.conftest import make_world

OTHER_INSTALLER = "telecare_installer (not assigned)"
VIEWERS = [*ROLES, OTHER_INSTALLER]
STATES = ["requested", "scheduled", "scheduled_later", "arrived", "ready", "completed", "no_access", "cancelled"]


def build(session, world, fitter, state: str) -> Job:
    """A new-install job in the given state, assigned (once scheduled) to `fitter`."""
    job, _ = services.create_job(session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    if state == "requested":
        return job
    if state == "cancelled":
        return services.cancel_job(session, "t", job.id, "Not needed")
    on = today() + timedelta(days=1) if state == "scheduled_later" else today()
    slot = f"{6 + 2 * STATES.index(state):02d}:00"  # one installer, a visit each: never double-booked
    job = services.schedule_job(session, "t", job.id, on=on, slot=slot, installer_id=fitter.id)
    if state in ("scheduled", "scheduled_later"):
        return job
    if state == "no_access":
        return services.no_access(session, fitter, job.id, "Nobody in")[0]
    services.record_step(session, fitter, job.id, "arrived")
    if state == "arrived":
        return job
    services.fit_device(session, fitter, job.id, world["assets"]["HUB1"].asset_tag)
    for step in ("devices_fitted", "test_call_passed", "consent_confirmed", "smoke_heat_checked"):
        services.record_step(session, fitter, job.id, step)
    services.record_step(session, fitter, job.id, "responders_confirmed",
                         {"responders": [{"name": "Pat Holt", "phone": "07700 900001"}]})
    if state == "ready":
        return job
    return services.complete_job(session, fitter, job.id, line_type="digital")[0]


def snapshot(session, job_id: int) -> tuple:
    session.expire_all()
    job = session.get(Job, job_id)
    count = lambda stmt: session.scalar(select(func.count()).select_from(stmt.subquery()))  # noqa: E731
    return (job.state, job.version, job.visit,
            count(select(AuditEvent.id).where(AuditEvent.entity_type == "telecare_job",
                                              AuditEvent.entity_id == str(job_id))),
            count(select(JobStep.id).where(JobStep.job_id == job_id)),
            count(select(ConnectionDevice.id).where(ConnectionDevice.job_id == job_id)))


LINK_ACTIONS = {"telecare.schedule", "telecare.cancel"}


def plausible(job: Job, world, fitter, token: str) -> dict:
    """Answers that would pass every form, so only the rule can refuse."""
    day = today()
    return {"csrf_token": token, "version": job.version, "visit": job.visit,
            "tag": world["assets"]["SMK2"].asset_tag, "reason": "Test reason", "line_type": "digital",
            "present": "yes", "location": "By the door", "responder_1_name": "Sam Lee",
            "responder_1_phone": "07700 900009", "on": [str(day.day), str(day.month), str(day.year)], "slot": "am",
            "installer_id": fitter.id}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_pages_show_exactly_the_allowed_actions_and_routes_refuse_the_rest(app, client, staff, db_session, viewer):
    role = "telecare_installer" if viewer == OTHER_INSTALLER else viewer
    if viewer == "telecare_installer":
        user = fitter = staff.login_as(role)
    else:
        fitter = staff.create("telecare_installer")
        user = staff.login_as(role)
    for state in STATES:  # one sign-in per viewer: password hashing is what makes these tests slow
        world = make_world(db_session)
        job = build(db_session, world, fitter, state)
        db_session.commit()  # a refused post rolls back its own work only (the test's outer transaction stays)
        check_job(app, client, staff, db_session, world, user, role, fitter, job)


def check_job(app, client, staff, db_session, world, user, role, fitter, job):
    allowed = services.allowed_actions(user, job)
    assigned = job.installer_id == user.id
    page = client.get(f"/telecare/jobs/{job.id}")
    if role not in (*INSTALLERS, *COORDINATORS):
        assert page.status_code == 403, job.state
        assert allowed == frozenset(), job.state
    elif role in INSTALLERS and not assigned:
        assert page.status_code == 404, job.state  # an installer's list holds only the jobs assigned to them
        assert allowed == frozenset(), job.state
    else:
        assert page.status_code == 200, job.state
        # a coordinator's actions are links to their own pages (booking the visit, cancelling)
        assert shown_actions(app, page.text, "telecare", LINK_ACTIONS) == allowed, job.state
        if role in INSTALLERS and job.scheduled_date == today():
            day = client.get("/telecare/today").text
            card = re.search(rf'<article class="app-job-card" id="job-{job.id}".*?</article>', day, re.S).group(0)
            assert shown_actions(app, card, "telecare") == allowed, job.state

    token = csrf_from(page.text) if page.status_code == 200 else staff.csrf()
    data = plausible(job, world, fitter, token)
    done = services.steps_done(db_session, job)
    for action in sorted(set(ACTIONS) - allowed):
        with app.test_request_context():
            url = url_for(f"telecare.{action}", job_id=job.id)
        before = snapshot(db_session, job.id)
        resp = client.post(url, data=data)
        if role in INSTALLERS and assigned and action in done:
            # The same tap again on the same visit was recorded once; a replay is not an error.
            assert resp.status_code == 303, (job.state, action, resp.status_code)
        else:
            assert resp.status_code in (403, 404, 422), (job.state, action, resp.status_code)
            assert resp.status_code != 404 or not assigned, (job.state, action)
        assert snapshot(db_session, job.id) == before, (job.state, action)
