"""The coordinators' side of a job: requesting it, booking (and rebooking) its visit, cancelling it."""

from datetime import date, datetime

from sqlalchemy import func, select

from portal.audit.services import record
from portal.errors import IllegalTransition, NotFound, Refusal, check_version, require_action
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.sql import insert_ignore, new_submission_key
from portal.telecare.models import JOB_PRIORITIES, JOB_TYPES, OPEN_JOB_STATES, Job, JobStep
from portal.telecare.services._common import (
    actor_id,
    connection_for,
    get_job,
    installers,
    targets,
    transition,
    valid_slot,
)
from portal.telecare.services.access import allowed_actions, check_coordinator
from portal.timeutil import london_date, utcnow
from portal.web.bank_holidays import bank_holidays
from portal.web.clocks import add_working_days


def due_after(start: datetime, working_days: int) -> date:
    """The London date `working_days` working days after `start` (the council's closure days count)."""
    if working_days <= 0:
        return london_date(start)
    return london_date(add_working_days(start, working_days, bank_holidays()))


def create_job(session, actor, *, person_id: int, job_type: str, priority: str, referral_id: int | None = None,
               access_notes: str | None = None, to_fit: str | None = None, submission_key: str | None = None,
               now: datetime | None = None) -> tuple[Job, bool]:
    """A job is requested. A repeated submission_key returns the existing job (created=False)."""
    now = now or utcnow()
    key = submission_key or new_submission_key()
    existing = session.scalar(select(Job).where(Job.submission_key == key))
    if existing is not None:
        return existing, False
    if job_type not in JOB_TYPES:
        raise Refusal("Select the type of job.", field="job_type")
    if priority not in JOB_PRIORITIES:
        raise Refusal("Select the priority.", field="priority")
    if session.get(Person, person_id) is None:
        raise NotFound("There is no person with that id.")
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.person_id != person_id:
            raise Refusal("The referral must be one of this person's referrals.", field="referral_id")
    connection = connection_for(session, person_id)
    live = connection is not None and connection.status != "ended"
    if job_type in ("add_sensor", "digital_switchover", "fault_visit", "removal") and not live:
        raise IllegalTransition(f"This person has no telecare connection, so a {JOB_TYPES[job_type].lower()} "
                                "job cannot be raised. Raise a new install instead.", field="job_type")
    if job_type == "digital_switchover" and connection.line_type != "analogue":
        raise IllegalTransition("This person's alarm is not on an analogue line: there is nothing to switch over.",
                                field="job_type")
    due = due_after(now, targets()[priority])
    values = dict(submission_key=key, job_type=job_type, person_id=person_id, referral_id=referral_id,
                  priority=priority, state="requested", requested_at=now, due_date=due, visit=1,
                  access_notes=(access_notes or None), to_fit=(to_fit or None), created_by_id=actor_id(actor),
                  version=1)
    job_id = session.execute(insert_ignore(session, Job.__table__, values, ["submission_key"])
                             .returning(Job.__table__.c.id)).scalar()
    if job_id is None:
        return session.scalar(select(Job).where(Job.submission_key == key)), False
    record(session, actor, "telecare.job_requested", "telecare_job", job_id, job_type=job_type,
           priority=priority, person_id=person_id, due=due.isoformat())
    return session.get(Job, job_id), True


def schedule_job(session, actor, job_id: int, *, on: date, slot: str, installer_id: int,
                 route_order: int | None = None, expected_version: int | None = None,
                 now: datetime | None = None) -> Job:
    """requested, scheduled (re-plan) or no_access (reschedule) → scheduled. A new visit starts when
    the last one already has steps, so its taps stay with it (and a late tap from it is refused)."""
    check_coordinator(actor)
    job = get_job(session, job_id)
    check_version(job, expected_version, f"Telecare job {job.id}")
    require_action(allowed_actions(actor, job), "schedule",
                   f"Job {job.id} is {job.state_label.lower()}, so its visit cannot be booked.")
    if on is None:
        raise Refusal("Enter the date of the visit.", field="on")
    if on < london_date(now or utcnow()):
        raise Refusal("The date of the visit must be today or in the future.", field="on")
    if not slot or not valid_slot(slot):
        raise Refusal("Select a time slot, or enter a start time like 09:30.", field="slot")
    if installer_id not in {u.id for u in installers(session)}:
        raise Refusal("Select an installer.", field="installer_id")
    if route_order is not None and route_order < 1:
        raise Refusal("Enter a route order of 1 or more.", field="route_order")
    visit = job.visit
    if session.scalar(select(func.count()).select_from(JobStep)
                      .where(JobStep.job_id == job_id, JobStep.visit == visit)):
        visit += 1
    was = job.state
    job = transition(session, job, OPEN_JOB_STATES, "scheduled", scheduled_date=on, slot=slot,
                     installer_id=installer_id, route_order=route_order, visit=visit)
    record(session, actor, "telecare.job_rescheduled" if was != "requested" else "telecare.job_scheduled",
           "telecare_job", job_id, on=on.isoformat(), slot=slot, installer_id=installer_id, visit=visit, was=was)
    return job


def cancel_job(session, actor, job_id: int, reason: str, expected_version: int | None = None) -> Job:
    check_coordinator(actor)
    job = get_job(session, job_id)
    check_version(job, expected_version, f"Telecare job {job.id}")
    require_action(allowed_actions(actor, job), "cancel",
                   f"Job {job.id} is {job.state_label.lower()}, so it cannot be cancelled.")
    reason = (reason or "").strip()[:300]
    if not reason:
        raise Refusal("Enter the reason for cancelling the job.", field="reason")
    job = transition(session, job, OPEN_JOB_STATES, "cancelled", cancelled_at=utcnow(), reason=reason)
    record(session, actor, "telecare.job_cancelled", "telecare_job", job_id, reason=reason)
    return job
