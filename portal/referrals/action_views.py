"""A referral's actions. One-button actions (claim, first contact, restart the clock, link to a
record) post from the referral page or a queue row; every other action has its own page (GET shows
the form, POST does it). The decisions that end a referral (decline, signpost and close, withdraw,
close) go through a check step first (portal.web.decisions): only a confirmed post decides.
Every action calls its one service function, which checks `allowed_actions` and writes the audit."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.models import User
from portal.errors import Refusal
from portal.extensions import db
from portal.people.access import person_view_for
from portal.referrals import bp, services
from portal.referrals.forms import (
    CloseForm,
    FirstContactForm,
    LinkPersonForm,
    PriorityForm,
    ReasonForm,
    ReassignForm,
    RouteForm,
    VersionedForm,
)
from portal.referrals.models import OUTCOMES, PRIORITIES
from portal.referrals.services import ACTION_ROLES
from portal.referrals.views import ACTION_LINKS, done, failed_on_page, referral_for, version_of
from portal.web.decisions import ANSWER, CHECK, CONFIRMED, decision_step, hidden_answers
from portal.web.forms import refuse
from portal.web.i18n import lazy_text as _l
from portal.web.security import staff

# ------------------------------------------------------------------ one-button actions

def _button(referral_id: int, action: str, form, perform):
    """Validate, call the service, and report success or re-render with the refusal.
    `perform(referral, form, version)` does the action and returns the success message."""
    referral = referral_for(referral_id)
    if form.validate_on_submit():
        try:
            message = perform(referral, form, version_of(form))
        except Refusal as exc:
            refuse(form, exc)
        else:
            return done(referral, message)
    return failed_on_page(referral, action, form)


@bp.post("/referrals/<int:referral_id>/claim")
@staff(*ACTION_ROLES["claim"])
def claim(referral_id: int):
    def perform(referral, form, version):
        services.claim(db.session, current_user, referral, version)
        return f"You have claimed {referral.reference}."

    return _button(referral_id, "claim", VersionedForm(), perform)


@bp.post("/referrals/<int:referral_id>/first-contact")
@staff(*ACTION_ROLES["first_contact"])
def first_contact(referral_id: int):
    def perform(referral, form, version):
        services.record_first_contact(db.session, current_user, referral, form.reason.data or "", version)
        return f"First contact recorded for {referral.reference}."

    return _button(referral_id, "first_contact", FirstContactForm(), perform)


@bp.post("/referrals/<int:referral_id>/resume")
@staff(*ACTION_ROLES["resume"])
def resume(referral_id: int):
    def perform(referral, form, version):
        services.resume(db.session, current_user, referral, version)
        return "The clock has restarted."

    return _button(referral_id, "resume", VersionedForm(), perform)


@bp.post("/referrals/<int:referral_id>/link-person")
@staff(*ACTION_ROLES["link_person"])
def link_person(referral_id: int):
    def perform(referral, form, version):
        services.link_person(db.session, current_user, referral, form.person_id.data, version)
        return "Referral linked to the existing record."

    return _button(referral_id, "link_person", LinkPersonForm(), perform)


# ------------------------------------------------------------------ actions with a page of their own

@dataclass(frozen=True)
class ActionPage:
    action: str
    what: str  # as in "You cannot <what> this referral now"
    make: Callable  # (referral, formdata) -> form
    perform: Callable  # (referral, form, version) -> the success message
    hint: str | None = None
    decision: bool = False  # ends the referral: a check step first
    consequence: str = ""
    destructive: bool = False

    @property
    def title(self) -> str:
        return dict(ACTION_LINKS)[self.action]


def _reason_form(action: str, label: str, submit: str):
    def make(referral, formdata):
        form = ReasonForm(formdata=formdata, version=referral.version)
        form.reason.id = f"reason-{action}"  # the error summary links to it; the posted name stays "reason"
        form.reason.label.text = label
        form.submit.label.text = submit
        return form
    return make


def _reason_service(service, message: str):
    def perform(referral, form, version):
        service(db.session, current_user, referral, form.reason.data, version)
        return str(message)
    return perform


def _priority_form(referral, formdata):
    return PriorityForm(formdata=formdata, prefix="priority", version=referral.version,
                        priority=referral.priority or referral.suggested_priority)


def _set_priority(referral, form, version):
    services.set_priority(db.session, current_user, referral, form.priority.data, form.reason.data, version)
    return _("Priority set to %(priority)s.", priority=PRIORITIES[form.priority.data].lower())


def _route_form(referral, formdata):
    return RouteForm(formdata=formdata, prefix="route", version=referral.version)


def _route(referral, form, version):
    level = int(form.ta_level_required.data) if form.ta_level_required.data else None
    services.route(db.session, current_user, referral, route_to=form.route_to.data,
                   complex_case=form.complex_case.data == "yes", reason=form.reason.data,
                   ta_level_required=level, version=version)
    return _("Referral routed for assessment.")


def _reassign_form(referral, formdata):
    form = ReassignForm(formdata=formdata, version=referral.version)
    form.assignee.choices = [("", _("Nobody (back to the pool)"))] + [
        (str(u.id), f"{u.name} ({', '.join(u.role_labels)})") for u in services.assessors(db.session)]
    if formdata is None:
        form.assignee.data = str(referral.assigned_to_id or "")
    return form


def _reassign(referral, form, version):
    assignee = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
    services.reassign(db.session, current_user, referral, assignee, version)
    return _("Referral reassigned.")


def _close_form(referral, formdata):
    form = CloseForm(formdata=formdata, prefix="close", version=referral.version)
    form.submit.label.text = _("Continue")
    return form


def _close(referral, form, version):
    services.close(db.session, current_user, referral, form.outcome.data, form.reason.data or "", version)
    return _("Referral closed.")


PAGES = {p.action: p for p in (
    ActionPage("priority", _l("set the priority of"), _priority_form, _set_priority),
    ActionPage("route", _l("route"), _route_form, _route),
    ActionPage("reassign", _l("reassign"), _reassign_form, _reassign,
               hint=_l("Choose who holds the case, or put it back in the pool for any suitable assessor.")),
    ActionPage("escalate", _l("escalate"), _reason_form("escalate", _l("Why it needs an occupational therapist"),
                                                        _l("Escalate")),
               _reason_service(services.escalate_to_ot, _l("Escalated to an occupational therapist."))),
    ActionPage("pause", _l("pause the clock for"),
               _reason_form("pause", _l("What the case is waiting for"), _l("Pause the clock")),
               _reason_service(services.pause, _l("The clock is paused.")),
               hint=_l("The clock stops until someone restarts it. The case stays open.")),
    ActionPage("return", _l("return to the referrer"),
               _reason_form("return", _l("What you need to know"), _l("Return to the referrer")),
               _reason_service(services.return_to_referrer,
                               _l("Returned to the referrer for more information. The clock is paused."))),
    ActionPage("signpost", _l("signpost"), _reason_form("signpost", _l("Where you signposted the person"),
                                                        _l("Continue")),
               _reason_service(services.signpost, _l("Referral closed: signposted.")), decision=True,
               consequence=_l("The referral closes as signposted. We do not assess the person.")),
    ActionPage("decline", _l("decline"), _reason_form("decline", _l("Reason for declining"), _l("Continue")),
               _reason_service(services.decline, _l("Referral declined.")), decision=True, destructive=True,
               consequence=_l("The referral closes as declined and its clocks stop.")),
    ActionPage("withdraw", _l("withdraw"), _reason_form("withdraw", _l("Why the person no longer wants help"),
                                                        _l("Continue")),
               _reason_service(services.withdraw, _l("Referral withdrawn.")), decision=True, destructive=True,
               hint=_l("Withdraw a referral when the person no longer wants help."),
               consequence=_l("The referral closes as withdrawn and its clocks stop.")),
    ActionPage("close", _l("close"), _close_form, _close, decision=True,
               consequence=_l("The referral closes with this outcome and its clocks stop.")),
)}


def _person(referral):
    return person_view_for(db.session, current_user, referral.person_id, purpose=f"referral {referral.reference}")


def _action_page(referral, page: ActionPage, form, status: int = 200):
    return render_template(
        "referrals/action.html", referral=referral, page=page, form=form, person=_person(referral),
        back_url=url_for("referrals.detail", referral_id=referral.id), page_error=bool(form.errors)), status


def _check_rows(page: ActionPage, form) -> list[tuple[str, str]]:
    if page.action == "close":
        return [(_("Outcome"), OUTCOMES.get(form.outcome.data, "")), (_("Note"), form.reason.data or _("None"))]
    return [(form.reason.label.text, form.reason.data)]


def _check_page(referral, page: ActionPage, form):
    return render_template(
        "web/decision_check.html", form=form, decision=page.title, rows=_check_rows(page, form),
        consequence=page.consequence, action=url_for(f"referrals.{page.action}", referral_id=referral.id),
        back_url=url_for("referrals.detail", referral_id=referral.id), hidden=hidden_answers(form),
        person=_person(referral), caption=_("Referral %(reference)s",
                                            reference=referral.reference), destructive=page.destructive,
        warning=_("A closed referral cannot be opened again."),
        confirm_text=_("Close referral") if page.action == "close" else page.title)


def _run(referral_id: int, action: str):
    """GET: the action's page. POST: check (for a decision) or do it; a refusal keeps every answer."""
    page = PAGES[action]
    referral = referral_for(referral_id)
    if request.method == "GET":
        if action not in services.allowed_actions(current_user, referral):
            flash(_("You cannot %(what)s this referral now.", what=page.what), "info")
            return redirect(url_for("referrals.detail", referral_id=referral.id), 303)
        shown = _action_page(referral, page, page.make(referral, None))
        db.session.commit()  # the audited view of the person
        return shown
    form = page.make(referral, request.form)
    step = decision_step(form) if page.decision else (CONFIRMED if form.validate_on_submit() else ANSWER)
    if step in (CHECK, CONFIRMED):
        try:
            if step == CHECK:  # refuse now what the confirmation would refuse (stale page, action closed)
                services.require(current_user, referral, action, page.what, version_of(form))
                check = _check_page(referral, page, form)
                db.session.commit()
                return check
            message = page.perform(referral, form, version_of(form))
        except Refusal as exc:
            refuse(form, exc)
        else:
            return done(referral, message)
    return _action_page(referral, page, form, 422 if form.errors else 200)  # 200: "Change your answers"


def _add_page_route(action: str) -> None:
    def view(referral_id: int):
        return _run(referral_id, action)

    view.__name__ = action
    view.__qualname__ = action
    bp.add_url_rule(f"/referrals/<int:referral_id>/{action}", endpoint=action,
                    view_func=staff(*ACTION_ROLES[action])(view), methods=["GET", "POST"])


for _action in PAGES:
    _add_page_route(_action)
