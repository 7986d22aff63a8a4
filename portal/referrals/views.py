"""Staff side of referrals: the triage queue, a referral, its actions, caseloads, assessments."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.auth.models import User
from portal.auth.roles import ASSESSORS, MANAGER, OCCUPATIONAL_THERAPIST, TRIAGE_OFFICER, TRUSTED_ASSESSOR
from portal.errors import PortalError
from portal.extensions import db
from portal.people import services as people
from portal.referrals import bp, services
from portal.referrals.forms import (
    RECOMMENDATIONS,
    AssessmentForm,
    CloseForm,
    PriorityForm,
    ProfessionalReferralForm,
    ReasonForm,
    ReassignForm,
    RouteForm,
    VersionedForm,
)
from portal.referrals.models import NEEDS, OPEN_STATES, OUTCOMES, PRIORITIES, SOURCES, STATES
from portal.timeutil import utcnow
from portal.web.htmx import hx_redirect, is_partial, render_page
from portal.web.security import background, staff

QUEUE_ROLES = (TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST, MANAGER)



def _filters_from_args() -> services.QueueFilters:
    args = request.args
    state = args.get("state", "open")
    states = list(OPEN_STATES) if state == "open" else ([state] if state in STATES else list(OPEN_STATES))
    return services.QueueFilters(
        states=states,
        priority=args.get("priority") if args.get("priority") in PRIORITIES else None,
        need=args.get("need") if args.get("need") in NEEDS else None,
        source=args.get("source") if args.get("source") in SOURCES else None,
        locality=args.get("locality") if args.get("locality") in current_app.config["LOCALITIES"] else None,
        assigned=args.get("assigned") if args.get("assigned") in ("me", "unassigned") else None,
        overdue=args.get("overdue") == "yes",
        search=args.get("q", "")[:100],
        route=args.get("route") if args.get("route") in ("trusted_assessor", "occupational_therapist") else None,
    )


def _queue_context(filters, cursor=None):
    page = services.queue(db.session, current_user, filters, cursor=cursor)
    args = {k: v for k, v in request.args.items() if k not in ("after",) and v}
    return {
        "page": page, "filters": filters, "args": args, "now": utcnow(), "latest_id": services.latest_id(db.session),
        "states": STATES, "priorities": PRIORITIES, "needs": NEEDS, "sources": SOURCES,
        "localities": current_app.config["LOCALITIES"],
    }


@bp.get("/referrals")
@staff(*QUEUE_ROLES)
def queue():
    filters = _filters_from_args()
    ctx = _queue_context(filters, request.args.get("after"))
    return render_page("referrals/queue.html", "queue_results", **ctx)


@bp.get("/referrals/new-count")
@staff(*QUEUE_ROLES)
@background
def new_count():
    since = request.args.get("since", type=int) or 0
    count = services.newer_than(db.session, current_user, _filters_from_args(), since)
    args = {k: v for k, v in request.args.items() if k not in ("since", "after") and v}
    if not is_partial():  # opened directly (not polled): the queue itself, not a bare fragment
        return redirect(url_for("referrals.queue", **args), 303)
    return render_page("referrals/queue.html", "queue_new_count", count=count, since=since, args=args)


def _render_row_or_page(referral, message: str):
    """After an action: the changed row for an htmx request from the queue, else the referral page."""
    db.session.commit()
    if is_partial() and request.headers.get("HX-Target", "").startswith("referral-row-"):
        return render_template("referrals/_queue_row.html", r=services.QueueRow.of(referral), now=utcnow(),
                               flash_message=message)
    flash(message, "success")
    return hx_redirect(url_for("referrals.detail", referral_id=referral.id))


def _referral(referral_id: int):
    try:
        return services.get_for(db.session, current_user, referral_id)
    except PortalError:
        abort(404)


def _version(form=None) -> int | None:
    raw = form.version.data if form is not None else request.form.get("version")
    return int(raw) if raw and raw.isdigit() else None


@bp.post("/referrals/<int:referral_id>/claim")
@staff(*ASSESSORS)
def claim(referral_id: int):
    referral = _referral(referral_id)
    if not VersionedForm().validate_on_submit():
        abort(400)
    services.claim(db.session, current_user, referral, _version())
    return _render_row_or_page(referral, f"You have claimed {referral.reference}.")


@bp.post("/referrals/<int:referral_id>/first-contact")
@staff(*ASSESSORS)
def first_contact(referral_id: int):
    referral = _referral(referral_id)
    form = ReasonForm()
    form.reason.validators = []
    if not form.validate_on_submit():
        abort(400)
    services.record_first_contact(db.session, current_user, referral, form.reason.data or "", _version())
    return _render_row_or_page(referral, f"First contact recorded for {referral.reference}.")


def _detail_response(referral, status=200, **forms):
    ctx = _detail_context(referral, **forms)
    return render_page("referrals/detail.html", "referral_actions", status=status, **ctx)


def _detail_context(referral, **forms):
    person = referral.person
    return {
        "referral": referral, "person": person, "now": utcnow(),
        "duplicates": people.possible_duplicates(db.session, person) if referral.is_open else [],
        "assessment": services.assessment_for(db.session, referral),
        "history": _history(referral),
        "report": _advice_report(referral),
        "priority_form": forms.get("priority_form") or PriorityForm(
            prefix="priority", version=referral.version,
            priority=referral.priority or referral.suggested_priority),
        "route_form": forms.get("route_form") or RouteForm(prefix="route", version=referral.version),
        "reason_form": forms.get("reason_form") or ReasonForm(version=referral.version),
        "close_form": forms.get("close_form") or CloseForm(prefix="close", version=referral.version),
        "reassign_form": forms.get("reassign_form") or _reassign_form(referral),
        "action_form": VersionedForm(version=referral.version),
        "failed_action": forms.get("failed_action"),
        "outcomes": OUTCOMES, "needs": NEEDS, "sources": SOURCES, "recommendations": RECOMMENDATIONS,
        "can_assess": services._may_assess(current_user, referral),
    }


def _history(referral):
    from portal.audit.services import history

    return history(db.session, "referral", referral.id, limit=50)


def _advice_report(referral):
    if not referral.advice_report_id:
        return None
    from portal.advice.services import report_for_staff

    return report_for_staff(db.session, referral.advice_report_id)


def _reassign_form(referral):
    form = ReassignForm(version=referral.version)
    form.assignee.choices = [("", "Nobody (back to the pool)")] + [
        (str(u.id), f"{u.name} ({', '.join(u.role_labels)})") for u in services.assessors(db.session)]
    form.assignee.data = str(referral.assigned_to_id or "")
    return form


@bp.get("/referrals/<int:referral_id>")
@staff(*QUEUE_ROLES)
def detail(referral_id: int):
    referral = _referral(referral_id)
    people.view_person(db.session, current_user, referral.person_id, purpose=f"referral {referral.reference}")
    db.session.commit()
    return render_page("referrals/detail.html", "referral_actions", **_detail_context(referral))


PREFIXED = ("priority", "route", "close")  # forms that share a page get prefixed field ids
ACTIONS = {
    "priority": PriorityForm,
    "route": RouteForm,
    "decline": ReasonForm,
    "return": ReasonForm,
    "signpost": ReasonForm,
    "pause": ReasonForm,
    "withdraw": ReasonForm,
    "escalate": ReasonForm,
    "close": CloseForm,
}


@bp.post("/referrals/<int:referral_id>/<any(priority, route, decline, return, signpost, pause, withdraw, "
         "escalate, close):action>")
@staff(*ASSESSORS)
def act(referral_id: int, action: str):
    referral = _referral(referral_id)
    form = ACTIONS[action](prefix=action) if action in PREFIXED else ACTIONS[action]()
    if not form.validate_on_submit():
        key = {"priority": "priority_form", "route": "route_form", "close": "close_form"}.get(action, "reason_form")
        return _detail_response(referral, status=422 if is_partial() else 200, **{key: form, "failed_action": action})
    version = _version(form)
    s, user = db.session, current_user
    if action == "priority":
        services.set_priority(s, user, referral, form.priority.data, form.reason.data, version)
        message = f"Priority set to {PRIORITIES[form.priority.data].lower()}."
    elif action == "route":
        services.route(s, user, referral, route_to=form.route_to.data, complex_case=form.complex_case.data == "yes",
                       reason=form.reason.data, version=version,
                       ta_level_required=int(form.ta_level_required.data) if form.ta_level_required.data else None)
        message = "Referral routed for assessment."
    elif action == "decline":
        services.decline(s, user, referral, form.reason.data, version)
        message = "Referral declined."
    elif action == "return":
        services.return_to_referrer(s, user, referral, form.reason.data, version)
        message = "Returned to the referrer for more information. The clock is paused."
    elif action == "signpost":
        services.signpost(s, user, referral, form.reason.data, version)
        message = "Referral closed: signposted."
    elif action == "pause":
        services.pause(s, user, referral, form.reason.data, version)
        message = "The clock is paused."
    elif action == "withdraw":
        services.withdraw(s, user, referral, form.reason.data, version)
        message = "Referral withdrawn."
    elif action == "escalate":
        services.escalate_to_ot(s, user, referral, form.reason.data, version)
        message = "Escalated to an occupational therapist."
    else:
        services.close(s, user, referral, form.outcome.data, form.reason.data or "", version)
        message = "Referral closed."
    return _render_row_or_page(referral, message)


@bp.post("/referrals/<int:referral_id>/resume")
@staff(*ASSESSORS)
def resume(referral_id: int):
    referral = _referral(referral_id)
    if not VersionedForm().validate_on_submit():
        abort(400)
    services.resume(db.session, current_user, referral, _version())
    return _render_row_or_page(referral, "The clock has restarted.")


@bp.post("/referrals/<int:referral_id>/reassign")
@staff(TRIAGE_OFFICER, OCCUPATIONAL_THERAPIST, MANAGER)
def reassign(referral_id: int):
    referral = _referral(referral_id)
    form = _reassign_form(referral)
    form.process(request.form)
    form.assignee.choices = _reassign_form(referral).assignee.choices
    if not form.validate_on_submit():
        abort(400)
    assignee = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
    services.reassign(db.session, current_user, referral, assignee, _version())
    return _render_row_or_page(referral, "Referral reassigned.")


@bp.post("/referrals/<int:referral_id>/link-person")
@staff(TRIAGE_OFFICER)
def link_person(referral_id: int):
    referral = _referral(referral_id)
    if not VersionedForm().validate_on_submit():
        abort(400)
    person_id = request.form.get("person_id", type=int)
    if not person_id:
        abort(400)
    services.link_person(db.session, current_user, referral, person_id, _version())
    return _render_row_or_page(referral, "Referral linked to the existing record.")


@bp.route("/referrals/new", methods=["GET", "POST"])
@staff(TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
def new():
    form = ProfessionalReferralForm()
    form.locality.choices = [("", "Not known")] + [(x, x) for x in current_app.config["LOCALITIES"]]
    if request.method == "GET":
        form.submission_key.data = services.new_submission_key()
    if form.validate_on_submit():
        existing = services.find_by_submission_key(db.session, form.submission_key.data or "")
        if existing is not None:
            return redirect(url_for("referrals.detail", referral_id=existing.id), 303)
        person = people.find_by_nhs_number(db.session, form.nhs_number.data) or people.create_person(
            db.session, current_user, given_name=form.given_name.data, family_name=form.family_name.data,
            date_of_birth=form.date_of_birth.data, address_line_1=form.address_line_1.data,
            town=form.town.data, postcode=form.postcode.data, nhs_number=form.nhs_number.data or None,
            phone=form.phone.data, tenure=form.tenure.data, locality=form.locality.data or None,
            communication_needs=form.communication_needs.data)
        referral, _ = services.create_referral(
            db.session, current_user, person=person, source=form.source.data, needs=form.needs.data,
            help_wanted=form.help_wanted.data, submission_key=form.submission_key.data or services.new_submission_key(),
            priority=form.priority.data, suggested_priority=form.priority.data,
            discharge_date=form.discharge_date.data, risk_summary=form.risk_summary.data,
            referrer_name=form.referrer_name.data, referrer_organisation=form.referrer_organisation.data,
            referrer_phone=form.referrer_phone.data, consent_given=form.consent.data == "yes",
            consent_note="Made in the person's best interest" if form.consent.data == "best_interest" else None)
        db.session.commit()
        flash(f"Referral {referral.reference} created.", "success")
        return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
    return render_template("referrals/new.html", form=form)


@bp.get("/caseload")
@staff(TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
def caseload():
    cases = services.caseload(db.session, current_user)
    return render_template("referrals/caseload.html", cases=cases, now=utcnow(), form=VersionedForm())


@bp.route("/referrals/<int:referral_id>/assessment", methods=["GET", "POST"])
@staff(TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
def assessment(referral_id: int):
    referral = _referral(referral_id)
    if referral.state != "awaiting_assessment" or not services._may_assess(current_user, referral):
        flash("This referral is not waiting for an assessment you can do.", "info")
        return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
    form = AssessmentForm()
    if request.method == "GET":
        form.version.data = referral.version
    if form.validate_on_submit():
        services.complete_assessment(
            db.session, current_user, referral, outcomes_wanted=form.outcomes_wanted.data,
            strengths=form.strengths.data, needs_by_area=form.needs_by_area.data, risks=form.risks.data or "",
            tecs_considered=form.tecs_considered.data == "yes", tecs_what=form.tecs_what.data,
            tecs_why_not=form.tecs_why_not.data, recommendations=form.recommendations.data,
            monitoring={"devices": form.monitoring_devices.data, "consent_by": form.consent_by.data,
                        "capacity": form.capacity.data, "less_restrictive": form.less_restrictive.data}
            if form.monitoring_devices.data else {},
            version=_version())
        db.session.commit()
        flash("Assessment completed.", "success")
        return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
    return render_template("referrals/assessment.html", form=form, referral=referral)


@bp.app_template_filter("need_label")
def need_label(value: str) -> str:
    return NEEDS.get(value, value)


@bp.app_template_filter("need_labels")
def need_labels(needs) -> str:
    """"Equipment, Falls" for a queue row's needs."""
    return ", ".join(NEEDS.get(n, n) for n in needs)


@bp.app_template_filter("source_label")
def source_label(value: str) -> str:
    return SOURCES.get(value, value)


@bp.app_template_global("clock_status")
def _clock_status(due, now):
    from portal.web.clocks import clock_status

    return clock_status(due, now)


@bp.app_template_global("describe_time_left")
def _describe_time_left(due, now):
    from portal.web.clocks import describe_time_left

    return describe_time_left(due, now)


@bp.app_template_filter("nhs")
def nhs_filter(value):
    from portal.people.validators import format_nhs_number

    return format_nhs_number(value) if value else ""


@bp.app_template_filter("communication_label")
def communication_label(value: str) -> str:
    from portal.people.models import COMMUNICATION_NEEDS

    return COMMUNICATION_NEEDS.get(value, value)


@bp.app_template_filter("recommendation_label")
def recommendation_label(value: str) -> str:
    return RECOMMENDATIONS.get(value, value)


@bp.app_template_filter("iso_date")
def iso_date(value: str) -> str:
    from datetime import date

    from portal.web.filters import format_date

    try:
        return format_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return ""
