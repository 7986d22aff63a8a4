"""Who may do what to a telecare job, decided once.

`allowed_actions(user, job)` names every action open to this person on this job now; the names
are the route endpoints (`telecare.arrived`, `telecare.fit`, `telecare.schedule`...). The job card
and the job page show a button only for an allowed action, and every service that performs one
checks it first (`require_action`), so the pages, the routes, the CLI and the tests share one rule.

- Coordinators (triage officer, manager, admin) schedule, reschedule and cancel an open job.
- The installer the job is assigned to works its visit: only while the job is scheduled, and not
  before the day it is booked for. Steps follow the visit's order: arrived first; devices are
  fitted (scanned) until "all devices fitted" is recorded (reopening that step, audited, clears it
  and the test call); the test call comes after the devices;
  the job completes once every required step is done and the job's own rules hold.
"""

from flask_babel import gettext as _
from sqlalchemy.orm import object_session

from portal.equipment.models import Asset
from portal.errors import NotAllowed
from portal.telecare.models import OPEN_JOB_STATES, STEPS, Job
from portal.telecare.services._common import (
    COORDINATORS,
    FIT_TYPES,
    INSTALLERS,
    OPTIONAL_STEPS,
    REQUIRED_STEPS,
    connection_for,
    fitted_devices,
    holds,
    is_digital_unit,
    is_system,
    is_unit,
    steps_done,
)
from portal.timeutil import today

COORDINATOR_ACTIONS = ("schedule", "cancel")
INSTALLER_ACTIONS = ("arrived", "fit", "devices_fitted", "reopen_devices", "test_call_passed", "consent_confirmed",
                     "responders_confirmed", "smoke_heat_checked", "key_safe_checked", "completed", "no_access",
                     "failed")
ACTIONS = COORDINATOR_ACTIONS + INSTALLER_ACTIONS


def allowed_actions(user, job: Job) -> frozenset[str]:
    """Every action this person may take on this job now (see the module docstring)."""
    allowed: set[str] = set()
    if (is_system(user) or holds(user, COORDINATORS)) and job.state in OPEN_JOB_STATES:
        allowed.update(COORDINATOR_ACTIONS)
    if works_visit(user, job):
        allowed.update(_visit_actions(object_session(job), job))
    return frozenset(allowed)


def assigned_installer(user, job: Job) -> bool:
    return holds(user, INSTALLERS) and job.installer_id == user.id


def works_visit(user, job: Job) -> bool:
    """The assigned installer, on a scheduled visit booked for today or a day already past."""
    return (assigned_installer(user, job) and job.state == "scheduled" and job.scheduled_date is not None
            and job.scheduled_date <= today())


def _visit_actions(session, job: Job) -> set[str]:
    done = steps_done(session, job)
    actions = {"no_access", "failed"}
    if "arrived" not in done:
        return actions | {"arrived"}
    devices = fitted_devices(session, job)
    fits = job.job_type in FIT_TYPES
    for step in REQUIRED_STEPS[job.job_type] + OPTIONAL_STEPS.get(job.job_type, ()):
        if step == "key_safe_checked":  # stays open: a wrong answer is corrected, not ignored
            actions.add(step)
            continue
        if step in done:
            continue
        if step == "devices_fitted" and not devices:
            continue
        if step == "test_call_passed" and fits and "devices_fitted" not in done:
            continue
        actions.add(step)
    if fits and "devices_fitted" not in done:
        actions.add("fit")
    if fits and "devices_fitted" in done:
        actions.add("reopen_devices")
    if not completion_blockers(session, job, done, devices):
        actions.add("completed")
    return actions


def completion_blockers(session, job: Job, done: dict | None = None, devices: list | None = None) -> list[str]:
    """What still stands between this visit and a completed job, in words; empty when it may complete."""
    done = steps_done(session, job) if done is None else done
    devices = fitted_devices(session, job) if devices is None else devices
    blockers = []
    missing = [s for s in REQUIRED_STEPS[job.job_type] if s not in done]
    if missing:
        blockers.append("Before completing, record: " + ", ".join(STEPS[s].lower() for s in missing) + ".")
    connection = connection_for(session, job.person_id)
    live = connection is not None and connection.status != "ended"
    units = [session.get(Asset, d["asset_id"]).product for d in devices]
    if job.job_type == "new_install":
        if not any(is_unit(p) for p in units) and not (live and connection.unit_asset_id):
            blockers.append("Fit an alarm unit (scan its asset tag) before completing a new install.")
    elif not live:
        blockers.append("This person has no live telecare connection.")
    if job.job_type == "digital_switchover" and not any(is_digital_unit(p) for p in units):
        blockers.append("Scan the new digital alarm unit before completing the switchover: a switchover "
                        "completes only with a digital-capable unit.")
    return blockers


def why_not(session, job: Job, action: str) -> str:
    """Why an installer's action is not open on this job now, in the words the card shows."""
    if job.state != "scheduled":
        return f"Job {job.id} is {job.state_label.lower()}, so nothing more can be recorded on it."
    if job.scheduled_date is None or job.scheduled_date > today():
        return (f"This visit is booked for {job.scheduled_date:%-d %B %Y}. Its steps can be recorded from that day; "
                "ask the coordinator to move the visit if you are there early.")
    done = steps_done(session, job)
    if action == "completed":
        return " ".join(completion_blockers(session, job, done)) or "This job cannot be completed now."
    if action == "fit" and job.job_type not in FIT_TYPES:
        return f"Devices are not fitted on a {job.type_label.lower()}."
    steps = REQUIRED_STEPS[job.job_type] + OPTIONAL_STEPS.get(job.job_type, ())
    if action in STEPS and action not in steps:
        return f"{STEPS[action]} is not a step of a {job.type_label.lower()}."
    if "arrived" not in done:
        return "Record that you have arrived first."
    if action == "fit":
        return ("All devices fitted is already recorded for this visit, so no more devices can be fitted. "
                "Reopen that step first (the test call is then made again).")
    if action == "reopen_devices":
        return "All devices fitted is not recorded on this visit, so there is nothing to reopen."
    if action == "devices_fitted":
        return "Scan or type the asset tag of each device you fitted first."
    if action == "test_call_passed":
        return "Make the test call after the devices are fitted: record that all devices are fitted first."
    return "That step cannot be recorded on this job now."


def check_installer(actor, job: Job) -> None:
    """Only the installer the job is assigned to works its visit (NotAllowed for anyone else)."""
    if not assigned_installer(actor, job):
        raise NotAllowed(_("Only the installer job %(id)s is assigned to can record its visit.", id=job.id))


def check_coordinator(actor) -> None:
    if not (is_system(actor) or holds(actor, COORDINATORS)):
        raise NotAllowed(_("Only a telecare coordinator can schedule or cancel a job."))

