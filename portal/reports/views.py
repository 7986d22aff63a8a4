"""Reports pages: thin. Managers and administrators only."""

from urllib.parse import urlencode

from flask import Response, current_app, request
from flask_login import current_user

from portal import timeutil
from portal.auth.roles import OVERSIGHT
from portal.errors import PortalError
from portal.extensions import db
from portal.reports import bp, services
from portal.reports.forms import FilterForm
from portal.reports.queries import Filters
from portal.web.htmx import render_page
from portal.web.security import staff


def _filters() -> tuple[FilterForm, Filters]:
    """The filters from the query string; defaults (last 3 months, all localities) where missing."""
    form = FilterForm(request.args, localities=current_app.config["LOCALITIES"])
    today = timeutil.today()
    start, end = services.default_range(today)
    if form.validate():
        start = form.start.data or start
        end = form.end.data or max(end, start)
        if form.start.data is None and end < start:
            start = services.default_range(end)[0]
    for field, value in ((form.start, start), (form.end, end)):
        if not field.errors and not any(part.strip() for part in (field.raw_data or [])):
            field.raw_data, field.data = None, value
    locality = form.locality.data if not form.locality.errors else None
    return form, Filters(start, end, locality or None)


def _query(filters: Filters) -> dict:
    """The filters as query-string values for export links (date parts as the form sends them)."""
    args = [("start", str(filters.start.day)), ("start", str(filters.start.month)),
            ("start", str(filters.start.year)), ("end", str(filters.end.day)), ("end", str(filters.end.month)),
            ("end", str(filters.end.year))]
    if filters.locality:
        args.append(("locality", filters.locality))
    return args


@bp.get("/")
@staff(*OVERSIGHT)
def dashboard():
    form, filters = _filters()
    sections = services.dashboard(db.session, filters) if not form.errors else []
    return render_page("reports/dashboard.html", "results", form=form, filters=filters, sections=sections,
                       headlines=services.headlines(sections), export_query=urlencode(_query(filters)))


@bp.get("/export/<key>.<any(csv, xlsx):fmt>")
@staff(*OVERSIGHT)
def export(key: str, fmt: str):
    form, filters = _filters()
    if form.errors:
        raise PortalError(next(iter(form.errors.values()))[0])
    body, mimetype, filename = services.export(db.session, current_user, key[:60], fmt, filters)
    db.session.commit()
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


@bp.get("/board")
@staff(*OVERSIGHT)
def board():
    today = timeutil.today()
    period = services.parse_period(request.args.get("period"), today)
    locality = request.args.get("locality") or None
    if locality and locality not in current_app.config["LOCALITIES"]:
        raise PortalError("Select a locality from the list")
    report = services.board_report(db.session, period, locality)
    return render_page("reports/board.html", "report", report=report, periods=services.recent_periods(today),
                       localities=current_app.config["LOCALITIES"])


@bp.app_template_global("report_cell")
def report_cell(value, kind: str) -> str:
    from portal.reports.sections import display

    return display(value, kind)
