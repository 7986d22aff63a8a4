"""Each figure from the hand-built dataset in conftest.py, with the answers worked out by hand."""

from datetime import date

import pytest

from portal.reports import queries, sections
from portal.reports.queries import Filters, percentile_cont
from tests.integration.reports.conftest import END, NOW, START, period


def test_referrals_by_week_include_both_edge_days_and_nothing_outside(dataset):
    weeks = queries.referrals_by_week(dataset, period())
    assert weeks[0][0] == date(2026, 8, 31) and weeks[-1][0] == date(2026, 10, 26)
    assert len(weeks) == 9
    by_week = {w: n for w, n, _ in weeks}
    assert by_week[date(2026, 8, 31)] == 1  # R1 at 00:30 BST on 1 Sep; R3 at 23:59 BST on 31 Aug is out
    assert by_week[date(2026, 10, 26)] == 1  # R2 at 23:59 on 31 Oct; R4 at 00:00 on 1 Nov is out
    assert by_week[date(2026, 9, 14)] == 1 and by_week[date(2026, 9, 28)] == 1 and by_week[date(2026, 10, 5)] == 1
    assert sum(by_week.values()) == 5 == queries.referrals_received(dataset, period())
    advice = {w: a for w, _, a in weeks}
    assert advice[date(2026, 9, 7)] == 1 and advice[date(2026, 9, 14)] == 1 and advice[date(2026, 9, 28)] == 1
    assert sum(advice.values()) == 3  # A5 at 00:00 on 1 November is outside


def test_referrals_by_source_need_and_locality(dataset):
    assert queries.referrals_by_source(dataset, period()) == [("gp", 3), ("self", 1), ("self_assessment", 1)]
    assert queries.referrals_by_need(dataset, period()) == [
        ("equipment", 2), ("telecare", 2), ("falls", 1), ("ot_assessment", 1)]
    assert queries.referrals_by_locality(dataset, period()) == [("South", 3), ("North", 2)]
    assert queries.referrals_by_source(dataset, period("North")) == [("gp", 2)]


def test_self_assessments_and_the_share_ending_in_self_help_without_a_referral(dataset):
    sa = queries.self_assessments(dataset, period())
    assert (sa.completed, sa.self_help, sa.asked_for_help) == (3, 1, 1)  # A3 led to a referral (R3)
    assert sa.self_help_share == 33.3


def test_contact_and_assessment_within_target_by_priority(dataset):
    rows = {t.priority: t for t in queries.timeliness(dataset, period())}
    assert (rows["urgent"].contacts_due, rows["urgent"].contacted_in_time) == (1, 1)
    assert (rows["urgent"].assessments_due, rows["urgent"].assessed_in_time) == (1, 1)
    assert (rows["high"].contacts_due, rows["high"].contacted_in_time) == (1, 0)  # R2 still waiting, overdue
    assert (rows["high"].assessments_due, rows["high"].assessed_in_time) == (1, 0)
    assert (rows["routine"].contacts_due, rows["routine"].contacted_in_time) == (2, 1)  # R5 late, R6 on time
    assert (rows["routine"].assessments_due, rows["routine"].assessed_in_time) == (2, 2)  # R7 withdrawn: neither


def test_median_and_90th_percentile_wait_exclude_paused_time(dataset):
    waits = {w.priority: w for w in queries.waits_to_assessment(dataset, period())}
    assert (waits["urgent"].assessed, waits["urgent"].median_days, waits["urgent"].p90_days) == (1, 1.0, 1.0)
    # routine: R5 waited 20 days less 5 paused = 15; R6 10 days less the 1 paused day before assessment = 9
    assert (waits["routine"].assessed, waits["routine"].median_days, waits["routine"].p90_days) == (2, 12.0, 14.4)
    assert (waits["high"].assessed, waits["high"].median_days) == (0, None)
    # all: 1, 9, 15 → median 9; 90th percentile 9 + 0.8 × 6 = 13.8
    assert (waits["all"].assessed, waits["all"].median_days, waits["all"].p90_days) == (3, 9.0, 13.8)


def test_open_referrals_overdue_now(dataset):
    rows = {o.priority: (o.open, o.overdue) for o in queries.overdue_now(dataset, period())}
    # R2 (high) overdue; routine open: R6 (assessed: not overdue), R8 overdue, R9 paused
    assert rows == {"urgent": (0, 0), "high": (1, 1), "routine": (3, 1)}
    assert {o.priority: (o.open, o.overdue) for o in queries.overdue_now(dataset, period("South"))}["routine"] == (1, 0)


def test_closures_by_outcome_count_edges_in_london_time(dataset):
    assert sorted(queries.closures_by_outcome(dataset, period())) == [
        ("declined", 1), ("equipment_ordered", 1), ("tecs_instead_of_care_package", 1), ("withdrawn", 1)]


def test_a_one_day_range_on_either_edge(dataset):
    first = Filters(START, START, None, NOW)
    last = Filters(END, END, None, NOW)
    assert queries.referrals_received(dataset, first) == 1  # R1 only
    assert queries.referrals_received(dataset, last) == 1  # R2 only
    assert queries.referrals_by_week(dataset, first) == [(date(2026, 8, 31), 1, 0)]


def test_sections_build_tables_with_the_same_answers(dataset):
    built = {t.key: t for p in sections.SECTIONS for t in p(dataset, period()).tables}
    assert built["demand-by-source"].rows[0] == ["GP", 3, 60.0]
    assert built["demand-self-assessment"].rows[1] == ["Ended in self-help without a referral", 1, 33.3]
    assert built["responsiveness-contact"].rows[2][2:] == [2, 1, 50.0]
    assert built["responsiveness-waits"].rows[-1] == ["All priorities", 3, 9.0, 13.8]
    assert ["TECS instead of a home-care package", 1, 25.0] in built["outcomes-closures"].rows
    for table in built.values():
        assert all(len(row) == len(table.columns) for row in table.rows), table.key


@pytest.mark.parametrize("values,p,expected", [
    ([], 0.5, None), ([4.0], 0.9, 4.0), ([1.0, 2.0, 3.0, 4.0], 0.5, 2.5), ([1.0, 9.0, 15.0], 0.9, 13.8)])
def test_percentile_matches_percentile_cont(values, p, expected):
    result = percentile_cont(values, p)
    assert result == expected if expected is None else round(result, 6) == expected
