"""Dates on a DFG case are checked against each other: enquiry ≤ full application ≤ decision ≤
works start ≤ completion ≤ inspection ≤ final payment; quotes not before the enquiry; nothing that
records something done is dated in the future."""

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _

from portal.errors import Refusal


def long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def check_date(value: date | None, field: str, what: str, today: date,
               after: Iterable[tuple[date | None, str]] = ()) -> None:
    """Refuse (on `field`) a date in the future or before any of the `after` dates that is set.
    `what` names the date ("The decision date"); each `after` pair is (date, "what happened then")."""
    if value is None:
        raise Refusal(_("Enter %(value)s", value=what[0].lower() + what[1:]), field=field)
    if value > today:
        raise Refusal(_("%(what)s cannot be in the future", what=what), field=field)
    for earlier, event in after:
        if earlier is not None and value < earlier:
            raise Refusal(_("%(what)s cannot be before %(long_date)s, when %(event)s",
                            what=what, long_date=long_date(earlier), event=event), field=field)
