"""A self-assessment report is private: who may see the answers, and for how long the link works.

Anyone holding a report's address sees its advice. The person's answers are health details, so
they are shown only

- to the browser that finished the report, for ADVICE_ANSWERS_SEEN_MINUTES; or
- to a browser that passed a check: the date of birth the person added to protect the answers,
  or a 6-digit code emailed to the address they sent the report to.

Nothing stored can be read back. The date of birth is an argon2 hash (the portal's password
hasher, salted) of the date with the app's secret mixed in; the email address and the code are
keyed hashes (HMAC-SHA256 with the app's secret), so the address itself is never kept with the
report. Failed checks are counted in the report's row before the answer is compared, so however
many tries arrive at once, at most ADVICE_CHECK_MAX_FAILURES are compared before the check locks
for ADVICE_CHECK_LOCK_MINUTES. An emailed code works once, for ADVICE_CODE_MINUTES.

The link itself works for ADVICE_REPORT_LINK_DAYS after the report was finished. Staff reading a
report through a referral are not affected: `services.report_for_staff` checks their work.

Who has passed the check is kept in the browser's (signed) session as a short list of
(report id, until) pairs: `grant` and `may_see` take the session mapping, nothing else.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from sqlalchemy import case, update

from portal.advice.models import AdviceReport
from portal.audit.services import record
from portal.auth.passwords import hash_password, verify_password
from portal.config import setting
from portal.timeutil import to_london, utcnow

SEEN_KEY = "advice_seen"
SEEN_LIMIT = 10  # reports a browser may hold open at once; the oldest drops off
CODE_LENGTH = 6
EPOCH = datetime(1970, 1, 1)


# ------------------------------------------------------------------ the link's life


def link_expires_at(report: AdviceReport) -> datetime | None:
    """When the report's link stops working (naive UTC), or None for an unfinished one."""
    if report.completed_at is None:
        return None
    return report.completed_at + timedelta(days=setting("ADVICE_REPORT_LINK_DAYS"))


def link_expired(report: AdviceReport, at: datetime | None = None) -> bool:
    expires = link_expires_at(report)
    return expires is not None and (at or utcnow()) >= expires


def expiry_words(report: AdviceReport, language: str | None = None) -> str:
    """The last day the link works, as a letter says it: "5 March 2027" ("5 Mawrth 2027")."""
    from portal.web.filters import format_date

    expires = link_expires_at(report)
    if expires is None:
        return ""
    return format_date(to_london(expires - timedelta(seconds=1)), language)


# ------------------------------------------------------------------ the browser's list


def _stamp(at: datetime) -> int:
    return int((at - EPOCH).total_seconds())


def _entries(store) -> list[list[int]]:
    raw = store.get(SEEN_KEY)
    if not isinstance(raw, list):
        return []
    return [[int(e[0]), int(e[1])] for e in raw
            if isinstance(e, list | tuple) and len(e) == 2 and all(isinstance(x, int) for x in e)]


def grant(store, report_id: int) -> None:
    """Let this browser see the report's answers for ADVICE_ANSWERS_SEEN_MINUTES from now."""
    now = utcnow()
    until = _stamp(now + timedelta(minutes=setting("ADVICE_ANSWERS_SEEN_MINUTES")))
    kept = [e for e in _entries(store) if e[0] != report_id and e[1] > _stamp(now)]
    store[SEEN_KEY] = (kept + [[report_id, until]])[-SEEN_LIMIT:]


def may_see(store, report_id: int) -> bool:
    now = _stamp(utcnow())
    return any(e[0] == report_id and e[1] > now for e in _entries(store))


def forget(store, report_id: int) -> None:
    store[SEEN_KEY] = [e for e in _entries(store) if e[0] != report_id]


# ------------------------------------------------------------------ keyed hashes


def _keyed(purpose: str, text: str) -> str:
    key = str(setting("SECRET_KEY")).encode()
    return hmac.new(key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def email_key(address: str) -> str:
    return _keyed("advice-email", (address or "").strip().lower())


def _code_key(report_id: int, code: str) -> str:
    return _keyed("advice-code", f"{report_id}:{code}")


def _dob_secret(dob: date) -> str:
    return _keyed("advice-dob", dob.isoformat())


def normalise_check_code(typed: str | None) -> str | None:
    code = "".join(ch for ch in (typed or "") if not ch.isspace() and ch != "-")
    return code if len(code) == CODE_LENGTH and code.isascii() and code.isdigit() else None


# ------------------------------------------------------------------ protecting the answers


def protect_with_dob(session, report: AdviceReport, dob: date) -> None:
    """Keep a salted hash of the date of birth, so the answers can be seen again with it.
    The view lets only a browser that may already see the answers do this."""
    report.dob_hash = hash_password(_dob_secret(dob))
    record(session, "public", "advice.answers_protected", "advice_report", report.id, by="date of birth")


def remember_email(session, report: AdviceReport, address: str) -> None:
    """Keep a keyed hash of the address the report was emailed to (never the address)."""
    report.email_hash = email_key(address)


# ------------------------------------------------------------------ the check


class Outcome(Enum):
    PASSED = "passed"
    WRONG = "wrong"
    EXPIRED = "expired"  # the right code, too late
    LOCKED = "locked"


@dataclass
class CheckResult:
    outcome: Outcome
    locked_until: datetime | None = None

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    def locked_words(self) -> str:
        if self.locked_until is None:
            return ""
        from portal.web.filters import format_time

        return format_time(self.locked_until)


def _reserve_try(session, report: AdviceReport) -> CheckResult | None:
    """Count this try before the answer is compared (two conditional updates of the report's row,
    which serialise on it). Returns a LOCKED result, or None when the try may go ahead."""
    now = utcnow()
    limit = setting("ADVICE_CHECK_MAX_FAILURES")
    lock_until = now + timedelta(minutes=setting("ADVICE_CHECK_LOCK_MINUTES"))
    plain = {"synchronize_session": False}
    session.execute(update(AdviceReport).where(
        AdviceReport.id == report.id, AdviceReport.check_locked_until <= now,
    ).values(check_failures=0, check_locked_until=None).execution_options(**plain))
    counted = session.execute(update(AdviceReport).where(
        AdviceReport.id == report.id, AdviceReport.check_locked_until.is_(None),
    ).values(
        check_failures=AdviceReport.check_failures + 1,
        check_locked_until=case((AdviceReport.check_failures + 1 >= limit, lock_until), else_=None),
    ).execution_options(**plain))
    session.refresh(report)
    if counted.rowcount != 1:
        return CheckResult(Outcome.LOCKED, report.check_locked_until)
    return None


def _passed(session, report: AdviceReport, how: str) -> CheckResult:
    session.execute(update(AdviceReport).where(AdviceReport.id == report.id).values(
        check_failures=0, check_locked_until=None).execution_options(synchronize_session=False))
    session.refresh(report)
    record(session, "public", "advice.answers_checked", "advice_report", report.id, by=how)
    return CheckResult(Outcome.PASSED)


def _failed(session, report: AdviceReport, how: str, outcome: Outcome = Outcome.WRONG) -> CheckResult:
    if report.check_locked_until is not None:
        record(session, "public", "advice.answers_check_locked", "advice_report", report.id, by=how)
        return CheckResult(Outcome.LOCKED, report.check_locked_until)
    record(session, "public", "advice.answers_check_failed", "advice_report", report.id, by=how)
    return CheckResult(outcome)


def check_dob(session, report: AdviceReport, dob: date) -> CheckResult:
    """Compare a date of birth with the one that protects the answers. A report with none fails
    the same way as a wrong date, so the page never says whether one was added."""
    locked = _reserve_try(session, report)
    if locked is not None:
        return locked
    if report.dob_hash and verify_password(report.dob_hash, _dob_secret(dob)):
        return _passed(session, report, "date of birth")
    return _failed(session, report, "date of birth")


def send_code(session, report: AdviceReport, address: str) -> bool:
    """Email a new 6-digit code if this is the address the report was sent to (and the check is
    not locked). Returns whether a code went; the page says the same thing either way."""
    if not report.email_hash or not hmac.compare_digest(report.email_hash, email_key(address)):
        return False
    if report.check_locked_until is not None and report.check_locked_until > utcnow():
        return False
    from portal.notify.services import send

    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    minutes = setting("ADVICE_CODE_MINUTES")
    report.check_code_hash = _code_key(report.id, code)
    report.check_code_expires_at = utcnow() + timedelta(minutes=minutes)
    send(session, "advice_answers_code", address.strip(), {"code": code, "minutes": minutes},
         language=report.language)
    record(session, "public", "advice.answers_code_sent", "advice_report", report.id)
    return True


def check_code(session, report: AdviceReport, typed: str) -> CheckResult:
    """Compare an emailed code. The right code within its time works once: it is cleared by a
    conditional update, so two tries with it at the same moment let only one through."""
    locked = _reserve_try(session, report)
    if locked is not None:
        return locked
    code = normalise_check_code(typed)
    if code is None:
        return _failed(session, report, "emailed code")
    key = _code_key(report.id, code)
    used = session.execute(update(AdviceReport).where(
        AdviceReport.id == report.id, AdviceReport.check_code_hash == key,
        AdviceReport.check_code_expires_at > utcnow(),
    ).values(check_code_hash=None, check_code_expires_at=None).execution_options(synchronize_session=False))
    if used.rowcount == 1:
        session.refresh(report)
        return _passed(session, report, "emailed code")
    session.refresh(report)
    late = report.check_code_hash is not None and hmac.compare_digest(report.check_code_hash, key)
    return _failed(session, report, "emailed code", Outcome.EXPIRED if late else Outcome.WRONG)
