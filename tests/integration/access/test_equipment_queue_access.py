"""The equipment queues and the pick list show a person only through the access rule
(DESIGN.md 6): the stores team sees name, address and access notes for the orders it must
deliver or collect; another reader sees only what their own work gives them."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.equipment import services as equipment
from portal.equipment.services import LineRequest
from portal.people.access import access_to
from portal.people.models import Person
from portal.timeutil import today
from tests.integration.equipment.conftest import make_world

READERS = ("stores_officer", "manager", "occupational_therapist", "trusted_assessor", "admin")


def _order_for_stranger(db_session, world, *, deliver=False):
    """A reserved order, planned for today, for someone with no referral (only the order is work)."""
    person = Person(given_name="Iris", family_name="Moss", date_of_birth=date(1941, 3, 3),
                    address_line_1="9 Quarry Road", postcode="AB9 9ZZ", locality="North",
                    communication_needs=[], tenure="owner", notes="Key with neighbour at 11")
    db_session.add(person)
    db_session.flush()
    equipment.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 5, "In")
    order, _ = equipment.raise_order(db_session, "t", store_id=world["north"].id, priority="standard",
                                     lines=[LineRequest(world["commode"].id)], person_id=person.id,
                                     planned_date=today())
    equipment.reserve_order(db_session, "t", order.id)
    if deliver:
        equipment.deliver_order(db_session, "t", order.id)
        equipment.request_collection(db_session, "t", order.id, "no_longer_needed")
    db_session.commit()
    return person, order


@pytest.mark.parametrize("queue", ["deliveries", "collections"])
@pytest.mark.parametrize("role", READERS)
def test_the_queues_show_each_reader_only_their_part(client, db_session, staff, role, queue):
    world = make_world(db_session)
    person, order = _order_for_stranger(db_session, world, deliver=queue == "collections")
    user = staff.login_as(role)
    page = client.get(f"/equipment/?queue={queue}")
    assert page.status_code == 200 and f"Order {order.id}" in page.text
    sees = bool(access_to(db_session, user, person.id))
    assert sees is (role in ("stores_officer", "manager"))
    assert ("Iris Moss, AB9 9ZZ" in page.text) is sees
    assert ("Not shown" in page.text) is not sees
    viewed = db_session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(person.id))).all()
    assert len(viewed) == (1 if sees else 0)


def test_the_pick_list_shows_the_stores_part_and_audits_it(client, db_session, staff):
    world = make_world(db_session)
    person, order = _order_for_stranger(db_session, world)
    staff.login_as("stores_officer")
    page = client.get(f"/equipment/stores/{world['north'].id}/pick-list")
    assert page.status_code == 200 and f"Order {order.id}" in page.text
    assert "Iris Moss" in page.text and "9 Quarry Road" in page.text and "Key with neighbour at 11" in page.text
    assert "3 March 1941" not in page.text
    viewed = db_session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "person.viewed", AuditEvent.entity_id == str(person.id))).all()
    assert len(viewed) == 1 and viewed[0]["parts"] == ["access_notes", "address", "loans", "name"]
