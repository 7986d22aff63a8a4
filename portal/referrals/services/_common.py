"""The audit row every referral change writes (and the email when its state moves)."""

from portal.audit import services as audit
from portal.referrals.models import Referral
from portal.referrals.services.public import notify_person


def audit_change(session, actor, referral: Referral, action: str, **details) -> None:
    audit.record(session, actor, f"referral.{action}", "referral", referral.id, reference=referral.reference,
                 state=referral.state, **details)
    if getattr(referral, "_state_seen", referral.state) != referral.state:
        notify_person(session, referral)
        referral._state_seen = referral.state
