"""Referrals: intake, triage, clocks and the state machine. Every change is audited.

States: submitted → screened → awaiting_assessment → assessed → closed, with withdrawn and
declined from any open state. Each action below checks the state it starts from, the
version the user saw (a stale save is refused), and writes an audit row.
"""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record
from portal.auth.models import User
from portal.auth.roles import OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR
from portal.errors import IllegalTransition, NotAllowed, NotFound, PortalError, VersionClash
from portal.people.models import Person
from portal.people.validators import normalise_nhs_number, normalise_postcode
from portal.referrals.models import (
    NEEDS,
    OPEN_STATES,
    OUTCOMES,
    PRIORITIES,
    ROUTES,
    SOURCES,
    STATES,
    Assessment,
    Referral,
    ReferralNeed,
    ReferralPause,
    ReferralState,
)
from portal.referrals.targets import holidays, targets
from portal.timeutil import utcnow
from portal.web.clocks import due_with_pauses

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I
# A paused case has no running clock: it sorts after every case whose clock is running.
PAUSED_SORT_KEY = datetime(9999, 1, 1)


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"R-{chars[:4]}-{chars[4:]}"


def new_submission_key() -> str:
    return str(uuid.uuid4())


# Clocks ----------------------------------------------------------------------------------

def _pauses(referral: Referral) -> list[tuple[datetime, datetime | None]]:
    return [(p.started_at, p.ended_at) for p in referral.pauses]


def recompute_clocks(referral: Referral) -> None:
    """Due times from the priority's targets, pushed back by time paused; next_due_at is the
    next milestone not yet recorded (what the queue sorts on). Closed referrals have none."""
    priority = referral.priority or referral.suggested_priority or "routine"
    spec = targets()[priority]
    hols = holidays()
    pauses = [(s, e if e is not None else s) for s, e in _pauses(referral)]  # open pause: frozen
    referral.contact_due_at = due_with_pauses(referral.received_at, spec["contact"], pauses, hols)
    referral.assessment_due_at = due_with_pauses(referral.received_at, spec["assessment"], pauses, hols)
    if not referral.is_open:
        referral.next_due_at = None
    elif referral.paused_since is not None:
        referral.next_due_at = PAUSED_SORT_KEY
    elif referral.first_contact_at is None:
        referral.next_due_at = referral.contact_due_at
    elif referral.assessed_at is None:
        referral.next_due_at = referral.assessment_due_at
    else:
        referral.next_due_at = referral.assessment_due_at


# Intake ----------------------------------------------------------------------------------

def _clean_needs(needs) -> list[str]:
    wanted = sorted(set(needs or []))
    unknown = [n for n in wanted if n not in NEEDS]
    if unknown:
        raise PortalError(f"Unknown need: {', '.join(unknown)}")
    return wanted


def find_by_submission_key(session, key: str) -> Referral | None:
    return session.scalar(select(Referral).where(Referral.submission_key == key))


def create_referral(session, actor, *, person: Person, source: str, needs, help_wanted: str,
                    submission_key: str, priority: str | None = None,
                    suggested_priority: str | None = None, received_at: datetime | None = None,
                    discharge_date: date | None = None, risk_summary: str | None = None,
                    referrer_name: str | None = None, referrer_organisation: str | None = None,
                    referrer_phone: str | None = None, referrer_email: str | None = None,
                    referrer_relationship: str | None = None, consent_given: bool = False,
                    consent_note: str | None = None, advice_report_id: int | None = None,
                    completed_by: User | None = None) -> tuple[Referral, bool]:
    """Create a referral once per submission key. Returns (referral, created)."""
    existing = find_by_submission_key(session, submission_key)
    if existing is not None:
        return existing, False
    if source not in SOURCES:
        raise PortalError("Select where the referral came from")
    for value in (priority, suggested_priority):
        if value is not None and value not in PRIORITIES:
            raise PortalError("Select a priority")
    referral = Referral(
        reference=new_reference(), person=person, state="submitted", source=source,
        priority=priority, suggested_priority=suggested_priority,
        received_at=received_at or utcnow(), help_wanted=help_wanted.strip(),
        discharge_date=discharge_date, risk_summary=risk_summary,
        referrer_name=referrer_name, referrer_organisation=referrer_organisation,
        referrer_phone=referrer_phone, referrer_email=referrer_email,
        referrer_relationship=referrer_relationship, consent_given=consent_given,
        consent_note=consent_note, advice_report_id=advice_report_id,
        completed_by_id=completed_by.id if completed_by else None,
        locality=person.locality, search_name=f"{person.family_name} {person.given_name}".lower(),
        submission_key=submission_key,
        needs=[ReferralNeed(need=n) for n in _clean_needs(needs)],
    )
    recompute_clocks(referral)
    try:
        with session.begin_nested():
            session.add(referral)
            session.flush()
    except IntegrityError:
        existing = find_by_submission_key(session, submission_key)
        if existing is None:
            raise
        return existing, False  # the same form arrived twice at once
    record(session, actor, "referral.created", "referral", referral.id, reference=referral.reference,
           source=source, needs=referral.need_names,
           completed_for_caller_by=completed_by.id if completed_by else None)
    return referral, True


# Access ----------------------------------------------------------------------------------

def can_open(user: User, referral: Referral) -> bool:
    """Object-level rule: triage sees everything; assessors see their pool and their cases."""
    if user.has_role("triage_officer", "manager"):
        return True
    if user.has_role(OCCUPATIONAL_THERAPIST) and (
        referral.route == "occupational_therapist" or referral.assigned_to_id == user.id
    ):
        return True
    return user.has_role(TRUSTED_ASSESSOR) and (
        referral.assigned_to_id == user.id
        or (referral.route == "trusted_assessor" and referral.complex is False
            and (referral.ta_level_required or 3) <= (user.trusted_assessor_level or 0))
    )


def get_for(session, user: User, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None or not can_open(user, referral):
        raise NotFound("There is no referral with that number, or it is not yours to open")
    return referral


# Transitions -----------------------------------------------------------------------------

def _check(referral: Referral, version: int | None, allowed_from: tuple[str, ...], action: str) -> None:
    if version is not None and int(version) != referral.version:
        raise VersionClash(
            f"Referral {referral.reference} was changed by someone else while you were looking at it. "
            "Your change was not saved. Check the latest details and try again."
        )
    referral._state_seen = referral.state
    if referral.state not in allowed_from:
        raise IllegalTransition(
            f"You cannot {action} referral {referral.reference} because it is "
            f"{STATES[referral.state].lower()}."
        )


def _audit(session, actor, referral: Referral, action: str, **details) -> None:
    record(session, actor, f"referral.{action}", "referral", referral.id, reference=referral.reference,
           state=referral.state, **details)
    if getattr(referral, "_state_seen", referral.state) != referral.state:
        notify_person(session, referral)
        referral._state_seen = referral.state


def claim(session, actor: User, referral: Referral, version: int | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "claim")
    if referral.assigned_to_id == actor.id:
        return referral
    if referral.state == "awaiting_assessment" and not _may_assess(actor, referral):
        raise NotAllowed("This case needs a different kind of assessor")
    referral.assigned_to_id = actor.id
    _audit(session, actor, referral, "claimed")
    return referral


def set_priority(session, actor: User, referral: Referral, priority: str, reason: str,
                 version: int | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "set the priority of")
    if priority not in PRIORITIES:
        raise PortalError("Select a priority")
    if not reason.strip():
        raise PortalError("Enter why you chose this priority")
    before = referral.priority
    referral.priority = priority
    if referral.state == "submitted":
        referral.state = "screened"
    recompute_clocks(referral)
    _audit(session, actor, referral, "priority_set", before=before, after=priority, reason=reason.strip())
    return referral


def record_first_contact(session, actor: User, referral: Referral, note: str = "",
                         version: int | None = None, when: datetime | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "record first contact for")
    if referral.first_contact_at is not None:
        raise IllegalTransition("First contact has already been recorded")
    referral.first_contact_at = when or utcnow()
    if referral.state == "submitted":
        referral.state = "screened"
    recompute_clocks(referral)
    _audit(session, actor, referral, "first_contact", note=note.strip())
    return referral


def route(session, actor: User, referral: Referral, *, route_to: str, complex_case: bool, reason: str,
          ta_level_required: int | None = None, version: int | None = None) -> Referral:
    """Send to a trusted assessor (non-complex only) or an OT. Complexity is an explicit decision:
    a major adaptation is not complex by itself."""
    _check(referral, version, ("submitted", "screened", "awaiting_assessment"), "route")
    if route_to not in ROUTES:
        raise PortalError("Select who should assess")
    if not reason.strip():
        raise PortalError("Enter the reason for your complexity decision")
    if route_to == "trusted_assessor" and complex_case:
        raise PortalError("A complex case must go to an occupational therapist")
    if route_to == "trusted_assessor" and ta_level_required not in (3, 4):
        raise PortalError("Select the trusted assessor level needed")
    if referral.priority is None:
        referral.priority = referral.suggested_priority or "routine"
    referral.route = route_to
    referral.complex = complex_case
    referral.complexity_reason = reason.strip()
    referral.ta_level_required = ta_level_required if route_to == "trusted_assessor" else None
    referral.state = "awaiting_assessment"
    referral.assigned_to_id = None
    recompute_clocks(referral)
    _audit(session, actor, referral, "routed", route=route_to, complex=complex_case, reason=reason.strip(),
           ta_level_required=referral.ta_level_required)
    return referral


def escalate_to_ot(session, actor: User, referral: Referral, reason: str,
                   version: int | None = None) -> Referral:
    _check(referral, version, ("awaiting_assessment",), "escalate")
    if referral.route != "trusted_assessor":
        raise IllegalTransition("This case is already with an occupational therapist")
    return route(session, actor, referral, route_to="occupational_therapist", complex_case=True,
                 reason=f"Escalated by trusted assessor: {reason}")


def _may_assess(user: User, referral: Referral) -> bool:
    if referral.route == "occupational_therapist":
        return user.has_role(OCCUPATIONAL_THERAPIST)
    if referral.route == "trusted_assessor":
        return user.has_role(OCCUPATIONAL_THERAPIST) or (
            user.has_role(TRUSTED_ASSESSOR)
            and (user.trusted_assessor_level or 0) >= (referral.ta_level_required or 3))
    return False


def reassign(session, actor: User, referral: Referral, assignee: User | None,
             version: int | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "reassign")
    if assignee is not None and referral.state == "awaiting_assessment" and not _may_assess(assignee, referral):
        raise PortalError(f"{assignee.name} cannot take this case: check the route and their level")
    referral.assigned_to_id = assignee.id if assignee else None
    _audit(session, actor, referral, "reassigned", to=assignee.id if assignee else None)
    return referral


def pause(session, actor: User, referral: Referral, reason: str, version: int | None = None,
          when: datetime | None = None) -> Referral:
    """Stop the clock while the case waits on the person or a third party."""
    _check(referral, version, OPEN_STATES, "pause")
    if referral.paused_since is not None:
        raise IllegalTransition("The clock is already paused")
    if not reason.strip():
        raise PortalError("Enter what the case is waiting for")
    now = when or utcnow()
    referral.pauses.append(ReferralPause(started_at=now, reason=reason.strip()[:200]))
    referral.paused_since = now
    referral.pause_reason = reason.strip()[:200]
    recompute_clocks(referral)
    _audit(session, actor, referral, "paused", reason=reason.strip())
    return referral


def resume(session, actor: User, referral: Referral, version: int | None = None,
           when: datetime | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "restart the clock for")
    if referral.paused_since is None:
        raise IllegalTransition("The clock is not paused")
    now = when or utcnow()
    for p in referral.pauses:
        if p.ended_at is None:
            p.ended_at = now
    referral.paused_since = None
    referral.pause_reason = None
    recompute_clocks(referral)
    _audit(session, actor, referral, "resumed")
    return referral


def return_to_referrer(session, actor: User, referral: Referral, question: str,
                       version: int | None = None) -> Referral:
    """Ask the referrer for more information: the clock pauses until they answer."""
    return pause(session, actor, referral, f"Waiting for the referrer: {question}", version)


def decline(session, actor: User, referral: Referral, reason: str, version: int | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "decline")
    if not reason.strip():
        raise PortalError("Enter the reason for declining")
    return _finish(session, actor, referral, "declined", reason=reason.strip())


def withdraw(session, actor, referral: Referral, reason: str, version: int | None = None) -> Referral:
    _check(referral, version, OPEN_STATES, "withdraw")
    return _finish(session, actor, referral, "withdrawn", reason=reason.strip() or "Withdrawn")


def signpost(session, actor: User, referral: Referral, reason: str, version: int | None = None) -> Referral:
    _check(referral, version, ("submitted", "screened"), "signpost")
    if not reason.strip():
        raise PortalError("Enter where you signposted the person")
    referral.outcome = "signposted"
    return _finish(session, actor, referral, "closed", reason=reason.strip())


def close(session, actor: User, referral: Referral, outcome: str, note: str = "",
          version: int | None = None) -> Referral:
    _check(referral, version, ("assessed",), "close")
    if outcome not in OUTCOMES:
        raise PortalError("Select the outcome")
    referral.outcome = outcome
    return _finish(session, actor, referral, "closed", reason=note.strip(), outcome=outcome)


def _finish(session, actor, referral: Referral, state: str, **details) -> Referral:
    now = utcnow()
    if referral.paused_since is not None:
        for p in referral.pauses:
            if p.ended_at is None:
                p.ended_at = now
        referral.paused_since = None
    referral.state = state
    referral.closed_at = now
    referral.decision_reason = details.get("reason")
    recompute_clocks(referral)
    _audit(session, actor, referral, state, **details)
    return referral


MONITORING_DEVICES = ("gps", "movement", "bed_sensor", "door_sensor", "camera")


def complete_assessment(session, actor: User, referral: Referral, *, outcomes_wanted: str, strengths: str,
                        needs_by_area: str, risks: str, tecs_considered: bool, tecs_what: str | None,
                        tecs_why_not: str | None, recommendations: list[str],
                        monitoring: dict | None = None, version: int | None = None) -> Assessment:
    _check(referral, version, ("awaiting_assessment",), "complete the assessment for")
    if not _may_assess(actor, referral):
        raise NotAllowed("You cannot assess this case")
    if tecs_considered and not (tecs_what or "").strip():
        raise PortalError("Enter what care technology you considered")
    if not tecs_considered and not (tecs_why_not or "").strip():
        raise PortalError("Enter why care technology was not considered")
    monitoring = monitoring or {}
    if monitoring.get("devices"):
        for key, message in (("consent_by", "Enter whose consent was given, or the best-interest decision"),
                             ("capacity", "Select the outcome of the capacity decision"),
                             ("less_restrictive", "Enter the less restrictive options you considered")):
            if not str(monitoring.get(key) or "").strip():
                raise PortalError(message)
    if not recommendations:
        raise PortalError("Select at least one recommendation")
    assessment = Assessment(
        referral_id=referral.id, assessor_id=actor.id, outcomes_wanted=outcomes_wanted.strip(),
        strengths=strengths.strip(), needs_by_area=needs_by_area.strip(), risks=risks.strip(),
        tecs_considered=tecs_considered, tecs_what=(tecs_what or "").strip() or None,
        tecs_why_not=(tecs_why_not or "").strip() or None, monitoring=monitoring,
        recommendations=sorted(set(recommendations)),
    )
    session.add(assessment)
    referral.state = "assessed"
    referral.assessed_at = utcnow()
    if referral.first_contact_at is None:
        referral.first_contact_at = referral.assessed_at
    if referral.assigned_to_id is None:
        referral.assigned_to_id = actor.id
    recompute_clocks(referral)
    _audit(session, actor, referral, "assessed", recommendations=assessment.recommendations,
           tecs_considered=tecs_considered)
    return assessment


def assessment_for(session, referral: Referral) -> Assessment | None:
    return session.scalar(select(Assessment).where(Assessment.referral_id == referral.id))


# Public follow-up ---------------------------------------------------------------------------

NEXT_STEPS = {
    "submitted": "We have your request. Someone from our team will look at it and contact you.",
    "screened": "We have looked at your request and will contact you to talk about what help you need.",
    "awaiting_assessment": "Your request is waiting for an assessment. We will contact you to arrange it.",
    "assessed": "You have had an assessment. We are arranging what was agreed with you.",
    "closed": "Your request is complete. If you need more help, you can ask again.",
    "withdrawn": "This request was withdrawn. If you still need help, you can ask again.",
    "declined": "We could not help with this request. We will have written to explain why and "
                "where else you can get help.",
}

PUBLIC_STATUS = {
    "submitted": "Received",
    "screened": "Being looked at",
    "awaiting_assessment": "Waiting for an assessment",
    "assessed": "Assessed",
    "closed": "Complete",
    "withdrawn": "Withdrawn",
    "declined": "Closed",
}


@dataclass
class PublicStatus:
    reference: str
    status: str
    next_step: str
    received: date


def public_status(session, reference: str, date_of_birth: date) -> PublicStatus | None:
    """Status only, and only when the reference and date of birth both match."""
    ref = (reference or "").strip().upper().replace(" ", "")
    if len(ref) == 10 and not ref.startswith("R-"):
        ref = f"R-{ref[:4]}-{ref[4:]}"
    elif len(ref) == 9 and ref.startswith("R") and "-" not in ref:
        ref = f"R-{ref[1:5]}-{ref[5:]}"
    row = session.execute(
        select(Referral.reference, Referral.state, Referral.received_at)
        .join(Person, Person.id == Referral.person_id)
        .where(Referral.reference == ref, Person.date_of_birth == date_of_birth)
    ).first()
    if row is None:
        return None
    return PublicStatus(row.reference, PUBLIC_STATUS[row.state], NEXT_STEPS[row.state],
                        row.received_at.date())


# The queue --------------------------------------------------------------------------------

@dataclass
class QueueFilters:
    states: list[str] = field(default_factory=lambda: list(OPEN_STATES))
    priority: str | None = None
    need: str | None = None
    source: str | None = None
    locality: str | None = None
    assigned: str | None = None  # "me" | "unassigned" | None
    overdue: bool = False
    search: str = ""
    route: str | None = None


@dataclass(frozen=True, slots=True)
class QueueRow(ReferralState):
    """What a queue row shows, read as plain columns: loading 50 full referrals (with their people,
    needs and assignees) as ORM objects was most of the queue page's cost."""

    id: int
    reference: str
    source: str
    priority: str | None
    suggested_priority: str | None
    received_at: datetime
    next_due_at: datetime | None
    first_contact_at: datetime | None
    paused_since: datetime | None
    pause_reason: str | None
    state: str
    version: int
    given_name: str
    family_name: str
    postcode: str | None
    assigned_name: str | None
    needs: tuple[str, ...]

    @classmethod
    def of(cls, referral: Referral) -> "QueueRow":
        return cls(**{name: getattr(referral, name) for name in _ROW_COLUMNS},
                   given_name=referral.person.given_name, family_name=referral.person.family_name,
                   postcode=referral.person.postcode, needs=tuple(referral.need_names),
                   assigned_name=referral.assigned_to.name if referral.assigned_to else None)


# the first fields of QueueRow, in order
_ROW_COLUMNS = ("id", "reference", "source", "priority", "suggested_priority", "received_at", "next_due_at",
                "first_contact_at", "paused_since", "pause_reason", "state", "version")


# The queue counts matches up to this many: counting every open referral on each page view cost
# more than finding the page itself, and "more than 1,000" tells a triage officer what they need.
COUNT_CAP = 1000


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None
    total: int

    @property
    def more_than_cap(self) -> bool:
        return self.total > COUNT_CAP


def _search_condition(term: str):
    term = term.strip()
    if not term:
        return None
    upper = term.upper().replace(" ", "")
    if upper.startswith("R-") or (len(upper) in (9, 10) and upper.startswith("R")):
        ref = upper if upper.startswith("R-") else f"R-{upper[1:5]}-{upper[5:]}"
        return Referral.reference == ref
    digits = "".join(ch for ch in term if ch.isdigit())
    if len(digits) == 10 and len(term.replace(" ", "")) == 10:
        return Referral.person_id.in_(
            select(Person.id).where(Person.nhs_number == normalise_nhs_number(digits)))
    postcode = normalise_postcode(term)
    if any(ch.isdigit() for ch in term) and 5 <= len(postcode) <= 8:
        return Referral.person_id.in_(select(Person.id).where(Person.postcode == postcode))
    # A prefix as a range, so both engines walk ix_referral_search_name (SQLite's LIKE is
    # case-insensitive and PostgreSQL's needs text_pattern_ops: neither would use the index).
    prefix = term.lower()
    return and_(Referral.search_name >= prefix, Referral.search_name < prefix + "\U0010ffff")


def _filtered(stmt, filters: QueueFilters, user: User, now: datetime):
    if set(filters.states) == set(OPEN_STATES):
        # open referrals are exactly those with a due time: this walks ix_referral_open in order
        stmt = stmt.where(Referral.next_due_at.is_not(None))
    else:
        stmt = stmt.where(Referral.state.in_(filters.states))
    if filters.priority:
        stmt = stmt.where(func.coalesce(Referral.priority, Referral.suggested_priority) == filters.priority)
    if filters.need:
        # EXISTS, not IN: a lookup per queue row on the need's primary key, so the queue's index
        # still leads (IN made the engine walk every referral with that need, open or closed)
        stmt = stmt.where(select(ReferralNeed.referral_id).where(ReferralNeed.referral_id == Referral.id,
                                                                 ReferralNeed.need == filters.need).exists())
    if filters.source:
        stmt = stmt.where(Referral.source == filters.source)
    if filters.locality:
        stmt = stmt.where(Referral.locality == filters.locality)
    if filters.route:
        stmt = stmt.where(Referral.route == filters.route)
    if filters.assigned == "me":
        stmt = stmt.where(Referral.assigned_to_id == user.id)
    elif filters.assigned == "unassigned":
        stmt = stmt.where(Referral.assigned_to_id.is_(None))
    if filters.overdue:
        stmt = stmt.where(Referral.next_due_at < now, Referral.paused_since.is_(None))
    condition = _search_condition(filters.search)
    if condition is not None:
        stmt = stmt.where(condition)
    if not user.has_role("triage_officer", "manager"):
        stmt = stmt.where(_caseload_scope(user))
    return stmt


def _caseload_scope(user: User):
    """What an assessor may see: their own cases and the pool routed to their kind."""
    allowed = [Referral.assigned_to_id == user.id]
    if user.has_role(OCCUPATIONAL_THERAPIST):
        allowed.append(Referral.route == "occupational_therapist")
    if user.has_role(TRUSTED_ASSESSOR):
        allowed.append(and_(Referral.route == "trusted_assessor", Referral.complex.is_(False),
                            func.coalesce(Referral.ta_level_required, 3) <= (user.trusted_assessor_level or 0)))
    return or_(*allowed)


def encode_cursor(referral: Referral) -> str:
    return f"{referral.next_due_at:%Y%m%d%H%M%S%f}.{referral.id}" if referral.next_due_at else f"x.{referral.id}"


def _decode_cursor(cursor: str | None):
    if not cursor or "." not in cursor:
        return None
    stamp, _, ident = cursor.partition(".")
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S%f"), int(ident)
    except ValueError:
        return None


def queue(session, user: User, filters: QueueFilters, cursor: str | None = None, page_size: int = 50,
          now: datetime | None = None) -> QueuePage:
    """Open referrals in time-left order, keyset-paginated on (next_due_at, id)."""
    now = now or utcnow()
    columns = [getattr(Referral, name) for name in _ROW_COLUMNS]
    stmt = (select(*columns, Person.given_name, Person.family_name, Person.postcode, User.name)
            .join(Person, Person.id == Referral.person_id)
            .outerjoin(User, User.id == Referral.assigned_to_id))
    stmt = _filtered(stmt, filters, user, now)
    after = _decode_cursor(cursor)
    if after is not None:
        due, ident = after
        stmt = stmt.where(or_(Referral.next_due_at > due, and_(Referral.next_due_at == due, Referral.id > ident)))
    stmt = stmt.order_by(Referral.next_due_at.asc(), Referral.id.asc()).limit(page_size + 1)
    found = session.execute(stmt).all()
    more = len(found) > page_size
    found = found[:page_size]
    needs: dict[int, list[str]] = {}
    if found:
        need_rows = session.execute(select(ReferralNeed.referral_id, ReferralNeed.need)
                                    .where(ReferralNeed.referral_id.in_([row[0] for row in found]))
                                    .order_by(ReferralNeed.referral_id, ReferralNeed.need))
        for referral_id, need in need_rows:
            needs.setdefault(referral_id, []).append(need)
    rows = [QueueRow(*row, needs=tuple(needs.get(row[0], ()))) for row in found]
    matches = _filtered(select(Referral.id), filters, user, now).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(matches))
    return QueuePage(rows, encode_cursor(rows[-1]) if more and rows else None, total)


def newer_than(session, user: User, filters: QueueFilters, since_id: int, now: datetime | None = None) -> int:
    stmt = _filtered(select(func.count(Referral.id)), filters, user, now or utcnow())
    return session.scalar(stmt.where(Referral.id > since_id))


def latest_id(session) -> int:
    return session.scalar(select(func.max(Referral.id))) or 0


def assessors(session) -> list[User]:
    from portal.auth.models import UserRole

    stmt = (select(User).join(UserRole).where(UserRole.role.in_((TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)),
                                              User.active.is_(True))
            .order_by(User.name).distinct())
    return list(session.scalars(stmt))


def caseload(session, user: User) -> list[Referral]:
    stmt = (select(Referral).where(Referral.assigned_to_id == user.id, Referral.state.in_(OPEN_STATES))
            .order_by(Referral.next_due_at, Referral.id))
    return list(session.scalars(stmt).unique())


def for_person(session, person_id: int) -> list[Referral]:
    stmt = select(Referral).where(Referral.person_id == person_id).order_by(Referral.received_at.desc())
    return list(session.scalars(stmt).unique())


def elapsed_wait(referral: Referral, now: datetime | None = None) -> timedelta:
    from portal.web.clocks import elapsed_excluding_pauses

    end = referral.assessed_at or now or utcnow()
    return elapsed_excluding_pauses(referral.received_at, end, _pauses(referral))


def link_person(session, actor: User, referral: Referral, person_id: int, version: int | None = None) -> Referral:
    """Attach the referral to an existing record found as a possible duplicate."""
    _check(referral, version, OPEN_STATES, "link")
    other = session.get(Person, person_id)
    if other is None:
        raise NotFound("There is no record with that number")
    before = referral.person_id
    referral.person = other
    referral.locality = other.locality
    referral.search_name = f"{other.family_name} {other.given_name}".lower()
    _audit(session, actor, referral, "linked_to_person", before=before, after=other.id)
    return referral


def notify_person(session, referral: Referral, template: str = "referral_update") -> None:
    """Tell the person (when they gave an email address) where their request has got to."""
    from flask import url_for

    from portal.notify.services import send

    email = referral.person.email
    if not email:
        return
    send(session, template, email, {
        "reference": referral.reference,
        "status": PUBLIC_STATUS[referral.state],
        "next_step": NEXT_STEPS[referral.state],
        "track_url": url_for("referrals.track", _external=True),
    })
