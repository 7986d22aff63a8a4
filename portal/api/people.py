"""A person's equipment on loan and telecare connection, by NHS number, for a client with
people:read: the least a case-management system needs (no key safe, no responders' numbers, no
line telephone number), and every read audited as a view of the person, naming the client."""

from portal.api.models import ApiClient
from portal.api.referrals import as_utc
from portal.audit.services import record
from portal.equipment.services.queries import loans_for_person
from portal.errors import NotFound, Refusal
from portal.people.models import Person
from portal.people.services import find_by_nhs_number
from portal.people.validators import is_valid_nhs_number, normalise_nhs_number
from portal.telecare.services import connection_for
from portal.telecare.services.queries import devices_for_person


def person_for(session, client: ApiClient, nhs_number: str, purpose: str, part: str) -> Person:
    """The person who holds this NHS number (422 if it is not a valid one, 404 if we hold none),
    with the view audited as the web audits a view of a record ("person.viewed")."""
    if not is_valid_nhs_number(nhs_number):
        raise Refusal("Enter a valid NHS number, like 485 777 3457", field="nhs_number")
    person = find_by_nhs_number(session, normalise_nhs_number(nhs_number))
    if person is None:
        raise NotFound("There is no person with that NHS number.")
    record(session, client.actor, "person.viewed", "person", person.id, purpose=purpose, parts=[part])
    return person


def equipment(session, client: ApiClient, nhs_number: str) -> dict:
    person = person_for(session, client, nhs_number, "API: equipment on loan", "loans")
    return {"nhs_number": person.nhs_number, "on_loan": [
        {"product": row["name"], "product_code": row["code"], "quantity": row["quantity"],
         "asset_tag": row["asset_tag"], "delivered_at": as_utc(row["delivered_at"]), "due_back": row["collection_due"],
         "next_inspection_due": row["next_inspection_due"]}
        for row in loans_for_person(session, person.id)]}


def telecare(session, client: ApiClient, nhs_number: str) -> dict:
    person = person_for(session, client, nhs_number, "API: telecare connection", "telecare")
    connection = connection_for(session, person.id)
    if connection is None:
        return {"nhs_number": person.nhs_number, "connection": None}
    devices = devices_for_person(session, person.id, include_removed=False)
    return {"nhs_number": person.nhs_number, "connection": {
        "status": connection.status, "line_type": connection.line_type, "unit_model": connection.unit_model,
        "monitoring_start": connection.monitoring_start, "ended_at": as_utc(connection.ended_at),
        "devices": [{"product": d["name"], "asset_tag": d["asset_tag"], "fitted_at": as_utc(d["fitted_at"])}
                    for d in devices]}}
