"""DFG money: the test of resources, the grant, the approval, payments and closing as paid.

The mandatory grant is the eligible cost (the chosen quote plus allowed fees) less the assessed
contribution, capped at the mandatory maximum (DFG_MAX_GRANT) after the contribution is taken off
(HGCRA 1996 ss.30 and 33): `grant_due`. Anything above it is discretionary assistance, recorded
separately with its policy reason. While the works are in progress instalments total at most 90%
of the approval (or of the value of the work done, when recorded); the balance is paid only once
the works are completed and inspected (s.35). Payments never take the total above the approval.
"""

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import case, func, literal, select, update

from portal.audit.services import actor_label, record
from portal.config import setting
from portal.dfg.models import DISCRETIONARY_REASONS, DfgCase, DfgPayment, DfgTestOfResources
from portal.dfg.services._common import (
    PENNY,
    ZERO,
    MoneyRuleBroken,
    flush,
    get_case,
    money_in_bounds,
    money_setting,
    to_money,
)
from portal.dfg.services.dates import check_date, long_date
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
            raise Refusal(_("Enter the passporting benefit"), field="benefit")
        result, contribution = "passported", ZERO
        inputs["benefit"] = benefit
    else:
        income = to_money(weekly_income, field="weekly_income")
        allowances = to_money(weekly_allowances, field="weekly_allowances")
        saved = to_money(savings, field="savings")
        for name, value in (("weekly_income", income), ("weekly_allowances", allowances), ("savings", saved)):
            if value < 0:
                raise MoneyRuleBroken("Amounts in the test of resources cannot be negative", field=name)
        money_in_bounds(income, "DFG_WEEKLY_INCOME_LIMIT", "Weekly income", "weekly_income")
        money_in_bounds(allowances, "DFG_WEEKLY_INCOME_LIMIT", "Weekly allowances", "weekly_allowances")
        money_in_bounds(saved, "DFG_SAVINGS_LIMIT", "Savings", "savings")
        contribution, workings = calculate_contribution(c.tenure, income, allowances, saved)
        result = "assessed"
        inputs.update(weekly_income=str(income), weekly_allowances=str(allowances), savings=str(saved), **workings)
    tor = c.test_of_resources
    by_id, _label = actor_label(actor)
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


# The grant ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GrantSum:
    """How the mandatory grant is worked out, line by line, for the service and the page."""

    quote: Decimal
    fees: Decimal
    contribution: Decimal
    maximum: Decimal

    @property
    def eligible(self) -> Decimal:
        return self.quote + self.fees

    @property
    def net(self) -> Decimal:
        """The eligible cost less the contribution, never below £0."""
        return max(self.eligible - self.contribution, ZERO)

    @property
    def grant(self) -> Decimal:
        """The mandatory grant: the net cost, capped at the maximum (the cap comes after the contribution)."""
        return min(self.net, self.maximum)

    @property
    def above_maximum(self) -> Decimal:
        """What the applicant would still pay beyond the contribution: room for discretionary help."""
        return self.net - self.grant


def grant_due(cost, fees, contribution, maximum, *, child: bool = False) -> Decimal:
    """The mandatory grant for an eligible cost (quote `cost` plus allowed `fees`): cost less the
    contribution (nil for a disabled child or young person), capped at `maximum` after it."""
    return GrantSum(to_money(cost), to_money(fees), ZERO if child else to_money(contribution),
                    to_money(maximum)).grant


def grant_sum(c: DfgCase, fees=None) -> GrantSum | None:
    """The case's grant sum from its chosen quote (None when no quote is chosen yet)."""
    chosen = c.chosen_quote
    if chosen is None:
        return None
    return GrantSum(chosen.amount, to_money(c.fees if fees is None else fees),
                    ZERO if c.is_child else (c.contribution or ZERO), money_setting("DFG_MAX_GRANT"))


def grant_limit(c: DfgCase) -> Decimal:
    """The most the mandatory grant can be now: from the chosen quote, or the maximum before a quote is chosen."""
    s = grant_sum(c)
    return s.grant if s is not None else money_setting("DFG_MAX_GRANT")


def check_approval(c: DfgCase, fees: Decimal, discretionary: Decimal, reason: str | None,
                   grant: Decimal | None = None) -> GrantSum:
    """The money rules for a decision. Raises MoneyRuleBroken, naming the field, with the message to show."""
    if fees < 0:
        raise MoneyRuleBroken("Allowed fees cannot be negative", field="fees")
    money_in_bounds(fees, "DFG_FEES_LIMIT", "Allowed fees", "fees")
    if discretionary < 0:
        raise MoneyRuleBroken("Amounts cannot be negative", field="discretionary")
    s = grant_sum(c, fees)
    if s is None:
        raise MoneyRuleBroken("Choose the quote the works will go ahead on: the grant is worked out from it.",
                              field="fees")
    if grant is not None and grant != s.grant:
        raise MoneyRuleBroken(f"The mandatory grant is £{s.grant:,.2f}, not £{grant:,.2f}: {explain(s)}", field="grant")
    if discretionary > 0 and not (reason and reason.strip()):
        raise MoneyRuleBroken("Select the policy reason for the discretionary assistance",
                              field="discretionary_reason")
    if discretionary > 0 and reason and reason.split(":")[0] not in DISCRETIONARY_REASONS:
        raise MoneyRuleBroken("Select the policy reason for the discretionary assistance",
                              field="discretionary_reason")
    if s.grant + discretionary <= 0:
        raise MoneyRuleBroken(f"There is no grant to approve: {explain(s)}", field="fees")
    if discretionary > s.above_maximum:
        raise MoneyRuleBroken(
            f"Discretionary assistance can be at most £{s.above_maximum:,.2f}: the mandatory grant of "
            f"£{s.grant:,.2f} and the assistance together cannot be more than £{s.net:,.2f} (the chosen quote "
            "and allowed fees less the contribution).", field="discretionary")
    return s


def explain(s: GrantSum) -> str:
    """The grant sum in the caseworker's words."""
    words = f"the quote £{s.quote:,.2f}"
    if s.fees:
        words += f" plus £{s.fees:,.2f} allowed fees"
    words += f", less the £{s.contribution:,.2f} contribution, is £{s.net:,.2f}"
    if s.net > s.maximum:
        words += f", capped at the £{s.maximum:,.2f} maximum"
    return words + "."


class ApprovalCheck(NamedTuple):
    """What an approval will record, worked out before it is made (the decision's check page)."""

    today: date
    fees: Decimal
    discretionary: Decimal
    decision_date: date
    sum: GrantSum
    late: bool


def check_approve(actor, c: DfgCase, *, fees=ZERO, discretionary=ZERO, discretionary_reason: str | None = None,
                  decision_date: date | None = None, late_reason: str | None = None, grant=None,
                  version: int | None = None) -> ApprovalCheck:
    """Every rule `approve` applies, changing nothing: the check page shows the grant it works out.
    Raises the refusal `approve` would raise."""
    today = begin(actor, c, "approve", version)
    fees = to_money(fees or ZERO, field="fees")
    discretionary = to_money(discretionary or ZERO, field="discretionary")
    expected = to_money(grant, field="grant") if grant not in (None, "") else None
    decision_date = decision_date or today
    check_date(decision_date, "decision_date", "The decision date", today,
               after=[(c.full_application_date, "the full application was received")])
    s = check_approval(c, fees, discretionary, discretionary_reason, expected)
    late = bool(c.decision_due_date and decision_date > c.decision_due_date)
    if late and not (late_reason and late_reason.strip()):
        raise Refusal(_("The decision is after the 6-month deadline of %(long_date)s. Enter the reason it"
                        " is late",
                        long_date=long_date(c.decision_due_date)), field="late_reason")
    return ApprovalCheck(today, fees, discretionary, decision_date, s, late)


def approve(session, actor, c: DfgCase, *, fees=ZERO, discretionary=ZERO, discretionary_reason: str | None = None,
            decision_date: date | None = None, late_reason: str | None = None, grant=None,
            version: int | None = None) -> None:
    """Approve the grant worked out by `grant_due` (a `grant` given must match it), with any allowed
    fees and discretionary assistance. A decision after the 6-month deadline needs its reason.
    Payment is due 12 months after the full application (s.36): set here, never typed."""
    checked = check_approve(actor, c, fees=fees, discretionary=discretionary,
                            discretionary_reason=discretionary_reason, decision_date=decision_date,
                            late_reason=late_reason, grant=grant, version=version)
    today, fees, discretionary, decision_date, s, late = checked
    c.grant_maximum = s.maximum
    c.fees = fees
    c.approved_amount = s.grant
    c.discretionary_amount = discretionary
    c.discretionary_reason = discretionary_reason.strip() if discretionary > 0 and discretionary_reason else None
    c.decision_date = decision_date
    c.late_reason = late_reason.strip() if late else None
    c.works_due_date = add_months(decision_date, 12)
    c.payment_due_date = add_months(c.full_application_date or decision_date, 12)
    c.land_charge = c.tenure == "owner_occupier" and s.grant > money_setting("DFG_LAND_CHARGE_THRESHOLD")
    transition(session, actor, c, "approved", today=today, grant=s.grant, fees=fees, discretionary=discretionary,
               contribution=s.contribution, land_charge=c.land_charge,
               **({"late_reason": c.late_reason} if late else {}))


# Payments --------------------------------------------------------------------------------------

def instalment_share() -> Decimal:
    """The share of the grant instalments may reach during the works: the setting, never above 90%."""
    return min(Decimal(str(setting("DFG_INSTALMENT_SHARE"))), Decimal("0.90"))


def instalment_base(c: DfgCase, work_done: Decimal | None = None) -> Decimal:
    value = c.work_done_value if work_done is None else work_done
    total = c.approved_total
    return min(value, total) if value is not None else total


def instalment_limit(c: DfgCase, work_done: Decimal | None = None) -> Decimal:
    """The most that may be paid in all while the works are in progress."""
    return (instalment_base(c, work_done) * instalment_share()).quantize(PENNY, rounding=ROUND_DOWN)


def payable_now(c: DfgCase) -> Decimal:
    """What more can be paid now: up to the instalment limit during works, the balance once completed."""
    if c.state == "works":
        return max(instalment_limit(c) - c.paid_total, ZERO)
    if c.state == "completed":
        return max(c.left_to_pay, ZERO)
    return ZERO


def record_payment(session, actor, case_id: int, *, amount, paid_on: date, payee: str | None = None,
                   submission_key: str | None = None, work_done=None) -> DfgPayment:
    """Pay against the approval. One conditional UPDATE adds to paid_total only if the total stays
    within the approval and, while the works are in progress, within the instalment share of the
    approval or of the value of the work done (given here or recorded before), so two payments at
    once can never pass either limit; CHECK constraints back both up. The same form sent twice (its
    submission key) records one payment."""
    c = get_case(session, case_id)
    if not may_act(actor):
        raise NotAllowed(_("Only a DFG caseworker can change a DFG case."))
    amount = to_money(amount, field="amount")
    if amount <= 0:
        raise MoneyRuleBroken("The payment must be more than £0", field="amount")
    if submission_key:
        existing = session.scalar(select(DfgPayment).where(DfgPayment.submission_key == submission_key))
        if existing is not None:
            return existing
    today = begin(actor, c, "payment")
    money_in_bounds(amount, "DFG_QUOTE_LIMIT", "The payment", "amount")
    done = None
    if work_done not in (None, ""):
        done = to_money(work_done, field="work_done")
        if done < 0:
            raise MoneyRuleBroken("The value of the work done cannot be negative", field="work_done")
        money_in_bounds(done, "DFG_QUOTE_LIMIT", "The value of the work done", "work_done")
    after = [(c.decision_date, "the grant was approved"), (c.works_started_date, "the works started")]
    if c.state == "completed":
        after.append((c.inspected_date, "the completed works were inspected (the balance is paid after inspection)"))
    check_date(paid_on, "paid_on", "The payment date", today, after=after)

    approved = func.coalesce(DfgCase.approved_amount, 0) + DfgCase.discretionary_amount
    new_cents = func.round((DfgCase.paid_total + amount) * 100)
    value = literal(done) if done is not None else DfgCase.work_done_value
    base = case((value.is_not(None) & (value < approved), value), else_=approved)
    percent = int(instalment_share() * 100)
    values = {"paid_total": DfgCase.paid_total + amount}
    if done is not None:
        values["work_done_value"] = done
    stmt = (
        update(DfgCase)
        .where(DfgCase.id == case_id, DfgCase.state.in_(("works", "completed")),
               new_cents <= func.round(approved * 100),
               (DfgCase.state == "completed") | (new_cents * 100 <= func.round(base * 100) * percent))
        .values(**values)
        .returning(DfgCase.paid_total)
        .execution_options(synchronize_session=False)
    )
    new_total = session.execute(stmt).scalar()
    if new_total is None:
        session.refresh(c)
        if c.state not in ("works", "completed"):
            raise IllegalTransition(_("Payments can only be made once the works have started."))
        raise _over_limit(c, done)
    session.refresh(c)  # the row is locked by our UPDATE now: read what any earlier payment committed
    by_id, by_label = actor_label(actor)
    p = DfgPayment(case_id=case_id, amount=amount, paid_on=paid_on, paid_by_id=by_id, paid_by=by_label[:160],
                   payee=payee or c.contractor, submission_key=submission_key)
    session.add(p)
    if c.paid_date is None or paid_on > c.paid_date:
        c.paid_date = paid_on
    record(session, actor, "dfg.payment", "dfg_case", case_id, amount=str(amount), paid_on=paid_on.isoformat(),
           paid_total=str(new_total), stage=c.state, **({"work_done": str(done)} if done is not None else {}))
    session.flush()
    if c.state == "completed" and c.left_to_pay <= 0:
        transition(session, actor, c, "paid", paid_total=c.paid_total)
    return p


def _over_limit(c: DfgCase, done: Decimal | None) -> MoneyRuleBroken:
    if c.state == "works":
        limit = instalment_limit(c, done)
        share = f"{instalment_share() * 100:.0f}%"
        value = done if done is not None else c.work_done_value
        of = (f"the £{value:,.2f} value of the work done" if value is not None and value < c.approved_total
              else f"the approved £{c.approved_total:,.2f}")
        left = max(limit - c.paid_total, ZERO)
        return MoneyRuleBroken(
            f"While the works are in progress, payments can total at most £{limit:,.2f} ({share} of {of}). "
            f"£{c.paid_total:,.2f} has been paid, so at most £{left:,.2f} can be paid now. The balance is paid "
            "once the works are completed and inspected.", field="amount")
    return MoneyRuleBroken(f"This payment would take the total paid above the approved £{c.approved_total:,.2f}. "
                           f"£{c.left_to_pay:,.2f} is left to pay.", field="amount")


def close_as_paid(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    """Close a completed case whose final payment came in below the approval."""
    today = begin(actor, c, "close_paid", version)
    c.paid_date = c.paid_date or today
    transition(session, actor, c, "paid", today=today, paid_total=c.paid_total)
