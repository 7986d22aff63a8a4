"""The digital switchover: analogue alarms left by locality, raising switchover jobs in batches,
and the switchovers completed each month."""

import uuid
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import case, func, select

from portal.audit.services import record
from portal.errors import Refusal
from portal.people.models import Person
from portal.sql import month_key
from portal.telecare.models import OPEN_JOB_STATES, Connection, Job
from portal.telecare.services.jobs import create_job

MAX_BATCH = 500


def analogue_by_locality(session) -> list[dict]:
    open_switch = (select(Job.person_id).where(Job.job_type == "digital_switchover",
                                               Job.state.in_(OPEN_JOB_STATES)).scalar_subquery())
    rows = session.execute(
        select(Person.locality, func.count().label("analogue"),
               func.sum(case((Connection.person_id.in_(open_switch), 1), else_=0)).label("booked"))
        .join(Person, Person.id == Connection.person_id)
        .where(Connection.line_type == "analogue", Connection.status != "ended")
        .group_by(Person.locality)).all()
    return sorted(({"locality": r.locality or "Not known", "analogue": r.analogue, "booked": int(r.booked or 0),
                    "to_book": r.analogue - int(r.booked or 0)} for r in rows), key=lambda r: r["locality"])


def create_switchover_batch(session, actor, locality: str, limit: int, priority: str = "routine",
                            batch_key: str | None = None) -> int:
    """Raise a switchover job for each analogue connection in a locality without one (oldest
    first, up to limit). Each job's key derives from the batch key, so a replayed form adds nothing."""
    if not locality:
        raise Refusal(_("Select a locality."), field="locality")
    if not limit or limit < 1 or limit > MAX_BATCH:
        raise Refusal(_("Enter how many jobs to create, from 1 to %(MAX_BATCH)s.", MAX_BATCH=MAX_BATCH), field="limit")
    try:
        batch = uuid.UUID(batch_key) if batch_key else uuid.uuid4()
    except ValueError:
        raise Refusal(_("This form has expired. Check the answers and send it again.")) from None
    open_switch = select(Job.person_id).where(Job.job_type == "digital_switchover", Job.state.in_(OPEN_JOB_STATES))
    people = list(session.scalars(
        select(Connection.person_id).join(Person, Person.id == Connection.person_id)
        .where(Connection.line_type == "analogue", Connection.status != "ended",
               func.coalesce(Person.locality, "Not known") == locality, Connection.person_id.not_in(open_switch))
        .order_by(Connection.monitoring_start, Connection.id).limit(limit)))
    created = 0
    for person_id in people:
        _job, made = create_job(session, actor, person_id=person_id, job_type="digital_switchover", priority=priority,
                             to_fit="Digital alarm unit (replaces the analogue unit)",
                             submission_key=str(uuid.uuid5(batch, str(person_id))))
        created += made
    record(session, actor, "telecare.switchover_batch", "telecare_connection", locality, locality=locality,
           created=created)
    return created


def switchover_progress(session, since: date) -> list[dict]:
    month = month_key(session, Job.completed_at)
    rows = session.execute(select(month.label("month"), func.count().label("n"))
                           .where(Job.job_type == "digital_switchover", Job.state == "completed",
                                  Job.completed_at >= datetime.combine(since, datetime.min.time()))
                           .group_by(month).order_by(month)).all()
    return [{"month": r.month, "completed": r.n} for r in rows]
