"""The dashboard's sections. Each is a small provider function registered in SECTIONS:
provider(session, filters) -> Section. Tables are the source of truth (the page, CSV and Excel are
all made from the same Table); a chart is an optional picture of one column of a table.

DFG and telecare sections are switched on by their modules: when portal.dfg.services or
portal.telecare.services can be imported and has figures(session, start, end, locality=None),
the section appears (see OPTIONAL).
"""

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.exc import SQLAlchemyError

from portal.referrals.models import NEEDS, OUTCOMES, PRIORITIES, SOURCES
from portal.referrals.targets import targets
from portal.reports import aggregates, charts, queries
from portal.reports import figures as measures
from portal.reports.queries import Filters

log = logging.getLogger("portal.reports")
KINDS = ("text", "int", "percent", "days", "money", "date")
WHOLE_PERIOD = "Whole period"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "int"

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "date")


@dataclass
class Table:
    key: str  # "<section>-<name>": the export URL
    caption: str
    columns: list[Column]
    rows: list[list]
    chart: str | None = None  # "bars", "columns" or "line"
    chart_column: int = 1  # which column the chart draws (labels are column 0)
    note: str = ""
    definition: str = ""  # how the figure is worked out, in one line: shown with the table and in Excel

    def chart_data(self):
        rows = [r for r in self.rows if r[0] != WHOLE_PERIOD]  # the total row is not a month to draw
        if not self.chart or not rows:
            return None
        labels = [display(r[0], self.columns[0].kind) for r in rows]
        values = [r[self.chart_column] for r in rows]
        kind = self.columns[self.chart_column].kind
        texts = [display(v, kind) for v in values]
        return getattr(charts, self.chart)(labels, values, "%" if kind == "percent" else "", texts)


@dataclass
class Section:
    id: str
    title: str
    tables: list[Table] = field(default_factory=list)
    intro: str = ""


# One rendering of a value, shared by the page and the exports -------------------------------

def display(value, kind: str) -> str:
    """The text shown in a table cell."""
    if value is None:
        return "–"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "number":
        return f"{value:,}" if isinstance(value, int) else f"{float(value):,.1f}"
    if kind == "percent":
        return f"{float(value):.1f}%"
    if kind == "days":
        return f"{float(value):.1f}"
    if kind == "money":
        return f"£{Decimal(value):,.0f}"
    if kind == "date":
        return f"{value.day} {value:%b %Y}" if isinstance(value, date) else str(value)
    return str(value)


def plain(value, kind: str):
    """The value written to CSV and Excel: numbers without separators or units."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind in ("percent", "days"):
        return round(float(value), 1)
    if kind == "money":
        return round(float(value), 2)
    if kind == "date":
        return value if isinstance(value, date) else str(value)  # CSV writes ISO 8601; Excel a real date
    return str(value)


def _share(part, whole):
    return round(100 * part / whole, 1) if whole else None


def _with_share(rows, labels: dict) -> list[list]:
    total = sum(n for _, n in rows)
    return [[labels.get(k, k or "Not recorded"), n, _share(n, total)] for k, n in rows]


# Providers ------------------------------------------------------------------------------------

def _referral_figures(f: Filters):
    """Where the referral figures come from: the daily totals once they have been worked out (as of
    f.as_of), else the live queries. Both give the same answers (tests/integration/reports/test_aggregates.py)."""
    return aggregates if f.as_of else queries


def demand(session, f: Filters) -> Section:
    src = _referral_figures(f)
    by_month = (aggregates if f.as_of else measures).referrals_by_month(session, f)
    weeks = src.referrals_by_week(session, f)
    sa = src.self_assessments(session, f)
    count_share = [Column("Referrals"), Column("Share of referrals", "percent")]
    return Section("demand", "Demand", [
        Table("demand-by-month", "Referrals received, by month", [Column("Month", "text"), Column("Referrals")],
              [[measures.month_label(m), n] for m, n in by_month], chart="columns",
              definition="Referrals for help received in each calendar month (London time), from any source; "
                         "the first and last months may be part months."),
        Table("demand-by-week", "Referrals received and self-assessments completed, by week",
              [Column("Week beginning", "date"), Column("Referrals"), Column("Self-assessments completed")],
              [[w, n, a] for w, n, a in weeks], chart="line",
              note="Weeks run Monday to Sunday; the first and last weeks may be part weeks. "
                   "Self-assessments are anonymous, so they are not filtered by locality."),
        Table("demand-by-source", "Referrals by source", [Column("Source", "text"), *count_share],
              _with_share(src.referrals_by_source(session, f), SOURCES), chart="bars"),
        Table("demand-by-need", "Referrals by need", [Column("Need", "text"), *count_share],
              _with_share(src.referrals_by_need(session, f), NEEDS), chart="bars",
              note="A referral asking for more than one kind of help is counted under each, "
                   "so the shares add up to more than 100%."),
        Table("demand-by-locality", "Referrals by locality", [Column("Locality", "text"), *count_share],
              _with_share(src.referrals_by_locality(session, f), {}), chart="bars"),
        Table("demand-self-assessment", "Online self-assessments completed",
              [Column("Measure", "text"), Column("Number"), Column("Share of completed", "percent")],
              [["Completed", sa.completed, None],
               ["Ended in self-help without a referral", sa.self_help, sa.self_help_share],
               ["Asked for help", sa.asked_for_help, _share(sa.asked_for_help, sa.completed)]],
              note="Not filtered by locality: self-assessments are anonymous."),
    ])


def responsiveness(session, f: Filters) -> Section:
    spec = targets()
    src = _referral_figures(f)
    timely = src.timeliness(session, f)
    waits = src.waits_to_assessment(session, f)
    overdue = queries.overdue_now(session, f)  # always live: a snapshot of now
    label = {**PRIORITIES, "all": "All priorities"}
    return Section("responsiveness", "Responsiveness", [
        Table("responsiveness-contact", "First contact within target, by priority",
              [Column("Priority", "text"), Column("Target", "text"), Column("Contacts due"),
               Column("Contacted in time"), Column("Contacted in time (%)", "percent")],
              [[label[t.priority], spec[t.priority]["contact"].label, t.contacts_due, t.contacted_in_time,
                t.share(t.contacted_in_time, t.contacts_due)] for t in timely],
              chart="bars", chart_column=4,
              note="Referrals received in the period. Contacts due counts those contacted and those still "
                   "waiting past their due time; paused time is allowed for.",
              definition="Of the referrals received in the period, those first contacted by their target time, "
                         "out of those due."),
        Table("responsiveness-assessment", "Assessment within target, by priority",
              [Column("Priority", "text"), Column("Target", "text"), Column("Assessments due"),
               Column("Assessed in time"), Column("Assessed in time (%)", "percent")],
              [[label[t.priority], spec[t.priority]["assessment"].label, t.assessments_due, t.assessed_in_time,
                t.share(t.assessed_in_time, t.assessments_due)] for t in timely],
              chart="bars", chart_column=4,
              definition="Of the referrals received in the period, those assessed by their target time and those "
                         "due (assessed, or still waiting past the target time now); paused time is allowed for."),
        Table("responsiveness-waits", "Wait from referral to assessment, in days, excluding paused time",
              [Column("Priority", "text"), Column("Assessed"), Column("Median (days)", "days"),
               Column("90th percentile (days)", "days")],
              [[label[w.priority], w.assessed, w.median_days, w.p90_days] for w in waits],
              chart="bars", chart_column=2,
              note="Referrals assessed in the period. Half waited less than the median; 9 in 10 waited "
                   "less than the 90th percentile.",
              definition="For each referral assessed in the period: the time from receiving it to the assessment, "
                         "less any time it was paused."),
        Table("responsiveness-overdue", "Open referrals overdue now, by priority",
              [Column("Priority", "text"), Column("Open"), Column("Overdue now"),
               Column("Overdue (%)", "percent")],
              [[label[o.priority], o.open, o.overdue, _share(o.overdue, o.open)] for o in overdue],
              chart="bars", chart_column=2,
              note="A snapshot of today: the date range does not apply. Paused cases are not overdue.",
              definition="Open referrals whose running clock (first contact, then assessment) is past its due "
                         "time now: the same rule as the queue's \"Overdue only\" filter and the clock on each "
                         "referral, so the numbers match."),
    ])


def equipment(session, f: Filters) -> Section:
    from portal.equipment.services import figures

    fig = figures(session, f.start, f.end, f.locality)
    within7 = measures.equipment_within_days(session, f)
    return Section("equipment", "Community equipment", [
        Table("equipment-delivered", "Equipment items delivered, by month",
              [Column("Month", "text"), Column("Items delivered")],
              [[_month_label(r["month"]), r["items"]] for r in fig["delivered_per_month"]], chart="columns",
              note="The service's baseline is about 3,300 items a month."),
        Table("equipment-within7days", f"Equipment delivered within {measures.EQUIPMENT_DAYS} days of the request, "
              "by month",
              [Column("Month", "text"), Column("Deliveries"), Column(f"Within {measures.EQUIPMENT_DAYS} days"),
               Column(f"Within {measures.EQUIPMENT_DAYS} days (%)", "percent")],
              [[measures.month_label(d.month), d.delivered, d.within, d.share] for d in within7]
              + [[WHOLE_PERIOD, sum(d.delivered for d in within7), sum(d.within for d in within7),
                  _share(sum(d.within for d in within7), sum(d.delivered for d in within7))]],
              chart="columns", chart_column=3,
              definition=f"Equipment orders delivered in the month, and how many were delivered within "
                         f"{measures.EQUIPMENT_DAYS} days ({measures.EQUIPMENT_DAYS * 24} hours) of the order "
                         "being raised. Each delivery counts once, however many items it brought."),
        Table("equipment-measures", "Equipment measures",
              [Column("Measure", "text"), Column("Number"), Column("Rate (%)", "percent")],
              [["Items delivered", fig["items_delivered"], None],
               ["Urgent deliveries", fig["urgent_deliveries"], None],
               ["Urgent deliveries on time", fig["urgent_on_time"], fig["urgent_on_time_percent"]],
               ["Collections", fig["collections"], None],
               ["Collections on time", fig["collections_on_time"],
                _share(fig["collections_on_time"], fig["collections"])],
               ["Serialised items re-issued", fig["reissued_items"], fig["reissue_rate_percent"]],
               ["Inspections overdue now", fig["inspections_overdue"], None]],
              note="Re-issue rate: re-issued items as a share of serialised items delivered. "
                   "Inspections overdue is a snapshot of today."),
    ])


def outcomes(session, f: Filters) -> Section:
    labels = {**OUTCOMES, "withdrawn": "Withdrawn", "declined": "Declined", "no_outcome": "Closed, no outcome"}
    return Section("outcomes", "Outcomes", [
        Table("outcomes-closures", "Cases finished, by outcome",
              [Column("Outcome", "text"), Column("Cases"), Column("Share of cases", "percent")],
              _with_share(queries.closures_by_outcome(session, f), labels), chart="bars",
              note="Referrals closed, withdrawn or declined in the period."),
    ])


def _duration_rows(rows: list, on_time: bool = False) -> list[list]:
    return [[measures.month_label(d.month), d.count, d.median_days, d.p90_days,
             *([d.on_time, d.on_time_share] if on_time else [])] for d in rows]


def grants(session, f: Filters) -> Section:
    """Disabled Facilities Grants from enquiry to the works being completed, and to payment."""
    times = [Column("Median (days)", "days"), Column("90th percentile (days)", "days")]
    return Section("grants", "Disabled Facilities Grants: time from enquiry to completion", [
        Table("grants-completion", "Days from DFG enquiry to the works being completed, by month of completion",
              [Column("Month completed", "text"), Column("Cases completed"), *times],
              _duration_rows(measures.dfg_end_to_end(session, f, "completed")), chart="columns", chart_column=2,
              definition="For each grant whose works were completed in the month: the days from the enquiry (the "
                         "day the case was opened) to the completion date. Half took less than the median; "
                         "9 in 10 took less than the 90th percentile."),
        Table("grants-payment", "Days from DFG enquiry to payment, by month of payment",
              [Column("Month paid", "text"), Column("Cases paid"), *times],
              _duration_rows(measures.dfg_end_to_end(session, f, "paid")), chart="columns", chart_column=2,
              definition="For each grant whose payment was recorded as complete in the month: the days from the "
                         "enquiry to that payment date."),
    ], intro="The council's strategy asks for shorter waits for adaptations to the home.")


def _install_targets() -> str:
    """The install targets in words, from the telecare service's own settings."""
    try:
        from portal.telecare.services import targets as install_targets

        spec = install_targets()
        return f"urgent {spec['urgent']} working days, routine {spec['routine']} working days"
    except (ImportError, KeyError, TypeError):
        return "the telecare service's target for that priority"


def installs(session, f: Filters) -> Section:
    """Telecare new installs completed, and the time from request to install against the target."""
    return Section("installs", "Telecare installs against target", [
        Table("installs-by-month", "Telecare installs completed, by month, and the time from request to install",
              [Column("Month", "text"), Column("Installs completed"), Column("Median (days)", "days"),
               Column("90th percentile (days)", "days"), Column("Installed by the target date"),
               Column("By the target date (%)", "percent")],
              _duration_rows(measures.telecare_installs(session, f), on_time=True), chart="columns",
              definition="New telecare installs completed in the month. Days run from the install being requested "
                         "to it being completed. The target date is set when the install is requested, from its "
                         f"priority ({_install_targets()})."),
    ])


def _month_label(value) -> str:
    """'2026-09' → 'Sep 2026' (also accepts a date)."""
    if isinstance(value, date):
        return f"{value:%b %Y}"
    try:
        return f"{date(int(str(value)[:4]), int(str(value)[5:7]), 1):%b %Y}"
    except (ValueError, TypeError):
        return str(value)


# Sections from modules that may not be installed yet -----------------------------------------

ACRONYMS = {"tecs": "TECS", "dfg": "DFG", "ot": "OT", "nhs": "NHS"}


def _humanise(key: str) -> str:
    words = key.replace("_", " ").strip().capitalize().split(" ")
    return " ".join(ACRONYMS.get(w.lower(), w) for w in words)


def _kind(key: str, value) -> str:
    if "percent" in key or "rate" in key or "share" in key:  # before money: "spend_share_of_budget"
        return "percent"
    if isinstance(value, (Decimal,)) or any(w in key for w in ("spend", "budget", "committed", "paid", "money")):
        return "money" if isinstance(value, (int, float, Decimal)) else "text"
    if "days" in key:
        return "days"
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return "text"
    return "int" if isinstance(value, int) else "days"


def _in_kind(key: str, kind: str, value):
    """Features give shares and rates as fractions (0.3) unless the key says per cent (30.0)."""
    if kind != "percent" or value is None or "percent" in key or isinstance(value, bool):
        return value
    return round(100 * float(value), 1)


def tables_from_figures(section_id: str, title: str, fig: dict) -> list[Table]:
    """Turn a feature's figures() dict into tables: each list of dicts becomes a table, each dict of
    numbers a two-column table, and the loose numbers one "measures" table."""
    tables, measures = [], []
    for key, value in fig.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            cols = list(value[0].keys())
            columns = [Column(_humanise(c), "text" if i == 0 else _kind(c, value[0][c])) for i, c in enumerate(cols)]
            rows = [[_month_label(r.get(cols[0])) if "month" in cols[0] else r.get(cols[0]),
                     *[_in_kind(c, col.kind, r.get(c)) for c, col in zip(cols[1:], columns[1:], strict=True)]]
                    for r in value]
            chart = "columns" if "month" in cols[0] else "bars"
            if len(cols) < 2 or not columns[1].numeric:
                chart = None
            tables.append(Table(f"{section_id}-{key.replace('_', '')}", f"{title}: {_humanise(key).lower()}",
                                columns, rows, chart=chart))
        elif isinstance(value, dict) and value:
            kind = _kind(key, next(iter(value.values())))
            tables.append(Table(f"{section_id}-{key.replace('_', '')}", f"{title}: {_humanise(key).lower()}",
                                [Column("Item", "text"), Column(_humanise(key), kind)],
                                [[_humanise(str(k)), _in_kind(key, kind, v)] for k, v in value.items()],
                                chart="bars" if kind != "text" else None))
        elif not isinstance(value, (list, dict)):
            # the value stays a number (so exports carry numbers); its unit goes in the label
            kind = _kind(key, value)
            unit = {"money": " (pounds)", "percent": " (per cent)", "days": " (days)"}.get(kind, "")
            label = _humanise(key)
            if unit and (unit.strip(" ()") in label.lower() or unit.strip(" ()").replace(" ", "") in label.lower()):
                unit = ""
            value = _in_kind(key, kind, value)
            if value is not None and not isinstance(value, int):
                value = round(float(value), 1)
            measures.append([label + unit, value])
    if measures:
        tables.insert(0, Table(f"{section_id}-measures", f"{title} measures",
                               [Column("Measure", "text"), Column("Value", "number")], measures))
    return tables


def optional_section(section_id: str, title: str, module_name: str) -> Callable | None:
    """A provider for a feature module's figures(), or None while the module is not there."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    figures = getattr(module, "figures", None)
    if figures is None:
        return None

    def provider(session, f: Filters) -> Section:
        """A feature that is importable but not ready (say its migration has not run) must not take
        the dashboard down: its figures run in a savepoint and a failure becomes a short note."""
        try:
            with session.begin_nested():
                fig = figures(session, f.start, f.end, f.locality)
        except SQLAlchemyError:
            log.exception("the %s section failed", section_id)
            return Section(section_id, title, [], intro="These figures are not available at the moment.")
        return Section(section_id, title, tables_from_figures(section_id, title, fig))

    provider.__name__ = section_id
    return provider


SECTIONS: list[Callable] = [demand, responsiveness, equipment, outcomes, grants, installs]
OPTIONAL = [("dfg", "Disabled Facilities Grants", "portal.dfg.services"),
            ("telecare", "Telecare", "portal.telecare.services")]


def providers() -> list[Callable]:
    """Every section available now, in page order."""
    found = list(SECTIONS)
    for section_id, title, module in OPTIONAL:
        provider = optional_section(section_id, title, module)
        if provider is not None:
            found.append(provider)
    return found


def provider_for(table_key: str) -> Callable | None:
    section_id = table_key.split("-", 1)[0]
    return next((p for p in providers() if p.__name__ == section_id), None)
