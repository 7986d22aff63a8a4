"""The dashboard's daily totals (portal.reports.aggregates, issue 13): after a refresh they give the
same answers as the live queries worked out from scratch, for any range and locality, on the
hand-built dataset and after changes made through the service functions; the pages read them and
say when they are true at."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import DateTime, literal, select

from portal.people.services import create_person
from portal.referrals import services
from portal.reports import aggregates, queries
from portal.reports import figures as measures
from portal.reports.queries import Filters
from portal.reports.services import Period, as_of_text, board_report
from portal.timeutil import london_date, utcnow
from tests.integration.reports.conftest import END, NOW, START
from tests.integration.reports.test_pages import page_tables

READERS = ("referrals_by_week", "referrals_by_source", "referrals_by_need", "referrals_by_locality",
           "referrals_received", "self_assessments", "timeliness", "waits_to_assessment")


def assert_same(session, f: Filters) -> None:
    """Every figure from the daily totals equals the live query's, worked out from scratch."""
    for name in READERS:
        assert getattr(aggregates, name)(session, f) == getattr(queries, name)(session, f), (name, f)
    assert aggregates.referrals_by_month(session, f) == measures.referrals_by_month(session, f), f


def ranges(start: date, end: date, now: datetime) -> list[Filters]:
    """The whole range, each locality, one-day ranges at either edge, a range across a year."""
    return [Filters(start, end, loc, now) for loc in (None, "North", "South", "East")] + [
        Filters(start, start, None, now), Filters(end, end, "South", now),
        Filters(start - timedelta(days=400), end + timedelta(days=30), None, now)]


def test_london_day_is_the_date_in_london_on_both_databases(db_session):
    """Around the clock changes (last Sundays of March and October, 01:00 UTC) and at midnight."""
    moments = []
    for year in (2025, 2026, 2027):
        for month, day in ((3, 30 if year == 2025 else 29 if year == 2026 else 28),
                           (10, 26 if year == 2025 else 25 if year == 2026 else 31)):
            change = datetime(year, month, day, 1, 0)
            moments += [change + timedelta(minutes=m) for m in (-61, -60, -1, 0, 1, 59, 60)]
            moments += [datetime(year, month, day, 23, 0), datetime(year, month, day - 1, 23, 0),
                        datetime(year, month, day - 1, 22, 59, 59), datetime(year, month, 1, 0, 0)]
        moments += [datetime(year, 6, 30, 23, 0), datetime(year, 6, 30, 22, 59), datetime(year, 12, 31, 23, 59),
                    datetime(year, 1, 1, 0, 0), datetime(year, 8, 31, 23, 30), datetime(year, 2, 28, 23, 0)]
    for moment in moments:
        found = db_session.scalar(select(queries.london_day(db_session, literal(moment, DateTime))))
        found = found if isinstance(found, date) else date.fromisoformat(found)
        assert found == london_date(moment), moment


def test_the_daily_totals_give_the_live_answers_on_the_hand_built_dataset(dataset):
    assert aggregates.as_of(dataset) is None  # never refreshed: the pages work the figures out live
    assert aggregates.refresh(dataset, NOW) == NOW
    assert aggregates.as_of(dataset) == NOW
    for f in ranges(START, END, NOW):
        assert_same(dataset, f)
    # the known answers of the dataset, read from the totals
    assert aggregates.referrals_by_source(dataset, Filters(START, END, None, NOW)) == [
        ("gp", 3), ("self", 1), ("self_assessment", 1)]


def test_a_second_refresh_replaces_the_totals(dataset):
    aggregates.refresh(dataset, NOW)
    before = aggregates.referrals_received(dataset, Filters(START, END))
    later = NOW + timedelta(days=3)
    aggregates.refresh(dataset, later)
    assert aggregates.as_of(dataset) == later
    assert aggregates.referrals_received(dataset, Filters(START, END)) == before
    assert_same(dataset, Filters(START, END, None, later))


ON_TIME = dict(outcomes_wanted="Stay home", strengths="Family", needs_by_area="Bathing", risks="",
               tecs_considered=True, tecs_what="Pendant", tecs_why_not=None, recommendations=["equipment"])


@pytest.fixture
def casework(db_session, staff):
    """Referrals made and moved on through the service functions, across days, localities,
    priorities, sources, needs and states."""
    s = db_session
    triage, ot = staff.create("triage_officer"), staff.create("occupational_therapist")
    today = utcnow()
    made = []

    def make(days_ago, locality, *, source="gp", needs=("equipment",), priority=None, hour=9):
        person = create_person(s, "test", given_name="Ann", family_name=f"Case{len(made)}",
                               date_of_birth=date(1940, 1, 1), address_line_1=f"{len(made)} Road", postcode="AB1 2CD",
                               locality=locality)
        received = (today - timedelta(days=days_ago)).replace(hour=hour, minute=30, second=0, microsecond=0)
        referral, _ = services.create_referral(s, "test", person=person, source=source, needs=list(needs),
                                               help_wanted="Help", submission_key=services.new_submission_key(),
                                               suggested_priority=priority, received_at=received)
        made.append(referral)
        return referral

    a = make(40, "North", priority="urgent", needs=("equipment", "telecare"))
    b = make(35, "South", source="self", needs=("falls",))
    c = make(30, "North", source="hospital_discharge", priority="high", hour=23)
    d = make(20, "East", priority="routine", needs=("equipment", "falls"))
    e = make(12, None, source="self")  # no locality
    f = make(5, "South", priority="high", hour=0)
    g = make(1, "North")
    services.set_priority(s, triage, a, "urgent", "Falls risk")
    services.record_first_contact(s, triage, a, when=a.received_at + timedelta(hours=1))
    services.set_priority(s, triage, c, "routine", "Not so urgent after all")
    services.record_first_contact(s, triage, c, when=c.received_at + timedelta(days=4))
    services.pause(s, triage, d, "Waiting for the GP", when=d.received_at + timedelta(days=1))
    services.resume(s, triage, d, when=d.received_at + timedelta(days=6))
    services.record_first_contact(s, triage, d, when=d.received_at + timedelta(days=7))
    for r in (a, d):
        services.route(s, triage, r, route_to="occupational_therapist", complex_case=True, reason="Complex")
        services.complete_assessment(s, ot, r, **ON_TIME)
    services.close(s, ot, a, "tecs_instead_of_care_package")
    services.withdraw(s, triage, b, "Moved away")
    services.signpost(s, triage, e, "Age UK")
    services.pause(s, triage, g, "Waiting for the person", when=g.received_at + timedelta(hours=2))
    s.flush()
    return {"session": s, "triage": triage, "ot": ot, "referrals": made, "make": make, "f": f, "g": g}


def test_after_changes_through_the_service_functions_a_refresh_matches_again(casework):
    s = casework["session"]
    now = utcnow()
    start, end = london_date(now) - timedelta(days=60), london_date(now)
    as_of = aggregates.refresh(s, now)
    for f in ranges(start, end, as_of):
        assert_same(s, f)
    everything = Filters(start, end, None, as_of)
    received = aggregates.referrals_received(s, everything)
    assert received == 7

    # more work, through the service functions: the totals keep the figures as of the refresh...
    triage = casework["triage"]
    casework["make"](0, "South", source="self", priority="urgent", hour=0)
    services.record_first_contact(s, triage, casework["f"])
    services.resume(s, triage, casework["g"])
    services.decline(s, triage, casework["g"], "Not eligible")
    s.flush()
    assert aggregates.referrals_received(s, everything) == received
    assert queries.referrals_received(s, everything) == received + 1
    # ...until the next refresh, which matches a from-scratch recomputation again
    later = utcnow()
    aggregates.refresh(s, later)
    for f in ranges(start, end, later):
        assert_same(s, f)
    assert aggregates.referrals_received(s, Filters(start, end, None, later)) == received + 1


def test_the_pages_read_the_totals_and_say_when_they_are_true_at(client, staff, db_session, casework):
    staff.login_as("manager")
    live = client.get("/reports/referrals")
    assert live.status_code == 200 and "report-as-of" not in live.text  # never refreshed: live
    as_of = aggregates.refresh(db_session, utcnow() - timedelta(minutes=5))
    db_session.flush()
    casework["make"](0, "South")  # after the refresh: not in the figures yet
    db_session.flush()
    for path in ("/reports/", "/reports/referrals", "/reports/waiting-times"):
        page = client.get(path)
        assert page.status_code == 200
        assert f"Referral figures as of {as_of_text(as_of, utcnow())}" in page.text, path
    by_locality = page_tables(client.get("/reports/referrals").text)["demand-by-locality"][1:]
    assert sum(int(row[1]) for row in by_locality) == 7  # as of the refresh: not the eighth
    export = client.get("/reports/export/demand-by-locality.csv")
    assert "Referral figures as of" in export.get_data(as_text=True)


def test_the_board_report_reads_the_same_figures_from_the_totals(casework):
    s = casework["session"]
    now = utcnow()
    period = Period.starting(london_date(now) - timedelta(days=40))  # the casework's months
    live = board_report(s, period, now=now)
    assert live.as_of is None
    aggregates.refresh(s, now)
    kept = board_report(s, period, now=now)
    assert kept.as_of == now
    assert [(m.name, m.now, m.before) for m in kept.measures] == [(m.name, m.now, m.before) for m in live.measures]
    assert any(m.now for m in kept.measures if m.name == "Referrals received")


def test_as_of_reads_in_london_time():
    now = datetime(2026, 7, 2, 12, 0)
    assert as_of_text(datetime(2026, 7, 2, 13, 5), now) == "2:05pm today"
    assert as_of_text(datetime(2026, 7, 1, 22, 30), now) == "11:30pm yesterday"
    assert as_of_text(datetime(2026, 6, 30, 23, 30), now) == "12:30am yesterday"
    assert as_of_text(datetime(2026, 12, 3, 9, 0), datetime(2026, 12, 5, 9, 0)) == "9:00am on 3 December 2026"


def test_flask_reports_refresh(app, db_session):
    result = app.test_cli_runner().invoke(args=["reports", "refresh"])
    assert result.exit_code == 0, result.output
    assert "Referral figures as of" in result.output
