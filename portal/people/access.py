"""Who may see which part of a person's record (DESIGN.md 6): the one rule every page that shows
a person uses.

Access comes from current work, never from having created something:
- a referral the member of staff may open (triage officers: every referral; a trusted assessor or
  OT: their own and their pool's, as `referrals.can_open` says) gives the whole record; a manager
  sees every record (oversight);
- a triage officer sees both records an identity check compares (deciding it is their work);
- an OT also sees the person on a DFG case they made the recommendation on, or that waits for one;
- the stores team sees name, address, access notes and items on loan while there is an order to
  reserve, deliver or collect, or something on loan (not after the order is collected or cancelled);
- a telecare installer sees the name, address and key safe location for a job assigned to them,
  until TELECARE_ACCESS_DAYS after it is done; the coordinators who book jobs (triage officers,
  administrators) see the same part while a job is open;
- a DFG caseworker sees name, address and the case while it is open, and for DFG_CLOSED_ACCESS_DAYS
  after it is closed.

`access_to` returns WHICH parts; an empty set means the person may not be shown at all. Every
view of a person is audited ("person.viewed"); a refused request is a security event
("security.refused", the route and the id, never the data).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import inspect, select

from portal.audit.services import record
from portal.auth.roles import (
    ADMIN,
    DFG_CASEWORKER,
    MANAGER,
    OCCUPATIONAL_THERAPIST,
    STORES_OFFICER,
    TELECARE_INSTALLER,
    TRIAGE_OFFICER,
    TRUSTED_ASSESSOR,
)
from portal.config import setting
from portal.people.models import Person
from portal.timeutil import utcnow

# The parts of a record. WHOLE is everything (with the feature sections below it).
WHOLE = "whole"
NAME = "name"
ADDRESS = "address"
ACCESS_NOTES = "access_notes"
LOANS = "loans"  # the "Equipment on loan" section
TELECARE = "telecare"  # the job's key safe location, the "Telecare" section
DFG = "dfg"  # the DFG case

STORES_PARTS = frozenset({NAME, ADDRESS, ACCESS_NOTES, LOANS})
INSTALLER_PARTS = frozenset({NAME, ADDRESS, TELECARE})
DFG_PARTS = frozenset({NAME, ADDRESS, DFG})
ALL_PARTS = frozenset({WHOLE, NAME, ADDRESS, ACCESS_NOTES, LOANS, TELECARE, DFG})


# Stores work on an order in these states: reserve or deliver it, or collect what is on loan.
STORES_ORDER_STATES = ("requested", "reserved", "delivered", "collection_requested")

# The person-record sections (registered by title) and the part each one needs.
SECTION_PARTS = {"Equipment on loan": LOANS, "Telecare": TELECARE}


def _is_staff(user) -> bool:
    return user is not None and not isinstance(user, str) and getattr(user, "is_authenticated", False)


def _referral_access(session, user, person_ids: set[int], referrals: list | None = None) -> set[int]:
    """Of these people, those with a referral this member of staff may open (`referrals.can_open`).
    `referrals`: the people's referrals when the caller has read them already (the same rows)."""
    from portal.referrals.models import Referral
    from portal.referrals.services import can_open

    if referrals is None:  # the columns can_open reads, not whole referrals (and their needs) for a page
        referrals = session.execute(select(
            Referral.person_id, Referral.assigned_to_id, Referral.route, Referral.complex, Referral.ta_level_required,
        ).where(Referral.person_id.in_(person_ids)))
    return {r.person_id for r in referrals if r.person_id in person_ids and can_open(user, r)}


def _stores_access(session, person_ids: set[int]) -> set[int]:
    from portal.equipment.models import Asset, Order

    ordered = select(Order.person_id).where(Order.person_id.in_(person_ids), Order.state.in_(STORES_ORDER_STATES))
    on_loan = select(Asset.person_id).where(Asset.person_id.in_(person_ids))
    return set(session.scalars(ordered.union(on_loan)))


def _installer_access(session, user, person_ids: set[int]) -> set[int]:
    from portal.telecare.models import OPEN_JOB_STATES, Job

    since = utcnow() - timedelta(days=setting("TELECARE_ACCESS_DAYS"))
    stmt = select(Job.person_id).where(
        Job.person_id.in_(person_ids), Job.installer_id == user.id,
        Job.state.in_(OPEN_JOB_STATES) | ((Job.state == "completed") & (Job.completed_at >= since)))
    return set(session.scalars(stmt.distinct()))


def _coordinator_access(session, person_ids: set[int]) -> set[int]:
    """Telecare coordinators book and cancel open jobs (switchover batches have no referral)."""
    from portal.telecare.models import OPEN_JOB_STATES, Job

    stmt = select(Job.person_id).where(Job.person_id.in_(person_ids), Job.state.in_(OPEN_JOB_STATES))
    return set(session.scalars(stmt.distinct()))


def _dfg_access(session, person_ids: set[int]) -> set[int]:
    from portal.dfg.models import CLOSED_STATES, DfgCase

    since = utcnow() - timedelta(days=setting("DFG_CLOSED_ACCESS_DAYS"))
    stmt = select(DfgCase.person_id).where(
        DfgCase.person_id.in_(person_ids),
        DfgCase.state.not_in(CLOSED_STATES) | (DfgCase.state_changed_at >= since))
    return set(session.scalars(stmt.distinct()))


def _identity_access(session, person_ids: set[int]) -> set[int]:
    """An identity check is a triage officer's work on both records it compares."""
    from portal.people.models import IdentityCheck

    stmt = select(IdentityCheck.person_id, IdentityCheck.existing_person_id).where(
        IdentityCheck.person_id.in_(person_ids) | IdentityCheck.existing_person_id.in_(person_ids))
    return {p for pair in session.execute(stmt) for p in pair} & person_ids


def _ot_dfg_access(session, user, person_ids: set[int]) -> set[int]:
    from portal.dfg.models import CLOSED_STATES, DfgCase

    stmt = select(DfgCase.person_id).where(
        DfgCase.person_id.in_(person_ids), DfgCase.state.not_in(CLOSED_STATES),
        (DfgCase.ot_user_id == user.id) | (DfgCase.state == "ot_recommendation"))
    return set(session.scalars(stmt.distinct()))


def access_to_each(session, user, person_ids, *, referrals: list | None = None) -> dict[int, frozenset[str]]:
    """`access_to` for a page of people at once, a query a kind of work (not a query a person):
    the parts of each person's record the member of staff may see now, by id (empty: none)."""
    ids = {p for p in person_ids if p is not None}
    if not ids or not _is_staff(user):
        return dict.fromkeys(ids, frozenset())
    if user.has_role(MANAGER):
        return dict.fromkeys(ids, ALL_PARTS)
    whole: set[int] = set()
    if user.has_role(TRIAGE_OFFICER, TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST):
        whole = _referral_access(session, user, ids, referrals)
        if user.has_role(TRIAGE_OFFICER) and ids - whole:
            whole |= _identity_access(session, ids - whole)
        if user.has_role(OCCUPATIONAL_THERAPIST) and ids - whole:
            whole |= _ot_dfg_access(session, user, ids - whole)
    rest = ids - whole
    parts: dict[int, set[str]] = {p: set() for p in rest}

    def grant(given: frozenset[str], people: set[int]) -> None:
        for person_id in people:
            parts[person_id] |= given

    if rest and user.has_role(STORES_OFFICER):
        grant(STORES_PARTS, _stores_access(session, rest))
    if rest and user.has_role(TELECARE_INSTALLER):
        grant(INSTALLER_PARTS, _installer_access(session, user, rest))
    if rest and user.has_role(TRIAGE_OFFICER, ADMIN):
        grant(INSTALLER_PARTS, _coordinator_access(session, rest))
    if rest and user.has_role(DFG_CASEWORKER):
        grant(DFG_PARTS, _dfg_access(session, rest))
    return dict.fromkeys(whole, ALL_PARTS) | {p: frozenset(given) for p, given in parts.items()}


def access_to(session, user, person_id: int | None, *, referrals: list | None = None) -> frozenset[str]:
    """The parts of this person's record the member of staff may see now (empty: none). A page that
    has read the person's referrals already passes them (`referrals`), so they are not read twice."""
    if person_id is None:
        return frozenset()
    return access_to_each(session, user, [person_id], referrals=referrals)[person_id]


def may_order_for(session, user, person_id: int, *, referrals: list | None = None) -> bool:
    """Raising an equipment order for a person needs a referral (and its assessment) that the
    prescriber may open. A label actor (the demo seeder, a command) acts for the service."""
    if user is None or isinstance(user, str):
        return True
    return person_id in _referral_access(session, user, {person_id}, referrals)


@dataclass(frozen=True)
class PersonView:
    """The part of a person's record one member of staff may see: what is not theirs to see is None.
    Templates read this, never the Person row, wherever a person is shown outside their record."""

    id: int
    parts: frozenset[str]
    full_name: str | None = None
    given_name: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    town: str | None = None
    postcode: str | None = None
    access_notes: str | None = None
    nhs_number: str | None = None
    date_of_birth: date | None = None

    def may_see(self, part: str) -> bool:
        return WHOLE in self.parts or part in self.parts

    @property
    def address(self) -> str:
        return ", ".join(p for p in (self.address_line_1, self.address_line_2, self.town, self.postcode) if p)


def person_view(person: Person, parts: frozenset[str]) -> PersonView:
    """Only the fields the parts allow."""
    whole = WHOLE in parts
    named = whole or NAME in parts
    placed = whole or ADDRESS in parts
    return PersonView(
        id=person.id, parts=parts,
        full_name=person.full_name if named else None, given_name=person.given_name if named else None,
        address_line_1=person.address_line_1 if placed else None,
        address_line_2=person.address_line_2 if placed else None,
        town=person.town if placed else None, postcode=person.postcode if placed else None,
        access_notes=person.notes if (whole or ACCESS_NOTES in parts) else None,
        nhs_number=person.nhs_number if whole else None,
        date_of_birth=person.date_of_birth if whole else None,
    )


def _people(session, person_ids: list[int]) -> dict[int, Person]:
    """The people, by id: those the session holds already (a page that read them with its rows), and
    the rest in one query."""
    people = {}
    for person_id in person_ids:
        held = session.identity_map.get(session.identity_key(Person, person_id))
        if held is not None and not inspect(held).expired_attributes:
            people[person_id] = held
    missing = [p for p in person_ids if p not in people]
    if missing:
        people |= {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(missing)))}
    return people


def person_views_for(session, user, person_ids, purpose) -> dict[int, PersonView | None]:
    """`person_view_for` for a page of people at once: each person as this member of staff may see
    them, by id (None: nothing of them), in a query a kind of work and one for the people. Each
    person shown is audited once ("person.viewed"), the rows added together. `purpose` is what the
    views are for ("equipment queue"), or by person: a mapping or a function of the id, for a list
    whose rows each name their own record ("DFG case R-12")."""
    ids = list(dict.fromkeys(p for p in person_ids if p is not None))  # in order: the audit rows follow it
    parts = access_to_each(session, user, ids)
    shown = [p for p in ids if parts[p]]
    people = _people(session, shown)
    views: dict[int, PersonView | None] = dict.fromkeys(ids)
    for person_id in ids:
        person = people.get(person_id)
        if person is not None:
            why = (purpose if isinstance(purpose, str) else purpose(person_id) if callable(purpose)
                   else purpose[person_id])
            record(session, user, "person.viewed", "person", person.id, purpose=why, parts=sorted(parts[person_id]))
            views[person_id] = person_view(person, parts[person_id])
    if shown:
        session.flush()  # the audit rows, written together
    return views


def person_view_for(session, user, person_id: int | None, purpose: str) -> PersonView | None:
    """The part of the person this member of staff may see, audited as a view of the record for
    `purpose` ("order 12"); None when they may see nothing of them (or there is no person)."""
    if person_id is None:
        return None
    return person_views_for(session, user, [person_id], purpose)[person_id]


def record_refusal(session, user, route: str, entity_type: str, entity_id) -> None:
    """A refused object request (a 404 or 403 on a record the user may not open), as a security
    event: the route and the id, never the data."""
    record(session, user, "security.refused", entity_type, entity_id, route=route)
