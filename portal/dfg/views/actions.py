"""What a caseworker does to a DFG case: each action through its one service function.

Forms with answers have a page of their own (GET shows it, POST does it; a refusal shows the same
page again with every answer kept, 422). One-button moves post from the section they sit in and come
back to it. Decisions — approve, refuse, withdraw, close as paid — have a check step
(portal.web.decisions): a valid post shows what will be recorded and what happens next, and only a
confirmed post decides."""

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.roles import DFG_CASEWORKER
from portal.config import setting
from portal.dfg import bp, services
from portal.dfg.models import DISCRETIONARY_REASONS
from portal.dfg.views.case import quotes_context
from portal.dfg.views.common import HOME, blank_form, get_case, posted_form, record_context, render_record
from portal.errors import Refusal
from portal.extensions import db
from portal.timeutil import today as london_today
from portal.web.clocks import add_months
from portal.web.decisions import ANSWER, CHECK, decision_step, hidden_answers
from portal.web.filters import format_date, format_money
from portal.web.forms import refuse
from portal.web.htmx import hx_redirect
from portal.web.security import staff

# A service's field name where the form calls it something else.
FIELD_NAMES = {"landlord": {"on": "consent_date", "by": "consent_by"}}

# Each form page's heading.
TITLES = {
    "details": "Change the case details", "landlord": "Record the landlord's consent",
    "tor": "Record the test of resources", "ot": "Record the OT recommendation", "quote": "Add a quote",
    "application": "Record the full application", "approve": "Approve the grant", "refuse": "Refuse the application",
    "works": "Record the works starting", "complete": "Record completion and inspection",
    "payment": "Record a payment", "withdraw": "Withdraw the case", "withdraw_quote": "Withdraw a quote",
    "dob": "Correct the date of birth",
}


def _me():
    return db.session, current_user


def _version(form) -> int | None:
    raw = form.version.data if "version" in form else None
    return int(raw) if raw and str(raw).isdigit() else None


def _home(c, action: str) -> str:
    return url_for(HOME.get(action, "dfg.case"), case_id=c.id)


def _form_page(c, action: str, form, status: int = 200):
    late_now = bool(c.decision_due_date and london_today() > c.decision_due_date)
    return render_record("dfg/action.html", c, None, status, action=action, form=form, title=TITLES[action],
                         back_url=_home(c, action), grant_sum=services.grant_sum(c), explain=services.explain,
                         late_now=late_now, **quotes_context(c))


def _not_open(c, action: str):
    """A form page opened when its action is not open now: back to the case, saying why."""
    flash(services.why_not(current_user, c, action) or _("You cannot do that now."), "info")
    return redirect(_home(c, action), 303)


def _form_action(case_id: int, action: str, perform, message):
    """GET: the action's page. POST: check the form, let the service do it; a refusal (or a form
    error) shows the page again with every answer kept and the message on its field (422)."""
    c = get_case(case_id)
    if request.method == "GET":
        if action not in services.allowed_actions(current_user, c):
            return _not_open(c, action)
        return _form_page(c, action, blank_form(action, c))
    form = posted_form(action, c)
    if form.validate_on_submit():
        try:
            perform(c, form)
        except Refusal as exc:
            refuse(form, exc, FIELD_NAMES.get(action))
        else:
            db.session.commit()
            flash(message(c) if callable(message) else message, "success")
            return hx_redirect(_home(c, action))
    return _form_page(services.get_case(db.session, case_id), action, form, 422)


def _button_action(case_id: int, action: str, perform, message):
    """A one-button move from a section; a refusal shows that section again with the message (422)."""
    c = get_case(case_id)
    form = posted_form(action, c)
    if form.validate_on_submit():
        try:
            perform(c, form)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(message, "success")
            return hx_redirect(_home(c, action))
    return _section_again(services.get_case(db.session, case_id), action, form)


def _section_again(c, action: str, form):
    from portal.dfg.views.case import _overview  # the overview's own context

    section = HOME.get(action, "dfg.case")
    if section == "dfg.case_quotes":
        return render_record("dfg/case_quotes.html", c, section, 422, failed_form=form, **quotes_context(c))
    if section == "dfg.case_evidence":
        return render_record("dfg/case_evidence.html", c, section, 422, failed_form=form, upload=form)
    return render_record("dfg/case.html", c, "dfg.case", 422, **_overview(c, form))


# Forms with a page of their own -----------------------------------------------------------------

@bp.route("/cases/<int:case_id>/tor", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def tor(case_id: int):
    def perform(c, f):
        services.record_test_of_resources(
            *_me(), c, version=_version(f), passported=f.passported.data == "yes", benefit=f.benefit.data,
            weekly_income=f.weekly_income.data or "0", weekly_allowances=f.weekly_allowances.data or "0",
            savings=f.savings.data or "0")
    return _form_action(case_id, "tor", perform,
                        lambda c: _("Test of resources recorded: contribution £%(amount)s.",
                                    amount=format(c.contribution, ",.2f")))


@bp.route("/cases/<int:case_id>/ot", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def ot(case_id: int):
    def perform(c, f):
        services.record_ot_recommendation(
            *_me(), c, version=_version(f), what=f.what.data, why=f.why.data,
            necessary_appropriate=f.necessary_appropriate.data == "yes",
            ot_user_id=int(f.ot.data) if f.ot.data else None, ot_name=f.ot_name.data)
    return _form_action(case_id, "ot", perform, _("OT recommendation recorded."))


@bp.route("/cases/<int:case_id>/quote", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def quote(case_id: int):
    def perform(c, f):
        services.add_quote(*_me(), c, contractor=f.contractor.data, amount=f.amount.data,
                           received_on=f.received_on.data)
    return _form_action(case_id, "quote", perform, _("Quote added."))


@bp.route("/cases/<int:case_id>/withdraw-quote", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def withdraw_quote(case_id: int):
    def perform(c, f):
        services.withdraw_quote(*_me(), c, int(f.quote.data), reason=f.reason.data, version=_version(f))
    return _form_action(case_id, "withdraw_quote", perform, _("Quote withdrawn."))


@bp.route("/cases/<int:case_id>/date-of-birth", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def dob(case_id: int):
    def perform(c, f):
        services.correct_date_of_birth(*_me(), c, date_of_birth=f.date_of_birth.data, version=_version(f))
    return _form_action(case_id, "dob", perform, lambda c: "Date of birth corrected. " + (
        _("The case is for a child or young person: there is no test of resources.") if c.is_child
        else _("The test of resources applies.")))


@bp.route("/cases/<int:case_id>/landlord", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def landlord(case_id: int):
    def perform(c, f):
        services.record_landlord_consent(*_me(), c, version=_version(f), on=f.consent_date.data,
                                         by=f.consent_by.data)
    return _form_action(case_id, "landlord", perform, _("Landlord consent recorded."))


@bp.route("/cases/<int:case_id>/application", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def application(case_id: int):
    return _form_action(case_id, "application",
                        lambda c, f: services.receive_application(*_me(), c, on=f.on.data, version=_version(f)),
                        lambda c: _("Full application received. Decision due by %(due)s.",
                                    due=c.decision_due_date.strftime("%-d %B %Y")))


@bp.route("/cases/<int:case_id>/works", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def works(case_id: int):
    return _form_action(case_id, "works",
                        lambda c, f: services.start_works(*_me(), c, on=f.on.data, version=_version(f)),
                        _("Works started."))


@bp.route("/cases/<int:case_id>/complete", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def complete(case_id: int):
    def perform(c, f):
        services.complete(*_me(), c, completed_on=f.completed_on.data, inspected_on=f.inspected_on.data,
                          version=_version(f))
    return _form_action(case_id, "complete", perform, _("Completion and inspection recorded."))


@bp.route("/cases/<int:case_id>/payment", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def payment(case_id: int):
    def perform(c, f):
        services.record_payment(*_me(), c.id, amount=f.amount.data, paid_on=f.paid_on.data, payee=f.payee.data,
                                submission_key=f.submission_key.data or None, work_done=f.work_done.data or None)
    return _form_action(case_id, "payment", perform, _("Payment recorded."))


@bp.route("/cases/<int:case_id>/details", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def details(case_id: int):
    def perform(c, f):
        services.update_details(*_me(), c, version=_version(f), applicants=f.applicants.data,
                                locality=f.locality.data, works_types=f.works_types.data,
                                includes_tecs=f.includes_tecs.data == "yes", contractor=f.contractor.data,
                                landlord_name=f.landlord_name.data)
    return _form_action(case_id, "details", perform, _("Case details saved."))


@bp.post("/cases/<int:case_id>/evidence/new")
@staff(DFG_CASEWORKER)
def upload(case_id: int):
    c = get_case(case_id)
    form = posted_form("upload", c)
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(services.upload_limit_bytes() + 1) if storage else b""  # never more than the limit
        try:
            services.store_evidence(*_me(), c, filename=storage.filename if storage else None, data=data,
                                    kind=form.kind.data, description=form.description.data)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("File uploaded."), "success")
            return hx_redirect(_home(c, "upload"))
    return _section_again(services.get_case(db.session, case_id), "upload", form)


# One-button moves -------------------------------------------------------------------------------

@bp.post("/cases/<int:case_id>/eligibility")
@staff(DFG_CASEWORKER)
def eligibility(case_id: int):
    return _button_action(case_id, "eligibility",
                          lambda c, f: services.start_eligibility(*_me(), c, version=_version(f)),
                          _("Eligibility checks started."))


@bp.post("/cases/<int:case_id>/request-ot")
@staff(DFG_CASEWORKER)
def request_ot(case_id: int):
    return _button_action(case_id, "request_ot", lambda c, f: services.request_ot(*_me(), c, version=_version(f)),
                          _("The case is waiting for the OT recommendation."))


@bp.post("/cases/<int:case_id>/survey")
@staff(DFG_CASEWORKER)
def survey(case_id: int):
    return _button_action(case_id, "survey", lambda c, f: services.start_survey(*_me(), c, version=_version(f)),
                          _("The case has moved to survey and quotes."))


@bp.post("/cases/<int:case_id>/quotes/<int:quote_id>/choose")
@staff(DFG_CASEWORKER)
def choose_quote(case_id: int, quote_id: int):
    return _button_action(case_id, "choose_quote",
                          lambda c, f: services.choose_quote(*_me(), c, quote_id, version=_version(f)),
                          _("Quote chosen."))


@bp.post("/cases/<int:case_id>/review")
@staff(DFG_CASEWORKER)
def review(case_id: int):
    return _button_action(case_id, "review", lambda c, f: services.request_review(*_me(), c, version=_version(f)),
                          _("The refusal is under review: the case is back at full application received."))


# Decisions, each with a check step ----------------------------------------------------------------

def _decision(case_id: int, action: str, check, perform, message):
    """GET: the decision's page. POST: valid answers show the check page (`check(c, form)` gives its
    parts, or raises the refusal the service would); a confirmed post decides; "Change your answers"
    shows the form again with every answer."""
    c = get_case(case_id)
    if request.method == "GET":
        if action not in services.allowed_actions(current_user, c):
            return _not_open(c, action)
        return _form_page(c, action, blank_form(action, c))
    form = posted_form(action, c)
    step = decision_step(form)
    if step != ANSWER:
        try:
            if step == CHECK:
                return _check_page(c, action, form, **check(c, form))
            perform(c, form)
        except Refusal as exc:
            refuse(form, exc, FIELD_NAMES.get(action))
        else:
            db.session.commit()
            flash(message(c) if callable(message) else message, "success")
            return hx_redirect(url_for("dfg.case", case_id=c.id))
    if action == "close_paid":
        if not form.errors:  # "Change your answers": there is nothing to change but the choice itself
            return redirect(url_for("dfg.case", case_id=case_id), 303)
        return _section_again(services.get_case(db.session, case_id), action, form)
    status = 422 if form.errors else 200
    return _form_page(services.get_case(db.session, case_id), action, form, status)


def _check_page(c, action: str, form, **parts):
    hidden = hidden_answers(form)
    if form.csrf_token.name != "csrf_token":  # a form with a prefix reads its own token field
        hidden.append((form.csrf_token.name, form.csrf_token.current_token))
    ctx = record_context(c)
    page = render_template("web/decision_check.html", form=form, person=ctx["person"], hidden=hidden,
                           caption=f"DFG case {c.reference}", action=request.path,
                           back_url=url_for("dfg.case", case_id=c.id), **parts)
    db.session.commit()  # the view of the person is audited
    return page


def _check_approve(c, f) -> dict:
    checked = services.check_approve(
        current_user, c, fees=f.fees.data or "0", discretionary=f.discretionary.data or "0",
        discretionary_reason=f.discretionary_reason.data or None, decision_date=f.decision_date.data,
        late_reason=f.late_reason.data, version=_version(f))
    s, total = checked.sum, checked.sum.grant + checked.discretionary
    chosen = c.chosen_quote
    rows = [("Chosen quote", f"{chosen.contractor}, {format_money(chosen.amount)}"),
            ("Allowed fees", format_money(checked.fees)),
            ("Contribution", "None: the case is for a child or young person" if c.is_child
             else format_money(s.contribution)),
            ("Mandatory grant", f"{format_money(s.grant)}: {services.explain(s)}"),
            ("Discretionary assistance", f"{format_money(checked.discretionary)}, "
             f"{DISCRETIONARY_REASONS.get(f.discretionary_reason.data, f.discretionary_reason.data)}"
             if checked.discretionary else "None"),
            ("Total approved", format_money(total)),
            ("Date of the decision", format_date(checked.decision_date))]
    if checked.late:
        rows.append(("Why the decision is late", f.late_reason.data.strip()))
    payment_due = add_months(c.full_application_date or checked.decision_date, 12)
    clock = (_("It is %(days)s days after the 6-month deadline of %(due)s.",
               days=(checked.decision_date - c.decision_due_date).days, due=format_date(c.decision_due_date))
             if checked.late else
             _("It is within the 6-month deadline of %(due)s.", due=format_date(c.decision_due_date)))
    charge = (" A local land charge will be registered, as the grant is over "
              f"{format_money(services.money_setting('DFG_LAND_CHARGE_THRESHOLD'))}."
              if c.tenure == "owner_occupier" and s.grant > services.money_setting("DFG_LAND_CHARGE_THRESHOLD")
              else "")
    consequence = (f"The grant of {format_money(total)} is approved and the statutory clock for the decision "
                   f"stops. {clock} The works are expected to be done by "
                   f"{format_date(add_months(checked.decision_date, 12))}, and the grant must be paid by "
                   f"{format_date(payment_due)}. Payments can be recorded once the works start.{charge}")
    return {"decision": "Approve the grant", "rows": rows, "consequence": consequence,
            "confirm_text": f"Approve the grant of {format_money(total)}"}


@bp.route("/cases/<int:case_id>/approve", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def approve(case_id: int):
    def perform(c, f):
        services.approve(*_me(), c, fees=f.fees.data or "0", discretionary=f.discretionary.data or "0",
                         discretionary_reason=f.discretionary_reason.data or None,
                         decision_date=f.decision_date.data, late_reason=f.late_reason.data, version=_version(f))
    return _decision(case_id, "approve", _check_approve, perform,
                     lambda c: _("Grant approved: £%(amount)s.", amount=format(c.approved_total, ",.2f")))


def _check_refuse(c, f) -> dict:
    services.begin(current_user, c, "refuse", _version(f))
    review_until = london_today() + timedelta(days=int(setting("DFG_REVIEW_DAYS")))
    return {"decision": "Refuse the application", "rows": [("Reason for refusal", f.reason.data.strip())],
            "consequence": "The application is refused and the statutory clock for the decision stops. The "
                           f"applicant can ask for a review until {format_date(review_until)}; a review puts "
                           "the case back at full application received.",
            "destructive": True, "confirm_text": "Refuse the application"}


@bp.route("/cases/<int:case_id>/refuse", methods=["GET", "POST"], endpoint="refuse")
@staff(DFG_CASEWORKER)
def refuse_application(case_id: int):
    return _decision(case_id, "refuse", _check_refuse,
                     lambda c, f: services.refuse(*_me(), c, reason=f.reason.data, version=_version(f)),
                     _("The application has been refused."))


def _check_withdraw(c, f) -> dict:
    services.begin(current_user, c, "withdraw", _version(f))
    return {"decision": "Withdraw the case", "rows": [("Stage now", c.state_label),
                                                      ("Why the case is withdrawn", f.reason.data.strip())],
            "consequence": _("The case closes as withdrawn: its clocks stop and it leaves the open cases."),
            "warning": _("A withdrawn case cannot be opened again. A new enquiry starts a new case."),
            "destructive": True, "confirm_text": "Withdraw the case"}


@bp.route("/cases/<int:case_id>/withdraw", methods=["GET", "POST"])
@staff(DFG_CASEWORKER)
def withdraw(case_id: int):
    return _decision(case_id, "withdraw", _check_withdraw,
                     lambda c, f: services.withdraw(*_me(), c, reason=f.reason.data, version=_version(f)),
                     _("The case has been withdrawn."))


def _check_close(c, f) -> dict:
    services.begin(current_user, c, "close_paid", _version(f))
    return {"decision": "Close the case as paid",
            "rows": [("Paid", f"{format_money(c.paid_total)} of {format_money(c.approved_total)} approved"),
                     ("Payments", str(len(c.payments)))],
            "consequence": _("The case closes as paid: the final payment has been made, its clocks stop and it "
                           "leaves the open cases. Nothing more can be paid on it."),
            "confirm_text": "Close the case as paid"}


@bp.post("/cases/<int:case_id>/close-paid")
@staff(DFG_CASEWORKER)
def close_paid(case_id: int):
    return _decision(case_id, "close_paid", _check_close,
                     lambda c, f: services.close_as_paid(*_me(), c, version=_version(f)),
                     _("The case is closed as paid."))
