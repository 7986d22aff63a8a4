"""Concurrent retries of one create: many threads, each its own request and database connection,
send the same Idempotency-Key and body at once against a real, committing database. Exactly one
referral (and one person) is made; one answer is 201 and every other replays it (200).
SQLite on its own file; on PostgreSQL the session's database (PORTAL_TEST_BACKEND=postgresql)."""

import os
import secrets
import threading

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, select

from portal.api import services
from portal.api.models import ApiClient, ApiRequest
from portal.extensions import db, limiter
from portal.people.models import Person
from portal.referrals.models import Referral
from tests.conftest import BACKEND, make_app
from tests.integration.api.conftest import bearer, referral_body

THREADS = 8


@pytest.fixture
def race_app(app, tmp_path):
    """A second app whose requests commit for real: the session database on PostgreSQL (migrated
    by the `app` fixture), a new SQLite file otherwise."""
    if BACKEND == "postgresql":
        race = make_app(os.environ["TEST_DATABASE_URL"], SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 4})
    else:
        race = make_app(f"sqlite:///{tmp_path / 'race.db'}")
        with race.app_context():
            upgrade(revision="heads")
    yield race
    with race.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_concurrent_retries_with_one_key_make_one_referral(race_app):
    with race_app.app_context():
        limiter.reset()
        new = services.register_client(db.session, "test", name=f"Racer {secrets.token_hex(3)}",
                                       scopes=["referrals:write", "referrals:read"], rate_per_minute=1000)
        db.session.commit()
        key, client_id = new.key, new.client.id
    # no NHS number: each retry makes its own person record first, and the losers' are discarded.
    # (On PostgreSQL the session database is shared and the audit log is append-only, so this
    # leaves no "person.matched" rows behind for tests that count them.)
    body = referral_body(person={"family_name": "Racer"})
    barrier = threading.Barrier(THREADS)
    answers, lock = [], threading.Lock()

    def retry():
        http = race_app.test_client()
        barrier.wait(timeout=20)
        resp = http.post("/api/v1/referrals", json=body, headers={**bearer(key), "Idempotency-Key": "same-key"})
        with lock:
            answers.append((resp.status_code, (resp.json or {}).get("reference"),
                            resp.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=retry) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with race_app.app_context():
        referrals = db.session.scalars(select(Referral.reference).where(Referral.api_client_id == client_id)).all()
        people = db.session.scalar(select(func.count()).select_from(Person).where(Person.family_name == "Racer"))
        requests = db.session.scalar(select(func.count()).select_from(ApiRequest)
                                     .where(ApiRequest.client_id == client_id))
        if BACKEND == "postgresql":  # the session database is shared: remove what the race made
            db.session.execute(delete(ApiRequest).where(ApiRequest.client_id == client_id))
            db.session.execute(delete(Referral).where(Referral.api_client_id == client_id))
            db.session.execute(delete(Person).where(Person.family_name == "Racer"))  # contacts, consents cascade
            db.session.execute(delete(ApiClient).where(ApiClient.id == client_id))
            db.session.commit()
    statuses = sorted(a[0] for a in answers)
    assert statuses == [200] * (THREADS - 1) + [201], answers
    assert len(referrals) == 1 and {a[1] for a in answers} == {referrals[0]}
    assert sum(a[2] == "true" for a in answers) == THREADS - 1
    assert people == 1 and requests == 1
