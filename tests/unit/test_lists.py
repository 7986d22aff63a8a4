"""The one list pattern (portal.web.lists): filters and sort read from the URL, links that change
them, and pagination that always reaches the last row."""

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from portal.web.lists import Column, Filter, ListSpec, Page, paginate_rows


@pytest.fixture
def app():
    app = Flask(__name__)
    app.add_url_rule("/things", "things", lambda: "")
    app.add_url_rule("/stores/<int:store_id>/stock", "stock", lambda store_id: "")
    with app.test_request_context():
        yield app


SPEC = ListSpec(
    endpoint="things", singular="thing", plural="things", default_sort="due",
    filters=(Filter("q", "Search", kind="search"), Filter("state", "Stage", (("open", "Open"), ("closed", "Closed"))),
             Filter("mine", "Mine only", kind="check"),
             Filter("when", "When", (("today", "Today"), ("all", "Any day")), default="today")),
    columns=(Column("name", "Name"), Column("due", "Due"), Column("count", "Count", numeric=True),
             Column("notes", "Notes", sortable=False)),
)


def test_unknown_values_are_dropped_not_refused(app):
    view = SPEC.read({"state": "<script>", "mine": "1", "sort": "notes", "page": "x", "q": "  a   b "})
    assert view.values == {"q": "a b", "when": "today"}
    assert (view.sort, view.descending, view.page, view.sort_chosen) == ("due", False, 1, False)


def test_a_search_is_cut_to_a_hundred_characters(app):
    assert len(SPEC.read({"q": "x" * 500}).get("q")) == 100


def test_links_keep_the_filters_and_sort_and_drop_the_page(app):
    view = SPEC.read({"state": "open", "sort": "name", "order": "descending", "page": "3", "when": "all"})
    assert view.sort_chosen and view.descending and view.page == 3
    name, due, count, notes = SPEC.columns
    assert view.sort_url(name) == "/things?state=open&when=all&sort=name&order=ascending"
    assert view.sort_url(due) == "/things?state=open&when=all&sort=due&order=ascending"
    assert view.sort_url(count) == "/things?state=open&when=all&sort=count&order=descending"  # numbers: biggest first
    assert (view.aria_sort(name), view.aria_sort(due), view.aria_sort(notes)) == ("descending", "none", None)
    assert view.page_url(4) == "/things?state=open&when=all&sort=name&order=descending&page=4"
    assert view.page_url(1) == "/things?state=open&when=all&sort=name&order=descending"


def test_the_filter_form_sends_to_the_bare_list_so_a_changed_filter_is_not_sent_twice(app):
    view = SPEC.read({"state": "open", "sort": "name", "order": "descending"})
    assert view.form_url == "/things"


def test_selected_filters_each_link_to_the_list_without_them(app):
    view = SPEC.read({"state": "closed", "mine": "yes", "when": "all"})
    assert view.selected == [
        ("Stage", [("Closed", "/things?mine=yes&when=all")]),
        ("Mine only", [("Mine only", "/things?state=closed&when=all")]),
        ("When", [("Any day", "/things?state=closed&mine=yes&when=")]),
    ]
    assert view.clear_url == "/things?when="


def test_a_filter_with_a_default_can_be_turned_off_and_stays_off(app):
    assert SPEC.read({}).get("when") == "today"
    assert SPEC.read({"when": ""}).get("when") == ""
    assert SPEC.read({"when": ""}).selected == []


def test_links_keep_the_record_a_list_belongs_to(app):
    spec = ListSpec(endpoint="stock", singular="item", plural="items", columns=(Column("name", "Name"),))
    view = spec.read({"page": "2"}, store_id=7)
    assert view.page_url(3) == "/stores/7/stock?page=3"


@given(total=st.integers(0, 2000), size=st.integers(1, 100), asked=st.integers(-5, 10_000))
def test_every_row_is_on_exactly_one_page_and_a_page_past_the_end_is_the_last(total, size, asked):
    rows = list(range(total))
    pages = Page([], total, 1, size).pages
    seen = [r for n in range(1, pages + 1) for r in paginate_rows(rows, n, size).items]
    assert seen == rows
    page = paginate_rows(rows, asked, size)
    assert 1 <= page.number <= pages
    assert page.number == min(max(asked, 1), pages)


@pytest.mark.parametrize(("number", "pages", "shown"), [
    (1, 1, [1]), (1, 3, [1, 2, 3]), (1, 10, [1, 2, None, 10]), (5, 10, [1, None, 4, 5, 6, None, 10]),
    (10, 10, [1, None, 9, 10]), (3, 10, [1, 2, 3, 4, None, 10]),
])
def test_page_links_show_first_last_and_neighbours(number, pages, shown):
    assert Page([], pages * 10, number, 10).numbers == shown


def test_a_list_longer_than_the_count_limit_says_more_than_and_pages_to_the_limit(app, monkeypatch):
    """Counting stops at COUNT_LIMIT, so a page costs the same however long the service's history."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from portal.web import lists

    monkeypatch.setattr(lists, "COUNT_LIMIT", 120)
    engine = create_engine("sqlite://")
    with Session(engine) as session:
        session.execute(text("CREATE TABLE n (i INTEGER PRIMARY KEY)"))
        session.execute(text("INSERT INTO n (i) VALUES (:i)"), [{"i": i} for i in range(1, 301)])
        stmt = select(text("i")).select_from(text("n")).order_by(text("i"))
        first = lists.paginate(session, stmt, 1, 50)
        assert (first.total, first.more, first.pages) == (120, True, 3)
        far = lists.paginate(session, stmt, 99, 50)  # a page past the limit shows the limit's last page
        assert far.number == 3 and [row for row in far.items][:1] == [101]
        short = lists.paginate(session, stmt.where(text("i <= 100")), 1, 50)
        assert (short.total, short.more) == (100, False)
