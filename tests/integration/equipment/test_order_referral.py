"""An equipment order raised from an assessment is linked to its referral (issue 19 item 7)."""

import pytest
from sqlalchemy import select

from portal.equipment import services
from portal.equipment.models import Order
from portal.errors import NotAllowed
from portal.referrals.models import Referral
from tests.conftest import csrf_from


def _referrals(db_session, person):
    return db_session.scalars(select(Referral).where(Referral.person_id == person.id).order_by(Referral.id)).all()


def test_an_order_remembers_the_referral_it_was_prescribed_from(db_session, staff, world):
    ot = staff.create("occupational_therapist")
    ot_referral = next(r for r in _referrals(db_session, world["person"]) if r.route == "occupational_therapist")
    order, _ = services.raise_order(db_session, ot, store_id=world["north"].id, priority="standard",
                                    lines=[services.LineRequest(world["commode"].id)], person_id=world["person"].id,
                                    referral_id=ot_referral.id)
    assert order.referral_id == ot_referral.id and order.referral.reference == ot_referral.reference


def test_an_order_cannot_claim_someone_elses_referral(db_session, staff, world):
    from tests.integration.equipment.conftest import make_world

    other = make_world(db_session)
    ot = staff.create("occupational_therapist")
    theirs = _referrals(db_session, other["person"])[0]
    with pytest.raises(NotAllowed, match="That referral is not one of this person's that you may open"):
        services.raise_order(db_session, ot, store_id=world["north"].id, priority="standard",
                             lines=[services.LineRequest(world["commode"].id)], person_id=world["person"].id,
                             referral_id=theirs.id)


def test_ordering_from_the_referral_page_links_the_order_to_it(client, staff, db_session, world):
    ot_referral = next(r for r in _referrals(db_session, world["person"]) if r.route == "occupational_therapist")
    db_session.commit()
    staff.login_as("occupational_therapist")
    url = f"/equipment/orders/new?person={world['person'].id}&referral={ot_referral.id}"
    page = client.get(url)
    assert page.status_code == 200
    resp = client.post(url, data={"csrf_token": csrf_from(page.text), "store_id": world["north"].id,
                                  "priority": "standard", "product_1": world["commode"].id, "quantity_1": "1",
                                  "submission_key": "b" * 32})
    assert resp.status_code == 303, resp.text[:500]
    order = db_session.scalar(select(Order).where(Order.submission_key == "b" * 32))
    assert order.referral_id == ot_referral.id
    shown = client.get(f"/equipment/orders/{order.id}").text
    assert f'href="/referrals/{ot_referral.id}"' in shown and ot_referral.reference in shown
