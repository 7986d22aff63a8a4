"""The demo data's history is dated when it happened (seeders only); every other row is stamped now."""

from datetime import datetime, timedelta

from portal.audit.services import backdated, record
from portal.timeutil import utcnow


def test_rows_written_inside_backdated_carry_that_time_and_only_those(db_session):
    when = datetime(2026, 10, 24, 22, 30)
    with backdated(when):
        old = record(db_session, "seed-demo", "referral.created", "referral", 1)
    fresh = record(db_session, "seed-demo", "referral.created", "referral", 2)
    db_session.flush()
    assert old.at == when
    assert abs(fresh.at - utcnow()) < timedelta(minutes=1)
