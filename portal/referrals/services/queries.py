"""The triage queue and the caseloads: filtered, searched, sorted, paginated, read as plain rows."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, literal_column, or_, select

from portal.auth.models import User
from portal.auth.roles import MANAGER, OCCUPATIONAL_THERAPIST, TRIAGE_OFFICER, TRUSTED_ASSESSOR
from portal.people.models import Person
from portal.people.validators import normalise_nhs_number, normalise_postcode
from portal.referrals.models import OPEN_STATES, Referral, ReferralNeed, ReferralState
from portal.timeutil import utcnow
from portal.web.lists import PAGE_SIZE, Page, ordered, paginate

# One definition of "overdue now" and of a referral's priority ------------------------------
# The queue's "Overdue only" filter, the dashboard's overdue count and the board report all use
# these two expressions, so their figures agree (rules REP-01, REP-02).

def effective_priority():
    """The priority a referral's clocks run on (recompute_clocks): the one set at triage, else the
    suggested one, else routine. SQL, for grouping and filtering. 'routine' is written into the SQL,
    not bound, so the statement matches ix_referral_open_locality_priority's expression exactly."""
    return func.coalesce(Referral.priority, Referral.suggested_priority, literal_column("'routine'"))


def overdue_now(now: datetime):
    """SQL: an open referral whose running clock has passed its due time, as clock_reading shows it
    on each row ("Overdue by ..."). The running clock is first contact until the person is contacted,
    then assessment; next_due_at holds its due time (recompute_clocks). A paused case, or an assessed
    one waiting to be closed, has no running clock and is never overdue; a closed case has none.
    Strictly after the due time, as read_clock says: due at 10:00 is not overdue at 10:00."""
    return and_(Referral.next_due_at < now, Referral.state.in_(OPEN_STATES), Referral.paused_since.is_(None),
                Referral.assessed_at.is_(None))


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
    needs and assignees) as ORM objects was most of the queue page's cost. It carries the columns
    that `allowed_actions` and `clock_reading` read, so a row offers what the referral page would."""

    # the queue does not load assessments: the links they open are offered on the referral page
    assessment = None

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
    assigned_to_id: int | None
    route: str | None
    complex: bool | None
    ta_level_required: int | None
    contact_due_at: datetime | None
    assessment_due_at: datetime | None
    assessed_at: datetime | None
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
                "first_contact_at", "paused_since", "pause_reason", "state", "version", "assigned_to_id", "route",
                "complex", "ta_level_required", "contact_due_at", "assessment_due_at", "assessed_at")


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
        stmt = stmt.where(effective_priority() == filters.priority)
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
        stmt = stmt.where(overdue_now(now))
    condition = _search_condition(filters.search)
    if condition is not None:
        stmt = stmt.where(condition)
    if not user.has_role(TRIAGE_OFFICER, MANAGER):
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


# The columns the queue sorts by (portal.web.lists): a key of the page's columns -> SQL.
def _priority_rank():
    return case({"urgent": 0, "high": 1}, value=effective_priority(), else_=2)


SORTS = {
    "reference": Referral.reference, "person": [Person.family_name, Person.given_name],
    "source": Referral.source, "priority": _priority_rank(), "received": Referral.received_at,
    "due": Referral.next_due_at, "assigned": User.name,
}


def queue(session, user: User, filters: QueueFilters, *, page: int = 1, page_size: int = PAGE_SIZE,
          sort: str = "due", descending: bool = False, now: datetime | None = None) -> Page:
    """A page of the queue (its items are QueueRows): open referrals in time-left order, or sorted
    by one of SORTS."""
    now = now or utcnow()
    columns = [getattr(Referral, name) for name in _ROW_COLUMNS]
    # the row's needs in the same statement: a lookup per row of the page only (after the LIMIT)
    needs = (select(func.aggregate_strings(ReferralNeed.need, ","))
             .where(ReferralNeed.referral_id == Referral.id).scalar_subquery())
    stmt = (select(*columns, Person.given_name, Person.family_name, Person.postcode, User.name, needs)
            .join(Person, Person.id == Referral.person_id)
            .outerjoin(User, User.id == Referral.assigned_to_id))
    stmt = _filtered(stmt, filters, user, now)
    stmt = stmt.order_by(*ordered(SORTS, sort, descending, Referral.id.asc()))
    # counted on the referrals alone: every referral has its person, and the assignee is an outer join
    found = paginate(session, stmt, page, page_size, scalars=False,
                     count=_filtered(select(Referral.id), filters, user, now))
    found.items = [QueueRow(*row[:-1], needs=tuple(sorted(row[-1].split(","))) if row[-1] else ())
                   for row in found.items]
    return found


def count_matching(session, user: User, filters: QueueFilters, now: datetime | None = None,
                   cap: int | None = None) -> int:
    """How many referrals the queue lists for these filters; with a cap, counted up to cap + 1 only."""
    matches = _filtered(select(Referral.id), filters, user, now or utcnow())
    if cap is not None:
        matches = matches.limit(cap + 1)
    return session.scalar(select(func.count()).select_from(matches.subquery()))


# The staff home's cards: each the queue's own count for the filter its link opens.

def new_to_triage_count(session, user: User) -> int:
    """Referrals waiting to be screened: the queue's "Submitted" filter (?state=submitted)."""
    return count_matching(session, user, QueueFilters(states=["submitted"]))


def overdue_count(session, user: User) -> int:
    """Open referrals whose running clock has passed, among those this user's queue shows (?overdue=yes)."""
    return count_matching(session, user, QueueFilters(overdue=True))


def assigned_to_me_count(session, user: User) -> int:
    """Open referrals assigned to this user (?assigned=me)."""
    return count_matching(session, user, QueueFilters(assigned="me"))


def newer_than(session, user: User, filters: QueueFilters, since_id: int, now: datetime | None = None) -> int:
    stmt = _filtered(select(func.count(Referral.id)), filters, user, now or utcnow())
    return session.scalar(stmt.where(Referral.id > since_id))


def latest_id(session) -> int:
    return session.scalar(select(func.max(Referral.id))) or 0


def caseload(session, user: User) -> list[Referral]:
    stmt = (select(Referral).where(Referral.assigned_to_id == user.id, Referral.state.in_(OPEN_STATES))
            .order_by(Referral.next_due_at, Referral.id))
    return list(session.scalars(stmt).unique())


def for_person(session, person_id: int) -> list[Referral]:
    stmt = select(Referral).where(Referral.person_id == person_id).order_by(Referral.received_at.desc())
    return list(session.scalars(stmt).unique())
