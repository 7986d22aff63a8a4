"""Form fuzzing of the telecare forms: a new job, scheduling, cancelling, the switchover batch, and
every step form on the installer's job card (devices, responders, key safe, completion, no access,
failed), each met in a state in which it is open. The engine and the invariants are in
test_fuzz_forms.py."""

import itertools
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.sql import new_submission_key
from portal.telecare import services
from portal.telecare.forms import (
    BatchForm,
    CancelForm,
    CompleteForm,
    FitForm,
    JobForm,
    KeySafeForm,
    ReasonForm,
    RespondersForm,
    ScheduleForm,
    TapForm,
)
from portal.telecare.models import Job
from portal.timeutil import today
from portal.web.security import access_rule
from tests.integration.proof.test_fuzz_forms import Step, field_names, fuzz
from tests.integration.telecare.conftest import make_world, referral_for
from tests.integration.telecare.test_allowed_actions import STATES, build, plausible


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


STEP_FORMS = {"arrived": TapForm, "fit": FitForm, "devices_fitted": TapForm, "test_call_passed": TapForm,
              "consent_confirmed": TapForm, "responders_confirmed": RespondersForm, "smoke_heat_checked": TapForm,
              "key_safe_checked": KeySafeForm, "completed": CompleteForm, "no_access": ReasonForm,
              "failed": ReasonForm, "schedule": ScheduleForm, "cancel": CancelForm}
KEEP = {"fit": "tag", "responders_confirmed": "responder_1_name", "key_safe_checked": "location",
        "completed": "provider", "no_access": "reason", "failed": "reason", "schedule": "start_time",
        "cancel": "reason"}


def _path(job_id: int, action: str) -> str:
    if action in ("schedule", "cancel"):
        return f"/telecare/jobs/{job_id}/{action}"
    if action == "fit":
        return f"/telecare/jobs/{job_id}/devices"
    return f"/telecare/jobs/{job_id}/steps/{action}"


MORE_STATES = [*STATES, "fitted", "fitted_and_marked"]


def build_job(session, world, fitter, state: str):
    """The allowed-actions test's states, plus a device fitted (and marked as fitted) after arriving."""
    if state not in ("fitted", "fitted_and_marked"):
        return build(session, world, fitter, state)
    job = build(session, world, fitter, "arrived")
    services.fit_device(session, fitter, job.id, world["assets"]["HUB1"].asset_tag)
    if state == "fitted_and_marked":
        services.record_step(session, fitter, job.id, "devices_fitted")
    return job


def _clear_the_diary(session, fitter, days_back: int) -> None:
    """Earlier examples' visits move to a past day, so one installer's diary never double-books."""
    for job in session.scalars(select(Job).where(Job.installer_id == fitter.id, Job.scheduled_date >= today())):
        job.scheduled_date = today() - timedelta(days=days_back)
    session.flush()


def _role(app, action: str) -> str:
    return sorted(access_rule(app, f"telecare.{action}"))[0]


@pytest.mark.parametrize("action", STEP_FORMS)
def test_fuzz_every_job_form(app, client, staff, db_session, action):
    fitter = staff.create("telecare_installer")
    role = _role(app, action)
    user = fitter if role == "telecare_installer" else staff.create(role)
    db_session.commit()
    earlier_days = itertools.count(1)

    def fresh_job(world, state):
        _clear_the_diary(db_session, fitter, next(earlier_days))
        return build_job(db_session, world, fitter, state)

    state = next((s for s in MORE_STATES if action in services.allowed_actions(
        user, fresh_job(make_world(db_session), s))), None)
    assert state is not None, f"{action} is never open"
    db_session.rollback()
    assert staff.sign_in(user).status_code == 303
    token = staff.csrf("/staff")

    def make():
        world = make_world(db_session)
        job = fresh_job(world, state)
        db_session.commit()
        valid = {k: v for k, v in plausible(job, world, fitter, token).items() if k != "csrf_token"}
        if action == "fit":
            valid["tag"] = world["assets"]["PEN1"].asset_tag
        return Step(_path(job.id, action), field_names(app, STEP_FORMS[action]), valid, KEEP.get(action))

    fuzz(Confirming(client) if action in DECISIONS else client, token, make, max_examples=15)


DECISIONS = {"cancel"}  # a decision with a check step: a valid answer shows the check page, changing nothing


class Confirming:
    """The client as a person who confirms on the check page: every post carries confirmed=yes, so
    the fuzzed answers reach the service (the check page itself is tested in test_screens.py)."""

    def __init__(self, client):
        self.client = client

    def post(self, url, data=None, **kwargs):
        return self.client.post(url, data={**(data or {}), "confirmed": "yes"}, **kwargs)

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_fuzz_new_job(app, client, staff, db_session):
    world = make_world(db_session)
    referral_for(db_session, world["person"])  # the work that lets a triage officer raise a job for them
    staff.login_as("triage_officer")
    token = staff.csrf("/staff")
    db_session.commit()
    fuzz(client, token, lambda: Step(
        f"/telecare/jobs/new?person={world['person'].id}", field_names(app, JobForm),
        {"job_type": "new_install", "priority": "routine", "to_fit": "Pendant", "access_notes": "Key with neighbour",
         "submission_key": new_submission_key()}, "access_notes"))


def test_fuzz_switchover_batch(app, client, staff, db_session):
    staff.login_as(_role(app, "switchover"))
    token = staff.csrf("/staff")
    fuzz(client, token, lambda: Step("/telecare/switchover", field_names(app, BatchForm),
                                     {"locality": "North", "limit": "5", "batch_key": new_submission_key()}))
