"""The coordinators' side of a job: requesting it, booking (and rebooking) its visit, cancelling it."""

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record
from portal.auth.models import User
from portal.config import setting
from portal.errors import Conflict, IllegalTransition, NotFound, Refusal, check_version, require_action
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.sql import insert_ignore, new_submission_key
from portal.telecare.models import JOB_PRIORITIES, JOB_TYPES, OPEN_JOB_STATES, SLOTS, Job, JobStep
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
from portal.telecare.services.checks import clean_text
from portal.timeutil import london_date, utcnow
from portal.web.bank_holidays import bank_holidays
from portal.web.clocks import add_working_days


class DuplicateJob(Conflict):
    """A second open job of the same type for a person: the page links to the first (`job_id`)."""

    def __init__(self, existing: Job) -> None:
        super().__init__(f"{existing.type_label} job {existing.id} is already open for this person "
                         f"({existing.state_label.lower()}). Add to that job instead of raising another.",
                         field="job_type")
        self.job_id = existing.id


class BookingClash(Conflict):
    """The installer is already booked then: `job_id` is the visit it clashes with."""

    def __init__(self, message: str, job_id: int) -> None:
        super().__init__(message, field="slot")
        self.job_id = job_id


# When each slot runs (24-hour clock); a visit at a start time runs TELECARE_VISIT_MINUTES.
SLOT_TIMES = {"am": ("09:00", "12:00"), "pm": ("12:00", "17:00"), "eve": ("17:00", "20:00")}


def visit_span(slot: str) -> tuple[int, int]:
    """The visit's start and end in minutes after midnight."""
    if slot in SLOT_TIMES:
        start, end = SLOT_TIMES[slot]
        return _minutes(start), _minutes(end)
    start = _minutes(slot)
    return start, start + int(setting("TELECARE_VISIT_MINUTES") or 90)


def slot_of(slot: str | None) -> str | None:
    """The named slot a visit falls in (a start time goes in the slot it starts in)."""
    if not slot or slot in SLOT_TIMES:
        return slot
    start = _minutes(slot)
    for name, (_start, end) in SLOT_TIMES.items():
        if start < _minutes(end):
            return name
    return "eve"


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def works_on(day: date) -> str | None:
    """Why the telecare service does not book visits on this day (None: it does)."""
    if day in bank_holidays() and not setting("TELECARE_WORKS_BANK_HOLIDAYS"):
        return f"{day:%-d %B %Y} is a bank holiday, when the telecare service does not book visits. Choose another day."
    if day.weekday() >= 5 and not setting("TELECARE_WORKS_WEEKENDS"):
        return f"{day:%A %-d %B %Y} is a weekend day, when the telecare service does not book visits. Choose a weekday."
    return None


def open_job_of_type(session, person_id: int, job_type: str) -> Job | None:
    return session.scalar(select(Job).where(Job.person_id == person_id, Job.job_type == job_type,
                                            Job.state.in_(OPEN_JOB_STATES)).order_by(Job.id))


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
        raise Refusal(_("Select the type of job."), field="job_type")
    if priority not in JOB_PRIORITIES:
        raise Refusal(_("Select the priority."), field="priority")
    if session.get(Person, person_id) is None:
        raise NotFound(_("There is no person with that id."))
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.person_id != person_id:
            raise Refusal(_("The referral must be one of this person's referrals."), field="referral_id")
    access_notes = clean_text(access_notes, "access_notes", 2000)
    to_fit = clean_text(to_fit, "to_fit", 2000)
    connection = connection_for(session, person_id)
    live = connection is not None and connection.status != "ended"
    existing = open_job_of_type(session, person_id, job_type)
    if existing is not None:
        raise DuplicateJob(existing)
    if job_type == "new_install" and live:
        raise Conflict(_("This person already has a telecare connection, and a person has one. Raise an "
                         "'add a sensor' job to fit more devices, or a fault visit."), field="job_type")
    if job_type in ("add_sensor", "digital_switchover", "fault_visit", "removal") and not live:
        raise IllegalTransition(_("This person has no telecare connection, so a %(job_type)s job cannot be raised. "
                                  "Raise a new install instead.",
                                  job_type=JOB_TYPES[job_type].lower()), field="job_type")
    if job_type == "digital_switchover" and connection.line_type != "analogue":
        raise IllegalTransition(_("This person's alarm is not on an analogue line: there is nothing to switch over."),
                                field="job_type")
    due = due_after(now, targets()[priority])
    values = dict(submission_key=key, job_type=job_type, person_id=person_id, referral_id=referral_id,
                  priority=priority, state="requested", requested_at=now, due_date=due, visit=1,
                  access_notes=(access_notes or None), to_fit=(to_fit or None), created_by_id=actor_id(actor),
                  version=1)
    try:
        with session.begin_nested():  # a second open job of the type, sent at the same moment
            job_id = session.execute(insert_ignore(session, Job.__table__, values, ["submission_key"])
                                     .returning(Job.__table__.c.id)).scalar()
    except IntegrityError:
        raise DuplicateJob(open_job_of_type(session, person_id, job_type)) from None
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
        raise Refusal(_("Enter the date of the visit."), field="on")
    if on < london_date(now or utcnow()):
        raise Refusal(_("The date of the visit must be today or in the future."), field="on")
    if not slot or not valid_slot(slot):
        raise Refusal(_("Select a time slot, or enter a start time like 09:30."), field="slot")
    if installer_id not in {u.id for u in installers(session)}:
        raise Refusal(_("Select an installer."), field="installer_id")
    if route_order is not None and route_order < 1:
        raise Refusal(_("Enter a route order of 1 or more."), field="route_order")
    closed = works_on(on)
    if closed:
        raise Refusal(closed, field="on")
    check_free(session, job, installer_id, on, slot)
    visit = job.visit
    if session.scalar(select(func.count()).select_from(JobStep)
                      .where(JobStep.job_id == job_id, JobStep.visit == visit)):
        visit += 1
    was = job.state
    try:
        with session.begin_nested():
            job = transition(session, job, OPEN_JOB_STATES, "scheduled", scheduled_date=on, slot=slot,
                             installer_id=installer_id, route_order=route_order, visit=visit)
    except IntegrityError:  # the unique index: booked into that slot by someone else just now
        raise Conflict(_("That installer was booked into this slot by someone else just now. Nothing was "
                         "saved: choose another slot."), field="slot") from None
    record(session, actor, "telecare.job_rescheduled" if was != "requested" else "telecare.job_scheduled",
           "telecare_job", job_id, on=on.isoformat(), slot=slot, installer_id=installer_id, visit=visit, was=was)
    return job


def check_free(session, job: Job, installer_id: int, on: date, slot: str) -> None:
    """The installer has no other visit that day overlapping this one. The installer's row is
    locked first, so two coordinators booking the same installer queue here one after the other
    (the unique index on installer, day and slot is the last line)."""
    session.execute(select(User.id).where(User.id == installer_id).with_for_update())
    start, end = visit_span(slot)
    others = session.scalars(select(Job).where(Job.installer_id == installer_id, Job.scheduled_date == on,
                                               Job.state.in_(("scheduled", "completed")), Job.id != job.id))
    for other in others:
        o_start, o_end = visit_span(other.slot)
        if start < o_end and o_start < end:
            when = other.slot_label.lower() if other.slot in SLOTS else f"at {other.slot}"
            name = session.get(User, installer_id).name
            raise BookingClash(f"{name} already has a visit on {on:%-d %B %Y} {when} "
                               f"(job {other.id}, {other.type_label.lower()}) that overlaps this one. Choose "
                               "another slot, time, day or installer.", other.id)


def cancel_job(session, actor, job_id: int, reason: str, expected_version: int | None = None) -> Job:
    check_coordinator(actor)
    job = get_job(session, job_id)
    check_version(job, expected_version, f"Telecare job {job.id}")
    require_action(allowed_actions(actor, job), "cancel",
                   f"Job {job.id} is {job.state_label.lower()}, so it cannot be cancelled.")
    reason = clean_text(reason, "reason", 300)
    if not reason:
        raise Refusal(_("Enter the reason for cancelling the job."), field="reason")
    job = transition(session, job, OPEN_JOB_STATES, "cancelled", cancelled_at=utcnow(), reason=reason)
    record(session, actor, "telecare.job_cancelled", "telecare_job", job_id, reason=reason)
    return job
