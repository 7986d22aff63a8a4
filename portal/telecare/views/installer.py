"""The installer's day (mobile-first): today's visits as job cards, and each tap on a card. HTMX
swaps the card in place; each tap also works as a plain post."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import Refusal
from portal.extensions import db
from portal.telecare import bp, services
from portal.telecare.forms import (
    CompleteForm,
    FitForm,
    KeySafeForm,
    ReasonForm,
    RespondersForm,
    TapForm,
)
from portal.telecare.models import LINE_TYPES, STEPS
from portal.telecare.services import INSTALLERS
from portal.telecare.views._shared import _card, _card_page, _people
from portal.timeutil import today as london_today
from portal.web.forms import refuse
from portal.web.htmx import is_partial
from portal.web.security import staff


def _tap(job_id: int, action: str, form_class, run, id_infix: str = ""):
    """One installer action on one of the installer's own jobs (any other job is not found).

    `run(form)` calls the service and returns the message for a plain post. A refusal shows the
    same card again with the message on its field and what was typed still in the inputs.
    """
    job = services.job_for_installer(db.session, current_user, job_id)
    form = form_class()
    for field in form:  # the ids the card gives its inputs, so the error summary links to them
        field.id = f"{field.name}-{id_infix}-{job_id}" if id_infix else f"{field.name}-{job_id}"
    if form.validate_on_submit():
        try:
            message = run(form)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            if is_partial():
                return _card_page(job)
            flash(message, "success")
            if job.scheduled_date == london_today():
                return redirect(url_for("telecare.today") + f"#job-{job_id}", 303)
            return redirect(url_for("telecare.job", job_id=job_id), 303)
    job = services.job_for_installer(db.session, current_user, job_id)
    return _card_page(job, 422, posted={"job": job_id, "action": action, "form": form})


def _step(job_id: int, step: str, form_class=TapForm, details=None):
    def run(form):
        _step, created = services.record_step(db.session, current_user, job_id, step,
                                          details(form) if details else None, visit=form.visit.data)
        return f"{STEPS[step]}: saved." if created else f"{STEPS[step]} was already saved."

    return _tap(job_id, step, form_class, run)


@bp.get("/today")
@staff(*INSTALLERS)
def today():
    day = london_today()
    jobs = services.day_jobs(db.session, current_user.id, day)
    people = _people(jobs)
    cards = [_card(job, people) for job in jobs]
    html = render_template("telecare/today.html", cards=cards, day=day, line_types=LINE_TYPES, steps=STEPS,
                           posted=None, partial=False)
    db.session.commit()  # the views' audit rows; after rendering, so the cards' jobs are not read again
    return html


@bp.post("/jobs/<int:job_id>/steps/arrived")
@staff(*INSTALLERS)
def arrived(job_id: int):
    return _step(job_id, "arrived")


@bp.post("/jobs/<int:job_id>/devices")
@staff(*INSTALLERS)
def fit(job_id: int):
    def run(form):
        asset, created = services.fit_device(db.session, current_user, job_id, form.tag.data or "",
                                             visit=form.visit.data)
        return (_("Device %(tag)s fitted.", tag=asset.asset_tag) if created
                else _("Device %(tag)s was already fitted.", tag=asset.asset_tag))

    return _tap(job_id, "fit", FitForm, run)


@bp.post("/jobs/<int:job_id>/steps/devices_fitted")
@staff(*INSTALLERS)
def devices_fitted(job_id: int):
    return _step(job_id, "devices_fitted")


@bp.post("/jobs/<int:job_id>/steps/devices_fitted/reopen")
@staff(*INSTALLERS)
def reopen_devices(job_id: int):
    def run(form):
        services.reopen_devices(db.session, current_user, job_id, form.reason.data, visit=form.visit.data)
        return _("All devices fitted reopened: fit the other devices, then make the test call again.")

    return _tap(job_id, "reopen_devices", ReasonForm, run, id_infix="reopen")


@bp.post("/jobs/<int:job_id>/steps/test_call_passed")
@staff(*INSTALLERS)
def test_call_passed(job_id: int):
    return _step(job_id, "test_call_passed")


@bp.post("/jobs/<int:job_id>/steps/consent_confirmed")
@staff(*INSTALLERS)
def consent_confirmed(job_id: int):
    return _step(job_id, "consent_confirmed")


@bp.post("/jobs/<int:job_id>/steps/responders_confirmed")
@staff(*INSTALLERS)
def responders_confirmed(job_id: int):
    return _step(job_id, "responders_confirmed", RespondersForm, lambda form: form.details())


@bp.post("/jobs/<int:job_id>/steps/smoke_heat_checked")
@staff(*INSTALLERS)
def smoke_heat_checked(job_id: int):
    return _step(job_id, "smoke_heat_checked")


@bp.post("/jobs/<int:job_id>/steps/key_safe_checked")
@staff(*INSTALLERS)
def key_safe_checked(job_id: int):
    return _step(job_id, "key_safe_checked", KeySafeForm, lambda form: form.details())


@bp.post("/jobs/<int:job_id>/steps/completed")
@staff(*INSTALLERS)
def completed(job_id: int):
    def run(form):
        job, created = services.complete_job(db.session, current_user, job_id, line_type=form.line_type.data,
                                             telephone=form.telephone.data, provider=form.provider.data,
                                             visit=form.visit.data)
        if not created:
            return _("Job %(number)s was already completed.", number=job_id)
        connection = services.connection_for(db.session, job.person_id)
        if job.job_type == "new_install" and connection is not None and connection.line_type == "analogue":
            return _("Job %(number)s completed. The alarm is on an analogue line, which stops working at the "
                     "digital switchover: it has joined the switchover plan.", number=job_id)
        return _("Job %(number)s completed.", number=job_id)

    return _tap(job_id, "completed", CompleteForm, run)


@bp.post("/jobs/<int:job_id>/steps/no_access")
@staff(*INSTALLERS)
def no_access(job_id: int):
    def run(form):
        services.no_access(db.session, current_user, job_id, form.reason.data, visit=form.visit.data)
        return _("Job %(number)s marked as no access. The coordinator will rebook it.", number=job_id)

    return _tap(job_id, "no_access", ReasonForm, run)


@bp.post("/jobs/<int:job_id>/steps/failed")
@staff(*INSTALLERS)
def failed(job_id: int):
    def run(form):
        services.fail_job(db.session, current_user, job_id, form.reason.data, visit=form.visit.data)
        return f"Job {job_id} marked as failed. The coordinator will rebook it."

    return _tap(job_id, "failed", ReasonForm, run, id_infix="failed")

