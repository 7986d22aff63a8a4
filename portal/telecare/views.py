"""Telecare pages: the installer's day (mobile-first, HTMX taps that also work as plain posts),
and the coordinators' jobs list, job page, planner, connections, switchover and line register.

A person is shown only through `person_view_for` (the part of the record this member of staff may
see from their current work, audited as a view); a connection or a new job for someone the user
may not see is "not found" and recorded as a refused request.

Every action on a job has its own route (the endpoint name is the action `allowed_actions` names)
with its own role rule. A refusal comes back on the same card or page, on the field it names, with
every answer kept; only a real version clash says "changed by someone else".
"""

import csv
import io
from datetime import date, timedelta

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.auth.models import User
from portal.errors import NotFound, Refusal
from portal.extensions import db
from portal.people.access import TELECARE, access_to, person_view_for, record_refusal
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.sql import new_submission_key
from portal.telecare import bp, services
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
from portal.telecare.models import JOB_STATES, JOB_TYPES, LINE_TYPES, SLOTS, STEPS, Job
from portal.telecare.services import COORDINATORS, INSTALLERS
from portal.timeutil import today as london_today
from portal.timeutil import utcnow
from portal.web.forms import refuse
from portal.web.htmx import is_partial, render_page
from portal.web.ids import id_arg
from portal.web.security import has_role, staff


def _coordinator() -> bool:
    return has_role(current_user, COORDINATORS)


def _person(job: Job):
    """The part of the job's person this user may see (None: nothing), audited as a view."""
    return person_view_for(db.session, current_user, job.person_id, f"telecare job {job.id}")


def _people(jobs) -> dict:
    """Each listed job's person as this user may see them: one view (and one audit row) a person."""
    views: dict = {}
    for job in jobs:
        if job.person_id not in views:
            views[job.person_id] = _person(job)
    return views


def _refused(person_id: int):
    record_refusal(db.session, current_user, request.endpoint, "person", person_id)
    db.session.commit()
    return NotFound("There is no one with that id in your work.")


def _card(job: Job) -> dict:
    """The job card with the person as this user may see them; the key safe only with their part."""
    c = services.card(db.session, job, current_user)
    c["person"] = _person(job)
    if c["person"] is None or not c["person"].may_see(TELECARE):
        c["key_safe"] = None
    return c


# ---------------------------------------------------------------- the installer's day

def _card_page(job: Job, status: int = 200, posted: dict | None = None):
    """The job card: alone for HTMX (swapped in place), else on its own page."""
    c = _card(job)
    db.session.commit()
    return render_page("telecare/card.html", "card", status=status, c=c, posted=posted, partial=is_partial(),
                       line_types=LINE_TYPES, steps=STEPS)


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
        _, created = services.record_step(db.session, current_user, job_id, step,
                                          details(form) if details else None, visit=form.visit.data)
        return f"{STEPS[step]}: saved." if created else f"{STEPS[step]} was already saved."

    return _tap(job_id, step, form_class, run)


@bp.get("/today")
@staff(*INSTALLERS)
def today():
    day = london_today()
    jobs = services.day_jobs(db.session, current_user.id, day)
    cards = [_card(job) for job in jobs]
    db.session.commit()
    return render_template("telecare/today.html", cards=cards, day=day, line_types=LINE_TYPES, steps=STEPS,
                           posted=None, partial=False)


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
        return f"Device {asset.asset_tag} fitted." if created else f"Device {asset.asset_tag} was already fitted."

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
        return "All devices fitted reopened: fit the other devices, then make the test call again."

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
            return f"Job {job_id} was already completed."
        connection = services.connection_for(db.session, job.person_id)
        if job.job_type == "new_install" and connection is not None and connection.line_type == "analogue":
            return (f"Job {job_id} completed. The alarm is on an analogue line, which stops working at the "
                    "digital switchover: it has joined the switchover plan.")
        return f"Job {job_id} completed."

    return _tap(job_id, "completed", CompleteForm, run)


@bp.post("/jobs/<int:job_id>/steps/no_access")
@staff(*INSTALLERS)
def no_access(job_id: int):
    def run(form):
        services.no_access(db.session, current_user, job_id, form.reason.data, visit=form.visit.data)
        return f"Job {job_id} marked as no access. The coordinator will rebook it."

    return _tap(job_id, "no_access", ReasonForm, run)


@bp.post("/jobs/<int:job_id>/steps/failed")
@staff(*INSTALLERS)
def failed(job_id: int):
    def run(form):
        services.fail_job(db.session, current_user, job_id, form.reason.data, visit=form.visit.data)
        return f"Job {job_id} marked as failed. The coordinator will rebook it."

    return _tap(job_id, "failed", ReasonForm, run, id_infix="failed")


# ---------------------------------------------------------------- coordinators: jobs

@bp.get("/")
@staff(*COORDINATORS)
def jobs():
    state = request.args.get("state", "")
    job_type = request.args.get("type", "")
    installer_id = id_arg("installer")
    overdue = request.args.get("overdue") == "yes"
    rows = services.list_jobs(db.session, state=state if state in JOB_STATES else None,
                              job_type=job_type if job_type in JOB_TYPES else None,
                              installer_id=installer_id, overdue=overdue)
    now = utcnow()
    people = _people(rows)
    db.session.commit()
    return render_page("telecare/jobs.html", "results", rows=rows, people=people, state=state, job_type=job_type,
                       installer_id=installer_id, overdue=overdue, states=JOB_STATES, types=JOB_TYPES,
                       installers=services.installers(db.session),
                       clocks={j.id: services.due_clock(j, now) for j in rows})


@bp.route("/jobs/new", methods=["GET", "POST"])
@staff(*COORDINATORS)
def new_job():
    person_id = id_arg("person")
    if person_id is None or db.session.get(Person, person_id) is None:
        q = (request.args.get("q") or "").strip()[:100]
        return render_template("telecare/find_person.html", q=q, found=_find_people(q))
    if not access_to(db.session, current_user, person_id):
        raise _refused(person_id)
    person = person_view_for(db.session, current_user, person_id, "new telecare job")
    form = JobForm()
    referrals = db.session.execute(select(Referral.id, Referral.reference).where(Referral.person_id == person.id)
                                   .order_by(Referral.received_at.desc())).all()
    form.referral_id.choices = [("", "No referral")] + [(r.id, r.reference) for r in referrals]
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        if id_arg("referral") in {r.id for r in referrals}:
            form.referral_id.data = id_arg("referral")
    existing = None  # the open job a duplicate request links to
    if form.validate_on_submit():
        try:
            job, created = services.create_job(
                db.session, current_user, person_id=person.id, job_type=form.job_type.data,
                priority=form.priority.data, referral_id=form.referral_id.data, access_notes=form.access_notes.data,
                to_fit=form.to_fit.data, submission_key=form.submission_key.data or None)
        except Refusal as exc:
            existing = getattr(exc, "job_id", None)
            refuse(form, exc)
        else:
            db.session.commit()
            if created:
                flash(f"Job {job.id} requested. Due by {job.due_date.strftime('%-d %B %Y')}.", "success")
            return redirect(url_for("telecare.job", job_id=job.id), 303)
    return make_response(render_template("telecare/job_new.html", form=form, person=person,
                                         existing=existing), 422 if form.errors else 200)


def _find_people(q: str, limit: int = 25) -> list:
    """People matching a name or postcode whom this user may see (from their work), as views."""
    if not q:
        return []
    like = f"%{q.lower()}%"
    ids = db.session.scalars(select(Person.id).where(or_(
        func.lower(Person.family_name).like(like), func.lower(Person.given_name).like(like),
        func.lower(Person.postcode).like(like))).order_by(Person.family_name, Person.given_name, Person.id)
        .limit(500))
    found = []
    for person_id in ids:
        if access_to(db.session, current_user, person_id):
            found.append(person_view_for(db.session, current_user, person_id, "telecare person search"))
            if len(found) == limit:
                break
    db.session.commit()
    return found


def _schedule_form(job: Job, form: ScheduleForm | None = None) -> ScheduleForm:
    """The schedule form: the one posted, or a fresh one showing the visit as it is booked now."""
    if form is None:
        form = ScheduleForm(formdata=None, version=job.version, on=job.scheduled_date,
                            installer_id=job.installer_id, route_order=job.route_order)
        if job.slot in ("am", "pm", "eve"):
            form.slot.data = job.slot
        elif job.slot:
            form.start_time.data = job.slot
    form.installer_id.choices = [("", "Select an installer")] + [(u.id, u.name) for u in
                                                                 services.installers(db.session)]
    return form


def _job_page(job: Job, schedule: ScheduleForm, cancel: CancelForm, status: int = 200, clash: int | None = None):
    steps = sorted(job.steps, key=lambda s: (s.visit, s.id))
    installer = db.session.get(User, job.installer_id) if job.installer_id else None
    person = _person(job)
    db.session.commit()
    return make_response(render_template(
        "telecare/job.html", job=job, person=person, steps=steps, schedule=schedule, cancel=cancel, installer=installer,
        devices=services.fitted_devices(db.session, job), allowed=services.allowed_actions(current_user, job),
        due=services.due_clock(job), visit=services.visit_clock(job), clash=clash), status)


@bp.get("/jobs/<int:job_id>")
@staff(*INSTALLERS, *COORDINATORS)
def job(job_id: int):
    if not _coordinator():
        return _card_page(services.job_for_installer(db.session, current_user, job_id))
    job = services.get_job(db.session, job_id)
    return _job_page(job, _schedule_form(job), CancelForm(formdata=None, version=job.version))


@bp.post("/jobs/<int:job_id>/schedule")
@staff(*COORDINATORS)
def schedule(job_id: int):
    job = services.get_job(db.session, job_id)
    form = _schedule_form(job, ScheduleForm())
    clash = None  # the visit this booking overlaps
    if form.validate_on_submit():
        start_time = (form.start_time.data or "").strip()
        try:
            services.schedule_job(db.session, current_user, job_id, on=form.on.data, slot=start_time or form.slot.data,
                                  installer_id=form.installer_id.data, route_order=form.route_order.data,
                                  expected_version=form.version.data)
        except Refusal as exc:
            clash = getattr(exc, "job_id", None)
            refuse(form, exc, fields={"slot": "start_time"} if start_time else None)
        else:
            db.session.commit()
            flash("Visit scheduled.", "success")
            return redirect(url_for("telecare.job", job_id=job_id), 303)
    job = services.get_job(db.session, job_id)
    return _job_page(job, form, CancelForm(formdata=None, version=job.version), 422, clash=clash)


@bp.post("/jobs/<int:job_id>/cancel")
@staff(*COORDINATORS)
def cancel(job_id: int):
    services.get_job(db.session, job_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            services.cancel_job(db.session, current_user, job_id, form.reason.data,
                                expected_version=form.version.data)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(f"Job {job_id} cancelled.", "success")
            return redirect(url_for("telecare.job", job_id=job_id), 303)
    job = services.get_job(db.session, job_id)
    return _job_page(job, _schedule_form(job), form, 422)


@bp.get("/planner")
@staff(*COORDINATORS)
def planner():
    raw = request.args.get("week", "")
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        start = london_today()
    start = start - timedelta(days=start.weekday())
    plan = services.planner(db.session, start)
    people = _people(job for cell in plan["grid"].values() for job in cell)
    db.session.commit()
    return render_page("telecare/planner.html", "grid", plan=plan, people=people, start=start,
                       previous=start - timedelta(days=7), following=start + timedelta(days=7),
                       today=london_today(), slot_names=SLOTS)


# ---------------------------------------------------------------- connections, switchover, line register

@bp.get("/people/<int:person_id>/connection")
@staff(*INSTALLERS, *COORDINATORS)
def connection(person_id: int):
    person = person_view_for(db.session, current_user, person_id, "telecare connection")
    if person is None or not person.may_see(TELECARE):
        raise _refused(person_id)
    conn = services.view_connection(db.session, current_user, person_id)
    devices = services.devices_for_person(db.session, person_id)
    jobs = services.jobs_for_person(db.session, person_id)
    if not _coordinator():
        jobs = [j for j in jobs if j.installer_id == current_user.id]
    db.session.commit()
    return render_template("telecare/connection.html", person=person, conn=conn, devices=devices, jobs=jobs,
                           coordinator=_coordinator())


@bp.route("/switchover", methods=["GET", "POST"])
@staff(*COORDINATORS)
def switchover():
    rows = services.analogue_by_locality(db.session)
    form = BatchForm()
    form.locality.choices = [("", "Select a locality")] + [(r["locality"], f"{r['locality']} ({r['to_book']} "
                                                           "to book)") for r in rows]
    if request.method == "GET":
        form.batch_key.data = new_submission_key()
    if form.validate_on_submit():
        try:
            created = services.create_switchover_batch(db.session, current_user, form.locality.data, form.limit.data,
                                                       batch_key=form.batch_key.data or None)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(f"{created} switchover job{'s' if created != 1 else ''} created for {form.locality.data}.",
                  "success")
            return redirect(url_for("telecare.switchover"), 303)
    since = london_today().replace(day=1) - timedelta(days=540)
    progress = services.switchover_progress(db.session, since)
    total = sum(r["analogue"] for r in rows)
    return make_response(render_template("telecare/switchover.html", rows=rows, form=form, progress=progress,
                                         total=total, peak=max([p["completed"] for p in progress] or [1])),
                         422 if form.errors else 200)


@bp.get("/line-register.csv")
@staff(*COORDINATORS)
def line_register():
    rows = services.export_line_register(db.session, current_user)
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Telephone number", "Provider", "Line type", "Person id", "Person", "Address", "Postcode",
                     "Alarm unit", "Unit serial"])
    for r in rows:
        writer.writerow([_cell(r["telephone"]), _cell(r["provider"]), LINE_TYPES.get(r["line_type"]), r["person_id"],
                         _cell(f"{r['given_name']} {r['family_name']}"), _cell(r["address_line_1"]),
                         _cell(r["postcode"]), _cell(r["unit_model"]), _cell(r["unit_serial"])])
    resp = make_response(out.getvalue())
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = f"attachment; filename=telecare-line-register-{london_today()}.csv"
    return resp


def _cell(value) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
