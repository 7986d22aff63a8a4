"""Who may open a referral, and what each person may do with it now (DESIGN.md 5, "Who may do what").

`allowed_actions` is the one answer: the referral page shows exactly these buttons, each route
checks its own action's roles, and every service function checks its action against it.

The rules (DESIGN.md 4 "Referral", DOMAIN.md W3/W4):
- a triage officer screens: sets the priority, routes (TA or OT), signposts, returns to the
  referrer and declines; works the case (claim, first contact, pause, withdraw) until it is assessed;
- a trusted assessor or OT claims and assesses what is routed to them (a TA only non-complex cases
  within their level; an OT also a TA's case); a TA escalates a case to an OT; the assessor who
  holds the case works it (first contact, pause, withdraw, close, order the equipment);
- triage officers, OTs and managers reassign; managers otherwise only view.
"""

from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import User
from portal.auth.roles import MANAGER, OCCUPATIONAL_THERAPIST, TRIAGE_OFFICER, TRUSTED_ASSESSOR
from portal.errors import NotAllowed, NotFound, check_version, require_action
from portal.referrals.models import OPEN_STATES, STATES, Referral

ASSESSOR_ROLES = (TRUSTED_ASSESSOR, OCCUPATIONAL_THERAPIST)
CASE_WORKERS = (TRIAGE_OFFICER, *ASSESSOR_ROLES)
PRE_ASSESSMENT = ("submitted", "screened", "awaiting_assessment")

# Every role that can ever take each action: the route's @staff(...) rule and the services' 403.
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "claim": CASE_WORKERS,
    "first_contact": CASE_WORKERS,
    "pause": CASE_WORKERS,
    "resume": CASE_WORKERS,
    "withdraw": CASE_WORKERS,
    "priority": (TRIAGE_OFFICER,),
    "route": (TRIAGE_OFFICER,),
    "decline": (TRIAGE_OFFICER,),
    "return": (TRIAGE_OFFICER,),
    "signpost": (TRIAGE_OFFICER,),
    "link_person": (TRIAGE_OFFICER,),
    "request_telecare": (TRIAGE_OFFICER,),
    "escalate": (TRUSTED_ASSESSOR,),
    "assessment": ASSESSOR_ROLES,
    "close": ASSESSOR_ROLES,
    "order_equipment": ASSESSOR_ROLES,
    "reassign": (TRIAGE_OFFICER, OCCUPATIONAL_THERAPIST, MANAGER),
}


def can_open(user: User, referral) -> bool:
    """Object-level rule: triage and managers see everything; assessors see their pool and their cases."""
    if user.has_role(TRIAGE_OFFICER, MANAGER):
        return True
    if referral.assigned_to_id == user.id and user.has_role(*ASSESSOR_ROLES):
        return True
    if user.has_role(OCCUPATIONAL_THERAPIST) and referral.route == "occupational_therapist":
        return True
    return user.has_role(TRUSTED_ASSESSOR) and _in_ta_pool(user, referral)


def _in_ta_pool(user: User, referral) -> bool:
    return (referral.route == "trusted_assessor" and referral.complex is False
            and (referral.ta_level_required or 3) <= (user.trusted_assessor_level or 0))


def get_for(session, user: User, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None or not can_open(user, referral):
        raise NotFound(_("There is no referral with that number, or it is not yours to open"))
    return referral


def may_assess(user: User, referral) -> bool:
    """The kind of assessor the route asks for: an OT for an OT case; a TA of the level needed
    (or an OT) for a TA case."""
    if referral.route == "occupational_therapist":
        return user.has_role(OCCUPATIONAL_THERAPIST)
    if referral.route == "trusted_assessor":
        return user.has_role(OCCUPATIONAL_THERAPIST) or (
            user.has_role(TRUSTED_ASSESSOR) and _in_ta_pool(user, referral))
    return False


def _recommendations(referral) -> list[str]:
    assessment = getattr(referral, "assessment", None)
    return list(assessment.recommendations) if assessment is not None else []


def allowed_actions(user: User, referral) -> frozenset[str]:
    """Every action this person may take on this referral now. The names are the route endpoints
    (without the blueprint), plus "order_equipment" and "request_telecare", the links into the
    equipment and telecare features. Reads only the referral's columns (and its assessment when it
    is assessed), so it also works for the queue's plain rows."""
    if not user.is_authenticated or not can_open(user, referral) or referral.state not in OPEN_STATES:
        return frozenset()
    state, mine = referral.state, referral.assigned_to_id == user.id
    unassigned = referral.assigned_to_id is None
    paused = referral.paused_since is not None
    triage = user.has_role(TRIAGE_OFFICER)
    assessor = state == "awaiting_assessment" and may_assess(user, referral) and (mine or unassigned)
    works = mine or (triage and state in PRE_ASSESSMENT)
    allowed: set[str] = set()
    if unassigned and ((triage and state in ("submitted", "screened")) or assessor):
        allowed.add("claim")
    if works:
        allowed.add("withdraw")
        allowed.add("resume" if paused else "pause")
        if referral.first_contact_at is None:
            allowed.add("first_contact")
    if triage:
        allowed |= {"decline", "link_person"}
        if state in PRE_ASSESSMENT:
            allowed |= {"priority", "route"} | (set() if paused else {"return"})
        if state in ("submitted", "screened"):
            allowed.add("signpost")
    if assessor:
        allowed.add("assessment")
        if referral.route == "trusted_assessor" and user.has_role(TRUSTED_ASSESSOR):
            allowed.add("escalate")
    if state == "assessed":
        recommended = _recommendations(referral)
        if mine and user.has_role(*ASSESSOR_ROLES):
            allowed.add("close")
            if "equipment" in recommended:
                allowed.add("order_equipment")
        if triage and "telecare" in recommended:
            allowed.add("request_telecare")
    if user.has_role(*ACTION_ROLES["reassign"]):
        allowed.add("reassign")
    return frozenset(allowed)


def _why_not(user: User, referral: Referral, action: str) -> str:
    """The reason an action is closed, in the person's words."""
    if not referral.is_open:
        return f"it is {STATES[referral.state].lower()}"
    if action in ("pause", "return") and referral.paused_since is not None:
        return "the clock is already paused"
    if action == "resume" and referral.paused_since is None:
        return "the clock is not paused"
    if action == "first_contact" and referral.first_contact_at is not None:
        return "first contact has already been recorded"
    if action == "escalate" and referral.route == "occupational_therapist":
        return "it is already with an occupational therapist"
    if referral.assigned_to_id is not None and referral.assigned_to_id != user.id:
        return f"it is {STATES[referral.state].lower()} and assigned to {referral.assigned_to.name}"
    if action in ("claim", "assessment", "escalate") and referral.state == "awaiting_assessment":
        return "it needs a different kind of assessor"
    return f"it is {STATES[referral.state].lower()}"


def require(actor: User, referral: Referral, action: str, what: str, version: int | None) -> None:
    """The check at the top of every action: the page was not stale (409), the person's role can
    ever do this (403), and it is open to them now (422)."""
    check_version(referral, version, f"Referral {referral.reference}")
    if not actor.has_role(*ACTION_ROLES[action]):
        raise NotAllowed(_("Your role cannot %(what)s a referral", what=what))
    referral._state_seen = referral.state
    require_action(allowed_actions(actor, referral), action,
                   f"You cannot {what} referral {referral.reference} now: {_why_not(actor, referral, action)}.")


def assessors(session) -> list[User]:
    from portal.auth.models import UserRole

    stmt = (select(User).join(UserRole).where(UserRole.role.in_(ASSESSOR_ROLES), User.active.is_(True))
            .order_by(User.name).distinct())
    return list(session.scalars(stmt))
