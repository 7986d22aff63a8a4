"""The one clock. Times are stored as naive UTC; the council's day is the Europe/London day.

`today()` is the only way code asks for the date: the UTC date is a day out between midnight
and 1 am in summer, so nothing else may call `date.today()` or take `.date()` of a UTC time.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, as stored: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    """Now on the council's wall clock (aware, Europe/London)."""
    return datetime.now(LONDON)


def today() -> date:
    """The council's date (Europe/London)."""
    return now().date()


def to_london(value: datetime) -> datetime:
    """A stored (naive UTC) time, or an aware one, as London's clock shows it."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(LONDON)


def london_date(value: datetime) -> date:
    """The London date of a stored (naive UTC) time."""
    return to_london(value).date()
