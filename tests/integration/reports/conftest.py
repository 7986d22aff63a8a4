"""A small hand-built dataset with known answers (see the comments for each referral).

The period under test is 1 September to 31 October 2026 (inclusive, London dates). British Summer
Time ends on 25 October 2026, so the first edge is 23:00 UTC on 31 August and the last is 00:00 UTC
on 1 November."""

import uuid
from datetime import date, datetime, timedelta

import pytest

from portal.advice.models import AdviceReport
from portal.people.services import create_person
from portal.referrals.models import Referral, ReferralNeed, ReferralPause
from portal.reports.queries import Filters

NOW = datetime(2026, 11, 23, 12, 0)
START, END = date(2026, 9, 1), date(2026, 10, 31)
D = timedelta(days=1)
H = timedelta(hours=1)


def period(locality=None) -> Filters:
    return Filters(START, END, locality, NOW)


@pytest.fixture
def dataset(db_session):
    s = db_session
    n = {"i": 0}

    def person(locality):
        n["i"] += 1
        return create_person(s, "test", given_name="Ann", family_name=f"Report{n['i']}", date_of_birth=date(1940, 1, 1),
                             address_line_1=f"{n['i']} Test Street", postcode="AB1 2CD", locality=locality)

    def referral(name, received, *, locality="North", source="gp", needs=("equipment",), priority="routine",
                 state="submitted", contact_due=None, first_contact=None, assessment_due=None, assessed=None,
                 closed=None, outcome=None, next_due=None, paused_since=None, advice=None, pauses=()):
        r = Referral(reference=f"R-T{n['i']:03d}-{name}"[:16], person=person(locality), state=state, source=source,
                     priority=priority, received_at=received, contact_due_at=contact_due,
                     first_contact_at=first_contact, assessment_due_at=assessment_due, assessed_at=assessed,
                     closed_at=closed, outcome=outcome, next_due_at=next_due, paused_since=paused_since,
                     advice_report_id=advice.id if advice else None, locality=locality, help_wanted="Help",
                     search_name=name.lower(), submission_key=str(uuid.uuid4()),
                     needs=[ReferralNeed(need=x) for x in needs],
                     pauses=[ReferralPause(started_at=a, ended_at=b, reason="Waiting") for a, b in pauses])
        s.add(r)
        s.flush()
        return r

    def advice(ref, status, outcome, completed):
        a = AdviceReport(reference=ref, status=status, content_version="1", outcome=outcome, completed_at=completed)
        s.add(a)
        s.flush()
        return a

    a1 = advice("A1", "completed", "asked_for_help", datetime(2026, 10, 1, 9, 0))
    advice("A2", "completed", "self_help", datetime(2026, 9, 10, 9, 0))  # self-help, no referral
    a3 = advice("A3", "completed", "self_help", datetime(2026, 9, 20, 9, 0))  # self-help, but referred later
    advice("A4", "in_progress", "self_help", None)
    advice("A5", "completed", "self_help", datetime(2026, 11, 1, 0, 0))  # first moment after the range

    # R1: 00:30 BST on 1 September = first moment-ish of the range. Urgent; contact and assessment in time.
    r1 = datetime(2026, 8, 31, 23, 30)
    referral("R1", r1, needs=("equipment", "telecare"), priority="urgent", state="closed",
             contact_due=r1 + 2 * H, first_contact=r1 + H, assessment_due=r1 + 2 * D, assessed=r1 + D,
             closed=datetime(2026, 9, 10, 12), outcome="tecs_instead_of_care_package")
    # R2: 23:59 on 31 October (GMT again): the last day. High, open, never contacted: both clocks missed.
    r2 = datetime(2026, 10, 31, 23, 59)
    referral("R2", r2, locality="South", source="self", needs=("falls",), priority="high",
             contact_due=r2 + 2 * D, assessment_due=r2 + 10 * D, next_due=r2 + 2 * D)
    # R3: 23:59 BST on 31 August: the day before (outside), but it is the referral made from A3.
    referral("R3", datetime(2026, 8, 31, 22, 59), state="closed", closed=datetime(2026, 8, 31, 22, 0),
             outcome="signposted", advice=a3)
    # R4: 00:00 on 1 November: the day after (outside).
    referral("R4", datetime(2026, 11, 1, 0, 0), state="closed", closed=datetime(2026, 11, 1, 0, 0),
             outcome="signposted")
    # R5: routine, contact a day late; assessed after 20 days of which 5 paused (wait 15), in time.
    r5 = datetime(2026, 9, 15, 10)
    referral("R5", r5, priority="routine", state="closed", contact_due=r5 + 5 * D, first_contact=r5 + 6 * D,
             assessment_due=r5 + 33 * D, assessed=r5 + 20 * D, closed=datetime(2026, 10, 20, 12),
             outcome="equipment_ordered", pauses=[(r5 + 2 * D, r5 + 7 * D)])
    # R6: from self-assessment A1; assessed after 10 days, a pause overlapping the assessment by 1 day
    # (wait 9); open (assessed, awaiting closure) so not overdue.
    r6 = datetime(2026, 10, 1, 10)
    referral("R6", r6, locality="South", source="self_assessment", needs=("telecare",), state="assessed",
             contact_due=r6 + 5 * D, first_contact=r6 + D, assessment_due=r6 + 28 * D, assessed=r6 + 10 * D,
             next_due=r6 + 28 * D, advice=a1, pauses=[(r6 + 9 * D, r6 + 12 * D)])
    # R7: withdrawn before contact: in no timeliness count.
    r7 = datetime(2026, 10, 5, 10)
    referral("R7", r7, locality="South", needs=("ot_assessment",), state="withdrawn", contact_due=r7 + 5 * D,
             assessment_due=r7 + 28 * D, closed=datetime(2026, 10, 6, 10))
    # R8: received before the range, open and overdue now.
    referral("R8", datetime(2026, 6, 1, 10), next_due=datetime(2026, 7, 1, 10), contact_due=datetime(2026, 7, 1, 10))
    # R9: open but paused: not overdue.
    referral("R9", datetime(2026, 6, 2, 10), paused_since=datetime(2026, 6, 3), next_due=datetime(9999, 1, 1),
             pauses=[(datetime(2026, 6, 3), None)])
    # R10: declined at 00:00 BST on 1 September (23:00 UTC on 31 August): finished inside the range.
    referral("R10", datetime(2026, 8, 1, 10), state="declined", closed=datetime(2026, 8, 31, 23, 0))
    return s
