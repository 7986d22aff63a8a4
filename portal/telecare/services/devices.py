"""Fitting and returning devices. They move only through portal.equipment.services (fit_asset /
return_fitted_asset), so every fitted device has a ledger row to the person and back to stock."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.services import record
from portal.equipment import services as equipment
from portal.equipment.models import Asset
from portal.errors import Conflict, Refusal, require_action
from portal.telecare.models import ConnectionDevice, Job
from portal.telecare.services._common import actor_id, get_job
from portal.telecare.services.access import allowed_actions, check_installer, why_not
from portal.telecare.services.steps import check_visit
from portal.timeutil import utcnow

DEVICE_CATEGORIES = ("telecare", "telehealth", "environmental_controls")


def fit_device(session, actor, job_id: int, tag: str, visit: int | None = None) -> tuple[Asset, bool]:
    """Scan or type an asset tag: the asset goes on loan to the person (equipment ledger) and is
    recorded against the job. Scanning the same tag again records nothing new."""
    job = get_job(session, job_id)
    check_installer(actor, job)
    check_visit(job, visit)
    asset = equipment.find_asset_by_tag(session, tag)
    fitting = None if asset is None else session.scalar(
        select(ConnectionDevice).where(ConnectionDevice.asset_id == asset.id, ConnectionDevice.removed_at.is_(None)))
    if fitting is not None and fitting.job_id == job.id:
        return asset, False
    require_action(allowed_actions(actor, job), "fit", why_not(session, job, "fit"))
    if not (tag or "").strip():
        raise Refusal(_("Scan or type the device's asset tag."), field="tag")
    if asset is None:
        raise Refusal(_("No device has the asset tag %(tag)s. Check the label and try again.",
                        tag=tag.strip().upper()),
                      field="tag")
    if fitting is not None:
        raise Conflict(_("Device %(asset_tag)s is already fitted at someone's home.", asset_tag=asset.asset_tag),
                       field="tag")
    if asset.product.category not in DEVICE_CATEGORIES:
        raise Refusal(_("%(asset_tag)s is a %(name)s, not a telecare device.",
                        asset_tag=asset.asset_tag, name=asset.product.name), field="tag")
    try:
        equipment.fit_asset(session, actor, asset.id, job.person_id, f"Fitted by telecare job {job.id}")
    except Refusal as exc:  # not available: reserved, in repair, awaiting cleaning...
        raise type(exc)(exc.message, field="tag") from exc
    session.add(ConnectionDevice(person_id=job.person_id, asset_id=asset.id, job_id=job.id,
                                 fitted_by_id=actor_id(actor), fitted_at=utcnow()))
    session.flush()
    record(session, actor, "telecare.device_fitted", "telecare_job", job.id, asset_tag=asset.asset_tag)
    return asset, True


def return_device(session, actor, device: ConnectionDevice, job: Job, now: datetime) -> None:
    equipment.return_fitted_asset(session, actor, device.asset_id, f"Returned by telecare job {job.id}", at=now)
    device.removed_at = now
    device.removed_job_id = job.id
