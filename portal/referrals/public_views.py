"""Public side of referrals: ask for help (with or without a self-assessment), follow a request."""

import copy
from datetime import date

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.extensions import db, limiter
from portal.people import services as people
from portal.referrals import bp, services
from portal.referrals.models import NEEDS
from portal.referrals.public_forms import (
    COMMUNICATION_NEED_WORDS,
    NEED_WORDS,
    AddressForm,
    CarerForm,
    ConfirmForm,
    ConsentForm,
    ContactForm,
    DateOfBirthForm,
    FallsForm,
    FormatsForm,
    HospitalForm,
    NameForm,
    NeedsForm,
    NHSNumberForm,
    TrackForm,
    WhatIsHardForm,
    WhoForm,
    YourNameForm,
    suggested_priority,
)
from portal.sql import is_submission_key
from portal.web.filters import format_date
from portal.web.i18n import current_language
from portal.web.security import public

# One question a page, in this order: who needs help, then the person who needs help (their
# name, date of birth, address), then, for someone asking on another's behalf, about them, then
# how to contact, then the help needed. Pages in ON_BEHALF appear only for "Someone else".
STEPS = {
    "who": WhoForm, "name": NameForm, "date-of-birth": DateOfBirthForm, "address": AddressForm,
    "nhs-number": NHSNumberForm, "your-name": YourNameForm, "consent": ConsentForm, "contact": ContactForm,
    "formats": FormatsForm, "needs": NeedsForm, "what-is-hard": WhatIsHardForm, "hospital": HospitalForm,
    "falls": FallsForm, "carer": CarerForm,
}
ON_BEHALF = ("your-name", "consent")
DATES = ("date_of_birth", "discharge_date")
STEP_URL = "/ask-for-help/<any(" + ", ".join(f"'{step}'" for step in STEPS) + "):step>"


def _journey() -> dict:
    return session.setdefault("help", {})


def _answers(journey: dict) -> dict:
    return journey.get("a") or {}


def _someone(journey: dict) -> bool:
    return _answers(journey).get("who") == "someone"


def _steps(journey: dict) -> list[str]:
    """The pages this journey has: the "about you" pages only when asking for someone else."""
    return [step for step in STEPS if step not in ON_BEHALF or _someone(journey)]


def _first_missing(journey: dict) -> str | None:
    """The first page not yet answered (a page counts once its form was accepted), or None when
    every page is done."""
    done = set(journey.get("done") or [])
    return next((step for step in _steps(journey) if step not in done), None)


def titles(someone: bool) -> dict[str, str]:
    """Each page's question, worded for the person asking for themselves or for someone else
    (whole sentences, so that each language words them its own way)."""
    return {
        "who": _("Who needs help?"),
        "name": _("What is their name?") if someone else _("What is your name?"),
        "date-of-birth": _("What is their date of birth?") if someone else _("What is your date of birth?"),
        "address": _("What is their address?") if someone else _("What is your address?"),
        "nhs-number": _("What is their NHS number?") if someone else _("What is your NHS number?"),
        "your-name": _("What is your name?"),
        "consent": _("Do they know you are asking for help, and agree?"),
        "contact": _("How can we contact you?"),
        "formats": (_("Do they need information in another format, or an interpreter?") if someone
                    else _("Do you need information in another format, or an interpreter?")),
        "needs": _("What would help?"),
        "what-is-hard": (_("What is hard for them at the moment?") if someone
                         else _("What is hard for you at the moment?")),
        "hospital": (_("Are they in hospital and waiting to come home?") if someone
                     else _("Are you in hospital and waiting to come home?")),
        "falls": (_("Have they had a fall in the last 3 months?") if someone
                  else _("Have you had a fall in the last 3 months?")),
        "carer": (_("Is someone who looks after them finding it very hard to keep going?") if someone
                  else _("Is someone who looks after you finding it very hard to keep going?")),
    }


def _staff_helper():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.get("/ask-for-help")
@public
def public_start():
    report_ref = request.args.get("report", "")[:40]
    if report_ref:
        from portal.advice.privacy import link_expired
        from portal.advice.services import completed_report

        report = completed_report(db.session, report_ref)
        if report is not None and not link_expired(report):  # an expired link carries nothing
            journey = _journey()
            journey["report"] = report.reference
            journey.update(report_handover(report))
            session.modified = True
    return render_template("referrals/public/start.html", from_report=bool(_journey().get("report")),
                           discharge=bool(_journey().get("discharge")))


def report_handover(report) -> dict:
    """What the self-assessment carries into the request: the help it pointed to (the needs it
    suggests, and equipment before discharge for someone in hospital), who it is for, and whether
    it is a hospital discharge referral (a professional answering for someone in hospital)."""
    from portal.advice.services import handover

    carried = handover(report)
    needs = [n for n in carried.needs if n in NEEDS]
    if carried.in_hospital and "equipment" not in needs:
        needs.append("equipment")
    return {"suggested_needs": needs, "for_someone": carried.for_someone,
            "in_hospital": carried.in_hospital, "discharge": carried.discharge}


def _fields(form) -> list[str]:
    return [name for name in form._fields if name not in ("csrf_token", "submit")]


def _loaded(form_class, journey: dict, step: str) -> dict:
    """What the page shows before it is posted: the saved answers, or what a self-assessment
    already suggested for a page not answered yet."""
    answers = _answers(journey)
    done = step in (journey.get("done") or [])
    data = dict(answers) if done else _prefill(journey, step)
    return {name: date.fromisoformat(value) if name in DATES and value else value
            for name, value in data.items()}


def _prefill(journey: dict, step: str) -> dict:
    """Answers suggested before the page was seen: what a self-assessment already said."""
    if step == "who" and journey.get("for_someone"):
        return {"who": "someone"}
    if step == "needs" and journey.get("suggested_needs"):
        return {"needs": journey["suggested_needs"]}
    if step == "hospital" and journey.get("in_hospital"):
        return {"hospital": "yes"}
    return {}


def _save(journey: dict, step: str, form) -> None:
    answers = dict(_answers(journey))
    for name in _fields(form):
        value = form[name].data
        answers[name] = value.isoformat() if isinstance(value, date) else value
    if step == "who" and answers.get("who") != "someone":
        answers["relationship"] = ""
    journey["a"] = answers
    journey["done"] = [s for s in STEPS if s in (journey.get("done") or []) or s == step]
    session.modified = True


@bp.route(STEP_URL, methods=["GET", "POST"])
@public
@limiter.limit("300 per hour", methods=["POST"])
def public_step(step: str):
    journey = _journey()
    steps = _steps(journey)
    changing = request.args.get("change") == "1"
    missing = _first_missing(journey)
    if step not in steps or (missing is not None and steps.index(missing) < steps.index(step)):
        # a page this journey does not have, or one not reached yet: go where they are up to
        return _go(missing, changing)
    form_class = STEPS[step]
    form = form_class() if request.method == "POST" else form_class(data=_loaded(form_class, journey, step))
    if step == "hospital":
        form.discharge_required = bool(journey.get("discharge"))
    if request.method == "POST" and form.validate_on_submit() and _fits(journey, step, form):
        _save(journey, step, form)
        if changing:
            return _go(_first_missing(journey), changing=True)
        steps = _steps(journey)  # "Someone else" adds the pages about the person asking
        following = steps[steps.index(step) + 1] if step != steps[-1] else None
        return _go(following or _first_missing(journey), changing=False)
    index = steps.index(step)
    back = (url_for("referrals.public_check") if changing else
            url_for("referrals.public_step", step=steps[index - 1]) if index else url_for("referrals.public_start"))
    someone = _someone(journey) if step != "who" else False
    return render_template("referrals/public/step.html", form=form, step=step, title=titles(someone)[step],
                           back=back, someone=someone, need_words=NEED_WORDS), 422 if form.errors else 200


# The signed session cookie's value may be at most about 4 KB (browsers drop larger ones, and
# the answers with it). Every box is bounded; this catches text that escapes to far more than its
# length (emoji, say) before it is stored, and asks for fewer words instead.
SESSION_BUDGET = 3600
TOO_LONG = _l("Your answer is too long to save. Use fewer words: you can tell us more when we contact you")


def _fits(journey: dict, step: str, form) -> bool:
    trial = copy.deepcopy(journey)
    answers = dict(_answers(trial))
    for name in _fields(form):
        value = form[name].data
        answers[name] = value.isoformat() if isinstance(value, date) else value
    trial["a"] = answers
    size = len(current_app.session_interface.get_signing_serializer(current_app).dumps({**session, "help": trial}))
    if size <= SESSION_BUDGET:
        return True
    longest = max((form[name] for name in _fields(form) if isinstance(form[name].data, str)),
                  key=lambda field: len(field.data), default=None)
    (longest.errors if longest is not None else form.form_errors).append(TOO_LONG)
    return False


def _go(step: str | None, changing: bool):
    """To a page (keeping "came from check your answers"), or to check your answers."""
    if step is None:
        return redirect(url_for("referrals.public_check"), 303)
    return redirect(url_for("referrals.public_step", step=step, change=1 if changing else None), 303)


def _day(iso: str | None) -> str:
    if not iso:
        return ""
    return format_date(date.fromisoformat(iso))


def summary(journey: dict) -> list[dict]:
    """Check your answers: sections of rows, each row with the page that changes it."""
    a = _answers(journey)
    someone = _someone(journey)
    formats = [str(COMMUNICATION_NEED_WORDS.get(n, n)) for n in a.get("communication_needs") or []]
    if a.get("interpreter_language") and "interpreter" in (a.get("communication_needs") or []):
        formats = [f"{n} ({a['interpreter_language']})" if n == str(COMMUNICATION_NEED_WORDS["interpreter"]) else n
                   for n in formats]
    yes_no = {"yes": _("Yes"), "no": _("No")}
    sections = [{"title": _("Who needs help"), "rows": [
        {"key": _("Who needs help"), "value": _("Someone else") if someone else _("Me"), "step": "who"}] + ([
        {"key": _("Your relationship to them"), "value": a.get("relationship"), "step": "who"}] if someone else [])}]
    sections.append({"title": _("Their details") if someone else _("Your details"), "rows": [
        {"key": _("Name"), "value": f"{a.get('given_name', '')} {a.get('family_name', '')}", "step": "name"},
        {"key": _("Date of birth"), "value": _day(a.get("date_of_birth")), "step": "date-of-birth"},
        {"key": _("Address"), "value": ", ".join(p for p in (a.get("address_line_1"), a.get("address_line_2"),
                                                           a.get("town"), a.get("postcode")) if p), "step": "address"},
        {"key": _("NHS number"), "value": a.get("nhs_number") or _("Not given"), "step": "nhs-number"}]})
    if someone:
        sections.append({"title": _("About you"), "rows": [
            {"key": _("Your name"), "value": a.get("your_name"), "step": "your-name"},
            {"key": _("They agree"), "value": _("Yes") if a.get("consent") == "yes"
             else _("They cannot decide: it is in their best interest"), "step": "consent"}]})
    hospital = [{"key": _("In hospital"), "value": yes_no.get(a.get("hospital"), ""), "step": "hospital"}]
    if a.get("hospital") == "yes":
        hospital.append({"key": _("Due to come home"), "value": _day(a.get("discharge_date")) or _("No date given"),
                         "step": "hospital"})
    sections += [
        {"title": _("How we contact you"), "rows": [
            {"key": _("Phone"), "value": a.get("phone") or _("Not given"), "step": "contact"},
            {"key": _("Email"), "value": a.get("email") or _("Not given"), "step": "contact"},
            {"key": _("Other formats"), "value": ", ".join(formats) or _("None"), "step": "formats"}]},
        {"title": _("The help you need"), "rows": [
            {"key": _("What would help"), "value": "; ".join(_(NEED_WORDS[n][0]) for n in a.get("needs") or []
                                                          if n in NEED_WORDS), "step": "needs"},
            {"key": _("What is hard"), "value": a.get("help_wanted"), "step": "what-is-hard"},
            *hospital,
            {"key": _("Fallen in the last 3 months"), "value": yes_no.get(a.get("fallen_recently"), ""),
             "step": "falls"},
            {"key": _("Someone who looks after them is finding it very hard"),
             "value": {"yes": _("Yes"), "no": _("No"), "no_carer": _("Nobody looks after them")}.get(
                 a.get("carer_struggling"), ""), "step": "carer"}]}]
    return sections


@bp.route("/ask-for-help/check", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"])
def public_check():
    journey = _journey()
    missing = _first_missing(journey)
    if missing is not None:  # a section not answered yet: back to it, never a half-filled request
        return redirect(url_for("referrals.public_step", step=missing), 303)
    if "submission_key" not in journey:
        journey["submission_key"] = services.new_submission_key()
        session.modified = True
    form = ConfirmForm()
    if form.validate_on_submit():
        referral = _submit(journey, _submission_key(form.submission_key.data, journey))
        db.session.commit()
        session.pop("help", None)
        session["help_done"] = referral.reference
        return redirect(url_for("referrals.public_done"), 303)
    return render_template("referrals/public/check.html", form=form, j=journey, sections=summary(journey)), \
        422 if form.errors else 200


def _submission_key(posted: str | None, journey: dict) -> str:
    """The key the page was sent with (so a resent page makes no second request), unless it is
    not one of ours: then this journey's own key."""
    return posted if is_submission_key(posted) else journey["submission_key"]


def _submit(journey: dict, submission_key: str):
    existing = services.find_by_submission_key(db.session, submission_key)
    if existing is not None:
        return existing  # back button and resubmit, or a double click: one referral
    a = _answers(journey)
    helper = _staff_helper()
    actor = helper or "public"
    on_behalf = a["who"] == "someone"
    # the contact details are those of whoever filled in the form: the person's own, or the carer's
    yours = {"phone": (a.get("phone") or "").strip() or None,
             "email": (a.get("email") or "").strip().lower() or None}
    match = people.match_or_create(
        db.session, actor, given_name=a["given_name"], family_name=a["family_name"],
        date_of_birth=date.fromisoformat(a["date_of_birth"]), address_line_1=a["address_line_1"],
        address_line_2=a.get("address_line_2"), town=a.get("town"), postcode=a["postcode"],
        nhs_number=a.get("nhs_number") or None, communication_needs=a.get("communication_needs") or [],
        interpreter_language=a.get("interpreter_language") or None, **({} if on_behalf else yours))
    person = match.person
    report_id = None
    if journey.get("report"):
        from portal.advice.services import completed_report, mark_asked_for_help

        report = completed_report(db.session, journey["report"])
        if report is not None:
            mark_asked_for_help(db.session, report)
            report_id = report.id
    help_ = a
    discharge = journey.get("discharge") and report_id and help_.get("hospital") == "yes"
    source = ("hospital_discharge" if discharge else
              "self_assessment" if report_id else ("carer" if on_behalf else "self"))
    discharge_date = (date.fromisoformat(help_["discharge_date"])
                      if help_.get("hospital") == "yes" and help_.get("discharge_date") else None)
    risks = [label for key, label in (("hospital", "In hospital waiting to come home"),
                                      ("fallen_recently", "Fallen in the last 3 months"),
                                      ("carer_struggling", "Carer finding it very hard to keep caring"))
             if help_.get(key) == "yes"]
    referral, created = services.create_referral(
        db.session, actor, person=person, source=source, needs=help_["needs"], help_wanted=help_["help_wanted"],
        submission_key=submission_key, suggested_priority=suggested_priority(help_),
        risk_summary="; ".join(risks) or None, discharge_date=discharge_date,
        referrer_name=a.get("your_name") if on_behalf else None,
        referrer_relationship=a.get("relationship") if on_behalf else None,
        referrer_phone=yours["phone"] if on_behalf else None, referrer_email=yours["email"] if on_behalf else None,
        consent_given=not on_behalf or a.get("consent") == "yes",
        consent_note="Asked for in the person's best interest"
        if on_behalf and a.get("consent") == "cannot" else None,
        advice_report_id=report_id, completed_by=helper, language=current_language())
    if not created:
        people.discard(db.session, match)  # the same form won a race a moment ago: keep one record
        return referral
    if on_behalf:
        people.add_requester_contact(db.session, actor, person, name=a.get("your_name") or "",
                                     relationship=a.get("relationship"), **yours)
    services.notify_person(db.session, referral, "referral_received")
    return referral


@bp.get("/ask-for-help/done")
@public
def public_done():
    reference = session.get("help_done")
    if not reference:
        return redirect(url_for("referrals.public_start"), 303)
    return render_template("referrals/public/done.html", reference=reference)


@bp.route("/track", methods=["GET", "POST"])
@public
@limiter.limit("10 per 5 minutes;30 per hour", methods=["POST"])
def track():
    form = TrackForm()
    status = None
    not_found = False
    if form.validate_on_submit():
        status = services.public_status(db.session, form.reference.data, form.date_of_birth.data)
        not_found = status is None
    return render_template("referrals/public/track.html", form=form, status=status, not_found=not_found)


@bp.get("/ask-for-help/restart")
@public
def public_restart():
    session.pop("help", None)
    return redirect(url_for("referrals.public_start"), 303)
