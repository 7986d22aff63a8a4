"""Measure a running portal from a separate process on loopback: signed-in sessions, fixed request
counts, latency percentiles. Used by `make bench`; also handy on its own:

    python -m bench.measure http://127.0.0.1:5000 /referrals --email triage@... --password ... -c 8 -n 400
"""

import argparse
import gzip
import http.client
import re
import statistics
import threading
import time
from urllib.parse import urlencode, urlsplit


class Session:
    """A tiny cookie-keeping HTTP client (one connection, keep-alive)."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.location = ""  # the path of the last response's Location header

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # the server closed an idle keep-alive connection (gunicorn's keepalive is 2 s): reconnect once
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=data, headers=hdrs)
            resp = self.conn.getresponse()
        payload = resp.read()
        self.location = urlsplit(resp.headers.get("Location") or "").path
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return resp.status, payload

    def csrf(self, path: str) -> str:
        _, page = self.request("GET", path)
        return re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf("/sign-in")
        status, _ = self.request("POST", "/sign-in", {"email": email, "password": password, "csrf_token": token})
        if status != 303:
            raise SystemExit(f"sign-in failed for {email}: {status}")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run(base: str, make_request, concurrency: int, total: int, setup=None, warmup: int = 20,
        duration: float | None = None) -> dict:
    """make_request(session, i) -> (status, body) or (status, body, measured_ms) when only part of
    the work is to be timed (a sign-in that first fetches its form). Each worker has its own
    signed-in session. Stops after `total` requests or `duration` seconds, whichever comes first."""
    sessions = []
    for _ in range(concurrency):
        s = Session(base)
        if setup:
            setup(s)
        sessions.append(s)
    for i in range(warmup):
        make_request(sessions[i % concurrency], -1 - i)
    latencies, errors, sizes = [], [], []
    sample: list[bytes] = []
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.perf_counter() + duration if duration else None

    def worker(s):
        while True:
            with lock:
                i = next(counter, None)
            if i is None or (deadline and time.perf_counter() > deadline):
                return
            started = time.perf_counter()
            result = make_request(s, i)
            elapsed = (time.perf_counter() - started) * 1000
            status, body = result[0], result[1]
            if len(result) > 2:
                elapsed = result[2]
            with lock:
                latencies.append(elapsed)
                sizes.append(len(body))
                if not sample:
                    sample.append(body)
                if status >= 400:
                    errors.append(status)

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    for s in sessions:
        s.conn.close()
    done = len(latencies)
    return {
        "requests": done, "concurrency": concurrency, "errors": len(errors), "rps": round(done / wall, 1),
        "p50_ms": round(statistics.median(latencies), 2), "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2), "bytes": int(statistics.median(sizes)),
        "gzip_bytes": gzip_size(sample[0]) if sample else 0,
    }


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, 6))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("path")
    parser.add_argument("--email")
    parser.add_argument("--password")
    parser.add_argument("-c", "--concurrency", type=int, default=1)
    parser.add_argument("-n", "--requests", type=int, default=200)
    parser.add_argument("--htmx", action="store_true")
    args = parser.parse_args(argv)
    headers = {"HX-Request": "true"} if args.htmx else {}

    def setup(s):
        if args.email:
            s.sign_in(args.email, args.password)

    result = run(args.base, lambda s, i: s.request("GET", args.path, headers=headers), args.concurrency,
                 args.requests, setup)
    print(result)


if __name__ == "__main__":
    main()
