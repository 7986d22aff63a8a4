"""The equipment screens staff work in all day (issue 20): the queues and a store's stock and assets
on the list pattern (filters in the URL, sorting, pagination to the last row), the store, order and
asset in the record layout, and cancelling an order through a check step."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.equipment import services
from portal.equipment.models import Order
from portal.equipment.services import LineRequest
from portal.equipment.views import queues as queue_views
from portal.equipment.views import store_lists
from portal.timeutil import today
from tests.conftest import csrf_from

PAGE = 3


@pytest.fixture
def small_pages(monkeypatch):
    """Three rows a page, so a handful of rows needs several pages."""
    queue_spec, stock_spec, assets_spec = queue_views.queue_spec, store_lists.stock_spec, store_lists.assets_spec
    monkeypatch.setattr(queue_views, "queue_spec", lambda kind, page_size=None: queue_spec(kind, PAGE))
    monkeypatch.setattr(store_lists, "stock_spec", lambda page_size=None: stock_spec(PAGE))
    monkeypatch.setattr(store_lists, "assets_spec", lambda store_id, page_size=None: assets_spec(store_id, PAGE))


def _count(html: str) -> int:
    found = re.search(r'id="list-count"[^>]*>(\d[\d,]*) ', html)
    return int(found.group(1).replace(",", "")) if found else 0


def _pages(client, url: str) -> list[str]:
    """Every page of a list, following "Next" to the end."""
    pages = []
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, url
        pages.append(resp.text)
        found = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', resp.text)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert len(pages) < 20
    return pages


def _orders(db_session, world, n, **changes):
    made = []
    for _ in range(n):
        order, _created = services.raise_order(db_session, "t", store_id=world["north"].id, priority="standard",
                                               lines=[LineRequest(world["commode"].id)],
                                               person_id=world["person"].id)
        for key, value in changes.items():
            setattr(order, key, value)
        made.append(order)
    db_session.commit()
    return made


def test_the_queue_filters_by_due_today_and_store_sorts_and_pages_to_the_last_row(client, staff, db_session,
                                                                                  world, small_pages):
    staff.login_as("stores_officer")
    due_today = _orders(db_session, world, 7, due_date=today())
    later = _orders(db_session, world, 2, due_date=today() + timedelta(days=5))
    url = f"/equipment/queues/deliveries?store={world['north'].id}&due=today&sort=order&order=descending"
    pages = _pages(client, url)
    assert len(pages) == 3 and _count(pages[0]) == 7
    shown = [int(n) for html in pages for n in re.findall(r">Order (\d+)</a>", html)]
    assert shown == sorted((o.id for o in due_today), reverse=True)  # every row, in order, the last one too
    assert not {o.id for o in later} & set(shown)
    first = pages[0]
    assert 'aria-sort="descending"' in first and "Selected filters" in first and "Clear filters" in first
    assert 'aria-label="Page 3"' in first and "Showing 1 to 3" in first
    assert 'id="queue-tabs"' in first and "Deliveries due (9" in first
    # the other store has none of them; the staff home's link (?queue=) opens the same queue
    assert "No orders match" in client.get(f"/equipment/queues/deliveries?store={world['south'].id}").text
    assert _count(client.get("/equipment/?queue=deliveries").text) >= 9


@pytest.mark.parametrize("kind", list(services.QUEUES))
def test_every_queue_renders_with_its_filters_in_the_url(client, staff, world, kind):
    staff.login_as("stores_officer")
    page = client.get(f"/equipment/queues/{kind}?store={world['north'].id}&due=overdue&q=x&sort=store")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert 'id="list-count"' in page.text and 'action="/equipment/queues/' + kind in page.text


def test_the_store_asset_list_filters_sorts_and_reaches_the_last_asset(client, staff, db_session, world,
                                                                       small_pages):
    staff.login_as("stores_officer")
    tags = [f"ZZ-{n:02d}" for n in range(8)]
    for tag in tags:
        services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id, asset_tag=tag)
    db_session.commit()
    base = f"/equipment/stores/{world['north'].id}/assets"
    pages = _pages(client, f"{base}?product={world['hoist'].id}&status=available&sort=tag&order=descending")
    shown = [t for html in pages for t in re.findall(r">(ZZ-\d\d)</a>", html)]
    assert len(pages) == 3 and shown == sorted(tags, reverse=True)
    assert "the first 300" not in pages[0]
    assert _count(client.get(f"{base}?q=zz-07").text) == 1
    assert "No assets match" in client.get(f"{base}?status=retired").text


def test_the_store_stock_list_filters_low_stock_and_pages(client, staff, db_session, world, small_pages):
    staff.login_as("stores_officer")
    north = world["north"].id
    for n in range(7):
        product = services.create_product(db_session, "t", code=f"STK-{n}-{world['north'].code}",
                                          name=f"Stock item {n}", category="community_equipment", supply="issue",
                                          tracking="counted", cleaning_required=False)
        services.receive_stock(db_session, "t", north, product.id, 2, "In")
        if n % 2 == 0:
            services.set_reorder_level(db_session, "t", north, product.id, 5)
    db_session.commit()
    base = f"/equipment/stores/{north}/stock"
    pages = _pages(client, f"{base}?q=stock+item&sort=product")
    assert [n for html in pages for n in re.findall(r">Stock item (\d)</a>", html)] == [str(n) for n in range(7)]
    low = client.get(f"{base}?low=yes&q=stock+item").text
    assert _count(low) == 4 and "Low stock only" in low


def test_store_sections_for_each_role(client, staff, world):
    store = world["north"].id
    sections = {"overview": f"/equipment/stores/{store}", "stock": f"/equipment/stores/{store}/stock",
                "assets": f"/equipment/stores/{store}/assets", "stocktakes": f"/equipment/stores/{store}/stocktakes"}
    staff.login_as("stores_officer")
    for name, url in sections.items():
        page = client.get(url)
        assert page.status_code == 200, name
        assert page.text.count("<h1") == 1 and 'class="moj-sub-navigation"' in page.text
        assert page.text.count('aria-current="page" href') == 1
        assert client.get(url, headers={"HX-Request": "true", "HX-Target": "main-content"}).status_code == 200
    overview = client.get(sections["overview"]).text
    assert "Start a stocktake" in overview and "Today's pick list" in overview
    assert "Record a counted stock change" in overview
    staff.login_as("occupational_therapist")
    assert client.get(sections["stocktakes"]).status_code == 403
    overview = client.get(sections["overview"]).text
    assert sections["stocktakes"] not in overview and "pick-list" not in overview
    assert "Record a counted stock change" not in overview
    assert client.get(sections["assets"]).status_code == 200
    staff.login_as("triage_officer")
    for url in sections.values():
        assert client.get(url).status_code == 403


def test_the_order_page_is_a_record_with_its_history(client, staff, db_session, world):
    staff.login_as("stores_officer")
    services.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 3, "In")
    order = _orders(db_session, world, 1)[0]
    services.reserve_order(db_session, "t", order.id)
    db_session.commit()
    page = client.get(f"/equipment/orders/{order.id}").text
    assert "moj-identity-bar" in page and "Edna Brookes" in page and "4 Mill Lane, AB1 2CD" in page
    assert '<span class="govuk-caption-l">Equipment order</span>' in page
    assert "moj-timeline" in page and "Order raised" in page and "Stock reserved" in page
    assert f'href="/equipment/orders/{order.id}/cancel"' in page


def test_cancelling_an_order_needs_confirmation(client, staff, db_session, world):
    staff.login_as("stores_officer")
    order = _orders(db_session, world, 1)[0]
    url = f"/equipment/orders/{order.id}/cancel"
    form = client.get(url)
    token = csrf_from(form.text)
    answers = {"csrf_token": token, "version": order.version, "reason": "Moved to a care home"}

    def cancelled_audits():
        return db_session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "equipment.order_cancelled", AuditEvent.entity_id == str(order.id)))

    check = client.post(url, data=answers)
    assert check.status_code == 200 and "Check your decision: cancel the order" in check.text
    assert "Moved to a care home" in check.text and 'name="confirmed" value="yes"' in check.text
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "requested" and cancelled_audits() == 0
    change = client.post(url, data={**answers, "change": "yes"})
    assert change.status_code == 200 and 'value="Moved to a care home"' in change.text
    done = client.post(url, data={**answers, "confirmed": "yes"})
    assert done.status_code == 303
    db_session.expire_all()
    assert db_session.get(Order, order.id).state == "cancelled" and cancelled_audits() == 1


def test_the_asset_page_shows_its_history_as_a_timeline(client, staff, db_session, world):
    staff.login_as("stores_officer")
    asset = services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                               asset_tag="TL-1")
    services.send_to_repair(db_session, "t", asset.id, "Motor fault")
    db_session.commit()
    page = client.get(f"/equipment/assets/{asset.id}").text
    assert "moj-timeline" in page and "Motor fault" in page and "Back from repair" in page
