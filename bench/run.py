"""`make bench`: seed, serve with gunicorn as in production, drive from a separate process on
127.0.0.1, and report req/s and p50/p95/p99 against the Flask and raw WSGI ceilings, on PostgreSQL
(the production database) and then SQLite in the same run.

    python -m bench.run                       # PostgreSQL (when it answers on 127.0.0.1:5432), then SQLite
    BENCH_FULL=1 python -m bench.run          # adds the 1,000,000-referral queue run (slow to seed)
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.run
                                              # PostgreSQL elsewhere: databases tecs_bench_<n> are created there
    BENCH_BACKENDS=postgresql|sqlite ...      # one of the two only
    BENCH_RESEED=1 ...                        # rebuild the seeded databases

Server: gunicorn --workers 2 --threads 4 (gthread), the Makefile's `make run` settings, for the
portal (bench.wsgi:app, production settings bar loopback needs) and the two ceilings
(bench.ceilings:hello, bench.ceilings:raw). One server at a time, so the load generator and the
server share the same two cores the same way for every row. Results: bench/results/<stamp>.json/.md.
"""

import gzip
import json
import os
import platform
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))
WORKERS, THREADS = os.environ.get("BENCH_WORKERS", "2"), os.environ.get("BENCH_THREADS", "4")
PORT = int(os.environ.get("BENCH_PORT", "8101"))
MAIN = 100_000
SEED_VERSION = "v2"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# Databases ---------------------------------------------------------------------------------

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_base() -> str | None:
    """The PostgreSQL server to bench on: BENCH_DATABASE_URL, else the local one if it answers."""
    url = os.environ.get("BENCH_DATABASE_URL") or PG_DEFAULT
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=2).close()
    except Exception as exc:
        if os.environ.get("BENCH_DATABASE_URL"):
            raise SystemExit(f"BENCH_DATABASE_URL does not answer: {exc}") from None
        return None
    return url


def backends() -> list[str]:
    wanted = os.environ.get("BENCH_BACKENDS", "postgresql,sqlite").split(",")
    found = []
    if "postgresql" in wanted:
        if postgres_base():
            found.append("postgresql")
        else:
            log("PostgreSQL does not answer on 127.0.0.1:5432: benching SQLite only")
    if "sqlite" in wanted:
        found.append("sqlite")
    return found


def database_url(size: int, backend: str = "sqlite") -> str:
    if backend == "sqlite":
        return f"sqlite:///{WORK / f'bench-{size}.db'}"
    parts = urlsplit(postgres_base())
    return urlunsplit(parts._replace(path=f"/tecs_bench_{size}"))


def _seed_args(size: int) -> dict:
    if size == MAIN:
        return {"referrals": size, "audit": 1_000_000, "assets": 20_000, "movements": 200_000, "orders": 5_000,
                "dfg": 10_000, "telecare": 5_000, "advice": 20_000}
    return {"referrals": size, "audit": size, "assets": 0, "movements": 0, "orders": 0}


def migrate(url: str) -> None:
    """A reused database gets this build's migrations (new indexes) and fresh planner statistics.
    PostgreSQL is vacuumed too, as autovacuum keeps a live database: a freshly bulk-loaded table has
    no visibility map, so every index-only scan would still read the table."""
    from flask_migrate import upgrade

    from bench.seed import make_app, refresh_figures
    from portal.extensions import db

    app = make_app(url)
    with app.app_context():
        upgrade(revision="heads")
        refresh_figures()  # the dashboard's daily totals, as the scheduled `flask reports refresh` keeps them
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")
        db.session.remove()
        db.engine.dispose()


def ensure_seeded(size: int, backend: str) -> dict:
    url = database_url(size, backend)
    marker = WORK / f"seeded-{size}-{SEED_VERSION}-{'pg' if url.startswith('postgres') else 'sqlite'}.json"
    if marker.exists() and not os.environ.get("BENCH_RESEED"):
        migrate(url)
        return json.loads(marker.read_text()) | {"reused": True}
    if url.startswith("postgres"):
        import psycopg

        admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS tecs_bench_{size} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE tecs_bench_{size}")
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / f'bench-{size}.db'}{suffix}").unlink(missing_ok=True)
    log(f"seeding {size:,} referrals ({_seed_args(size)}) ...")
    from bench.seed import seed

    report = seed(url, quiet=True, **_seed_args(size))
    marker.write_text(json.dumps(report))
    log(f"  seeded in {report['seconds']} s")
    return report


def requested_orders(url: str, wanted: int = 1200) -> list[int]:
    """Ids of orders still `requested` (each run reserves some); tops up when they run low."""
    from sqlalchemy import func, select

    from bench.seed import add_orders, make_app
    from portal.equipment.models import Order
    from portal.extensions import db, write_intent

    app = make_app(url)
    with app.app_context():
        ids = list(db.session.scalars(select(Order.id).where(Order.state == "requested").order_by(Order.id)
                                      .limit(wanted)))
        if len(ids) < wanted:
            start = (db.session.scalar(select(func.max(Order.id))) or 0) + 1
            db.session.remove()
            with write_intent(), db.engine.begin() as conn:
                add_orders(conn, random.Random(start), datetime(2026, 11, 23, 12), 5_000, people=MAIN,
                           start_id=start)
            ids = list(db.session.scalars(select(Order.id).where(Order.state == "requested")
                                          .order_by(Order.id).limit(wanted)))
        db.session.remove()
        db.engine.dispose()
    return ids


# Servers -----------------------------------------------------------------------------------

class Server:
    def __init__(self, target: str, env: dict | None = None, name: str = "server") -> None:
        self.target, self.env, self.name = target, env or {}, name

    def __enter__(self):
        self.logfile = open(WORK / f"gunicorn-{self.name}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [GUNICORN, "--workers", WORKERS, "--threads", THREADS, "--bind", f"127.0.0.1:{PORT}",
             "--timeout", "30", "--graceful-timeout", "5", self.target],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
            stdout=self.logfile, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=2):
                    return self
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit(f"gunicorn for {self.target} exited; see {self.logfile.name}") from None
                time.sleep(0.3)
        raise SystemExit(f"gunicorn for {self.target} did not start within 60 s")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.logfile.close()


def loadgen(suite: str, **extra) -> list[dict]:
    args = [PY, "-m", "bench.loadgen", "--base", f"http://127.0.0.1:{PORT}", "--suite", suite]
    for key, value in extra.items():
        args += [f"--{key}", str(value)]
    out = subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True,
                         stdout=subprocess.PIPE, timeout=900)
    return json.loads(out.stdout)


def first_view_weight() -> dict:
    """The queue page's first view as a browser with an empty cache fetches it: the HTML (gzip, as
    the reverse proxy sends it), then every stylesheet, script and module it loads, and what those
    import or reference (fonts, images), as the server sends them to a client accepting gzip (the
    pre-compressed copies). Plus /favicon.ico when the page names no icon: browsers ask for it."""
    from bench.measure import Session
    from bench.seed import BENCH_PASSWORD, BENCH_STAFF

    s = Session(f"http://127.0.0.1:{PORT}")
    s.sign_in(BENCH_STAFF["triage"][0], BENCH_PASSWORD)
    _, html = s.request("GET", "/referrals")
    parts = {"html": len(gzip.compress(html, 6))}
    pending = sorted(set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)))
    if b'rel="icon"' not in html:
        pending.append(b"/favicon.ico")
    while pending:
        path = pending.pop().decode()
        if path in parts:
            continue
        _, body = s.request("GET", path, headers={"Accept-Encoding": "gzip"})
        parts[path] = len(body)
        folder = path.rsplit("/", 1)[0]
        if path.endswith(".css"):
            refs = re.findall(r"url\(['\"]?([^'\")]+)", _plain(body))
        elif path.endswith((".js", ".mjs")):
            refs = re.findall(r"""(?:import|from)\s*['"](\.{1,2}/[^'"]+|/[^'"]+)['"]""", _plain(body))
        else:
            refs = []
        for ref in refs:
            if not ref.startswith(("data:", "http", "#")):
                pending.append(os.path.normpath(ref if ref.startswith("/") else f"{folder}/{ref}").encode())
    return {"total_gzip_bytes": sum(parts.values()), "parts": parts}


def _plain(body: bytes) -> str:
    try:
        return gzip.decompress(body).decode("utf-8", "replace")
    except OSError:
        return body.decode("utf-8", "replace")


# The filtered queue's plans -----------------------------------------------------------------

FILTERED = {"priority": "urgent", "need": "falls", "locality": "North"}  # the load generator's filtered queue
WITHOUT_0023 = ("DROP INDEX ix_referral_open_locality_priority",
                "DROP STATISTICS IF EXISTS st_referral_effective_priority", "ANALYZE referral")


def filtered_queue_plans(url: str) -> dict:
    """EXPLAIN ANALYZE of the filtered queue's two statements (its page and its count), as the app
    sends them, with this build's indexes and statistics ("after") and, on PostgreSQL, inside a
    transaction that is rolled back, without what migration 0023 added ("before")."""
    from sqlalchemy import event, select

    from bench.seed import BENCH_STAFF, make_app
    from portal.auth.models import User
    from portal.extensions import db
    from portal.referrals.services.queries import QueueFilters, queue

    app = make_app(url)
    plans: dict = {}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == BENCH_STAFF["triage"][0]))
        sent: list[tuple[str, object]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            if "FROM referral JOIN person" in statement:
                sent.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        queue(db.session, user, QueueFilters(**FILTERED))
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.rollback()
        postgres = db.engine.dialect.name == "postgresql"
        explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        with db.engine.connect() as conn:
            def run(label: str) -> None:
                for statement, parameters in sent:
                    kind = "count" if statement.lstrip().upper().startswith("SELECT COUNT") else "page"
                    conn.exec_driver_sql(statement, parameters).fetchall()  # warm, as a live server is
                    rows = conn.exec_driver_sql(explain + statement, parameters).fetchall()
                    plans[f"{kind}, {label}"] = "\n".join(" ".join(str(c) for c in row) for row in rows)

            run("this build")
            if postgres:
                for ddl in WITHOUT_0023:
                    conn.exec_driver_sql(ddl)
                run("without migration 0023 (before)")
                conn.rollback()
        db.session.remove()
        db.engine.dispose()
    return plans


def _execution_ms(plan: str) -> str:
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return f"{float(found.group(1)):.1f} ms" if found else "–"


# Report ------------------------------------------------------------------------------------

def _fmt_row(r: dict, hello: dict) -> str:
    ratio = r["rps"] / hello[r["concurrency"]] * 100 if hello.get(r["concurrency"]) else 0
    return (f"| {r['name']} | {r['concurrency']} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {ratio:.0f} % | {r['bytes'] / 1024:.1f} | {r['gzip_bytes'] / 1024:.1f} | "
            f"{r['errors']} |")


def markdown_backend(result: dict) -> list[str]:
    hello = {r["concurrency"]: r["rps"] for r in result["ceilings"]["flask hello"]}
    main_seed = result["seeds"].get(str(MAIN), {})
    lines = [
        f"## {result['backend']} ({MAIN:,} referrals, {main_seed.get('dfg', 0):,} DFG cases, "
        f"{main_seed.get('telecare', 0):,} telecare connections)",
        "",
        "| Endpoint | Conns | Req/s | p50 ms | p95 ms | p99 ms | of Flask hello | KB raw | KB gzip | Errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in result["ceilings"].items():
        for r in rows:
            lines.append(_fmt_row({**r, "name": f"*{name} (ceiling)*"}, hello))
    for r in result["endpoints"]:
        lines.append(_fmt_row(r, hello))
    lines += ["", "| Queue page, c=8 | p50 ms | p95 ms | p99 ms | req/s |", "|---|---|---|---|---|"]
    for size, r in sorted(result["scaling"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"| {int(size):,} referrals | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{r['rps']:,.0f} |")
    lines += ["", "| Target (issue 13) | Result | Met |", "|---|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['target']} | {t['result']} | {'yes' if t['met'] else '**no**'} |")
    plans = result.get("plans") or {}
    if plans:
        lines += ["", "Filtered queue (`?priority=urgent&need=falls&locality=North`), the statements as the app "
                      "sends them:", ""]
        for label, plan in plans.items():
            lines += [f"<details><summary>{label}: {_execution_ms(plan)}</summary>", "", "```", plan, "```", "",
                      "</details>", ""]
    return lines


def markdown(run: dict) -> str:
    lines = [
        f"# Benchmark {run['stamp']} ({run['cores']} cores, gunicorn -w {WORKERS} --threads {THREADS}, "
        f"Python {run['python']}, SQLite {run['sqlite']})",
        "",
        f"Load average (1, 5, 15 min) before the run: {', '.join(map(str, run.get('load_before', [])))}; "
        f"after: {', '.join(map(str, run.get('load_after', [])))}.",
        "",
    ]
    for result in run["backends"]:
        lines += markdown_backend(result) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _endpoint(result: dict, name: str, concurrency: int) -> dict:
    return next(r for r in result["endpoints"] if r["name"] == name and r["concurrency"] == concurrency)


def targets(result: dict) -> list[dict]:
    """The targets of issue 13, each against the Flask hello measured in the same run."""
    hello8 = next(r for r in result["ceilings"]["flask hello"] if r["concurrency"] == 8)["rps"]
    stack8 = _endpoint(result, "app-stack hello (signed in)", 8)
    queue8 = _endpoint(result, "triage queue page", 8)
    filtered8 = _endpoint(result, "queue filtered", 8)
    person8 = _endpoint(result, "person record", 8)
    dashboard1 = _endpoint(result, "dashboard", 1)
    fragment8 = _endpoint(result, "queue fragment (htmx)", 8)
    sizes = sorted(int(s) for s in result["scaling"])
    small, large = result["scaling"][str(sizes[0])], result["scaling"][str(sizes[-1])]
    growth = large["p95_ms"] / small["p95_ms"] if small["p95_ms"] else 0
    first = result["first_view"]["total_gzip_bytes"]
    rows = [
        ("app-stack hello ÷ Flask hello, c=8 ≥ 50 %", f"{stack8['rps'] / hello8 * 100:.0f} %",
         stack8["rps"] / hello8 >= 0.5),
        ("queue page ÷ Flask hello, c=8 ≥ 25 %", f"{queue8['rps'] / hello8 * 100:.0f} %",
         queue8["rps"] / hello8 >= 0.25),
        ("queue page p95, c=8 ≤ 30 ms", f"{queue8['p95_ms']:.1f} ms", queue8["p95_ms"] <= 30),
        ("filtered queue p95, c=8 ≤ 40 ms", f"{filtered8['p95_ms']:.1f} ms", filtered8["p95_ms"] <= 40),
        ("person record p95, c=8 ≤ 40 ms", f"{person8['p95_ms']:.1f} ms", person8["p95_ms"] <= 40),
        ("dashboard p50, c=1 ≤ 100 ms", f"{dashboard1['p50_ms']:.1f} ms", dashboard1["p50_ms"] <= 100),
        (f"queue p95 at {sizes[-1]:,} ÷ at {sizes[0]:,} referrals ≤ 1.3",
         f"{growth:.2f} ({large['p95_ms']:.1f} ms ÷ {small['p95_ms']:.1f} ms)", growth <= 1.3),
        ("50-row fragment, gzip ≤ 4 KB", f"{fragment8['gzip_bytes'] / 1024:.1f} KB", fragment8["gzip_bytes"] <= 4096),
        ("first view ≤ 100 KB compressed", f"{first / 1024:.1f} KB", first <= 100 * 1024),
    ]
    return [{"target": t, "result": r, "met": bool(m)} for t, r, m in rows]


def bench_backend(backend: str, sizes: list[int]) -> dict:
    from portal.referrals.seed import FAMILY

    log(f"== {backend} ==")
    seeds = {str(size): ensure_seeded(size, backend) for size in sizes}
    url = database_url(MAIN, backend)
    orders_file = WORK / f"orders-{backend}.json"
    orders_file.write_text(json.dumps(requested_orders(url)))
    result = {"backend": backend, "seeds": seeds, "ceilings": {}}
    log("ceilings ...")
    with Server("bench.ceilings:hello", name="hello"):
        result["ceilings"]["flask hello"] = loadgen("ceiling")
    with Server("bench.ceilings:raw", name="raw"):
        result["ceilings"]["raw WSGI"] = loadgen("ceiling")
    log(f"portal at {MAIN:,} referrals ...")
    with Server("bench.wsgi:app", {"BENCH_APP_DATABASE_URL": url}, name="portal"):
        result["endpoints"] = loadgen("app", orders=orders_file, search=FAMILY[0][:3].lower())
        result["first_view"] = first_view_weight()
    result["scaling"] = {}
    for size in sizes:
        log(f"queue at {size:,} referrals ...")
        with Server("bench.wsgi:app", {"BENCH_APP_DATABASE_URL": database_url(size, backend)}, name=f"queue-{size}"):
            result["scaling"][str(size)] = loadgen("queue", concurrency="8")[0]
    result["targets"] = targets(result)
    result["plans"] = filtered_queue_plans(url)
    return result


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    load_before = [round(x, 2) for x in os.getloadavg()]  # before this run's own seeding
    sizes = [10_000, MAIN] + ([1_000_000] if os.environ.get("BENCH_FULL") else [])
    run = {"stamp": datetime.now().strftime("%Y%m%d-%H%M%S"), "cores": os.cpu_count(), "load_before": load_before,
           "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
           "gunicorn": f"--workers {WORKERS} --threads {THREADS} (gthread)",
           "backends": [bench_backend(backend, sizes) for backend in backends()]}
    run["load_after"] = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews every row
    run["seconds"] = round(time.time() - started)
    md = markdown(run)
    (RESULTS / f"{run['stamp']}.json").write_text(json.dumps(run, indent=2))
    (RESULTS / f"{run['stamp']}.md").write_text(md)
    print(md)
    log(f"bench took {run['seconds']} s; results in bench/results/{run['stamp']}.json and .md")


if __name__ == "__main__":
    main()
