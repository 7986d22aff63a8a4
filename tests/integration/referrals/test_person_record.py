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
    bad = client.post(f"{url}/contacts", data={"contact-csrf_token": csrf_from(page.text), "contact-name": "",
                                               "contact-role": "carer", "contact-phone": ""})
    assert bad.status_code == 200 and "Enter the contact&#39;s name" in bad.text and "There is a problem" in bad.text
    ok = client.post(f"{url}/contacts", data={"contact-csrf_token": csrf_from(page.text), "contact-name": "Sam Jones",
                                              "contact-role": "telecare_responder", "contact-phone": "07700 900123"})
    assert ok.status_code == 303
    consent = client.post(f"{url}/consents", data={
        "consent-csrf_token": csrf_from(page.text), "consent-what": "Share with the monitoring centre",
        "consent-given_by": "Mary Jones (herself)"})
    assert consent.status_code == 303
    again = client.get(url)
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
