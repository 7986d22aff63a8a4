"""Referrals: intake, who may do what, the state machine, the assessment, clocks and the queue.

One package, one module per concern; callers import from here (`from portal.referrals import
services; services.claim(...)`).
"""

from portal.referrals.services.access import (
    ACTION_ROLES,
    allowed_actions,
    assessors,
    can_open,
    get_for,
    may_assess,
    require,
)
from portal.referrals.services.assessment import assessment_for, complete_assessment
from portal.referrals.services.clocks import (
    NO_RUNNING_CLOCK,
    assessment_reading,
    clock_reading,
    contact_reading,
    elapsed_wait,
    recompute_clocks,
)
from portal.referrals.services.intake import (
    DISCHARGE_DATE_NEEDED,
    REFERENCE_ALPHABET,
    Received,
    create_referral,
    discharge_date_missing,
    find_by_submission_key,
    new_reference,
    new_submission_key,
    receive_referral,
)
from portal.referrals.services.public import NEXT_STEPS, PUBLIC_STATUS, PublicStatus, notify_person, public_status
from portal.referrals.services.queries import (
    QueueFilters,
    QueueRow,
    caseload,
    for_person,
    latest_id,
    newer_than,
    queue,
)
from portal.referrals.services.transitions import (
    claim,
    close,
    decline,
    escalate_to_ot,
    link_person,
    pause,
    reassign,
    record_first_contact,
    resume,
    return_to_referrer,
    route,
    set_priority,
    signpost,
    withdraw,
)

__all__ = [
    "ACTION_ROLES", "DISCHARGE_DATE_NEEDED", "NEXT_STEPS", "NO_RUNNING_CLOCK", "PUBLIC_STATUS", "REFERENCE_ALPHABET",
    "discharge_date_missing",
    "PublicStatus", "QueueFilters", "QueueRow", "Received", "allowed_actions", "assessment_for",
    "assessment_reading", "assessors", "can_open", "caseload", "claim", "clock_reading", "close", "receive_referral",
    "complete_assessment", "contact_reading", "create_referral", "decline", "elapsed_wait",
    "escalate_to_ot", "find_by_submission_key", "for_person", "get_for", "latest_id",
    "link_person", "may_assess", "new_reference", "new_submission_key", "newer_than", "notify_person",
    "pause", "public_status", "queue", "reassign", "recompute_clocks", "require", "record_first_contact", "resume",
    "return_to_referrer", "route", "set_priority", "signpost", "withdraw",
]
