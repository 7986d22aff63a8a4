"""One record, the whole story (issue 19 item 7): the person page lists every dated event, newest first."""

from datetime import datetime

from portal.people import services as people
from portal.referrals import services as referrals


def test_the_record_tells_the_story_in_time_order_with_links(client, staff, db_session, known):
    triage, ot = staff.create("triage_officer"), staff.create("occupational_therapist", name="Olive Therapist")
    old, _ = referrals.create_referral(
        db_session, "public", person=known, source="self", needs=["falls"], help_wanted="Fell",
        submission_key=referrals.new_submission_key(), received_at=datetime(2025, 3, 1, 9, 0))
    referrals.withdraw(db_session, triage, old, "Moved away for a while")
    new, _ = referrals.create_referral(
        db_session, "test", person=known, source="gp", needs=["equipment"], help_wanted="Bathing",
        submission_key=referrals.new_submission_key(), received_at=datetime(2026, 11, 2, 9, 0),
        referrer_name="Dr Lee")
    referrals.route(db_session, triage, new, route_to="occupational_therapist", complex_case=True, reason="Complex")
    referrals.claim(db_session, ot, new)
    referrals.complete_assessment(db_session, ot, new, outcomes_wanted="Bathe", strengths="Family",
                                  needs_by_area="Bath", risks="", tecs_considered=True, tecs_what="Pendant alarm",
                                  tecs_why_not=None, recommendations=["equipment"])
    people.record_consent(db_session, ot, known, what="Share with the monitoring centre", given_by="Anil")
    db_session.commit()
    staff.login_as("occupational_therapist")
    page = client.get(f"/people/{known.id}")
    assert page.status_code == 200
    story = page.text[page.text.index('id="history">History</h2>'):]
    titles = ["Consent: Share with the monitoring centre", f"Assessment for referral {new.reference}",
              f"Referral {new.reference} (Equipment)", f"Referral {old.reference} (Falls)"]
    positions = [story.index(t) for t in titles]
    assert positions == sorted(positions), "newest first"
    assert "TECS considered: yes – Pendant alarm" in story and "by Olive Therapist" in story
    assert "Withdrawn" in story and "by Dr Lee" in story
    assert f'href="/referrals/{new.id}"' in story


def test_equipment_orders_and_telecare_jobs_join_the_story(app, db_session):
    """Other features add their events through the registry: an order and a telecare job appear."""
    from portal.equipment import services as equipment
    from portal.people.timeline import timeline
    from portal.telecare import services as telecare
    from tests.integration.equipment.conftest import make_world

    world = make_world(db_session)
    person = world["person"]
    order, _ = equipment.raise_order(db_session, "test", store_id=world["north"].id, priority="standard",
                                     lines=[equipment.LineRequest(product_id=world["commode"].id, quantity=1)],
                                     person_id=person.id)
    job, _ = telecare.create_job(db_session, "test", person_id=person.id, job_type="new_install", priority="routine")
    db_session.flush()
    with app.test_request_context():
        titles = [event.title for event in timeline(db_session, person)]
        hrefs = [event.href for event in timeline(db_session, person)]
    assert f"Equipment order {order.id} raised" in titles
    assert f"Telecare job {job.id}: new install" in titles
    assert f"/equipment/orders/{order.id}" in hrefs and f"/telecare/jobs/{job.id}" in hrefs
