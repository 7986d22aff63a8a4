"""Access to a person follows the work (DESIGN.md 6): every role against every kind of work, on
every route that shows a person, and the part of the record each role sees."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.roles import ROLES
from portal.dfg.models import DfgCase
from portal.equipment import services as equipment
from portal.equipment.services import LineRequest
from portal.errors import NotAllowed
from portal.people import access
from portal.people.access import access_to, may_order_for
from portal.people.models import Person
from portal.referrals import services as referrals
from portal.telecare.models import Job
from portal.timeutil import today, utcnow
from tests.integration.equipment.conftest import make_world

WHOLE = access.ALL_PARTS
NONE = frozenset()

# The work on the person, and who it gives access to (the installer is the one assigned).
WORK = ("nothing", "referral_ot", "order_open", "order_cancelled", "order_collected", "dfg_open", "dfg_for_ot",
        "dfg_closed_long_ago", "job_assigned", "job_done_long_ago")
EXPECTED = {
    "nothing": {"manager": WHOLE},
    "referral_ot": {"manager": WHOLE, "triage_officer": WHOLE, "occupational_therapist": WHOLE},
    "order_open": {"manager": WHOLE, "stores_officer": access.STORES_PARTS},
    "order_cancelled": {"manager": WHOLE},
    "order_collected": {"manager": WHOLE},
    "dfg_open": {"manager": WHOLE, "dfg_caseworker": access.DFG_PARTS},
    "dfg_for_ot": {"manager": WHOLE, "dfg_caseworker": access.DFG_PARTS, "occupational_therapist": WHOLE},
    "dfg_closed_long_ago": {"manager": WHOLE},
    # an open job is also the coordinators' work: they book and cancel it
    "job_assigned": {"manager": WHOLE, "telecare_installer": access.INSTALLER_PARTS,
                     "triage_officer": access.INSTALLER_PARTS, "admin": access.INSTALLER_PARTS},
    "job_done_long_ago": {"manager": WHOLE},
}


def _person(session, n=0) -> Person:
    person = Person(given_name="Iris", family_name=f"Moss{n}", date_of_birth=date(1941, 3, 3),
                    address_line_1="9 Quarry Road", postcode="AB9 9ZZ", locality="North",
                    communication_needs=[], tenure="owner", notes="Key with neighbour at 11")
    session.add(person)
    session.flush()
    return person


def _build(session, work: str, installer, world) -> Person:
    """A person with one kind of work on them, built with the services or direct inserts."""
    person = _person(session)
    if work == "referral_ot":
        referral, _ = referrals.create_referral(
            session, "test", person=person, source="gp", needs=["equipment"], help_wanted="Help",
            submission_key=referrals.new_submission_key(), priority="routine", suggested_priority="routine")
        referral.state, referral.route = "awaiting_assessment", "occupational_therapist"
    elif work.startswith("order"):
        equipment.receive_stock(session, "t", world["north"].id, world["rail"].id, 5, "In")
        order, _ = equipment.raise_order(session, "t", store_id=world["north"].id, priority="standard",
                                         lines=[LineRequest(world["rail"].id)], person_id=person.id)
        if work == "order_cancelled":
            equipment.cancel_order(session, "t", order.id, "Not needed")
        if work == "order_collected":
            equipment.reserve_order(session, "t", order.id)
            equipment.deliver_order(session, "t", order.id)
            order.state = "collected"  # an issued item: nothing comes back, the order is over
    elif work.startswith("dfg"):
        closed = work == "dfg_closed_long_ago"
        session.add(DfgCase(reference=f"DFG{person.id:06d}", person_id=person.id, property_address="9 Quarry Road",
                            property_postcode="AB9 9ZZ", tenure="owner_occupier",
                            state="withdrawn" if closed else "ot_recommendation" if work == "dfg_for_ot"
                            else "survey_and_quotes",
                            state_changed_at=utcnow() - timedelta(days=400 if closed else 1)))
    elif work.startswith("job"):
        done = work == "job_done_long_ago"
        session.add(Job(submission_key=f"job-{person.id}", job_type="new_install", person_id=person.id,
                        due_date=today(), state="completed" if done else "scheduled", scheduled_date=today(),
                        installer_id=installer.id,
                        completed_at=utcnow() - timedelta(days=60) if done else None))
    session.flush()
    return person


@pytest.fixture
def everyone(staff):
    return {role: staff.create(role) for role in ROLES}


@pytest.mark.parametrize("work", WORK)
def test_access_follows_the_work(db_session, staff, everyone, work):
    world = make_world(db_session)
    person = _build(db_session, work, everyone["telecare_installer"], world)
    read_once = referrals.for_person(db_session, person.id)  # what the person record reads, and passes in
    for role, user in everyone.items():
        assert access_to(db_session, user, person.id) == EXPECTED[work].get(role, NONE), (role, work)
        assert access_to(db_session, user, person.id, referrals=read_once) == EXPECTED[work].get(role, NONE)
    # a second installer, not assigned the job, sees nothing of the person
    assert access_to(db_session, staff.create("telecare_installer"), person.id) == (
        NONE if work.startswith("job") else EXPECTED[work].get("telecare_installer", NONE))


PERSON_ROUTE_ROLES = {"triage_officer", "trusted_assessor", "occupational_therapist", "stores_officer",
                      "dfg_caseworker", "manager"}


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("work", ["nothing", "referral_ot", "order_open", "order_cancelled", "dfg_open"])
def test_the_person_record_page_follows_the_rule(client, db_session, staff, role, work):
    world = make_world(db_session)
    user = staff.login_as(role)
    installer = staff.create("telecare_installer")
    person = _build(db_session, work, installer, world)
    db_session.commit()
    parts = access_to(db_session, user, person.id)
    resp = client.get(f"/people/{person.id}")
    refused = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "security.refused", AuditEvent.entity_id == str(person.id)))
    viewed = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(person.id)))
    if role not in PERSON_ROUTE_ROLES:
        assert resp.status_code == 403
    elif not parts:
        assert resp.status_code == 404 and "Iris" not in resp.text
        assert refused == 1 and viewed == 0
    else:
        assert resp.status_code == 200 and "Iris Moss0" in resp.text and "9 Quarry Road" in resp.text
        assert viewed == 1 and refused == 0
        # each role sees only its part: the date of birth and NHS number are the whole record's
        assert ("Date of birth" in resp.text) == (access.WHOLE in parts)
        if access.WHOLE not in parts:
            assert ("Key with neighbour" in resp.text) == (access.ACCESS_NOTES in parts)


ADD_PAGES = {"contacts/new": ("Add a contact", {"name": "Sam Jones", "role": "carer", "phone": "07700 900123"}),
             "consents/new": ("Record consent", {"what": "Share with the GP", "given_by": "Iris herself"})}


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("work", ["nothing", "referral_ot", "order_open", "job_assigned"])
@pytest.mark.parametrize("page", ADD_PAGES)
def test_adding_a_contact_or_consent_needs_the_whole_record(client, db_session, staff, role, work, page):
    """The add pages apply the same rule as the record: an assessor who may see the whole record; anyone
    else is refused (403 for a role without the pages, 404 and a security event for a record not theirs)."""
    from tests.conftest import csrf_from

    world = make_world(db_session)
    user = staff.login_as(role)
    person = _build(db_session, work, staff.create("telecare_installer"), world)
    db_session.commit()
    parts = access_to(db_session, user, person.id)
    heading, answers = ADD_PAGES[page]
    token = csrf_from(client.get("/staff").text)
    shown = client.get(f"/people/{person.id}/{page}")
    posted = client.post(f"/people/{person.id}/{page}", data={**answers, "csrf_token": token})
    db_session.expire_all()
    saved = db_session.get(Person, person.id)
    added = len(saved.contacts) + len(saved.consents)
    if role not in ("triage_officer", "trusted_assessor", "occupational_therapist"):
        assert shown.status_code == posted.status_code == 403 and added == 0
    elif access.WHOLE not in parts:
        assert shown.status_code == posted.status_code == 404 and "Iris" not in shown.text and added == 0
        assert db_session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "security.refused", AuditEvent.entity_id == str(person.id))) == 2
    else:
        assert shown.status_code == 200 and f'<h1 class="govuk-heading-l">{heading}</h1>' in shown.text
        assert posted.status_code == 303 and added == 1


def test_a_refused_request_records_the_route_and_id_never_the_data(client, db_session, staff):
    person = _person(db_session)
    db_session.commit()
    staff.login_as("stores_officer")
    assert client.get(f"/people/{person.id}").status_code == 404
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "security.refused"))
    assert event.entity_type == "person" and event.entity_id == str(person.id)
    assert "people.record" in str(event.details) and "Iris" not in str(event.details)


def test_a_stores_officer_loses_the_record_when_the_order_is_cancelled(client, db_session, staff):
    """Seen: raising an order for any resident id gave the whole record, kept after cancelling."""
    world = make_world(db_session)
    stores = staff.login_as("stores_officer")
    person = _person(db_session)
    db_session.commit()
    with pytest.raises(NotAllowed, match="only for someone whose referral or assessment"):
        equipment.raise_order(db_session, stores, store_id=world["north"].id, priority="standard",
                              lines=[LineRequest(world["rail"].id)], person_id=person.id)
    db_session.rollback()
    page = client.get(f"/equipment/orders/new?person={person.id}")
    assert page.status_code == 404 and "Iris" not in page.text
    order, _ = equipment.raise_order(db_session, "test", store_id=world["north"].id, priority="standard",
                                     lines=[LineRequest(world["rail"].id)], person_id=person.id)
    db_session.commit()
    assert access_to(db_session, stores, person.id) == access.STORES_PARTS
    assert client.get(f"/people/{person.id}").status_code == 200
    equipment.cancel_order(db_session, "test", order.id, "Not needed")
    db_session.commit()
    assert client.get(f"/people/{person.id}").status_code == 404
    order_page = client.get(f"/equipment/orders/{order.id}")
    assert order_page.status_code == 200 and "Iris" not in order_page.text


def test_a_prescriber_orders_only_for_someone_whose_referral_they_may_open(db_session, staff):
    world = make_world(db_session)
    ta = staff.create("trusted_assessor", level=3)
    ot = staff.create("occupational_therapist")
    stranger = _person(db_session, 1)
    assert may_order_for(db_session, ta, world["person"].id) and may_order_for(db_session, ot, world["person"].id)
    assert not may_order_for(db_session, ta, stranger.id) and not may_order_for(db_session, ot, stranger.id)
    with pytest.raises(NotAllowed, match="only for someone whose referral or assessment"):
        equipment.raise_order(db_session, ta, store_id=world["north"].id, priority="standard",
                              lines=[LineRequest(world["rail"].id)], person_id=stranger.id)


def test_an_order_page_shows_the_person_only_to_those_who_may_see_them(client, db_session, staff):
    world = make_world(db_session)
    equipment.receive_stock(db_session, "t", world["north"].id, world["rail"].id, 5, "In")
    order, _ = equipment.raise_order(db_session, "t", store_id=world["north"].id, priority="standard",
                                     lines=[LineRequest(world["rail"].id)], person_id=world["person"].id)
    db_session.commit()
    staff.login_as("admin")  # reads orders, has no work with the person
    page = client.get(f"/equipment/orders/{order.id}")
    assert page.status_code == 200 and "Edna" not in page.text and "4 Mill Lane" not in page.text
    client.post("/sign-out", data={"csrf_token": staff.csrf()})
    staff.login_as("stores_officer")
    page = client.get(f"/equipment/orders/{order.id}")
    assert "Edna Brookes" in page.text and "4 Mill Lane" in page.text
    viewed = db_session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(world["person"].id))).all()
    assert [d["purpose"] for d in viewed] == [f"order {order.id}"]


def test_a_collection_request_needs_the_right_to_see_the_person(db_session, staff):
    world = make_world(db_session)
    equipment.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 5, "In")
    stranger = _person(db_session, 2)
    order, _ = equipment.raise_order(db_session, "t", store_id=world["north"].id, priority="standard",
                                     lines=[LineRequest(world["commode"].id)], person_id=stranger.id)
    equipment.reserve_order(db_session, "t", order.id)
    equipment.deliver_order(db_session, "t", order.id)
    ot = staff.create("occupational_therapist")
    with pytest.raises(NotAllowed, match="ask for a collection only from someone whose record you may see"):
        equipment.request_collection(db_session, ot, order.id, "moved")
