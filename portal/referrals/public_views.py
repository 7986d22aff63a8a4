"""Public side of referrals: ask for help (with or without a self-assessment), follow a request."""

from datetime import date

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.extensions import db, limiter
from portal.people import services as people
from portal.referrals import bp, services
from portal.referrals.models import NEEDS
from portal.referrals.public_forms import (
    ConfirmForm,
    ContactForm,
    DetailsForm,
    HelpForm,
    TrackForm,
    WhoForm,
    suggested_priority,
)
from portal.sql import is_submission_key
from portal.web.security import public

STEPS = {
    "who": (WhoForm, "Who needs help?"),
    "details": (DetailsForm, "Their details"),
    "contact": (ContactForm, "How can we contact you?"),
    "help": (HelpForm, "What help do you need?"),
}
ORDER = list(STEPS)


def _journey() -> dict:
    return session.setdefault("help", {})


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


def _answer_names(step: str) -> set[str]:
    form = STEPS[step][0](formdata=None, meta={"csrf": False})
    return {name for name in form._fields if name not in ("csrf_token", "submit")}


def _first_missing(journey: dict) -> str | None:
    """The first step without a full set of saved answers (a step counts only once its form was
    accepted), or None when every step is done."""
    for step in ORDER:
        saved = journey.get(step)
        if not isinstance(saved, dict) or not _answer_names(step) <= saved.keys():
            return step
    return None


def _load(form, data: dict) -> None:
    for name, field in form._fields.items():
        if name in data and name not in ("csrf_token", "submit"):
            value = data[name]
            if name in ("date_of_birth", "discharge_date") and value:
                value = date.fromisoformat(value)
            field.data = value


def _store(form) -> dict:
    out = {}
    for name, field in form._fields.items():
        if name in ("csrf_token", "submit"):
            continue
        value = field.data
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


@bp.route("/ask-for-help/<any(who, details, contact, help):step>", methods=["GET", "POST"])
@public
def public_step(step: str):
    form_class, title = STEPS[step]
    journey = _journey()
    index = ORDER.index(step)
    missing = _first_missing(journey)
    if missing is not None and ORDER.index(missing) < index:  # an earlier step first
        return redirect(url_for("referrals.public_step", step=missing), 303)
    form = form_class()
    if step == "help":
        form.discharge_required = bool(journey.get("discharge"))
    if request.method == "GET":
        _load(form, journey.get(step) or _prefill(journey, step))
    elif form.validate_on_submit():
        journey[step] = _store(form)
        session.modified = True
        if request.args.get("source") == "check" or index == len(ORDER) - 1:
            following = _first_missing(journey)  # check your answers, unless a section is still missing
        else:
            following = ORDER[index + 1]
        if following is None:
            return redirect(url_for("referrals.public_check"), 303)
        return redirect(url_for("referrals.public_step", step=following), 303)
    back = url_for("referrals.public_step", step=ORDER[index - 1]) if index else url_for("referrals.public_start")
    return render_template(f"referrals/public/{step}.html", form=form, title=title, back=back,
                           someone=journey.get("who", {}).get("who") == "someone"), 422 if form.errors else 200


def _prefill(journey: dict, step: str) -> dict:
    """Answers suggested before the step was seen: what a self-assessment already said."""
    if step == "who" and journey.get("for_someone"):
        return {"who": "someone"}
    if step == "help":
        suggested = {"needs": journey["suggested_needs"]} if journey.get("suggested_needs") else {}
        return suggested | ({"hospital": "yes"} if journey.get("in_hospital") else {})
    return {}


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
    help_ = journey["help"]
    discharge_on = (date.fromisoformat(help_["discharge_date"])
                    if help_.get("hospital") == "yes" and help_.get("discharge_date") else None)
    return render_template("referrals/public/check.html", form=form, j=journey, needs=NEEDS,
                           discharge_on=discharge_on), \
        422 if form.errors else 200


def _submission_key(posted: str | None, journey: dict) -> str:
    """The key the page was sent with (so a resent page makes no second request), unless it is
    not one of ours: then this journey's own key."""
    return posted if is_submission_key(posted) else journey["submission_key"]


def _submit(journey: dict, submission_key: str):
    existing = services.find_by_submission_key(db.session, submission_key)
    if existing is not None:
        return existing  # back button and resubmit, or a double click: one referral
    who, details, contact, help_ = journey["who"], journey["details"], journey["contact"], journey["help"]
    helper = _staff_helper()
    actor = helper or "public"
    on_behalf = who["who"] == "someone"
    # the contact details are those of whoever filled in the form: the person's own, or the carer's
    yours = {"phone": (contact.get("phone") or "").strip() or None,
             "email": (contact.get("email") or "").strip().lower() or None}
    match = people.match_or_create(
        db.session, actor, given_name=details["given_name"], family_name=details["family_name"],
        date_of_birth=date.fromisoformat(details["date_of_birth"]), address_line_1=details["address_line_1"],
        address_line_2=details.get("address_line_2"), town=details.get("town"), postcode=details["postcode"],
        nhs_number=details.get("nhs_number") or None, communication_needs=contact.get("communication_needs") or [],
        interpreter_language=contact.get("interpreter_language"), **({} if on_behalf else yours))
    person = match.person
    report_id = None
    if journey.get("report"):
        from portal.advice.services import completed_report, mark_asked_for_help

        report = completed_report(db.session, journey["report"])
        if report is not None:
            mark_asked_for_help(db.session, report)
            report_id = report.id
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
        referrer_name=who.get("your_name") if on_behalf else None,
        referrer_relationship=who.get("relationship") if on_behalf else None,
        referrer_phone=yours["phone"] if on_behalf else None, referrer_email=yours["email"] if on_behalf else None,
        consent_given=not on_behalf or who.get("consent") == "yes",
        consent_note="Asked for in the person's best interest"
        if on_behalf and who.get("consent") == "cannot" else None,
        advice_report_id=report_id, completed_by=helper)
    if not created:
        people.discard(db.session, match)  # the same form won a race a moment ago: keep one record
        return referral
    if on_behalf:
        people.add_requester_contact(db.session, actor, person, name=who.get("your_name") or "",
                                     relationship=who.get("relationship"), **yours)
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
