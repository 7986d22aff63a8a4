"""Bank holidays in England and Wales, 2023 to 2028.

Listed as literals, not computed, so each date can be checked by eye against the published list.
Substitute days are included: when a holiday falls at a weekend the next weekday is the holiday
(the Saturday and Sunday dates themselves are weekends, so they are left out). After 2028 the list
is empty: add the new years here before then.
"""

from collections.abc import Iterable
from datetime import date, datetime

ENGLAND_AND_WALES: frozenset[date] = frozenset({
    # 2023 (Easter Sunday 9 April)
    date(2023, 1, 2),    # New Year's Day (substitute: 1 January was a Sunday)
    date(2023, 4, 7),    # Good Friday
    date(2023, 4, 10),   # Easter Monday
    date(2023, 5, 1),    # Early May bank holiday
    date(2023, 5, 8),    # Coronation of King Charles III
    date(2023, 5, 29),   # Spring bank holiday
    date(2023, 8, 28),   # Summer bank holiday
    date(2023, 12, 25),  # Christmas Day
    date(2023, 12, 26),  # Boxing Day
    # 2024 (Easter Sunday 31 March)
    date(2024, 1, 1),    # New Year's Day
    date(2024, 3, 29),   # Good Friday
    date(2024, 4, 1),    # Easter Monday
    date(2024, 5, 6),    # Early May bank holiday
    date(2024, 5, 27),   # Spring bank holiday
    date(2024, 8, 26),   # Summer bank holiday
    date(2024, 12, 25),  # Christmas Day
    date(2024, 12, 26),  # Boxing Day
    # 2025 (Easter Sunday 20 April)
    date(2025, 1, 1),    # New Year's Day
    date(2025, 4, 18),   # Good Friday
    date(2025, 4, 21),   # Easter Monday
    date(2025, 5, 5),    # Early May bank holiday
    date(2025, 5, 26),   # Spring bank holiday
    date(2025, 8, 25),   # Summer bank holiday
    date(2025, 12, 25),  # Christmas Day
    date(2025, 12, 26),  # Boxing Day
    # 2026 (Easter Sunday 5 April)
    date(2026, 1, 1),    # New Year's Day
    date(2026, 4, 3),    # Good Friday
    date(2026, 4, 6),    # Easter Monday
    date(2026, 5, 4),    # Early May bank holiday
    date(2026, 5, 25),   # Spring bank holiday
    date(2026, 8, 31),   # Summer bank holiday
    date(2026, 12, 25),  # Christmas Day
    date(2026, 12, 28),  # Boxing Day (substitute: 26 December is a Saturday)
    # 2027 (Easter Sunday 28 March)
    date(2027, 1, 1),    # New Year's Day
    date(2027, 3, 26),   # Good Friday
    date(2027, 3, 29),   # Easter Monday
    date(2027, 5, 3),    # Early May bank holiday
    date(2027, 5, 31),   # Spring bank holiday
    date(2027, 8, 30),   # Summer bank holiday
    date(2027, 12, 27),  # Christmas Day (substitute: 25 December is a Saturday)
    date(2027, 12, 28),  # Boxing Day (substitute: 26 December is a Sunday)
    # 2028 (Easter Sunday 16 April)
    date(2028, 1, 3),    # New Year's Day (substitute: 1 January is a Saturday)
    date(2028, 4, 14),   # Good Friday
    date(2028, 4, 17),   # Easter Monday
    date(2028, 5, 1),    # Early May bank holiday
    date(2028, 5, 29),   # Spring bank holiday
    date(2028, 8, 28),   # Summer bank holiday
    date(2028, 12, 25),  # Christmas Day
    date(2028, 12, 26),  # Boxing Day
})


def bank_holidays(extra: Iterable[date | str] = ()) -> frozenset[date]:
    """The shipped bank holidays plus the council's own closure days.

    Extra days may be dates or ISO strings ("2025-12-24"), since they usually come from config.
    """
    days = set()
    for value in extra:
        if isinstance(value, datetime):
            days.add(value.date())
        elif isinstance(value, date):
            days.add(value)
        else:
            days.add(date.fromisoformat(str(value).strip()))
    return ENGLAND_AND_WALES | days if days else ENGLAND_AND_WALES
