"""An occupational therapist with the person's referral raises an order; a stores officer reserves,
delivers, books the collection, collects and cleans it; every page is checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from portal.equipment import services
from portal.extensions import db, write_intent
from tests.e2e.conftest import sign_in
from tests.integration.equipment.conftest import make_world


@pytest.fixture
def equipment_world(live_app):
    with live_app.app_context(), write_intent():
        w = make_world(db.session, actor="e2e")
        services.add_asset(db.session, "e2e", product_id=w["hoist"].id, store_id=w["north"].id,
                           asset_tag=f"E2E-{w['hoist'].code}")
        ids = {"person": w["person"].id, "store": w["north"].name, "hoist": w["hoist"].name,
               "tag": f"E2E-{w['hoist'].code}"}
        db.session.commit()
        db.session.remove()
    return ids


def test_order_reserve_deliver_collect_clean(page, base_url, axe, csp_violations, equipment_world):
    w = equipment_world
    sign_in(page, base_url, "ot@demo.council.example")  # the referral waiting for an OT is their work
    page.goto(f"{base_url}/equipment/orders/new?person={w['person']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Order equipment")
    axe(page)
    page.get_by_label("Store that supplies the order").select_option(label=w["store"])
    page.get_by_label("Urgent").check()
    page.locator("#product_1").select_option(label=next(
        o for o in page.locator("#product_1 option").all_inner_texts() if o.startswith(w["hoist"])))
    page.get_by_role("button", name="Raise order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order ")
    expect(page.get_by_text("Requested", exact=True)).to_be_visible()
    axe(page)
    order_url = page.url

    page.context.clear_cookies()
    sign_in(page, base_url, "stores@demo.council.example")
    page.get_by_role("link", name="Equipment").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Equipment\s*Deliveries due$"))
    expect(page.locator("#list-count")).to_be_visible()
    axe(page)
    page.goto(order_url)
    page.get_by_role("button", name="Reserve stock").click()
    expect(page.get_by_text("Stock reserved.")).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Record delivery").click()
    expect(page.get_by_text("Delivery recorded.")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Request collection").click()  # a page of its own
    expect(page.get_by_role("heading", level=1)).to_have_text("Why is it being collected?")
    axe(page)
    page.get_by_label("No longer needed").check()
    page.get_by_role("button", name="Request collection").click()
    expect(page).to_have_url(order_url)
    expect(page.get_by_text("Collection requested.")).to_be_visible()
    page.get_by_role("button", name="Record collection").click()
    expect(page.get_by_text("awaiting cleaning", exact=False).first).to_be_visible()
    axe(page)
    page.get_by_role("button", name="Mark returned items as cleaned").click()
    expect(page.get_by_text("1 item cleaned and back in stock.")).to_be_visible()

    page.get_by_role("link", name=w["tag"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Asset {w['tag']}")
    expect(page.get_by_text("Cleaned and returned to stock")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Print label").click()
    expect(page.get_by_role("img", name=f"QR code for asset {w['tag']}")).to_be_visible()
    axe(page)
    assert csp_violations == []
