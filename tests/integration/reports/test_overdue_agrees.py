"""One definition of "overdue now" (REP-01, REP-02), on the hand-built dataset and its edges: the
dashboard count, the queue's "Overdue only" filter and each row's clock name the same referrals."""

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.referrals import services
from portal.referrals.models import OPEN_STATES, Referral
from portal.reports import queries
from portal.reports.queries import Filters
from tests.integration.reports.conftest import END, NOW, START


def _overdue_ids(session, user, now, **filters) -> set[int]:
    page = services.queue(session, user, services.QueueFilters(overdue=True, **filters), page_size=500, now=now)
    return {row.id for row in page.items}


def _check_agreement(session, user, now) -> dict[str, int]:
    counted = {o.priority: o.overdue for o in queries.overdue_now(session, Filters(START, END, None, now))}
    for priority, n in counted.items():
        assert n == len(_overdue_ids(session, user, now, priority=priority)), priority
    listed = _overdue_ids(session, user, now)
    shown = {r.id for r in session.scalars(select(Referral).where(Referral.state.in_(OPEN_STATES)))
             if services.clock_reading(r, now).status == "overdue"}
    assert listed == shown and len(listed) == sum(counted.values())
    return counted


def test_the_dataset_agrees(dataset, staff):
    manager = staff.create("manager")
    assert _check_agreement(dataset, manager, NOW) == {"urgent": 0, "high": 1, "routine": 1}


def _add(session, name, **fields):
    """An open referral made as the service makes one, then its columns set for the edge."""
    from datetime import date

    from portal.people.services import create_person

    person = create_person(session, "test", given_name="Edge", family_name=name, date_of_birth=date(1940, 1, 1),
                           address_line_1="1 Edge Street", postcode="AB1 2CD", locality="North")
    referral, _ = services.create_referral(
        session, "test", person=person, source="gp", needs=["equipment"], help_wanted="Help",
        submission_key=services.new_submission_key(), received_at=fields.pop("received_at"),
        priority=fields.pop("priority", None), suggested_priority=fields.pop("suggested_priority", None))
    for key, value in fields.items():
        setattr(referral, key, value)
    services.recompute_clocks(referral)
    session.flush()
    return referral


def test_edges_agree_a_referral_with_no_priority_counts_as_routine_in_both(dataset, staff):
    s = dataset
    manager = staff.create("manager")
    received = NOW - timedelta(days=60)
    nobody = _add(s, "Unprioritised", received_at=received)  # no priority at all: its clocks run as routine
    contacted = _add(s, "Contacted", received_at=received, priority="high",
                     first_contact_at=received + timedelta(hours=1))
    assessed = _add(s, "Assessed", received_at=received, priority="urgent", state="assessed",
                    first_contact_at=received, assessed_at=received + timedelta(days=30))
    closed = _add(s, "Closed", received_at=received, priority="urgent", state="closed",
                  closed_at=received + timedelta(days=1))
    counted = _check_agreement(s, manager, NOW)
    listed = _overdue_ids(s, manager, NOW)
    assert nobody.id in listed and nobody.id in _overdue_ids(s, manager, NOW, priority="routine")
    assert contacted.id in listed  # contact met; the assessment clock has run out
    assert assessed.id not in listed and closed.id not in listed
    assert counted == {"urgent": 0, "high": 2, "routine": 2}


def test_at_the_due_moment_it_is_not_yet_overdue_anywhere(dataset, staff):
    s = dataset
    manager = staff.create("manager")
    r = _add(s, "Boundary", received_at=NOW - timedelta(hours=1), priority="urgent")
    due = r.next_due_at
    assert due == r.contact_due_at
    assert r.id not in _overdue_ids(s, manager, due)
    assert services.clock_reading(r, due).status != "overdue"
    _check_agreement(s, manager, due)
    later = due + timedelta(microseconds=1)
    assert r.id in _overdue_ids(s, manager, later) and services.clock_reading(r, later).status == "overdue"
    _check_agreement(s, manager, later)
    assert isinstance(due, datetime)
