"""Reading jobs for the pages: the installer's day and card, the coordinators' list and planner,
a person's devices and connection, the line register, and the jobs' clocks."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from portal.audit.services import record
from portal.auth.models import User
from portal.config import setting
from portal.equipment.models import Asset, Product
from portal.errors import NotFound
from portal.people.models import Person
from portal.telecare.models import OPEN_JOB_STATES, SLOTS, Connection, ConnectionDevice, Job
from portal.telecare.services._common import (
    FIT_TYPES,
    OPTIONAL_STEPS,
    REQUIRED_STEPS,
    connection_for,
    fitted_devices,
    installers,
    slot_sort_key,
    steps_done,
)
from portal.telecare.services.access import allowed_actions, completion_blockers
from portal.timeutil import today, utcnow
from portal.web.bank_holidays import bank_holidays
from portal.web.clocks import Reading, read_clock
from portal.web.lists import PAGE_SIZE, Page, ordered, paginate
from portal.web.registry import Event

DUE_SOON_DAYS = 1


def due_clock(job: Job, now: datetime | None = None) -> Reading | None:
    """The job's target date: met or missed once completed, none once cancelled."""
    if job.state == "cancelled":
        return None
    stopped = job.completed_at if job.state == "completed" else None
    return read_clock("Target", job.due_date, now or utcnow(), stopped_at=stopped, due_soon_days=DUE_SOON_DAYS)


def visit_clock(job: Job, now: datetime | None = None) -> Reading | None:
    """The booked visit: due today, in n days, or overdue while still scheduled; met or missed once done."""
    if job.scheduled_date is None or job.state not in ("scheduled", "completed"):
        return None
    stopped = job.completed_at if job.state == "completed" else None
    return read_clock("Visit", job.scheduled_date, now or utcnow(), stopped_at=stopped)


def day_jobs(session, installer_id: int, day: date) -> list[Job]:
    jobs = list(session.scalars(select(Job).where(Job.installer_id == installer_id, Job.scheduled_date == day,
                                                  Job.state.in_(("scheduled", "completed", "no_access")))))
    jobs.sort(key=lambda j: (j.route_order is None, j.route_order or 0, slot_sort_key(j.slot), j.id))
    return jobs


def card(session, job: Job, viewer) -> dict:
    """Everything the installer's job card shows, with the actions open to the viewer. The key
    safe location only for the assigned installer."""
    connection = connection_for(session, job.person_id)
    done = steps_done(session, job)
    required = REQUIRED_STEPS[job.job_type]
    optional = OPTIONAL_STEPS.get(job.job_type, ())
    assigned = viewer is not None and job.installer_id == getattr(viewer, "id", None)
    key_safe = None
    if assigned and connection is not None and connection.key_safe_present:
        key_safe = connection.key_safe_location or "Present (no location noted)"
    devices = fitted_devices(session, job)
    return {
        "job": job, "person": job.person, "done": done, "steps": required + optional, "required": required,
        "devices": devices, "connection": connection,
        "responders": list(connection.responders) if connection else [],
        "blockers": completion_blockers(session, job, done, devices) if job.state == "scheduled" else [],
        "fits": job.job_type in FIT_TYPES, "key_safe": key_safe, "needs_line_type": job.job_type == "new_install",
        "allowed": allowed_actions(viewer, job), "visit_clock": visit_clock(job),
    }


@dataclass(frozen=True)
class JobFilters:
    """The coordinators' jobs list filters, as the list's URL gives them (all optional)."""

    search: str = ""
    state: str | None = None
    job_type: str | None = None
    installer_id: int | None = None
    visit: str | None = None  # today, tomorrow, week (this week), unbooked (waiting to be booked)
    overdue: bool = False


VISITS = {"today": "Today", "tomorrow": "Tomorrow", "week": "This week", "unbooked": "Not booked yet"}
UNBOOKED_STATES = ("requested", "no_access")  # waiting for a visit to be booked (the planner's count)


def _jobs_stmt(filters: JobFilters, on: date | None = None):
    on = on or today()
    stmt = select(Job).join(Person, Person.id == Job.person_id).outerjoin(User, User.id == Job.installer_id)
    if filters.state:
        stmt = stmt.where(Job.state == filters.state)
    if filters.job_type:
        stmt = stmt.where(Job.job_type == filters.job_type)
    if filters.installer_id:
        stmt = stmt.where(Job.installer_id == filters.installer_id)
    if filters.overdue:
        stmt = stmt.where(Job.state.in_(OPEN_JOB_STATES), Job.due_date < on)
    if filters.visit == "unbooked":
        stmt = stmt.where(Job.state.in_(UNBOOKED_STATES))
    elif filters.visit in ("today", "tomorrow", "week"):
        first = on + timedelta(days=1) if filters.visit == "tomorrow" else (
            on - timedelta(days=on.weekday()) if filters.visit == "week" else on)
        last = first + timedelta(days=6) if filters.visit == "week" else first
        stmt = stmt.where(Job.scheduled_date >= first, Job.scheduled_date <= last, Job.state != "cancelled")
    term = " ".join((filters.search or "").lower().split())
    if term:
        like = f"%{term}%"
        found = [func.lower(Person.family_name).like(like), func.lower(Person.given_name).like(like),
                 func.replace(func.lower(Person.postcode), " ", "").like(f"%{term.replace(' ', '')}%")]
        if term.isdigit() and len(term) <= 9:
            found.append(Job.id == int(term))
        stmt = stmt.where(or_(*found))
    return stmt


JOB_SORTS = {
    "job": Job.id, "person": [Person.family_name, Person.given_name], "type": Job.job_type, "state": Job.state,
    "due": Job.due_date, "visit": [Job.scheduled_date, Job.slot], "installer": User.name,
}


def jobs_page(session, filters: JobFilters, *, page: int = 1, page_size: int = PAGE_SIZE, sort: str | None = None,
              descending: bool = False, on: date | None = None) -> Page:
    """A page of the coordinators' jobs list: open jobs first, earliest target date first, or
    sorted by one of JOB_SORTS; counted in full so pagination reaches the last job."""
    stmt = _jobs_stmt(filters, on)
    if sort in JOB_SORTS:
        stmt = stmt.order_by(*ordered(JOB_SORTS, sort, descending, Job.id.asc()))
    else:
        stmt = stmt.order_by(case((Job.state.in_(OPEN_JOB_STATES), 0), else_=1), Job.due_date, Job.id)
    return paginate(session, stmt, page, page_size)


def count_jobs(session, *, state: str | None = None, job_type: str | None = None, installer_id: int | None = None,
               overdue: bool = False, on: date | None = None, visit: str | None = None) -> int:
    """How many jobs the coordinators' list holds for these filters (its count heading)."""
    stmt = _jobs_stmt(JobFilters(state=state, job_type=job_type, installer_id=installer_id, overdue=overdue,
                                 visit=visit), on)
    return session.scalar(select(func.count()).select_from(stmt.subquery()))


# The staff home's cards: each the page's own query for what its link opens.

def to_book_count(session, user) -> int:
    """Jobs requested and not yet booked (?state=requested)."""
    return count_jobs(session, state="requested")


def overdue_jobs_count(session, user) -> int:
    """Open jobs past their target date (?overdue=yes)."""
    return count_jobs(session, overdue=True)


def today_count(session, user) -> int:
    """The installer's jobs today, as their Today's jobs page lists them."""
    return len(day_jobs(session, user.id, today()))


def planner(session, week_start: date) -> dict:
    """A week grid per installer: each day's visits by slot (morning, afternoon, evening), so a
    free slot shows as free. The week runs Monday to Sunday when the service works weekends
    (TELECARE_WORKS_WEEKENDS), else Monday to Friday; bank holidays are marked, and a day the
    service does not book is shown closed."""
    from portal.telecare.services.jobs import SLOT_TIMES, slot_of, works_on

    days = [week_start + timedelta(days=i) for i in range(7 if setting("TELECARE_WORKS_WEEKENDS") else 5)]
    people = installers(session)
    jobs = session.scalars(select(Job).where(Job.scheduled_date >= days[0], Job.scheduled_date <= days[-1],
                                             Job.state != "cancelled", Job.installer_id.is_not(None)))
    grid: dict = {(u.id, d): [] for u in people for d in days}
    for job in jobs:
        grid.setdefault((job.installer_id, job.scheduled_date), []).append(job)
    for cell in grid.values():
        cell.sort(key=lambda j: (j.route_order is None, j.route_order or 0, slot_sort_key(j.slot), j.id))
    slots = {key: {name: [j for j in cell if slot_of(j.slot) == name] for name in SLOT_TIMES}
             for key, cell in grid.items()}
    holidays = bank_holidays()
    unscheduled = session.scalar(select(func.count()).select_from(Job)
                                 .where(Job.state.in_(("requested", "no_access"))))
    return {"days": days, "installers": people, "grid": grid, "slots": slots, "unscheduled": unscheduled,
            "closed": {d: works_on(d) for d in days}, "bank_holidays": {d for d in days if d in holidays},
            "free": {d: sum(1 for u in people for name in SLOT_TIMES if not slots[(u.id, d)][name])
                     for d in days}}


def devices_for_person(session, person_id: int, include_removed: bool = True) -> list[dict]:
    stmt = (select(ConnectionDevice.fitted_at, ConnectionDevice.removed_at, ConnectionDevice.job_id,
                   ConnectionDevice.removed_job_id, Asset.id.label("asset_id"), Asset.asset_tag, Asset.serial,
                   Asset.status, Product.name)
            .join(Asset, Asset.id == ConnectionDevice.asset_id).join(Product, Product.id == Asset.product_id)
            .where(ConnectionDevice.person_id == person_id)
            .order_by(ConnectionDevice.removed_at.is_not(None), ConnectionDevice.fitted_at.desc()))
    if not include_removed:
        stmt = stmt.where(ConnectionDevice.removed_at.is_(None))
    return [dict(r._mapping) for r in session.execute(stmt)]


def jobs_for_person(session, person_id: int) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.person_id == person_id).order_by(Job.requested_at.desc())))


def person_section(session, person) -> list:
    """For the person record page: the connection and open jobs."""
    from flask import url_for

    items = []
    connection = connection_for(session, person.id)
    if connection is not None:
        items.append((f"Telecare connection ({connection.line_label.lower()}, {connection.status_label.lower()})",
                      url_for("telecare.connection", person_id=person.id), connection.unit_model or ""))
    for job in jobs_for_person(session, person.id)[:5]:
        items.append((f"Job {job.id}: {job.type_label}", url_for("telecare.job", job_id=job.id), job.state_label))
    return items


def view_connection(session, actor, person_id: int) -> Connection | None:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(_("There is no person with that id."))
    record(session, actor, "telecare.connection_viewed", "person", person_id)
    return connection_for(session, person_id)


def line_register(session) -> list[dict]:
    rows = session.execute(
        select(Connection.telephone, Connection.provider, Connection.line_type, Connection.unit_model,
               Connection.unit_serial, Person.id.label("person_id"), Person.given_name, Person.family_name,
               Person.address_line_1, Person.postcode)
        .join(Person, Person.id == Connection.person_id)
        .where(Connection.status != "ended").order_by(Connection.line_type, Person.family_name, Person.id)).all()
    return [dict(r._mapping) for r in rows]


def export_line_register(session, actor) -> list[dict]:
    rows = line_register(session)
    record(session, actor, "telecare.line_register_exported", "telecare_connection", "all", rows=len(rows))
    return rows


def person_events(session, person) -> list:
    """The person record's timeline: each telecare job requested and completed."""
    events = []
    for job in session.scalars(select(Job).where(Job.person_id == person.id)):
        href = url_for("telecare.job", job_id=job.id)
        events.append(Event(job.requested_at, f"Telecare job {job.id}: {job.type_label.lower()}", href, None,
                            job.state_label))
        if job.completed_at:
            events.append(Event(job.completed_at, f"Telecare job {job.id} completed", href))
    return events


@dataclass(frozen=True)
class HistoryItem:
    """One line of a job's history, as the timeline shows it."""

    at: datetime
    label: str
    by: str | None = None
    text: str | None = None


AUDITED = {  # the job's own audit rows, in words
    "telecare.job_requested": "Job requested", "telecare.job_scheduled": "Visit booked",
    "telecare.job_rescheduled": "Visit rebooked", "telecare.job_cancelled": "Job cancelled",
    "telecare.device_fitted": "Device fitted", "telecare.step_reopened": "Devices fitted reopened",
    "telecare.key_safe_corrected": "Key safe corrected", "telecare.job_completed": "Job completed",
    "telecare.job_no_access": "No access", "telecare.job_failed": "Visit failed",
}
AUDITED_STEPS = ("completed", "no_access", "failed")  # steps the audit rows above already tell


def job_history(session, job: Job) -> list[HistoryItem]:
    """A job's history, newest first: what the audit log records for it (requests, bookings,
    cancelling, completion) and each step the installer tapped on each visit."""
    from portal.audit.services import history

    items = []
    audited = set()
    for event in history(session, "telecare_job", job.id):
        label = AUDITED.get(event.action)
        if label is None:
            continue
        audited.add(event.action)
        details = event.details or {}
        text = details.get("reason") or (f"Asset {details['asset_tag']}" if details.get("asset_tag") else None)
        if event.action in ("telecare.job_scheduled", "telecare.job_rescheduled") and details.get("on"):
            on = date.fromisoformat(details["on"]).strftime("%-d %B %Y")
            text = f"For {on}" + (f", {SLOTS.get(details['slot'], details['slot'])}" if details.get("slot") else "")
        items.append(HistoryItem(event.at, label, event.actor.split(" <", 1)[0] or None, text))
    if "telecare.job_requested" not in audited:
        items.append(HistoryItem(job.requested_at, "Job requested"))
    for step in job.steps:
        if step.step in AUDITED_STEPS and f"telecare.job_{step.step}" in audited:
            continue
        visit = f"Visit {step.visit}" if job.visit > 1 else None
        reason = (step.details or {}).get("reason")
        text = "; ".join(t for t in (visit, reason) if t) or None
        items.append(HistoryItem(step.at, step.label, step.by.split(" <", 1)[0] if step.by else None, text))
    items.sort(key=lambda item: item.at, reverse=True)
    return items
