"""Telecare pages: the installer's day (mobile-first, HTMX taps that also work as plain posts),
and the coordinators' jobs list, job page, planner, connections, switchover and line register."""

import csv
import io
import uuid
from datetime import date, timedelta

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.auth.models import User
from portal.auth.roles import ADMIN, MANAGER, TELECARE_INSTALLER, TRIAGE_OFFICER
from portal.errors import NotFound, PortalError
from portal.extensions import db
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.telecare import bp, services
from portal.telecare.forms import BatchForm, CancelForm, JobForm, ScheduleForm
from portal.telecare.models import JOB_STATES, JOB_TYPES, LINE_TYPES, STEPS, Job
from portal.web.htmx import is_partial, render_page
from portal.web.security import has_role, staff

INSTALLERS = (TELECARE_INSTALLER,)
COORDINATORS = (TRIAGE_OFFICER, MANAGER, ADMIN)



def _coordinator() -> bool:
    return has_role(current_user, COORDINATORS)


def _visit() -> int | None:
    raw = request.form.get("visit", "")
    return int(raw) if raw.isdigit() else None


# ---------------------------------------------------------------- the installer's day

def _card_response(job_id: int, error: str | None = None, status: int = 200):
    """HTMX: the job card alone (swapped in place). A plain post: PRG back to today's list."""
    if is_partial():
        job = services.job_for_installer(db.session, current_user, job_id)
        c = services.card(db.session, job, current_user)
        return render_page("telecare/card.html", "card", status=status, c=c, error=error, line_types=LINE_TYPES,
                           steps=STEPS)
    if error:
        flash(error, "error")
    return redirect(url_for("telecare.today") + f"#job-{job_id}", 303)


def _tap(job_id: int, action):
    """Run one installer action on one of the installer's own jobs, commit, return the card."""
    services.job_for_installer(db.session, current_user, job_id)  # another installer's job: 404
    try:
        message = action()
    except NotFound:
        raise
    except PortalError as exc:
        db.session.rollback()
        return _card_response(job_id, exc.message, 409 if exc.status == 409 else 422)
    db.session.commit()
    if message and not is_partial():
        flash(message, "success")
    return _card_response(job_id)


@bp.get("/today")
@staff(*INSTALLERS)
def today():
    day = services.today()
    jobs = services.day_jobs(db.session, current_user.id, day)
    cards = [services.card(db.session, job, current_user) for job in jobs]
    return render_template("telecare/today.html", cards=cards, day=day, line_types=LINE_TYPES, steps=STEPS,
                           error=None)


@bp.post("/jobs/<int:job_id>/steps/<step>")
@staff(*INSTALLERS)
def step(job_id: int, step: str):
    if step not in STEPS:
        abort(404)
    details: dict = {}
    if step == "responders_confirmed":
        details = {"responders": [{"name": request.form.get(f"responder_{i}_name", ""),
                                   "phone": request.form.get(f"responder_{i}_phone", ""),
                                   "relationship": request.form.get(f"responder_{i}_relationship", "")}
                                  for i in (1, 2)],
                   "service": request.form.get("service") == "yes"}
    elif step == "key_safe_checked":
        present = request.form.get("present")
        details = {"present": {"yes": True, "no": False}.get(present), "location": request.form.get("location", "")}

    def action():
        if step == "completed":
            services.complete_job(db.session, current_user, job_id, line_type=request.form.get("line_type"),
                                  telephone=request.form.get("telephone"), provider=request.form.get("provider"),
                                  visit=_visit())
            return f"Job {job_id} completed."
        if step == "no_access":
            services.no_access(db.session, current_user, job_id, request.form.get("reason", ""), visit=_visit())
            return f"Job {job_id} marked as no access. The coordinator will rebook it."
        if step == "failed":
            services.fail_job(db.session, current_user, job_id, request.form.get("reason", ""), visit=_visit())
            return f"Job {job_id} marked as failed. The coordinator will rebook it."
        services.record_step(db.session, current_user, job_id, step, details, visit=_visit())
        return f"{STEPS[step]}: saved."

    return _tap(job_id, action)


@bp.post("/jobs/<int:job_id>/devices")
@staff(*INSTALLERS)
def fit(job_id: int):
    tag = request.form.get("tag", "")

    def action():
        asset, created = services.fit_device(db.session, current_user, job_id, tag, visit=_visit())
        return f"Device {asset.asset_tag} fitted." if created else f"Device {asset.asset_tag} was already fitted."

    return _tap(job_id, action)


# ---------------------------------------------------------------- coordinators: jobs

@bp.get("/")
@staff(*COORDINATORS)
def jobs():
    state = request.args.get("state", "")
    job_type = request.args.get("type", "")
    installer_id = request.args.get("installer", type=int)
    overdue = request.args.get("overdue") == "yes"
    rows = services.list_jobs(db.session, state=state if state in JOB_STATES else None,
                              job_type=job_type if job_type in JOB_TYPES else None,
                              installer_id=installer_id, overdue=overdue)
    return render_page("telecare/jobs.html", "results", rows=rows, state=state, job_type=job_type,
                       installer_id=installer_id, overdue=overdue, states=JOB_STATES, types=JOB_TYPES,
                       installers=services.installers(db.session), today=services.today())


@bp.route("/jobs/new", methods=["GET", "POST"])
@staff(*COORDINATORS)
def new_job():
    person_id = request.args.get("person", type=int)
    person = db.session.get(Person, person_id) if person_id else None
    if person is None:
        q = (request.args.get("q") or "").strip()[:100]
        found = []
        if q:
            like = f"%{q.lower()}%"
            found = list(db.session.scalars(select(Person).where(or_(
                func.lower(Person.family_name).like(like), func.lower(Person.given_name).like(like),
                func.lower(Person.postcode).like(like))).order_by(Person.family_name, Person.given_name).limit(25)))
        return render_template("telecare/find_person.html", q=q, found=found)
    form = JobForm()
    referrals = db.session.execute(select(Referral.id, Referral.reference).where(Referral.person_id == person.id)
                                   .order_by(Referral.received_at.desc())).all()
    form.referral_id.choices = [("", "No referral")] + [(r.id, r.reference) for r in referrals]
    if request.method == "GET":
        form.submission_key.data = str(uuid.uuid4())
        if request.args.get("referral", type=int) in {r.id for r in referrals}:
            form.referral_id.data = request.args.get("referral", type=int)
    if form.validate_on_submit():
        try:
            job, created = services.create_job(
                db.session, current_user, person_id=person.id, job_type=form.job_type.data,
                priority=form.priority.data, referral_id=form.referral_id.data, access_notes=form.access_notes.data,
                to_fit=form.to_fit.data, submission_key=form.submission_key.data or None)
        except PortalError as exc:
            db.session.rollback()
            form.job_type.errors = list(form.job_type.errors) + [exc.message]
        else:
            db.session.commit()
            if created:
                flash(f"Job {job.id} requested. Due by {job.due_date.strftime('%-d %B %Y')}.", "success")
            return redirect(url_for("telecare.job", job_id=job.id), 303)
    return render_template("telecare/job_new.html", form=form, person=person)


def _schedule_form(job: Job, form: ScheduleForm | None = None) -> ScheduleForm:
    form = form or ScheduleForm(formdata=None)
    form.installer_id.choices = [("", "Select an installer")] + [(u.id, u.name) for u in
                                                                 services.installers(db.session)]
    if form.version.data in (None, ""):
        form.version.data = job.version
    return form


@bp.get("/jobs/<int:job_id>")
@staff(*INSTALLERS, *COORDINATORS)
def job(job_id: int):
    if not _coordinator():
        try:
            own = services.job_for_installer(db.session, current_user, job_id)
        except NotFound:
            abort(404)
        return render_page("telecare/card.html", "card", c=services.card(db.session, own, current_user),
                           error=None, line_types=LINE_TYPES, steps=STEPS)
    try:
        job = services.get_job(db.session, job_id)
    except NotFound:
        abort(404)
    schedule = _schedule_form(job)
    if job.scheduled_date:
        schedule.on.data = job.scheduled_date
        schedule.installer_id.data = job.installer_id
        schedule.route_order.data = job.route_order
        if job.slot in ("am", "pm", "eve"):
            schedule.slot.data = job.slot
        else:
            schedule.start_time.data = job.slot
    return _job_page(job, schedule, CancelForm(formdata=None, version=job.version))


def _job_page(job: Job, schedule: ScheduleForm, cancel: CancelForm, status: int = 200):
    steps = sorted(job.steps, key=lambda s: (s.visit, s.id))
    installer = db.session.get(User, job.installer_id) if job.installer_id else None
    return make_response(render_template(
        "telecare/job.html", job=job, steps=steps, schedule=schedule, cancel=cancel, installer=installer,
        devices=services.fitted_devices(db.session, job), missing=services.missing_steps(db.session, job),
        today=services.today(), step_labels=STEPS), status)


@bp.post("/jobs/<int:job_id>/schedule")
@staff(*COORDINATORS)
def schedule(job_id: int):
    job = services.get_job(db.session, job_id)
    form = _schedule_form(job, ScheduleForm())
    if form.validate_on_submit():
        slot = (form.start_time.data or "").strip() or form.slot.data
        try:
            services.schedule_job(db.session, current_user, job_id, on=form.on.data, slot=slot,
                                  installer_id=form.installer_id.data, route_order=form.route_order.data,
                                  expected_version=form.version.data or None)
        except PortalError as exc:
            if exc.status == 409:
                raise
            db.session.rollback()
            form.slot.errors = list(form.slot.errors) + [exc.message]
        else:
            db.session.commit()
            flash("Visit scheduled.", "success")
            return redirect(url_for("telecare.job", job_id=job_id), 303)
    job = services.get_job(db.session, job_id)
    return _job_page(job, form, CancelForm(formdata=None, version=job.version), 422)


@bp.post("/jobs/<int:job_id>/cancel")
@staff(*COORDINATORS)
def cancel(job_id: int):
    job = services.get_job(db.session, job_id)
    form = CancelForm()
    if form.validate_on_submit():
        services.cancel_job(db.session, current_user, job_id, form.reason.data,
                            expected_version=form.version.data or None)
        db.session.commit()
        flash(f"Job {job_id} cancelled.", "success")
        return redirect(url_for("telecare.job", job_id=job_id), 303)
    return _job_page(job, _schedule_form(job), form, 422)


@bp.get("/planner")
@staff(*COORDINATORS)
def planner():
    raw = request.args.get("week", "")
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        start = services.today()
    start = start - timedelta(days=start.weekday())
    plan = services.planner(db.session, start)
    return render_page("telecare/planner.html", "grid", plan=plan, start=start,
                       previous=start - timedelta(days=7), following=start + timedelta(days=7),
                       today=services.today())


# ---------------------------------------------------------------- connections, switchover, line register

@bp.get("/people/<int:person_id>/connection")
@staff(*INSTALLERS, *COORDINATORS)
def connection(person_id: int):
    if not _coordinator() and not services.installer_may_see_person(db.session, current_user, person_id):
        abort(404)
    try:
        conn = services.view_connection(db.session, current_user, person_id)
    except NotFound:
        abort(404)
    person = db.session.get(Person, person_id)
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
        form.batch_key.data = str(uuid.uuid4())
    if form.validate_on_submit():
        try:
            created = services.create_switchover_batch(db.session, current_user, form.locality.data, form.limit.data,
                                                       batch_key=form.batch_key.data or None)
        except (PortalError, ValueError) as exc:
            db.session.rollback()
            form.locality.errors = list(form.locality.errors) + [getattr(exc, "message", "Try again.")]
        else:
            db.session.commit()
            flash(f"{created} switchover job{'s' if created != 1 else ''} created for {form.locality.data}.",
                  "success")
            return redirect(url_for("telecare.switchover"), 303)
    since = services.today().replace(day=1) - timedelta(days=540)
    progress = services.switchover_progress(db.session, since)
    total = sum(r["analogue"] for r in rows)
    return make_response(render_template("telecare/switchover.html", rows=rows, form=form, progress=progress,
                                         total=total, peak=max([p["completed"] for p in progress] or [1])),
                         422 if form.errors else 200)


@bp.get("/line-register.csv")
@staff(MANAGER, ADMIN, TRIAGE_OFFICER)
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
    resp.headers["Content-Disposition"] = f"attachment; filename=telecare-line-register-{services.today()}.csv"
    return resp


def _cell(value) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
