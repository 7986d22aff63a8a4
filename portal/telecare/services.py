"""Telecare rules: jobs and their state machine, the installer's steps, fitting and returning
devices (through the equipment ledger), connections, responders, the switchover and figures.

- Every job transition is one conditional UPDATE on the state (and version) that was read, with
  an audit row; an illegal one raises IllegalTransition with a plain-English message.
- A step is one row per (job, visit, step), inserted with ON CONFLICT DO NOTHING: a double tap or a
  replayed POST finds the existing row and records nothing new.
- Devices move only through portal.equipment.services (fit_asset / return_fitted_asset), so every
  fitted device has a ledger row to the person and back to stock (awaiting cleaning).
- Key safe codes are never stored: only "present: yes/no" and where it is. The location is shown
  only to the installer assigned to the job.
"""

import uuid
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.audit.services import record
from portal.auth.models import User, UserRole
from portal.auth.roles import TELECARE_INSTALLER
from portal.equipment import services as equipment
from portal.equipment.models import Asset, Product
from portal.errors import Conflict, IllegalTransition, NotFound, PortalError, VersionClash
from portal.people.models import Person
from portal.referrals.models import Referral, ReferralNeed
from portal.telecare.models import (
    JOB_PRIORITIES,
    JOB_TYPES,
    LINE_TYPES,
    OPEN_JOB_STATES,
    SLOTS,
    STEPS,
    Connection,
    ConnectionDevice,
    Job,
    JobStep,
    Responder,
)
from portal.timeutil import utcnow

# Working days. Urgent: 9 in 10 within 2 working days and the rest within 5; routine within 10.
DEFAULT_TARGETS = {"urgent": 2, "urgent_all": 5, "routine": 10}
DEFAULT_UNIT_CODES = ("TEL-HUB", "TEL-ANA", "TEL-MOB")
FIT_TYPES = ("new_install", "add_sensor", "digital_switchover")
REQUIRED_STEPS = {
    "new_install": ("arrived", "devices_fitted", "test_call_passed", "consent_confirmed",
                    "responders_confirmed", "smoke_heat_checked"),
    "add_sensor": ("arrived", "devices_fitted", "test_call_passed", "consent_confirmed"),
    "digital_switchover": ("arrived", "devices_fitted", "test_call_passed", "responders_confirmed"),
    "fault_visit": ("arrived", "test_call_passed"),
    "removal": ("arrived",),
}
OPTIONAL_STEPS = {"new_install": ("key_safe_checked",), "digital_switchover": ("key_safe_checked",)}
TERMINAL_STEPS = ("completed", "no_access", "failed")
SLOT_ORDER = {"am": 0, "pm": 2, "eve": 3}


# ---------------------------------------------------------------- configuration and helpers

def targets() -> dict:
    """Working-day targets per priority; override with TELECARE_TARGETS."""
    if has_app_context():
        return {**DEFAULT_TARGETS, **(current_app.config.get("TELECARE_TARGETS") or {})}
    return dict(DEFAULT_TARGETS)


def unit_codes() -> tuple:
    if has_app_context():
        return tuple(current_app.config.get("TELECARE_UNIT_CODES") or DEFAULT_UNIT_CODES)
    return DEFAULT_UNIT_CODES


def today() -> date:
    return equipment.london_date(utcnow())


def is_unit(product: Product) -> bool:
    """An alarm unit (the box that calls the monitoring centre), as opposed to a sensor."""
    name = (product.name or "").lower()
    return product.code in unit_codes() or "alarm unit" in name or "hub" in name


def valid_slot(slot: str) -> bool:
    if slot in SLOTS:
        return True
    try:
        datetime.strptime(slot, "%H:%M")
    except (TypeError, ValueError):
        return False
    return len(slot) == 5


def slot_sort_key(slot: str | None) -> int:
    if not slot:
        return 9
    if slot in SLOT_ORDER:
        return SLOT_ORDER[slot]
    return 0 if slot < "12:00" else (2 if slot < "17:00" else 3)


def _actor_id(actor) -> int | None:
    return getattr(actor, "id", None) if not isinstance(actor, str) else None


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"{actor.name} <{actor.email}>"[:160]


def _insert_ignore(session, table, values: dict, index_elements: list[str]):
    dialect = session.get_bind().dialect.name
    ins = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return ins.values(**values).on_conflict_do_nothing(index_elements=index_elements)


def get_job(session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("There is no telecare job with that number.")
    return job


def job_for_installer(session, user, job_id: int) -> Job:
    """An installer sees only the jobs assigned to them: any other job is 'not found'."""
    job = session.get(Job, job_id)
    if job is None or job.installer_id != user.id:
        raise NotFound("There is no telecare job with that number in your list.")
    return job


def installer_may_see_person(session, user, person_id: int) -> bool:
    return session.scalar(select(Job.id).where(Job.person_id == person_id, Job.installer_id == user.id,
                                               Job.state != "cancelled").limit(1)) is not None


def installers(session) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == TELECARE_INSTALLER, User.active.is_(True)).order_by(User.name)))


def _transition(session, job_id: int, allowed: tuple[str, ...], to_state: str, what: str,
                expected_version: int | None = None, **values) -> Job:
    row = session.execute(select(Job.state, Job.version).where(Job.id == job_id)).first()
    if row is None:
        raise NotFound("There is no telecare job with that number.")
    if expected_version is not None and int(expected_version) != row.version:
        raise VersionClash(f"Job {job_id} was changed by someone else since you opened it. Your change was not "
                       "saved; refresh the page to see the latest.")
    if row.state not in allowed:
        raise IllegalTransition(
            f"Job {job_id} is {row.state.replace('_', ' ')}, so it cannot be {what}. "
            f"It must be {' or '.join(s.replace('_', ' ') for s in allowed)}.")
    stmt = (update(Job).where(Job.id == job_id, Job.state == row.state, Job.version == row.version)
            .values(state=to_state, version=Job.version + 1, **values)
            .returning(Job.id).execution_options(synchronize_session="fetch"))
    if session.execute(stmt).first() is None:
        raise VersionClash(f"Job {job_id} was changed by someone else just now. Refresh and try again.")
    job = session.get(Job, job_id)
    session.refresh(job)
    return job


# ---------------------------------------------------------------- jobs

def create_job(session, actor, *, person_id: int, job_type: str, priority: str, referral_id: int | None = None,
               access_notes: str | None = None, to_fit: str | None = None, submission_key: str | None = None,
               now: datetime | None = None) -> tuple[Job, bool]:
    """A job is requested. A repeated submission_key returns the existing job (created=False)."""
    now = now or utcnow()
    key = submission_key or str(uuid.uuid4())
    existing = session.scalar(select(Job).where(Job.submission_key == key))
    if existing is not None:
        return existing, False
    if job_type not in JOB_TYPES:
        raise PortalError("Select the type of job.")
    if priority not in JOB_PRIORITIES:
        raise PortalError("Select the priority.")
    if session.get(Person, person_id) is None:
        raise NotFound("There is no person with that id.")
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.person_id != person_id:
            raise PortalError("The referral must be one of this person's referrals.")
    connection = session.scalar(select(Connection).where(Connection.person_id == person_id))
    live = connection is not None and connection.status != "ended"
    if job_type in ("add_sensor", "digital_switchover", "fault_visit", "removal") and not live:
        raise IllegalTransition(f"This person has no telecare connection, so a {JOB_TYPES[job_type].lower()} "
                                "job cannot be raised. Raise a new install instead.")
    if job_type == "digital_switchover" and connection.line_type != "analogue":
        raise IllegalTransition("This person's alarm is not on an analogue line: there is nothing to switch over.")
    due = equipment.due_after(now, targets()[priority])
    values = dict(submission_key=key, job_type=job_type, person_id=person_id, referral_id=referral_id,
                  priority=priority, state="requested", requested_at=now, due_date=due, visit=1,
                  access_notes=(access_notes or None), to_fit=(to_fit or None), created_by_id=_actor_id(actor),
                  version=1)
    job_id = session.execute(_insert_ignore(session, Job.__table__, values, ["submission_key"])
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
    the last one already has steps, so its taps stay with it."""
    if on is None:
        raise PortalError("Enter the date of the visit.")
    if on < equipment.london_date(now or utcnow()):
        raise PortalError("The date of the visit must be today or in the future.")
    if not slot or not valid_slot(slot):
        raise PortalError("Select a time slot, or enter a start time like 09:30.")
    if installer_id not in {u.id for u in installers(session)}:
        raise PortalError("Select an installer.")
    if route_order is not None and route_order < 1:
        raise PortalError("Enter a route order of 1 or more.")
    job = get_job(session, job_id)
    visit = job.visit
    if session.scalar(select(func.count()).select_from(JobStep)
                      .where(JobStep.job_id == job_id, JobStep.visit == visit)):
        visit += 1
    was = job.state
    job = _transition(session, job_id, OPEN_JOB_STATES, "scheduled", "scheduled", expected_version,
                      scheduled_date=on, slot=slot, installer_id=installer_id, route_order=route_order,
                      visit=visit)
    record(session, actor, "telecare.job_rescheduled" if was != "requested" else "telecare.job_scheduled",
           "telecare_job", job_id, on=on.isoformat(), slot=slot, installer_id=installer_id, visit=visit, was=was)
    return job


def cancel_job(session, actor, job_id: int, reason: str, expected_version: int | None = None) -> Job:
    if not reason or not reason.strip():
        raise PortalError("Enter the reason for cancelling the job.")
    job = _transition(session, job_id, OPEN_JOB_STATES, "cancelled", "cancelled", expected_version,
                      cancelled_at=utcnow(), reason=reason.strip()[:300])
    record(session, actor, "telecare.job_cancelled", "telecare_job", job_id, reason=reason.strip()[:300])
    return job


# ---------------------------------------------------------------- steps (the installer's taps)

def steps_done(session, job: Job) -> dict[str, JobStep]:
    rows = session.scalars(select(JobStep).where(JobStep.job_id == job.id, JobStep.visit == job.visit))
    return {row.step: row for row in rows}


def _check_visit(job: Job, visit: int | None) -> None:
    if visit is not None and int(visit) != job.visit:
        raise Conflict(f"That tap was for an earlier visit to job {job.id}, which is closed. Nothing was "
                       "recorded; the card shows the current visit.")


def _insert_step(session, actor, job: Job, step: str, details: dict) -> tuple[JobStep, bool]:
    values = dict(job_id=job.id, visit=job.visit, step=step, at=utcnow(), by_id=_actor_id(actor),
                  by=_actor_label(actor), details=details)
    step_id = session.execute(_insert_ignore(session, JobStep.__table__, values, ["job_id", "visit", "step"])
                              .returning(JobStep.__table__.c.id)).scalar()
    if step_id is None:
        existing = session.scalar(select(JobStep).where(JobStep.job_id == job.id, JobStep.visit == job.visit,
                                                        JobStep.step == step))
        return existing, False
    record(session, actor, f"telecare.step_{step}", "telecare_job", job.id, visit=job.visit, **details)
    return session.get(JobStep, step_id), True


def record_step(session, actor, job_id: int, step: str, details: dict | None = None,
                visit: int | None = None) -> tuple[JobStep, bool]:
    """Record one step of the current visit. Returns (row, created): a repeat returns the first row."""
    if step not in STEPS or step in TERMINAL_STEPS:
        raise PortalError("That is not a step that can be recorded here.")
    job = get_job(session, job_id)
    _check_visit(job, visit)
    done = steps_done(session, job)
    if step in done:
        return done[step], False
    if job.state != "scheduled":
        raise IllegalTransition(f"Job {job.id} is {job.state_label.lower()}, so no more steps can be recorded.")
    allowed = REQUIRED_STEPS[job.job_type] + OPTIONAL_STEPS.get(job.job_type, ())
    if step not in allowed:
        raise IllegalTransition(f"{STEPS[step]} is not a step of a {job.type_label.lower()}.")
    if step != "arrived" and "arrived" not in done:
        raise IllegalTransition("Record that you have arrived first.")
    details = dict(details or {})
    if step == "devices_fitted":
        fitted = fitted_devices(session, job)
        if not fitted:
            raise IllegalTransition("Scan or type the asset tag of each device you fitted first.")
        details = {"assets": [d["asset_tag"] for d in fitted]}
    elif step == "responders_confirmed":
        details = _responder_details(session, job, details)
    elif step == "key_safe_checked":
        present = details.get("present")
        if present not in (True, False):
            raise PortalError("Select whether there is a key safe.")
        location = (details.get("location") or "").strip()[:200]
        details = {"present": present, "location": location if present else ""}
    return _insert_step(session, actor, job, step, details)


def _responder_details(session, job: Job, details: dict) -> dict:
    named = [r for r in details.get("responders", []) if (r.get("name") or "").strip()]
    service = bool(details.get("service"))
    if not named and not service:
        connection = connection_for(session, job.person_id)
        if connection is not None and connection.responders:
            return {"kept": [r.display for r in connection.responders]}
        raise PortalError("Enter at least one named responder, or select the responder service.")
    for r in named:
        if not (r.get("phone") or "").strip():
            raise PortalError(f"Enter a phone number for {r['name'].strip()}.")
    clean = [{"name": r["name"].strip()[:160], "phone": r["phone"].strip()[:40],
              "relationship": (r.get("relationship") or "").strip()[:80]} for r in named]
    return {"responders": clean, "service": service}


# ---------------------------------------------------------------- devices

def fitted_devices(session, job: Job) -> list[dict]:
    rows = session.execute(
        select(ConnectionDevice.id, Asset.id.label("asset_id"), Asset.asset_tag, Asset.serial,
               Product.name, Product.code)
        .join(Asset, Asset.id == ConnectionDevice.asset_id).join(Product, Product.id == Asset.product_id)
        .where(ConnectionDevice.job_id == job.id, ConnectionDevice.removed_at.is_(None))
        .order_by(ConnectionDevice.id)).all()
    return [dict(r._mapping) for r in rows]


def fit_device(session, actor, job_id: int, tag: str, visit: int | None = None) -> tuple[Asset, bool]:
    """Scan or type an asset tag: the asset goes on loan to the person (equipment ledger) and is
    recorded against the job. Scanning the same tag again records nothing new."""
    job = get_job(session, job_id)
    _check_visit(job, visit)
    asset = equipment.find_asset_by_tag(session, tag)
    if asset is None:
        raise NotFound(f"No device has the asset tag {(tag or '').strip().upper() or '(blank)'}. Check the label "
                       "and try again.")
    already = session.scalar(select(ConnectionDevice).where(ConnectionDevice.asset_id == asset.id,
                                                            ConnectionDevice.removed_at.is_(None)))
    if already is not None:
        if already.job_id == job.id:
            return asset, False
        raise Conflict(f"Device {asset.asset_tag} is already fitted at someone's home.")
    if job.state != "scheduled":
        raise IllegalTransition(f"Job {job.id} is {job.state_label.lower()}, so no devices can be fitted.")
    if job.job_type not in FIT_TYPES:
        raise IllegalTransition(f"Devices are not fitted on a {job.type_label.lower()}.")
    if "arrived" not in steps_done(session, job):
        raise IllegalTransition("Record that you have arrived first.")
    if asset.product.category not in ("telecare", "telehealth", "environmental_controls"):
        raise PortalError(f"{asset.asset_tag} is a {asset.product.name}, not a telecare device.")
    equipment.fit_asset(session, actor, asset.id, job.person_id, f"Fitted by telecare job {job.id}")
    session.add(ConnectionDevice(person_id=job.person_id, asset_id=asset.id, job_id=job.id,
                                 fitted_by_id=_actor_id(actor), fitted_at=utcnow()))
    session.flush()
    record(session, actor, "telecare.device_fitted", "telecare_job", job.id, asset_tag=asset.asset_tag)
    return asset, True


def _return_device(session, actor, device: ConnectionDevice, job: Job, now: datetime) -> None:
    equipment.return_fitted_asset(session, actor, device.asset_id, f"Returned by telecare job {job.id}", at=now)
    device.removed_at = now
    device.removed_job_id = job.id


# ---------------------------------------------------------------- completion, no access, failure

def missing_steps(session, job: Job) -> list[str]:
    done = steps_done(session, job)
    return [s for s in REQUIRED_STEPS[job.job_type] if s not in done]


def connection_for(session, person_id: int) -> Connection | None:
    return session.scalar(select(Connection).where(Connection.person_id == person_id))


def complete_job(session, actor, job_id: int, *, line_type: str | None = None, telephone: str | None = None,
                 provider: str | None = None, visit: int | None = None) -> tuple[Job, bool]:
    """scheduled → completed, once every required step is recorded. Makes or updates the person's
    connection. A replayed 'completed' tap returns the job unchanged (created=False)."""
    job = get_job(session, job_id)
    if job.state == "completed" and (visit is None or int(visit) == job.visit):
        return job, False
    _check_visit(job, visit)
    if job.state != "scheduled":
        raise IllegalTransition(f"Job {job.id} is {job.state_label.lower()}, so it cannot be completed. "
                                "It must be scheduled.")
    missing = missing_steps(session, job)
    if missing:
        raise IllegalTransition("Before completing, record: " + ", ".join(STEPS[s].lower() for s in missing) + ".")
    now = utcnow()
    done = steps_done(session, job)
    summary = _apply_completion(session, actor, job, done, now, line_type=line_type, telephone=telephone,
                                provider=provider)
    _insert_step(session, actor, job, "completed", summary)
    job = _transition(session, job.id, ("scheduled",), "completed", "completed", None,
                      completed_at=now, completed_by_id=_actor_id(actor))
    record(session, actor, "telecare.job_completed", "telecare_job", job.id, **summary)
    return job, True


def _apply_completion(session, actor, job: Job, done: dict, now: datetime, *, line_type, telephone,
                      provider) -> dict:
    connection = connection_for(session, job.person_id)
    devices = list(session.scalars(select(ConnectionDevice).where(ConnectionDevice.job_id == job.id,
                                                                  ConnectionDevice.removed_at.is_(None))))
    new_unit = next((d for d in devices if is_unit(session.get(Asset, d.asset_id).product)), None)
    summary: dict = {"job_type": job.job_type}
    if job.job_type == "removal":
        if connection is None:
            raise IllegalTransition("This person has no connection to remove.")
        returned = 0
        for device in session.scalars(select(ConnectionDevice).where(
                ConnectionDevice.person_id == job.person_id, ConnectionDevice.removed_at.is_(None))):
            _return_device(session, actor, device, job, now)
            returned += 1
        connection.status, connection.ended_at, connection.updated_at = "ended", now, now
        summary["returned"] = returned
        return summary
    if job.job_type == "fault_visit":
        return summary
    if job.job_type == "new_install":
        if line_type not in LINE_TYPES:
            raise PortalError("Select the line type the alarm uses.")
        if connection is None:
            connection = Connection(person_id=job.person_id, line_type=line_type, status="active",
                                    monitoring_start=equipment.london_date(now), created_at=now, updated_at=now)
            session.add(connection)
            session.flush()
        elif connection.status == "ended":
            connection.status, connection.ended_at = "active", None
            connection.monitoring_start = equipment.london_date(now)
        if new_unit is None and connection.unit_asset_id is None:
            raise IllegalTransition("Fit an alarm unit (scan its asset tag) before completing a new install.")
    elif connection is None or connection.status == "ended":
        raise IllegalTransition("This person has no live connection.")
    if job.job_type == "digital_switchover":
        if new_unit is None:
            raise IllegalTransition("Scan the new digital alarm unit before completing the switchover.")
        old = connection.unit_asset_id
        if old is not None and old != new_unit.asset_id:
            device = session.scalar(select(ConnectionDevice).where(ConnectionDevice.asset_id == old,
                                                                   ConnectionDevice.removed_at.is_(None)))
            if device is not None:
                _return_device(session, actor, device, job, now)
            summary["old_unit"] = session.get(Asset, old).asset_tag
        line_type = line_type if line_type in ("digital", "mobile") else "digital"
    if line_type in LINE_TYPES:
        connection.line_type = line_type
    if new_unit is not None:
        unit = session.get(Asset, new_unit.asset_id)
        connection.unit_asset_id, connection.unit_model, connection.unit_serial = (
            unit.id, unit.product.name, unit.serial or unit.asset_tag)
    if telephone:
        connection.telephone = telephone.strip()[:40]
    if provider:
        connection.provider = provider.strip()[:80]
    for device in devices:
        device.connection_id = connection.id
    step = done.get("responders_confirmed")
    if step is not None and ("responders" in step.details or step.details.get("service")):
        connection.responders.clear()
        session.flush()
        order = 1
        for r in step.details.get("responders", []):
            connection.responders.append(Responder(call_order=order, kind="named", name=r["name"],
                                                   phone=r["phone"], relationship_to_person=r.get("relationship")
                                                   or None))
            order += 1
        if step.details.get("service"):
            connection.responders.append(Responder(call_order=order, kind="service"))
    key_safe = done.get("key_safe_checked")
    if key_safe is not None:
        connection.key_safe_present = bool(key_safe.details.get("present"))
        connection.key_safe_location = key_safe.details.get("location") or None
    connection.updated_at = now
    session.flush()
    summary.update(connection_id=connection.id, line_type=connection.line_type,
                   devices=[session.get(Asset, d.asset_id).asset_tag for d in devices])
    return summary


def no_access(session, actor, job_id: int, reason: str, visit: int | None = None) -> tuple[Job, bool]:
    """scheduled → no_access with a reason; the coordinator reschedules it."""
    if not reason or not reason.strip():
        raise PortalError("Enter why you could not get in.")
    job = get_job(session, job_id)
    if job.state == "no_access" and (visit is None or int(visit) == job.visit):
        return job, False
    _check_visit(job, visit)
    if job.state != "scheduled":
        raise IllegalTransition(f"Job {job.id} is {job.state_label.lower()}, so it cannot be marked no access.")
    _insert_step(session, actor, job, "no_access", {"reason": reason.strip()[:300]})
    job = _transition(session, job.id, ("scheduled",), "no_access", "marked no access", None,
                      reason=reason.strip()[:300])
    record(session, actor, "telecare.job_no_access", "telecare_job", job.id, reason=reason.strip()[:300])
    return job, True


def fail_job(session, actor, job_id: int, reason: str, visit: int | None = None) -> tuple[Job, bool]:
    """The visit failed (no signal for the test call, wrong device...): the job goes back to
    requested for the coordinator to rebook; fitted devices stay with the person."""
    if not reason or not reason.strip():
        raise PortalError("Enter why the visit failed.")
    job = get_job(session, job_id)
    if "failed" in steps_done(session, job):
        return job, False
    _check_visit(job, visit)
    if job.state != "scheduled":
        raise IllegalTransition(f"Job {job.id} is {job.state_label.lower()}, so it cannot be marked failed.")
    _insert_step(session, actor, job, "failed", {"reason": reason.strip()[:300]})
    job = _transition(session, job.id, ("scheduled",), "requested", "marked failed", None,
                      reason=("Visit failed: " + reason.strip())[:300])
    record(session, actor, "telecare.job_failed", "telecare_job", job.id, reason=reason.strip()[:300])
    return job, True


# ---------------------------------------------------------------- reading: the installer's day

def day_jobs(session, installer_id: int, day: date) -> list[Job]:
    jobs = list(session.scalars(select(Job).where(Job.installer_id == installer_id, Job.scheduled_date == day,
                                                  Job.state.in_(("scheduled", "completed", "no_access")))))
    jobs.sort(key=lambda j: (j.route_order is None, j.route_order or 0, slot_sort_key(j.slot), j.id))
    return jobs


def card(session, job: Job, viewer) -> dict:
    """Everything the installer's job card shows. The key safe location only for the assigned installer."""
    connection = connection_for(session, job.person_id)
    done = steps_done(session, job)
    required = REQUIRED_STEPS[job.job_type]
    optional = OPTIONAL_STEPS.get(job.job_type, ())
    assigned = viewer is not None and job.installer_id == getattr(viewer, "id", None)
    key_safe = None
    if assigned and connection is not None and connection.key_safe_present:
        key_safe = connection.key_safe_location or "Present (no location noted)"
    return {
        "job": job, "person": job.person, "done": done, "steps": required + optional, "required": required,
        "devices": fitted_devices(session, job), "connection": connection,
        "responders": list(connection.responders) if connection else [],
        "missing": [s for s in required if s not in done], "fits": job.job_type in FIT_TYPES,
        "key_safe": key_safe, "needs_line_type": job.job_type == "new_install",
    }


# ---------------------------------------------------------------- reading: coordinator views

def list_jobs(session, *, state: str | None = None, job_type: str | None = None, installer_id: int | None = None,
              overdue: bool = False, on: date | None = None, limit: int = 200) -> list[Job]:
    stmt = select(Job).join(Person, Person.id == Job.person_id)
    if state:
        stmt = stmt.where(Job.state == state)
    if job_type:
        stmt = stmt.where(Job.job_type == job_type)
    if installer_id:
        stmt = stmt.where(Job.installer_id == installer_id)
    if overdue:
        stmt = stmt.where(Job.state.in_(OPEN_JOB_STATES), Job.due_date < (on or today()))
    stmt = stmt.order_by(case((Job.state.in_(OPEN_JOB_STATES), 0), else_=1), Job.due_date, Job.id).limit(limit)
    return list(session.scalars(stmt))


def planner(session, week_start: date) -> dict:
    """A week grid (Monday to Friday) per installer: jobs in route order in each cell."""
    days = [week_start + timedelta(days=i) for i in range(5)]
    people = installers(session)
    jobs = session.scalars(select(Job).where(Job.scheduled_date >= days[0], Job.scheduled_date <= days[-1],
                                             Job.state != "cancelled", Job.installer_id.is_not(None)))
    grid: dict = {(u.id, d): [] for u in people for d in days}
    for job in jobs:
        grid.setdefault((job.installer_id, job.scheduled_date), []).append(job)
    for cell in grid.values():
        cell.sort(key=lambda j: (j.route_order is None, j.route_order or 0, slot_sort_key(j.slot), j.id))
    unscheduled = session.scalar(select(func.count()).select_from(Job).where(Job.state.in_(("requested",
                                                                                           "no_access"))))
    return {"days": days, "installers": people, "grid": grid, "unscheduled": unscheduled}


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


# ---------------------------------------------------------------- switchover and line register

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
        raise PortalError("Select a locality.")
    if not limit or limit < 1 or limit > 500:
        raise PortalError("Enter how many jobs to create, from 1 to 500.")
    batch = uuid.UUID(batch_key) if batch_key else uuid.uuid4()
    open_switch = select(Job.person_id).where(Job.job_type == "digital_switchover", Job.state.in_(OPEN_JOB_STATES))
    people = list(session.scalars(
        select(Connection.person_id).join(Person, Person.id == Connection.person_id)
        .where(Connection.line_type == "analogue", Connection.status != "ended",
               func.coalesce(Person.locality, "Not known") == locality, Connection.person_id.not_in(open_switch))
        .order_by(Connection.monitoring_start, Connection.id).limit(limit)))
    created = 0
    for person_id in people:
        _, made = create_job(session, actor, person_id=person_id, job_type="digital_switchover", priority=priority,
                             to_fit="Digital alarm unit (replaces the analogue unit)",
                             submission_key=str(uuid.uuid5(batch, str(person_id))))
        created += made
    record(session, actor, "telecare.switchover_batch", "telecare_connection", locality, locality=locality,
           created=created)
    return created


def _month(session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def switchover_progress(session, since: date) -> list[dict]:
    month = _month(session, Job.completed_at)
    rows = session.execute(select(month.label("month"), func.count().label("n"))
                           .where(Job.job_type == "digital_switchover", Job.state == "completed",
                                  Job.completed_at >= datetime.combine(since, datetime.min.time()))
                           .group_by(month).order_by(month)).all()
    return [{"month": r.month, "completed": r.n} for r in rows]


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


def view_connection(session, actor, person_id: int) -> Connection | None:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("There is no person with that id.")
    record(session, actor, "telecare.connection_viewed", "person", person_id)
    return connection_for(session, person_id)


# ---------------------------------------------------------------- figures for the dashboard

def figures(session, start: date, end: date, locality: str | None = None) -> dict:
    """Referral-to-install days (median), installs per month, install rate (installs / telecare
    referrals in the period), connections by line type and analogue remaining. Aggregate SQL."""
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time())
    installs = (select(Job).join(Person, Person.id == Job.person_id)
                .where(Job.job_type == "new_install", Job.state == "completed", Job.completed_at >= lo,
                       Job.completed_at < hi))
    if locality:
        installs = installs.where(Person.locality == locality)
    sub = installs.subquery()
    month = _month(session, sub.c.completed_at)
    per_month = [{"month": m, "installs": n} for m, n in session.execute(
        select(month, func.count()).group_by(month).order_by(month)).all()]
    installed = sum(row["installs"] for row in per_month)
    referred_stmt = (select(func.count(func.distinct(Referral.id))).join(ReferralNeed,
                                                                          ReferralNeed.referral_id == Referral.id)
                     .where(ReferralNeed.need == "telecare", Referral.received_at >= lo, Referral.received_at < hi))
    if locality:
        referred_stmt = referred_stmt.where(Referral.locality == locality)
    referred = session.scalar(referred_stmt) or 0
    # Days from referral to install, per install with a referral: median computed over the sorted
    # list of day counts the database returns (one number per install).
    if session.get_bind().dialect.name == "postgresql":
        days_expr = func.extract("epoch", sub.c.completed_at - Referral.received_at) / 86400.0
    else:
        days_expr = func.julianday(sub.c.completed_at) - func.julianday(Referral.received_at)
    days = sorted(float(d) for d in session.scalars(
        select(days_expr).select_from(sub).join(Referral, Referral.id == sub.c.referral_id)))
    median = None
    if days:
        mid = len(days) // 2
        median = round(days[mid] if len(days) % 2 else (days[mid - 1] + days[mid]) / 2, 1)
    by_type_stmt = (select(Connection.line_type, func.count()).join(Person, Person.id == Connection.person_id)
                    .where(Connection.status == "active").group_by(Connection.line_type))
    if locality:
        by_type_stmt = by_type_stmt.where(Person.locality == locality)
    by_type = {k: 0 for k in LINE_TYPES}
    by_type.update({k: v for k, v in session.execute(by_type_stmt).all()})
    return {
        "referral_to_install_days_median": median,
        "installs_per_month": per_month,
        "installs": installed,
        "telecare_referrals": referred,
        "install_rate": round(installed / referred, 3) if referred else None,
        "connections_by_line_type": by_type,
        "analogue_remaining": by_type["analogue"],
    }


