"""Completing a job: the last tap of a visit makes or updates the person's connection.

A job completes only when `completion_blockers` is empty (every required step, including the
test call after the devices and the consent checklist; an alarm unit on a new install; a
digital-capable unit on a switchover), and a switchover leaves the alarm on a digital line. An
analogue unit (the catalogue says which) cannot go on a digital line; a new install on an analogue
line joins the switchover plan (audited, and the installer is told). The connection goes live only
with someone to call: a named responder with a UK phone number, or the responder service.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.services import record
from portal.equipment.models import Asset
from portal.errors import IllegalTransition, Refusal, require_action
from portal.telecare.models import LINE_TYPES, Connection, ConnectionDevice, Job, Responder
from portal.telecare.services._common import (
    DIGITAL_LINES,
    actor_id,
    connection_for,
    get_job,
    is_digital_unit,
    is_unit,
    steps_done,
    transition,
)
from portal.telecare.services.access import allowed_actions, check_installer, why_not
from portal.telecare.services.checks import clean_text, uk_phone
from portal.telecare.services.devices import return_device
from portal.telecare.services.steps import check_visit, insert_step, reachable
from portal.timeutil import london_date, utcnow


def complete_job(session, actor, job_id: int, *, line_type: str | None = None, telephone: str | None = None,
                 provider: str | None = None, visit: int | None = None) -> tuple[Job, bool]:
    """scheduled → completed, once every required step is recorded. Makes or updates the person's
    connection. A replayed 'completed' tap returns the job unchanged (created=False)."""
    job = get_job(session, job_id)
    check_installer(actor, job)
    if job.state == "completed" and (visit is None or int(visit) == job.visit):
        return job, False
    check_visit(job, visit)
    require_action(allowed_actions(actor, job), "completed", why_not(session, job, "completed"))
    line_type = (line_type or None) if job.job_type in ("new_install", "digital_switchover") else None
    if job.job_type == "new_install" and line_type not in LINE_TYPES:
        raise Refusal(_("Select the line type the alarm uses."), field="line_type")
    if job.job_type == "digital_switchover":
        line_type = line_type or "digital"
        if line_type not in DIGITAL_LINES:
            raise Refusal(_("A digital switchover leaves the alarm on a digital line: select digital or "
                            "mobile."),
                          field="line_type")
    telephone = uk_phone(telephone, "telephone", "the line's telephone or SIM number") if telephone else None
    provider = clean_text(provider, "provider", 80)
    now = utcnow()
    summary = _apply_completion(session, actor, job, steps_done(session, job), now, line_type=line_type,
                                telephone=telephone, provider=provider)
    insert_step(session, actor, job, "completed", summary)
    job = transition(session, job, ("scheduled",), "completed", completed_at=now, completed_by_id=actor_id(actor))
    record(session, actor, "telecare.job_completed", "telecare_job", job.id, **summary)
    if summary.get("switchover_plan"):
        record(session, actor, "telecare.switchover_plan_joined", "telecare_connection", summary["connection_id"],
               job_id=job.id)
    return job, True


def _new_unit(session, devices: list[ConnectionDevice], job: Job) -> Asset | None:
    """The alarm unit fitted on this job: on a switchover only a digital-capable one counts."""
    assets = [session.get(Asset, d.asset_id) for d in devices]
    digital = [a for a in assets if is_digital_unit(a.product)]
    if job.job_type == "digital_switchover":
        return digital[0] if digital else None
    return (digital or [a for a in assets if is_unit(a.product)] or [None])[0]


def _apply_completion(session, actor, job: Job, done: dict, now: datetime, *, line_type, telephone,
                      provider) -> dict:
    connection = connection_for(session, job.person_id)
    devices = list(session.scalars(select(ConnectionDevice).where(ConnectionDevice.job_id == job.id,
                                                                  ConnectionDevice.removed_at.is_(None))))
    summary: dict = {"job_type": job.job_type}
    if job.job_type == "removal":
        returned = 0
        for device in session.scalars(select(ConnectionDevice).where(
                ConnectionDevice.person_id == job.person_id, ConnectionDevice.removed_at.is_(None))):
            return_device(session, actor, device, job, now)
            returned += 1
        connection.status, connection.ended_at, connection.updated_at = "ended", now, now
        summary["returned"] = returned
        return summary
    if job.job_type == "fault_visit":
        return summary
    unit = _new_unit(session, devices, job)
    if job.job_type == "new_install" and unit is not None and unit.product.alarm_unit == "analogue" \
            and line_type != "analogue":
        raise Refusal(_("%(asset_tag)s is an analogue alarm unit (%(name)s): it cannot call over a "
                        "%(line)s line. Fit a digital alarm unit, or select analogue.",
                        asset_tag=unit.asset_tag, name=unit.product.name, line=LINE_TYPES[line_type].lower()),
                      field="line_type")
    if job.job_type == "new_install":
        if connection is None:
            connection = Connection(person_id=job.person_id, line_type=line_type, status="active",
                                    monitoring_start=london_date(now), created_at=now, updated_at=now)
            session.add(connection)
            session.flush()
        elif connection.status == "ended":
            connection.status, connection.ended_at = "active", None
            connection.monitoring_start = london_date(now)
    if job.job_type == "digital_switchover":
        if unit is None:  # completion_blockers says so first; this guards the database
            raise IllegalTransition(_("Scan the new digital alarm unit before completing the switchover."))
        old = connection.unit_asset_id
        if old is not None and old != unit.id:
            device = session.scalar(select(ConnectionDevice).where(ConnectionDevice.asset_id == old,
                                                                   ConnectionDevice.removed_at.is_(None)))
            if device is not None:
                return_device(session, actor, device, job, now)
            summary["old_unit"] = session.get(Asset, old).asset_tag
    if line_type is not None:
        connection.line_type = line_type
    if unit is not None:
        connection.unit_asset_id, connection.unit_model, connection.unit_serial = (
            unit.id, unit.product.name, unit.serial or unit.asset_tag)
    if telephone:
        connection.telephone = telephone
    if provider:
        connection.provider = provider
    for device in devices:
        device.connection_id = connection.id
    _apply_responders(session, connection, done.get("responders_confirmed"))
    session.flush()
    session.refresh(connection)
    if job.job_type in ("new_install", "digital_switchover") and not reachable(connection.responders):
        raise Refusal(_("The alarm cannot go live without someone to call: confirm a named responder with"
                        " a UK phone number, or the responder service."), field="line_type")
    key_safe = done.get("key_safe_checked")
    if key_safe is not None:
        connection.key_safe_present = bool(key_safe.details.get("present"))
        connection.key_safe_location = key_safe.details.get("location") or None
    connection.updated_at = now
    session.flush()
    summary.update(connection_id=connection.id, line_type=connection.line_type,
                   devices=[session.get(Asset, d.asset_id).asset_tag for d in devices])
    if job.job_type == "new_install" and connection.line_type == "analogue":
        summary["switchover_plan"] = True  # analogue lines are in the switchover plan (analogue_by_locality)
    return summary


def _apply_responders(session, connection: Connection, step) -> None:
    """The responders confirmed on the visit replace the connection's list (a kept list stays)."""
    if step is None or not ("responders" in step.details or step.details.get("service")):
        return
    connection.responders.clear()
    session.flush()
    order = 1
    for r in step.details.get("responders", []):
        connection.responders.append(Responder(call_order=order, kind="named", name=r["name"], phone=r["phone"],
                                               relationship_to_person=r.get("relationship") or None))
        order += 1
    if step.details.get("service"):
        connection.responders.append(Responder(call_order=order, kind="service"))
