"""Limits that hold across every worker (issue: "Safe on day one", 6).

Seen before: on `make run` (two gunicorn workers, no Redis) 15 wrong passwords in a row all got
the sign-in page back, because each worker counted on its own. Without Redis the counters now live
in the database; here two real gunicorn workers share one SQLite file and the 11th guess is refused.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from portal.extensions import db, limiter, write_intent
from portal.web.rate_limits import DatabaseStorage, counters_engine, rate_limit
from tests.conftest import BACKEND, PASSWORD, make_app

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def limiter_back_on_the_test_app(app):
    """Flask-Limiter is one object: an app built here rebinds it to its own store. Give it back."""
    yield
    limiter.init_app(app)


def _storage_app(tmp_path, url=None):
    app = make_app(url or f"sqlite:///{tmp_path / 'limits.db'}", RATELIMIT_STORAGE_URI="portaldb://")
    with app.app_context():
        upgrade(revision="heads")
        DatabaseStorage().reset()
    return app


@pytest.fixture
def storage_app(tmp_path):
    if BACKEND == "postgresql":
        from tests.integration.proof.conftest import fresh_postgres_url

        app = _storage_app(tmp_path, fresh_postgres_url("tecs_limits"))
    else:
        app = _storage_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_two_workers_count_into_one_store(storage_app, monkeypatch):
    worker_a, worker_b = DatabaseStorage(), DatabaseStorage()  # each worker builds its own
    clock = [1_000_000.0]
    monkeypatch.setattr("portal.web.rate_limits.time.time", lambda: clock[0])
    with storage_app.app_context():
        assert [worker_a.incr("sign-in:jo", 300) if i % 2 else worker_b.incr("sign-in:jo", 300)
                for i in range(6)] == [1, 2, 3, 4, 5, 6]
        assert worker_b.get("sign-in:jo") == 6 and worker_a.get_expiry("sign-in:jo") == 1_000_300.0
        clock[0] += 301  # the window has ended: counting starts again, with a new window
        assert worker_a.get("sign-in:jo") == 0
        assert worker_b.incr("sign-in:jo", 300) == 1
        assert worker_a.get_expiry("sign-in:jo") == 1_000_601.0
        worker_a.clear("sign-in:jo")
        assert worker_b.get("sign-in:jo") == 0
        assert worker_a.check() is True


def test_concurrent_hits_are_all_counted(storage_app):
    """Eight threads (as eight workers would) add 25 hits each: exactly 200, none lost."""
    errors = []

    def hit():
        with storage_app.app_context():
            store = DatabaseStorage()
            try:
                for _ in range(25):
                    store.incr("public-submission:203.0.113.9", 3600)
            except Exception as exc:  # collected: a thread's assertion would be lost
                errors.append(exc)

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with storage_app.app_context():
        assert DatabaseStorage().get("public-submission:203.0.113.9") == 200


def test_a_sign_in_that_holds_the_database_lock_still_counts(storage_app):
    """SQLite: the request's own write transaction must not block the counter (seen: "database is
    locked" after a correct sign-in on `make run`)."""
    from portal.extensions import write_intent as writing

    with storage_app.app_context(), writing():
        from portal.audit.services import record

        record(db.session, "test", "thing.done", "thing", 1)
        db.session.flush()  # the request now holds the write lock
        assert DatabaseStorage().incr("sign-in:held", 300) == 1
        db.session.rollback()


def test_production_will_not_start_with_a_store_each_worker_keeps_apart(monkeypatch):
    from portal import create_app
    from portal.config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = type("C", (ProductionConfig,), {"RATELIMIT_STORAGE_URI": "memory://"})
    with pytest.raises(RuntimeError, match="each worker keeps apart"):
        create_app(config())


def test_without_redis_the_limits_count_in_the_database():
    from portal import create_app
    from portal.config import DevelopmentConfig

    app = create_app(type("C", (DevelopmentConfig,), {"REDIS_URL": ""})())
    assert app.config["RATELIMIT_STORAGE_URI"] == "portaldb://"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(BACKEND != "sqlite", reason="runs once, on a SQLite file two workers share")
def test_two_gunicorn_workers_refuse_the_eleventh_wrong_password(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    app = _storage_app(tmp_path, url)
    with app.app_context(), write_intent():
        from portal.auth.services import create_user

        create_user(db.session, "test", email="jo@test.council.example", name="Jo", password=PASSWORD,
                    roles=["manager"])
        db.session.commit()
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": url, "REDIS_URL": "",
           "PORTAL_INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "y" * 40, "REQUIRE_MFA": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                with urllib.request.urlopen(base + "/sign-in", timeout=2):
                    break
            except OSError:  # not listening yet, or still building its static files
                time.sleep(0.1)
        statuses = []
        for _ in range(15):
            jar = http.cookiejar.CookieJar()  # a fresh browser each time: nothing shared but the server
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            with opener.open(base + "/sign-in", timeout=20) as resp:
                page = resp.read().decode()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({"csrf_token": token, "email": "jo@test.council.example",
                                           "password": "wrong password"}).encode()
            try:
                with opener.open(base + "/sign-in", data=body, timeout=20) as resp:
                    statuses.append(resp.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
                exc.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert statuses == [200] * 10 + [429] * 5
    with app.app_context(), counters_engine().connect() as conn:
        keys = conn.scalar(select(func.count()).select_from(rate_limit))
        assert keys >= 2  # the account's counter and the client's
