"""Bank holidays for each UK nation, from the maintained `holidays` library.

England and Wales share one list; Scotland and Northern Ireland have their own. Substitute days
(a holiday at a weekend moves to the next weekday) and one-off days (a coronation, a state
funeral) come with the library. The council adds its own closure days with `BANK_HOLIDAYS_EXTRA`.
"""

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

import holidays as holiday_calendars

from portal.config import setting

NATIONS = {"england_and_wales": "ENG", "scotland": "SCT", "northern_ireland": "NIR"}
YEARS = range(2000, 2071)


@lru_cache(maxsize=8)
def nation_holidays(nation: str = "england_and_wales") -> frozenset[date]:
    calendar = holiday_calendars.country_holidays("GB", subdiv=NATIONS[nation], years=YEARS)
    return frozenset(day for day in calendar if day.weekday() < 5)  # a weekend day is off already


ENGLAND_AND_WALES = nation_holidays("england_and_wales")


def bank_holidays(extra: Iterable[date | str] | None = None, nation: str | None = None) -> frozenset[date]:
    """The days no working-day clock runs: the nation's bank holidays plus the council's closures.

    Both come from the settings unless given. Extra days may be dates or ISO strings
    ("2025-12-24"), since they usually come from config.
    """
    nation = nation or setting("BANK_HOLIDAYS_NATION")
    extra = setting("EXTRA_CLOSURE_DAYS") if extra is None else extra
    days = set()
    for value in extra:
        if isinstance(value, datetime):
            days.add(value.date())
        elif isinstance(value, date):
            days.add(value)
        else:
            days.add(date.fromisoformat(str(value).strip()))
    base = nation_holidays(nation)
    return base | days if days else base
