"""A referral's two clocks (first contact, then assessment): their due times and how they read."""

from datetime import datetime, timedelta

from portal.referrals.models import Referral
from portal.referrals.targets import targets
from portal.timeutil import utcnow
from portal.web.bank_holidays import bank_holidays
from portal.web.clocks import Reading, due_with_pauses, elapsed_excluding_pauses, read_clock

# A case with no running clock (paused, or assessed and waiting to be closed) sorts after every
# case whose clock runs, and is never "overdue" (the queue's filter is next_due_at < now).
NO_RUNNING_CLOCK = datetime(9999, 1, 1)


def _pauses(referral: Referral) -> list[tuple[datetime, datetime | None]]:
    return [(p.started_at, p.ended_at) for p in referral.pauses]


def recompute_clocks(referral: Referral) -> None:
    """Due times from the priority's targets, pushed back by time paused; next_due_at is the due
    time of the milestone now running (what the queue sorts on). Closed referrals have none."""
    priority = referral.priority or referral.suggested_priority or "routine"
    spec = targets()[priority]
    hols = bank_holidays()
    pauses = [(s, e if e is not None else s) for s, e in _pauses(referral)]  # open pause: frozen
    referral.contact_due_at = due_with_pauses(referral.received_at, spec["contact"], pauses, hols)
    referral.assessment_due_at = due_with_pauses(referral.received_at, spec["assessment"], pauses, hols)
    if not referral.is_open:
        referral.next_due_at = None
    elif referral.paused_since is not None or referral.assessed_at is not None:
        referral.next_due_at = NO_RUNNING_CLOCK
    elif referral.first_contact_at is None:
        referral.next_due_at = referral.contact_due_at
    else:
        referral.next_due_at = referral.assessment_due_at


def _milestone(label: str, due: datetime | None, done: datetime | None, r, now: datetime) -> Reading | None:
    """A milestone's reading: "Met" or "Missed by ..." once recorded; running (or "Paused") while
    the case is open; nothing for a case closed before it was reached."""
    if done is None and not r.is_open:
        return None
    return read_clock(label, due, now, stopped_at=done, paused=r.paused_since is not None)


def contact_reading(r, now: datetime) -> Reading | None:
    return _milestone("Contact by", r.contact_due_at, r.first_contact_at, r, now)


def assessment_reading(r, now: datetime) -> Reading | None:
    return _milestone("Assessment by", r.assessment_due_at, r.assessed_at, r, now)


def clock_reading(r, now: datetime) -> Reading | None:
    """The clock a queue row, a caseload and the referral page show: the milestone that is running
    (contact, then assessment), "Paused" while paused, the assessment's "Met" or "Missed by ..."
    once assessed, and nothing for a case closed without an assessment.

    Works for a Referral and for the queue's plain rows (both have the clock columns)."""
    if r.assessed_at is None and r.first_contact_at is None:
        return contact_reading(r, now)
    return assessment_reading(r, now)


def elapsed_wait(referral: Referral, now: datetime | None = None) -> timedelta:
    end = referral.assessed_at or now or utcnow()
    return elapsed_excluding_pauses(referral.received_at, end, _pauses(referral))
