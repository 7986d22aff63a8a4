"""Disabled Facilities Grant rules: every state change, money rule, clock and upload check.

Plain functions `f(session, actor, ...)`; views, the CLI and tests all come through here.
Every state change goes through `transition()`, which checks the move is allowed, writes the
stage history row (for stage durations) and the audit row.

Settings (read with defaults, so nothing is needed in portal/config.py):
  DFG_MAX_GRANT (30000), DFG_MIN_QUOTES (2), DFG_LAND_CHARGE_THRESHOLD (5000),
  DFG_REVIEW_DAYS (28), DFG_ANNUAL_BUDGET (2500000), DFG_DUE_SOON_DAYS (30),
  DFG_UPLOAD_DIR (instance/uploads/dfg).
"""

import hashlib
import math
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.utils import secure_filename

from portal.audit.services import record
from portal.dfg.models import (
    CLOSED_STATES,
    DISCRETIONARY_REASONS,
    MAX_EVIDENCE_BYTES,
    OPEN_STATES,
    STATES,
    TENANT_TENURES,
    TENURES,
    WORKS_TYPES,
    DfgCase,
    DfgEvidence,
    DfgPayment,
    DfgQuote,
    DfgStageHistory,
    DfgTestOfResources,
    DfgWorks,
)
from portal.errors import IllegalTransition, NotFound, PortalError, VersionClash
from portal.people.models import Person
from portal.timeutil import utcnow

PENNY = Decimal("0.01")
ZERO = Decimal("0")

# The one table of allowed moves. Withdrawal is allowed from every open state.
TRANSITIONS: dict[str, set[str]] = {
    "enquiry": {"eligibility"},
    "eligibility": {"ot_recommendation"},
    "ot_recommendation": {"survey_and_quotes"},
    "survey_and_quotes": {"application_received"},
    "application_received": {"approved", "refused"},
    "approved": {"works"},
    "works": {"completed"},
    "completed": {"paid"},
    "refused": {"application_received"},  # a review asked for inside the review window
    "paid": set(),
    "withdrawn": set(),
}
for _state in OPEN_STATES:
    TRANSITIONS[_state].add("withdrawn")

# Person.tenure uses the people feature's words.
PERSON_TENURE = {"owner_occupier": "owner", "private_tenant": "private_tenant",
                 "council_tenant": "council_tenant", "housing_association_tenant": "housing_association_tenant"}


class UploadRejected(PortalError):
    status = 422


class MoneyRuleBroken(PortalError):
    status = 422


# Settings --------------------------------------------------------------------------------------

_DEFAULTS = {
    "DFG_MAX_GRANT": 30000, "DFG_MIN_QUOTES": 2, "DFG_LAND_CHARGE_THRESHOLD": 5000, "DFG_REVIEW_DAYS": 28,
    "DFG_ANNUAL_BUDGET": 2500000, "DFG_DUE_SOON_DAYS": 30,
}


def setting(name: str):
    default = _DEFAULTS.get(name)
    if not has_app_context():
        return default
    return current_app.config.get(name, default)


def money_setting(name: str) -> Decimal:
    return Decimal(str(setting(name))).quantize(PENNY)


def upload_dir() -> Path:
    configured = current_app.config.get("DFG_UPLOAD_DIR") if has_app_context() else None
    if configured:
        return Path(configured)
    from portal.config import INSTANCE_DIR

    return Path(INSTANCE_DIR) / "uploads" / "dfg"


def to_money(value) -> Decimal:
    """A Decimal in pounds and pence; refuses NaN, infinity and fractions of a penny."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").replace("£", ""))
    except (InvalidOperation, ValueError) as exc:
        raise MoneyRuleBroken("Enter an amount in pounds, like 4500 or 4500.50") from exc
    if not amount.is_finite():
        raise MoneyRuleBroken("Enter an amount in pounds, like 4500 or 4500.50")
    if amount != amount.quantize(PENNY):
        raise MoneyRuleBroken("Enter an amount in pounds and pence, with no more than 2 decimal places")
    return amount.quantize(PENNY)


# Clocks ----------------------------------------------------------------------------------------

def add_months(start: date, n: int) -> date:
    from portal.web.clocks import add_months as _add_months

    return _add_months(start, n)


@dataclass(frozen=True)
class Clock:
    label: str
    due: date
    status: str  # overdue | due_soon | on_track | window
    days_left: int

    @property
    def describe(self) -> str:
        if self.days_left < 0:
            n = -self.days_left
            return f"Overdue by {n} day{'' if n == 1 else 's'}"
        if self.days_left == 0:
            return "Due today"
        return f"{self.days_left} day{'' if self.days_left == 1 else 's'} left"


def clock_for(c: DfgCase, today: date | None = None) -> Clock | None:
    """The clock that matters for the case in its current state."""
    today = today or utcnow().date()
    soon = int(setting("DFG_DUE_SOON_DAYS"))
    if c.state == "application_received" and c.decision_due_date:
        label, due = "Decision due", c.decision_due_date
    elif c.state in ("approved", "works") and c.works_due_date:
        label, due = "Works expected by", c.works_due_date
    elif c.state == "completed" and c.payment_due_date:
        label, due = "Payment due", c.payment_due_date
    elif c.state == "refused" and c.review_due_date:
        left = (c.review_due_date - today).days
        if left < 0:
            return None
        return Clock("Review can be asked for until", c.review_due_date, "window", left)
    else:
        return None
    left = (due - today).days
    status = "overdue" if left < 0 else ("due_soon" if left <= soon else "on_track")
    return Clock(label, due, status, left)


def payment_clock(c: DfgCase, today: date | None = None) -> Clock | None:
    if c.state not in ("approved", "works", "completed") or not c.payment_due_date:
        return None
    today = today or utcnow().date()
    left = (c.payment_due_date - today).days
    soon = int(setting("DFG_DUE_SOON_DAYS"))
    return Clock("Payment due", c.payment_due_date,
                 "overdue" if left < 0 else ("due_soon" if left <= soon else "on_track"), left)


def stage_durations(c: DfgCase, now: datetime | None = None) -> list[dict]:
    """Each stage the case has been in, with its length in days (the current one up to now)."""
    now = now or utcnow()
    rows = sorted(c.stages, key=lambda h: h.seq)
    out = []
    for i, h in enumerate(rows):
        end = rows[i + 1].at if i + 1 < len(rows) else (None if h.to_state in CLOSED_STATES else now)
        out.append({
            "state": h.to_state, "label": STATES[h.to_state], "from": h.from_state, "at": h.at, "by": h.by_label,
            "days": None if end is None else round((end - h.at).total_seconds() / 86400, 1),
            "current": i == len(rows) - 1,
        })
    return out


# The one transition function -------------------------------------------------------------------

def _actor_label(actor) -> tuple[int | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.name


def check_version(c: DfgCase, version: int | None) -> None:
    if version is not None and int(version) != c.version:
        raise VersionClash(f"Case {c.reference} was changed by someone else while you were looking at it. "
                       "Reload the page to see the latest details, then try again.")


def can_move(c: DfgCase, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(c.state, set())


def _require_move(c: DfgCase, to_state: str) -> None:
    if to_state not in STATES:
        raise IllegalTransition(f"There is no stage called {to_state!r}.")
    if not can_move(c, to_state):
        raise IllegalTransition(
            f"Case {c.reference} is at ‘{c.state_label}’ and cannot move to ‘{STATES[to_state]}’.")


def _guard(session, c: DfgCase, to_state: str, today: date) -> None:
    """What must be true before the case may enter a stage."""
    if to_state == "ot_recommendation" and not c.is_child and c.test_of_resources is None:
        raise IllegalTransition("Record the test of resources before asking for the OT recommendation.")
    if to_state == "survey_and_quotes":
        if not c.ot_recommendation:
            raise IllegalTransition("Record the OT recommendation before the survey and quotes.")
        if not c.ot_necessary_appropriate:
            raise IllegalTransition("The OT did not confirm the works are necessary and appropriate, "
                                    "so the case cannot go on to survey and quotes.")
    if to_state == "application_received" and c.state == "survey_and_quotes":
        if not c.works:
            raise IllegalTransition("Record at least one type of works before the full application.")
        needed = int(setting("DFG_MIN_QUOTES"))
        if len(c.quotes) < needed:
            raise IllegalTransition(f"Policy needs at least {needed} quotes before the full application; "
                                    f"this case has {len(c.quotes)}.")
        if needed and c.chosen_quote is None:
            raise IllegalTransition("Choose the quote the works will go ahead on before the full application.")
        if c.tenure in TENANT_TENURES and not (c.landlord_consent_date and c.landlord_consent_by):
            raise IllegalTransition("Record the landlord's consent before the full application.")
    if to_state == "application_received" and c.state == "refused" and (
            c.review_due_date is None or today > c.review_due_date):
        raise IllegalTransition("The review window has closed, so a review cannot be asked for now.")
    if to_state == "approved" and c.approved_amount is None:
        raise IllegalTransition("Approve a case with its grant amount.")
    if to_state == "refused" and not c.closed_reason:
        raise IllegalTransition("Give the reason for refusal.")
    if to_state == "works" and c.works_started_date is None:
        raise IllegalTransition("Enter the date the works started.")
    if to_state == "completed" and not (c.completed_date and c.inspected_date):
        raise IllegalTransition("Enter when the works were completed and when they were inspected.")
    if to_state == "paid" and c.paid_total <= 0:
        raise IllegalTransition("Record the payment before closing the case as paid.")
    if to_state == "withdrawn" and not c.closed_reason:
        raise IllegalTransition("Give the reason the case was withdrawn.")


def transition(session, actor, c: DfgCase, to_state: str, *, version: int | None = None,
               today: date | None = None, **details) -> str:
    """Move a case to `to_state`, or raise IllegalTransition. Writes stage history and audit."""
    check_version(c, version)
    _require_move(c, to_state)
    today = today or utcnow().date()
    _guard(session, c, to_state, today)
    from_state = c.state
    now = utcnow()
    by_id, by_label = _actor_label(actor)
    c.state = to_state
    c.state_changed_at = now
    seq = 1 + max((h.seq for h in c.stages), default=0)
    session.add(DfgStageHistory(case=c, seq=seq, from_state=from_state, to_state=to_state, at=now,
                                by_id=by_id, by_label=by_label))
    record(session, actor, "dfg.transition", "dfg_case", c.id, reference=c.reference,
           from_state=from_state, to_state=to_state, **{k: str(v) for k, v in details.items()})
    _flush(session, c)
    return to_state


def _flush(session, c: DfgCase) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionClash(f"Case {c.reference} was changed by someone else at the same time. "
                       "Reload the page and try again.") from exc


# Cases -----------------------------------------------------------------------------------------

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "DFG-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))


def get_case(session, case_id: int) -> DfgCase:
    c = session.get(DfgCase, case_id)
    if c is None:
        raise NotFound("There is no DFG case with that number.")
    return c


def find_by_submission_key(session, key: str) -> DfgCase | None:
    return session.scalar(select(DfgCase).where(DfgCase.submission_key == key)) if key else None


def create_enquiry(session, actor, *, submission_key: str, for_child: bool, tenure: str,
                   difficulties: list[str], difficulty_details: str | None, given_name: str, family_name: str,
                   date_of_birth: date, address_line_1: str, address_line_2: str | None, town: str | None,
                   postcode: str, phone: str | None, email: str | None,
                   locality: str | None = None) -> tuple[DfgCase, bool]:
    """A public enquiry: a Person and a case in `enquiry`. The same submission_key twice → one case.

    The Person is made with the model directly; move this to portal.people.services.create_person
    once that service lands.
    """
    if tenure not in TENURES:
        raise PortalError("Select who owns or rents the home")
    existing = find_by_submission_key(session, submission_key)
    if existing is not None:
        return existing, False
    person = Person(given_name=given_name.strip(), family_name=family_name.strip(), date_of_birth=date_of_birth,
                    address_line_1=address_line_1.strip(), address_line_2=(address_line_2 or "").strip() or None,
                    town=(town or "").strip() or None, postcode=postcode, tenure=PERSON_TENURE[tenure],
                    phone=phone or None, email=email or None, locality=locality, communication_needs=[])
    address = ", ".join(p for p in (address_line_1, address_line_2, town) if p)
    c = DfgCase(reference=new_reference(), person=person, is_child=for_child, tenure=tenure,
                applicants=f"{given_name} {family_name}" if not for_child else None,
                property_address=address, property_postcode=postcode, difficulties=list(difficulties),
                difficulty_details=difficulty_details or None, contact_phone=phone or None,
                contact_email=email or None, locality=locality, state="enquiry",
                submission_key=submission_key, discretionary_amount=ZERO, paid_total=ZERO)
    try:
        with session.begin_nested():
            session.add(c)
            session.flush()
    except IntegrityError:
        existing = find_by_submission_key(session, submission_key)
        if existing is None:
            raise
        return existing, False
    session.add(DfgStageHistory(case=c, seq=1, from_state=None, to_state="enquiry", at=c.created_at,
                                by_label=_actor_label(actor)[1]))
    record(session, actor, "person.created", "person", person.id, via="dfg enquiry")
    record(session, actor, "dfg.created", "dfg_case", c.id, reference=c.reference, for_child=for_child,
           tenure=tenure)
    session.flush()
    return c, True


def update_details(session, actor, c: DfgCase, *, version: int | None, applicants: str | None,
                   locality: str | None, works_types: list[str], includes_tecs: bool, contractor: str | None,
                   landlord_name: str | None, is_child: bool | None = None) -> None:
    check_version(c, version)
    if not c.is_open:
        raise IllegalTransition("A closed case cannot be changed.")
    bad = [w for w in works_types if w not in WORKS_TYPES]
    if bad:
        raise PortalError("Select the type of works from the list")
    if is_child is not None and is_child != c.is_child:
        if c.state not in ("enquiry", "eligibility"):
            raise IllegalTransition("Whether the case is for a child can only change before the OT stage.")
        if is_child and c.test_of_resources is not None:
            session.delete(c.test_of_resources)
            c.contribution = None
        c.is_child = is_child
    before = {"works": c.works_types, "locality": c.locality, "contractor": c.contractor}
    c.applicants = applicants or None
    c.locality = locality or None
    wanted = set(works_types) | ({"tecs"} if includes_tecs else set())
    for w in list(c.works):
        if w.works_type not in wanted:
            c.works.remove(w)
    have = set(c.works_types)
    for w in sorted(wanted - have):
        c.works.append(DfgWorks(works_type=w))
    c.includes_tecs = includes_tecs or "tecs" in wanted
    c.contractor = contractor or None
    c.landlord_name = landlord_name or None
    record(session, actor, "dfg.details_changed", "dfg_case", c.id, before=before,
           after={"works": sorted(wanted), "locality": c.locality, "contractor": c.contractor})
    _flush(session, c)


def record_landlord_consent(session, actor, c: DfgCase, *, version: int | None, on: date, by: str) -> None:
    check_version(c, version)
    if c.tenure not in TENANT_TENURES:
        raise IllegalTransition("Landlord consent is only needed when the home is rented.")
    if not c.is_open:
        raise IllegalTransition("A closed case cannot be changed.")
    c.landlord_consent_date = on
    c.landlord_consent_by = by.strip()
    record(session, actor, "dfg.landlord_consent", "dfg_case", c.id, on=on.isoformat(), by=c.landlord_consent_by)
    _flush(session, c)


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
    check_version(c, version)
    if c.is_child:
        raise IllegalTransition("Cases for a disabled child or young person have no test of resources.")
    if c.state != "eligibility":
        raise IllegalTransition("The test of resources is recorded at the eligibility stage.")
    inputs: dict = {"passported": passported}
    if passported:
        if not benefit:
            raise PortalError("Enter the passporting benefit")
        result, contribution = "passported", ZERO
        inputs["benefit"] = benefit
    else:
        income, allowances, saved = (to_money(weekly_income), to_money(weekly_allowances), to_money(savings))
        if min(income, allowances, saved) < 0:
            raise MoneyRuleBroken("Amounts in the test of resources cannot be negative")
        contribution, workings = calculate_contribution(c.tenure, income, allowances, saved)
        result = "assessed"
        inputs.update(weekly_income=str(income), weekly_allowances=str(allowances), savings=str(saved), **workings)
    tor = c.test_of_resources
    by_id, _ = _actor_label(actor)
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
    _flush(session, c)
    return tor


def _ensure_child_nil(session, c: DfgCase) -> None:
    if c.is_child and c.test_of_resources is None:
        session.add(DfgTestOfResources(case=c, inputs={"child": True}, result="not_required", contribution=ZERO))
        c.contribution = ZERO


# OT recommendation, quotes ---------------------------------------------------------------------

def record_ot_recommendation(session, actor, c: DfgCase, *, version: int | None, what: str, why: str,
                             necessary_appropriate: bool, ot_user_id: int | None = None,
                             ot_name: str | None = None) -> None:
    check_version(c, version)
    if c.state != "ot_recommendation":
        raise IllegalTransition("The OT recommendation is recorded at the OT recommendation stage.")
    if not (ot_user_id or (ot_name and ot_name.strip())):
        raise PortalError("Enter the name of the occupational therapist")
    c.ot_recommendation, c.ot_reason = what.strip(), why.strip()
    c.ot_necessary_appropriate = necessary_appropriate
    c.ot_user_id, c.ot_name = ot_user_id, (ot_name or "").strip() or None
    c.ot_recorded_at = utcnow()
    record(session, actor, "dfg.ot_recommendation", "dfg_case", c.id,
           necessary_appropriate=necessary_appropriate, ot=c.ot_name or ot_user_id)
    _flush(session, c)


def add_quote(session, actor, c: DfgCase, *, contractor: str, amount, received_on: date) -> DfgQuote:
    if c.state not in ("survey_and_quotes", "application_received"):
        raise IllegalTransition("Quotes are added at the survey and quotes stage.")
    amount = to_money(amount)
    if amount <= 0:
        raise MoneyRuleBroken("The quote must be more than £0")
    q = DfgQuote(case=c, contractor=contractor.strip(), amount=amount, chosen=False, received_on=received_on,
                 added_by_id=_actor_label(actor)[0])
    session.add(q)
    session.flush()
    record(session, actor, "dfg.quote_added", "dfg_case", c.id, quote_id=q.id, contractor=q.contractor,
           amount=str(amount))
    return q


def choose_quote(session, actor, c: DfgCase, quote_id: int, *, version: int | None = None) -> DfgQuote:
    check_version(c, version)
    if c.state not in ("survey_and_quotes", "application_received"):
        raise IllegalTransition("The quote can only be chosen before the decision.")
    chosen = next((q for q in c.quotes if q.id == quote_id), None)
    if chosen is None:
        raise NotFound("That quote is not on this case.")
    for q in c.quotes:
        if q.chosen and q.id != quote_id:
            q.chosen = False
    session.flush()  # clear the old choice first: the partial unique index allows one chosen quote
    chosen.chosen = True
    c.contractor = chosen.contractor
    record(session, actor, "dfg.quote_chosen", "dfg_case", c.id, quote_id=quote_id, amount=str(chosen.amount))
    _flush(session, c)
    return chosen


# Stage actions ---------------------------------------------------------------------------------

def start_eligibility(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    transition(session, actor, c, "eligibility", version=version)


def request_ot(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "ot_recommendation")
    _ensure_child_nil(session, c)
    transition(session, actor, c, "ot_recommendation")


def start_survey(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    transition(session, actor, c, "survey_and_quotes", version=version)


def receive_application(session, actor, c: DfgCase, *, on: date, version: int | None = None) -> None:
    """The full application: the statutory 6-month decision clock starts on `on`."""
    check_version(c, version)
    _require_move(c, "application_received")
    today = utcnow().date()
    if c.state == "refused":  # a review: the original application date and clock stand
        transition(session, actor, c, "application_received", review=True)
        c.decision_date = None
        c.review_due_date = None
        _flush(session, c)
        return
    if on > today:
        raise PortalError("The date the full application was received cannot be in the future")
    _guard(session, c, "application_received", today)
    c.full_application_date = on
    c.decision_due_date = add_months(on, 6)
    c.payment_due_date = add_months(on, 12)
    transition(session, actor, c, "application_received", received=on.isoformat())


def grant_limit(c: DfgCase) -> Decimal:
    """The most the mandatory grant can be: the maximum less the contribution, never below £0."""
    maximum = money_setting("DFG_MAX_GRANT")
    return max(maximum - (c.contribution or ZERO), ZERO)


def check_approval(c: DfgCase, grant: Decimal, discretionary: Decimal, reason: str | None) -> None:
    """The money rules for a decision. Raises MoneyRuleBroken with the message to show."""
    if grant < 0 or discretionary < 0:
        raise MoneyRuleBroken("Amounts cannot be negative")
    limit = grant_limit(c)
    if grant > limit:
        maximum = money_setting("DFG_MAX_GRANT")
        raise MoneyRuleBroken(f"The grant cannot be more than £{limit:,.2f} (the £{maximum:,.0f} "
                              f"maximum less the £{c.contribution or ZERO:,.2f} contribution). Record any more "
                              "as discretionary assistance with its policy reason.")
    if discretionary > 0 and not (reason and reason.strip()):
        raise MoneyRuleBroken("Select the policy reason for the discretionary assistance")
    if grant + discretionary <= 0:
        raise MoneyRuleBroken("Enter the grant amount")
    chosen = c.chosen_quote
    if chosen is not None:
        cost_left = max(chosen.amount - (c.contribution or ZERO), ZERO)
        if grant + discretionary > cost_left:
            raise MoneyRuleBroken(f"The grant and discretionary assistance together cannot be more than "
                                  f"£{cost_left:,.2f} (the chosen quote less the contribution).")


def approve(session, actor, c: DfgCase, *, grant, discretionary=ZERO, discretionary_reason: str | None = None,
            decision_date: date | None = None, payment_due: date | None = None,
            version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "approved")
    grant, discretionary = to_money(grant), to_money(discretionary or ZERO)
    check_approval(c, grant, discretionary, discretionary_reason)
    decision_date = decision_date or utcnow().date()
    if c.full_application_date and decision_date < c.full_application_date:
        raise PortalError("The decision date cannot be before the full application was received")
    if discretionary > 0 and discretionary_reason and discretionary_reason.split(":")[0] not in DISCRETIONARY_REASONS:
        raise MoneyRuleBroken("Select the policy reason for the discretionary assistance")
    c.grant_maximum = money_setting("DFG_MAX_GRANT")
    c.approved_amount = grant
    c.discretionary_amount = discretionary
    c.discretionary_reason = discretionary_reason.strip() if discretionary > 0 and discretionary_reason else None
    c.decision_date = decision_date
    c.works_due_date = add_months(decision_date, 12)
    base = c.full_application_date or decision_date
    c.payment_due_date = payment_due or add_months(base, 12)
    c.land_charge = c.tenure == "owner_occupier" and grant > money_setting("DFG_LAND_CHARGE_THRESHOLD")
    transition(session, actor, c, "approved", grant=grant, discretionary=discretionary,
               land_charge=c.land_charge)


def refuse(session, actor, c: DfgCase, *, reason: str, decision_date: date | None = None,
           version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "refused")
    c.closed_reason = reason.strip()
    c.decision_date = decision_date or utcnow().date()
    c.review_due_date = c.decision_date + timedelta(days=int(setting("DFG_REVIEW_DAYS")))
    transition(session, actor, c, "refused", reason=c.closed_reason)


def start_works(session, actor, c: DfgCase, *, on: date, version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "works")
    c.works_started_date = on
    transition(session, actor, c, "works", started=on.isoformat())


def complete(session, actor, c: DfgCase, *, completed_on: date, inspected_on: date,
             version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "completed")
    if inspected_on < completed_on:
        raise PortalError("The inspection date cannot be before the works were completed")
    c.completed_date, c.inspected_date = completed_on, inspected_on
    transition(session, actor, c, "completed", completed=completed_on.isoformat())


def close_as_paid(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "paid")
    c.paid_date = c.paid_date or utcnow().date()
    transition(session, actor, c, "paid", paid_total=c.paid_total)


def withdraw(session, actor, c: DfgCase, *, reason: str, version: int | None = None) -> None:
    check_version(c, version)
    _require_move(c, "withdrawn")
    c.closed_reason = reason.strip()
    transition(session, actor, c, "withdrawn", reason=c.closed_reason)


# Payments --------------------------------------------------------------------------------------

def record_payment(session, actor, case_id: int, *, amount, paid_on: date, payee: str | None = None,
                   submission_key: str | None = None) -> DfgPayment:
    """Pay against the approval. One conditional UPDATE adds to paid_total only if the total stays
    within grant + discretionary (and the case is in works or completed), so two payments at once
    can never exceed the approval; the CHECK constraint backs it up."""
    amount = to_money(amount)
    if amount <= 0:
        raise MoneyRuleBroken("The payment must be more than £0")
    if submission_key:
        existing = session.scalar(select(DfgPayment).where(DfgPayment.submission_key == submission_key))
        if existing is not None:
            return existing
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
    c = get_case(session, case_id)
    if new_total is None:
        session.refresh(c)
        if c.state not in ("works", "completed"):
            raise IllegalTransition("Payments can only be made once the works have started.")
        raise MoneyRuleBroken(f"This payment would take the total paid above the approved £{c.approved_total:,.2f}. "
                              f"£{c.left_to_pay:,.2f} is left to pay.")
    session.refresh(c, ["paid_total"])
    by_id, by_label = _actor_label(actor)
    p = DfgPayment(case_id=case_id, amount=amount, paid_on=paid_on, paid_by_id=by_id, paid_by=by_label,
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


# Evidence uploads ------------------------------------------------------------------------------

ALLOWED_EXTENSIONS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAGIC = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
_HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<svg", b"<iframe", b"<body")


def scan_for_malware(data: bytes) -> bool:
    """The virus-scan hook (RELIABILITY F3). In production point DFG_SCANNER at a ClamAV client; the
    default only spots the EICAR test string. Returns True when the file is infected."""
    scanner = current_app.config.get("DFG_SCANNER") if has_app_context() else None
    if scanner is not None:
        return bool(scanner(data))
    return EICAR in data


def check_upload(filename: str | None, data: bytes) -> tuple[str, str]:
    """Content type and a safe display name, or UploadRejected with the message to show."""
    if not filename:
        raise UploadRejected("Select a file")
    if ("/" in filename or "\\" in filename or ".." in filename or filename.startswith(".")
            or any(ord(ch) < 32 or ch in ':*?"<>|' for ch in filename)):
        raise UploadRejected("The file name must not include folders or special characters. "
                             "Rename the file, for example quote.pdf, and try again")
    ext = os.path.splitext(filename.lower())[1]
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected("The selected file must be a PDF, JPG or PNG")
    if len(data) == 0:
        raise UploadRejected("The selected file is empty")
    if len(data) > MAX_EVIDENCE_BYTES:
        raise UploadRejected("The selected file must be smaller than 10MB")
    content_type = ALLOWED_EXTENSIONS[ext]
    if not data.startswith(MAGIC[content_type]):
        raise UploadRejected(f"The selected file is not a real {ext[1:].upper()} file. "
                             "Upload a PDF, JPG or PNG")
    head = data[:2048].lower()
    if any(marker in head for marker in _HTML_MARKERS):
        raise UploadRejected("The selected file must be a PDF, JPG or PNG")
    if scan_for_malware(data):
        raise UploadRejected("The selected file contains a virus. It has not been saved")
    safe = secure_filename(filename)[:200] or f"evidence{ext}"
    if not safe.lower().endswith(ext):
        safe = f"evidence{ext}"
    return content_type, safe


def store_evidence(session, actor, c: DfgCase, *, filename: str | None, data: bytes, kind: str,
                   description: str | None = None) -> DfgEvidence:
    content_type, safe = check_upload(filename, data)
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(24)
    path = folder / stored
    with open(path, "xb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    ev = DfgEvidence(case_id=c.id, stored_name=stored, original_name=safe, content_type=content_type,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), kind=kind,
                     description=(description or "").strip() or None, uploaded_by_id=_actor_label(actor)[0])
    session.add(ev)
    session.flush()
    record(session, actor, "dfg.evidence_uploaded", "dfg_case", c.id, evidence_id=ev.id, kind=kind,
           size=len(data), content_type=content_type)
    return ev


def evidence_for_download(session, actor, case_id: int, evidence_id: int) -> tuple[DfgEvidence, Path]:
    """The evidence row and its file, after an object-level check; every download is audited."""
    ev = session.get(DfgEvidence, evidence_id)
    if ev is None or ev.case_id != case_id:
        raise NotFound("There is no such file on this case.")
    path = upload_dir() / ev.stored_name
    if not path.is_file():
        raise NotFound("The file is missing from storage.")
    record(session, actor, "dfg.evidence_downloaded", "dfg_case", case_id, evidence_id=ev.id,
           name=ev.original_name)
    return ev, path


def record_case_view(session, actor, c: DfgCase) -> None:
    record(session, actor, "dfg.case_viewed", "dfg_case", c.id, person_id=c.person_id)


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
class Page:
    rows: list
    total: int
    page: int
    pages: int
    per_page: int
    clocks: dict = field(default_factory=dict)


def _due_expr():
    return case(
        (DfgCase.state == "application_received", DfgCase.decision_due_date),
        (DfgCase.state.in_(("approved", "works")), DfgCase.works_due_date),
        (DfgCase.state == "completed", DfgCase.payment_due_date),
        else_=None,
    )


def queue(session, filters: QueueFilters, page: int = 1, per_page: int = 25, today: date | None = None) -> Page:
    today = today or utcnow().date()
    due = _due_expr()
    stmt = select(DfgCase)
    if filters.state == "open":
        stmt = stmt.where(DfgCase.state.in_(OPEN_STATES))
    elif filters.state in STATES:
        stmt = stmt.where(DfgCase.state == filters.state)
    if filters.clock == "breached":
        stmt = stmt.where(or_(due < today, and_(DfgCase.state.in_(("approved", "works")),
                                                 DfgCase.payment_due_date < today)))
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
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = list(session.scalars(
        stmt.order_by(due.is_(None), due, DfgCase.created_at, DfgCase.id)
        .limit(per_page).offset((page - 1) * per_page)))
    clocks = {c.id: clock_for(c, today) for c in rows}
    return Page(rows=rows, total=total, page=page, pages=pages, per_page=per_page, clocks=clocks)


# Budget and figures ----------------------------------------------------------------------------

def financial_year(today: date) -> tuple[date, date]:
    start_year = today.year if today.month >= 4 else today.year - 1
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(PENNY)


def budget(session, today: date | None = None, locality: str | None = None) -> dict:
    today = today or utcnow().date()
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


def _month_expr(session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _days_expr(session, later, earlier):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _months_between(start: date, end: date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def figures(session, start: date, end: date, locality: str | None = None) -> dict:
    """Dashboard figures for [start, end] (dates inclusive), all by aggregate SQL."""
    start_dt = datetime.combine(start, datetime.min.time())
    end_dt = datetime.combine(end + timedelta(days=1), datetime.min.time())
    loc = [DfgCase.locality == locality] if locality else []
    h = DfgStageHistory

    month = _month_expr(session, DfgCase.created_at)
    referrals = dict(session.execute(
        select(month, func.count()).where(DfgCase.created_at >= start_dt, DfgCase.created_at < end_dt, *loc)
        .group_by(month)).all())

    def entered_per_month(state: str) -> dict:
        m = _month_expr(session, h.at)
        return dict(session.execute(
            select(m, func.count(func.distinct(h.case_id))).join(DfgCase, DfgCase.id == h.case_id)
            .where(h.to_state == state, h.at >= start_dt, h.at < end_dt, *loc).group_by(m)).all())

    approvals, completions = entered_per_month("approved"), entered_per_month("completed")

    nxt = func.lead(h.at).over(partition_by=h.case_id, order_by=h.seq)
    spans = (select(h.case_id.label("case_id"), h.to_state.label("stage"), h.at.label("at"), nxt.label("next_at"))
             .join(DfgCase, DfgCase.id == h.case_id).where(*loc).subquery())
    days = _days_expr(session, spans.c.next_at, spans.c.at)
    per_stage = {stage: round(float(avg), 1) for stage, avg in session.execute(
        select(spans.c.stage, func.avg(days)).where(spans.c.next_at.is_not(None), spans.c.next_at >= start_dt,
                                                    spans.c.next_at < end_dt)
        .group_by(spans.c.stage)).all() if avg is not None}

    e2e = session.scalar(
        select(func.avg(_days_expr(session, h.at, DfgCase.created_at))).join(DfgCase, DfgCase.id == h.case_id)
        .where(h.to_state == "paid", h.at >= start_dt, h.at < end_dt, *loc))

    today = utcnow().date()
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

    months = _months_between(start, end)
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


def new_submission_key() -> str:
    return uuid.uuid4().hex
