"""Fault tests (RELIABILITY.md §6.2): the database goes away mid-request, SQLite is locked, the
notification provider fails, and a crash in the middle of a transition. Each checks what the user
sees (a clear page in the layout, never a traceback) AND what really reached the database."""

import sqlite3
from datetime import timedelta

import psycopg
import pytest
from freezegun import freeze_time
from sqlalchemy import event, func, select, text

from portal.audit import services as audit_services
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notify.models import Notification
from portal.referrals.models import Referral
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.integration.proof.conftest import PG, build_app, commit_referral, make_staff, sign_in

LAYOUT_MARK = "govuk-template__header"


def _state(app, rid):
    with app.app_context():
        referral = db.session.get(Referral, rid)
        audits = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(rid),
            AuditEvent.action != "referral.created"))
        out = (referral.state, referral.assigned_to_id, referral.version, audits)
        db.session.remove()
    return out


def _plain_url(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")


# (a) PostgreSQL connection killed ----------------------------------------------------------

@pytest.mark.skipif(not PG, reason="kills PostgreSQL backends: runs with PORTAL_TEST_BACKEND=postgresql")
def test_connection_killed_during_a_request_gives_503_and_writes_nothing(real_app, monkeypatch):
    rid = commit_referral(real_app)
    _, email = make_staff(real_app, "triage_officer")
    client = real_app.test_client()
    sign_in(client, email)
    token = csrf_from(client.get(f"/referrals/{rid}").text)
    before = _state(real_app, rid)
    original = audit_services.record

    def kill_then_record(session, *args, **kwargs):
        session.flush()  # the referral's UPDATE has reached the server, not yet committed
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(_plain_url(real_app), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return original(session, *args, **kwargs)

    monkeypatch.setattr(audit_services, "record", kill_then_record)
    resp = client.post(f"/referrals/{rid}/claim", data={"csrf_token": token, "version": before[2]})
    monkeypatch.undo()
    assert resp.status_code == 503, resp.text[:500]
    assert resp.headers["Retry-After"] == "30"
    assert "Sorry, the service is unavailable" in resp.text and "Nothing was saved" in resp.text
    assert LAYOUT_MARK in resp.text and "Traceback" not in resp.text
    assert _state(real_app, rid) == before  # nothing half-written
    # the very next request works: the dead connection was discarded
    assert client.get(f"/referrals/{rid}").status_code == 200
    again = client.post(f"/referrals/{rid}/claim", data={"csrf_token": token, "version": before[2]})
    assert again.status_code == 303
    assert _state(real_app, rid)[1] is not None


@pytest.mark.skipif(not PG, reason="kills PostgreSQL backends: runs with PORTAL_TEST_BACKEND=postgresql")
def test_pooled_connections_killed_between_requests_are_replaced(real_app):
    _, email = make_staff(real_app, "triage_officer")
    client = real_app.test_client()
    sign_in(client, email)
    assert client.get("/referrals").status_code == 200
    with psycopg.connect(_plain_url(real_app), autocommit=True) as other:
        killed = other.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "  # waits until gone
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]
    assert killed >= 1
    for _ in range(3):  # each pooled connection the server closed is replaced at checkout
        assert client.get("/referrals").status_code == 200


# (b) SQLite busy ---------------------------------------------------------------------------

@pytest.mark.skipif(PG, reason="SQLite locking; PostgreSQL has row locks")
def test_sqlite_locked_gives_a_clear_503_with_retry_after_and_no_partial_write(tmp_path):
    path = tmp_path / "locked.db"
    app = build_app(f"sqlite:///{path}")
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _short_busy_timeout(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA busy_timeout=150")

        db.engine.dispose()
    rid = commit_referral(app)
    _, email = make_staff(app, "triage_officer")
    client = app.test_client()
    sign_in(client, email)
    token = csrf_from(client.get(f"/referrals/{rid}").text)
    before = _state(app, rid)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        resp = client.post(f"/referrals/{rid}/claim", data={"csrf_token": token, "version": before[2]})
        htmx = client.post(f"/referrals/{rid}/claim", data={"csrf_token": token, "version": before[2]},
                           headers={"HX-Request": "true", "HX-Target": f"referral-row-{rid}"})
    finally:
        blocker.rollback()
        blocker.close()
    assert resp.status_code == 503, resp.text[:500]
    assert resp.headers["Retry-After"] == "30"
    assert "Nothing was saved" in resp.text, resp.text
    assert LAYOUT_MARK in resp.text
    assert htmx.status_code == 503 and htmx.headers["HX-Retarget"] == "#error-region"
    assert LAYOUT_MARK not in htmx.text  # a fragment for htmx
    assert _state(app, rid) == before
    ok = client.post(f"/referrals/{rid}/claim", data={"csrf_token": token, "version": before[2]})
    assert ok.status_code == 303  # the lock is gone: the same form now works
    with app.app_context():
        db.engine.dispose()


# (c) the notification provider fails --------------------------------------------------------

class FailingBackend:
    calls = 0

    def deliver(self, note):
        FailingBackend.calls += 1
        raise ConnectionError("GOV.UK Notify is unreachable")


class WorkingBackend:
    def deliver(self, note):
        return f"notify-{note.id}"


def test_a_failing_notification_backend_does_not_fail_the_action_and_is_retried(real_app, monkeypatch):
    from portal.notify import services as notify_services
    from tests.integration.referrals.test_public import fill_journey

    real_app.config.update(NOTIFY_API_KEY="test-key", NOTIFY_DELIVER_INLINE=True)
    monkeypatch.setattr(notify_services, "backend_from_config", lambda: FailingBackend())
    FailingBackend.calls = 0
    client = real_app.test_client()
    check = fill_journey(client)
    key = check.text.split('name="submission_key" value="')[1].split('"')[0]
    resp = client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text), "submission_key": key})
    resp.close()  # runs the after-response delivery (call_on_close), as the WSGI server would
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/ask-for-help/done")
    assert FailingBackend.calls == 1
    with real_app.app_context():
        referral = db.session.scalar(select(Referral).where(Referral.submission_key == key))
        assert referral is not None  # the person's request is safe
        note = db.session.scalar(select(Notification).where(Notification.to == "sara@example.com"))
        assert note.status == "pending" and note.attempts == 1 and "unreachable" in note.last_error
        assert note.next_attempt_at > utcnow()
        assert notify_services.deliver_due(db.session, WorkingBackend()) == {"sent": 0, "failed": 0}  # backing off
        with freeze_time(utcnow() + timedelta(minutes=2)):
            assert notify_services.deliver_due(db.session, WorkingBackend()) == {"sent": 1, "failed": 0}
        db.session.expire_all()
        note = db.session.get(Notification, note.id)
        assert note.status == "sent" and note.attempts == 2 and note.last_error is None
        db.session.remove()


# (d) a crash mid-transition -----------------------------------------------------------------

@pytest.mark.parametrize("action,data", [
    ("decline", {"reason": "Not eligible", "confirmed": "yes"}),  # past its check step
    ("claim", {}),
])
def test_a_crash_mid_transition_leaves_the_record_as_it_was(real_app, monkeypatch, action, data):
    rid = commit_referral(real_app)
    _, email = make_staff(real_app, "triage_officer")
    client = real_app.test_client()
    sign_in(client, email)
    token = csrf_from(client.get(f"/referrals/{rid}").text)
    before = _state(real_app, rid)
    seen = {}

    def crash(session, actor, action_name, entity_type, entity_id, **details):
        referral = session.get(Referral, entity_id)
        seen["in_memory"] = (referral.state, referral.assigned_to_id)
        raise RuntimeError("the audit store fell over")

    monkeypatch.setattr(audit_services, "record", crash)
    resp = client.post(f"/referrals/{rid}/{action}", data={"csrf_token": token, "version": before[2], **data})
    monkeypatch.undo()
    assert resp.status_code == 500
    assert "Sorry, there is a problem with the service" in resp.text and "Traceback" not in resp.text
    assert seen["in_memory"] != before[:2]  # the change had happened in memory...
    assert _state(real_app, rid) == before  # ...and none of it reached the database
