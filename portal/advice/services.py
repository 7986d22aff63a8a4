"""Self-assessment: the journey's answers, the report, and the anonymous outcome counts."""

import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import has_request_context
from flask_babel import force_locale, gettext
from flask_babel import gettext as _
from sqlalchemy import select

from portal.advice.engine import Content, Report, default_content, evaluate
from portal.advice.engine.content import MESSAGES
from portal.advice.engine.translation import TRANSLATED_LOCALES, load_translated
from portal.advice.models import AdviceReport
from portal.audit.services import record
from portal.config import setting
from portal.errors import NotFound, Refusal
from portal.timeutil import now, utcnow
from portal.web.bank_holidays import bank_holidays
from portal.web.i18n import DEFAULT_LANGUAGE, current_language


def content(language: str | None = None) -> Content:
    """The advice content in the person's language: the request's (English unless they chose
    Welsh), or the one given."""
    if language is None:
        language = current_language() if has_request_context() else DEFAULT_LANGUAGE
    if language not in TRANSLATED_LOCALES:
        return default_content()
    return _translated(language)


@cache
def _translated(language: str) -> Content:
    """The content with its translation laid over it, and the engine's own words from the
    catalogue, once per process and language."""
    with force_locale(language):
        messages = {key: gettext(text) for key, text in MESSAGES.items()}
    return replace(load_translated(default_content(), language), messages=messages)


# A resume code: 10 characters from 30 that cannot be misread for each other (no I, L, O, U, 0
# or 1), about 49 bits. The self-assessment holds no name, address or date of birth, so there is
# nothing else to ask for; the code's length, the limit on tries (the resume page is throttled
# like /track) and the expiry keep a guesser out.
RESUME_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
RESUME_LENGTH = 10
RESUME_DAYS = 30


def new_resume_code() -> str:
    return "".join(secrets.choice(RESUME_ALPHABET) for _ in range(RESUME_LENGTH))


def shown_code(code: str | None) -> str:
    """A resume code as people read and type it: two groups of five."""
    return f"{code[:5]}-{code[5:]}" if code else ""


def normalise_code(typed: str | None) -> str | None:
    """The code in what was typed (any case, spaces and dashes allowed), or None if it cannot be one."""
    code = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    if len(code) != RESUME_LENGTH or any(ch not in RESUME_ALPHABET for ch in code):
        return None
    return code


def resume(session, typed: str | None) -> AdviceReport | None:
    """The unfinished self-assessment with this code, if it was touched in the last RESUME_DAYS."""
    code = normalise_code(typed)
    if code is None:
        return None
    return session.scalar(select(AdviceReport).where(
        AdviceReport.resume_code == code, AdviceReport.status == "in_progress",
        AdviceReport.updated_at >= utcnow() - timedelta(days=RESUME_DAYS)))


def start(session, completed_by=None, language: str = DEFAULT_LANGUAGE) -> AdviceReport:
    """A new self-assessment, in the language the person uses (for the emails about it)."""
    report = AdviceReport(reference=secrets.token_urlsafe(18), content_version=str(content().version),
                          language=language,
                          resume_code=new_resume_code(),
                          completed_by_id=completed_by.id if completed_by else None)
    session.add(report)
    session.flush()
    if completed_by is not None:
        record(session, completed_by, "advice.started_for_caller", "advice_report", report.id)
    return report


def in_progress(session, reference: str | None) -> AdviceReport | None:
    if not reference:
        return None
    return session.scalar(select(AdviceReport).where(AdviceReport.reference == reference,
                                                     AdviceReport.status == "in_progress"))


def completed_report(session, reference: str | None) -> AdviceReport | None:
    if not reference:
        return None
    return session.scalar(select(AdviceReport).where(AdviceReport.reference == reference,
                                                     AdviceReport.status == "completed"))


def answer(session, report: AdviceReport, question_id: str, raw) -> str | None:
    """Validate and keep one answer. Returns an error message, or None when saved."""
    value, error = content().validate_answer(question_id, raw)
    if error:
        return error
    answers = dict(report.answers or {})
    answers[question_id] = value
    report.answers = content().clean_answers(answers)
    report.audience = report.answers.get(content().journey({})[0].id) if report.answers else None
    report.updated_at = utcnow()
    return None


def complete(session, report: AdviceReport) -> Report:
    result = evaluate(content(), report.answers or {}, help_words())
    report.status = "completed"
    report.resume_code = None  # the finished report has its own long link instead
    report.completed_at = utcnow()
    report.recommendation_ids = list(result.recommendation_ids)
    report.areas = [area.id for area, _ in result.by_area]
    report.urgent = bool(result.urgent)
    report.audience = result.audience
    return result


def result_for(report: AdviceReport, at=None) -> Report:
    return evaluate(content(), report.answers or {}, help_words(at))


def _clock(hour: int) -> str:
    return "midday" if hour == 12 else f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}"


def office_open(at) -> bool:
    """Whether SUPPORT_PHONE answers at this London time: a weekday that is not a bank holiday,
    within SUPPORT_HOURS."""
    opens, closes = setting("SUPPORT_HOURS")
    return at.weekday() < 5 and at.date() not in bank_holidays() and opens <= at.hour < closes


def help_words(at=None) -> dict[str, str]:
    """The words the report fills in, so every "get help now" message names a number that
    answers at this hour: {phone_now} is the council's number in office hours and the
    out-of-hours team's number at any other time (each with the other for later)."""
    at = at or now()
    council, out_of_hours = setting("SUPPORT_PHONE"), setting("OUT_OF_HOURS_PHONE")
    closes = _clock(setting("SUPPORT_HOURS")[1])
    if office_open(at):
        phone_now = _("%(council)s (open now, until %(closes)s today; at night, at weekends and on "
                      "bank holidays phone our out-of-hours team on %(out_of_hours)s)",
                      council=council, closes=closes, out_of_hours=out_of_hours)
    else:
        phone_now = _("%(out_of_hours)s, our out-of-hours team, which answers at night, at weekends "
                      "and on bank holidays (on weekdays in office hours phone %(council)s)",
                      council=council, out_of_hours=out_of_hours)
    return {"phone_now": phone_now, "council_phone": council, "out_of_hours_phone": out_of_hours}


def lead_button(result: Report) -> str:
    """The words on the button that starts a request from the report's lead section."""
    leading = {item.id for item in result.lead}
    professional = result.audience == "professional"
    if "discharge_priority" in leading:
        return _("Refer as a hospital discharge") if professional else _("Ask for help before leaving hospital")
    if leading & {"ot_assessment", "childrens_ot"}:
        return (_("Refer for an occupational therapy assessment") if professional
                else _("Ask for an occupational therapy assessment"))
    return _("Ask the council for help")


def urgent_help(report: AdviceReport) -> list:
    """The urgent advice the answers so far call for (someone has fallen, no heating, at risk
    now): shown on every page from the answer on, not only in the report at the end."""
    return result_for(report).urgent


def suggested_needs(report: AdviceReport) -> list[str]:
    return list(result_for(report).suggested_needs)


@dataclass(frozen=True)
class Handover:
    """What a finished report carries into "ask for help": the help it pointed to, whether it is
    for someone else, and whether the person is in hospital waiting to come home (with a
    professional answering, that makes the request a hospital discharge referral)."""

    needs: list[str]
    for_someone: bool
    professional: bool
    in_hospital: bool

    @property
    def discharge(self) -> bool:
        return self.professional and self.in_hospital


def handover(report: AdviceReport) -> Handover:
    result = result_for(report)
    answers = result.answers
    return Handover(needs=list(result.suggested_needs),
                    for_someone=result.audience in ("someone", "professional"),
                    professional=result.audience == "professional",
                    in_hospital=answers.get("hospital") == "in_hospital")


def mark_asked_for_help(session, report: AdviceReport) -> None:
    report.outcome = "asked_for_help"


def email_report(session, report: AdviceReport, email: str, report_url: str, remember: bool = False) -> None:
    """Send the person a link to their report, with the date the link stops working. The address
    is not kept; with `remember` (the browser may see the answers) a keyed hash of it is, so a
    code to see the answers can later be sent to this address and no other."""
    from portal.advice.privacy import expiry_words, remember_email
    from portal.notify.services import send

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise Refusal(_("Enter an email address in the correct format, like name@example.com"),
                      field="email") from exc
    send(session, "advice_report", email, {"report_url": report_url, "reference": shown_reference(report),
                                            "expires": expiry_words(report, report.language)},
         language=report.language)
    if remember:
        remember_email(session, report, email)


READABLE = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread


def shown_reference(report: AdviceReport) -> str:
    """The report's reference as letters, print and the phone give it ("SA-4F7K-2M9Q").

    Worked out from the link with the app's secret, so it can be read out without giving away
    any part of the link itself."""
    digest = hmac.new(setting("SECRET_KEY").encode(), report.reference.encode(), "sha256").digest()
    number = int.from_bytes(digest[:5], "big")
    letters = "".join(READABLE[(number >> shift) & 31] for shift in range(35, -1, -5))
    return f"SA-{letters[:4]}-{letters[4:]}"


@dataclass
class AnsweredQuestion:
    question: str
    answer: str


@dataclass
class StaffView:
    completed_at: object
    rows: list[AnsweredQuestion]


def answered(report: AdviceReport) -> list[tuple]:
    """(question, display answer) in journey order, for check-your-answers and for staff."""
    c = content()
    answers = report.answers or {}
    audience = answers.get(c.journey({})[0].id) or "myself"
    rows = []
    for question in c.journey(answers):
        if question.id not in answers:
            continue
        value = answers[question.id]
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(question.option_label(v, audience) for v in values)
        rows.append((question, shown))
    return rows


def report_for_staff(session, report_id: int, user) -> StaffView | None:
    """The answers for a member of staff: only through a referral the report went with that
    they may open (their work, as for the person's record). The resident-side check does not apply."""
    from portal.referrals.models import Referral
    from portal.referrals.services import can_open

    report = session.get(AdviceReport, report_id)
    if report is None:
        return None
    referrals = session.scalars(select(Referral).where(Referral.advice_report_id == report_id))
    if not any(can_open(user, r) for r in referrals):
        return None
    audience = (report.answers or {}).get(content().journey({})[0].id) or "myself"
    return StaffView(report.completed_at, [AnsweredQuestion(q.text(audience), a) for q, a in answered(report)])


def get_public_report(session, reference: str) -> AdviceReport:
    report = completed_report(session, reference)
    if report is None:
        raise NotFound("We could not find that report")
    return report


def random_journey(c, rng) -> dict:
    """The answers of one random walk through the real self-assessment (demo and bench data)."""
    answers: dict = {}
    for _step in range(80):
        question = c.next_question(answers)
        if question is None:
            break
        values = [o.value for o in question.options if not getattr(o, "exclusive", False)] or \
            [o.value for o in question.options]
        if question.type == "checkboxes":
            picked = rng.sample(values, k=min(len(values), rng.randint(1, 2)))
        else:
            picked = rng.choice(values)
        value, error = c.validate_answer(question.id, picked)
        if error:
            value, _ = c.validate_answer(question.id, question.options[-1].value)
        answers = c.clean_answers({**answers, question.id: value})
    return answers


def seed_demo(session, count: int = 450, seed: int = 7) -> int:
    """Past self-assessments over 18 months: random journeys through the real content, about a
    third ending in a request for help. Idempotent."""
    import random

    from sqlalchemy import func

    if session.scalar(select(func.count()).select_from(AdviceReport)):
        return 0
    rng = random.Random(seed)
    c = content()
    now = utcnow()
    for _number in range(count):
        answers = random_journey(c, rng)
        when = now - timedelta(days=rng.randint(0, 548), minutes=rng.randint(0, 1440))
        result = evaluate(c, answers)
        session.add(AdviceReport(
            reference=secrets.token_urlsafe(18), status="completed", content_version=str(c.version),
            audience=result.audience, answers=answers, areas=[a.id for a, _ in result.by_area],
            recommendation_ids=list(result.recommendation_ids), urgent=bool(result.urgent),
            outcome="asked_for_help" if rng.random() < 0.32 else "self_help",
            created_at=when, updated_at=when, completed_at=when))
    return count
