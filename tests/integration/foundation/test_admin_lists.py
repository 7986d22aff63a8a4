"""The audit log, the staff accounts and the outbox on the list pattern: filters in the URL, sorting
by column, and GOV.UK pagination that reaches the last row."""

import html
import re
from datetime import datetime

from sqlalchemy import func, select

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from portal.auth.models import User, UserRole
from portal.notify.models import Notification


def _count(text: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.search(r'id="list-count"[^>]*>(.*?)</h2>', text, re.S).group(1)).split()


def _next(text: str) -> str | None:
    found = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"', text)
    return html.unescape(found.group(1)) if found else None


def _walk(client, url: str) -> list[str]:
    """Every page of a list, following "Next" from the first to the last."""
    pages = []
    while url:
        resp = client.get(url)
        assert resp.status_code == 200, url
        pages.append(resp.text)
        url = _next(resp.text)
        assert len(pages) < 50
    return pages


def _rows(text: str) -> list[str]:
    body = re.search(r'<tbody class="govuk-table__body"[^>]*>(.*?)</tbody>', text, re.S)
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S) if body else []


# The audit log -------------------------------------------------------------------------------------

def test_the_audit_log_reaches_its_oldest_entry_through_pagination(client, staff, db_session):
    staff.login_as("manager")
    for i in range(120):
        audit.record(db_session, "test", "thing.counted", "thing", i)
    db_session.flush()
    total = db_session.scalar(select(func.count()).select_from(AuditEvent))
    oldest = db_session.scalar(select(func.min(AuditEvent.id)))
    pages = _walk(client, "/audit/")
    assert len(pages) == -(-total // 50) >= 3
    assert _count(pages[0])[:2] == [f"{total:,}", "entries"] and "Showing 1 to 50" in pages[0]
    assert sum(len(_rows(p)) for p in pages) == total
    last = pages[-1]
    assert f'href="/audit/{db_session.get(AuditEvent, oldest).entity_type}/' in last
    assert 'aria-current="page">' + str(len(pages)) + "<" in last
    assert "Ordered newest first" in pages[0]

    # only ours, oldest first: the first page starts with thing 0 and the last page ends with thing 119
    pages = _walk(client, "/audit/?action=thing.counted&sort=when&order=ascending")
    assert len(pages) == 3 and [len(_rows(p)) for p in pages] == [50, 50, 20]
    assert ">thing 0</a>" in _rows(pages[0])[0] and ">thing 119</a>" in _rows(pages[-1])[-1]


def test_the_audit_filters_stay_in_the_url_and_each_can_be_removed(client, staff, db_session):
    user = staff.login_as("manager")
    for i in range(60):
        audit.record(db_session, user, "widget.moved", "widget", i)
    audit.record(db_session, "someone else", "widget.moved", "widget", 99)
    db_session.add(AuditEvent(actor="system", action="widget.moved", entity_type="widget", entity_id="old",
                              at=datetime(2026, 3, 10, 0, 30)))  # 00:30 GMT on 10 March 2026
    db_session.flush()
    page = client.get(f"/audit/?action=widget.moved&who={user.email.upper()}&entity=widget")
    assert page.status_code == 200
    assert _count(page.text)[:2] == ["60", "entries"]
    text = html.unescape(page.text)
    assert "Selected filters" in text and "Clear filters" in text
    assert f"/audit/?action=widget.moved&who={user.email.upper()}&entity=widget&page=2" in text  # pagination keeps them
    assert 'aria-sort="descending"' in page.text  # "When", newest first
    sort_link = re.search(r'href="([^"]+sort=who[^"]*)"', page.text).group(1)
    assert "action=widget.moved" in html.unescape(sort_link)
    remove_who = "/audit/?action=widget.moved&entity=widget"
    assert f'href="{html.escape(remove_who)}"' in page.text  # the "Who" tag drops only "who"
    assert "someone else" not in text

    on_the_day = client.get("/audit/?action=widget.moved&day=10 3 2026").text
    assert _count(on_the_day)[:2] == ["1", "entry"] and ">widget old</a>" in on_the_day
    assert _count(client.get("/audit/?action=widget.moved&day=11/03/2026").text)[0] == "No"
    bad = client.get("/audit/?action=widget.moved&day=tomorrow")
    assert bad.status_code == 200 and "is not a date, so it is not used" in bad.text
    assert _count(bad.text)[0] == "62"

    by_who = client.get("/audit/?action=widget.moved&sort=who&order=ascending").text
    assert "someone else" in _rows(by_who)[0] and "system" in _rows(by_who)[1]  # not by case
    assert client.get("/audit/?action=nonsense.value").status_code == 200  # an unknown option is dropped


def test_the_audit_list_swaps_only_its_results_for_htmx(client, staff, db_session, htmx_headers):
    staff.login_as("admin")
    resp = client.get("/audit/?sort=what&order=ascending", headers={**htmx_headers, "HX-Target": "list"})
    assert resp.status_code == 200
    assert resp.text.lstrip().startswith('<div id="list"') and "<h1" not in resp.text


def test_a_page_link_swaps_only_the_results_not_the_filters(client, staff, db_session, htmx_headers):
    """The filters do not change from page to page, so a page link asks for the results alone: a
    smaller fragment and no filter panel rendered again (rule SCR-64)."""
    staff.login_as("manager")
    for i in range(60):
        audit.record(db_session, "test", "thing.counted", "thing", i)
    db_session.flush()
    page = client.get("/audit/?action=thing.counted").text
    next_link = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]+)" rel="next"([^>]*)>', page)
    href = html.unescape(next_link.group(1))
    assert f'hx-get="{next_link.group(1)}"' in next_link.group(2) and 'hx-target="#list-results"' in next_link.group(2)
    sort_link = re.search(r'<a class="govuk-link govuk-link--no-visited-state app-sort-link"[^>]*>', page).group(0)
    assert 'hx-target="#list"' in sort_link  # a new sort changes the filter form's hidden sort: the whole list
    resp = client.get(href, headers={**htmx_headers, "HX-Target": "list-results"})
    assert resp.status_code == 200
    assert resp.text.lstrip().startswith('<div id="list-results">')
    assert "moj-filter" not in resp.text and "<h1" not in resp.text
    assert len(_rows(resp.text)) == 10 and 'aria-current="page">2<' in resp.text
    whole = client.get(href, headers={**htmx_headers, "HX-Target": "list"}).text
    assert whole.lstrip().startswith('<div id="list"') and "moj-filter" in whole


def test_the_audit_log_is_for_managers_and_administrators(client, staff):
    staff.login_as("dfg_caseworker")
    assert client.get("/audit/?action=thing.counted").status_code == 403
    assert 'href="/audit/' not in client.get("/staff").text


# Staff accounts ------------------------------------------------------------------------------------

def _user(session, n: int, role: str, active: bool = True) -> User:
    user = User(email=f"list-{n:03d}@test.council.example", name=f"Listed {n:03d}", password_hash="x",
                active=active, roles=[UserRole(role=role)])
    session.add(user)
    return user


def test_the_staff_list_filters_sorts_and_reaches_the_last_account(client, staff, db_session):
    staff.login_as("admin")
    for n in range(70):
        _user(db_session, n, "stores_officer" if n % 2 else "dfg_caseworker", active=n != 3)
    db_session.flush()
    total = db_session.scalar(select(func.count()).select_from(User))
    pages = _walk(client, "/admin/staff")
    assert len(pages) == -(-total // 50) and sum(len(_rows(p)) for p in pages) == total
    assert "Listed 003" in pages[-1]  # active accounts first, so the one disabled account is last
    assert "Add a member of staff" in pages[0]

    stores = _walk(client, "/admin/staff?role=stores_officer&q=listed")
    assert [len(_rows(p)) for p in stores] == [35]
    assert all("Stores officer" in row for row in _rows(stores[0]))
    disabled = client.get("/admin/staff?status=disabled").text
    assert _count(disabled)[:2] == ["1", "account"] and "Listed 003" in disabled
    by_name = client.get("/admin/staff?q=listed&sort=name&order=descending").text
    assert "Listed 069" in _rows(by_name)[0] and "Listed 020" in _rows(by_name)[-1]
    assert 'href="/admin/staff?q=listed&amp;sort=name&amp;order=descending&amp;page=2"' in by_name


def test_the_staff_list_is_for_administrators_only(client, staff):
    staff.login_as("manager")
    assert client.get("/admin/staff?role=admin").status_code == 403


# The outbox ----------------------------------------------------------------------------------------

def test_the_outbox_filters_by_status_and_reaches_the_last_message(client, staff, db_session):
    staff.login_as("admin")
    for n in range(55):
        db_session.add(Notification(template="test_message", channel="sms" if n % 5 == 0 else "email",
                                    to=f"person{n:02d}@example.com", subject=f"Message {n:02d}", body="Hello",
                                    status="failed" if n % 5 == 0 else "outbox", attempts=5 if n % 5 == 0 else 0,
                                    last_error="refused" if n % 5 == 0 else None))
    db_session.flush()
    total = db_session.scalar(select(func.count()).select_from(Notification))
    pages = _walk(client, "/admin/outbox/")
    assert sum(len(_rows(p)) for p in pages) == total and len(pages) == -(-total // 50)
    assert "person00@example.com" in pages[-1]  # newest first: the first message written is last

    failed = client.get("/admin/outbox/?status=failed").text
    assert _count(failed)[:2] == ["11", "messages"] and failed.count("Try again") == 11
    assert "person01@example.com" not in failed and "Selected filters" in failed
    assert _count(client.get("/admin/outbox/?status=failed&channel=email").text)[0] == "No"
    found = client.get("/admin/outbox/?q=Message 07").text
    assert _count(found)[:2] == ["1", "message"]
    by_to = client.get("/admin/outbox/?q=person&sort=to&order=ascending").text
    assert "person00@example.com" in _rows(by_to)[0]


def test_a_list_past_the_count_limit_says_more_than_and_how_to_find_the_rest(client, staff, db_session,
                                                                           monkeypatch):
    from portal.web import lists

    monkeypatch.setattr(lists, "COUNT_LIMIT", 100)
    staff.login_as("manager")
    for i in range(120):
        audit.record(db_session, "test", "thing.counted", "thing", i)
    db_session.flush()
    pages = _walk(client, "/audit/?action=thing.counted")
    assert _count(pages[0])[:4] == ["More", "than", "100", "entries"]
    assert "Filter, search or sort the other way to find the rest" in pages[0]
    assert len(pages) == 2 and sum(len(_rows(p)) for p in pages) == 100
