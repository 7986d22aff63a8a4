"""Self-assessment pages: one question a page, check answers, the report. No JavaScript needed.

Whatever a person posts comes back to them: a missing or unknown answer, or a page that had
expired, re-renders the same page with a GOV.UK error and their answer kept; a step out of order
sends them to the step they still need.
"""

from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.advice import bp, privacy, services
from portal.advice.forms import CodeForm, CodeRequestForm, DobForm, EmailForm, ResumeForm, StepForm
from portal.auth.roles import ADMIN, ASSESSORS, MANAGER
from portal.errors import Refusal
from portal.extensions import db, limiter
from portal.web.forms import refuse
from portal.web.i18n import current_language
from portal.web.security import public, staff

SESSION_KEY = "advice_ref"
EXPIRED_ANSWER = _l("This page had expired, so your answer was not saved. Check it and select Continue again.")


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
    report = services.start(db.session, completed_by=helper, language=current_language())
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
        urgent_before = {item.id for item in services.urgent_help(report)}
        error = services.answer(db.session, report, q.id, raw) if form.validate_on_submit() else EXPIRED_ANSWER
        if error is None:
            db.session.commit()
            if {item.id for item in services.urgent_help(report)} - urgent_before:  # a danger answer
                return redirect(url_for("advice.help_now", question_id=q.id), 303)
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


@bp.get("/questions/<question_id>/get-help-now")
@public
def help_now(question_id: str):
    """The interruption page straight after an answer that calls for urgent help (someone has
    fallen and cannot get up, is at risk of harm, no heating in the cold): what to do now and the
    number that answers at this hour, then Continue to carry on with the questions. A plain link:
    no JavaScript needed."""
    report = _current()
    if report is None:
        return redirect(url_for("advice.start"), 303)
    c = services.content()
    answers = report.answers or {}
    following = _to_step(c.next_question(answers))
    urgent = services.urgent_help(report)
    if not urgent or question_id not in answers:  # nothing urgent (any more): carry on
        return redirect(following, 303)
    return render_template("advice/interruption.html", urgent=urgent, following=following,
                           back=url_for("advice.question", question_id=question_id),
                           words=services.help_words())


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
        privacy.grant(session, report.id)  # this browser sees the answers for a while, no one else
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
        form.code.errors.append(_("We could not find an unfinished self-assessment with that reference. "
                                  "Check it and try again. We keep unfinished answers for %(days)d days",
                                  days=services.RESUME_DAYS))
    return render_template("advice/resume.html", form=form), 422 if form.errors else 200


# ------------------------------------------------------------------ the report
# Anyone with the link sees the advice; the answers only in a browser that may see them
# (portal/advice/privacy.py). Every page here is `Cache-Control: no-store` (portal.web.security).

CHECK_LIMIT = "10 per 5 minutes;30 per hour"
WRONG = {"date_of_birth": _l("The date of birth does not match. Check it and try again"),
         "code": _l("The code is not right. Check it, or ask for a new code")}
CODE_SENT = _l("If that is the email address the report was sent to, we have sent a code to it. "
               "It may take a few minutes to arrive.")


def _report_or_404(reference: str):
    item = services.completed_report(db.session, reference[:40])
    if item is None:
        abort(404)
    return item


def _live_report(reference: str):
    """The finished report, or the 'link has expired' page (410) once ADVICE_REPORT_LINK_DAYS
    have passed since it was finished."""
    item = _report_or_404(reference)
    if privacy.link_expired(item):
        abort(make_response(render_template("advice/expired.html", report=item,
                                            days=current_app.config["ADVICE_REPORT_LINK_DAYS"]), 410))
    return item


def _answers_url(item) -> str:
    return url_for("advice.report", reference=item.reference, _anchor="your-answers")


def _report_context(item) -> dict:
    result = services.result_for(item)
    may_see = privacy.may_see(session, item.id)
    return {"report": item, "result": result, "audience": result.audience, "may_see": may_see,
            "rows": services.answered(item) if may_see else [],
            "shown_reference": services.shown_reference(item), "expires": privacy.expiry_words(item),
            "lead_button": services.lead_button(result)}


def _report_page(item, form: EmailForm):
    return render_template("advice/report.html", form=form, **_report_context(item)), \
        422 if form.errors else 200


@bp.get("/report/<reference>")
@public
def report(reference: str):
    return _report_page(_live_report(reference), EmailForm(formdata=None))


@bp.get("/report/<reference>/print")
@public
def report_print(reference: str):
    """The report for paper: no menus or forms, the reference and date at the top; works
    without JavaScript (the browser's own print). Answers only where the page would show them."""
    item = _live_report(reference)
    return render_template("advice/report.html", form=EmailForm(formdata=None), print_view=True,
                           **_report_context(item))


@bp.get("/report/<reference>/large-print")
@public
def report_large_print(reference: str):
    """The whole report in large print (RNIB clear print: 16pt and more, sans serif, left
    aligned, high contrast), on screen and on paper. The print view's rules: anyone with the link
    sees the advice; the answers only where the report page would show them."""
    item = _live_report(reference)
    return render_template("advice/large_print.html", **_report_context(item))


@bp.get("/report/<reference>/easy-read")
@public
def report_easy_read(reference: str):
    """A short Easy Read summary of the report: each piece of advice in one or two short
    sentences beside a picture, urgent help first, then what to do next and who to call. Never
    the answers."""
    item = _live_report(reference)
    return render_template("advice/easy_read.html", **_report_context(item), words=services.help_words())


@bp.post("/report/<reference>/email")
@public
@limiter.limit("5 per hour", methods=["POST"])
def email(reference: str):
    item = _live_report(reference)
    form = EmailForm()
    if form.validate_on_submit():
        try:
            services.email_report(db.session, item, form.email.data.strip(),
                                  url_for("advice.report", reference=item.reference, _external=True),
                                  remember=privacy.may_see(session, item.id))
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("We have emailed a link to your report. It may take a few minutes to arrive."), "success")
            return redirect(url_for("advice.report", reference=item.reference), 303)
    return _report_page(item, form)


@bp.route("/report/<reference>/protect", methods=["GET", "POST"])
@public
def protect(reference: str):
    """Add (or change) the date of birth that lets the answers be seen again: only a browser
    that may see the answers now."""
    item = _live_report(reference)
    if not privacy.may_see(session, item.id):
        return redirect(url_for("advice.see_answers", reference=item.reference), 303)
    form = DobForm()
    if form.validate_on_submit():
        privacy.protect_with_dob(db.session, item, form.date_of_birth.data)
        db.session.commit()
        flash(_("Your answers are now protected with the date of birth."), "success")
        return redirect(_answers_url(item), 303)
    return render_template("advice/protect.html", report=item, form=form), 422 if form.errors else 200


def _checked(item, result: privacy.CheckResult, field):
    """After a check was counted (and committed): let the browser in, or say why not."""
    if result.passed:
        privacy.grant(session, item.id)
        return redirect(_answers_url(item), 303)
    if result.outcome is privacy.Outcome.LOCKED:
        field.errors.append(_("You have tried too many times. Try again after %(time)s, or start a new "
                              "self-assessment", time=result.locked_words()))
    elif result.outcome is privacy.Outcome.EXPIRED:
        field.errors.append(_("That code has expired. Ask for a new code"))
    else:
        field.errors.append(WRONG[field.name])
    return None


@bp.route("/report/<reference>/answers", methods=["GET", "POST"])
@public
@limiter.limit(CHECK_LIMIT, methods=["POST"])
def see_answers(reference: str):
    """See your answers: the date of birth check, with the emailed code as the other way in."""
    item = _live_report(reference)
    if request.method == "GET" and privacy.may_see(session, item.id):
        return redirect(_answers_url(item), 303)
    form = DobForm()
    if form.validate_on_submit():
        result = privacy.check_dob(db.session, item, form.date_of_birth.data)
        db.session.commit()  # the try counts, right or wrong
        done = _checked(item, result, form.date_of_birth)
        if done is not None:
            return done
    return render_template("advice/see_answers.html", report=item, form=form), 422 if form.errors else 200


@bp.route("/report/<reference>/answers/email", methods=["GET", "POST"])
@public
@limiter.limit("5 per hour", methods=["POST"])
def answers_email(reference: str):
    """Ask for a code by email: sent only to the address the report went to; the page says the
    same thing whatever the address, so it never tells anyone an address."""
    item = _live_report(reference)
    form = CodeRequestForm()
    if form.validate_on_submit():
        privacy.send_code(db.session, item, form.email.data)
        db.session.commit()
        flash(str(CODE_SENT), "success")
        return redirect(url_for("advice.answers_code", reference=item.reference), 303)
    return render_template("advice/answers_email.html", report=item, form=form), 422 if form.errors else 200


@bp.route("/report/<reference>/answers/code", methods=["GET", "POST"])
@public
@limiter.limit(CHECK_LIMIT, methods=["POST"])
def answers_code(reference: str):
    item = _live_report(reference)
    form = CodeForm()
    if form.validate_on_submit():
        result = privacy.check_code(db.session, item, form.code.data)
        db.session.commit()  # the try counts, right or wrong
        done = _checked(item, result, form.code)
        if done is not None:
            return done
    return render_template("advice/answers_code.html", report=item, form=form,
                           minutes=current_app.config["ADVICE_CODE_MINUTES"]), 422 if form.errors else 200


@bp.get("/preview")
@staff(*ASSESSORS, MANAGER, ADMIN)
def preview():
    c = services.content()
    return render_template("advice/preview.html", content=c,
                           audience=request.args.get("audience", "myself"))
