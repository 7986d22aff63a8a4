"""Times are stored as naive UTC; pages show Europe/London."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def to_london(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(LONDON)
