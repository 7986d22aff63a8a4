"""Reports pages: thin. Managers and administrators only."""

from urllib.parse import urlencode

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user

from portal import timeutil
from portal.auth.roles import OVERSIGHT
from portal.errors import PortalError
from portal.extensions import db
from portal.reports import aggregates, bp, pages, services
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
    return form, Filters(start, end, locality or None, as_of=aggregates.as_of(db.session))


def _query(filters: Filters) -> dict:
    """The filters as query-string values for export links (date parts as the form sends them)."""
    args = [("start", str(filters.start.day)), ("start", str(filters.start.month)),
            ("start", str(filters.start.year)), ("end", str(filters.end.day)), ("end", str(filters.end.month)),
            ("end", str(filters.end.year))]
    if filters.locality:
        args.append(("locality", filters.locality))
    return args


def _nav_query() -> str:
    """The date range and locality exactly as this request gave them, for the links between sections."""
    return urlencode([(key, value) for key in ("start", "end", "locality") for value in request.args.getlist(key)])


def _navigation(current: str) -> list[tuple[str, str, bool]]:
    """The sub navigation: the headline figures, each section, then the board report. The sections keep
    the filters; the board report has its own period, so it keeps only the locality."""
    query = _nav_query()

    def href(endpoint: str, **values) -> str:
        url = url_for(endpoint, **values)
        return f"{url}?{query}" if query else url

    locality = request.args.get("locality", "")
    board = url_for("reports.board", **({"locality": locality} if locality in current_app.config["LOCALITIES"]
                                        else {}))
    return [("Headline figures", href("reports.dashboard"), current == pages.OVERVIEW),
            *((p.nav_title, href("reports.section", slug=p.slug), current == p.slug) for p in pages.PAGES),
            ("Board report", board, current == "board")]


def _page_context(form: FilterForm, filters: Filters, current: str) -> dict:
    as_of = services.as_of_text(filters.as_of, filters.now) if filters.as_of else None
    return {"form": form, "filters": filters, "navigation": _navigation(current), "as_of": as_of,
            "export_query": urlencode(_query(filters)), "nav_query": _nav_query()}


@bp.get("/")
@staff(*OVERSIGHT)
def dashboard():
    """The headline figures, each read from the table it links to on its section's page."""
    form, filters = _filters()
    found = [] if form.errors else pages.sections(db.session, filters, pages.HEADLINE_SECTIONS)
    return render_template("reports/overview.html", headlines=services.headlines(found),
                           page_of_table=pages.page_of_table, **_page_context(form, filters, pages.OVERVIEW))


@bp.get(f"/<any({', '.join(repr(s) for s in pages.SLUGS)}):slug>")
@staff(*OVERSIGHT)
def section(slug: str):
    form, filters = _filters()
    shown = pages.page(slug)
    found = [] if form.errors else pages.sections(db.session, filters, shown.sections)
    return render_template("reports/section.html", page=shown, sections=found,
                           **_page_context(form, filters, slug))


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
                       localities=current_app.config["LOCALITIES"], navigation=_navigation("board"))


@bp.app_template_global("report_cell")
def report_cell(value, kind: str) -> str:
    from portal.reports.sections import display

    return display(value, kind)
