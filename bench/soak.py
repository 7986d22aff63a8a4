"""`make soak`: a bounded load soak on 127.0.0.1 with mixed staff and public traffic at a steady
rate. Passes when there were zero errors (5xx, refused connections, unexpected statuses) and every
request the public submitted is in the database.

    python -m bench.soak                     # 150 s at about 20 requests a second, SQLite
    SOAK_SECONDS=60 SOAK_RATE=30 python -m bench.soak
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.soak

Traffic: public 'ask for help' submissions (the whole journey: four question pages and check
answers), staff views of the triage queue, and claims of unassigned new referrals (a 409 when two
claimers race for one row is the designed answer, counted apart, not an error).
"""

import json
import os
import re
import sys
import threading
import time
from collections import Counter

from bench.measure import Session
from bench.run import PORT, WORK, Server, log
from bench.seed import BENCH_PASSWORD, BENCH_STAFF

SECONDS = min(float(os.environ.get("SOAK_SECONDS", "150")), 600)
RATE = min(float(os.environ.get("SOAK_RATE", "20")), 200)  # actions per second, all workers together
WORKERS = 8
MIX = ["public", "queue", "queue", "claim", "queue", "public", "claim", "queue"]  # one kind per worker

WHO = {"who": "someone", "your_name": "Sara Soak", "relationship": "Daughter", "consent": "yes"}
DETAILS = {"given_name": "Anil", "family_name": "Soak", "date_of_birth": ["4", "7", "1941"],
           "address_line_1": "12 Mill Lane", "town": "Ashdown", "postcode": "AB1 2DE"}
CONTACT = {"phone": "07700 900982"}
HELP = {"needs": ["equipment", "falls"], "help_wanted": "Fell on the stairs", "hospital": "no",
        "fallen_recently": "yes", "carer_struggling": "no"}
TOKEN = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
KEY = re.compile(rb'name="submission_key"[^>]*value="([^"]+)"')
CLAIM = re.compile(rb'action="/referrals/(\d+)/claim"[^<]*<input[^>]*csrf_token[^>]*value="([^"]+)"[^<]*'
                   rb'<input type="hidden" name="version" value="(\d+)"')


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.errors: list[str] = []
        self.submitted: list[str] = []
        self.conflicts = 0
        self.claims = 0

    def check(self, what: str, status: int, ok: tuple[int, ...]) -> bool:
        with self.lock:
            self.statuses[status] += 1
            if status not in ok:
                self.errors.append(f"{what}: {status}")
                return False
        return True


ANSWERS = {**WHO, **DETAILS, **CONTACT, **HELP}


def public_submission(s: Session, tally: Tally) -> None:
    """The whole public form, one question a page: each page gets the answers (it takes the fields
    it has) and says where to go next, until check your answers."""
    s.cookies.clear()
    path = "/ask-for-help/who"
    for _ in range(20):
        step = path.rsplit("/", 1)[-1]
        status, page = s.request("GET", path)
        if not tally.check(f"GET {step}", status, (200,)):
            return
        status, _ = s.request("POST", path, {**ANSWERS, "csrf_token": TOKEN.search(page).group(1)})
        if not tally.check(f"POST {step}", status, (303,)):
            return
        path = s.location.split("?")[0]
        if path.endswith("/ask-for-help/check"):
            break
    status, page = s.request("GET", "/ask-for-help/check")
    if not tally.check("GET check", status, (200,)):
        return
    key = KEY.search(page).group(1).decode()
    status, _ = s.request("POST", "/ask-for-help/check", {"csrf_token": TOKEN.search(page).group(1),
                                                          "submission_key": key})
    if tally.check("POST check", status, (303,)):
        with tally.lock:
            tally.submitted.append(key)


def queue_view(s: Session, tally: Tally) -> None:
    status, _ = s.request("GET", "/referrals")
    tally.check("GET /referrals", status, (200,))


def claim(s: Session, tally: Tally, offset: int) -> None:
    status, page = s.request("GET", "/referrals?assigned=unassigned&state=submitted",
                             headers={"HX-Request": "true", "HX-Target": "list-results"})
    if not tally.check("GET unassigned", status, (200,)):
        return
    rows = CLAIM.findall(page)
    if not rows:
        return
    rid, token, version = rows[offset % len(rows)]
    status, _ = s.request("POST", f"/referrals/{rid.decode()}/claim",
                          {"csrf_token": token.decode(), "version": version.decode()},
                          headers={"HX-Request": "true", "HX-Target": f"referral-row-{rid.decode()}"})
    if status == 409:
        with tally.lock:
            tally.conflicts += 1
            tally.statuses[409] += 1
        return
    if tally.check("POST claim", status, (200,)):
        with tally.lock:
            tally.claims += 1


def worker(index: int, kind: str, tally: Tally, stop_at: float, interval: float) -> None:
    s = Session(f"http://127.0.0.1:{PORT}")
    if kind != "public":
        s.sign_in(BENCH_STAFF["triage"][0], BENCH_PASSWORD)
    next_at = time.perf_counter() + interval * index / WORKERS
    count = 0
    while time.perf_counter() < stop_at and count < 100_000:
        delay = next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        next_at += interval
        count += 1
        try:
            if kind == "public":
                public_submission(s, tally)
            elif kind == "queue":
                queue_view(s, tally)
            else:
                claim(s, tally, index * 7 + count)
        except Exception as exc:  # a refused or reset connection is an error too
            with tally.lock:
                tally.errors.append(f"{kind}: {exc.__class__.__name__}: {exc}")
            s.conn.close()
            s = Session(f"http://127.0.0.1:{PORT}")
            if kind != "public":
                s.sign_in(BENCH_STAFF["triage"][0], BENCH_PASSWORD)
    s.conn.close()


def count_present(url: str, keys: list[str]) -> int:
    from sqlalchemy import func, select

    from bench.seed import make_app
    from portal.extensions import db
    from portal.referrals.models import Referral

    app = make_app(url)
    found = 0
    with app.app_context():
        for i in range(0, len(keys), 500):
            found += db.session.scalar(select(func.count()).select_from(Referral)
                                       .where(Referral.submission_key.in_(keys[i:i + 500])))
        db.session.remove()
        db.engine.dispose()
    return found


def main() -> int:
    from urllib.parse import urlsplit, urlunsplit

    from bench.seed import seed

    WORK.mkdir(parents=True, exist_ok=True)
    base = os.environ.get("BENCH_DATABASE_URL")
    if base:
        import psycopg

        url = urlunsplit(urlsplit(base)._replace(path="/tecs_soak"))
        with psycopg.connect(urlunsplit(urlsplit(base)._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS tecs_soak WITH (FORCE)")
            conn.execute("CREATE DATABASE tecs_soak")
    else:
        path = WORK / "soak.db"
        for suffix in ("", "-wal", "-shm"):
            (WORK / f"soak.db{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    log("seeding 10,000 referrals for the soak ...")
    seed(url, referrals=10_000, audit=10_000, quiet=True)
    tally = Tally()
    interval = WORKERS / RATE
    log(f"soak: {SECONDS:.0f} s, {RATE:.0f} actions/s over {WORKERS} workers ({', '.join(MIX)}) on 127.0.0.1")
    with Server("bench.wsgi:app", {"BENCH_APP_DATABASE_URL": url}, name="soak"):
        stop_at = time.perf_counter() + SECONDS
        threads = [threading.Thread(target=worker, args=(i, MIX[i], tally, stop_at, interval))
                   for i in range(WORKERS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 120)
        wall = time.perf_counter() - started
    present = count_present(url, tally.submitted)
    summary = {"seconds": round(wall, 1), "requests": sum(tally.statuses.values()),
               "req_per_s": round(sum(tally.statuses.values()) / wall, 1), "statuses": dict(tally.statuses),
               "errors": len(tally.errors), "first_errors": tally.errors[:5], "public_submitted": len(tally.submitted),
               "public_in_database": present, "claims": tally.claims, "claim_conflicts_409": tally.conflicts}
    print(json.dumps(summary, indent=2))
    ok = not tally.errors and present == len(tally.submitted) and tally.submitted
    print("SOAK PASSED" if ok else "SOAK FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
