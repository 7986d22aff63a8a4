"""What the DFG pages read: the caseworker's queue, the budget and the dashboard figures (all SQL)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from portal.config import setting
from portal.dfg.models import (
    OPEN_STATES,
    STATES,
    TENURES,
    WORKS_TYPES,
    DfgCase,
    DfgPayment,
    DfgQuote,
    DfgStageHistory,
    DfgWorks,
)
from portal.dfg.services._common import PENNY, money_setting
from portal.dfg.services.clocks import clock_for, deadline_expr
from portal.people.models import Person
from portal.sql import days_between, month_key, month_keys
from portal.timeutil import london_date, utcnow
from portal.timeutil import today as london_today
from portal.web.lists import Page as ListPage
from portal.web.lists import ordered, paginate

# Queue -----------------------------------------------------------------------------------------

@dataclass
class QueueFilters:
    state: str = "open"
    clock: str | None = None  # breached | due_soon
    works_type: str | None = None
    tenure: str | None = None
    locality: str | None = None
    search: str = ""


@dataclass
class Page(ListPage):
    """A page of the queue (portal.web.lists.Page) with each row's clock."""

    clocks: dict = field(default_factory=dict)

    @property
    def rows(self) -> list:
        return self.items


def _queue_stmt(filters: QueueFilters, today: date):
    due = deadline_expr()
    stmt = select(DfgCase)
    if filters.state == "open":
        stmt = stmt.where(DfgCase.state.in_(OPEN_STATES))
    elif filters.state in STATES:
        stmt = stmt.where(DfgCase.state == filters.state)
    if filters.clock == "breached":
        stmt = stmt.where(due < today)
    elif filters.clock == "due_soon":
        stmt = stmt.where(due >= today, due <= today + timedelta(days=int(setting("DFG_DUE_SOON_DAYS"))))
    if filters.works_type in WORKS_TYPES:
        stmt = stmt.where(DfgCase.works.any(DfgWorks.works_type == filters.works_type))
    if filters.tenure in TENURES:
        stmt = stmt.where(DfgCase.tenure == filters.tenure)
    if filters.locality:
        stmt = stmt.where(DfgCase.locality == filters.locality)
    if filters.search:
        term = filters.search.strip().upper()
        stmt = stmt.join(Person, Person.id == DfgCase.person_id).where(or_(
            DfgCase.reference == term, func.upper(DfgCase.property_postcode) == term,
            func.upper(Person.family_name) == term))
    return stmt


def queue_count(session, filters: QueueFilters, today: date | None = None) -> int:
    """How many cases the queue lists for these filters."""
    stmt = _queue_stmt(filters, today or london_today())
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# The queue's sortable columns (portal.web.lists.ordered); without one, the most pressing clock first.
SORTS = {
    "reference": DfgCase.reference, "person": [Person.family_name, Person.given_name],
    "tenure": DfgCase.tenure, "locality": DfgCase.locality, "stage": DfgCase.state, "due": deadline_expr(),
    "received": DfgCase.created_at,
}


def queue(session, filters: QueueFilters, page: int = 1, per_page: int = 25, *, sort: str | None = None,
          descending: bool = False) -> Page:
    """A page of cases: the most pressing deadline first, or sorted by one of SORTS (then the case
    number, so pages never overlap). Each row's clock is the one the default order sorts by."""
    now = utcnow()
    today = london_date(now)
    due = deadline_expr()
    stmt = _queue_stmt(filters, today)
    if sort == "person" and not filters.search:
        stmt = stmt.join(Person, Person.id == DfgCase.person_id)
    order = ordered(SORTS, sort, descending, DfgCase.id) if sort in SORTS else [
        due.is_(None), due, DfgCase.created_at, DfgCase.id]
    # the people of this page only, after the LIMIT (joined to every open case, they made PostgreSQL
    # sort 7,000 wide rows); the page reads them through person_views_for, from the identity map
    found = paginate(session, stmt.order_by(*order).options(selectinload(DfgCase.person)), page, per_page)
    clocks = {c.id: clock_for(c, now) for c in found.items}
    return Page(found.items, found.total, found.number, found.size, found.more, clocks=clocks)


# The staff home's cards: the queue's own count for the filter each link opens.

def breached_count(session, user) -> int:
    """Open cases past their statutory or service deadline (?clock=breached)."""
    return queue_count(session, QueueFilters(clock="breached"))


def due_soon_count(session, user) -> int:
    """Open cases whose deadline falls in the next DFG_DUE_SOON_DAYS days (?clock=due_soon)."""
    return queue_count(session, QueueFilters(clock="due_soon"))


# Budget and figures ----------------------------------------------------------------------------

def financial_year(today: date) -> tuple[date, date]:
    start_year = today.year if today.month >= 4 else today.year - 1
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(PENNY)


def budget(session, today: date | None = None, locality: str | None = None) -> dict:
    today = today or london_today()
    start, end = financial_year(today)
    committed_states = ("approved", "works", "completed")
    where = [DfgCase.state.in_(committed_states)]
    if locality:
        where.append(DfgCase.locality == locality)
    committed = session.scalar(select(func.sum(
        func.coalesce(DfgCase.approved_amount, 0) + DfgCase.discretionary_amount - DfgCase.paid_total)).where(*where))
    pay_where = [DfgPayment.paid_on >= start, DfgPayment.paid_on <= end]
    pay_stmt = select(func.sum(DfgPayment.amount)).where(*pay_where)
    if locality:
        pay_stmt = pay_stmt.join(DfgCase, DfgCase.id == DfgPayment.case_id).where(DfgCase.locality == locality)
    paid = session.scalar(pay_stmt)
    pipe_where = [DfgCase.state == "application_received", DfgQuote.chosen.is_(True)]
    if locality:
        pipe_where.append(DfgCase.locality == locality)
    pipeline = session.scalar(
        select(func.sum(DfgQuote.amount - func.coalesce(DfgCase.contribution, 0)))
        .join(DfgCase, DfgCase.id == DfgQuote.case_id).where(*pipe_where))
    by_state = dict(session.execute(
        select(DfgCase.state, func.count()).where(*([DfgCase.locality == locality] if locality else []))
        .group_by(DfgCase.state)).all())
    total_budget = money_setting("DFG_ANNUAL_BUDGET")
    committed, paid, pipeline = _money(committed), _money(paid), _money(pipeline)
    forecast = paid + committed + pipeline
    return {
        "year_start": start, "year_end": end, "budget": total_budget, "committed": committed, "paid": paid,
        "pipeline": pipeline, "forecast": forecast, "remaining": total_budget - forecast,
        "forecast_share": float(forecast / total_budget) if total_budget else 0.0,
        "by_state": {s: by_state.get(s, 0) for s in STATES},
        "committed_cases": sum(by_state.get(s, 0) for s in committed_states),
    }


def figures(session, start: date, end: date, locality: str | None = None) -> dict:
    """Dashboard figures for [start, end] (dates inclusive), all by aggregate SQL."""
    start_dt = datetime.combine(start, datetime.min.time())
    end_dt = datetime.combine(end + timedelta(days=1), datetime.min.time())
    loc = [DfgCase.locality == locality] if locality else []
    h = DfgStageHistory

    month = month_key(session, DfgCase.created_at)
    referrals = dict(session.execute(
        select(month, func.count()).where(DfgCase.created_at >= start_dt, DfgCase.created_at < end_dt, *loc)
        .group_by(month)).all())

    def entered_per_month(state: str) -> dict:
        m = month_key(session, h.at)
        return dict(session.execute(
            select(m, func.count(func.distinct(h.case_id))).join(DfgCase, DfgCase.id == h.case_id)
            .where(h.to_state == state, h.at >= start_dt, h.at < end_dt, *loc).group_by(m)).all())

    approvals, completions = entered_per_month("approved"), entered_per_month("completed")

    nxt = func.lead(h.at).over(partition_by=h.case_id, order_by=h.seq)
    spans = (select(h.case_id.label("case_id"), h.to_state.label("stage"), h.at.label("at"), nxt.label("next_at"))
             .join(DfgCase, DfgCase.id == h.case_id).where(*loc).subquery())
    days = days_between(session, spans.c.next_at, spans.c.at)
    per_stage = {stage: round(float(avg), 1) for stage, avg in session.execute(
        select(spans.c.stage, func.avg(days)).where(spans.c.next_at.is_not(None), spans.c.next_at >= start_dt,
                                                    spans.c.next_at < end_dt)
        .group_by(spans.c.stage)).all() if avg is not None}

    e2e = session.scalar(
        select(func.avg(days_between(session, h.at, DfgCase.created_at))).join(DfgCase, DfgCase.id == h.case_id)
        .where(h.to_state == "paid", h.at >= start_dt, h.at < end_dt, *loc))

    today = london_today()
    in_range = [DfgCase.full_application_date.is_not(None), DfgCase.decision_due_date >= start,
                DfgCase.decision_due_date <= end, *loc]
    breach = or_(DfgCase.decision_date > DfgCase.decision_due_date,
                 and_(DfgCase.decision_date.is_(None), DfgCase.state == "application_received",
                      DfgCase.decision_due_date < today))
    breaches = session.scalar(select(func.count()).where(*in_range, breach)) or 0
    decisions_due = session.scalar(select(func.count()).select_from(DfgCase).where(*in_range)) or 0

    spend_stmt = (select(func.sum(DfgPayment.amount)).join(DfgCase, DfgCase.id == DfgPayment.case_id)
                  .where(DfgPayment.paid_on >= start, DfgPayment.paid_on <= end, *loc))
    spend = _money(session.scalar(spend_stmt))
    annual = money_setting("DFG_ANNUAL_BUDGET")
    period_days = (end - start).days + 1
    budget_for_period = (annual * Decimal(period_days) / Decimal(365)).quantize(PENNY)

    total, with_tecs = session.execute(
        select(func.count(), func.sum(case((DfgCase.includes_tecs.is_(True), 1), else_=0)))
        .where(DfgCase.created_at >= start_dt, DfgCase.created_at < end_dt, *loc)).one()
    total, with_tecs = int(total or 0), int(with_tecs or 0)

    months = month_keys(start, end)
    return {
        "months": months,
        "referrals": {m: int(referrals.get(m, 0)) for m in months},
        "approvals": {m: int(approvals.get(m, 0)) for m in months},
        "completions": {m: int(completions.get(m, 0)) for m in months},
        "average_days_per_stage": {s: per_stage[s] for s in STATES if s in per_stage},
        "average_days_end_to_end": round(float(e2e), 1) if e2e is not None else None,
        "decision_clock_breaches": int(breaches),
        "decisions_due": int(decisions_due),
        "spend": spend,
        "budget_for_period": budget_for_period,
        "annual_budget": annual,
        "spend_share_of_budget": float(spend / budget_for_period) if budget_for_period else 0.0,
        "cases": total,
        "cases_with_tecs": with_tecs,
        "tecs_share": (with_tecs / total) if total else 0.0,
    }


def late_decisions(session, start: date, end: date, locality: str | None = None) -> list[dict]:
    """Decisions made in [start, end] after the 6-month deadline (s.34), latest first, each with the
    reason the caseworker gave when approving it."""
    loc = [DfgCase.locality == locality] if locality else []
    rows = session.execute(
        select(DfgCase.id, DfgCase.reference, DfgCase.state, DfgCase.full_application_date, DfgCase.decision_due_date,
               DfgCase.decision_date, DfgCase.late_reason, DfgCase.approved_amount)
        .where(DfgCase.decision_date.is_not(None), DfgCase.decision_due_date.is_not(None),
               DfgCase.decision_date > DfgCase.decision_due_date, DfgCase.decision_date >= start,
               DfgCase.decision_date <= end, *loc)
        .order_by(DfgCase.decision_date.desc(), DfgCase.reference)).all()
    return [{"id": r.id, "reference": r.reference, "application": r.full_application_date, "due": r.decision_due_date,
             "decided": r.decision_date, "days_late": (r.decision_date - r.decision_due_date).days,
             "outcome": "Approved" if r.approved_amount is not None else "Refused",
             "reason": r.late_reason} for r in rows]
