"""The portal as the benchmark serves it: the production settings, except what loopback needs.

    BENCH_APP_DATABASE_URL=sqlite:////abs/path.db gunicorn -w 2 --threads 4 bench.wsgi:app

Differences from production, each because the load generator is one client on 127.0.0.1 over
plain HTTP: no Secure cookie flag (no TLS), the cookie is not __Host- prefixed (that needs Secure),
rate limits off (every session comes from one IP), two-factor off for the bench accounts, and
notifications stay in the outbox. Everything else (CSRF, headers, audit, sessions) is as in production.
"""

import os

from portal import create_app
from portal.config import BaseConfig
from portal.web.security import staff


class BenchConfig(BaseConfig):
    ENV_NAME = "bench"
    SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-secret-key-not-for-anything-else-0123456789")
    SQLALCHEMY_DATABASE_URI = os.environ.get("BENCH_APP_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    REQUIRE_MFA = False
    RATELIMIT_ENABLED = False
    NOTIFY_DELIVER_INLINE = False


app = create_app(BenchConfig)


@app.get("/bench/hello")
@staff()
def app_stack_hello():
    """The app-stack ceiling (RELIABILITY.md §4.3): a signed-in staff request through every hook the
    queue goes through (session, user and roles, idle timeout, access rule, headers, request log),
    without the page. Only the benchmark's app has this route."""
    return "hello"
