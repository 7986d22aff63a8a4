"""The assessment a trusted assessor or OT records, with care technology considered every time."""

from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import User
from portal.errors import Refusal
from portal.referrals.models import Assessment, Referral
from portal.referrals.services._common import audit_change
from portal.referrals.services.access import require
from portal.referrals.services.clocks import recompute_clocks
from portal.timeutil import utcnow

MONITORING_CHECKS = (
    ("consent_by", "Enter whose consent was given, or the best-interest decision"),
    ("capacity", "Select the outcome of the capacity decision"),
    ("less_restrictive", "Enter the less restrictive options you considered"),
)


def complete_assessment(session, actor: User, referral: Referral, *, outcomes_wanted: str, strengths: str,
                        needs_by_area: str, risks: str, tecs_considered: bool, tecs_what: str | None,
                        tecs_why_not: str | None, recommendations: list[str],
                        monitoring: dict | None = None, version: int | None = None) -> Assessment:
    require(actor, referral, "assessment", "complete the assessment for", version)
    if tecs_considered and not (tecs_what or "").strip():
        raise Refusal(_("Enter what care technology you considered"), field="tecs_what")
    if not tecs_considered and not (tecs_why_not or "").strip():
        raise Refusal(_("Enter why care technology was not considered"), field="tecs_why_not")
    monitoring = monitoring or {}
    if monitoring.get("devices"):
        for key, message in MONITORING_CHECKS:
            if not str(monitoring.get(key) or "").strip():
                raise Refusal(message, field=key)
    if not recommendations:
        raise Refusal(_("Select at least one recommendation"), field="recommendations")
    assessment = Assessment(
        referral_id=referral.id, assessor_id=actor.id, outcomes_wanted=outcomes_wanted.strip(),
        strengths=strengths.strip(), needs_by_area=needs_by_area.strip(), risks=risks.strip(),
        tecs_considered=tecs_considered, tecs_what=(tecs_what or "").strip() or None,
        tecs_why_not=(tecs_why_not or "").strip() or None, monitoring=monitoring,
        recommendations=sorted(set(recommendations)),
    )
    session.add(assessment)
    referral.assessment = assessment
    referral.state = "assessed"
    referral.assessed_at = utcnow()
    if referral.first_contact_at is None:
        referral.first_contact_at = referral.assessed_at
    if referral.assigned_to_id is None:
        referral.assigned_to_id = actor.id
    recompute_clocks(referral)
    audit_change(session, actor, referral, "assessed", recommendations=assessment.recommendations,
                 tecs_considered=tecs_considered)
    return assessment


def assessment_for(session, referral: Referral) -> Assessment | None:
    return session.scalar(select(Assessment).where(Assessment.referral_id == referral.id))
