"""The installer's day offline, on the server's side: the service worker's script and scope, the
session's CSRF token for sending queued steps, a queue sent twice recording each step once, a queued
step refused (not lost) when the job was given to someone else, and a day page that never holds a
key safe code (the phone keeps a copy of it)."""

import re

from sqlalchemy import func, select, update

from portal.audit.models import AuditEvent
from portal.telecare import services
from portal.telecare.models import Connection, ConnectionDevice, Job, JobStep
from portal.timeutil import today
from tests.conftest import csrf_from


def _job_for(session, world, user, job_type="new_install"):
    job, _ = services.create_job(session, "t", person_id=world["person"].id, job_type=job_type, priority="urgent",
                                 access_notes="Ring twice", to_fit="Hub and pendant")
    return services.schedule_job(session, "t", job.id, on=today(), slot="am", installer_id=user.id, route_order=1)


def _queue(job, world, token):
    """A whole visit as the phone queues it: each form's url and fields, in the order tapped."""
    base = f"/telecare/jobs/{job.id}"
    fields = {"csrf_token": token, "visit": str(job.visit)}
    return [
        (f"{base}/steps/arrived", fields),
        (f"{base}/devices", {**fields, "tag": world["assets"]["HUB1"].asset_tag}),
        (f"{base}/devices", {**fields, "tag": world["assets"]["PEN1"].asset_tag}),
        (f"{base}/steps/devices_fitted", fields),
        (f"{base}/steps/test_call_passed", fields),
        (f"{base}/steps/consent_confirmed", fields),
        (f"{base}/steps/responders_confirmed", {**fields, "responder_1_name": "Pat Holt",
                                                "responder_1_phone": "07700 900123"}),
        (f"{base}/steps/smoke_heat_checked", fields),
        (f"{base}/steps/key_safe_checked", {**fields, "present": "yes", "location": "By the back door"}),
        (f"{base}/steps/completed", {**fields, "line_type": "digital"}),
    ]


def _send(client, job, url, fields, token):
    """One queued step as telecare.mjs sends it: a fresh token in the field and the header, as htmx would."""
    return client.post(url, data={**fields, "csrf_token": token},
                       headers={"HX-Request": "true", "HX-Target": f"job-{job.id}", "X-CSRFToken": token})


def _count(session, stmt) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery()))


def test_the_service_worker_is_served_from_telecare_so_it_can_control_the_installers_day(client):
    resp = client.get("/telecare/installer-sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Service-Worker-Allowed"] == "/telecare/"
    assert "installer-day" in resp.text and 'new URL("today", self.registration.scope)' in resp.text


def test_the_day_page_points_the_phone_at_its_worker_token_and_the_code_rule(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _job_for(db_session, world, user)
    page = client.get("/telecare/today").text
    settings = re.search(r'<div id="installer-offline"([^>]*)>', page).group(1)
    assert f'data-user="{user.id}"' in settings
    assert 'data-worker="/telecare/installer-sw.js"' in settings
    assert 'data-token-url="/telecare/today/token"' in settings
    assert "waiting to send" in settings and "\\u0027" in settings  # its own quotes escaped
    # The steps not open yet are on the card, hidden and with no action: offered only offline.
    assert f'data-offline-action="/telecare/jobs/{job.id}/steps/test_call_passed"' in page
    assert f' action="/telecare/jobs/{job.id}/steps/test_call_passed"' not in page


def test_the_token_is_this_sessions_and_a_queued_step_needs_it(app, client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _job_for(db_session, world, user)
    db_session.commit()
    old = csrf_from(client.get("/telecare/today").text)  # the token the queued form carried
    client.post("/sign-out", data={"csrf_token": old})
    assert staff.sign_in(user).status_code == 303  # signed in again: a new session
    url, fields = _queue(job, world, old)[0]
    stale = _send(client, job, url, fields, old)
    assert stale.status_code == 400  # the old session's token is refused, and nothing is recorded
    assert _count(db_session, select(JobStep.id).where(JobStep.job_id == job.id)) == 0
    fresh = client.get("/telecare/today/token")
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    assert fresh.json["user"] == user.id and fresh.json["csrf_token"] != old
    sent = _send(client, job, url, fields, fresh.json["csrf_token"])
    assert sent.status_code == 200 and sent.text.lstrip().startswith(f'<article class="app-job-card" id="job-{job.id}"')
    assert _count(db_session, select(JobStep.id).where(JobStep.job_id == job.id, JobStep.step == "arrived")) == 1


def test_a_visit_queued_offline_and_sent_twice_is_recorded_exactly_once(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _job_for(db_session, world, user)
    db_session.commit()
    token = client.get("/telecare/today/token").json["csrf_token"]
    queue = _queue(job, world, token)
    for url, fields in queue:
        resp = _send(client, job, url, fields, token)
        assert resp.status_code == 200, (url, resp.text[:400])
    audit = _count(db_session, select(AuditEvent.id).where(AuditEvent.entity_type == "telecare_job",
                                                           AuditEvent.entity_id == str(job.id)))
    for url, fields in queue:  # every response lost: the phone sends the whole queue again
        resp = _send(client, job, url, fields, token)
        assert resp.status_code == 200, (url, resp.text[:400])
    db_session.expire_all()
    assert db_session.get(Job, job.id).state == "completed"
    steps = db_session.execute(select(JobStep.step, func.count()).where(JobStep.job_id == job.id)
                               .group_by(JobStep.step)).all()
    assert dict(steps) == {s: 1 for s in ("arrived", "devices_fitted", "test_call_passed", "consent_confirmed",
                                          "responders_confirmed", "smoke_heat_checked", "key_safe_checked",
                                          "completed")}
    assert _count(db_session, select(ConnectionDevice.id).where(ConnectionDevice.job_id == job.id)) == 2
    assert _count(db_session, select(AuditEvent.id).where(AuditEvent.entity_type == "telecare_job",
                                                          AuditEvent.entity_id == str(job.id))) == audit


def test_a_queued_step_for_a_job_given_to_another_installer_is_refused_with_the_reason(
        client, staff, db_session, world, installer):
    user = staff.login_as("telecare_installer")
    job = _job_for(db_session, world, user)
    db_session.commit()
    token = client.get("/telecare/today/token").json["csrf_token"]
    services.schedule_job(db_session, "t", job.id, on=today(), slot="pm", installer_id=installer().id)
    db_session.commit()
    url, fields = _queue(job, world, token)[0]
    resp = _send(client, job, url, fields, token)
    assert resp.status_code == 404
    assert "There is no telecare job with that number in your list." in resp.text  # what the phone shows
    assert _count(db_session, select(JobStep.id).where(JobStep.job_id == job.id)) == 0


def test_the_day_page_kept_on_the_phone_never_holds_a_key_safe_code(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _job_for(db_session, world, user)
    db_session.add(Connection(person_id=world["person"].id, line_type="analogue", status="active",
                              key_safe_present=True, key_safe_location="Left of the door, code 4821"))
    # Codes are refused when typed; these slipped in another way (an import, an old record).
    db_session.execute(update(Job).where(Job.id == job.id).values(access_notes="Key safe 1 9 7 3 by the gate",
                                                                  to_fit="Pendant (keysafe code 5512)"))
    db_session.commit()
    page = client.get("/telecare/today").text
    for code in ("4821", "1 9 7 3", "5512"):
        assert code not in page
    assert "[key safe code removed]" in page and "by the gate" in page and "Left of the door" in page
