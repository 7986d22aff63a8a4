"""A DFG case from the enquiry to the decision and the works: details, OT, quotes and the stage moves.

Plain functions `f(session, actor, case, ...)`: each action starts with `begin()`, which checks
the person, the page's version and that the action is open now (`allowed_actions`).
"""

import secrets
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import actor_label, record
from portal.config import setting
from portal.dfg.models import TENURES, WORKS_TYPES, DfgCase, DfgQuote, DfgStageHistory, DfgWorks
from portal.dfg.services._common import ZERO, MoneyRuleBroken, flush, money_in_bounds, to_money
from portal.dfg.services.child import is_child_on, redecide
from portal.dfg.services.dates import check_date
from portal.dfg.services.money import ensure_child_nil
from portal.dfg.services.workflow import begin, transition
from portal.errors import NotFound, Refusal
from portal.extensions import begin_write
from portal.people.services import match_or_create
from portal.timeutil import today as london_today
from portal.timeutil import utcnow
from portal.web.clocks import add_months

# Person.tenure uses the people feature's words.
PERSON_TENURE = {"owner_occupier": "owner", "private_tenant": "private_tenant",
                 "council_tenant": "council_tenant", "housing_association_tenant": "housing_association_tenant"}

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "DFG-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(6))


def find_by_submission_key(session, key: str) -> DfgCase | None:
    return session.scalar(select(DfgCase).where(DfgCase.submission_key == key)) if key else None


def create_enquiry(session, actor, *, submission_key: str, tenure: str,
                   difficulties: list[str], difficulty_details: str | None, given_name: str, family_name: str,
                   date_of_birth: date, address_line_1: str, address_line_2: str | None, town: str | None,
                   postcode: str, phone: str | None, email: str | None,
                   locality: str | None = None, language: str = "en") -> tuple[DfgCase, bool]:
    """A public enquiry: the person (through the people feature's matching, so a known person is never
    filed on silently) and a case in `enquiry`. The same submission_key twice → one case. Whether it is
    a child's case comes from the date of birth on the day of the enquiry (re-decided at the full
    application), never from a tick-box."""
    if tenure not in TENURES:
        raise Refusal(_("Select who owns or rents the home"), field="tenure")
    existing = find_by_submission_key(session, submission_key)
    if existing is not None:
        return existing, False
    address = ", ".join(p for p in (address_line_1, address_line_2, town) if p)
    for_child = is_child_on(date_of_birth, london_today())
    begin_write()  # on SQLite, before the savepoint: the audit rows inside it must not commit
    try:
        with session.begin_nested():
            person = match_or_create(
                session, actor, given_name=given_name, family_name=family_name, date_of_birth=date_of_birth,
                address_line_1=address_line_1, address_line_2=address_line_2, town=town, postcode=postcode,
                tenure=PERSON_TENURE[tenure], phone=phone, email=email, locality=locality).person
            c = DfgCase(reference=new_reference(), person=person, is_child=for_child, tenure=tenure, language=language,
                        applicants=f"{given_name} {family_name}" if not for_child else None,
                        property_address=address, property_postcode=postcode, difficulties=list(difficulties),
                        difficulty_details=difficulty_details or None, contact_phone=phone or None,
                        contact_email=email or None, locality=locality, state="enquiry",
                        submission_key=submission_key, discretionary_amount=ZERO, paid_total=ZERO)
            session.add(c)
            session.flush()
    except IntegrityError:
        existing = find_by_submission_key(session, submission_key)
        if existing is None:
            raise
        return existing, False
    session.add(DfgStageHistory(case=c, seq=1, from_state=None, to_state="enquiry", at=c.created_at,
                                by_label=actor_label(actor)[1][:200]))
    record(session, actor, "dfg.created", "dfg_case", c.id, reference=c.reference, for_child=for_child,
           tenure=tenure, date_of_birth=date_of_birth.isoformat())
    session.flush()
    return c, True


def record_case_view(session, actor, c: DfgCase) -> None:
    record(session, actor, "dfg.case_viewed", "dfg_case", c.id, person_id=c.person_id)


# Details, landlord, OT -------------------------------------------------------------------------

def update_details(session, actor, c: DfgCase, *, version: int | None, applicants: str | None,
                   locality: str | None, works_types: list[str], includes_tecs: bool, contractor: str | None,
                   landlord_name: str | None) -> None:
    begin(actor, c, "details", version)
    bad = [w for w in works_types if w not in WORKS_TYPES]
    if bad:
        raise Refusal(_("Select the type of works from the list"), field="works_types")
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
    flush(session, c)


def record_landlord_consent(session, actor, c: DfgCase, *, version: int | None, on: date, by: str) -> None:
    today = begin(actor, c, "landlord", version)
    check_date(on, "on", "The date the landlord consented", today)
    c.landlord_consent_date = on
    c.landlord_consent_by = by.strip()
    record(session, actor, "dfg.landlord_consent", "dfg_case", c.id, on=on.isoformat(), by=c.landlord_consent_by)
    flush(session, c)


def record_ot_recommendation(session, actor, c: DfgCase, *, version: int | None, what: str, why: str,
                             necessary_appropriate: bool, ot_user_id: int | None = None,
                             ot_name: str | None = None) -> None:
    begin(actor, c, "ot", version)
    if not (ot_user_id or (ot_name and ot_name.strip())):
        raise Refusal(_("Enter the name of the occupational therapist"), field="ot_name")
    c.ot_recommendation, c.ot_reason = what.strip(), why.strip()
    c.ot_necessary_appropriate = necessary_appropriate
    c.ot_user_id, c.ot_name = ot_user_id, (ot_name or "").strip() or None
    c.ot_recorded_at = utcnow()
    record(session, actor, "dfg.ot_recommendation", "dfg_case", c.id,
           necessary_appropriate=necessary_appropriate, ot=c.ot_name or ot_user_id)
    flush(session, c)


# Quotes ----------------------------------------------------------------------------------------

def add_quote(session, actor, c: DfgCase, *, contractor: str, amount, received_on: date) -> DfgQuote:
    today = begin(actor, c, "quote")
    amount = to_money(amount, field="amount")
    if amount <= 0:
        raise MoneyRuleBroken("The quote must be more than £0", field="amount")
    money_in_bounds(amount, "DFG_QUOTE_LIMIT", "A quote", "amount")
    check_date(received_on, "received_on", "The date the quote was received", today,
               after=[(c.enquiry_date, "the enquiry was made")])
    q = DfgQuote(case=c, contractor=contractor.strip(), amount=amount, chosen=False, received_on=received_on,
                 added_by_id=actor_label(actor)[0])
    session.add(q)
    session.flush()
    record(session, actor, "dfg.quote_added", "dfg_case", c.id, quote_id=q.id, contractor=q.contractor,
           amount=str(amount))
    return q


def choose_quote(session, actor, c: DfgCase, quote_id: int, *, version: int | None = None) -> DfgQuote:
    begin(actor, c, "choose_quote", version)
    chosen = next((q for q in c.quotes if q.id == quote_id), None)
    if chosen is None:
        raise NotFound(_("That quote is not on this case."))
    if chosen.withdrawn:
        raise Refusal(_("The quote from %(contractor)s was withdrawn, so it cannot be chosen.",
                        contractor=chosen.contractor))
    for q in c.quotes:
        if q.chosen and q.id != quote_id:
            q.chosen = False
    session.flush()  # clear the old choice first: the partial unique index allows one chosen quote
    chosen.chosen = True
    c.contractor = chosen.contractor
    record(session, actor, "dfg.quote_chosen", "dfg_case", c.id, quote_id=quote_id, amount=str(chosen.amount))
    flush(session, c)
    return chosen


def withdraw_quote(session, actor, c: DfgCase, quote_id: int, *, reason: str,
                   version: int | None = None) -> DfgQuote:
    """A wrong quote is withdrawn with its reason, never deleted. Withdrawing the chosen quote before
    the decision clears the choice (the works cannot go ahead on it)."""
    begin(actor, c, "withdraw_quote", version)
    q = next((q for q in c.quotes if q.id == quote_id), None)
    if q is None:
        raise NotFound(_("That quote is not on this case."))
    if q.withdrawn:
        raise Refusal(_("The quote from %(contractor)s has already been withdrawn.", contractor=q.contractor))
    if not (reason and reason.strip()):
        raise Refusal(_("Enter why the quote is withdrawn"), field="reason")
    was_chosen = q.chosen
    q.chosen = False
    q.withdrawn_at, q.withdrawn_reason, q.withdrawn_by_id = utcnow(), reason.strip(), actor_label(actor)[0]
    if was_chosen:
        c.contractor = None
    record(session, actor, "dfg.quote_withdrawn", "dfg_case", c.id, quote_id=q.id, contractor=q.contractor,
           amount=str(q.amount), reason=q.withdrawn_reason, choice_cleared=was_chosen)
    flush(session, c)
    return q


# Stage moves -----------------------------------------------------------------------------------

def start_eligibility(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    begin(actor, c, "eligibility", version)
    transition(session, actor, c, "eligibility")


def request_ot(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    begin(actor, c, "request_ot", version)
    ensure_child_nil(session, c)
    transition(session, actor, c, "ot_recommendation")


def start_survey(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    begin(actor, c, "survey", version)
    transition(session, actor, c, "survey_and_quotes")


def receive_application(session, actor, c: DfgCase, *, on: date, version: int | None = None) -> None:
    """The full application: the statutory 6-month decision clock starts on `on`."""
    today = begin(actor, c, "application", version)
    check_date(on, "on", "The date the full application was received", today,
               after=[(c.enquiry_date, "the enquiry was made")])
    redecide(session, actor, c, c.person.date_of_birth, on, "full application received")
    c.full_application_date = on
    c.decision_due_date = add_months(on, 6)
    c.payment_due_date = add_months(on, 12)
    transition(session, actor, c, "application_received", today=today, received=on.isoformat())


def request_review(session, actor, c: DfgCase, *, version: int | None = None) -> None:
    """A review of a refusal asked for inside the window: back to full application received, with the
    original application date and decision clock."""
    today = begin(actor, c, "review", version)
    transition(session, actor, c, "application_received", today=today, review=True)
    c.decision_date = None
    c.review_due_date = None
    flush(session, c)


def refuse(session, actor, c: DfgCase, *, reason: str, decision_date: date | None = None,
           version: int | None = None) -> None:
    today = begin(actor, c, "refuse", version)
    decision_date = decision_date or today
    check_date(decision_date, "decision_date", "The decision date", today,
               after=[(c.full_application_date, "the full application was received")])
    c.closed_reason = reason.strip()
    c.decision_date = decision_date
    c.review_due_date = c.decision_date + timedelta(days=int(setting("DFG_REVIEW_DAYS")))
    transition(session, actor, c, "refused", today=today, reason=c.closed_reason)


def start_works(session, actor, c: DfgCase, *, on: date, version: int | None = None) -> None:
    today = begin(actor, c, "works", version)
    check_date(on, "on", "The date the works started", today,
               after=[(c.decision_date, "the grant was approved")])
    c.works_started_date = on
    transition(session, actor, c, "works", started=on.isoformat())


def complete(session, actor, c: DfgCase, *, completed_on: date, inspected_on: date,
             version: int | None = None) -> None:
    today = begin(actor, c, "complete", version)
    check_date(completed_on, "completed_on", "The date the works were completed", today,
               after=[(c.works_started_date, "the works started")])
    check_date(inspected_on, "inspected_on", "The date the works were inspected", today,
               after=[(completed_on, "the works were completed")])
    c.completed_date, c.inspected_date = completed_on, inspected_on
    transition(session, actor, c, "completed", completed=completed_on.isoformat())


def withdraw(session, actor, c: DfgCase, *, reason: str, version: int | None = None) -> None:
    begin(actor, c, "withdraw", version)
    c.closed_reason = reason.strip()
    transition(session, actor, c, "withdrawn", reason=c.closed_reason)
