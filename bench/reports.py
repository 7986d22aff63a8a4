"""Time the reports dashboard on a council-sized database.

    python -m bench.seed --referrals 100000 --database sqlite:///bench/work/r.db
    python -m bench.reports --database sqlite:///bench/work/r.db

bench.seed leaves clocks empty; this fills contact and assessment times, some pauses and a year and
a half of self-assessments (once), then signs a manager in and times GET /reports/ in-process
(server-side: no network), as well as the board report.
"""

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update

from bench.seed import make_app
from portal.advice.models import AdviceReport
from portal.extensions import db, write_intent
from portal.referrals.models import Referral, ReferralPause

PASSWORD = "bench reports password 42"


def fill_clocks(rng: random.Random, now: datetime) -> None:
    if db.session.scalar(select(func.count()).select_from(Referral).where(Referral.assessed_at.is_not(None))):
        return
    rows = db.session.execute(select(Referral.id, Referral.received_at, Referral.state, Referral.priority)).all()
    updates, pauses = [], []
    for rid, received, state, priority in rows:
        contact_days, assess_days = {"urgent": (0.1, 2), "high": (2, 10), "routine": (5, 28)}[priority]
        row = {"b_id": rid, "contact_due_at": received + timedelta(days=contact_days),
               "assessment_due_at": received + timedelta(days=assess_days)}
        if state in ("assessed", "closed") or (state == "awaiting_assessment" and rng.random() < 0.5):
            row["first_contact_at"] = received + timedelta(days=contact_days * rng.uniform(0.2, 1.4))
        else:
            row["first_contact_at"] = None
        if state in ("assessed", "closed"):
            row["assessed_at"] = min(received + timedelta(days=assess_days * rng.uniform(0.3, 1.6)), now)
            if rng.random() < 0.05:
                pauses.append({"referral_id": rid, "started_at": received + timedelta(days=1),
                               "ended_at": received + timedelta(days=4), "reason": "Waiting for the GP"})
        else:
            row["assessed_at"] = None
        updates.append(row)
    from sqlalchemy import bindparam

    stmt = (update(Referral.__table__).where(Referral.__table__.c.id == bindparam("b_id"))
            .values(contact_due_at=bindparam("contact_due_at"), assessment_due_at=bindparam("assessment_due_at"),
                    first_contact_at=bindparam("first_contact_at"), assessed_at=bindparam("assessed_at")))
    conn = db.session.connection()
    for i in range(0, len(updates), 5000):
        conn.execute(stmt, updates[i:i + 5000])
    if pauses:
        conn.execute(insert(ReferralPause), pauses)
    advice = [{"reference": f"bench-{i:08d}", "status": "completed", "content_version": "bench", "answers": {},
               "areas": [], "recommendation_ids": [], "urgent": False,
               "outcome": "self_help" if rng.random() < 0.6 else "asked_for_help",
               "created_at": now, "updated_at": now,
               "completed_at": now - timedelta(minutes=rng.randint(0, 548 * 24 * 60))} for i in range(30000)]
    conn.execute(insert(AdviceReport), advice)
    db.session.commit()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    import sys

    for name in ("portal.dfg.services", "portal.telecare.services"):  # another checkout's work in progress
        sys.modules.setdefault(name, None)
    app = make_app(args.database)
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    rng = random.Random(8)
    with app.app_context():
        with write_intent():
            fill_clocks(rng, datetime(2026, 11, 23, 12, 0))
            from portal.auth.models import User
            from portal.auth.services import create_user

            if db.session.scalar(select(User).where(User.email == "bench-manager@example.test")) is None:
                create_user(db.session, "bench", email="bench-manager@example.test", name="Bench Manager",
                            password=PASSWORD, roles=["manager"])
            db.session.commit()
        counts = {t: db.session.scalar(select(func.count()).select_from(t)) for t in (Referral, AdviceReport)}
    print(f"referrals {counts[Referral]:,}, self-assessments {counts[AdviceReport]:,}")
    client = app.test_client()
    resp = client.post("/sign-in", data={"email": "bench-manager@example.test", "password": PASSWORD})
    assert resp.status_code == 303, resp.status_code
    urls = {"dashboard, last 3 months (default)": "/reports/",
            "dashboard, 12 months": "/reports/?start=24&start=11&start=2025&end=23&end=11&end=2026",
            "dashboard, 12 months, one locality": "/reports/?start=24&start=11&start=2025&end=23&end=11&end=2026"
                                                  "&locality=North",
            "board report (two periods)": "/reports/board?period=2026-09",
            "one CSV export": "/reports/export/responsiveness-waits.csv"}
    for name, url in urls.items():
        client.get(url)  # warm up
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            resp = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
        print(f"{name:45s} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")


if __name__ == "__main__":
    main()
