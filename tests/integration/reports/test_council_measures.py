"""The council's measures (rules REP-04 to REP-08), each worked out again here from the raw rows of
the demo data, in plain Python with its own London-date and percentile code, and compared with
what the dashboard shows. Then the edges, on hand-built rows."""

import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.dfg.models import DfgCase
from portal.equipment.models import Order
from portal.extensions import db
from portal.people.models import Person
from portal.referrals.models import Referral
from portal.reports import figures, queries, sections, services
from portal.reports.queries import Filters
from portal.telecare.models import Job
from portal.timeutil import utcnow
from tests.integration.proof.test_demo_rules_figures import demo_app  # noqa: F401  (the seeded demo app)

LONDON = ZoneInfo("Europe/London")


def london(moment: datetime) -> date:
    return moment.replace(tzinfo=UTC).astimezone(LONDON).date()


def months(start: date, end: date) -> list[tuple[int, int]]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def median_p90(values: list[float]):
    if not values:
        return None, None
    if len(values) == 1:
        return round(values[0], 1), round(values[0], 1)
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return round(statistics.median(values), 1), round(deciles[8], 1)


def year_to_date(locality=None) -> Filters:
    today = london(utcnow())
    return Filters(date(today.year - 1, today.month, 1), today, locality, utcnow())


@pytest.fixture(scope="module", params=[None, "locality"], ids=["all localities", "one locality"])
def seeded(demo_app, request):  # noqa: F811
    with demo_app.app_context():
        locality = demo_app.config["LOCALITIES"][0] if request.param else None
        yield db.session, year_to_date(locality)
        db.session.remove()


def test_referrals_per_month_from_the_raw_rows(seeded):
    session, f = seeded
    counts = {}
    for received, locality in session.execute(select(Referral.received_at, Referral.locality)):
        if f.start <= london(received) <= f.end and (f.locality is None or locality == f.locality):
            counts[(london(received).year, london(received).month)] = counts.get(
                (london(received).year, london(received).month), 0) + 1
    expected = [counts.get(ym, 0) for ym in months(f.start, f.end)]
    assert [n for _, n in figures.referrals_by_month(session, f)] == expected
    assert sum(expected) > 0


def test_equipment_delivered_within_7_days_from_the_raw_rows(seeded):
    session, f = seeded
    by_month = {}
    for raised, delivered, locality in session.execute(select(Order.raised_at, Order.delivered_at, Order.locality)):
        if delivered is None or not f.start <= london(delivered) <= f.end:
            continue
        if f.locality is not None and locality != f.locality:
            continue
        key = (london(delivered).year, london(delivered).month)
        done, quick = by_month.get(key, (0, 0))
        by_month[key] = (done + 1, quick + (delivered - raised <= timedelta(days=7)))
    expected = [by_month.get(ym, (0, 0)) for ym in months(f.start, f.end)]
    rows = figures.equipment_within_days(session, f)
    assert [(d.delivered, d.within) for d in rows] == expected
    assert 0 < sum(q for _, q in expected) < sum(n for n, _ in expected)  # the demo has both kinds


@pytest.mark.parametrize("until", ["completed", "paid"])
def test_dfg_enquiry_to_completion_and_payment_from_the_raw_rows(seeded, until):
    session, f = seeded
    by_month, every = {}, []
    for case in session.scalars(select(DfgCase)):
        finished = case.completed_date if until == "completed" else case.paid_date
        if finished is None or not f.start <= finished <= f.end:
            continue
        if f.locality is not None and case.locality != f.locality:
            continue
        days = float((finished - london(case.created_at)).days)
        by_month.setdefault((finished.year, finished.month), []).append(days)
        every.append(days)
    rows = figures.dfg_end_to_end(session, f, until)
    expected = [(len(by_month.get(ym, [])), *median_p90(by_month.get(ym, []))) for ym in months(f.start, f.end)]
    assert [(d.count, d.median_days, d.p90_days) for d in rows[:-1]] == expected
    assert (rows[-1].month, rows[-1].count, rows[-1].median_days, rows[-1].p90_days) == (None, len(every),
                                                                                      *median_p90(every))
    assert every, "the demo data should have finished grants in the last year"


def test_telecare_installs_against_target_from_the_raw_rows(seeded):
    session, f = seeded
    by_month, every = {}, []
    stmt = select(Job, Person.locality).join(Person, Person.id == Job.person_id).where(
        Job.job_type == "new_install", Job.state == "completed")
    for job, locality in session.execute(stmt):
        if not f.start <= london(job.completed_at) <= f.end or (f.locality and locality != f.locality):
            continue
        item = ((job.completed_at - job.requested_at).total_seconds() / 86400, london(job.completed_at) <= job.due_date)
        by_month.setdefault((london(job.completed_at).year, london(job.completed_at).month), []).append(item)
        every.append(item)

    def expect(items):
        return (len(items), *median_p90([d for d, _ in items]), sum(ok for _, ok in items))

    rows = figures.telecare_installs(session, f)
    assert [(d.count, d.median_days, d.p90_days, d.on_time) for d in rows[:-1]] == [
        expect(by_month.get(ym, [])) for ym in months(f.start, f.end)]
    assert (rows[-1].count, rows[-1].median_days, rows[-1].p90_days, rows[-1].on_time) == expect(every)
    assert every


def test_the_key_figures_are_read_from_the_tables_they_link_to(seeded):
    session, f = seeded
    built = services.dashboard(session, f)
    tables = {t.key: t for s in built for t in s.tables}
    heads = {h.name: h for h in services.headlines(built)}
    assert heads["Referrals received"].value == f"{sum(r[1] for r in tables['demand-by-month'].rows):,}"
    total = tables["equipment-within7days"].rows[-1]
    assert total[0] == sections.WHOLE_PERIOD
    assert heads["Equipment delivered within 7 days of the request"].value.startswith(f"{total[3]:.1f}%")
    for h in heads.values():
        assert h.table in tables and h.definition, h.name
    for key in ("demand-by-month", "equipment-within7days", "grants-completion", "grants-payment",
                "installs-by-month"):
        assert tables[key].definition, key


# Edges, on hand-built rows --------------------------------------------------------------------

def _order(s, store, home, raised, delivered, locality="North"):
    o = Order(submission_key=f"k{raised.timestamp():.0f}-{delivered.timestamp():.0f}", store_id=store.id,
              organisation_id=home.id, locality=locality, priority="standard", state="delivered",
              planned_date=raised.date(), due_date=raised.date(), raised_at=raised, delivered_at=delivered)
    s.add(o)
    return o


def test_seven_days_is_168_hours_and_months_are_london_months(db_session):
    from portal.equipment.models import BorrowerOrganisation, Store

    s = db_session
    store = Store(code="TST", name="Test store", locality="North", address="1 Test Street")
    home = BorrowerOrganisation(name="Test care home", kind="care_home", locality="North")
    s.add_all([store, home])
    s.flush()
    raised = datetime(2026, 9, 20, 10, 0)
    _order(s, store, home, raised, raised + timedelta(days=7))  # exactly 7 days: within
    _order(s, store, home, raised + timedelta(seconds=1), raised + timedelta(days=7, seconds=2))  # a second over: not
    # 00:30 BST on 1 October is 23:30 UTC on 30 September: an October delivery
    _order(s, store, home, datetime(2026, 9, 29, 9, 0), datetime(2026, 9, 30, 23, 30))
    s.flush()
    rows = figures.equipment_within_days(s, Filters(date(2026, 9, 1), date(2026, 10, 31)))
    assert [(d.month, d.delivered, d.within) for d in rows] == [(date(2026, 9, 1), 2, 1), (date(2026, 10, 1), 1, 1)]
    assert rows[0].share == 50.0
    assert figures.equipment_within_days(s, Filters(date(2026, 9, 1), date(2026, 10, 31), "South"))[0].delivered == 0


def test_the_board_report_carries_the_new_measures(seeded):
    session, f = seeded
    period = services.Period.starting(date(f.end.year, f.end.month, 1) - timedelta(days=40))
    report = services.board_report(session, period, f.locality)
    by_name = {m.name: m.now for m in report.measures}
    within = figures.equipment_within_days(session, Filters(period.start, period.end, f.locality))
    done, quick = sum(d.delivered for d in within), sum(d.within for d in within)
    share = round(100 * quick / done, 1) if done else None
    assert by_name["Equipment delivered within 7 days of the request"] == share
    grants = figures.dfg_end_to_end(session, Filters(period.start, period.end, f.locality))[-1]
    assert by_name["DFG enquiry to completion, median (days)"] == grants.median_days
    assert by_name["DFG enquiry to completion, 90th percentile (days)"] == grants.p90_days
    installs = figures.telecare_installs(session, Filters(period.start, period.end, f.locality))[-1]
    assert by_name["Telecare installs completed"] == installs.count > 0
    assert by_name["Telecare installs by the target date"] == installs.on_time_share
    assert by_name["Telecare request to install, median (days)"] == installs.median_days
    assert report.overdue_now == sum(o.overdue for o in queries.overdue_now(
        session, Filters(period.start, period.end, f.locality, report.generated_at)))
