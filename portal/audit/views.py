from flask import render_template, request
from flask_babel import gettext as _

from portal.audit import bp, services
from portal.auth.roles import OVERSIGHT
from portal.extensions import db
from portal.web.htmx import render_page
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import staff


def audit_list(actions: list[str], entity_types: list[str]) -> ListSpec:
    """The audit log's filters and columns: newest first unless a column is chosen."""
    return ListSpec(
        endpoint="audit.index", singular=_("entry"), plural=_("entries"),
        default_sort="when", default_descending=True, default_order_label=_("newest first"),
        filters=(
            Filter("action", _("Action"), tuple((a, a) for a in actions)),
            Filter("who", _("Who"), kind="search", hint=_("Part of a name or email address")),
            Filter("entity", _("Type of record"), tuple((t, t.replace("_", " ").capitalize()) for t in entity_types)),
            Filter("day", _("Date"), kind="search", hint=_("A day, for example 8 11 2026")),
        ),
        columns=(
            Column("when", _("When")), Column("who", _("Who")), Column("what", _("What")), Column("record",
                                                                                                  _("Record")),
            Column("details", _("Details"), sortable=False),
        ),
    )


@bp.get("/")
@staff(*OVERSIGHT)
def index():
    view = audit_list(*services.facets(db.session)).read(request.args)
    day = services.parse_day(view.get("day")) if view.get("day") else None
    page = services.entries(db.session, action=view.get("action"), who=view.get("who"),
                            entity_type=view.get("entity"), day=day, sort=view.sort, descending=view.descending,
                            page=view.page, size=view.spec.page_size)
    return render_page("audit/index.html", "list", view=view, page=page,
                       bad_day=bool(view.get("day")) and day is None)


@bp.get("/<entity_type>/<entity_id>")
@staff(*OVERSIGHT)
def record_history(entity_type: str, entity_id: str):
    events = services.history(db.session, entity_type[:40], entity_id[:64])
    return render_template(
        "audit/history.html", events=events, entity_type=entity_type, entity_id=entity_id
    )
