"""A referral's history as the record layout's timeline (templates/macros/record.html `timeline`)."""

from dataclasses import dataclass
from datetime import datetime

from portal.audit.services import history
from portal.web.filters import actor_name


@dataclass(frozen=True)
class HistoryEntry:
    label: str
    by: str | None
    at: datetime
    text: str | None


def _label(action: str) -> str:
    return action.removeprefix("referral.").replace("_", " ").capitalize()


def referral_timeline(session, referral, limit: int = 50) -> list[HistoryEntry]:
    """What happened to the referral, newest first, from its audit trail (views are not events)."""
    return [HistoryEntry(_label(e.action), actor_name(e.actor), e.at, (e.details or {}).get("reason") or None)
            for e in history(session, "referral", referral.id, limit=limit) if not e.action.endswith("viewed")]
