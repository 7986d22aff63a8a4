"""Notifications: one `send()` entry point.

Without NOTIFY_API_KEY the outbox table is the destination (admins read it in the portal).
With a key, rows wait as `pending` and are delivered through GOV.UK Notify after the response
(or by `flask notify-deliver`); a failure is recorded and retried with back-off, never lost,
and never fails the user's request.
"""

import logging
from datetime import timedelta

from flask import current_app, g, has_request_context
from flask_babel import force_locale, gettext
from sqlalchemy import func, or_, select

from portal.notify.models import Notification
from portal.notify.templates import TEMPLATES, render
from portal.timeutil import utcnow
from portal.web.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.web.lists import PAGE_SIZE, Page, ordered, paginate

log = logging.getLogger("portal.notify")


def send(session, template: str, to: str, personalisation: dict | None = None,
         channel: str = "email", language: str | None = None) -> Notification:
    """Write a message to the outbox, in ``language`` (the language the person used; English
    when not known): the template's words and any translated words in ``personalisation``."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown notification template {template!r}")
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    with force_locale(language):
        data = {"service_name": gettext(current_app.config["SERVICE_NAME"]), **(personalisation or {})}
        data = {key: value if isinstance(value, int | float | bool | None) else str(value)
                for key, value in data.items()}  # translated words (lazy strings) as text, for the JSON column
    subject, body = render(template, data, language)
    has_provider = bool(current_app.config.get("NOTIFY_API_KEY"))
    note = Notification(
        template=template, channel=channel, to=to.strip(), personalisation=data, language=language,
        subject=subject, body=body, status="pending" if has_provider else "outbox",
        next_attempt_at=utcnow() if has_provider else None,
    )
    session.add(note)
    if has_provider and has_request_context():
        g.notifications_queued = True
    return note


def mobile_number(phone: str | None) -> str | None:
    """The number as a UK mobile (07..., 11 digits) that a text message can go to, else None."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("0044"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = "0" + digits[2:].lstrip("0")
    return digits if len(digits) == 11 and digits.startswith("07") else None


class NotifyBackend:
    """GOV.UK Notify through notifications-python-client."""

    def __init__(self, api_key: str, template_ids: dict[str, str]) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key)
        self.template_ids = template_ids

    def deliver(self, note: Notification) -> str:
        template_id = (self.template_ids.get(f"{note.template}_{note.language}")
                       or self.template_ids[note.template])  # a Welsh template under "<name>_cy"
        if note.channel == "sms":
            resp = self.client.send_sms_notification(
                phone_number=note.to, template_id=template_id,
                personalisation=note.personalisation, reference=str(note.id))
        else:
            resp = self.client.send_email_notification(
                email_address=note.to, template_id=template_id,
                personalisation=note.personalisation, reference=str(note.id))
        return resp["id"]


def backend_from_config():
    key = current_app.config.get("NOTIFY_API_KEY")
    if not key:
        return None
    return NotifyBackend(key, current_app.config.get("NOTIFY_TEMPLATE_IDS", {}))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


def deliver_due(session, backend, limit: int = 50) -> dict[str, int]:
    """Try each due message once. Returns counts of sent and failed."""
    now = utcnow()
    stmt = (
        select(Notification)
        .where(Notification.status == "pending",
               or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.id)
        .limit(limit)
    )
    counts = {"sent": 0, "failed": 0}
    max_attempts = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    for note in session.scalars(stmt).all():
        note.attempts += 1
        try:
            note.provider_id = backend.deliver(note)
        except Exception as exc:  # any provider failure is recorded, never raised
            note.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
            note.next_attempt_at = now + retry_delay(note.attempts)
            if note.attempts >= max_attempts:
                note.status = "failed"
            counts["failed"] += 1
            log.warning("notification %s failed (attempt %s)", note.id, note.attempts)
        else:
            note.status = "sent"
            note.sent_at = now
            note.last_error = None
            counts["sent"] += 1
        session.commit()
    return counts


def retry(session, note_id: int) -> Notification:
    note = session.get(Notification, note_id)
    if note is None or note.status != "failed":
        raise ValueError("only a failed message can be retried")
    note.status = "pending"
    note.next_attempt_at = utcnow()
    return note


OUTBOX_SORTS = {"written": Notification.id, "to": Notification.to, "status": Notification.status}


def outbox(session, *, status: str = "", channel: str = "", search: str = "", sort: str | None = "written",
           descending: bool = True, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """A page of the outbox, newest first unless sorted by another column (OUTBOX_SORTS); `search`
    matches part of the address or the subject."""
    stmt = select(Notification)
    if status:
        stmt = stmt.where(Notification.status == status)
    if channel:
        stmt = stmt.where(Notification.channel == channel)
    if search:
        needle = search.lower()
        stmt = stmt.where(func.lower(Notification.to).contains(needle, autoescape=True)
                          | func.lower(Notification.subject).contains(needle, autoescape=True))
    stmt = stmt.order_by(*ordered(OUTBOX_SORTS, sort, descending, Notification.id.desc()))
    return paginate(session, stmt, page, size)
