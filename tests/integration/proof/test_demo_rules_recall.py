"""The demo data obeys the recall rules: nothing under an open recall can be issued, every
recalled item on loan has a job, and the stock ledger agrees with the stock."""

import pytest
from sqlalchemy import select

from portal.equipment import services
from portal.equipment.models import Asset, Order, OrderLine, Recall, RecallItem
from portal.equipment.seed import RECALL_REFERENCE, seed_demo
from portal.equipment.services.recall_hold import matches
from portal.extensions import db, write_intent
from tests.integration.proof.conftest import PG, build_app, fresh_postgres_url


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The equipment demo data on a database of its own, loaded as `flask seed-demo` loads it."""
    if PG:
        url = fresh_postgres_url("tecs_recall_demo")
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("recall-demo") / "demo.db")
    app = build_app(url)
    with app.app_context():
        with write_intent():
            seed_demo(db.session, orders=150)
            db.session.commit()
        yield db.session
        db.session.remove()
        db.engine.dispose()


def test_the_demo_recall_is_open_and_every_matching_item_is_held_or_has_a_job(demo):
    session = demo
    recall = session.scalar(select(Recall).where(Recall.reference == RECALL_REFERENCE))
    assert recall is not None and recall.state == "open"
    items = {i.asset_id: i for i in session.scalars(select(RecallItem).where(RecallItem.recall_id == recall.id))}
    matching = [a for a in session.scalars(select(Asset).where(Asset.product_id == recall.product_id))
                if matches(recall, a)]
    assert matching
    for asset in matching:
        item = items.get(asset.id)
        if asset.status == "retired" and item is None:
            continue  # retired before the recall
        assert item is not None, asset.asset_tag
        if asset.status == "quarantined":
            assert item.state == "held"
        elif asset.status in ("on_loan", "awaiting_collection"):
            assert item.state in ("to_collect", "to_inspect") and item.person_id or item.organisation_id
        else:
            assert asset.status == "retired" and item.state in ("disposed", "returned_to_supplier")
        assert asset.status not in ("available", "reserved", "awaiting_cleaning", "in_repair")


def test_no_recalled_item_is_available_for_issue_anywhere(demo):
    session = demo
    open_assets = session.scalars(select(RecallItem.asset_id).join(Recall).where(
        Recall.state == "open", RecallItem.resolved_at.is_(None), RecallItem.asset_id.is_not(None))).all()
    statuses = session.scalars(select(Asset.status).where(Asset.id.in_(open_assets))).all()
    assert statuses and set(statuses) <= {"quarantined", "on_loan", "awaiting_collection"}
    on_open_lines = session.scalars(select(OrderLine.id).join(Order).where(
        OrderLine.asset_id.in_(open_assets), OrderLine.released_at.is_(None),
        Order.state.in_(("requested", "reserved")))).all()
    assert on_open_lines == []


def test_every_recalled_item_on_loan_has_a_collection_in_hand(demo):
    session = demo
    for item in session.scalars(select(RecallItem).where(RecallItem.state == "to_collect")):
        if item.order_id is None:
            assert item.fitted_by_telecare or item.person_id
            continue
        order = session.get(Order, item.order_id)
        lines = [ln for ln in order.lines if ln.released_at is None]
        only_recalled = all(ln.id in {i.order_line_id for i in session.scalars(select(RecallItem).where(
            RecallItem.order_id == order.id, RecallItem.state == "to_collect"))} for ln in lines)
        if only_recalled:
            assert order.state == "collection_requested" and order.collection_reason == "product_recall"


def test_the_ledger_agrees_with_the_stock(demo):
    assert services.ledger_discrepancies(demo) == []
