"""DFG web: the public enquiry (question pages) and the caseworker's queue, case page and budget.

A case shows its person only through `person_view_for` (the caseworker's part while the case is
open and for DFG_CLOSED_ACCESS_DAYS after; a manager keeps oversight). A case whose person is no
longer the caseworker's to see is "not found" on the page, its actions and its evidence, and the
refused request is recorded as a security event."""

import io
from datetime import date

from flask import flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import User, UserRole
from portal.auth.roles import DFG_CASEWORKER, MANAGER, OCCUPATIONAL_THERAPIST
from portal.config import setting
from portal.dfg import bp, forms, services
from portal.dfg.models import (
    DISCRETIONARY_REASONS,
    EVIDENCE_KINDS,
    STATES,
    TENANT_TENURES,
    TENURES,
    TOR_RESULTS,
    WORKS_TYPES,
)
from portal.errors import NotFound, Refusal
from portal.extensions import db, limiter
from portal.people.access import access_to, person_view_for, record_refusal
from portal.people.validators import normalise_postcode
from portal.sql import is_submission_key, new_submission_key
from portal.timeutil import today as london_today
from portal.web.forms import refuse
from portal.web.htmx import hx_redirect, render_page
from portal.web.ids import id_arg
from portal.web.security import public, staff

READERS = (DFG_CASEWORKER, MANAGER)

STEP_ORDER = list(forms.ENQUIRY_STEPS)
ANSWERS = "dfg_enquiry"


# Public enquiry ------------------------------------------------------------------------------

def _answers() -> dict:
    return session.get(ANSWERS) or {}


def _save(values: dict) -> None:
    answers = _answers()
    answers.update(values)
    session[ANSWERS] = answers


def _first_missing() -> str | None:
    answers = _answers()
    needed = {"who": "who", "tenure": "tenure", "difficulties": "difficulties", "name": "given_name",
              "date-of-birth": "date_of_birth", "address": "postcode", "contact": "contact_done"}
    return next((step for step in STEP_ORDER if not answers.get(needed[step])), None)


@bp.get("/enquiry")
@public
def enquiry_start():
    return render_template("dfg/enquiry_start.html")


@bp.route("/enquiry/<any(who, tenure, difficulties, name, 'date-of-birth', address, contact):step>",
          methods=["GET", "POST"])
@public
@limiter.limit("200 per hour", methods=["POST"])
def enquiry_step(step: str):
    form_cls = forms.ENQUIRY_STEPS[step]
    answers = _answers()
    changing = request.args.get("change") == "1"
    if request.method == "GET":
        data = dict(answers)
        if step == "date-of-birth" and answers.get("date_of_birth"):
            data["date_of_birth"] = date.fromisoformat(answers["date_of_birth"])
        form = form_cls(data=data)
    else:
        form = form_cls()
    if form.validate_on_submit():
        values = {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit")}
        if step == "date-of-birth":
            values["date_of_birth"] = values["date_of_birth"].isoformat()
        if step == "address":
            values["postcode"] = normalise_postcode(values["postcode"])
        if step == "contact":
            values["contact_done"] = True
        _save(values)
        nxt = _first_missing()
        if changing or nxt is None:
            return redirect(url_for("dfg.enquiry_check"), 303)
        return redirect(url_for("dfg.enquiry_step", step=nxt), 303)
    index = STEP_ORDER.index(step)
    back = url_for("dfg.enquiry_check") if changing else (
        url_for("dfg.enquiry_step", step=STEP_ORDER[index - 1]) if index else url_for("dfg.enquiry_start"))
    for_child = answers.get("who") == "child"
    return render_template("dfg/enquiry_step.html", form=form, step=step, back=back,
                           for_child=for_child), 422 if form.errors else 200


def _summary(answers: dict) -> list[dict]:
    dob = date.fromisoformat(answers["date_of_birth"]) if answers.get("date_of_birth") else None
    return [
        {"key": "Who the grant is for", "value": "A disabled child or young person" if answers.get("who") == "child"
         else "An adult", "step": "who"},
        {"key": "Who owns the home", "value": TENURES.get(answers.get("tenure"), ""), "step": "tenure"},
        {"key": "What is hard at home",
         "value": "; ".join(forms.DIFFICULTIES.get(d, d) for d in answers.get("difficulties", [])) +
                  (f". {answers['details']}" if answers.get("details") else ""), "step": "difficulties"},
        {"key": "Name", "value": f"{answers.get('given_name', '')} {answers.get('family_name', '')}", "step": "name"},
        {"key": "Date of birth", "value": f"{dob.day} {dob:%B %Y}" if dob else "", "step": "date-of-birth"},
        {"key": "Address", "value": ", ".join(p for p in (answers.get("address_line_1"), answers.get("address_line_2"),
                                                          answers.get("town"), answers.get("postcode")) if p),
         "step": "address"},
        {"key": "Contact", "value": " / ".join(p for p in (answers.get("phone"), answers.get("email")) if p),
         "step": "contact"},
    ]


@bp.route("/enquiry/check", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def enquiry_check():
    missing = _first_missing()
    if missing:
        return redirect(url_for("dfg.enquiry_step", step=missing), 303)
    answers = _answers()
    form = forms.SubmitEnquiryForm()
    status = 200
    if form.validate_on_submit():
        key = form.submission_key.data if is_submission_key(form.submission_key.data) else ""
        if key and key != answers.get("submission_key") and services.find_by_submission_key(db.session, key):
            return redirect(url_for("dfg.enquiry_done"), 303)  # this enquiry was already sent
        if key != answers.get("submission_key"):
            form.form_errors.append("This page was out of date. Check your answers, then send the enquiry.")
            status = 422
        else:
            c, _created = services.create_enquiry(
                db.session, "public", submission_key=key, tenure=answers["tenure"],
                difficulties=answers.get("difficulties", []),
                difficulty_details=answers.get("details"), given_name=answers["given_name"],
                family_name=answers["family_name"], date_of_birth=date.fromisoformat(answers["date_of_birth"]),
                address_line_1=answers["address_line_1"], address_line_2=answers.get("address_line_2"),
                town=answers.get("town"), postcode=answers["postcode"], phone=answers.get("phone"),
                email=answers.get("email"))
            db.session.commit()
            session["dfg_done"] = c.reference
            return redirect(url_for("dfg.enquiry_done"), 303)
    elif form.errors:
        status = 422
    if not answers.get("submission_key"):
        _save({"submission_key": new_submission_key()})
        answers = _answers()
    form.submission_key.data = answers["submission_key"]
    return render_template("dfg/enquiry_check.html", form=form, rows=_summary(answers)), status


@bp.get("/enquiry/confirmation")
@public
def enquiry_done():
    reference = session.get("dfg_done")
    if not reference:
        return redirect(url_for("dfg.enquiry_start"), 303)
    session.pop(ANSWERS, None)
    return render_template("dfg/enquiry_done.html", reference=reference)


# Caseworker queue ----------------------------------------------------------------------------

def _filters() -> services.QueueFilters:
    a = request.args
    return services.QueueFilters(
        state=a.get("state") if a.get("state") in (*STATES, "open", "all") else "open",
        clock=a.get("clock") if a.get("clock") in ("breached", "due_soon") else None,
        works_type=a.get("works_type") if a.get("works_type") in WORKS_TYPES else None,
        tenure=a.get("tenure") if a.get("tenure") in TENURES else None,
        locality=a.get("locality") if a.get("locality") in setting("LOCALITIES") else None,
        search=a.get("q", "")[:40],
    )


@bp.get("/cases")
@staff(*READERS)
def queue():
    filters = _filters()
    page = services.queue(db.session, filters, page=id_arg("page") or 1)
    people = {c.person_id: person_view_for(db.session, current_user, c.person_id, f"DFG case {c.reference}")
              for c in page.rows}
    db.session.commit()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_page("dfg/queue.html", "dfg_results", page=page, people=people, filters=filters, args=args,
                       states=STATES,
                       works_types=WORKS_TYPES, tenures=TENURES, localities=setting("LOCALITIES"))


# Case page -----------------------------------------------------------------------------------

# Each action's form: its class and prefix. The one-button actions share VersionedForm.
FORMS = {
    "details": (forms.DetailsForm, "details"), "landlord": (forms.LandlordConsentForm, "landlord"),
    "tor": (forms.TestOfResourcesForm, "tor"), "ot": (forms.OTRecommendationForm, "ot"),
    "quote": (forms.QuoteForm, "quote"), "application": (forms.DateActionForm, "application"),
    "approve": (forms.ApproveForm, "approve"), "refuse": (forms.ReasonForm, "refuse"),
    "works": (forms.DateActionForm, "works"), "complete": (forms.CompleteForm, "complete"),
    "payment": (forms.PaymentForm, "payment"), "withdraw": (forms.ReasonForm, "withdraw"),
    "upload": (forms.EvidenceForm, "evidence"), "withdraw_quote": (forms.WithdrawQuoteForm, "withdraw_quote"),
    "dob": (forms.CorrectDateOfBirthForm, "dob"),
}
# A service's field name where the form calls it something else.
FIELD_NAMES = {"landlord": {"on": "consent_date", "by": "consent_by"}}
# The move that takes the case on from each stage: when it is not open yet, the page says why.
NEXT_MOVE = {"eligibility": "request_ot", "ot_recommendation": "survey", "survey_and_quotes": "application",
             "completed": "close_paid"}


def _ot_choices():
    ots = db.session.scalars(select(User).join(UserRole).where(
        UserRole.role == OCCUPATIONAL_THERAPIST, User.active.is_(True)).order_by(User.name)).all()
    return [("", "Not listed")] + [(str(u.id), u.name) for u in ots]


def _with_choices(form, c=None):
    """Set the choices a form's select lists take from the database or settings."""
    if isinstance(form, forms.WithdrawQuoteForm):
        form.quote.choices = [("", "Select a quote")] + [
            (str(q.id), f"{q.contractor}, £{q.amount:,.2f}{' (chosen)' if q.chosen else ''}")
            for q in (c.live_quotes if c is not None else [])]
    elif isinstance(form, forms.DetailsForm):
        form.locality.choices = [("", "Not set")] + [(x, x) for x in setting("LOCALITIES")]
    elif isinstance(form, forms.OTRecommendationForm):
        form.ot.choices = _ot_choices()
    elif isinstance(form, forms.EvidenceForm):
        form.file.description = f"PDF, JPG or PNG, smaller than {services.upload_limit_mb()} MB"
    return form


def _blank_forms(c) -> dict:
    """Every action's form as the page first shows it, filled from the case."""
    today, v = london_today(), c.version
    defaults = {
        "details": {"version": v, "applicants": c.applicants, "locality": c.locality or "",
                    "works_types": c.works_types, "includes_tecs": "yes" if c.includes_tecs else "no",
                    "contractor": c.contractor, "landlord_name": c.landlord_name},
        "application": {"version": v, "on": today}, "approve": {"version": v, "decision_date": today},
        "works": {"version": v, "on": today},
        "payment": {"submission_key": new_submission_key(), "paid_on": today},
        "dob": {"version": v, "date_of_birth": c.person.date_of_birth if c.person else None},
    }
    out = {}
    for action, (form_cls, prefix) in FORMS.items():
        data = defaults.get(action, {"version": v})
        out[action] = _with_choices(form_cls(formdata=None, prefix=prefix, **data), c)
    out["button"] = forms.VersionedForm(formdata=None, version=v)
    return out


def _case_page(c, failed: str | None = None, form=None, status: int = 200):
    """The case page; after a refusal, with the failing form as it was sent and its errors."""
    page_forms = _blank_forms(c)
    if failed:
        page_forms["button" if failed not in FORMS else failed] = form
    allowed = services.allowed_actions(current_user, c)
    move = NEXT_MOVE.get(c.state)
    ctx = {
        "c": c, "person": person_view_for(db.session, current_user, c.person_id, f"DFG case {c.reference}"),
        "allowed": allowed, "clocks": services.case_clocks(c),
        "stages": services.stage_durations(c), "grant_limit": services.grant_limit(c),
        "grant_sum": services.grant_sum(c), "explain": services.explain,
        "late_now": bool(c.decision_due_date and london_today() > c.decision_due_date),
        "instalment_limit": services.instalment_limit(c) if c.approved_amount is not None else None,
        "instalment_percent": f"{services.instalment_share() * 100:.0f}%",
        "payable_now": services.payable_now(c), "child_age": setting("DFG_CHILD_AGE_LIMIT"),
        "application_date": services.application_date(c),
        "min_quotes": int(setting("DFG_MIN_QUOTES")), "tenant": c.tenure in TENANT_TENURES,
        "waiting_for": services.why_not(current_user, c, move) if move and move not in allowed else None,
        "difficulty_text": ", ".join(forms.DIFFICULTIES.get(d, d) for d in c.difficulties or []),
        "tor_results": TOR_RESULTS, "discretionary_reasons": DISCRETIONARY_REASONS, "evidence_kinds": EVIDENCE_KINDS,
        "forms": page_forms, "failed_form": form if failed else None,
    }
    page = render_template("dfg/case.html", **ctx)
    db.session.commit()  # the view of the person is audited
    return page, status


def _case(case_id: int):
    """The case, if its person is this user's to see now; else "not found", recorded as refused."""
    c = services.get_case(db.session, case_id)
    if not access_to(db.session, current_user, c.person_id):
        record_refusal(db.session, current_user, request.endpoint, "dfg_case", c.id)
        db.session.commit()
        raise NotFound("There is no DFG case with that number in your work.")
    return c


@bp.get("/cases/<int:case_id>")
@staff(*READERS)
def case(case_id: int):
    c = _case(case_id)
    services.record_case_view(db.session, current_user, c)
    db.session.commit()
    return _case_page(c)


def _version(form) -> int | None:
    raw = form.version.data if "version" in form else None
    return int(raw) if raw and str(raw).isdigit() else None


def _act(case_id: int, action: str, perform, message):
    """Load the case, check the action's form, let the service do it. A refusal (or a form error)
    shows the case page again with that form, every answer kept and the message on its field (422).
    `message` is the success message, or a function of the case that makes it."""
    c = _case(case_id)
    form_cls, prefix = FORMS.get(action, (forms.VersionedForm, ""))
    form = _with_choices(form_cls(prefix=prefix), c)
    if form.validate_on_submit():
        try:
            perform(c, form)
        except Refusal as exc:
            refuse(form, exc, FIELD_NAMES.get(action))
        else:
            db.session.commit()
            flash(message(c) if callable(message) else message, "success")
            return hx_redirect(url_for("dfg.case", case_id=c.id))
    return _case_page(services.get_case(db.session, case_id), action, form, 422)


def _me():
    return db.session, current_user


@bp.post("/cases/<int:case_id>/eligibility")
@staff(DFG_CASEWORKER)
def eligibility(case_id: int):
    return _act(case_id, "eligibility", lambda c, f: services.start_eligibility(*_me(), c, version=_version(f)),
                "Eligibility checks started.")


@bp.post("/cases/<int:case_id>/tor")
@staff(DFG_CASEWORKER)
def tor(case_id: int):
    def perform(c, f):
        services.record_test_of_resources(
            *_me(), c, version=_version(f), passported=f.passported.data == "yes", benefit=f.benefit.data,
            weekly_income=f.weekly_income.data or "0", weekly_allowances=f.weekly_allowances.data or "0",
            savings=f.savings.data or "0")
    return _act(case_id, "tor", perform, lambda c: f"Test of resources recorded: contribution £{c.contribution:,.2f}.")


@bp.post("/cases/<int:case_id>/request-ot")
@staff(DFG_CASEWORKER)
def request_ot(case_id: int):
    return _act(case_id, "request_ot", lambda c, f: services.request_ot(*_me(), c, version=_version(f)),
                "The case is waiting for the OT recommendation.")


@bp.post("/cases/<int:case_id>/ot")
@staff(DFG_CASEWORKER)
def ot(case_id: int):
    def perform(c, f):
        services.record_ot_recommendation(
            *_me(), c, version=_version(f), what=f.what.data, why=f.why.data,
            necessary_appropriate=f.necessary_appropriate.data == "yes",
            ot_user_id=int(f.ot.data) if f.ot.data else None, ot_name=f.ot_name.data)
    return _act(case_id, "ot", perform, "OT recommendation recorded.")


@bp.post("/cases/<int:case_id>/survey")
@staff(DFG_CASEWORKER)
def survey(case_id: int):
    return _act(case_id, "survey", lambda c, f: services.start_survey(*_me(), c, version=_version(f)),
                "The case has moved to survey and quotes.")


@bp.post("/cases/<int:case_id>/quote")
@staff(DFG_CASEWORKER)
def quote(case_id: int):
    def perform(c, f):
        services.add_quote(*_me(), c, contractor=f.contractor.data, amount=f.amount.data,
                           received_on=f.received_on.data)
    return _act(case_id, "quote", perform, "Quote added.")


@bp.post("/cases/<int:case_id>/quotes/<int:quote_id>/choose")
@staff(DFG_CASEWORKER)
def choose_quote(case_id: int, quote_id: int):
    return _act(case_id, "choose_quote",
                lambda c, f: services.choose_quote(*_me(), c, quote_id, version=_version(f)), "Quote chosen.")


@bp.post("/cases/<int:case_id>/withdraw-quote")
@staff(DFG_CASEWORKER)
def withdraw_quote(case_id: int):
    def perform(c, f):
        services.withdraw_quote(*_me(), c, int(f.quote.data), reason=f.reason.data, version=_version(f))
    return _act(case_id, "withdraw_quote", perform, "Quote withdrawn.")


@bp.post("/cases/<int:case_id>/date-of-birth")
@staff(DFG_CASEWORKER)
def dob(case_id: int):
    def perform(c, f):
        services.correct_date_of_birth(*_me(), c, date_of_birth=f.date_of_birth.data, version=_version(f))
    return _act(case_id, "dob", perform, lambda c: "Date of birth corrected. " + (
        "The case is for a child or young person: there is no test of resources." if c.is_child
        else "The test of resources applies."))


@bp.post("/cases/<int:case_id>/landlord")
@staff(DFG_CASEWORKER)
def landlord(case_id: int):
    def perform(c, f):
        services.record_landlord_consent(*_me(), c, version=_version(f), on=f.consent_date.data,
                                         by=f.consent_by.data)
    return _act(case_id, "landlord", perform, "Landlord consent recorded.")


@bp.post("/cases/<int:case_id>/application")
@staff(DFG_CASEWORKER)
def application(case_id: int):
    return _act(case_id, "application",
                lambda c, f: services.receive_application(*_me(), c, on=f.on.data, version=_version(f)),
                lambda c: f"Full application received. Decision due by {c.decision_due_date:%-d %B %Y}.")


@bp.post("/cases/<int:case_id>/approve")
@staff(DFG_CASEWORKER)
def approve(case_id: int):
    def perform(c, f):
        services.approve(*_me(), c, fees=f.fees.data or "0", discretionary=f.discretionary.data or "0",
                         discretionary_reason=f.discretionary_reason.data or None,
                         decision_date=f.decision_date.data, late_reason=f.late_reason.data, version=_version(f))
    return _act(case_id, "approve", perform, lambda c: f"Grant approved: £{c.approved_total:,.2f}.")


@bp.post("/cases/<int:case_id>/refuse", endpoint="refuse")
@staff(DFG_CASEWORKER)
def refuse_application(case_id: int):
    return _act(case_id, "refuse",
                lambda c, f: services.refuse(*_me(), c, reason=f.reason.data, version=_version(f)),
                "The application has been refused.")


@bp.post("/cases/<int:case_id>/review")
@staff(DFG_CASEWORKER)
def review(case_id: int):
    return _act(case_id, "review", lambda c, f: services.request_review(*_me(), c, version=_version(f)),
                "The refusal is under review: the case is back at full application received.")


@bp.post("/cases/<int:case_id>/works")
@staff(DFG_CASEWORKER)
def works(case_id: int):
    return _act(case_id, "works", lambda c, f: services.start_works(*_me(), c, on=f.on.data, version=_version(f)),
                "Works started.")


@bp.post("/cases/<int:case_id>/complete")
@staff(DFG_CASEWORKER)
def complete(case_id: int):
    def perform(c, f):
        services.complete(*_me(), c, completed_on=f.completed_on.data, inspected_on=f.inspected_on.data,
                          version=_version(f))
    return _act(case_id, "complete", perform, "Completion and inspection recorded.")


@bp.post("/cases/<int:case_id>/payment")
@staff(DFG_CASEWORKER)
def payment(case_id: int):
    def perform(c, f):
        services.record_payment(*_me(), c.id, amount=f.amount.data, paid_on=f.paid_on.data, payee=f.payee.data,
                                submission_key=f.submission_key.data or None, work_done=f.work_done.data or None)
    return _act(case_id, "payment", perform, "Payment recorded.")


@bp.post("/cases/<int:case_id>/close-paid")
@staff(DFG_CASEWORKER)
def close_paid(case_id: int):
    return _act(case_id, "close_paid", lambda c, f: services.close_as_paid(*_me(), c, version=_version(f)),
                "The case is closed as paid.")


@bp.post("/cases/<int:case_id>/details")
@staff(DFG_CASEWORKER)
def details(case_id: int):
    def perform(c, f):
        services.update_details(*_me(), c, version=_version(f), applicants=f.applicants.data,
                                locality=f.locality.data, works_types=f.works_types.data,
                                includes_tecs=f.includes_tecs.data == "yes", contractor=f.contractor.data,
                                landlord_name=f.landlord_name.data)
    return _act(case_id, "details", perform, "Case details saved.")


@bp.post("/cases/<int:case_id>/withdraw")
@staff(DFG_CASEWORKER)
def withdraw(case_id: int):
    return _act(case_id, "withdraw",
                lambda c, f: services.withdraw(*_me(), c, reason=f.reason.data, version=_version(f)),
                "The case has been withdrawn.")


@bp.post("/cases/<int:case_id>/evidence")
@staff(DFG_CASEWORKER)
def upload(case_id: int):
    def perform(c, f):
        storage = f.file.data
        data = storage.read(services.upload_limit_bytes() + 1) if storage else b""  # never more than the limit
        services.store_evidence(*_me(), c, filename=storage.filename if storage else None, data=data,
                                kind=f.kind.data, description=f.description.data)
    return _act(case_id, "upload", perform, "File uploaded.")


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>")
@staff(*READERS)
def download(case_id: int, evidence_id: int):
    _case(case_id)
    ev, path = services.evidence_for_download(db.session, current_user, case_id, evidence_id)
    db.session.commit()
    data = path.read_bytes()  # at most the upload limit; read whole so no file handle outlives the request
    resp = send_file(io.BytesIO(data), mimetype=ev.content_type, as_attachment=True, download_name=ev.original_name,
                     max_age=0, conditional=False, etag=False)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# Budget --------------------------------------------------------------------------------------

@bp.get("/budget")
@staff(*READERS)
def budget():
    today = london_today()
    locality = request.args.get("locality")
    locality = locality if locality in setting("LOCALITIES") else None
    start = date(today.year - 1, today.month, 1)
    return render_template("dfg/budget.html", b=services.budget(db.session, today, locality=locality),
                           f=services.figures(db.session, start, today, locality=locality), states=STATES,
                           late=services.late_decisions(db.session, start, today, locality=locality),
                           locality=locality, localities=setting("LOCALITIES"))
