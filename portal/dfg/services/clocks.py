"""DFG clocks, read with the portal's one `read_clock`: the decision within 6 months of the full
application, the works within 12 months of the approval, payment by the date in the decision, and
the window in which a refusal can be reviewed.

`deadline_expr()` is the same choice in SQL, so the queue's order and its overdue and due-soon
filters agree with the tags it shows.
"""

from datetime import date, datetime

from sqlalchemy import case

from portal.config import setting
from portal.dfg.models import DfgCase
from portal.timeutil import utcnow
from portal.web.clocks import Reading, london_date, read_clock

WORKS_STATES = ("approved", "works")


def _soon() -> int:
    return int(setting("DFG_DUE_SOON_DAYS"))


def _deadlines(c: DfgCase) -> list[tuple[str, date]]:
    """The staff deadlines running on the case in its stage: (label, due date)."""
    out = []
    if c.state == "application_received" and c.decision_due_date:
        out.append(("Decision due", c.decision_due_date))
    if c.state in WORKS_STATES and c.works_due_date:
        out.append(("Works expected by", c.works_due_date))
    if c.state in (*WORKS_STATES, "completed") and c.payment_due_date:
        out.append(("Payment due", c.payment_due_date))
    return sorted(out, key=lambda d: d[1])


def clock_for(c: DfgCase, now: datetime | None = None) -> Reading | None:
    """The most pressing deadline on the case (the earliest), as the queue shows and sorts it."""
    deadlines = _deadlines(c)
    if not deadlines:
        return None
    label, due = deadlines[0]
    return read_clock(label, due, now or utcnow(), due_soon_days=_soon())


def case_clocks(c: DfgCase, now: datetime | None = None) -> list[Reading]:
    """Every clock running on the case, most pressing first, and the review window while it is open."""
    now = now or utcnow()
    readings = [read_clock(label, due, now, due_soon_days=_soon()) for label, due in _deadlines(c)]
    if c.state == "refused" and c.review_due_date and c.review_due_date >= london_date(now):
        readings.append(read_clock("Review can be asked for until", c.review_due_date, now))
    return readings


def _earlier(a, b):
    return case((a.is_(None), b), (b.is_(None), a), (a <= b, a), else_=b)


def deadline_expr():
    """The due date of `clock_for` in SQL (NULL when no deadline runs)."""
    return case(
        (DfgCase.state == "application_received", DfgCase.decision_due_date),
        (DfgCase.state.in_(WORKS_STATES), _earlier(DfgCase.works_due_date, DfgCase.payment_due_date)),
        (DfgCase.state == "completed", DfgCase.payment_due_date),
        else_=None,
    )
