"""Stored times are naive UTC and shown on London's clock once, in English or Welsh (LANG-05)."""

from datetime import datetime

from portal.timeutil import LONDON, to_london
from portal.web.filters import format_datetime


def test_a_summer_time_is_moved_to_london_once_in_either_language():
    stored = datetime(2025, 5, 26, 15, 18)  # 4:18pm British Summer Time
    assert format_datetime(stored, "en") == "26 May 2025 at 4:18pm"
    assert format_datetime(stored, "cy") == "26 Mai 2025 am 4:18yp"


def test_to_london_leaves_a_london_time_as_it_is():
    local = to_london(datetime(2025, 12, 25, 9, 0))
    assert to_london(local) == local and local.tzinfo == LONDON
    assert to_london(datetime(2025, 7, 1, 11, 0)).hour == 12
