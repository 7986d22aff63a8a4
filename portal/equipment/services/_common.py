"""Small rules shared by the equipment services: targets, due dates and inspection dates."""

import re
from datetime import date, datetime

from portal.config import setting
from portal.timeutil import london_date
from portal.web.bank_holidays import bank_holidays
from portal.web.clocks import add_months, add_working_days

DEFAULT_TARGETS = {"urgent": 1, "standard": 7, "collection": 5}  # working days
IN_STORE = ("available", "reserved", "awaiting_cleaning", "in_repair")
TAG_FORMAT = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
TAG_HINT = "letters, digits and hyphens, up to 40 characters, like CEN-000123"


def clean_tag(raw: str | None) -> str:
    """A tag as typed or scanned, upper-cased; a scanned QR label may carry the asset page's address,
    so only its last part counts."""
    return (raw or "").strip().upper().rstrip("/").rsplit("/", 1)[-1]


def valid_tag(tag: str) -> bool:
    return TAG_FORMAT.fullmatch(tag) is not None


def targets() -> dict:
    """Delivery and collection targets in working days; override with EQUIPMENT_TARGETS."""
    return {**DEFAULT_TARGETS, **(setting("EQUIPMENT_TARGETS") or {})}


def due_after(start: datetime, working_days: int) -> date:
    if working_days <= 0:
        return london_date(start)
    return london_date(add_working_days(start, working_days, bank_holidays()))


def next_inspection(last: date | None, months: int | None) -> date | None:
    """Next inspection = last inspection + the product's interval in months (end-of-month clamped)."""
    if last is None or not months:
        return None
    return add_months(last, months)


def warranty_end(start: date | None, months: int | None) -> date | None:
    if start is None or months is None:
        return None
    return add_months(start, months)
