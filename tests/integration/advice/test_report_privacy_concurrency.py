"""Many tries at once at a report's answers check: the count in the database holds.

Real commits, so each run gets its own database: a fresh SQLite file, or on PostgreSQL (only when
PORTAL_TEST_BACKEND=postgresql) a freshly created database next to TEST_DATABASE_URL."""

import os
import random
import threading
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from portal.advice import privacy, services
from portal.advice.models import AdviceReport
from portal.audit.models import AuditEvent
from portal.extensions import db, write_intent
from portal.notify.models import Notification
from tests.conftest import make_app

THREADS = 10


def _postgres_url() -> str:
    base = os.environ["TEST_DATABASE_URL"]
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS tecs_advprivate_race WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE tecs_advprivate_race"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/tecs_advprivate_race"


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request, tmp_path):
    if request.param == "postgresql":
        if os.environ.get("PORTAL_TEST_BACKEND") != "postgresql":
            pytest.skip("PostgreSQL race runs only with PORTAL_TEST_BACKEND=postgresql")
        url = _postgres_url()
    else:
        url = "sqlite:///" + str(tmp_path / "race.db")
    app = make_app(url)
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _report(app, dob=None, email=None) -> int:
    with app.app_context(), write_intent():
        report = services.start(db.session)
        report.answers = services.random_journey(services.content(), random.Random(5))
        services.complete(db.session, report)
        db.session.flush()
        if dob:
            privacy.protect_with_dob(db.session, report, dob)
        if email:
            privacy.remember_email(db.session, report, email)
        db.session.commit()
        return report.id


def _all_at_once(app, report_id: int, attempt) -> list:
    barrier = threading.Barrier(THREADS)
    outcomes: list = []

    def run():
        with app.app_context(), write_intent():
            barrier.wait()
            try:
                report = db.session.get(AdviceReport, report_id)
                outcomes.append(attempt(report).outcome)
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_many_wrong_dates_at_once_compare_no_more_than_the_limit(race_app):
    report_id = _report(race_app, dob=date(1948, 3, 27))
    outcomes = _all_at_once(race_app, report_id,
                            lambda r: privacy.check_dob(db.session, r, date(1948, 3, 28)))
    limit = race_app.config["ADVICE_CHECK_MAX_FAILURES"]
    assert len(outcomes) == THREADS and privacy.Outcome.PASSED not in outcomes
    with race_app.app_context():
        report = db.session.get(AdviceReport, report_id)
        assert report.check_failures == limit and report.check_locked_until is not None
        compared = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id == str(report_id),
            AuditEvent.action.in_(("advice.answers_check_failed", "advice.answers_check_locked"))))
        assert compared == limit


def test_the_right_code_sent_ten_times_at_once_lets_one_in(race_app):
    report_id = _report(race_app, email="me@example.com")
    with race_app.app_context(), write_intent():
        assert privacy.send_code(db.session, db.session.get(AdviceReport, report_id), "me@example.com")
        db.session.commit()
        body = db.session.scalar(select(Notification.body).where(Notification.template == "advice_answers_code"))
        code = next(word for word in body.replace(".", " ").split() if word.isdigit() and len(word) == 6)
    outcomes = _all_at_once(race_app, report_id, lambda r: privacy.check_code(db.session, r, code))
    assert outcomes.count(privacy.Outcome.PASSED) == 1
