from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEvent
from tests.conftest import csrf_from


def test_person_record_adds_contacts_and_consent_with_audit(client, staff, make_referral, db_session):
    staff.login_as("occupational_therapist")
    referral = make_referral()
    referral.route = "occupational_therapist"  # an OT's work: a referral routed to OTs
    db_session.commit()
    url = f"/people/{referral.person_id}"
    page = client.get(url)
    assert page.status_code == 200 and "Every time someone opens this record it is logged" in page.text
    assert f'href="{url}/contacts/new"' in page.text and "Add a contact" in page.text
    assert f'href="{url}/consents/new"' in page.text and "Record consent" in page.text
    form = client.get(f"{url}/contacts/new")
    assert form.status_code == 200 and "<h1 class=\"govuk-heading-l\">Add a contact</h1>" in form.text
    assert f'href="{url}"' in form.text  # the back link to the record
    bad = client.post(f"{url}/contacts/new", data={"csrf_token": csrf_from(form.text), "name": "",
                                                   "role": "carer", "phone": "07700 900999",
                                                   "relationship_to_person": "Neighbour"})
    assert bad.status_code == 422 and "Enter the contact&#39;s name" in bad.text and "There is a problem" in bad.text
    assert 'value="07700 900999"' in bad.text and 'value="Neighbour"' in bad.text  # every answer kept
    assert '<option value="carer" selected>' in bad.text
    ok = client.post(f"{url}/contacts/new", data={"csrf_token": csrf_from(form.text), "name": "Sam Jones",
                                                  "role": "telecare_responder", "phone": "07700 900123"})
    assert ok.status_code == 303 and ok.headers["Location"].endswith(url)
    assert "Contact added." in client.get(url).text  # the success banner on the record
    form = client.get(f"{url}/consents/new")
    assert form.status_code == 200 and "<h1 class=\"govuk-heading-l\">Record consent</h1>" in form.text
    bad = client.post(f"{url}/consents/new", data={"csrf_token": csrf_from(form.text), "what": "Share with the GP",
                                                   "given_by": ""})
    assert bad.status_code == 422 and "Enter who gave consent" in bad.text and 'value="Share with the GP"' in bad.text
    consent = client.post(f"{url}/consents/new", data={
        "csrf_token": csrf_from(form.text), "what": "Share with the monitoring centre",
        "given_by": "Mary Jones (herself)"})
    assert consent.status_code == 303
    again = client.get(url)
    assert "Consent recorded." in again.text
    assert "Sam Jones" in again.text and "Telecare responder" in again.text
    assert "Share with the monitoring centre" in again.text
    actions = db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "person", AuditEvent.entity_id == str(referral.person_id))).all()
    assert actions.count("person.viewed") >= 2
    assert "person.contact_added" in actions and "person.consent_recorded" in actions


def test_stores_officer_sees_only_people_with_orders(client, staff, make_referral):
    referral = make_referral(dob=date(1950, 2, 2))
    staff.login_as("stores_officer")
    assert client.get(f"/people/{referral.person_id}").status_code == 404
