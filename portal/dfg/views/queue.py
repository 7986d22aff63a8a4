"""The caseworker's queue of DFG cases (the list pattern, portal.web.lists) and the budget page."""

from datetime import date

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.config import setting
from portal.dfg import bp, services
from portal.dfg.models import STATES, TENURES, WORKS_TYPES
from portal.dfg.views.common import READERS
from portal.extensions import db
from portal.people.access import person_views_for
from portal.timeutil import today as london_today
from portal.web.htmx import render_page
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import staff


def case_list() -> ListSpec:
    """The queue's filters and columns. With no column chosen, the most pressing clock comes first."""
    return ListSpec(
        endpoint="dfg.queue", singular=_("case"), plural=_("cases"), page_size=25,
        default_order_label=_("by the most pressing deadline first"),
        filters=(
            Filter("q", _("Search"), kind="search", hint=_("Reference, surname or postcode")),
            Filter("state", _("Stage"), (*STATES.items(), ("all", _("All, including closed"))),
                   any_label=_("All open")),
            Filter("clock", _("Deadline"), (("breached", _("Overdue")), ("due_soon", _("Due soon")))),
            Filter("works_type", _("Works"), tuple(WORKS_TYPES.items())),
            Filter("tenure", _("Tenure"), tuple(TENURES.items())),
            Filter("locality", _("Locality"), tuple((x, x) for x in current_app.config["LOCALITIES"])),
        ),
        columns=(
            Column("reference", _("Reference")), Column("person", _("Disabled occupant")),
            Column("works", _("Works"), sortable=False), Column("tenure", _("Tenure")), Column("locality",
                                                                                               _("Locality")),
            Column("stage", _("Stage")), Column("due", _("Time left")),
        ),
    )


def _filters(view) -> services.QueueFilters:
    return services.QueueFilters(
        state=view.get("state") or "open", clock=view.get("clock") or None,
        works_type=view.get("works_type") or None, tenure=view.get("tenure") or None,
        locality=view.get("locality") or None, search=view.get("q")[:40],
    )


@bp.get("/cases")
@staff(*READERS)
def queue():
    view = case_list().read(request.args)
    page = services.queue(db.session, _filters(view), page=view.page, per_page=view.spec.page_size,
                          sort=view.sort, descending=view.descending)
    # each person's view is audited as a view of their case on the page
    people = person_views_for(db.session, current_user, [c.person_id for c in page.items],
                              {c.person_id: f"DFG case {c.reference}" for c in page.items})
    # rendered before the commit that keeps the audit of those views: committing first expired every
    # case, and the page then read each one (and its works) again, two queries a row
    response = render_page("dfg/queue.html", "list", view=view, page=page, people=people)
    db.session.commit()
    return response


@bp.get("/budget")
@staff(*READERS)
def budget():
    today = london_today()
    locality = request.args.get("locality")
    locality = locality if locality in setting("LOCALITIES") else None
    start = date(today.year - 1, today.month, 1)
    return render_template("dfg/budget.html", b=services.budget(db.session, today, locality=locality),
                           f=services.figures(db.session, start, today, locality=locality), states=STATES,
                           late=services.late_decisions(db.session, start, today, locality=locality),
                           locality=locality, localities=setting("LOCALITIES"))
