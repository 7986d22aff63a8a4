"""Figures that agree, on the demo data (issue 17: rules REP-01 to REP-03).

The demo data is loaded as `flask seed-demo` loads it. Then, at several moments (now, and one and
seven days on, so more clocks have run out), the dashboard's "overdue now" count, the triage
queue filtered "Overdue only" and the clock shown on each queue row must all name the same
referrals, per priority and in total. Runs on SQLite and on PostgreSQL (PORTAL_TEST_BACKEND).
"""

import re
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.auth.models import User, UserRole
from portal.cli import DEMO_ACCOUNTS
from portal.extensions import db, limiter
from portal.referrals import services
from portal.referrals.models import OPEN_STATES, PRIORITIES, Referral
from portal.reports import queries
from portal.reports.queries import Filters
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.integration.proof.conftest import demo_app_on_its_own_database

PASSWORD = "demo figures password 2026"
LATER = (timedelta(0), timedelta(days=1), timedelta(days=7))


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    with demo_app_on_its_own_database(tmp_path_factory, "figures", PASSWORD) as app:
        yield app


def _manager():
    return db.session.scalars(select(User).join(UserRole).where(UserRole.role == "manager")).first()


def _queue_ids(user, now, **filters) -> list[int]:
    """Every referral the queue lists with these filters, page by page, as a person would see them."""
    return [row.id for row in _queue_rows(user, now, **filters)]


def _queue_rows(user, now, **filters) -> list:
    rows, number = [], 1
    while True:
        page = services.queue(db.session, user, services.QueueFilters(**filters), page=number, now=now)
        rows += page.items
        if number >= page.pages:
            return rows
        number += 1


def _queue_total(user, now, **filters) -> int:
    return services.queue(db.session, user, services.QueueFilters(**filters), page_size=1, now=now).total


@pytest.mark.parametrize("later", LATER, ids=["now", "tomorrow", "in a week"])
def test_the_dashboard_overdue_count_is_the_queue_filtered_overdue_only(demo_app, later):
    with demo_app.app_context():
        now = utcnow() + later
        manager = _manager()
        figures = queries.overdue_now(db.session, Filters(date(2026, 1, 1), date(2026, 1, 31), None, now))
        assert sum(o.open for o in figures) > 0
        for o in figures:
            assert o.overdue == _queue_total(manager, now, overdue=True, priority=o.priority), o.priority
            assert o.open == _queue_total(manager, now, priority=o.priority), o.priority
        assert sum(o.overdue for o in figures) == _queue_total(manager, now, overdue=True)
        if later:
            assert sum(o.overdue for o in figures) > 0, "the demo data should have overdue referrals"
        locality = demo_app.config["LOCALITIES"][0]
        by_place = queries.overdue_now(db.session, Filters(date(2026, 1, 1), date(2026, 1, 31), locality, now))
        assert sum(o.overdue for o in by_place) == _queue_total(manager, now, overdue=True, locality=locality)
        db.session.remove()


@pytest.mark.parametrize("later", LATER, ids=["now", "tomorrow", "in a week"])
def test_a_row_shown_overdue_is_counted_and_a_counted_row_is_shown_overdue(demo_app, later):
    with demo_app.app_context():
        now = utcnow() + later
        manager = _manager()
        every_open = _queue_ids(manager, now)
        assert len(every_open) == db.session.scalar(
            select(db.func.count()).select_from(Referral).where(Referral.state.in_(OPEN_STATES)))
        rows = {row.id: row for row in _queue_rows(manager, now)}
        shown_overdue = {i for i, row in rows.items() if services.clock_reading(row, now).status == "overdue"}
        filtered = set(_queue_ids(manager, now, overdue=True))
        assert shown_overdue == filtered
        figures = queries.overdue_now(db.session, Filters(date(2026, 1, 1), date(2026, 1, 31), None, now))
        assert sum(o.overdue for o in figures) == len(shown_overdue)
        # and the full referral (the referral page's clock) reads the same as its queue row
        for referral in db.session.scalars(select(Referral).where(Referral.state.in_(OPEN_STATES))):
            assert (services.clock_reading(referral, now).status == "overdue") == (referral.id in filtered)
        db.session.remove()


def _sign_in(client, role: str) -> None:
    email = next(e for e, _name, roles, _level in DEMO_ACCOUNTS if role in roles)
    page = client.get("/sign-in")
    resp = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303, resp.text[:300]


def _dashboard_overdue(html: str) -> dict[str, int]:
    table = html.split('id="table-responsiveness-overdue"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row"[^>]*>([^<]+)</th>\s*<td[^>]*>([\d,]+)</td>\s*<td[^>]*>([\d,]+)</td>', table)
    return {label.strip(): int(overdue.replace(",", "")) for label, _open, overdue in rows}


def _queue_caption(html: str) -> int:
    found = re.search(r'id="list-count"[^>]*>(\d[\d,]*) referral', html)
    return int(found.group(1).replace(",", "")) if found else 0


def test_the_pages_agree_the_dashboard_figure_and_the_overdue_only_queue(demo_app):
    limiter.reset()
    client = demo_app.test_client()
    with demo_app.app_context(), freeze_time(utcnow() + timedelta(days=1)):
        _sign_in(client, "manager")
        dashboard = _dashboard_overdue(client.get("/reports/waiting-times").text)
        assert set(dashboard) == set(PRIORITIES.values())
        headline = re.search(r'data-table="responsiveness-overdue">([\d,]+) of', client.get("/reports/").text)
        assert int(headline.group(1).replace(",", "")) == sum(dashboard.values())  # the headline figure too
        for key, label in PRIORITIES.items():
            queue = client.get(f"/referrals?overdue=yes&priority={key}")
            assert queue.status_code == 200
            assert _queue_caption(queue.text) == dashboard[label], label
        assert _queue_caption(client.get("/referrals?overdue=yes").text) == sum(dashboard.values())
        assert sum(dashboard.values()) > 0
