"""DFG money: the test of resources, the grant limit, the approval, payments and closing as paid.

The grant is the eligible cost less the assessed contribution, capped at the mandatory maximum
(DFG_MAX_GRANT) after the contribution is taken off. Anything more is discretionary assistance,
recorded separately with its policy reason. Payments never take the total above the approval.
"""

import math
from datetime import date
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import func, select, update

from portal.audit.services import actor_label, record
from portal.dfg.models import DISCRETIONARY_REASONS, DfgCase, DfgPayment, DfgTestOfResources
from portal.dfg.services._common import (
    PENNY,
    ZERO,
    MoneyRuleBroken,
    flush,
    get_case,
    money_setting,
    to_money,
)
from portal.dfg.services.workflow import begin, may_act, transition
from portal.errors import IllegalTransition, NotAllowed, Refusal
from portal.timeutil import utcnow
from portal.web.clocks import add_months

# Test of resources -----------------------------------------------------------------------------

SAVINGS_DISREGARD = Decimal("6000")
TARIFF_STEP = Decimal("250")
LOAN_YEARS = {"owner_occupier": 10, "private_tenant": 5, "council_tenant": 5, "housing_association_tenant": 5}


def calculate_contribution(tenure: str, weekly_income: Decimal, weekly_allowances: Decimal,
                           savings: Decimal) -> tuple[Decimal, dict]:
    """A simplified test of resources (not yet the full statutory formula):
    tariff income of £1 a week for each £250 (or part) of savings above £6,000; excess weekly
    income = income + tariff income − allowances; contribution = excess × 52 × loan years
    (10 for owner-occupiers, 5 for tenants), with no interest discounting, rounded down to £1."""
    over = max(savings - SAVINGS_DISREGARD, ZERO)
    tariff = Decimal(math.ceil(over / TARIFF_STEP)) if over > 0 else ZERO
    excess = weekly_income + tariff - weekly_allowances
    years = LOAN_YEARS[tenure]
    contribution = max(excess, ZERO) * 52 * years
    contribution = contribution.quantize(Decimal("1"), rounding=ROUND_DOWN).quantize(PENNY)
    return contribution, {"tariff_income": str(tariff), "excess_weekly_income": str(excess), "loan_years": years}


def record_test_of_resources(session, actor, c: DfgCase, *, version: int | None, passported: bool,
                             benefit: str | None = None, weekly_income=ZERO, weekly_allowances=ZERO,
                             savings=ZERO) -> DfgTestOfResources:
    begin(actor, c, "tor", version)
    inputs: dict = {"passported": passported}
    if passported:
        if not benefit:
            raise Refusal("Enter the passporting benefit", field="benefit")
        result, contribution = "passported", ZERO
        inputs["benefit"] = benefit
    else:
        income = to_money(weekly_income, field="weekly_income")
        allowances = to_money(weekly_allowances, field="weekly_allowances")
        saved = to_money(savings, field="savings")
        for name, value in (("weekly_income", income), ("weekly_allowances", allowances), ("savings", saved)):
            if value < 0:
                raise MoneyRuleBroken("Amounts in the test of resources cannot be negative", field=name)
        contribution, workings = calculate_contribution(c.tenure, income, allowances, saved)
        result = "assessed"
        inputs.update(weekly_income=str(income), weekly_allowances=str(allowances), savings=str(saved), **workings)
    tor = c.test_of_resources
    by_id, _ = actor_label(actor)
    if tor is None:
        tor = DfgTestOfResources(case=c, inputs=inputs, result=result, contribution=contribution,
                                 assessed_by_id=by_id)
        session.add(tor)
    else:
        tor.inputs, tor.result, tor.contribution, tor.assessed_by_id = inputs, result, contribution, by_id
        tor.assessed_at = utcnow()
    c.contribution = contribution
    record(session, actor, "dfg.test_of_resources", "dfg_case", c.id, result=result,
           contribution=str(contribution))
    flush(session, c)
    return tor


def ensure_child_nil(session, c: DfgCase) -> None:
    """A child's case has no test of resources: record a nil contribution instead."""
    if c.is_child and c.test_of_resources is None:
        session.add(DfgTestOfResources(case=c, inputs={"child": True}, result="not_required", contribution=ZERO))
        c.contribution = ZERO


# The decision ----------------------------------------------------------------------------------

def grant_limit(c: DfgCase) -> Decimal:
    """The most the mandatory grant can be: the maximum less the contribution, never below £0."""
    maximum = money_setting("DFG_MAX_GRANT")
    return max(maximum - (c.contribution or ZERO), ZERO)


def check_approval(c: DfgCase, grant: Decimal, discretionary: Decimal, reason: str | None) -> None:
    """The money rules for a decision. Raises MoneyRuleBroken, naming the field, with the message to show."""
    if grant < 0:
        raise MoneyRuleBroken("Amounts cannot be negative", field="grant")
    if discretionary < 0:
        raise MoneyRuleBroken("Amounts cannot be negative", field="discretionary")
    limit = grant_limit(c)
    if grant > limit:
        maximum = money_setting("DFG_MAX_GRANT")
        raise MoneyRuleBroken(f"The grant cannot be more than £{limit:,.2f} (the £{maximum:,.0f} "
                              f"maximum less the £{c.contribution or ZERO:,.2f} contribution). Record any more "
                              "as discretionary assistance with its policy reason.", field="grant")
    if discretionary > 0 and not (reason and reason.strip()):
        raise MoneyRuleBroken("Select the policy reason for the discretionary assistance",
                              field="discretionary_reason")
    if grant + discretionary <= 0:
        raise MoneyRuleBroken("Enter the grant amount", field="grant")
    chosen = c.chosen_quote
    if chosen is not None:
        cost_left = max(chosen.amount - (c.contribution or ZERO), ZERO)
        if grant + discretionary > cost_left:
            raise MoneyRuleBroken(f"The grant and discretionary assistance together cannot be more than "
                                  f"£{cost_left:,.2f} (the chosen quote less the contribution).", field="grant")


def approve(session, actor, c: DfgCase, *, grant, discretionary=ZERO, discretionary_reason: str | None = None,
            decision_date: date | None = None, payment_due: date | None = None,
            version: int | None = None) -> None:
    today = begin(actor, c, "approve", version)
    grant = to_money(grant, field="grant")
    discretionary = to_money(discretionary or ZERO, field="discretionary")
    check_approval(c, grant, discretionary, discretionary_reason)
    decision_date = decision_date or today
    if c.full_application_date and decision_date < c.full_application_date:
        raise Refusal("The decision date cannot be before the full application was received",
                      field="decision_date")
    if discretionary > 0 and discretionary_reason and discretionary_reason.split(":")[0] not in DISCRETIONARY_REASONS:
        raise MoneyRuleBroken("Select the policy reason for the discretionary assistance",
                              field="discretionary_reason")
    c.grant_maximum = money_setting("DFG_MAX_GRANT")
    c.approved_amount = grant
    c.discretionary_amount = discretionary
    c.discretionary_reason = discretionary_reason.strip() if discretionary > 0 and discretionary_reason else None
    c.decision_date = decision_date
    c.works_due_date = add_months(decision_date, 12)
    base = c.full_application_date or decision_date
    c.payment_due_date = payment_due or add_months(base, 12)
    c.land_charge = c.tenure == "owner_occupier" and grant > money_setting("DFG_LAND_CHARGE_THRESHOLD")
    transition(session, actor, c, "approved", today=today, grant=grant, discretionary=discretionary,
               land_charge=c.land_charge)


# Payments --------------------------------------------------------------------------------------

def record_payment(session, actor, case_id: int, *, amount, paid_on: date, payee: str | None = None,
                   submission_key: str | None = None) -> DfgPayment:
    """Pay against the approval. One conditional UPDATE adds to paid_total only if the total stays
    within grant + discretionary (and the case is in works or completed), so two payments at once
    can never exceed the approval; the CHECK constraint backs it up. The same form sent twice
    (its submission key) records one payment."""
    c = get_case(session, case_id)
    if not may_act(actor):
        raise NotAllowed("Only a DFG caseworker can change a DFG case.")
    amount = to_money(amount, field="amount")
    if amount <= 0:
        raise MoneyRuleBroken("The payment must be more than £0", field="amount")
    if submission_key:
        existing = session.scalar(select(DfgPayment).where(DfgPayment.submission_key == submission_key))
        if existing is not None:
            return existing
    begin(actor, c, "payment")
    cents = func.round((DfgCase.paid_total + amount) * 100)
    limit = func.round((func.coalesce(DfgCase.approved_amount, 0) + DfgCase.discretionary_amount) * 100)
    stmt = (
        update(DfgCase)
        .where(DfgCase.id == case_id, DfgCase.state.in_(("works", "completed")), cents <= limit)
        .values(paid_total=DfgCase.paid_total + amount)
        .returning(DfgCase.paid_total)
        .execution_options(synchronize_session=False)
    )
    new_total = session.execute(stmt).scalar()
    if new_total is None:
        session.refresh(c)
        if c.state not in ("works", "completed"):
            raise IllegalTransition("Payments can only be made once the works have started.")
        raise MoneyRuleBroken(f"This payment would take the total paid above the approved £{c.approved_total:,.2f}. "
                              f"£{c.left_to_pay:,.2f} is left to pay.", field="amount")
    session.refresh(c)  # the row is locked by our UPDATE now: read what any earlier payment committed
    by_id, by_label = actor_label(actor)
    p = DfgPayment(case_id=case_id, amount=amount, paid_on=paid_on, paid_by_id=by_id, paid_by=by_label[:160],
                   payee=payee or c.contractor, submission_key=submission_key)
    session.add(p)
    if c.paid_date is None or paid_on > c.paid_date:
        c.paid_date = paid_on
    record(session, actor, "dfg.payment", "dfg_case", case_id, amount=str(amount), paid_on=paid_on.isoformat(),
           paid_total=str(new_total))
    session.flush()
    if c.state == "completed" and c.left_to_pay <= 0:
        transition(session, actor, c, "paid", paid_total=c.paid_total)
    return p


def close_as_paid(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    """Close a completed case whose final payment came in below the approval."""
    today = begin(actor, c, "close_paid", version)
    c.paid_date = c.paid_date or today
    transition(session, actor, c, "paid", today=today, paid_total=c.paid_total)
