"""Self-assessment pages: one question a page, check answers, the report. No JavaScript needed.

Whatever a person posts comes back to them: a missing or unknown answer, or a page that had
expired, re-renders the same page with a GOV.UK error and their answer kept; a step out of order
sends them to the step they still need.
"""

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.advice import bp, services
from portal.advice.forms import EmailForm, ResumeForm, StepForm
from portal.auth.roles import ADMIN, ASSESSORS, MANAGER
from portal.errors import Refusal
from portal.extensions import db, limiter
from portal.web.forms import refuse
from portal.web.security import public, staff

SESSION_KEY = "advice_ref"
EXPIRED_ANSWER = "This page had expired, so your answer was not saved. Check it and select Continue again."


def _current():
    return services.in_progress(db.session, session.get(SESSION_KEY))


def _audience(report) -> str:
    first = services.content().journey({})[0].id
    return (report.answers or {}).get(first) or "myself"


def _to_step(question) -> str:
    """The address of a question, or of check your answers when none is left."""
    return url_for("advice.question", question_id=question.id) if question else url_for("advice.check")


@bp.get("/")
@public
def start():
    return _start_page(StepForm())


def _start_page(form: StepForm, status: int = 200):
    return render_template("advice/start.html", in_progress=_current() is not None,
                           form=form), status


@bp.post("/begin")
@public
def begin():
    form = StepForm()
    if not form.validate_on_submit():
        return _start_page(form, status=422)
    helper = current_user._get_current_object() if current_user.is_authenticated else None
    report = services.start(db.session, completed_by=helper)
    db.session.commit()
    session[SESSION_KEY] = report.reference
    return redirect(_to_step(services.content().journey({})[0]), 303)


@bp.route("/questions/<question_id>", methods=["GET", "POST"])
@public
def question(question_id: str):
    report = _current()
    if report is None:
        return redirect(url_for("advice.start"), 303)
    c = services.content()
    answers = report.answers or {}
    journey = [item.id for item in c.journey(answers)]
    needed = c.next_question(answers)
    if question_id not in journey or (
        needed is not None and journey.index(question_id) > journey.index(needed.id)
    ):  # not part of this journey (any more), or not reached yet: go to where they should be
        return redirect(_to_step(needed), 303)
    q = c.question(question_id)
    form = StepForm()
    error = None
    from_check = request.args.get("source") == "check"
    if request.method == "POST":
        raw = request.form.getlist("answer") if q.type == "checkboxes" else request.form.get("answer", "")
        error = services.answer(db.session, report, q.id, raw) if form.validate_on_submit() else EXPIRED_ANSWER
        if error is None:
            db.session.commit()
            return redirect(_to_step(c.next_question(report.answers)), 303)
        current = raw
    else:
        current = answers.get(q.id)
    previous = c.previous_question(answers, q.id)
    back = (url_for("advice.check") if from_check else
            url_for("advice.question", question_id=previous.id) if previous else url_for("advice.start"))
    return render_template("advice/question.html", q=q, audience=_audience(report), error=error,
                           back=back, form=form, from_check=from_check, **_as_they_go(report),
                           current=current if isinstance(current, list) else ([current] if current else []),
                           position=journey.index(q.id) + 1,
                           area=c.area(q.area) if q.area else None), 422 if error else 200


@bp.route("/check", methods=["GET", "POST"])
@public
def check():
    report = _current()
    if report is None:
        return redirect(url_for("advice.start"), 303)
    nxt = services.content().next_question(report.answers or {})
    if nxt is not None:
        return redirect(_to_step(nxt), 303)
    form = StepForm()
    if request.method == "POST" and form.validate_on_submit():
        services.complete(db.session, report)
        db.session.commit()
        session.pop(SESSION_KEY, None)
        return redirect(url_for("advice.report", reference=report.reference), 303)
    return render_template("advice/check.html", rows=services.answered(report), audience=_audience(report),
                           form=form, **_as_they_go(report)), 422 if form.errors else 200


def _as_they_go(report) -> dict:
    """What every page of an unfinished self-assessment shows: urgent help the answers so far call
    for, and the code to carry on later."""
    return {"urgent": services.urgent_help(report), "resume_code": services.shown_code(report.resume_code),
            "resume_days": services.RESUME_DAYS}


@bp.route("/resume", methods=["GET", "POST"])
@public
@limiter.limit("10 per 5 minutes;30 per hour", methods=["POST"])
def resume():
    """Carry on with an unfinished self-assessment, on this device or another, by its code."""
    form = ResumeForm()
    if form.validate_on_submit():
        report = services.resume(db.session, form.code.data)
        if report is not None:
            session[SESSION_KEY] = report.reference
            return redirect(_to_step(services.content().next_question(report.answers or {})), 303)
        form.code.errors.append("We could not find an unfinished self-assessment with that reference. "
                                f"Check it and try again. We keep unfinished answers for {services.RESUME_DAYS} days")
    return render_template("advice/resume.html", form=form), 422 if form.errors else 200


def _report_or_404(reference: str):
    item = services.completed_report(db.session, reference[:40])
    if item is None:
        abort(404)
    return item


def _report_page(item, form: EmailForm):
    result = services.result_for(item)
    return render_template("advice/report.html", report=item, result=result, form=form,
                           rows=services.answered(item), audience=result.audience,
                           lead_button=services.lead_button(result)), \
        422 if form.errors else 200


@bp.get("/report/<reference>")
@public
def report(reference: str):
    return _report_page(_report_or_404(reference), EmailForm(formdata=None))


@bp.post("/report/<reference>/email")
@public
@limiter.limit("5 per hour", methods=["POST"])
def email(reference: str):
    item = _report_or_404(reference)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            services.email_report(db.session, item, form.email.data.strip(),
                                  url_for("advice.report", reference=item.reference, _external=True))
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash("We have emailed a link to your report. It may take a few minutes to arrive.", "success")
            return redirect(url_for("advice.report", reference=item.reference), 303)
    return _report_page(item, form)


@bp.get("/preview")
@staff(*ASSESSORS, MANAGER, ADMIN)
def preview():
    c = services.content()
    return render_template("advice/preview.html", content=c,
                           audience=request.args.get("audience", "myself"))
