"""The coordinators' jobs: the jobs list (the list pattern), requesting a job, the job's record page,
booking its visit, and cancelling it (a decision with a check step)."""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.auth.models import User
from portal.errors import Refusal
from portal.extensions import db
from portal.people.access import access_to, access_to_each, person_view_for, person_views_for
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.sql import new_submission_key
from portal.telecare import bp, services
from portal.telecare.forms import CancelForm, JobForm, ScheduleForm
from portal.telecare.models import JOB_STATES, JOB_TYPES, Job
from portal.telecare.services import COORDINATORS, INSTALLERS
from portal.telecare.views._shared import _card_page, _coordinator, _people, _person, _refused
from portal.timeutil import utcnow
from portal.web.decisions import CHECK, CONFIRMED, decision_step, hidden_answers
from portal.web.forms import refuse
from portal.web.htmx import render_page
from portal.web.ids import id_arg
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import staff


def job_list() -> ListSpec:
    """The coordinators' jobs list: its filters (all in the URL) and its sortable columns."""
    return ListSpec(
        endpoint="telecare.jobs", singular=_("job"), plural=_("jobs"),
        default_order_label=_("open jobs first, earliest target date first"),
        filters=(
            Filter("q", _("Search"), kind="search", hint=_("Job number, name or postcode")),
            Filter("type", _("Type of job"), tuple(JOB_TYPES.items())),
            Filter("state", _("State"), tuple(JOB_STATES.items())),
            Filter("installer", _("Installer"), tuple((str(u.id), u.name) for u in services.installers(db.session))),
            Filter("visit", _("Visit"), tuple(services.VISITS.items())),
            Filter("overdue", _("Overdue only"), kind="check", hint=_("Open jobs past their target date")),
        ),
        columns=(
            Column("job", _("Job")), Column("person", _("Person")), Column("type", _("Type")),
            Column("state", _("State")), Column("due", _("Target date")), Column("visit", _("Visit")),
            Column("installer", _("Installer")),
        ),
    )


def _filters_from(view) -> services.JobFilters:
    installer = view.get("installer")
    return services.JobFilters(search=view.get("q"), state=view.get("state") or None,
                               job_type=view.get("type") or None, installer_id=int(installer) if installer else None,
                               visit=view.get("visit") or None, overdue=view.get("overdue") == "yes")


@bp.get("/")
@staff(*COORDINATORS)
def jobs():
    view = job_list().read(request.args)
    page = services.jobs_page(db.session, _filters_from(view), page=view.page, sort=view.sort,
                              descending=view.descending)
    now = utcnow()
    people = _people(page.items)
    installer_ids = {j.installer_id for j in page.items if j.installer_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(installer_ids))).all())
    resp = render_page("telecare/jobs.html", "list", view=view, page=page, people=people, installer_names=names,
                       clocks={j.id: services.due_clock(j, now) for j in page.items},
                       job_href=url_for("telecare.job", job_id=0)[:-1])
    db.session.commit()  # the views' audit rows; after rendering, so the listed jobs are not read again
    return resp


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
    form.referral_id.choices = [("", _("No referral"))] + [(r.id, r.reference) for r in referrals]
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
                flash(_("Job %(number)s requested. Due by %(due)s.", number=job.id,
                        due=job.due_date.strftime("%-d %B %Y")), "success")
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
    ids = list(ids)
    parts = access_to_each(db.session, current_user, ids)
    shown = [person_id for person_id in ids if parts[person_id]][:limit]
    found = list(person_views_for(db.session, current_user, shown, "telecare person search").values())
    db.session.commit()
    return found


# ---------------------------------------------------------------- the job's record page

@bp.get("/jobs/<int:job_id>")
@staff(*INSTALLERS, *COORDINATORS)
def job(job_id: int):
    """The coordinator's record of a job; an installer gets their job card instead."""
    if not _coordinator():
        return _card_page(services.job_for_installer(db.session, current_user, job_id))
    job = services.get_job(db.session, job_id)
    installer = db.session.get(User, job.installer_id) if job.installer_id else None
    person = _person(job)
    history = services.job_history(db.session, job)
    db.session.commit()
    return render_template(
        "telecare/job.html", job=job, person=person, installer=installer, history=history,
        devices=services.fitted_devices(db.session, job), allowed=services.allowed_actions(current_user, job),
        due=services.due_clock(job), visit=services.visit_clock(job))


def _schedule_form(job: Job, form: ScheduleForm | None = None) -> ScheduleForm:
    """The schedule form: the one posted, or a fresh one showing the visit as it is booked now."""
    if form is None:
        form = ScheduleForm(formdata=None, version=job.version, on=job.scheduled_date,
                            installer_id=job.installer_id, route_order=job.route_order)
        if job.slot in ("am", "pm", "eve"):
            form.slot.data = job.slot
        elif job.slot:
            form.start_time.data = job.slot
    form.installer_id.choices = [("", _("Select an installer"))] + [(u.id, u.name) for u in
                                                                 services.installers(db.session)]
    return form


def _action_page(template: str, job: Job, status: int = 200, **ctx):
    person = _person(job)
    db.session.commit()
    return make_response(render_template(template, job=job, person=person,
                                         allowed=services.allowed_actions(current_user, job), **ctx), status)


@bp.route("/jobs/<int:job_id>/schedule", methods=["GET", "POST"])
@staff(*COORDINATORS)
def schedule(job_id: int):
    """Book (or rebook) the visit: its own page, back to the job when saved."""
    job = services.get_job(db.session, job_id)
    if request.method == "GET":
        return _action_page("telecare/schedule.html", job, form=_schedule_form(job), clash=None)
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
            flash(_("Visit scheduled."), "success")
            return redirect(url_for("telecare.job", job_id=job_id), 303)
    job = services.get_job(db.session, job_id)
    return _action_page("telecare/schedule.html", job, 422, form=form, clash=clash)


@bp.route("/jobs/<int:job_id>/cancel", methods=["GET", "POST"])
@staff(*COORDINATORS)
def cancel(job_id: int):
    """Cancel a job: the reason, then a check page; only a confirmed post cancels it."""
    job = services.get_job(db.session, job_id)
    form = CancelForm() if request.method == "POST" else CancelForm(formdata=None, version=job.version)
    step = decision_step(form)
    if step == CHECK and "cancel" not in services.allowed_actions(current_user, job):
        step = CONFIRMED  # no longer open: the service refuses it (with its reason) before any check page
    if step == CONFIRMED:
        try:
            services.cancel_job(db.session, current_user, job_id, form.reason.data,
                                expected_version=form.version.data)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Job %(number)s cancelled.", number=job_id), "success")
            return redirect(url_for("telecare.job", job_id=job_id), 303)
    elif step == CHECK:
        person = _person(job)
        db.session.commit()
        return render_template(
            "web/decision_check.html", form=form, decision="Cancel the job", person=person,
            caption=f"Telecare job {job.id}: {job.type_label.lower()}",
            rows=[("Job", f"{job.id}: {job.type_label}"), ("State now", job.state_label),
                  ("Reason for cancelling", form.reason.data)],
            consequence=(_("The job will be closed as cancelled and taken off the installer's diary and the "
                         "planner. To do the work later, request a new job.")),
            warning=_("A cancelled job cannot be reopened."), destructive=True, confirm_text="Cancel the job",
            action=url_for("telecare.cancel", job_id=job.id), back_url=url_for("telecare.job", job_id=job.id),
            hidden=hidden_answers(form))
    job = services.get_job(db.session, job_id)
    return _action_page("telecare/cancel.html", job, 422 if form.errors else 200, form=form)
