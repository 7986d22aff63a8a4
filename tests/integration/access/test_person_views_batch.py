"""A page of people's views at once (`person_views_for`) gives the same answer as one view a person
(`person_view_for`): the same parts, the same PersonView, the same audit rows; and it costs the same
few statements whether the page has a few people or many (issue 13, speed; PPL-16)."""

from sqlalchemy import event, func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.equipment.models import Asset
from portal.extensions import db
from portal.people.access import access_to, access_to_each, person_view_for, person_views_for
from portal.people.models import IdentityCheck
from portal.referrals import services as referrals
from tests.integration.access.test_person_access import WORK, _build, _person
from tests.integration.equipment.conftest import make_world

# The work of test_person_access, and the kinds it leaves out: an identity check (triage's work on
# both records), an item on loan (stores), a referral in the trusted assessors' pool.
MORE_WORK = ("identity_check", "asset_on_loan", "referral_ta")


def _build_more(session, work: str, world):
    person = _person(session)
    if work == "identity_check":
        other = _person(session, 1)
        session.add(IdentityCheck(person_id=person.id, existing_person_id=other.id, nhs_number="9434765919"))
        session.flush()
        return [person, other]
    if work == "asset_on_loan":
        session.add(Asset(asset_tag=f"T-{person.id}", product_id=world["hoist"].id, store_id=world["north"].id,
                          status="on_loan", person_id=person.id))
    elif work == "referral_ta":
        referral, _ = referrals.create_referral(
            session, "test", person=person, source="gp", needs=["equipment"], help_wanted="Help",
            submission_key=referrals.new_submission_key(), priority="routine", suggested_priority="routine")
        referral.state, referral.route, referral.complex, referral.ta_level_required = (
            "awaiting_assessment", "trusted_assessor", False, 3)
    session.flush()
    return [person]


def _everyone_on_a_page(session, installer, world, sets: int = 1) -> list[int]:
    ids = [world["person"].id]
    for _ in range(sets):
        ids += [_build(session, work, installer, world).id for work in WORK]
        ids += [p.id for work in MORE_WORK for p in _build_more(session, work, world)]
    return ids


def _new_views(session, after: int) -> list[tuple]:
    rows = session.scalars(select(AuditEvent).where(AuditEvent.id > after, AuditEvent.action == "person.viewed")
                           .order_by(AuditEvent.id))
    return [(e.actor_id, e.entity_type, e.entity_id, e.details) for e in rows]


def _last_audit_id(session) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def _staff(staff) -> dict:
    users = {role: staff.create(role) for role in ROLES}
    users["second installer"] = staff.create("telecare_installer")  # not assigned the job
    users["stores and OT"] = staff.create("stores_officer", "occupational_therapist")  # the bench's stores
    users["every role but manager"] = staff.create(*(r for r in ROLES if r != "manager"))
    return users


def test_a_page_of_views_is_each_view_with_the_same_audit(db_session, staff):
    world = make_world(db_session)
    users = _staff(staff)
    ids = _everyone_on_a_page(db_session, users["telecare_installer"], world)
    page = ids + [ids[1], ids[3]]  # a person listed twice is shown (and audited) once
    purpose = {person_id: f"case {n}" for n, person_id in enumerate(ids)}
    shown_to = {}
    for who, user in users.items():
        before = _last_audit_id(db_session)
        one_by_one = {person_id: person_view_for(db_session, user, person_id, purpose[person_id]) for person_id in ids}
        audited_one_by_one = _new_views(db_session, before)
        before = _last_audit_id(db_session)
        at_once = person_views_for(db_session, user, page, purpose)
        assert at_once == one_by_one, who
        assert _new_views(db_session, before) == audited_one_by_one, who
        assert access_to_each(db_session, user, ids) == {p: access_to(db_session, user, p) for p in ids}, who
        # the purpose may also be one for the whole list, or a function of the person
        assert person_views_for(db_session, user, ids, "equipment queue") == one_by_one
        assert person_views_for(db_session, user, ids, lambda p: purpose[p]) == one_by_one
        shown_to[who] = sum(view is not None for view in one_by_one.values())
    # the mix is a real one: each role sees some of the page and not all of it (a manager: all; an
    # installer not assigned the job: no one)
    assert shown_to.pop("manager") == len(ids) and shown_to.pop("second installer") == 0
    assert all(0 < shown < len(ids) for shown in shown_to.values()), shown_to


def _statements(run, *args):
    """What `run(*args)` returns, and the SQL statements it sent."""
    statements = []
    listener = lambda conn, cur, stmt, *a: statements.append(stmt)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        return run(*args), statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_a_page_of_people_costs_the_same_statements_for_any_number_of_them(db_session, staff):
    world = make_world(db_session)
    users = _staff(staff)
    small = _everyone_on_a_page(db_session, users["telecare_installer"], world)
    large = small + _everyone_on_a_page(db_session, users["telecare_installer"], world, sets=3)
    db_session.flush()
    for who, user in users.items():
        counts = []
        for page in (small, large):
            db_session.expire_all()  # the people read by the page's own query, not held from building them
            user.has_role("manager")  # (the user as signed in, read before the page)
            views, statements = _statements(person_views_for, db_session, user, page, "equipment queue")
            shown = sum(view is not None for view in views.values())
            inserts = [s for s in statements if s.startswith("INSERT INTO audit_event")]
            # the audit rows are flushed together: one batched INSERT on PostgreSQL (SQLite's driver,
            # in process, takes them one by one)
            assert len(inserts) == (min(shown, 1) if db.engine.dialect.name == "postgresql" else shown), who
            counts.append(len(statements) - len(inserts))
        assert counts[0] == counts[1], (who, counts)  # not a query (or six) a person
        assert counts[1] >= 1, who  # the people at least (read in one query)
        assert counts[1] <= 8, (who, counts)  # a query a kind of work the user's roles give, and the people
