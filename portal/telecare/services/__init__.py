"""Telecare rules: jobs and their state machine, the installer's steps, fitting and returning
devices (through the equipment ledger), connections, responders, the switchover and figures.

- Who may do what to a job is decided once, in `allowed_actions` (access); every service that
  performs an action checks it there first.
- Every job transition is one conditional UPDATE on the state and version that were read, with
  an audit row; an action not open now raises IllegalTransition with a plain-English message.
- A step is one row per (job, visit, step), inserted with ON CONFLICT DO NOTHING: a double tap or a
  replayed POST finds the existing row and records nothing new.
- Key safe codes are never stored: only "present: yes/no" and where it is. The location is shown
  only to the installer assigned to the job.

The public names are re-exported here: `from portal.telecare import services; services.create_job(...)`.
"""

from portal.telecare.services._common import (
    COORDINATORS,
    FIT_TYPES,
    INSTALLERS,
    OPTIONAL_STEPS,
    REQUIRED_STEPS,
    TERMINAL_STEPS,
    connection_for,
    fitted_devices,
    get_job,
    installers,
    is_digital_unit,
    is_unit,
    job_for_installer,
    missing_steps,
    slot_sort_key,
    steps_done,
    targets,
    valid_slot,
)
from portal.telecare.services.access import (
    ACTIONS,
    COORDINATOR_ACTIONS,
    INSTALLER_ACTIONS,
    allowed_actions,
    completion_blockers,
)
from portal.telecare.services.checks import (
    KEY_SAFE_MESSAGE,
    clean_text,
    code_patterns,
    looks_like_key_safe_code,
    parse_uk_phone,
    redact_key_safe_codes,
    uk_phone,
)
from portal.telecare.services.completion import complete_job
from portal.telecare.services.devices import fit_device
from portal.telecare.services.figures import figures
from portal.telecare.services.jobs import (
    SLOT_TIMES,
    BookingClash,
    DuplicateJob,
    cancel_job,
    create_job,
    due_after,
    open_job_of_type,
    schedule_job,
    slot_of,
    visit_span,
    works_on,
)
from portal.telecare.services.queries import (
    JOB_SORTS,
    VISITS,
    JobFilters,
    card,
    day_jobs,
    devices_for_person,
    due_clock,
    export_line_register,
    job_history,
    jobs_for_person,
    jobs_page,
    line_register,
    person_events,
    person_section,
    planner,
    view_connection,
    visit_clock,
)
from portal.telecare.services.steps import fail_job, no_access, reachable, record_step, reopen_devices
from portal.telecare.services.switchover import analogue_by_locality, create_switchover_batch, switchover_progress

__all__ = [
    "KEY_SAFE_MESSAGE", "SLOT_TIMES", "BookingClash", "DuplicateJob", "clean_text", "code_patterns",
    "looks_like_key_safe_code",
    "open_job_of_type", "parse_uk_phone", "reachable", "redact_key_safe_codes", "reopen_devices", "slot_of",
    "uk_phone", "visit_span", "works_on",
    "person_events", "JOB_SORTS", "VISITS", "JobFilters", "job_history",
    "ACTIONS", "COORDINATORS", "COORDINATOR_ACTIONS", "FIT_TYPES", "INSTALLERS", "INSTALLER_ACTIONS",
    "OPTIONAL_STEPS", "REQUIRED_STEPS", "TERMINAL_STEPS", "allowed_actions", "analogue_by_locality", "cancel_job",
    "card", "complete_job", "completion_blockers", "connection_for", "create_job", "create_switchover_batch",
    "day_jobs", "devices_for_person", "due_after", "due_clock", "export_line_register", "fail_job", "figures",
    "fit_device", "fitted_devices", "get_job", "installers", "is_digital_unit",
    "is_unit", "job_for_installer", "jobs_for_person", "line_register", "jobs_page", "missing_steps", "no_access",
    "person_section", "planner", "record_step", "schedule_job", "slot_sort_key", "steps_done",
    "switchover_progress", "targets", "valid_slot", "view_connection", "visit_clock",
]
