"""Figures by month group by the London month, on both databases (portal.sql.month_key)."""

from datetime import date, datetime

import pytest
from sqlalchemy import literal, select

from portal.sql import month_key


@pytest.mark.parametrize(("utc", "month"), [
    (datetime(2026, 9, 30, 23, 30), "2026-10"),  # 00:30 on 1 October, summer time
    (datetime(2026, 9, 30, 22, 59), "2026-09"),
    (datetime(2026, 3, 31, 23, 0), "2026-04"),  # summer time began on 29 March
    (datetime(2026, 10, 31, 23, 30), "2026-10"),  # back on GMT since 25 October
    (datetime(2026, 12, 31, 23, 59), "2026-12"),
    (datetime(2027, 1, 1, 0, 0), "2027-01"),
    (date(2026, 9, 30), "2026-09"),  # a date is its own month
    (date(2026, 12, 1), "2026-12"),
])
def test_a_time_counts_in_its_london_month(db_session, utc, month):
    assert db_session.scalar(select(month_key(db_session, literal(utc)))) == month
