"""Money rules: the grant is the eligible cost (chosen quote plus allowed fees) less the contribution,
capped at the maximum after the contribution; discretionary help sits on top with a reason;
instalments during the works within 90%; the balance after completion and inspection; payments
never above the approval; land charge. A table of cases and Hypothesis property tests."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.dfg import services
from portal.errors import IllegalTransition, Refusal
from portal.timeutil import today as london_today
from tests.integration.dfg.conftest import walk_to

pence = st.integers(min_value=0, max_value=6_000_000).map(lambda p: Decimal(p) / 100)
MAX = Decimal("30000.00")
D = Decimal

# (quote, fees, contribution, maximum, child) -> mandatory grant
GRANT_CASES = [
    ("5000", "0", "0", "30000", False, "5000.00"),
    ("5000", "450", "0", "30000", False, "5450.00"),         # allowed fees are part of the eligible cost
    ("5000", "0", "1500", "30000", False, "3500.00"),
    ("5000", "0", "6000", "30000", False, "0.00"),           # the contribution covers the works
    ("40000", "0", "5200", "30000", False, "30000.00"),      # the issue: cap after the contribution, not £24,800
    ("40000", "0", "5200", "30000", True, "30000.00"),       # a child: no contribution
    ("34000", "0", "5200", "30000", False, "28800.00"),
    ("35200", "0", "5200", "30000", False, "30000.00"),      # exactly at the cap
    ("20000", "0", "5200", "30000", True, "20000.00"),       # a child's contribution is nil whatever was assessed
    ("60000", "2500", "0", "30000", False, "30000.00"),
    ("9000", "1000", "2000", "4000", False, "4000.00"),      # a council's own maximum
    ("0.01", "0", "0", "30000", False, "0.01"),
]


@pytest.mark.parametrize("quote,fees,contribution,maximum,child,grant", GRANT_CASES)
def test_grant_arithmetic_table(quote, fees, contribution, maximum, child, grant):
    assert services.grant_due(quote, fees, contribution, maximum, child=child) == D(grant)


@settings(max_examples=400, deadline=None)
@given(cost=pence, fees=pence, contribution=pence, maximum=pence, child=st.booleans())
def test_grant_bounds(cost, fees, contribution, maximum, child):
    grant = services.grant_due(cost, fees, contribution, maximum, child=child)
    paid_by_applicant = D(0) if child else contribution
    assert D(0) <= grant <= maximum                                   # never above the maximum
    assert grant <= max(cost + fees - paid_by_applicant, D(0))          # never above the cost less the contribution
    assert grant == min(max(cost + fees - paid_by_applicant, D(0)), maximum)  # and never less: the cap comes last
    assert grant >= min(cost + fees, maximum) - paid_by_applicant       # the contribution is taken off once
    assert grant == grant.quantize(D("0.01"))


def test_the_issue_case_gets_the_full_mandatory_grant(db_session, caseworker):
    """£40,000 of works, £5,200 contribution: the grant is £30,000 (the old rule gave £24,800)."""
    c = walk_to(db_session, caseworker, "application_received", contribution_income="210",
                quotes=("40000", "42000"))
    assert c.contribution == D("5200.00")  # £10 a week excess × 52 × 10 years
    with pytest.raises(services.MoneyRuleBroken, match="at most £4,800.00") as refused:
        services.approve(db_session, caseworker, c, discretionary="4800.01", discretionary_reason="top_up")
    assert refused.value.field == "discretionary" and c.state == "application_received"
    services.approve(db_session, caseworker, c, discretionary="4800", discretionary_reason="top_up")
    assert c.state == "approved" and c.approved_amount == MAX and c.approved_total == D("34800.00")
    assert c.land_charge is True and c.grant_maximum == MAX


def test_fees_count_towards_the_eligible_cost(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", quotes=("5000", "5400"))
    services.approve(db_session, caseworker, c, fees="450")
    assert c.approved_amount == D("5450.00") and c.fees == D("450.00")


def test_a_stated_grant_must_match_the_sum(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", quotes=("5000", "5400"))
    with pytest.raises(services.MoneyRuleBroken, match="mandatory grant is £5,000.00, not £4,800.00"):
        services.approve(db_session, caseworker, c, grant="4800")
    assert c.state == "application_received" and c.approved_amount is None


def test_grant_and_discretionary_cannot_exceed_the_chosen_quote(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", quotes=("5000", "5400"))
    with pytest.raises(services.MoneyRuleBroken, match="cannot be more than £5,000.00"):
        services.approve(db_session, caseworker, c, discretionary="300", discretionary_reason="tecs")


def test_discretionary_needs_a_policy_reason(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", quotes=("40000", "45000"))
    with pytest.raises(services.MoneyRuleBroken, match="policy reason"):
        services.approve(db_session, caseworker, c, discretionary="500")


def test_maximum_is_configurable(app, db_session, caseworker, monkeypatch):
    monkeypatch.setitem(app.config, "DFG_MAX_GRANT", 4000)
    c = walk_to(db_session, caseworker, "application_received")
    services.approve(db_session, caseworker, c)
    assert c.grant_maximum == D("4000.00") and c.approved_amount == D("4000.00")


def test_land_charge_only_for_owner_occupiers_over_threshold(db_session, caseworker):
    owner = walk_to(db_session, caseworker, "approved", quotes=("4800", "5000"))
    assert owner.land_charge is False
    owner2 = walk_to(db_session, caseworker, "approved", quotes=("6000", "9500"))
    assert owner2.land_charge is True
    tenant = walk_to(db_session, caseworker, "approved", tenure="private_tenant", quotes=("6000", "9500"))
    assert tenant.land_charge is False


@pytest.mark.parametrize("bad,message", [("12.345", "no more than 2 decimal places"), ("NaN", "Enter an amount"),
                                         ("Infinity", "Enter an amount"), ("abc", "Enter an amount"),
                                         ("-5", "cannot be negative"), ("50000.01", "cannot be more than")])
def test_fees_nonsense_is_refused(db_session, caseworker, bad, message):
    c = walk_to(db_session, caseworker, "application_received")
    with pytest.raises(services.MoneyRuleBroken, match=message) as refused:
        services.approve(db_session, caseworker, c, fees=bad)
    assert refused.value.field == "fees" and c.state == "application_received"


@pytest.mark.parametrize("field,value", [("weekly_income", "10000.01"), ("weekly_allowances", "20000"),
                                         ("savings", "5000000.01")])
def test_test_of_resources_figures_have_sane_bounds(db_session, caseworker, field, value):
    c = walk_to(db_session, caseworker, "enquiry")
    services.start_eligibility(db_session, caseworker, c)
    answers = {"weekly_income": "300", "weekly_allowances": "200", "savings": "0", field: value}
    with pytest.raises(services.MoneyRuleBroken, match="cannot be more than") as refused:
        services.record_test_of_resources(db_session, caseworker, c, version=None, passported=False, **answers)
    assert refused.value.field == field and c.test_of_resources is None


def test_a_quote_has_sane_bounds(db_session, caseworker):
    c = walk_to(db_session, caseworker, "survey_and_quotes")
    with pytest.raises(services.MoneyRuleBroken, match="cannot be more than £250,000.00"):
        services.add_quote(db_session, caseworker, c, contractor="Typo Ltd", amount="2500000",
                           received_on=london_today())


# Payments ----------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=st.lists(st.integers(min_value=1, max_value=300_000).map(lambda p: D(p) / 100),
                         min_size=1, max_size=8))
def test_instalments_never_pass_90_percent_and_the_total_never_the_approval(db_session, caseworker, payments):
    nested = db_session.begin_nested()
    try:
        c = walk_to(db_session, caseworker, "works", quotes=("6000", "6500"))
        limit = services.instalment_limit(c)
        assert limit == D("5400.00")
        paid = D(0)
        for amount in payments:
            if paid + amount <= limit:
                services.record_payment(db_session, caseworker, c.id, amount=amount, paid_on=london_today())
                paid += amount
            else:
                with pytest.raises(services.MoneyRuleBroken, match="at most £5,400.00|has been paid|reached"):
                    services.record_payment(db_session, caseworker, c.id, amount=amount, paid_on=london_today())
            db_session.refresh(c)
            assert c.paid_total == paid <= limit
    finally:
        nested.rollback()


def test_instalments_follow_the_value_of_the_work_done(db_session, caseworker):
    c = walk_to(db_session, caseworker, "works", quotes=("10000", "11000"))
    today = london_today()
    with pytest.raises(services.MoneyRuleBroken, match=r"at most £1,800.00 \(90% of the £2,000.00 value"):
        services.record_payment(db_session, caseworker, c.id, amount="1800.01", paid_on=today, work_done="2000")
    db_session.refresh(c)
    assert c.work_done_value is None and c.paid_total == 0
    services.record_payment(db_session, caseworker, c.id, amount="1800", paid_on=today, work_done="2000")
    assert c.work_done_value == D("2000.00")
    with pytest.raises(services.MoneyRuleBroken, match="at most £0.00 can be paid now"):
        services.record_payment(db_session, caseworker, c.id, amount="1", paid_on=today)
    services.record_payment(db_session, caseworker, c.id, amount="3600", paid_on=today, work_done="6000")
    assert c.paid_total == D("5400.00")


@pytest.mark.parametrize("when,message", [("future", "cannot be in the future"),
                                          ("before_approval", "when the grant was approved")])
def test_a_payment_date_is_checked(db_session, caseworker, when, message):
    c = walk_to(db_session, caseworker, "works")
    day = london_today() + timedelta(days=1) if when == "future" else c.decision_date - timedelta(days=1)
    with pytest.raises(Refusal, match=message) as refused:
        services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=day)
    assert refused.value.field == "paid_on"
    db_session.refresh(c)
    assert c.paid_total == 0 and not c.payments


def test_the_balance_is_paid_only_after_the_inspection(db_session, caseworker):
    c = walk_to(db_session, caseworker, "works")
    c.works_started_date = c.decision_date = london_today() - timedelta(days=8)
    services.complete(db_session, caseworker, c, completed_on=london_today() - timedelta(days=6),
                      inspected_on=london_today() - timedelta(days=4))
    with pytest.raises(Refusal, match="inspected"):
        services.record_payment(db_session, caseworker, c.id, amount=c.left_to_pay,
                                paid_on=london_today() - timedelta(days=5))
    services.record_payment(db_session, caseworker, c.id, amount=c.left_to_pay, paid_on=london_today())
    assert c.state == "paid"


def test_payment_before_works_is_refused(db_session, caseworker):
    c = walk_to(db_session, caseworker, "approved")
    with pytest.raises(IllegalTransition, match="once the works have started"):
        services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=london_today())


def test_full_payment_on_completion_closes_the_case(db_session, caseworker):
    c = walk_to(db_session, caseworker, "completed", quotes=("4800", "5000"))
    services.record_payment(db_session, caseworker, c.id, amount="4000", paid_on=london_today())
    assert c.state == "completed"
    with pytest.raises(services.MoneyRuleBroken, match="above the approved"):
        services.record_payment(db_session, caseworker, c.id, amount="800.01", paid_on=london_today())
    services.record_payment(db_session, caseworker, c.id, amount="800", paid_on=london_today())
    assert c.state == "paid" and c.paid_total == D("4800.00")


def test_same_payment_submitted_twice_is_recorded_once(db_session, caseworker):
    c = walk_to(db_session, caseworker, "works")
    p1 = services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=london_today(),
                                 submission_key="k-1")
    p2 = services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=london_today(),
                                 submission_key="k-1")
    db_session.refresh(c)
    assert p1.id == p2.id and c.paid_total == D("100.00")


def test_database_refuses_what_the_rules_forbid(db_session, caseworker):
    c = walk_to(db_session, caseworker, "works", quotes=("4800", "5000"))
    for sql in ("UPDATE dfg_case SET paid_total = 4320.01 WHERE id = :id",            # over 90% during works
                "UPDATE dfg_case SET work_done_value = 100, paid_total = 90.01 WHERE id = :id",
                "UPDATE dfg_case SET approved_amount = 30000.01 WHERE id = :id",
                "UPDATE dfg_case SET discretionary_amount = 5, discretionary_reason = NULL WHERE id = :id",
                "UPDATE dfg_case SET fees = -1 WHERE id = :id",
                "UPDATE dfg_case SET works_started_date = decision_date - 1 WHERE id = :id"
                if db_session.get_bind().dialect.name == "postgresql" else
                "UPDATE dfg_case SET works_started_date = '2000-01-01' WHERE id = :id",
                "UPDATE dfg_case SET decision_date = '2099-01-01', late_reason = NULL WHERE id = :id",
                "UPDATE dfg_quote SET withdrawn_at = '2025-01-01 00:00:00', withdrawn_reason = 'x' "
                "WHERE case_id = :id AND chosen",
                "INSERT INTO dfg_payment (case_id, amount, paid_on, paid_by, recorded_at) "
                "VALUES (:id, -1, '2025-01-01', 'x', '2025-01-01 00:00:00')"):
        nested = db_session.begin_nested()
        with pytest.raises(IntegrityError, match="(?i)constraint"):
            db_session.execute(text(sql), {"id": c.id})
        nested.rollback()
    nested = db_session.begin_nested()
    db_session.execute(text("UPDATE dfg_case SET paid_total = 4320 WHERE id = :id"), {"id": c.id})  # exactly 90%
    nested.rollback()
