"""Self-assessment pages: one question a page, check answers, the report. No JavaScript needed."""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from portal.advice import bp, services
from portal.auth.roles import ADMIN, ASSESSORS, MANAGER
from portal.extensions import db, limiter
from portal.web.security import public, staff

SESSION_KEY = "advice_ref"


class EmailForm(FlaskForm):
    pass


def _current():
    report = services.in_progress(db.session, session.get(SESSION_KEY))
    if report is None:
        return None
    return report


def _audience(report) -> str:
    first = services.content().journey({})[0].id
    return (report.answers or {}).get(first) or "myself"


@bp.get("/")
@public
def start():
    return render_template("advice/start.html", in_progress=_current() is not None)


@bp.post("/begin")
@public
def begin():
    if not FlaskForm().validate_on_submit():
        abort(400)
    helper = current_user._get_current_object() if current_user.is_authenticated else None
    report = services.start(db.session, completed_by=helper)
    db.session.commit()
    session[SESSION_KEY] = report.reference
    return redirect(url_for("advice.question", question_id=services.content().journey({})[0].id), 303)


@bp.route("/questions/<question_id>", methods=["GET", "POST"])
@public
def question(question_id: str):
    report = _current()
    if report is None:
        return redirect(url_for("advice.start"), 303)
    c = services.content()
    answers = report.answers or {}
    journey = c.journey(answers)
    q = next((item for item in journey if item.id == question_id), None)
    if q is None:  # not part of this journey (any more): go to where they should be
        nxt = c.next_question(answers)
        target = url_for("advice.question", question_id=nxt.id) if nxt else url_for("advice.check")
        return redirect(target, 303)
    form = FlaskForm()
    error = None
    from_check = request.args.get("source") == "check"
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        raw = request.form.getlist("answer") if q.type == "checkboxes" else request.form.get("answer", "")
        error = services.answer(db.session, report, q.id, raw)
        if error is None:
            db.session.commit()
            nxt = c.next_question(report.answers)
            if nxt is None or from_check and nxt is None:
                return redirect(url_for("advice.check"), 303)
            return redirect(url_for("advice.question", question_id=nxt.id), 303)
        current = raw
    else:
        current = answers.get(q.id)
    previous = c.previous_question(answers, q.id)
    back = (url_for("advice.check") if from_check else
            url_for("advice.question", question_id=previous.id) if previous else url_for("advice.start"))
    audience = _audience(report)
    position = [item.id for item in journey].index(q.id) + 1
    return render_template("advice/question.html", q=q, audience=audience, error=error, back=back,
                           current=current if isinstance(current, list) else ([current] if current else []),
                           form=form, from_check=from_check, position=position,
                           area=c.area(q.area) if q.area else None)


@bp.route("/check", methods=["GET", "POST"])
@public
def check():
    report = _current()
    if report is None:
        return redirect(url_for("advice.start"), 303)
    c = services.content()
    nxt = c.next_question(report.answers or {})
    if nxt is not None:
        return redirect(url_for("advice.question", question_id=nxt.id), 303)
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.complete(db.session, report)
        db.session.commit()
        session.pop(SESSION_KEY, None)
        return redirect(url_for("advice.report", reference=report.reference), 303)
    rows = services.answered(report)
    return render_template("advice/check.html", rows=rows, audience=_audience(report), form=form)


@bp.get("/report/<reference>")
@public
def report(reference: str):
    item = services.completed_report(db.session, reference[:40])
    if item is None:
        abort(404)
    result = services.result_for(item)
    return render_template("advice/report.html", report=item, result=result, form=EmailForm(),
                           rows=services.answered(item), audience=result.audience)


@bp.post("/report/<reference>/email")
@public
@limiter.limit("5 per hour", methods=["POST"])
def email(reference: str):
    item = services.completed_report(db.session, reference[:40])
    if item is None:
        abort(404)
    address = (request.form.get("email") or "").strip()
    form = EmailForm()
    if not form.validate_on_submit():
        abort(400)
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        result = services.result_for(item)
        return render_template("advice/report.html", report=item, result=result, form=form,
                               rows=services.answered(item), audience=result.audience,
                               email_error="Enter an email address in the correct format, like name@example.com",
                               email_value=address[:254])
    services.email_report(db.session, item, address, url_for("advice.report", reference=item.reference,
                                                              _external=True))
    db.session.commit()
    flash("We have emailed a link to your report. It may take a few minutes to arrive.", "success")
    return redirect(url_for("advice.report", reference=item.reference), 303)


@bp.get("/preview")
@staff(*ASSESSORS, MANAGER, ADMIN)
def preview():
    c = services.content()
    return render_template("advice/preview.html", content=c,
                           audience=request.args.get("audience", "myself"))
