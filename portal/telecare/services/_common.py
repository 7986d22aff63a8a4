"""What every part of the telecare services shares: the rules written as data, the configuration,
loading a job, and the one conditional UPDATE every job transition goes through."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.services import actor_label
from portal.auth.models import User, UserRole
from portal.auth.roles import ADMIN, MANAGER, TELECARE_INSTALLER, TRIAGE_OFFICER
from portal.config import setting
from portal.equipment.models import Asset, Product
from portal.errors import IllegalTransition, NotFound
from portal.sql import move_state
from portal.telecare.models import SLOTS, STEPS, Connection, ConnectionDevice, Job, JobStep

INSTALLERS = (TELECARE_INSTALLER,)
COORDINATORS = (TRIAGE_OFFICER, MANAGER, ADMIN)

# Working days. Urgent: 9 in 10 within 2 working days and the rest within 5; routine within 10.
DEFAULT_TARGETS = {"urgent": 2, "urgent_all": 5, "routine": 10}
DIGITAL_LINES = ("digital", "mobile")
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
TAP_STEPS = tuple(s for s in STEPS if s not in TERMINAL_STEPS)
SLOT_ORDER = {"am": 0, "pm": 2, "eve": 3}


def targets() -> dict:
    """Working-day targets per priority; override with TELECARE_TARGETS."""
    return {**DEFAULT_TARGETS, **(setting("TELECARE_TARGETS") or {})}


def is_unit(product: Product) -> bool:
    """An alarm unit (the box that calls the monitoring centre), as the catalogue says."""
    return product.alarm_unit is not None


def is_digital_unit(product: Product) -> bool:
    """An alarm unit the catalogue says can call over a digital (or mobile) line."""
    return product.alarm_unit == "digital"


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


def actor_id(actor) -> int | None:
    return actor_label(actor)[0]


def is_system(actor) -> bool:
    """The seeder, the CLI and tests act as a label ("seed-demo"), not as a member of staff."""
    return actor is None or isinstance(actor, str)


def holds(actor, roles) -> bool:
    return not is_system(actor) and bool(set(actor.role_names) & set(roles))


def get_job(session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(_("There is no telecare job with that number."))
    return job


def job_for_installer(session, user, job_id: int) -> Job:
    """An installer sees only the jobs assigned to them: any other job is 'not found'."""
    job = session.get(Job, job_id)
    if job is None or job.installer_id != user.id:
        raise NotFound(_("There is no telecare job with that number in your list."))
    return job


def installers(session) -> list[User]:
    return list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == TELECARE_INSTALLER, User.active.is_(True)).order_by(User.name)))


def connection_for(session, person_id: int) -> Connection | None:
    return session.scalar(select(Connection).where(Connection.person_id == person_id))


def steps_done(session, job: Job) -> dict[str, JobStep]:
    """The steps recorded for the job's current visit."""
    rows = session.scalars(select(JobStep).where(JobStep.job_id == job.id, JobStep.visit == job.visit))
    return {row.step: row for row in rows}


def fitted_devices(session, job: Job) -> list[dict]:
    rows = session.execute(
        select(ConnectionDevice.id, Asset.id.label("asset_id"), Asset.asset_tag, Asset.serial,
               Product.name, Product.code)
        .join(Asset, Asset.id == ConnectionDevice.asset_id).join(Product, Product.id == Asset.product_id)
        .where(ConnectionDevice.job_id == job.id, ConnectionDevice.removed_at.is_(None))
        .order_by(ConnectionDevice.id)).all()
    return [dict(r._mapping) for r in rows]


def missing_steps(session, job: Job) -> list[str]:
    done = steps_done(session, job)
    return [s for s in REQUIRED_STEPS[job.job_type] if s not in done]


def transition(session, job: Job, from_states: tuple[str, ...], to_state: str, **values) -> Job:
    """One conditional UPDATE on the state and version that were read: a concurrent change makes
    it match no row, and that is a version clash, never a silent overwrite."""
    if job.state not in from_states:
        raise IllegalTransition(_("Job %(id)s is %(state)s, so it cannot be %(status)s now.",
                                  id=job.id, state=job.state_label.lower(), status=to_state.replace('_', ' ')))
    return move_state(session, job, to_state, f"Telecare job {job.id}", **values)
