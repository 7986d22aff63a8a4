"""A person's page lists what they have on loan, one click from the order."""

from portal.equipment import services
from portal.referrals.services import new_submission_key  # noqa: F401  (referral loop present)


def test_person_page_lists_equipment_on_loan(client, staff, db_session, world):
    services.add_asset(db_session, "test", product_id=world["hoist"].id, store_id=world["north"].id,
                       asset_tag="HOIST-0001")
    order, _ = services.raise_order(db_session, "test", store_id=world["north"].id, priority="standard",
                                    lines=[services.LineRequest(world["hoist"].id, 1)],
                                    person_id=world["person"].id)
    services.reserve_order(db_session, "test", order.id)
    services.deliver_order(db_session, "test", order.id)
    db_session.flush()
    staff.login_as("occupational_therapist")
    page = client.get(f"/people/{world['person'].id}")
    assert page.status_code == 200
    assert "Equipment on loan" in page.text and "Mobile hoist" in page.text and "HOIST-0001" in page.text
    assert f"/equipment/orders/{order.id}" in page.text
    assert f"/equipment/orders/new?person={world['person'].id}" in page.text
