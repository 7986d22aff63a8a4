"""Telecare pages: the installer's day (mobile-first, HTMX taps that also work as plain posts),
and the coordinators' jobs list, job page, planner, connections, switchover and line register.

A person is shown only through `person_view_for` (the part of the record this member of staff may
see from their current work, audited as a view); a connection or a new job for someone the user
may not see is "not found" and recorded as a refused request.

Every action on a job has its own route (the endpoint name is the action `allowed_actions` names)
with its own role rule. A refusal comes back on the same card or page, on the field it names, with
every answer kept; only a real version clash says "changed by someone else".
"""

from portal.telecare.views import coordinator, installer, offline, records  # noqa: F401
