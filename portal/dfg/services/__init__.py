"""Disabled Facilities Grant rules: every action, state change, money rule, clock and upload check.

Plain functions `f(session, actor, ...)`; views, the CLI and tests all come through here, and
`allowed_actions(user, case)` decides every action. Split by concern: `workflow` (stages, who may
do what), `cases` (enquiry, details, OT, quotes, stage moves), `money` (test of resources, grant,
payments), `evidence` (uploads), `clocks` and `queries` (queue, budget, figures).
Settings are read with `portal.config.setting` (DFG_MAX_GRANT, DFG_MIN_QUOTES, DFG_REVIEW_DAYS ...).
"""

from portal.dfg.models import MAX_EVIDENCE_BYTES
from portal.dfg.services._common import (
    PENNY,
    ZERO,
    MoneyRuleBroken,
    UploadRejected,
    get_case,
    money_setting,
    to_money,
)
from portal.dfg.services.cases import (
    add_quote,
    choose_quote,
    complete,
    create_enquiry,
    find_by_submission_key,
    new_reference,
    receive_application,
    record_case_view,
    record_landlord_consent,
    record_ot_recommendation,
    refuse,
    request_ot,
    request_review,
    start_eligibility,
    start_survey,
    start_works,
    update_details,
    withdraw,
    withdraw_quote,
)
from portal.dfg.services.child import age_on, application_date, correct_date_of_birth, is_child_on
from portal.dfg.services.clocks import case_clocks, clock_for, deadline_expr
from portal.dfg.services.evidence import (
    check_upload,
    evidence_for_download,
    scan_for_malware,
    store_evidence,
    upload_dir,
    upload_limit_bytes,
    upload_limit_mb,
)
from portal.dfg.services.money import (
    ApprovalCheck,
    GrantSum,
    approve,
    calculate_contribution,
    check_approval,
    check_approve,
    close_as_paid,
    explain,
    grant_due,
    grant_limit,
    grant_sum,
    instalment_limit,
    instalment_share,
    payable_now,
    record_payment,
    record_test_of_resources,
)
from portal.dfg.services.queries import (
    SORTS,
    Page,
    QueueFilters,
    budget,
    figures,
    financial_year,
    late_decisions,
    queue,
)
from portal.dfg.services.workflow import (
    ACTIONS,
    TRANSITIONS,
    allowed_actions,
    begin,
    can_move,
    may_act,
    stage_durations,
    transition,
    why_not,
)

__all__ = [
    "ApprovalCheck", "SORTS", "begin", "check_approve",
    "GrantSum", "age_on", "application_date", "correct_date_of_birth", "explain", "grant_due", "grant_sum",
    "instalment_limit", "instalment_share", "is_child_on", "late_decisions", "payable_now", "withdraw_quote",
    "ACTIONS", "MAX_EVIDENCE_BYTES", "PENNY", "TRANSITIONS", "ZERO", "MoneyRuleBroken", "Page", "QueueFilters",
    "UploadRejected", "add_quote", "allowed_actions", "approve", "budget", "calculate_contribution", "can_move",
    "case_clocks", "check_approval", "check_upload", "choose_quote", "clock_for", "close_as_paid", "complete",
    "create_enquiry", "deadline_expr", "evidence_for_download", "figures", "financial_year",
    "find_by_submission_key", "get_case", "grant_limit", "may_act", "money_setting", "new_reference", "queue",
    "receive_application", "record_case_view", "record_landlord_consent", "record_ot_recommendation",
    "record_payment", "record_test_of_resources", "refuse", "request_ot", "request_review", "scan_for_malware",
    "stage_durations", "start_eligibility", "start_survey", "start_works", "store_evidence", "to_money",
    "transition", "update_details", "upload_dir", "upload_limit_bytes", "upload_limit_mb", "why_not", "withdraw",
]
