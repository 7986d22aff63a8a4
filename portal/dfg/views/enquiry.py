"""The public DFG enquiry: one question a page, check your answers, then one case (sent once)."""

from datetime import date

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from portal.dfg import bp, forms, services
from portal.extensions import db, limiter
from portal.people.validators import normalise_postcode
from portal.sql import is_submission_key, new_submission_key
from portal.web.filters import format_date
from portal.web.i18n import current_language
from portal.web.security import public

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
    difficulties = "; ".join(str(forms.DIFFICULTY_WORDS.get(d, d)) for d in answers.get("difficulties", []))
    return [
        {"key": _("Who the grant is for"), "value": _("A disabled child or young person")
         if answers.get("who") == "child" else _("An adult"), "step": "who"},
        {"key": _("Who owns the home"), "value": str(forms.TENURE_WORDS.get(answers.get("tenure"), "")),
         "step": "tenure"},
        {"key": _("What is hard at home"),
         "value": difficulties + (f". {answers['details']}" if answers.get("details") else ""),
         "step": "difficulties"},
        {"key": _("Name"), "value": f"{answers.get('given_name', '')} {answers.get('family_name', '')}",
         "step": "name"},
        {"key": _("Date of birth"), "value": format_date(dob), "step": "date-of-birth"},
        {"key": _("Address"), "value": ", ".join(p for p in (answers.get("address_line_1"),
                                                             answers.get("address_line_2"),
                                                             answers.get("town"), answers.get("postcode")) if p),
         "step": "address"},
        {"key": _("Contact"), "value": " / ".join(p for p in (answers.get("phone"), answers.get("email")) if p),
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
            form.form_errors.append(_("This page was out of date. Check your answers, then send the enquiry."))
            status = 422
        else:
            c, _new = services.create_enquiry(
                db.session, "public", submission_key=key, tenure=answers["tenure"],
                difficulties=answers.get("difficulties", []),
                difficulty_details=answers.get("details"), given_name=answers["given_name"],
                family_name=answers["family_name"], date_of_birth=date.fromisoformat(answers["date_of_birth"]),
                address_line_1=answers["address_line_1"], address_line_2=answers.get("address_line_2"),
                town=answers.get("town"), postcode=answers["postcode"], phone=answers.get("phone"),
                email=answers.get("email"), language=current_language())
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
