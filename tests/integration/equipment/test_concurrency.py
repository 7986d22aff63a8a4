"""Real races with real commits: many threads, each with its own app context and connection,
try to reserve the last counted item and the same asset. Exactly one wins; the ledger agrees.
SQLite on its own file; PostgreSQL (its own database) when PORTAL_TEST_BACKEND=postgresql."""

import os
import threading
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from portal.equipment import services
from portal.equipment.models import Asset, StockLevel
from portal.equipment.services import LineRequest
from portal.errors import PortalError
from portal.extensions import db, write_intent
from tests.conftest import make_app
from tests.integration.equipment.conftest import make_world

THREADS = 16


def _postgres_url() -> str:
    base = os.environ["TEST_DATABASE_URL"]
    parts = urlsplit(base)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tecs_equipment_race WITH (FORCE)")
        conn.execute("CREATE DATABASE tecs_equipment_race")
    return urlunsplit(parts._replace(path="/tecs_equipment_race"))


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request, tmp_path):
    if request.param == "postgresql":
        if os.environ.get("PORTAL_TEST_BACKEND") != "postgresql":
            pytest.skip("PostgreSQL races run with PORTAL_TEST_BACKEND=postgresql")
        url = _postgres_url()
    else:
        url = "sqlite:///" + str(tmp_path / "race.db")
    app = make_app(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 4} if "postgres" in url else {})
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


def _race(app, order_ids, assets=None):
    barrier = threading.Barrier(len(order_ids))
    results = []
    lock = threading.Lock()

    def attempt(order_id):
        with app.app_context(), write_intent():
            barrier.wait()
            try:
                services.reserve_order(db.session, "racer", order_id, assets=assets(order_id) if assets else None)
                db.session.commit()
                outcome = "won"
            except PortalError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(oid,)) for oid in order_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_many_threads_race_for_the_last_counted_item_and_the_same_asset(race_app):
    with race_app.app_context(), write_intent():
        w = make_world(db.session)
        services.receive_stock(db.session, "t", w["north"].id, w["commode"].id, 1, "The last one")
        target = services.add_asset(db.session, "t", product_id=w["hoist"].id, store_id=w["north"].id,
                                    asset_tag="RACE-1")
        for n in range(2, 5):
            services.add_asset(db.session, "t", product_id=w["hoist"].id, store_id=w["north"].id,
                               asset_tag=f"RACE-{n}")

        def new_order(product):
            return services.raise_order(db.session, "t", store_id=w["north"].id, priority="urgent",
                                        lines=[LineRequest(product.id)], person_id=w["person"].id)[0]
        counted = [new_order(w["commode"]).id for _ in range(THREADS)]
        serial = [new_order(w["hoist"]) for _ in range(THREADS)]
        lines = {o.id: o.lines[0].id for o in serial}
        serial_ids = [o.id for o in serial]
        target_id, store_id, product_id = target.id, w["north"].id, w["commode"].id
        db.session.commit()

    results = _race(race_app, counted)
    assert results.count("won") == 1, results
    assert set(results) <= {"won", "OutOfStock", "Conflict"}

    results = _race(race_app, serial_ids, assets=lambda oid: {lines[oid]: target_id})
    assert results.count("won") == 1, results

    with race_app.app_context():
        level = db.session.scalar(select(StockLevel).where(StockLevel.store_id == store_id,
                                                           StockLevel.product_id == product_id))
        assert (level.on_hand, level.reserved) == (1, 1)
        statuses = dict(db.session.execute(select(Asset.asset_tag, Asset.status)).all())
        assert statuses["RACE-1"] == "reserved"
        assert sorted(v for k, v in statuses.items() if k != "RACE-1") == ["available"] * 3
        assert services.ledger_discrepancies(db.session) == []
        db.session.remove()
