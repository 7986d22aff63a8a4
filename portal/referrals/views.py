"""Staff side of referrals: the triage queue, a referral, its actions, caseloads, assessments."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.auth.roles import MANAGER, OCCUPATIONAL_THERAPIST, TRIAGE_OFFICER, TRUSTED_ASSESSOR
from portal.errors import NotFound, Refusal
from portal.extensions import db
from portal.people import services as people
from portal.people.access import person_view_for
from portal.people.views import identity_panel
from portal.referrals import bp, services
from portal.referrals.forms import (
    CAPACITY_DECISIONS,
    MONITORING,
    RECOMMENDATIONS,
    AssessmentForm,
    LinkPersonForm,
    ProfessionalReferralForm,
    VersionedForm,
)
from portal.referrals.models import NEEDS, OPEN_STATES, OUTCOMES, PRIORITIES, ROUTES, SOURCES, STATES
from portal.referrals.services import ACTION_ROLES
from portal.referrals.timeline import referral_timeline
from portal.timeutil import utcnow
from portal.web.forms import refuse
from portal.web.htmx import hx_redirect, is_partial, render_page
from portal.web.i18n import lazy_text as _l
from portal.web.ids import id_arg
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import background, staff

QUEUE_ROLES = (TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST, MANAGER)


def referral_list() -> ListSpec:
    """The triage queue's filters and columns; a caseload is the same list filtered to "Me"."""
    return ListSpec(
        endpoint="referrals.queue", singular=_("referral"), plural=_("referrals"),
        default_sort="due", default_order_label=_("by time left, most urgent first"),
        filters=(
            Filter("q", _("Search"), kind="search", hint=_("Reference, surname, NHS number or postcode")),
            Filter("state", _("Stage"), tuple(STATES.items()), any_label=_("All open")),
            Filter("priority", _("Priority"), tuple(PRIORITIES.items())),
            Filter("need", _("Need"), tuple(NEEDS.items())),
            Filter("source", _("Source"), tuple(SOURCES.items())),
            Filter("locality", _("Locality"), tuple((x, x) for x in current_app.config["LOCALITIES"])),
            Filter("assigned", _("Assigned to"), (("me", _("Me")), ("unassigned", _("No one yet"))),
                   any_label=_("Anyone")),
            Filter("overdue", _("Overdue only"), kind="check"),
        ),
        columns=(
            Column("reference", _("Reference")), Column("person", _("Person")), Column("needs", _("Needs"),
                                                                                       sortable=False),
            Column("source", _("Source")), Column("priority", _("Priority")), Column("received", _("Received")),
            Column("due", _("Time left")), Column("assigned", _("Assigned to")),
        ),
    )


def _filters_from(view) -> services.QueueFilters:
    state = view.get("state")
    return services.QueueFilters(
        states=[state] if state else list(OPEN_STATES),
        priority=view.get("priority") or None, need=view.get("need") or None, source=view.get("source") or None,
        locality=view.get("locality") or None, assigned=view.get("assigned") or None,
        overdue=view.get("overdue") == "yes", search=view.get("q"),
        route=request.args.get("route") if request.args.get("route") in ROUTES else None,
    )


def _queue_context(view):
    now = utcnow()  # one moment for the filter and the rows' clocks, so "Overdue only" and the tags agree
    page = services.queue(db.session, current_user, _filters_from(view), page=view.page, sort=view.sort,
                          descending=view.descending, now=now)
    return {
        "view": view, "page": page, "lines": _queue_lines(page.items, now),
        "latest_id": services.latest_id(db.session), "args": view.query(page=None),
    }


@bp.get("/referrals")
@staff(*QUEUE_ROLES)
def queue():
    view = referral_list().read(request.args)
    return render_page("referrals/queue.html", "list", **_queue_context(view))


@bp.get("/referrals/new-count")
@staff(*QUEUE_ROLES)
@background
def new_count():
    since = id_arg("since") or 0
    count = services.newer_than(db.session, current_user, _filters_from(referral_list().read(request.args)), since)
    args = {k: v for k, v in request.args.items() if k not in ("since", "after") and v}
    if not is_partial():  # opened directly (not polled): the queue itself, not a bare fragment
        return redirect(url_for("referrals.queue", **args), 303)
    return render_page("referrals/queue.html", "queue_new_count", count=count, since=since, args=args)


ROW_ACTIONS = frozenset({"claim", "first_contact"})  # what a queue row offers inline

# The actions with a page of their own (portal.referrals.action_views), in the order the referral
# page lists them; the referral page offers exactly those `allowed_actions` allows.
ACTION_LINKS = (
    ("priority", _l("Set the priority")),
    ("route", _l("Route for assessment")),
    ("reassign", _l("Reassign")),
    ("escalate", _l("Escalate to an occupational therapist")),
    ("pause", _l("Pause the clock")),
    ("return", _l("Return to the referrer for more information")),
    ("signpost", _l("Signpost and close")),
    ("decline", _l("Decline")),
    ("withdraw", _l("Withdraw")),
    ("close", _l("Close with an outcome")),
)
# One-button actions, posted from the referral page itself; every other action has its own page
# (portal.referrals.action_views).
BUTTON_ACTIONS = ("resume", "claim", "first_contact")


def _queue_lines(rows, now) -> list[tuple]:
    """Each queue row with its clock and its inline actions, worked out once in Python (for the
    signed-in user itself, not through the `current_user` proxy on every check)."""
    user = current_user._get_current_object()
    return [(r, services.clock_reading(r, now), services.allowed_actions(user, r) & ROW_ACTIONS) for r in rows]


def _from_queue_row() -> bool:
    return is_partial() and request.headers.get("HX-Target", "").startswith("referral-row-")


def _row(referral, *, message: str | None = None, error: str | None = None, status: int = 200):
    """The queue row alone, after an inline action (or its refusal) from the queue."""
    html = render_template("referrals/_queue_rows.html", lines=_queue_lines([services.QueueRow.of(referral)], utcnow()),
                           flash_message=message, error_message=error)
    return html, status


def done(referral, message: str):
    """After an action: the changed row for an htmx request from the queue, else the referral page."""
    db.session.commit()
    if _from_queue_row():
        return _row(referral, message=message)
    flash(message, "success")
    return hx_redirect(url_for("referrals.detail", referral_id=referral.id))


def failed_on_page(referral, action: str, form):
    """A one-button action (or a link to a record) refused: the queue row, or the referral page with
    the error summary (422)."""
    if _from_queue_row():
        messages = form.form_errors + [e for errors in form.errors.values() for e in errors if isinstance(e, str)]
        return _row(referral, error=messages[0] if messages else "This could not be done", status=422)
    return render_template("referrals/detail.html", **_detail_context(referral, failed_form=form)), 422


def referral_for(referral_id: int):
    try:
        return services.get_for(db.session, current_user, referral_id)
    except NotFound:
        abort(404)


def version_of(form) -> int | None:
    raw = form.version.data
    return int(raw) if raw and str(raw).isdigit() else None


def _detail_context(referral, failed_form=None):
    subject, now = referral.person, utcnow()
    v = referral.version
    return {
        "referral": referral, "subject": subject, "now": now,
        "person": person_view_for(db.session, current_user, subject.id, purpose=f"referral {referral.reference}"),
        "allowed": services.allowed_actions(current_user, referral),
        "page_actions": [(a, label, url_for(f"referrals.{a}", referral_id=referral.id))
                         for a, label in ACTION_LINKS if a in services.allowed_actions(current_user, referral)],
        "clock": services.clock_reading(referral, now),
        "contact_clock": services.contact_reading(referral, now),
        "assessment_clock": services.assessment_reading(referral, now),
        "duplicates": people.possible_duplicates(db.session, subject) if referral.is_open else [],
        "identity": identity_panel(subject, referral_id=referral.id),
        "assessment": referral.assessment,
        "consents": people.consents_for(db.session, subject),
        "history": referral_timeline(db.session, referral),
        "report": _advice_report(referral),
        "forms": {"button": VersionedForm(None, version=v), "link_person": LinkPersonForm(None, version=v)},
        "failed_form": failed_form, "page_error": failed_form is not None,
        "outcomes": OUTCOMES, "routes": ROUTES,
    }


def _advice_report(referral):
    if not referral.advice_report_id:
        return None
    from portal.advice.services import report_for_staff

    return report_for_staff(db.session, referral.advice_report_id, current_user)


@bp.get("/referrals/<int:referral_id>")
@staff(*QUEUE_ROLES)
def detail(referral_id: int):
    referral = referral_for(referral_id)
    page = render_template("referrals/detail.html", **_detail_context(referral))  # audits the view of the person
    db.session.commit()
    return page

@bp.route("/referrals/new", methods=["GET", "POST"])
@staff(TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
def new():
    form = ProfessionalReferralForm()
    form.locality.choices = [("", _("Not known"))] + [(x, x) for x in current_app.config["LOCALITIES"]]
    if request.method == "GET":
        form.submission_key.data = services.new_submission_key()
    if form.validate_on_submit():
        existing = services.find_by_submission_key(db.session, form.submission_key.data or "")
        if existing is not None:
            return redirect(url_for("referrals.detail", referral_id=existing.id), 303)
        try:
            received = _create_from(form)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            referral = received.referral
            if received.identity_check is not None:
                flash(_("Referral %(reference)s created. Its NHS number is on another record with a "
                        "different name or date of birth, so it is on a new record until a triage officer "
                        "checks who it is for.", reference=referral.reference), "warning")
            else:
                flash(_("Referral %(reference)s created.", reference=referral.reference), "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
    return render_template("referrals/new.html", form=form), 422 if form.errors else 200


def _create_from(form) -> services.Received:
    return services.receive_referral(
        db.session, current_user,
        person=dict(given_name=form.given_name.data, family_name=form.family_name.data,
                    date_of_birth=form.date_of_birth.data, address_line_1=form.address_line_1.data,
                    town=form.town.data, postcode=form.postcode.data, nhs_number=form.nhs_number.data or None,
                    phone=form.phone.data, tenure=form.tenure.data, locality=form.locality.data or None,
                    communication_needs=form.communication_needs.data),
        submission_key=form.submission_key.data or services.new_submission_key(),
        source=form.source.data, needs=form.needs.data, help_wanted=form.help_wanted.data,
        priority=form.priority.data, suggested_priority=form.priority.data,
        discharge_date=form.discharge_date.data, risk_summary=form.risk_summary.data,
        referrer_name=form.referrer_name.data, referrer_organisation=form.referrer_organisation.data,
        referrer_phone=form.referrer_phone.data, consent_given=form.consent.data == "yes",
        consent_note="Made in the person's best interest" if form.consent.data == "best_interest" else None)


def caseload_list() -> ListSpec:
    """"My cases": the open referrals assigned to this member of staff, on the queue's own rows."""
    return ListSpec(
        endpoint="referrals.caseload", singular=_("case"), plural=_("cases"),
        default_sort="due", default_order_label=_("by time left, most urgent first"),
        filters=(
            Filter("q", _("Search"), kind="search", hint=_("Reference, surname, NHS number or postcode")),
            Filter("state", _("Stage"), tuple((s, STATES[s]) for s in OPEN_STATES), any_label=_("All open")),
            Filter("priority", _("Priority"), tuple(PRIORITIES.items())),
            Filter("need", _("Need"), tuple(NEEDS.items())),
            Filter("overdue", _("Overdue only"), kind="check"),
        ),
        columns=(
            Column("reference", _("Reference")), Column("person", _("Person")), Column("needs", _("Needs"),
                                                                                       sortable=False),
            Column("source", _("Source")), Column("priority", _("Priority")), Column("received", _("Received")),
            Column("due", _("Time left")), Column("assigned", _("Assigned to"), sortable=False),
        ),
    )


@bp.get("/caseload")
@staff(TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
def caseload():
    view = caseload_list().read(request.args)
    now = utcnow()
    state = view.get("state")
    filters = services.QueueFilters(
        states=[state] if state else list(OPEN_STATES), priority=view.get("priority") or None,
        need=view.get("need") or None, assigned="me", overdue=view.get("overdue") == "yes", search=view.get("q"))
    page = services.queue(db.session, current_user, filters, page=view.page, sort=view.sort,
                          descending=view.descending, now=now)
    return render_page("referrals/caseload.html", "list", view=view, page=page, lines=_queue_lines(page.items, now))

@bp.route("/referrals/<int:referral_id>/assessment", methods=["GET", "POST"])
@staff(*ACTION_ROLES["assessment"])
def assessment(referral_id: int):
    """The assessment form. Opening it when it is not yours to do goes back to the referral; a
    sent form always reaches the service, so a refusal (someone assessed it meanwhile) keeps the answers."""
    referral = referral_for(referral_id)
    form = AssessmentForm()
    if request.method == "GET":
        if "assessment" not in services.allowed_actions(current_user, referral):
            flash(_("This referral is not waiting for an assessment you can do."), "info")
            return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
        form.version.data = referral.version
    elif form.validate_on_submit():
        try:
            services.complete_assessment(
                db.session, current_user, referral, outcomes_wanted=form.outcomes_wanted.data,
                strengths=form.strengths.data, needs_by_area=form.needs_by_area.data, risks=form.risks.data or "",
                tecs_considered=form.tecs_considered.data == "yes", tecs_what=form.tecs_what.data,
                tecs_why_not=form.tecs_why_not.data, recommendations=form.recommendations.data,
                monitoring={"devices": form.monitoring_devices.data, "consent_by": form.consent_by.data,
                            "capacity": form.capacity.data, "less_restrictive": form.less_restrictive.data}
                if form.monitoring_devices.data else {},
                version=version_of(form))
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Assessment completed."), "success")
            return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
    return render_template("referrals/assessment.html", form=form, referral=referral), 422 if form.errors else 200


@bp.app_template_filter("need_label")
def need_label(value: str) -> str:
    return NEEDS.get(value, value)


@bp.app_template_filter("need_labels")
def need_labels(needs) -> str:
    """"Equipment, Falls" for a queue row's needs."""
    return ", ".join(NEEDS.get(n, n) for n in needs)


PRIORITY_COLOURS = {"urgent": "red", "high": "orange", "routine": "grey"}
_PRIORITY_TAGS = {value: f'<strong class="govuk-tag govuk-tag--{PRIORITY_COLOURS[value]}">{label}</strong>'
                  for value, label in PRIORITIES.items()}
_NO_PRIORITY_TAG = '<strong class="govuk-tag govuk-tag--grey">Not set</strong>'


@bp.app_template_filter("priority_tag")
def priority_tag(value: str | None, suggested: bool = False) -> Markup:
    """A priority as its GOV.UK tag, with "suggested" under it while triage has not set one. Every
    priority on every page is drawn by this (the queue's rows, the referral page)."""
    tag = _PRIORITY_TAGS.get(value or "", _NO_PRIORITY_TAG)
    return Markup(tag + '<span class="app-hint app-block">suggested</span>' if suggested else tag)


@bp.app_template_filter("source_label")
def source_label(value: str) -> str:
    return SOURCES.get(value, value)


@bp.app_template_filter("nhs")
def nhs_filter(value):
    from portal.people.validators import format_nhs_number

    return format_nhs_number(value) if value else ""


@bp.app_template_filter("communication_label")
def communication_label(value: str) -> str:
    from portal.people.models import COMMUNICATION_NEEDS

    return COMMUNICATION_NEEDS.get(value, value)


@bp.app_template_filter("capacity_label")
def capacity_label(value: str | None) -> str:
    """"lacks_capacity_best_interest" as the words the assessor chose."""
    return CAPACITY_DECISIONS.get(value or "", value or "")


@bp.app_template_filter("monitoring_labels")
def monitoring_labels(values) -> str:
    return ", ".join(MONITORING.get(v, v) for v in values or [])


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
