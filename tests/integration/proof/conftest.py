"""Proof fixtures: an app on its own database with real commits (the fault tests must see what
really reached the database), plus helpers to make staff and referrals there."""

import os
import secrets
from contextlib import contextmanager
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade

from portal.extensions import db, limiter, write_intent
from tests.conftest import PASSWORD, FreshRequestClient, csrf_from, make_app
from tests.integration.referrals.conftest import make_referral  # noqa: F401  (a fixture, shared)

PG = os.environ.get("PORTAL_TEST_BACKEND") == "postgresql"


def fresh_postgres_url(name: str) -> str:
    """A freshly created PostgreSQL database next to TEST_DATABASE_URL."""
    base = os.environ["TEST_DATABASE_URL"]
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres")).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path=f"/{name}"))


def own_postgres_name(suffix: str) -> str:
    """A database name next to this run's own, so runs side by side never share (or drop) one."""
    return f"{urlsplit(os.environ['TEST_DATABASE_URL']).path.lstrip('/')}_{suffix}"


@contextmanager
def demo_app_on_its_own_database(tmp_path_factory, name: str, password: str):
    """An app on a database of its own holding the demo data, loaded as `make run` loads it."""
    from portal.cli import seed_demo_staff
    from portal.web.registry import registry

    url = (fresh_postgres_url(own_postgres_name(name)) if PG
           else "sqlite:///" + str(tmp_path_factory.mktemp(name) / "demo.db"))
    app = build_app(url)
    with app.app_context():
        with write_intent():
            seed_demo_staff(db.session, password)
            db.session.commit()
            for seeder in registry(app).seeders:
                seeder(db.session)
                db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def build_app(url: str, **overrides):
    app = make_app(url, **overrides)
    app.test_client_class = FreshRequestClient
    with app.app_context():
        upgrade(revision="heads")
    return app


@pytest.fixture
def real_app(tmp_path):
    """Real commits, on the backend under test (its own PostgreSQL database, or a SQLite file)."""
    url = fresh_postgres_url("tecs_proof_real") if PG else "sqlite:///" + str(tmp_path / "real.db")
    app = build_app(url)
    limiter.reset()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def make_staff(app, *roles: str, level: int | None = None):
    from portal.auth.services import create_user

    with app.app_context(), write_intent():
        email = f"{'-'.join(roles)}-{secrets.token_hex(3)}@proof.council.example"
        level = level or (4 if "trusted_assessor" in roles else None)
        user = create_user(db.session, "test", email=email, name=f"Proof {roles[0]}", password=PASSWORD,
                           roles=list(roles), trusted_assessor_level=level)
        db.session.commit()
        uid = user.id
        db.session.remove()
    return uid, email


def commit_referral(app, **fields) -> int:
    from portal.people.services import create_person
    from portal.referrals import services

    with app.app_context(), write_intent():
        person = create_person(db.session, "test", given_name="Ada", family_name="Proof",
                               date_of_birth=date(1940, 1, 2), address_line_1="1 Test Street",
                               postcode="AB1 2CD", locality="North", email=fields.pop("email", None))
        referral, _ = services.create_referral(
            db.session, "test", person=person, source="gp", needs=["equipment"], help_wanted="Help",
            submission_key=services.new_submission_key(), priority="routine", suggested_priority="routine")
        for key, value in fields.items():
            setattr(referral, key, value)
        db.session.commit()
        rid = referral.id
        db.session.remove()
    return rid


def sign_in(client, email: str):
    page = client.get("/sign-in")
    resp = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert resp.status_code == 303, resp.text[:500]
    return resp
