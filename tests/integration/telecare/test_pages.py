"""Telecare pages through the real app: the installer's day with HTMX and plain posts, object-level
access, key-safe privacy, and the coordinators' screens."""

import re

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.telecare import services
from portal.telecare.models import Connection, JobStep
from portal.timeutil import today
from tests.conftest import csrf_from
from tests.integration.telecare.conftest import referral_for

KEY_SAFE = "Behind the blue drainpipe"


def _job_for(session, world, user, job_type="new_install"):
    job, _ = services.create_job(session, "t", person_id=world["person"].id, job_type=job_type, priority="urgent",
                                 access_notes="Ring twice", to_fit="Hub and pendant")
    return services.schedule_job(session, "t", job.id, on=today(), slot="am", installer_id=user.id,
                                 route_order=1)


def _with_key_safe(session, world, user):
    conn = Connection(person_id=world["person"].id, line_type="analogue", status="active",
                      key_safe_present=True, key_safe_location=KEY_SAFE, unit_model="Analogue alarm unit")
    session.add(conn)
    session.flush()
    return _job_for(session, world, user, "fault_visit")


def test_installer_day_and_replayed_step_posts_record_once(client, staff, db_session, world, htmx_headers):
    user = staff.login_as("telecare_installer")
    job = _job_for(db_session, world, user)
    page = client.get("/telecare/today")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert "Edna Brookes" in page.text and "Ring twice" in page.text and "Hub and pendant" in page.text
    assert 'hx-disabled-elt="this"' in page.text and "data-error-region" in page.text
    token = csrf_from(page.text)
    data = {"csrf_token": token, "visit": job.visit}
    first = client.post(f"/telecare/jobs/{job.id}/steps/arrived", data=data)
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/telecare/today#job-{job.id}")
    again = client.post(f"/telecare/jobs/{job.id}/steps/arrived", data=data)  # a replayed POST
    assert again.status_code == 303
    hx = client.post(f"/telecare/jobs/{job.id}/steps/arrived", data=data,
                     headers={**htmx_headers, "HX-Target": f"job-{job.id}"})  # and a double tap over HTMX
    assert hx.status_code == 200
    assert hx.text.lstrip().startswith(f'<article class="app-job-card" id="job-{job.id}"')
    assert "<html" not in hx.text
    assert db_session.scalar(select(func.count()).select_from(JobStep).where(
        JobStep.job_id == job.id, JobStep.step == "arrived")) == 1
    # Fitting by typing the tag, over HTMX.
    tag = world["assets"]["HUB1"].asset_tag
    fit = client.post(f"/telecare/jobs/{job.id}/devices", data={**data, "tag": tag.lower()},
                      headers={**htmx_headers, "HX-Target": f"job-{job.id}"})
    assert fit.status_code == 200 and tag in fit.text
    # A mistyped tag is a refusal on the tag input of the same card, with what was typed kept.
    bad = client.post(f"/telecare/jobs/{job.id}/devices", data={**data, "tag": "NOPE-1"},
                      headers={**htmx_headers, "HX-Target": f"job-{job.id}"})
    assert bad.status_code == 422 and bad.text.lstrip().startswith('<article class="app-job-card"')
    assert "No device has the asset tag NOPE-1" in bad.text
    assert re.search(rf'id="tag-{job.id}-error"', bad.text)
    assert re.search(rf'govuk-input--error" id="tag-{job.id}" name="tag"[^>]*value="NOPE-1"', bad.text)
    # A rule broken over HTMX comes back as the card with the message (swapped in place).
    early = client.post(f"/telecare/jobs/{job.id}/steps/completed", data=data,
                        headers={**htmx_headers, "HX-Target": f"job-{job.id}"})
    assert early.status_code == 422 and "Before completing" in early.text and "data-job-card" in early.text
    # ...and after a plain post, the card's page with the GOV.UK error summary (no redirect: nothing is lost).
    plain = client.post(f"/telecare/jobs/{job.id}/steps/completed", data=data)
    assert plain.status_code == 422 and "There is a problem" in plain.text and "Before completing" in plain.text
    assert plain.text.count("<h1") == 1


def test_installers_see_only_their_jobs_and_people(client, staff, db_session, world, installer):
    other = installer("Other Installer")
    job = _job_for(db_session, world, other)
    me = staff.login_as("telecare_installer")
    assert "Edna Brookes" not in client.get("/telecare/today").text
    assert client.get(f"/telecare/jobs/{job.id}").status_code == 404
    assert client.get(f"/telecare/people/{world['person'].id}/connection").status_code == 404
    token = staff.csrf("/telecare/today")
    resp = client.post(f"/telecare/jobs/{job.id}/steps/arrived", data={"csrf_token": token, "visit": 1})
    assert resp.status_code == 404
    resp = client.post(f"/telecare/jobs/{job.id}/devices", data={"csrf_token": token, "tag": "X"})
    assert resp.status_code == 404
    assert db_session.scalar(select(func.count()).select_from(JobStep).where(JobStep.job_id == job.id)) == 0
    assert client.get("/telecare/").status_code == 403  # the coordinators' list
    services.cancel_job(db_session, "t", job.id, "Given to another installer")  # one open install a person
    mine = _job_for(db_session, world, me)
    assert client.get(f"/telecare/jobs/{mine.id}").status_code == 200
    assert client.get(f"/telecare/people/{world['person'].id}/connection").status_code == 200


def test_key_safe_location_only_reaches_the_assigned_installer(client, staff, db_session, world, installer):
    assigned = staff.create("telecare_installer")
    job = _with_key_safe(db_session, world, assigned)
    staff.sign_in(assigned)
    assert KEY_SAFE in client.get("/telecare/today").text
    assert KEY_SAFE in client.get(f"/telecare/jobs/{job.id}").text
    assert KEY_SAFE not in client.get(f"/telecare/people/{world['person'].id}/connection").text
    client.post("/sign-out", data={"csrf_token": staff.csrf("/telecare/today")})

    staff.login_as("manager")
    pages = ["/telecare/", f"/telecare/jobs/{job.id}", f"/telecare/people/{world['person'].id}/connection",
             "/telecare/planner", "/telecare/switchover", "/telecare/line-register.csv",
             f"/people/{world['person'].id}"]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert KEY_SAFE not in resp.text, url
    client.post("/sign-out", data={"csrf_token": staff.csrf("/telecare/")})
    staff.login_as("telecare_installer")
    assert KEY_SAFE not in client.get("/telecare/today").text


def test_coordinator_pages_and_actions(client, staff, db_session, world, installer, htmx_headers):
    fitter = installer()
    referral_for(db_session, world["person"])
    staff.login_as("triage_officer")
    for url in ("/telecare/", "/telecare/?state=requested&overdue=yes", "/telecare/planner",
                "/telecare/planner?week=2026-01-05", "/telecare/switchover", "/telecare/jobs/new",
                "/telecare/jobs/new?q=brookes", f"/telecare/jobs/new?person={world['person'].id}"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp.text.count("<h1") == 1, url
    frag = client.get("/telecare/?state=requested", headers={**htmx_headers, "HX-Target": "list"})
    assert frag.text.lstrip().startswith('<div id="list"')
    page = client.get(f"/telecare/jobs/new?person={world['person'].id}")
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.text).group(1)
    data = {"csrf_token": csrf_from(page.text), "submission_key": key, "job_type": "new_install",
            "priority": "urgent", "referral_id": "", "to_fit": "Hub", "access_notes": ""}
    made = client.post(f"/telecare/jobs/new?person={world['person'].id}", data=data)
    assert made.status_code == 303
    again = client.post(f"/telecare/jobs/new?person={world['person'].id}", data=data)
    assert again.headers["Location"] == made.headers["Location"]
    job_url = made.headers["Location"]
    page = client.get(job_url)
    assert "Schedule the visit" in page.text and 'href="' + job_url + '/schedule"' in page.text
    page = client.get(job_url + "/schedule")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    version = re.search(r'name="version"[^>]*value="(\d+)"', page.text).group(1)
    day = today()
    resp = client.post(job_url + "/schedule", data={
        "csrf_token": csrf_from(page.text), "version": version, "on": [str(day.day), str(day.month),
        str(day.year)], "slot": "am", "start_time": "", "installer_id": fitter.id, "route_order": "2"})
    assert resp.status_code == 303, resp.text[:3000]
    assert "Ian Walsh" in client.get("/telecare/planner").text
    bad = client.post(job_url + "/schedule", data={"csrf_token": csrf_from(page.text), "version": version})
    assert bad.status_code == 422 and "Error:" in bad.text
    stale = client.post(job_url + "/cancel", data={"csrf_token": csrf_from(page.text), "version": version,
                                                     "reason": "Not needed", "confirmed": "yes"})
    assert stale.status_code == 409


def test_line_register_export_is_audited(client, staff, db_session, world):
    db_session.add(Connection(person_id=world["person"].id, line_type="analogue", status="active",
                              telephone="=01632 960003", provider="Openline", unit_model="Analogue alarm unit"))
    db_session.flush()
    user = staff.login_as("manager")
    resp = client.get("/telecare/line-register.csv")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "'=01632 960003,Openline,Analogue" in resp.text  # no formula injection
    assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "telecare.line_register_exported", AuditEvent.actor_id == user.id)) == 1
    staff_page = client.get("/telecare/switchover")
    assert "North" in staff_page.text


def test_the_installer_cannot_use_coordinator_posts(client, staff, db_session, world):
    staff.login_as("telecare_installer")
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    token = staff.csrf("/telecare/today")
    assert client.post(f"/telecare/jobs/{job.id}/cancel", data={"csrf_token": token, "reason": "x"}).status_code == 403
    assert client.get("/telecare/line-register.csv").status_code == 403
