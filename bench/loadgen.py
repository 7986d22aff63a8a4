"""The load generator: a separate process that drives one server on 127.0.0.1 with signed-in
staff sessions and prints JSON. `bench.run` starts it once per server.

    python -m bench.loadgen --base http://127.0.0.1:8101 --suite app|ceiling|queue [--quick]
"""

import argparse
import json
import re
import sys
import threading
import time
from urllib.parse import urlsplit

from bench.measure import Session, run
from bench.seed import BENCH_PASSWORD, BENCH_STAFF

CONCURRENCY = (1, 8)
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}  # a page link: the next 50 rows


def _loopback_only(base: str) -> None:
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the load generator only drives 127.0.0.1")


def _signed_in(role: str):
    email = BENCH_STAFF[role][0]

    def setup(s: Session) -> None:
        s.sign_in(email, BENCH_PASSWORD)
        s.token = s.csrf("/account")

    return setup


def _get(path: str, headers: dict | None = None):
    return lambda s, i: s.request("GET", path, headers=headers)


def _login(s: Session, i: int):
    s.cookies.clear()
    token = s.csrf("/sign-in")
    started = time.perf_counter()
    status, body = s.request("POST", "/sign-in", {"email": BENCH_STAFF["triage"][0], "password": BENCH_PASSWORD,
                                                  "csrf_token": token})
    return (200 if status == 303 else status), body, (time.perf_counter() - started) * 1000


def _person(s: Session, i: int):
    return s.request("GET", f"/people/{(abs(i) * 7919) % 100_000 + 1}")


_orders = iter(())
_orders_lock = threading.Lock()


def _reserve(s: Session, i: int):
    with _orders_lock:
        order_id = next(_orders, None)
    if order_id is None:
        return 599, b"no requested orders left to reserve"
    status, body = s.request("POST", f"/equipment/orders/{order_id}/reserve",
                             {"csrf_token": s.token, "version": "1"}, headers={"HX-Request": "true"})
    if status == 200 and b"Not enough" in body:
        status = 409
    return status, body


ADVICE_AREAS = ["bathing", "falls_and_safety"]


def _advice_choice(question_id: str, options: list[str]):
    """The answers the walk gives: for myself, two areas, nothing urgent, then the first option."""
    if question_id == "who":
        return "myself"
    if question_id == "areas":
        return ADVICE_AREAS
    if question_id == "urgent":
        return [o for o in options if o.startswith("none")][:1] or options[-1:]
    return options[0]


def _advice_session(s: Session) -> None:
    """An anonymous visitor starts a self-assessment and walks it to "check your answers",
    remembering each question page and its answer; the measured requests then re-post those
    answers in turn. Each session keeps one in-progress report (updated in place, never completed),
    so the run adds a handful of rows and nothing the dashboard counts."""
    s.cookies.clear()
    token = s.csrf("/advice/")
    status, _ = s.request("POST", "/advice/begin", {"csrf_token": token})
    if status != 303:
        raise SystemExit(f"starting a self-assessment failed: {status}")
    path, s.walk, s.step = "/advice/questions/who", [], 0
    for _ in range(60):
        status, page = s.request("GET", path)
        if status != 200:
            raise SystemExit(f"{path}: {status}")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        options = [o.decode() for o in re.findall(rb'name="answer" type="(?:radio|checkbox)" value="([^"]+)"', page)]
        data = {"csrf_token": token, "answer": _advice_choice(path.rsplit("/", 1)[-1], options)}
        status, _ = s.request("POST", path, data)
        if status != 303:
            raise SystemExit(f"answering {path} failed: {status}")
        s.walk.append((path, data))
        path = s.location
        if path.endswith("/advice/check"):
            return
    raise SystemExit("the self-assessment walk did not reach check your answers")


def _advice_answer(s: Session, i: int):
    path, data = s.walk[s.step % len(s.walk)]
    s.step += 1
    status, body = s.request("POST", path, data)
    if status == 200 and b"There is a problem" in body:
        status = 422  # the answer was refused: count it as an error
    return (200 if status == 303 else status), body


def scenarios(suite: str, search: str):
    if suite == "ceiling":
        return [("GET /", _get("/"), None, 1500, 4000)]
    if suite == "queue":
        return [("queue page", _get("/referrals"), "triage", 200, 600)]
    if suite == "stack":  # a quick look at the signed-in request's own cost
        return [("app-stack hello (signed in)", _get("/bench/hello"), "triage", 500, 1500)]
    return [
        ("app-stack hello (signed in)", _get("/bench/hello"), "triage", 500, 1500),
        ("start page", _get("/"), None, 300, 800),
        ("login (POST, argon2id)", _login, None, 20, 40),
        ("triage queue page", _get("/referrals"), "triage", 300, 800),
        ("queue fragment (htmx)", _get("/referrals?page=2", HTMX), "triage", 300, 800),
        ("queue filtered", _get("/referrals?priority=urgent&need=falls&locality=North"), "triage", 300, 800),
        ("queue searched", _get(f"/referrals?q={search}"), "triage", 300, 800),
        ("person record", _person, "triage", 300, 800),
        ("equipment reservation POST", _reserve, "stores", 150, 400),
        ("self-assessment question POST", _advice_answer, _advice_session, 300, 800),
        ("dashboard", _get("/reports/"), "manager", 60, 160),
    ]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--suite", choices=("app", "ceiling", "queue", "stack"), default="app")
    parser.add_argument("--duration", type=float, default=8.0, help="cap in seconds per measurement")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--search", default="smi")
    parser.add_argument("--orders", default="", help="a file of requested order ids (JSON list)")
    args = parser.parse_args(argv)
    global _orders
    if args.orders:
        with open(args.orders) as fh:
            _orders = iter(json.load(fh))
    _loopback_only(args.base)
    levels = [int(c) for c in args.concurrency.split(",")]
    results = []
    for name, request, who, n1, n8 in scenarios(args.suite, args.search):
        for c in levels:  # who: a staff role to sign in as, a setup function, or None (anonymous)
            setup = who if callable(who) else _signed_in(who) if who else None
            warm = 3 if "login" in name else 20
            res = run(args.base, request, c, n1 if c == 1 else n8, setup=setup, warmup=warm,
                      duration=args.duration * (1.5 if "login" in name else 1))
            res["name"] = name
            results.append(res)
            print(f"  {name:32} c={c}: {res['rps']:8.1f} req/s  p50 {res['p50_ms']:7.2f}  "
                  f"p95 {res['p95_ms']:7.2f}  p99 {res['p99_ms']:7.2f} ms  errors {res['errors']}",
                  file=sys.stderr, flush=True)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
