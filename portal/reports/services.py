"""Reports: the dashboard, exports (audited) and the two-monthly board report."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _

from portal.audit.services import record
from portal.errors import NotFound, PortalError
from portal.referrals.models import PRIORITIES
from portal.referrals.targets import targets
from portal.reports import aggregates, queries
from portal.reports import figures as measures
from portal.reports.figures import EQUIPMENT_DAYS
from portal.reports.queries import Filters
from portal.reports.sections import Section, Table, display, plain, provider_for, providers
from portal.timeutil import london_date, to_london, utcnow
from portal.web.clocks import add_months

EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def default_range(today: date) -> tuple[date, date]:
    """The last 3 months, ending today."""
    return add_months(today, -3) + timedelta(days=1), today


# Dashboard ----------------------------------------------------------------------------------

def as_of_text(as_of: datetime, now: datetime) -> str:
    """'2:05pm today', '11:30pm yesterday' or '9:00am on 3 December 2026' (London time) for the
    moment the figures were worked out; both naive UTC."""
    local = to_london(as_of)
    clock = f"{local:%-I:%M%p}".replace("AM", "am").replace("PM", "pm")
    days = (london_date(now) - local.date()).days
    when = {0: "today", 1: "yesterday"}.get(days, f"on {local.day} {local:%B %Y}")
    return f"{clock} {when}"


def dashboard(session, filters: Filters) -> list[Section]:
    return [provider(session, filters) for provider in providers()]


@dataclass(frozen=True)
class Headline:
    name: str
    value: str  # as shown, e.g. "12 of 340 open referrals"
    table: str  # the key of the table it comes from (the link goes to that table's heading)
    definition: str = ""


def headlines(sections: list[Section]) -> list[Headline]:
    """The figures a manager looks for first, each read from the table it links to, so the summary and
    the tables can never disagree. A table that is missing (say, a section that failed) is left out."""
    tables = {t.key: t for section in sections for t in section.tables}
    found: list[Headline] = []

    def add(key: str, name: str, value) -> None:
        table = tables.get(key)
        if table is not None and table.rows:
            found.append(Headline(name, value(table.rows), key, table.definition or table.note))

    def total_row(rows):
        return rows[-1]

    add("demand-by-month", "Referrals received", lambda rows: display(sum(r[1] for r in rows), "int"))
    add("responsiveness-overdue", "Open referrals overdue now",
        lambda rows: f"{display(sum(r[2] for r in rows), 'int')} of {display(sum(r[1] for r in rows), 'int')} open")
    add("responsiveness-assessment", "Assessed within target",
        lambda rows: display(_share(sum(r[3] for r in rows), sum(r[2] for r in rows)), "percent"))
    add("responsiveness-waits", "Median wait for assessment",
        lambda rows: _days_text(total_row(rows)[2]))
    add("equipment-within7days", f"Equipment delivered within {EQUIPMENT_DAYS} days of the request",
        lambda rows: f"{display(total_row(rows)[3], 'percent')} ({display(total_row(rows)[2], 'int')} of "
                     f"{display(total_row(rows)[1], 'int')} deliveries)")
    add("grants-completion", "DFG enquiry to completion, median",
        lambda rows: f"{_days_text(total_row(rows)[2])} (9 in 10 within {_days_text(total_row(rows)[3])}), "
                     f"{display(total_row(rows)[1], 'int')} completed")
    add("installs-by-month", "Telecare installs completed",
        lambda rows: f"{display(total_row(rows)[1], 'int')}, {display(total_row(rows)[5], 'percent')} "
                     "by the target date")
    return found


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _days_text(value) -> str:
    return "–" if value is None else f"{display(value, 'days')} days"


def find_table(session, key: str, filters: Filters) -> Table:
    provider = provider_for(key)
    if provider is not None:
        for table in provider(session, filters).tables:
            if table.key == key:
                return table
    raise NotFound(_("There is no report table with that name."))


# Exports ------------------------------------------------------------------------------------

def _filter_lines(filters: Filters) -> list[list[str]]:
    lines = [["From", filters.start.isoformat()], ["To", filters.end.isoformat()],
             ["Locality", filters.locality or "All localities"]]
    if filters.as_of:
        lines.append(["Referral figures as of", f"{to_london(filters.as_of):%Y-%m-%d %H:%M} (London time)"])
    return lines


def table_rows(table: Table) -> list[list]:
    """The header and body exactly as exported: plain values (no separators or units)."""
    return [[c.label for c in table.columns],
            *[[plain(v, c.kind) for v, c in zip(row, table.columns, strict=True)] for row in table.rows]]


def to_csv(table: Table, filters: Filters) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([table.caption])
    writer.writerows(_filter_lines(filters))
    writer.writerow([])
    for row in table_rows(table):
        writer.writerow(["" if v is None else _csv_safe(v) for v in row])
    return out.getvalue()


def _csv_safe(value):
    """Stop a spreadsheet reading a text cell as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_xlsx(table: Table, filters: Filters) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = table.key[:31]
    ws.append([table.caption])
    ws["A1"].font = Font(bold=True)
    for line in _filter_lines(filters):
        ws.append(line)
    ws.append([])
    header_row = ws.max_row + 1
    for row in table_rows(table):
        ws.append([_csv_safe(v) for v in row])
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for i, column in enumerate(table.columns, start=1):
        number_format = {"percent": "0.0", "days": "0.0", "date": "yyyy-mm-dd", "int": "#,##0",
                         "money": "£#,##0.00"}.get(column.kind)
        if number_format:
            for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=i, max_col=i):
                cell.number_format = number_format
        ws.column_dimensions[cell_letter(i)].width = max(12, min(45, len(column.label) + 4))
    if table.note or table.definition:
        ws.append([])
    for line in (table.definition, table.note):
        if line:
            ws.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cell_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def export(session, actor, key: str, fmt: str, filters: Filters) -> tuple[bytes, str, str]:
    """One table as CSV or Excel, with the filters applied; audited. Returns (body, mimetype, filename)."""
    if fmt not in EXPORT_FORMATS:
        raise NotFound(_("Exports are CSV or Excel (.xlsx)."))
    table = find_table(session, key, filters)
    body = to_csv(table, filters).encode("utf-8-sig") if fmt == "csv" else to_xlsx(table, filters)
    record(session, actor, "report.exported", "report", key, format=fmt, start=filters.start.isoformat(),
           end=filters.end.isoformat(), locality=filters.locality, rows=len(table.rows))
    filename = f"{key}_{filters.start.isoformat()}_{filters.end.isoformat()}"
    if filters.locality:
        filename += "_" + "".join(ch for ch in filters.locality if ch.isalnum())
    return body, EXPORT_FORMATS[fmt], f"{filename}.{fmt}"


# Board report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    end: date  # last day of the second month

    @classmethod
    def starting(cls, month: date) -> "Period":
        first = month.replace(day=1)
        return cls(first, add_months(first, 2) - timedelta(days=1))

    @property
    def previous(self) -> "Period":
        return Period.starting(add_months(self.start, -2))

    @property
    def key(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.start.year == self.end.year:
            return f"{self.start:%B} to {self.end:%B %Y}"
        return f"{self.start:%B %Y} to {self.end:%B %Y}"


def parse_period(value: str | None, today: date) -> Period:
    """'2026-09' → September and October 2026. Default: the two whole months before this one."""
    if not value:
        return Period.starting(add_months(today.replace(day=1), -2))
    try:
        year, month = value.split("-")
        return Period.starting(date(int(year), int(month), 1))
    except ValueError as exc:
        raise PortalError(_("Choose a period such as 2026-09 (September and October 2026)")) from exc


def recent_periods(today: date, count: int = 12) -> list[Period]:
    latest = Period.starting(add_months(today.replace(day=1), -2))
    return [Period.starting(add_months(latest.start, -i)) for i in range(count)]


@dataclass
class Measure:
    name: str
    definition: str
    kind: str  # a sections.KINDS value
    now: object
    before: object
    better: str = "up"  # "up", "down" or "" (neither)

    @property
    def now_text(self) -> str:
        return display(self.now, self.kind)

    @property
    def before_text(self) -> str:
        return display(self.before, self.kind)

    @property
    def change(self) -> str:
        """'Up 12', 'Down 3.5 points', 'No change' or '' when either side is missing."""
        if self.now is None or self.before is None:
            return ""
        diff = float(self.now) - float(self.before)
        if abs(diff) < 0.05:
            return "No change"
        unit = {"percent": " percentage points", "days": " days"}.get(self.kind, "")
        amount = f"{abs(diff):,.1f}" if self.kind in ("percent", "days") else f"{abs(int(round(diff))):,}"
        return f"{'Up' if diff > 0 else 'Down'} {amount}{unit}"

    @property
    def verdict(self) -> str:
        """'better', 'worse' or '' (no direction is better, or no change)."""
        if not self.better or self.now is None or self.before is None or self.change in ("", "No change"):
            return ""
        up = float(self.now) > float(self.before)
        return "better" if up == (self.better == "up") else "worse"


def _headline(session, f: Filters) -> dict:
    from portal.equipment.services import figures as equipment_figures

    src = aggregates if f.as_of else queries  # the same source as the reports pages (REP-10)
    timely = src.timeliness(session, f)
    waits = {w.priority: w for w in src.waits_to_assessment(session, f)}
    sa = src.self_assessments(session, f)
    closures = dict(queries.closures_by_outcome(session, f))
    eq = equipment_figures(session, f.start, f.end, f.locality)
    within7 = measures.equipment_within_days(session, f)
    grants = measures.dfg_end_to_end(session, f, "completed")[-1]
    installs = measures.telecare_installs(session, f)[-1]
    contacts_due = sum(t.contacts_due for t in timely)
    assess_due = sum(t.assessments_due for t in timely)

    def share(a, b):
        return round(100 * a / b, 1) if b else None

    return {
        "referrals": src.referrals_received(session, f),
        "self_assessments": sa.completed,
        "self_help_share": sa.self_help_share,
        "contact_share": share(sum(t.contacted_in_time for t in timely), contacts_due),
        "assessment_share": share(sum(t.assessed_in_time for t in timely), assess_due),
        "median_wait": waits["all"].median_days,
        "p90_wait": waits["all"].p90_days,
        "items_delivered": eq["items_delivered"],
        "urgent_on_time": eq["urgent_on_time_percent"],
        "equipment_within_7": share(sum(d.within for d in within7), sum(d.delivered for d in within7)),
        "dfg_median": grants.median_days,
        "dfg_p90": grants.p90_days,
        "installs": installs.count,
        "installs_on_time": installs.on_time_share,
        "install_median": installs.median_days,
        "tecs_instead": closures.get("tecs_instead_of_care_package", 0),
        "finished": sum(closures.values()),
    }


DEFINITIONS = [
    ("referrals", "Referrals received", "int", "",
     "New referrals for help received in the period, from any source."),
    ("self_assessments", "Online self-assessments completed", "int", "up",
     "People who finished the online rapid self-assessment. The strategy wants this to grow."),
    ("self_help_share", "Self-assessments ending in self-help", "percent", "up",
     "Completed self-assessments where the person chose to help themselves and no referral followed."),
    ("contact_share", "Contacted within target", "percent", "up",
     "Referrals received in the period that were first contacted by their target time ({contact}), "
     "out of those due. Paused time does not count."),
    ("assessment_share", "Assessed within target", "percent", "up",
     "Referrals received in the period that were assessed by their target time ({assessment}), "
     "out of those due."),
    ("median_wait", "Median wait for assessment (days)", "days", "down",
     "Half of the people assessed in the period waited less than this, from referral to assessment, "
     "leaving out time when the case was paused waiting for them or someone else."),
    ("p90_wait", "Longest typical wait for assessment (90th percentile, days)", "days", "down",
     "9 in 10 people assessed in the period waited less than this."),
    ("items_delivered", "Equipment items delivered", "int", "up",
     "Items of community equipment delivered in the period (baseline about 3,300 a month)."),
    ("urgent_on_time", "Urgent equipment deliveries on time", "percent", "up",
     "Urgent deliveries made by their due time, as a share of urgent deliveries."),
    ("equipment_within_7", f"Equipment delivered within {EQUIPMENT_DAYS} days of the request", "percent", "up",
     f"Equipment orders delivered in the period that arrived within {EQUIPMENT_DAYS} days "
     f"({EQUIPMENT_DAYS * 24} hours) of the order being raised, as a share of all orders delivered."),
    ("dfg_median", "DFG enquiry to completion, median (days)", "days", "down",
     "For grants whose works were completed in the period: half took less than this many days from the "
     "enquiry to the completion date. The strategy asks for shorter waits for adaptations."),
    ("dfg_p90", "DFG enquiry to completion, 90th percentile (days)", "days", "down",
     "9 in 10 grants completed in the period took less than this many days from the enquiry."),
    ("installs", "Telecare installs completed", "int", "up",
     "New telecare installs completed in the period."),
    ("installs_on_time", "Telecare installs by the target date", "percent", "up",
     "New installs completed in the period on or before their target date, which is set from the install's "
     "priority when it is requested."),
    ("install_median", "Telecare request to install, median (days)", "days", "down",
     "Half of the installs completed in the period took less than this many days from the request."),
    ("tecs_instead", "Cases where technology replaced a care package", "int", "up",
     "Cases closed with the outcome 'TECS instead of a home-care package'."),
    ("finished", "Cases finished", "int", "",
     "Referrals closed, withdrawn or declined in the period."),
]


@dataclass
class BoardReport:
    period: Period
    previous: Period
    locality: str | None
    measures: list[Measure]
    overdue_now: int
    open_now: int
    generated_at: datetime
    as_of: datetime | None = None  # the referral figures' time (REP-10); None: worked out live


def board_report(session, period: Period, locality: str | None = None, now: datetime | None = None) -> BoardReport:
    now = now or utcnow()
    previous = period.previous
    as_of = aggregates.as_of(session)
    current = _headline(session, Filters(period.start, period.end, locality, now, as_of))
    before = _headline(session, Filters(previous.start, previous.end, locality, now, as_of))
    spec = targets()
    words = {stage: ", ".join(f"{PRIORITIES[p].lower()} {spec[p][stage].label}" for p in queries.PRIORITY_ORDER)
             for stage in ("contact", "assessment")}
    measures = [Measure(name, definition.format(**words), kind, current[key], before[key], better)
                for key, name, kind, better, definition in DEFINITIONS]
    overdue = queries.overdue_now(session, Filters(period.start, period.end, locality, now))
    return BoardReport(period, previous, locality, measures, sum(o.overdue for o in overdue),
                       sum(o.open for o in overdue), now, as_of)
