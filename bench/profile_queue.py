"""Profile one endpoint in-process against a seeded database (no server, no network):

    python -m bench.profile_queue [/referrals] [--n 50] [--db bench/work/bench-100000.db] [--sql]
        [--role triage|stores|manager]
    python -m bench.profile_queue /bench/hello --db postgresql://postgres@127.0.0.1:5432/tecs_bench_100000

Prints the top of a cProfile run (cumulative time) and, with --sql, each SQL statement's time.
"""

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from sqlalchemy import event

from bench.seed import BENCH_PASSWORD, BENCH_STAFF


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/referrals")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--db", default=str(Path(__file__).parent / "work" / "bench-100000.db"))
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--htmx", action="store_true")
    parser.add_argument("--role", choices=sorted(BENCH_STAFF), default="triage", help="the bench account to sign in as")
    args = parser.parse_args(argv)
    import os

    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    os.environ["BENCH_APP_DATABASE_URL"] = url
    from bench.wsgi import app
    from portal.extensions import db
    from tests.conftest import csrf_from

    client = app.test_client()
    page = client.get("/sign-in")
    client.post("/sign-in", data={"email": BENCH_STAFF[args.role][0], "password": BENCH_PASSWORD,
                                  "csrf_token": csrf_from(page.text)})
    headers = {"HX-Request": "true", "HX-Target": "list-results"} if args.htmx else {}
    for _ in range(5):
        assert client.get(args.path, headers=headers).status_code == 200
    if args.sql:
        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _start(conn, cursor, statement, params, context, executemany):
            conn.info["t"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _end(conn, cursor, statement, params, context, executemany):
            print(f"{(time.perf_counter() - conn.info['t']) * 1000:8.2f} ms  {' '.join(statement.split())[:150]}")

        client.get(args.path, headers=headers)
        return
    started = time.perf_counter()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.n):
        client.get(args.path, headers=headers)
    profile.disable()
    print(f"{(time.perf_counter() - started) / args.n * 1000:.1f} ms per request (profiled)")
    pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(35)


if __name__ == "__main__":
    main()
