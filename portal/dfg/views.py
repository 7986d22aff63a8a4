"""DFG web: the public enquiry (question pages) and the caseworker's queue, case page and budget."""

import io
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import User, UserRole
from portal.auth.roles import DFG_CASEWORKER, MANAGER, OCCUPATIONAL_THERAPIST
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
from portal.errors import PortalError
from portal.extensions import db, limiter
from portal.timeutil import utcnow
from portal.web.htmx import hx_redirect, render_page
from portal.web.security import has_role, public, staff

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
            values["postcode"] = forms.normalise_postcode(values["postcode"])
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
    if form.validate_on_submit():
        key = form.submission_key.data or ""
        if not key or key != answers.get("submission_key"):
            existing = services.find_by_submission_key(db.session, key)
            if existing is None:
                abort(400)
            return redirect(url_for("dfg.enquiry_done"), 303)
        c, _created = services.create_enquiry(
            db.session, "public", submission_key=key, for_child=answers["who"] == "child",
            tenure=answers["tenure"], difficulties=answers.get("difficulties", []),
            difficulty_details=answers.get("details"), given_name=answers["given_name"],
            family_name=answers["family_name"], date_of_birth=date.fromisoformat(answers["date_of_birth"]),
            address_line_1=answers["address_line_1"], address_line_2=answers.get("address_line_2"),
            town=answers.get("town"), postcode=answers["postcode"], phone=answers.get("phone"),
            email=answers.get("email"))
        db.session.commit()
        session["dfg_done"] = c.reference
        return redirect(url_for("dfg.enquiry_done"), 303)
    if not answers.get("submission_key"):
        _save({"submission_key": services.new_submission_key()})
        answers = _answers()
    form.submission_key.data = answers["submission_key"]
    return render_template("dfg/enquiry_check.html", form=form, rows=_summary(answers))


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
        locality=a.get("locality") if a.get("locality") in current_app.config["LOCALITIES"] else None,
        search=a.get("q", "")[:40],
    )


@bp.get("/cases")
@staff(*READERS)
def queue():
    filters = _filters()
    page = services.queue(db.session, filters, page=request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_page("dfg/queue.html", "dfg_results", page=page, filters=filters, args=args, states=STATES,
                       works_types=WORKS_TYPES, tenures=TENURES, localities=current_app.config["LOCALITIES"])


# Case page -----------------------------------------------------------------------------------

def _case(case_id: int):
    try:
        return services.get_case(db.session, case_id)
    except PortalError:
        abort(404)


def _ot_choices():
    ots = db.session.scalars(select(User).join(UserRole).where(
        UserRole.role == OCCUPATIONAL_THERAPIST, User.active.is_(True)).order_by(User.name)).all()
    return [("", "Not listed")] + [(str(u.id), u.name) for u in ots]


def _case_context(c, **overrides) -> dict:
    today = utcnow().date()
    v = c.version
    details = forms.DetailsForm(formdata=None, prefix="details", version=v, applicants=c.applicants,
                                locality=c.locality or "", works_types=c.works_types,
                                includes_tecs="yes" if c.includes_tecs else "no",
                                contractor=c.contractor, landlord_name=c.landlord_name)
    details.locality.choices = [("", "Not set")] + [(x, x) for x in current_app.config["LOCALITIES"]]
    ot = forms.OTRecommendationForm(formdata=None, prefix="ot", version=v)
    ot.ot.choices = _ot_choices()
    ctx = {
        "c": c, "person": c.person, "today": today, "clock": services.clock_for(c, today),
        "payment_clock": services.payment_clock(c, today), "stages": services.stage_durations(c),
        "can_edit": has_role(current_user, (DFG_CASEWORKER,)), "can": lambda s: services.can_move(c, s),
        "grant_limit": services.grant_limit(c), "min_quotes": int(services.setting("DFG_MIN_QUOTES")),
        "tenant": c.tenure in TENANT_TENURES,
        "difficulty_text": ", ".join(forms.DIFFICULTIES.get(d, d) for d in c.difficulties or []),
        "tor_results": TOR_RESULTS,
        "discretionary_reasons": DISCRETIONARY_REASONS, "evidence_kinds": EVIDENCE_KINDS,
        "action_form": forms.VersionedForm(formdata=None, version=v),
        "details_form": details,
        "landlord_form": forms.LandlordConsentForm(formdata=None, prefix="landlord", version=v),
        "tor_form": forms.TestOfResourcesForm(formdata=None, prefix="tor", version=v),
        "ot_form": ot,
        "quote_form": forms.QuoteForm(formdata=None, prefix="quote"),
        "application_form": forms.DateActionForm(formdata=None, prefix="application", version=v, on=today),
        "approve_form": forms.ApproveForm(formdata=None, prefix="approve", version=v, decision_date=today),
        "refuse_form": forms.ReasonForm(formdata=None, prefix="refuse", version=v),
        "works_form": forms.DateActionForm(formdata=None, prefix="works", version=v, on=today),
        "complete_form": forms.CompleteForm(formdata=None, prefix="complete", version=v),
        "payment_form": forms.PaymentForm(formdata=None, prefix="payment",
                                          submission_key=services.new_submission_key(),
                                           paid_on=today),
        "withdraw_form": forms.ReasonForm(formdata=None, prefix="withdraw", version=v),
        "evidence_form": forms.EvidenceForm(formdata=None, prefix="evidence"),
        "failed": None,
    }
    ctx.update(overrides)
    return ctx


@bp.get("/cases/<int:case_id>")
@staff(*READERS)
def case(case_id: int):
    c = _case(case_id)
    services.record_case_view(db.session, current_user, c)
    db.session.commit()
    return render_template("dfg/case.html", **_case_context(c))


def _version():
    """The hidden version field, whatever prefix its form has."""
    raw = next((v for k, v in request.form.items() if k == "version" or k.endswith("-version")), "")
    return int(raw) if raw.isdigit() else None


def _invalid(c, name: str, form, message: str | None = None):
    """Show the case page again with the failing form and its errors (nothing typed is lost)."""
    db.session.rollback()
    c = _case(c.id)
    if message:
        target = getattr(form, _ERROR_FIELD.get(name, ""), None)
        if target is not None:
            target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]
        else:
            form.form_errors.append(message)
    return render_template("dfg/case.html", **_case_context(c, **{f"{name}_form": form, "failed": name})), 422


_ERROR_FIELD = {"approve": "grant", "payment": "amount", "tor": "weekly_income", "quote": "amount",
                "evidence": "file", "application": "on", "complete": "inspected_on", "works": "on",
                "landlord": "consent_date", "ot": "ot_name", "details": "works_types"}

_SIMPLE = {
    "eligibility": (services.start_eligibility, "Eligibility checks started."),
    "request-ot": (services.request_ot, "The case is waiting for the OT recommendation."),
    "survey": (services.start_survey, "The case has moved to survey and quotes."),
    "close-paid": (services.close_as_paid, "The case is closed as paid."),
}


def _done(c, message: str):
    db.session.commit()
    flash(message, "success")
    return hx_redirect(url_for("dfg.case", case_id=c.id))


@bp.post("/cases/<int:case_id>/<any(eligibility, 'request-ot', survey, 'close-paid', review):action>")
@staff(DFG_CASEWORKER)
def simple_action(case_id: int, action: str):
    c = _case(case_id)
    if not forms.VersionedForm().validate_on_submit():
        abort(400)
    if action == "review":
        services.receive_application(db.session, current_user, c, on=utcnow().date(), version=_version())
        return _done(c, "The refusal is under review: the case is back at full application received.")
    fn, message = _SIMPLE[action]
    fn(db.session, current_user, c, version=_version())
    return _done(c, message)


@bp.post("/cases/<int:case_id>/<any(details, landlord, tor, ot, quote, application, approve, refuse, works, "
         "complete, payment, withdraw):action>")
@staff(DFG_CASEWORKER)
def form_action(case_id: int, action: str):
    c = _case(case_id)
    form_cls = {"details": forms.DetailsForm, "landlord": forms.LandlordConsentForm,
                "tor": forms.TestOfResourcesForm, "ot": forms.OTRecommendationForm, "quote": forms.QuoteForm,
                "application": forms.DateActionForm, "approve": forms.ApproveForm, "refuse": forms.ReasonForm,
                "works": forms.DateActionForm, "complete": forms.CompleteForm, "payment": forms.PaymentForm,
                "withdraw": forms.ReasonForm}[action]
    form = form_cls(prefix=action)
    if action == "details":
        form.locality.choices = [("", "Not set")] + [(x, x) for x in current_app.config["LOCALITIES"]]
    if action == "ot":
        form.ot.choices = _ot_choices()
    if not form.validate_on_submit():
        return _invalid(c, action, form)
    s, me, v = db.session, current_user, _version()
    d = form.data
    try:
        if action == "details":
            services.update_details(s, me, c, version=v, applicants=d["applicants"], locality=d["locality"],
                                    works_types=d["works_types"], includes_tecs=d["includes_tecs"] == "yes",
                                    contractor=d["contractor"], landlord_name=d["landlord_name"])
            message = "Case details saved."
        elif action == "landlord":
            services.record_landlord_consent(s, me, c, version=v, on=d["consent_date"], by=d["consent_by"])
            message = "Landlord consent recorded."
        elif action == "tor":
            services.record_test_of_resources(
                s, me, c, version=v, passported=d["passported"] == "yes", benefit=d["benefit"],
                weekly_income=d["weekly_income"] or "0", weekly_allowances=d["weekly_allowances"] or "0",
                savings=d["savings"] or "0")
            message = f"Test of resources recorded: contribution £{c.contribution:,.2f}."
        elif action == "ot":
            services.record_ot_recommendation(
                s, me, c, version=v, what=d["what"], why=d["why"],
                necessary_appropriate=d["necessary_appropriate"] == "yes",
                ot_user_id=int(d["ot"]) if d["ot"] else None, ot_name=d["ot_name"])
            message = "OT recommendation recorded."
        elif action == "quote":
            services.add_quote(s, me, c, contractor=d["contractor"], amount=d["amount"], received_on=d["received_on"])
            message = "Quote added."
        elif action == "application":
            services.receive_application(s, me, c, on=d["on"], version=v)
            message = f"Full application received. Decision due by {c.decision_due_date:%-d %B %Y}."
        elif action == "approve":
            reason = d["discretionary_reason"] or None
            services.approve(s, me, c, grant=d["grant"], discretionary=d["discretionary"] or "0",
                             discretionary_reason=reason, decision_date=d["decision_date"],
                             payment_due=d["payment_due"], version=v)
            message = f"Grant approved: £{c.approved_total:,.2f}."
        elif action == "refuse":
            services.refuse(s, me, c, reason=d["reason"], version=v)
            message = "The application has been refused."
        elif action == "works":
            services.start_works(s, me, c, on=d["on"], version=v)
            message = "Works started."
        elif action == "complete":
            services.complete(s, me, c, completed_on=d["completed_on"], inspected_on=d["inspected_on"], version=v)
            message = "Completion and inspection recorded."
        elif action == "payment":
            services.record_payment(s, me, c.id, amount=d["amount"], paid_on=d["paid_on"], payee=d["payee"],
                                    submission_key=d["submission_key"] or None)
            message = "Payment recorded."
        else:
            services.withdraw(s, me, c, reason=d["reason"], version=v)
            message = "The case has been withdrawn."
    except (services.MoneyRuleBroken, services.UploadRejected) as exc:
        return _invalid(c, action, form, exc.message)
    except PortalError as exc:
        if exc.status in (400, 422):
            return _invalid(c, action, form, exc.message)
        raise
    return _done(c, message)


@bp.post("/cases/<int:case_id>/quotes/<int:quote_id>/choose")
@staff(DFG_CASEWORKER)
def choose_quote(case_id: int, quote_id: int):
    c = _case(case_id)
    if not forms.VersionedForm().validate_on_submit():
        abort(400)
    services.choose_quote(db.session, current_user, c, quote_id, version=_version())
    return _done(c, "Quote chosen.")


@bp.post("/cases/<int:case_id>/evidence")
@staff(DFG_CASEWORKER)
def upload(case_id: int):
    c = _case(case_id)
    form = forms.EvidenceForm(prefix="evidence")
    if not form.validate_on_submit():
        return _invalid(c, "evidence", form)
    storage = form.file.data
    data = storage.read(services.MAX_EVIDENCE_BYTES + 1) if storage else b""
    try:
        services.store_evidence(db.session, current_user, c, filename=storage.filename if storage else None,
                                data=data, kind=form.kind.data, description=form.description.data)
    except services.UploadRejected as exc:
        return _invalid(c, "evidence", form, exc.message)
    return _done(c, "File uploaded.")


@bp.get("/cases/<int:case_id>/evidence/<int:evidence_id>")
@staff(*READERS)
def download(case_id: int, evidence_id: int):
    try:
        ev, path = services.evidence_for_download(db.session, current_user, case_id, evidence_id)
    except PortalError:
        abort(404)
    db.session.commit()
    data = path.read_bytes()  # at most 10 MiB; read whole so no file handle outlives the request
    resp = send_file(io.BytesIO(data), mimetype=ev.content_type, as_attachment=True, download_name=ev.original_name,
                     max_age=0, conditional=False, etag=False)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "no-store"
    return resp


# Budget --------------------------------------------------------------------------------------

@bp.get("/budget")
@staff(*READERS)
def budget():
    today = utcnow().date()
    locality = request.args.get("locality")
    locality = locality if locality in current_app.config["LOCALITIES"] else None
    start = date(today.year - 1, today.month, 1)
    return render_template("dfg/budget.html", b=services.budget(db.session, today, locality=locality),
                           f=services.figures(db.session, start, today, locality=locality), states=STATES,
                           locality=locality, localities=current_app.config["LOCALITIES"])
