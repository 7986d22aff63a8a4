"""Two (or ten) payments at once can never take the total paid above the approval.

Real commits, so each run gets its own database: a fresh SQLite file, or on PostgreSQL (only when
PORTAL_TEST_BACKEND=postgresql) a freshly created database next to TEST_DATABASE_URL."""

import os
import threading
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from portal.auth.models import User
from portal.auth.services import create_user
from portal.dfg import services
from portal.dfg.models import DfgCase, DfgPayment
from portal.extensions import db, write_intent
from portal.timeutil import today as london_today
from tests.conftest import make_app
from tests.integration.dfg.conftest import walk_to

THREADS = 10


def _postgres_url() -> str:
    base = os.environ["TEST_DATABASE_URL"]
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS tecs_dfg_race WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE tecs_dfg_race"))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/tecs_dfg_race"


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request, tmp_path):
    if request.param == "postgresql":
        if os.environ.get("PORTAL_TEST_BACKEND") != "postgresql":
            pytest.skip("PostgreSQL race runs only with PORTAL_TEST_BACKEND=postgresql")
        url = _postgres_url()
    else:
        url = "sqlite:///" + str(tmp_path / "race.db")
    app = make_app(url, DFG_UPLOAD_DIR=str(tmp_path / "up"))
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_concurrent_payments_never_exceed_approval(race_app):
    """Instalments of £900 against a £4,800 grant during the works: the 90% limit (£4,320) lets four
    through (£3,600); a fifth (£4,500, still under the approval) is refused, however many run at once."""
    with race_app.app_context(), write_intent():
        user = create_user(db.session, "test", email="race@test.council.example", name="Race Caseworker",
                           password="correct horse battery staple", roles=["dfg_caseworker"])
        c = walk_to(db.session, user, "works", grant="4800")
        db.session.commit()
        case_id, approved, user_id = c.id, c.approved_total, user.id
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def pay():
        with race_app.app_context(), write_intent():
            barrier.wait()
            try:
                actor = db.session.get(User, user_id)
                services.record_payment(db.session, actor, case_id, amount="900", paid_on=london_today())
                db.session.commit()
                outcomes.append("paid")
            except services.MoneyRuleBroken:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with race_app.app_context():
        c = db.session.get(DfgCase, case_id)
        payments = db.session.query(DfgPayment).filter_by(case_id=case_id).all()
        assert outcomes.count("paid") == 4 and outcomes.count("refused") == THREADS - 4, outcomes
        assert c.paid_total == Decimal("3600.00") == sum(p.amount for p in payments) <= approved
