"""Money rules: grant within the maximum less contribution, discretionary separate with a reason,
payments never above the approval, land charge. Property tests with Hypothesis."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from portal.dfg import services
from portal.dfg.models import DfgCase
from portal.errors import IllegalTransition
from portal.timeutil import today as london_today
from tests.integration.dfg.conftest import walk_to

pence = st.integers(min_value=0, max_value=6_000_000).map(lambda p: Decimal(p) / 100)
MAX = Decimal("30000.00")


@settings(max_examples=300, deadline=None)
@given(grant=pence, contribution=pence, discretionary=pence, reason=st.sampled_from([None, "", "top_up"]))
def test_grant_is_never_above_maximum_less_contribution(grant, contribution, discretionary, reason):
    c = DfgCase(contribution=contribution)
    try:
        services.check_approval(c, grant, discretionary, reason)
    except services.MoneyRuleBroken:
        ok = False
    else:
        ok = True
    limit = max(MAX - contribution, Decimal(0))
    expected = (0 <= grant <= limit and grant + discretionary > 0
                and not (discretionary > 0 and not (reason or "").strip()))
    assert ok == expected
    if ok:
        assert 0 <= grant <= MAX - contribution


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=st.lists(st.integers(min_value=1, max_value=300_000).map(lambda p: Decimal(p) / 100),
                         min_size=1, max_size=8))
def test_payments_never_exceed_the_approval(db_session, caseworker, payments):
    nested = db_session.begin_nested()
    try:
        c = walk_to(db_session, caseworker, "works", quotes=("6000", "6500"), grant="4000.10",
                    discretionary="999.90", reason="top_up")
        approved = c.approved_total
        paid = Decimal(0)
        for amount in payments:
            if paid + amount <= approved:
                services.record_payment(db_session, caseworker, c.id, amount=amount, paid_on=london_today())
                paid += amount
            else:
                with pytest.raises(services.MoneyRuleBroken, match="above the approved|has been paid"):
                    services.record_payment(db_session, caseworker, c.id, amount=amount, paid_on=london_today())
            db_session.refresh(c)
            assert c.paid_total == paid <= approved
    finally:
        nested.rollback()


def test_grant_above_limit_is_refused_with_a_message(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", contribution_income="210",
                quotes=("40000", "42000"))
    assert c.contribution == Decimal("5200.00")  # £10 a week excess × 52 × 10 years
    with pytest.raises(services.MoneyRuleBroken, match="24,800.00"):
        services.approve(db_session, caseworker, c, grant="24800.01")
    services.approve(db_session, caseworker, c, grant="24800", discretionary="10000",
                     discretionary_reason="top_up")
    assert c.state == "approved" and c.approved_total == Decimal("34800.00")
    assert c.land_charge is True and c.grant_maximum == MAX


def test_grant_and_discretionary_cannot_exceed_the_chosen_quote(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", quotes=("5000", "5400"))
    with pytest.raises(services.MoneyRuleBroken, match="chosen quote less the contribution"):
        services.approve(db_session, caseworker, c, grant="4800", discretionary="300", discretionary_reason="tecs")


def test_discretionary_needs_a_policy_reason(db_session, caseworker):
    c = walk_to(db_session, caseworker, "application_received", quotes=("5000", "5400"))
    with pytest.raises(services.MoneyRuleBroken, match="policy reason"):
        services.approve(db_session, caseworker, c, grant="4000", discretionary="500")


def test_maximum_is_configurable(app, db_session, caseworker, monkeypatch):
    monkeypatch.setitem(app.config, "DFG_MAX_GRANT", 4000)
    c = walk_to(db_session, caseworker, "application_received")
    with pytest.raises(services.MoneyRuleBroken, match=r"more than £4,000\.00") as refused:
        services.approve(db_session, caseworker, c, grant="4000.01")
    assert refused.value.field == "grant"
    services.approve(db_session, caseworker, c, grant="4000")
    assert c.grant_maximum == Decimal("4000.00")


def test_land_charge_only_for_owner_occupiers_over_threshold(db_session, caseworker):
    owner = walk_to(db_session, caseworker, "approved", grant="4800")
    assert owner.land_charge is False
    owner2 = walk_to(db_session, caseworker, "approved", quotes=("9000", "9500"), grant="6000")
    assert owner2.land_charge is True
    tenant = walk_to(db_session, caseworker, "approved", tenure="private_tenant", quotes=("9000", "9500"),
                     grant="6000")
    assert tenant.land_charge is False


@pytest.mark.parametrize("bad,message", [("12.345", "no more than 2 decimal places"), ("NaN", "Enter an amount"),
                                         ("Infinity", "Enter an amount"), ("abc", "Enter an amount"),
                                         ("-5", "cannot be negative")])
def test_fractions_of_a_penny_and_nonsense_are_refused(db_session, caseworker, bad, message):
    c = walk_to(db_session, caseworker, "application_received")
    with pytest.raises(services.MoneyRuleBroken, match=message) as refused:
        services.approve(db_session, caseworker, c, grant=bad)
    assert refused.value.field == "grant"


def test_payment_before_works_is_refused(db_session, caseworker):
    c = walk_to(db_session, caseworker, "approved")
    with pytest.raises(IllegalTransition, match="once the works have started"):
        services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=london_today())


def test_full_payment_on_completion_closes_the_case(db_session, caseworker):
    c = walk_to(db_session, caseworker, "completed", grant="4800")
    services.record_payment(db_session, caseworker, c.id, amount="4000", paid_on=london_today())
    assert c.state == "completed"
    services.record_payment(db_session, caseworker, c.id, amount="800", paid_on=london_today())
    assert c.state == "paid" and c.paid_total == Decimal("4800.00")


def test_same_payment_submitted_twice_is_recorded_once(db_session, caseworker):
    c = walk_to(db_session, caseworker, "works")
    p1 = services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=london_today(),
                                 submission_key="k-1")
    p2 = services.record_payment(db_session, caseworker, c.id, amount="100", paid_on=london_today(),
                                 submission_key="k-1")
    db_session.refresh(c)
    assert p1.id == p2.id and c.paid_total == Decimal("100.00")


def test_database_refuses_overpayment_and_grant_above_maximum(db_session, caseworker):
    c = walk_to(db_session, caseworker, "works", grant="4800")
    for sql in ("UPDATE dfg_case SET paid_total = 4800.01 WHERE id = :id",
                "UPDATE dfg_case SET approved_amount = 30000.01 WHERE id = :id",
                "UPDATE dfg_case SET discretionary_amount = 5, discretionary_reason = NULL WHERE id = :id",
                "INSERT INTO dfg_payment (case_id, amount, paid_on, paid_by, recorded_at) "
                "VALUES (:id, -1, '2025-01-01', 'x', '2025-01-01 00:00:00')"):
        nested = db_session.begin_nested()
        with pytest.raises(IntegrityError, match="(?i)constraint"):
            db_session.execute(text(sql), {"id": c.id})
        nested.rollback()
