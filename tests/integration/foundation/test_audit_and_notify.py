import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from portal.notify import services as notify
from portal.notify.models import Notification
from tests.conftest import csrf_from


def test_audit_rows_cannot_be_changed_or_deleted(db_session):
    event = audit.record(db_session, "test", "thing.done", "thing", 1, note="kept")
    db_session.flush()
    with pytest.raises(DatabaseError, match="audit_event is append-only"), db_session.begin_nested():
        db_session.execute(text("UPDATE audit_event SET action = 'rewritten' WHERE id = :id"),
                           {"id": event.id})
    with pytest.raises(DatabaseError, match="audit_event is append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": event.id})
    assert db_session.scalar(select(AuditEvent.action).where(AuditEvent.id == event.id)) == "thing.done"


def test_the_orm_cannot_rewrite_or_remove_an_audit_row_either(db_session):
    event = audit.record(db_session, "test", "thing.done", "thing", 1)
    db_session.flush()
    with pytest.raises(DatabaseError, match="audit_event is append-only"), db_session.begin_nested():
        event.action = "rewritten"
        db_session.flush()
    db_session.expire_all()
    with pytest.raises(DatabaseError, match="audit_event is append-only"), db_session.begin_nested():
        db_session.delete(db_session.get(AuditEvent, event.id))
        db_session.flush()
    db_session.expire_all()
    assert db_session.scalar(select(AuditEvent.action).where(AuditEvent.id == event.id)) == "thing.done"


def test_audit_history_page(client, staff, db_session):
    user = staff.login_as("manager")
    audit.record(db_session, user, "referral.viewed", "referral", 42, reason="test")
    db_session.flush()
    page = client.get("/audit/referral/42")
    assert page.status_code == 200
    assert "referral.viewed" in page.text and user.name in page.text


def test_notifications_go_to_the_outbox_without_notify(app, db_session):
    with app.test_request_context():
        note = notify.send(db_session, "test_message", "someone@example.com")
    db_session.flush()
    assert note.status == "outbox"
    assert note.subject == "Test message from TECS Portal"


class FlakyBackend:
    def __init__(self, failures: int):
        self.failures = failures
        self.sent = []

    def deliver(self, note):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("Notify is down")
        self.sent.append(note.id)
        return "provider-id-1"


def test_failed_notifications_are_kept_and_retried(app, db_session):
    app.config["NOTIFY_API_KEY"] = "fake-key"
    try:
        with app.test_request_context():
            note = notify.send(db_session, "test_message", "someone@example.com")
            db_session.flush()
            assert note.status == "pending"
            backend = FlakyBackend(failures=1)
            assert notify.deliver_due(db_session, backend) == {"sent": 0, "failed": 1}
            assert note.status == "pending" and note.attempts == 1
            assert "Notify is down" in note.last_error
            assert notify.deliver_due(db_session, backend) == {"sent": 0, "failed": 0}  # not due
            note.next_attempt_at = note.created_at
            assert notify.deliver_due(db_session, backend) == {"sent": 1, "failed": 0}
            assert note.status == "sent" and backend.sent == [note.id]
    finally:
        app.config["NOTIFY_API_KEY"] = ""


def test_notifications_stop_after_max_attempts_but_are_not_lost(app, db_session):
    app.config["NOTIFY_API_KEY"] = "fake-key"
    try:
        with app.test_request_context():
            note = notify.send(db_session, "test_message", "x@example.com")
            db_session.flush()
            backend = FlakyBackend(failures=100)
            for _ in range(app.config["NOTIFY_MAX_ATTEMPTS"]):
                note.next_attempt_at = None
                notify.deliver_due(db_session, backend)
            assert note.status == "failed"
            assert db_session.scalar(select(func.count()).select_from(Notification)) >= 1
            notify.retry(db_session, note.id)
            assert note.status == "pending"
    finally:
        app.config["NOTIFY_API_KEY"] = ""


def test_admin_reads_the_outbox(client, staff, db_session, app):
    staff.login_as("admin")
    with app.test_request_context():
        notify.send(db_session, "test_message", "resident@example.com")
    db_session.flush()
    page = client.get("/admin/outbox/")
    assert page.status_code == 200 and "resident@example.com" in page.text
    assert csrf_from(page.text)


def test_outbox_is_admin_only(client, staff):
    staff.login_as("manager")
    assert client.get("/admin/outbox/").status_code == 403


def test_a_long_email_address_still_fits_the_audit_row(db_session):
    """Seen on PostgreSQL: a 200-character address overflowed audit_event.actor and the sign-in failed."""
    from types import SimpleNamespace

    person = SimpleNamespace(id=7, name="Jo Bloggs", email="j" * 190 + "@council.example")
    event = audit.record(db_session, person, "thing.done", "thing", 1)
    db_session.flush()
    assert event.actor_id == 7 and len(event.actor) == 160 and event.actor.startswith("Jo Bloggs <jjj")
