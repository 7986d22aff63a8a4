"""The equipment lists' rows are plain HTML (issue 13: no macro call a cell), with the same accessible
structure as before: headers with scope, each cell's text, its link and its status tag."""

from datetime import timedelta
from html.parser import HTMLParser

from portal.equipment import services
from portal.equipment.services import LineRequest
from portal.equipment.services.queries import QUEUES, queue_count
from portal.timeutil import today


class _Table(HTMLParser):
    """The list table: its headers (scope, text) and its rows, each cell as (text, hrefs, tag classes)."""

    def __init__(self, html):
        super().__init__()
        self.headers, self.rows, self._cell, self._th = [], [], None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "th":
            self._th = [a.get("scope"), ""]
        elif tag == "tr" and "govuk-table__row" in (a.get("class") or ""):
            self._row = []
        elif tag == "td":
            self._cell = ["", [], []]
        elif self._cell is not None and tag == "a":
            self._cell[1].append(a["href"])
        elif self._cell is not None and tag == "strong" and "govuk-tag" in (a.get("class") or ""):
            self._cell[2].append(a["class"])

    def handle_endtag(self, tag):
        if tag == "th" and self._th:
            self.headers.append((self._th[0], " ".join(self._th[1].split())))
            self._th = None
        elif tag == "td":
            self._row.append((" ".join(self._cell[0].split()), self._cell[1], self._cell[2]))
            self._cell = None
        elif tag == "tr" and getattr(self, "_row", None):
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data
        elif self._th is not None:
            self._th[1] += data


def test_queue_rows_keep_their_cells_links_and_tags(client, staff, db_session, world):
    order, _ = services.raise_order(db_session, "t", store_id=world["north"].id, priority="urgent",
                                    lines=[LineRequest(world["commode"].id)], person_id=world["person"].id)
    order.due_date = today() - timedelta(days=2)
    asset = services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                               asset_tag="HX-1", serial="S1")
    asset.status, asset.next_inspection_due = "awaiting_cleaning", today() - timedelta(days=3)
    services.receive_stock(db_session, "t", world["north"].id, world["commode"].id, 3, "delivery")
    services.set_reorder_level(db_session, "t", world["north"].id, world["commode"].id, 5)
    db_session.commit()
    staff.login_as("stores_officer")
    store = world["north"].name

    table = _Table(client.get("/equipment/queues/deliveries").text)
    assert [h for h in table.headers if h[0] != "col"] == []
    assert [text.split(",")[0] for _, text in table.headers][:4] == ["Order", "For", "Priority", "State"]
    (row,) = table.rows
    assert row[0] == (f"Order {order.id}", [f"/equipment/orders/{order.id}"], [])
    assert row[1][0] == "Edna Brookes, AB1 2CD"
    assert row[2] == ("Urgent", [], ["govuk-tag govuk-tag--red"])
    assert row[3] == ("Requested", [], ["govuk-tag govuk-tag--light-blue"])
    assert row[5][0].startswith((order.due_date).strftime("%-d %b %Y")) and row[5][2] == ["govuk-tag govuk-tag--red"]
    assert row[6][0] == store

    (row,) = _Table(client.get("/equipment/queues/inspections").text).rows
    assert row[0] == ("HX-1", [f"/equipment/assets/{asset.id}"], [])
    assert row[1][0] == "Mobile hoist" and row[2] == ("Awaiting cleaning", [], ["govuk-tag govuk-tag--orange"])
    assert row[3][2] == ["govuk-tag govuk-tag--red"] and row[4][0] == store

    (row,) = _Table(client.get("/equipment/queues/low_stock").text).rows
    assert row[0] == (store, [f"/equipment/stores/{world['north'].id}/stock?low=yes"], [])
    assert row[1] == ("Commode", [f"/equipment/catalogue/{world['commode'].id}"], [])
    assert (row[2][0], row[3][0]) == ("3", "5")

    (row,) = _Table(client.get(f"/equipment/stores/{world['north'].id}/stock").text).rows
    assert row[0] == (f"Commode {world['commode'].code} Low", [f"/equipment/catalogue/{world['commode'].id}"],
                      ["govuk-tag govuk-tag--red"])
    assert [c[0] for c in row[1:]] == ["3", "0", "3", "0", "5"]

    (row,) = _Table(client.get(f"/equipment/stores/{world['north'].id}/assets?status=awaiting_cleaning").text).rows
    assert row[0] == ("HX-1", [f"/equipment/assets/{asset.id}"], [])
    assert row[2] == ("Awaiting cleaning", [], ["govuk-tag govuk-tag--orange"])


def test_the_tab_counts_match_each_queues_own_count(db_session, world):
    """The tabs' counts come from three queries; each equals the queue's own (joined) count."""
    for n, days in enumerate((-2, 0, 5)):
        order, _ = services.raise_order(db_session, "t", store_id=world["north" if n else "south"].id,
                                        priority="standard", lines=[LineRequest(world["commode"].id)],
                                        person_id=world["person"].id)
        order.due_date = today() + timedelta(days=days)
        asset = services.add_asset(db_session, "t", product_id=world["hoist"].id, store_id=world["north"].id,
                                   asset_tag=f"HX-{n}", serial=f"S{n}")
        asset.next_inspection_due, asset.warranty_end = today() + timedelta(days=days), today() + timedelta(days=40)
    db_session.flush()
    for store_id in (None, world["north"].id, world["south"].id):
        counts = services.queue_counts(db_session, today(), store_id)
        assert {k: counts[k] for k in QUEUES} == {k: queue_count(db_session, k, today(), store_id) for k in QUEUES}
    assert services.queue_counts(db_session, today())["deliveries_overdue"] >= 1
