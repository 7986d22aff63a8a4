"""Fixtures (STYLE.md §4.1): the database is built by running the migrations; each test runs
inside a transaction that is rolled back, on SQLite by default and on PostgreSQL when
PORTAL_TEST_BACKEND=postgresql (with TEST_DATABASE_URL)."""

import os
import re
import secrets

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db, limiter

BACKEND = os.environ.get("PORTAL_TEST_BACKEND", "sqlite")
PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url(tmp_path_factory) -> str:
    if BACKEND == "postgresql":
        url = os.environ.get("TEST_DATABASE_URL")
        if not url:
            pytest.exit("PORTAL_TEST_BACKEND=postgresql needs TEST_DATABASE_URL", returncode=2)
        reset_postgres(url)
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal-test.db")


def make_app(url: str, **overrides):
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **overrides})
    return create_app(config)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = make_app(database_url(tmp_path_factory))
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """Every test in a transaction that is rolled back (Flask-SQLAlchemy 3.1 recipe)."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        conn = engine.connect()
        tx = conn.begin()
        engines[None] = conn
        factory_kw = db.session.session_factory.kw
        previous_mode = factory_kw.get("join_transaction_mode")
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.remove()
            tx.rollback()
            conn.close()
            engines[None] = engine
            if previous_mode is None:
                factory_kw.pop("join_transaction_mode", None)
            else:
                factory_kw["join_transaction_mode"] = previous_mode


class FreshRequestClient(FlaskClient):
    """Requests made while the test holds an app context reuse it (Flask pushes no new one),
    so `g` and the session's identity map would leak from one request to the next. Give every
    request a clean `g` and make it read the database afresh, as a real request would."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
            db.session.flush()
            db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db_session):
    limiter.reset()
    app.test_client_class = FreshRequestClient
    return app.test_client()


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Staff:
    """Creates staff and signs them in through the real sign-in form."""

    def __init__(self, client, session):
        self.client = client
        self.session = session

    def create(self, *roles: str, name: str | None = None, level: int | None = None):
        from portal.auth.services import create_user

        email = f"{'-'.join(roles) or 'nobody'}-{secrets.token_hex(3)}@test.council.example"
        level = level or (4 if "trusted_assessor" in roles else None)
        user = create_user(self.session, "test", email=email, name=name or f"Test {roles[0]}",
                           password=PASSWORD, roles=list(roles), trusted_assessor_level=level)
        self.session.flush()
        return user

    def sign_in(self, user, password: str = PASSWORD):
        page = self.client.get("/sign-in")
        return self.client.post("/sign-in", data={
            "email": user.email, "password": password, "csrf_token": csrf_from(page.text)})

    def login_as(self, *roles: str, **kwargs):
        user = self.create(*roles, **kwargs)
        resp = self.sign_in(user)
        assert resp.status_code == 303, resp.text[:500]
        return user

    def csrf(self, url: str = "/staff") -> str:
        return csrf_from(self.client.get(url).text)


@pytest.fixture
def staff(client, db_session):
    return Staff(client, db_session)


@pytest.fixture
def htmx_headers():
    return {"HX-Request": "true", "HX-Target": "main-content"}
