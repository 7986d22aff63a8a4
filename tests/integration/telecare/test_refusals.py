"""A refusal comes back on the same card or page, on the field it names, with what was typed kept;
a tap from an earlier visit is a refusal on the card, and only a real clash says "changed by someone else"."""

import re

from sqlalchemy import func, select

from portal.telecare import services
from portal.telecare.models import JobStep
from portal.timeutil import today
from tests.conftest import csrf_from
from tests.integration.telecare.conftest import referral_for


def _scheduled(session, world, user, job_type="new_install"):
    job, _ = services.create_job(session, "t", person_id=world["person"].id, job_type=job_type, priority="routine")
    job = services.schedule_job(session, "t", job.id, on=today(), slot="am", installer_id=user.id)
    session.commit()  # the refused post's rollback undoes its own work only
    return job


def _arrived(session, world, user):
    job = _scheduled(session, world, user)
    services.record_step(session, user, job.id, "arrived")
    session.commit()
    return job


def _hx(job):
    return {"HX-Request": "true", "HX-Target": f"job-{job.id}"}


def _input(html: str, name: str, job_id: int) -> str:
    match = re.search(rf'<input[^>]*id="{name}-{job_id}"[^>]*>', html)
    assert match, f"no input {name}-{job_id}"
    return match.group(0)


def test_responders_refused_keep_every_answer_over_htmx_and_plain(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _arrived(db_session, world, user)
    token = staff.csrf("/telecare/today")
    data = {"csrf_token": token, "visit": job.visit, "responder_1_name": "Pat Holt", "responder_1_phone": "",
            "responder_1_relationship": "Daughter", "responder_2_name": "Sam Lee", "responder_2_phone": "07700 900002",
            "service": "yes"}
    url = f"/telecare/jobs/{job.id}/steps/responders_confirmed"
    hx = client.post(url, data=data, headers=_hx(job))
    assert hx.status_code == 422 and hx.text.lstrip().startswith('<article class="app-job-card"')
    assert "Enter a phone number for Pat Holt" in hx.text
    assert f'id="responder_1_phone-{job.id}-error"' in hx.text
    assert 'value="Pat Holt"' in _input(hx.text, "responder_1_name", job.id)
    assert 'value="Daughter"' in _input(hx.text, "responder_1_relationship", job.id)
    assert 'value="07700 900002"' in _input(hx.text, "responder_2_phone", job.id)
    assert "checked" in _input(hx.text, "service", job.id)
    plain = client.post(url, data=data)
    assert plain.status_code == 422 and plain.text.count("<h1") == 1
    assert "There is a problem" in plain.text and f'href="#responder_1_phone-{job.id}"' in plain.text
    assert 'value="Pat Holt"' in _input(plain.text, "responder_1_name", job.id)
    assert db_session.scalar(select(func.count()).select_from(JobStep).where(
        JobStep.job_id == job.id, JobStep.step == "responders_confirmed")) == 0


def test_key_safe_and_reason_refusals_keep_what_was_typed(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _arrived(db_session, world, user)
    token = staff.csrf("/telecare/today")
    resp = client.post(f"/telecare/jobs/{job.id}/steps/key_safe_checked",
                       data={"csrf_token": token, "visit": job.visit, "location": "Behind the gate"}, headers=_hx(job))
    assert resp.status_code == 422 and "Select whether there is a key safe" in resp.text
    assert f'id="present-{job.id}-error"' in resp.text
    assert 'value="Behind the gate"' in _input(resp.text, "location", job.id)
    resp = client.post(f"/telecare/jobs/{job.id}/steps/failed",
                       data={"csrf_token": token, "visit": job.visit, "reason": "   "}, headers=_hx(job))
    assert resp.status_code == 422 and "Enter why the visit failed" in resp.text
    assert f'id="reason-failed-{job.id}-error"' in resp.text and "<details" in resp.text and " open>" in resp.text
    assert services.get_job(db_session, job.id).state == "scheduled"


def test_completing_without_the_line_type_keeps_the_number_and_provider(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _arrived(db_session, world, user)
    services.fit_device(db_session, user, job.id, world["assets"]["HUB1"].asset_tag)
    for step in ("devices_fitted", "test_call_passed", "consent_confirmed", "smoke_heat_checked"):
        services.record_step(db_session, user, job.id, step)
    services.record_step(db_session, user, job.id, "responders_confirmed", {"service": True})
    db_session.commit()
    token = staff.csrf("/telecare/today")
    resp = client.post(f"/telecare/jobs/{job.id}/steps/completed",
                       data={"csrf_token": token, "visit": job.visit, "telephone": "01632 960009",
                             "provider": "Openline"}, headers=_hx(job))
    assert resp.status_code == 422 and "Select the line type the alarm uses" in resp.text
    assert f'id="line_type-{job.id}-error"' in resp.text
    assert 'value="01632 960009"' in _input(resp.text, "telephone", job.id)
    assert 'value="Openline"' in _input(resp.text, "provider", job.id)
    assert services.get_job(db_session, job.id).state == "scheduled"


def test_a_tap_from_an_earlier_visit_is_refused_on_the_card(client, staff, db_session, world):
    user = staff.login_as("telecare_installer")
    job = _arrived(db_session, world, user)
    services.no_access(db_session, user, job.id, "Nobody in")
    services.schedule_job(db_session, "t", job.id, on=today(), slot="pm", installer_id=user.id)
    db_session.commit()
    token = staff.csrf("/telecare/today")
    resp = client.post(f"/telecare/jobs/{job.id}/steps/test_call_passed", data={"csrf_token": token, "visit": 1},
                       headers=_hx(job))
    assert resp.status_code == 422 and "That tap was for an earlier visit" in resp.text
    assert "data-job-card" in resp.text and "changed by someone else" not in resp.text
    assert db_session.scalar(select(func.count()).select_from(JobStep).where(
        JobStep.job_id == job.id, JobStep.visit == 2)) == 0


def test_a_schedule_refusal_keeps_the_answers_and_a_stale_one_is_a_clash(client, staff, db_session, world, installer):
    fitter = installer()
    staff.login_as("manager")
    job, _ = services.create_job(db_session, "t", person_id=world["person"].id, job_type="new_install",
                                 priority="routine")
    db_session.commit()
    page = client.get(f"/telecare/jobs/{job.id}")
    token, version = csrf_from(page.text), job.version
    url = f"/telecare/jobs/{job.id}/schedule"
    resp = client.post(url, data={"csrf_token": token, "version": version, "on": ["1", "1", "2020"],
                                  "slot": "", "start_time": "09:30", "installer_id": fitter.id, "route_order": "3"})
    assert resp.status_code == 422 and "The date of the visit must be today or in the future" in resp.text
    assert 'href="#on-day"' in resp.text or 'href="#on"' in resp.text
    assert re.search(r'id="start_time"[^>]*value="09:30"', resp.text)
    assert re.search(r'id="route_order"[^>]*value="3"', resp.text)
    assert re.search(rf'<option selected value="{fitter.id}"|<option value="{fitter.id}" selected', resp.text)
    day = today()
    on = [str(day.day), str(day.month), str(day.year)]
    bad_time = client.post(url, data={"csrf_token": token, "version": version, "on": on, "slot": "",
                                      "start_time": "25:99", "installer_id": fitter.id})
    assert bad_time.status_code == 422 and 'href="#start_time"' in bad_time.text
    ok = client.post(url, data={"csrf_token": token, "version": version, "on": on, "slot": "am",
                                "start_time": "", "installer_id": fitter.id})
    assert ok.status_code == 303
    stale = client.post(url, data={"csrf_token": token, "version": version, "on": on, "slot": "pm",
                                   "start_time": "", "installer_id": fitter.id})
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert services.get_job(db_session, job.id).slot == "am"


def test_a_job_that_cannot_be_raised_is_refused_on_the_type_with_the_notes_kept(client, staff, db_session, world):
    referral_for(db_session, world["person"])
    staff.login_as("triage_officer")
    url = f"/telecare/jobs/new?person={world['person'].id}"
    page = client.get(url)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page.text).group(1)
    resp = client.post(url, data={"csrf_token": csrf_from(page.text), "submission_key": key,
                                  "job_type": "digital_switchover", "priority": "routine", "referral_id": "",
                                  "to_fit": "Digital hub", "access_notes": "Ring twice"})
    assert resp.status_code == 422 and "This person has no telecare connection" in resp.text
    assert 'href="#job_type"' in resp.text
    assert "Digital hub" in resp.text and "Ring twice" in resp.text
