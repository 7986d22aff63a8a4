"""The installer's taps on a visit: one row per (job, visit, step).

A step is inserted with ON CONFLICT DO NOTHING, so a double tap or a replayed POST of the same
visit finds the first row and records nothing new (and is not an error: the card just shows it
done). A tap sent for an earlier visit (a phone that queued it while offline, then the job was
rebooked) is refused: the visit it belonged to is closed.
"""

from flask_babel import gettext as _

from portal.audit.services import actor_label, record
from portal.errors import IllegalTransition, Refusal, require_action
from portal.sql import insert_ignore
from portal.telecare.models import Job, JobStep
from portal.telecare.services._common import (
    TAP_STEPS,
    actor_id,
    connection_for,
    fitted_devices,
    get_job,
    steps_done,
    transition,
)
from portal.telecare.services.access import allowed_actions, check_installer, why_not
from portal.telecare.services.checks import clean_text, parse_uk_phone, uk_phone
from portal.timeutil import utcnow


def check_visit(job: Job, visit: int | None) -> None:
    if visit is not None and int(visit) != job.visit:
        raise IllegalTransition(_("That tap was for an earlier visit to job %(id)s, which is closed. Nothing was "
                                  "recorded; the card shows the current visit.",
                                  id=job.id))


def insert_step(session, actor, job: Job, step: str, details: dict) -> tuple[JobStep, bool]:
    values = dict(job_id=job.id, visit=job.visit, step=step, at=utcnow(), by_id=actor_id(actor),
                  by=actor_label(actor)[1][:160], details=details)
    step_id = session.execute(insert_ignore(session, JobStep.__table__, values, ["job_id", "visit", "step"])
                              .returning(JobStep.__table__.c.id)).scalar()
    if step_id is None:
        return steps_done(session, job)[step], False
    record(session, actor, f"telecare.step_{step}", "telecare_job", job.id, visit=job.visit, **details)
    return session.get(JobStep, step_id), True


def record_step(session, actor, job_id: int, step: str, details: dict | None = None,
                visit: int | None = None) -> tuple[JobStep, bool]:
    """Record one step of the current visit. Returns (row, created): a repeat returns the first row."""
    if step not in TAP_STEPS:
        raise IllegalTransition(_("That is not a step that can be recorded here."))
    job = get_job(session, job_id)
    check_installer(actor, job)
    check_visit(job, visit)
    done = steps_done(session, job)
    if step == "key_safe_checked" and step in done and "key_safe_checked" in allowed_actions(actor, job):
        return correct_key_safe(session, actor, job, done[step], key_safe_details(dict(details or {})))
    if step in done:
        return done[step], False
    require_action(allowed_actions(actor, job), step, why_not(session, job, step))
    details = dict(details or {})
    if step == "devices_fitted":
        details = {"assets": [d["asset_tag"] for d in fitted_devices(session, job)]}
    elif step == "responders_confirmed":
        details = responder_details(session, job, details)
    elif step == "key_safe_checked":
        details = key_safe_details(details)
    return insert_step(session, actor, job, step, details)


def responder_details(session, job: Job, details: dict) -> dict:
    """Named responders in call order (each with a UK phone number the monitoring centre can ring,
    stored in the national format) and/or the responder service. With neither given, the
    connection's existing list is confirmed as it is, if someone on it can be reached."""
    named = []
    for i, r in enumerate(details.get("responders", []), start=1):
        name = clean_text(r.get("name"), f"responder_{i}_name", 160)
        raw_phone = (r.get("phone") or "").strip()
        relationship = clean_text(r.get("relationship"), f"responder_{i}_relationship", 80)
        if not name and not raw_phone:
            continue
        if not name:
            raise Refusal(_("Enter the name of responder %(i)s, or clear their phone number.", i=i),
                          field=f"responder_{i}_name")
        if not raw_phone:
            raise Refusal(_("Enter a phone number for %(name)s.", name=name), field=f"responder_{i}_phone")
        phone = uk_phone(raw_phone, f"responder_{i}_phone", f"{name}'s phone number")
        named.append({"name": name, "phone": phone, "relationship": relationship or ""})
    service = bool(details.get("service"))
    if not named and not service:
        connection = connection_for(session, job.person_id)
        if connection is not None and reachable(connection.responders):
            return {"kept": [r.display for r in connection.responders]}
        raise Refusal(_("Enter at least one named responder with a UK phone number, or select the "
                        "responder service: the alarm cannot go live without someone to call."),
                      field="responder_1_name")
    return {"responders": named, "service": service}


def reachable(responders) -> bool:
    """Someone the monitoring centre can send: the responder service, or a named responder whose
    phone is a UK number that can be rung."""
    return any(r.kind == "service" or parse_uk_phone(r.phone) for r in responders)


def key_safe_details(details: dict) -> dict:
    """Whether there is a key safe and where: never its code."""
    present = details.get("present")
    if present not in (True, False):
        raise Refusal(_("Select whether there is a key safe."), field="present")
    location = clean_text(details.get("location"), "location", 200) or ""
    return {"present": present, "location": location if present else ""}


def correct_key_safe(session, actor, job: Job, row: JobStep, details: dict) -> tuple[JobStep, bool]:
    """A changed key safe answer on the same visit ("yes" corrected to "no", or a new location) is
    saved over the first one and audited with both answers; the same answer again records nothing."""
    before = dict(row.details or {})
    if before == details:
        return row, False
    row.details = details
    session.flush()
    record(session, actor, "telecare.key_safe_corrected", "telecare_job", job.id, visit=job.visit,
           was_present=before.get("present"), present=details["present"])
    return row, True


def reopen_devices(session, actor, job_id: int, reason: str, visit: int | None = None) -> Job:
    """Reopen "all devices fitted" so another device can be fitted on this visit. The test call
    made after it is reopened too (it must be made again with every device in place). Audited,
    with the reason and the steps cleared."""
    job = get_job(session, job_id)
    check_installer(actor, job)
    check_visit(job, visit)
    require_action(allowed_actions(actor, job), "reopen_devices", why_not(session, job, "reopen_devices"))
    reason = clean_text(reason, "reason", 300)
    if not reason:
        raise Refusal(_("Enter why you are fitting more devices."), field="reason")
    done = steps_done(session, job)
    cleared = [s for s in ("devices_fitted", "test_call_passed") if s in done]
    for s in cleared:
        session.delete(done[s])
    session.flush()
    record(session, actor, "telecare.step_reopened", "telecare_job", job.id, visit=job.visit, reason=reason,
           cleared=cleared, recorded={s: done[s].at.isoformat() for s in cleared})
    return job


def no_access(session, actor, job_id: int, reason: str, visit: int | None = None) -> tuple[Job, bool]:
    """scheduled → no_access with a reason; the coordinator reschedules it."""
    job = get_job(session, job_id)
    check_installer(actor, job)
    if job.state == "no_access" and (visit is None or int(visit) == job.visit):
        return job, False
    check_visit(job, visit)
    require_action(allowed_actions(actor, job), "no_access", why_not(session, job, "no_access"))
    reason = clean_text(reason, "reason", 300)
    if not reason:
        raise Refusal(_("Enter why you could not get in."), field="reason")
    insert_step(session, actor, job, "no_access", {"reason": reason})
    job = transition(session, job, ("scheduled",), "no_access", reason=reason)
    record(session, actor, "telecare.job_no_access", "telecare_job", job.id, reason=reason)
    return job, True


def fail_job(session, actor, job_id: int, reason: str, visit: int | None = None) -> tuple[Job, bool]:
    """The visit failed (no signal for the test call, wrong device...): the job goes back to
    requested for the coordinator to rebook; fitted devices stay with the person."""
    job = get_job(session, job_id)
    check_installer(actor, job)
    if "failed" in steps_done(session, job) and (visit is None or int(visit) == job.visit):
        return job, False
    check_visit(job, visit)
    require_action(allowed_actions(actor, job), "failed", why_not(session, job, "failed"))
    reason = clean_text(reason, "reason", 300)
    if not reason:
        raise Refusal(_("Enter why the visit failed."), field="reason")
    insert_step(session, actor, job, "failed", {"reason": reason})
    job = transition(session, job, ("scheduled",), "requested", reason=("Visit failed: " + reason)[:300])
    record(session, actor, "telecare.job_failed", "telecare_job", job.id, reason=reason)
    return job, True

