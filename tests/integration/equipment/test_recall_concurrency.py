"""A recall starting while the same items are being reserved or delivered, with real threads and
commits (PostgreSQL row locks; SQLite's single writer). Every item ends either recalled (held, or
on loan with a collection job) or never issued; the ledger agrees with the stock."""

import os
import threading
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from portal.equipment import services
from portal.equipment.models import Asset, Order, OrderLine, RecallItem
from portal.equipment.services import LineRequest, RecallRequest
from portal.errors import PortalError
from portal.extensions import db, write_intent
from tests.conftest import make_app
from tests.integration.equipment.conftest import make_world

ORDERS = 8


def _postgres_url() -> str:
    parts = urlsplit(os.environ["TEST_DATABASE_URL"])
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tecs_recall_race WITH (FORCE)")
        conn.execute("CREATE DATABASE tecs_recall_race")
    return urlunsplit(parts._replace(path="/tecs_recall_race"))


@pytest.fixture(params=["sqlite", "postgresql"])
def race_app(request, tmp_path):
    if request.param == "postgresql":
        if os.environ.get("PORTAL_TEST_BACKEND") != "postgresql":
            pytest.skip("PostgreSQL races run with PORTAL_TEST_BACKEND=postgresql")
        url = _postgres_url()
    else:
        url = "sqlite:///" + str(tmp_path / "recall-race.db")
    app = make_app(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": ORDERS + 4} if "postgres" in url else {})
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


def _race(app, jobs):
    barrier = threading.Barrier(len(jobs))
    results, lock = [], threading.Lock()

    def run(name, job):
        with app.app_context(), write_intent():
            barrier.wait()
            try:
                job(db.session)
                db.session.commit()
                outcome = "done"
            except PortalError as exc:
                db.session.rollback()
                outcome = type(exc).__name__
            finally:
                db.session.remove()
        with lock:
            results.append((name, outcome))

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return dict(results)


def _recall(session):
    services.start_recall(session, "racer", RecallRequest(
        product_id=session.scalar(select(Asset.product_id).limit(1)), scope="product", reference="FSN-RACE",
        action="collect_replace", reason="Strap fault"))


def _check(app):
    """Nothing recalled is issued: every asset is held, or on loan with an open recall job; no open
    order line holds a quarantined asset; the ledger agrees."""
    with app.app_context():
        assets = db.session.scalars(select(Asset)).all()
        jobs = {i.asset_id: i for i in db.session.scalars(select(RecallItem))}
        for asset in assets:
            assert asset.id in jobs, asset.asset_tag
            if asset.status == "quarantined":
                assert jobs[asset.id].state == "held"
            else:
                assert asset.status in ("on_loan", "awaiting_collection"), asset.status
                assert jobs[asset.id].state == "to_collect"
        held_on_lines = db.session.scalars(select(OrderLine).join(Asset, Asset.id == OrderLine.asset_id).where(
            OrderLine.released_at.is_(None), Asset.status == "quarantined")).all()
        assert held_on_lines == []
        assert services.ledger_discrepancies(db.session) == []
        states = [o.state for o in db.session.scalars(select(Order))]
        db.session.remove()
        return states


def test_reserving_while_a_recall_starts_never_issues_a_recalled_item(race_app):
    with race_app.app_context(), write_intent():
        w = make_world(db.session)
        for n in range(ORDERS):
            services.add_asset(db.session, "t", product_id=w["hoist"].id, store_id=w["north"].id,
                               asset_tag=f"RR-{n}")
        orders = [services.raise_order(db.session, "t", store_id=w["north"].id, priority="urgent",
                                       lines=[LineRequest(w["hoist"].id)], person_id=w["person"].id)[0].id
                  for _ in range(ORDERS)]
        db.session.commit()

    def reserve(order_id):
        return lambda session: services.reserve_order(session, "racer", order_id)

    results = _race(race_app, [("recall", _recall)] + [(f"order {o}", reserve(o)) for o in orders])
    assert results["recall"] == "done", results
    assert set(results.values()) <= {"done", "OutOfStock", "VersionClash"}
    states = _check(race_app)
    assert set(states) == {"requested"}  # reserved first and then put back, or refused


def test_delivering_while_a_recall_starts_ends_recalled_and_booked_for_collection(race_app):
    with race_app.app_context(), write_intent():
        w = make_world(db.session)
        for n in range(ORDERS):
            services.add_asset(db.session, "t", product_id=w["hoist"].id, store_id=w["north"].id,
                               asset_tag=f"RD-{n}")
        orders = []
        for _ in range(ORDERS):
            order = services.raise_order(db.session, "t", store_id=w["north"].id, priority="urgent",
                                         lines=[LineRequest(w["hoist"].id)], person_id=w["person"].id)[0]
            services.reserve_order(db.session, "t", order.id)
            orders.append(order.id)
        db.session.commit()

    def deliver(order_id):
        return lambda session: services.deliver_order(session, "racer", order_id)

    results = _race(race_app, [("recall", _recall)] + [(f"order {o}", deliver(o)) for o in orders])
    assert results["recall"] == "done", results
    states = _check(race_app)
    # delivered first, then booked for collection by the recall; or put back to be reserved again
    assert set(states) <= {"collection_requested", "requested"}
    assert len(states) == ORDERS
