"""One way to list work: filters in the URL, sorting by column, and pagination to the last row.

Every queue (referrals, caseloads, DFG cases, equipment orders and deliveries, stock and assets,
telecare jobs) describes itself as a `ListSpec`: its filters and its columns. `spec.read(args)`
reads the request's query string into a `ListView` (unknown values are dropped, never an error),
which builds every link the page needs — sort headers, removable filter tags, "Clear filters",
page numbers — so a filtered, sorted page can be bookmarked, shared and restored with Back.
`view.page_of(session, stmt)` (or `paginate`) cuts one page out of a query, `view.page_of_rows` out
of a list, counting all of it so pagination always reaches the last row.
Templates render it all with `templates/macros/lists.html` inside `templates/web/list_page.html`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil

from flask import url_for
from sqlalchemy import func, select

from portal.web.i18n import lazy_text as _l

PAGE_SIZE = 50
MAX_PAGE = 100_000  # a bookmarked page number past the end shows the last page
SEARCH_LENGTH = 100


@dataclass(frozen=True)
class Filter:
    """One filter: a select list of options, a search box ("search"), or a yes/no check ("check")."""

    name: str
    label: str
    options: Sequence[tuple[str, str]] = ()
    kind: str = "select"
    hint: str | None = None
    any_label: str = _l("Any")
    default: str = ""  # the value when the URL names none (shown selected, not offered as a tag)

    def clean(self, raw: str | None) -> str:
        raw = (raw or "").strip()
        if self.kind == "search":
            return " ".join(raw.split())[:SEARCH_LENGTH]
        if self.kind == "check":
            return "yes" if raw == "yes" else ""
        return raw if raw in dict(self.options) else ""

    def label_of(self, value: str) -> str:
        if self.kind == "search":
            return f"“{value}”"
        if self.kind == "check":
            return self.label
        return dict(self.options).get(value, value)


@dataclass(frozen=True)
class Column:
    """A column of the results table. `sortable` columns get a header link that sorts by them."""

    key: str
    label: str
    sortable: bool = True
    numeric: bool = False
    hide_label: bool = False  # an actions column: the header is for screen readers only


@dataclass(frozen=True)
class ListSpec:
    endpoint: str
    singular: str
    plural: str
    columns: Sequence[Column]
    filters: Sequence[Filter] = ()
    default_sort: str | None = None
    default_descending: bool = False
    page_size: int = PAGE_SIZE
    default_order_label: str = ""  # how the list is ordered when no column is chosen, e.g. "most urgent first"

    def read(self, args: Mapping[str, str], **url_values) -> "ListView":
        values = {}
        for f in self.filters:
            value = f.clean(args.get(f.name)) if f.name in args else f.default
            if value:
                values[f.name] = value
        sortable = {c.key for c in self.columns if c.sortable}
        chosen = args.get("sort")
        if chosen in sortable:
            sort, descending = chosen, args.get("order") == "descending"
        else:
            sort, descending = self.default_sort, self.default_descending
        try:
            page = min(max(int(args.get("page", "1")), 1), MAX_PAGE)
        except ValueError:
            page = 1
        return ListView(self, values, sort, descending, page, dict(url_values), chosen in sortable)


@dataclass
class ListView:
    """What this request asked the list for, and the links that change it."""

    spec: ListSpec
    values: dict[str, str]
    sort: str | None
    descending: bool
    page: int
    url_values: dict = field(default_factory=dict)
    sort_chosen: bool = False

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def query(self, **changes) -> dict[str, str]:
        """The query string with `changes` applied (None removes a key). Every filter is written
        out, so a filter with a default can be turned off ("state=" means any)."""
        args = {f.name: self.values.get(f.name, "") for f in self.spec.filters
                if self.values.get(f.name) or f.default}
        if self.sort_chosen:
            args["sort"] = self.sort
            args["order"] = "descending" if self.descending else "ascending"
        if self.page > 1:
            args["page"] = str(self.page)
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = value
        return args

    def url(self, **changes) -> str:
        return url_for(self.spec.endpoint, **self.url_values, **self.query(**changes))

    def page_url(self, number: int) -> str:
        return self.url(page=str(number) if number > 1 else None)

    def sort_url(self, column: Column) -> str:
        descending = not self.descending if column.key == self.sort else column.numeric
        return self.url(sort=column.key, order="descending" if descending else "ascending", page=None)

    def aria_sort(self, column: Column) -> str | None:
        if not column.sortable:
            return None
        if column.key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def selected(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The chosen filters, by category, each with the link that removes it."""
        out = []
        for f in self.spec.filters:
            value = self.values.get(f.name)
            if value and value != f.default:
                out.append((f.label, [(f.label_of(value), self.url(**{f.name: "" if f.default else None},
                                                                     page=None))]))
        return out

    @property
    def form_url(self) -> str:
        """The filter form's action: the list alone, since a GET form sends every filter itself."""
        return url_for(self.spec.endpoint, **self.url_values)

    @property
    def clear_url(self) -> str:
        return url_for(self.spec.endpoint, **self.url_values,
                       **{f.name: "" for f in self.spec.filters if f.default})

    def order_by(self, expressions: Mapping[str, object], *tiebreak) -> list:
        return ordered(expressions, self.sort, self.descending, *tiebreak)

    def page_of(self, session, stmt, scalars: bool = True) -> "Page":
        return paginate(session, stmt, self.page, self.spec.page_size, scalars)

    def page_of_rows(self, rows: Sequence) -> "Page":
        return paginate_rows(rows, self.page, self.spec.page_size)


def ordered(expressions: Mapping[str, object], sort: str | None, descending: bool, *tiebreak) -> list:
    """ORDER BY for the chosen column (`expressions` maps a column key to a SQL expression or a list
    of them), then `tiebreak` so pages never overlap. Only `tiebreak` when no known column is chosen."""
    if not sort or sort not in expressions:
        return list(tiebreak)
    chosen = expressions[sort]
    chosen = chosen if isinstance(chosen, list | tuple) else [chosen]
    return [*((e.desc() if descending else e.asc()).nulls_last() for e in chosen), *tiebreak]


# A list counts its rows up to here. Past it, "More than 10,000" is all a count can tell anyone, and
# counting a million closed referrals on every page would make the page grow with the service's history.
COUNT_LIMIT = 10_000


@dataclass
class Page:
    """One page of a list. `numbers` are the page links GOV.UK pagination shows (None for "…").
    `more`: there are more rows than `total` (COUNT_LIMIT) and the pages reach the first COUNT_LIMIT."""

    items: list
    total: int
    number: int
    size: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.size), 1)

    @property
    def first_row(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.number * self.size, self.total)

    @property
    def numbers(self) -> list[int | None]:
        wanted = sorted({1, self.pages, self.number - 1, self.number, self.number + 1} & set(range(1, self.pages + 1)))
        out: list[int | None] = []
        for n in wanted:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def _page_number(page: int, total: int, size: int) -> int:
    return min(max(page, 1), max(ceil(total / size), 1))


def paginate(session, stmt, page: int = 1, size: int = PAGE_SIZE, scalars: bool = True, count=None) -> Page:
    """One page of a SELECT, counted (up to COUNT_LIMIT) so the last page can be reached. `count` is a
    lighter SELECT of the same rows to count instead (the same WHERE, without the joins and columns that
    only fill a row in: counting through them cost PostgreSQL a hash join over every person)."""
    counted = (stmt if count is None else count).order_by(None).limit(COUNT_LIMIT + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery()))
    more = total > COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    number = _page_number(page, total, size)
    result = session.execute(stmt.limit(size).offset((number - 1) * size))
    return Page(list(result.scalars() if scalars else result), total, number, size, more)


def paginate_rows(rows: Sequence, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of a list already in memory (ordered in Python, e.g. by a clock)."""
    number = _page_number(page, len(rows), size)
    return Page(list(rows[(number - 1) * size: number * size]), len(rows), number, size)
