"""Product recalls: starting one holds every matching item in every store, lists each item on
loan with a job, and every way stock leaves a store refuses a recalled item; new stock that
matches is held on receipt; a recall closes only when every item is resolved, or with a reason."""

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.equipment import services
from portal.equipment.models import Asset, Order, Recall, RecallItem, StockLevel
from portal.equipment.services import LineRequest, RecallRequest
from portal.errors import Conflict, IllegalTransition, NotAllowed, OutOfStock, Refusal


def hoist(session, w, tag, *, serial=None, store="north", purchased_on=None):
    return services.add_asset(session, "t", product_id=w["hoist"].id, store_id=w[store].id, asset_tag=tag,
                              serial=serial, purchased_on=purchased_on)


def order_for(session, w, product, *, state="requested", store="north", quantity=1):
    order, _ = services.raise_order(session, "t", store_id=w[store].id, priority="standard",
                                    lines=[LineRequest(product.id, quantity)], person_id=w["person"].id)
    if state in ("reserved", "delivered"):
        services.reserve_order(session, "t", order.id)
    if state == "delivered":
        services.deliver_order(session, "t", order.id)
    return session.get(Order, order.id)


def req(w, product="hoist", **kw):
    values = dict(product_id=w[product].id, scope="product", reference="MHRA/2026/FSN-0412",
                  action="collect_replace", reason="Lifting strap may fray")
    values.update(kw)
    return RecallRequest(**values)


def status(session, asset_id):
    return session.scalar(select(Asset.status).where(Asset.id == asset_id))


def test_starting_a_recall_holds_stock_everywhere_and_lists_every_loan(db_session, world, staff):
    w = world
    hoist(db_session, w, "RC-0", serial="H-099")
    loaned = order_for(db_session, w, w["hoist"], state="delivered")
    loaned_asset = loaned.lines[0].asset_id
    shelf = hoist(db_session, w, "RC-1", serial="H-100")
    south = hoist(db_session, w, "RC-2", serial="H-101", store="south")
    dirty = hoist(db_session, w, "RC-3", serial="H-102")
    services.send_to_repair(db_session, "t", dirty.id, "Noisy")
    hoist(db_session, w, "RC-4", serial="H-103")
    waiting = order_for(db_session, w, w["hoist"], state="reserved")
    reserved = db_session.get(Asset, waiting.lines[0].asset_id)
    stores = staff.create("stores_officer")

    preview = services.preview(db_session, req(w))
    assert (preview["in_store"], preview["on_loan"], preview["orders_back"], preview["stores"]) == (3 + 1, 1, 1, 2)

    recall, created = services.start_recall(db_session, stores, req(w), submission_key="a" * 32)
    assert created
    for asset in (shelf, south, dirty, reserved):
        assert status(db_session, asset.id) == "quarantined"
    db_session.expire_all()
    waiting = db_session.get(Order, waiting.id)
    assert waiting.state == "requested" and waiting.lines[0].asset_id is None
    # the order on loan is booked for collection through the order's own workflow
    loaned = db_session.get(Order, loaned.id)
    assert loaned.state == "collection_requested" and loaned.collection_reason == "product_recall"
    items = {i.asset_id: i for i in db_session.scalars(select(RecallItem).where(RecallItem.recall_id == recall.id))}
    assert items[loaned_asset].state == "to_collect" and items[loaned_asset].person_id == w["person"].id
    assert {items[a.id].state for a in (shelf, south, dirty, reserved)} == {"held"}
    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "equipment.recall_started"))
    assert audit.details["reference"] == "MHRA/2026/FSN-0412" and audit.entity_id == str(recall.id)
    assert services.ledger_discrepancies(db_session) == []
    # the same form sent again starts nothing new
    again, created = services.start_recall(db_session, stores, req(w), submission_key="a" * 32)
    assert again.id == recall.id and not created

    # collected by the driver: quarantined, not put back for cleaning
    services.collect_order(db_session, "t", loaned.id)
    assert status(db_session, loaned_asset) == "quarantined"
    db_session.expire_all()
    assert db_session.get(RecallItem, items[loaned_asset].id).state == "held"
    assert services.progress(db_session, recall)["at_homes"] == 0


def test_every_way_out_of_a_store_refuses_a_recalled_item(db_session, world):
    w = world
    a = hoist(db_session, w, "RX-1")
    services.start_recall(db_session, "t", req(w))
    order = order_for(db_session, w, w["hoist"])
    line_id = order.lines[0].id
    with pytest.raises(OutOfStock):  # order allocation, by the store's own pick
        services.reserve_order(db_session, "t", order.id)
    with pytest.raises(OutOfStock, match="quarantined under a product recall"):  # allocation naming the asset (a scan)
        services.reserve_order(db_session, "t", order.id, assets={line_id: a.id})
    with pytest.raises(IllegalTransition, match="quarantined under a product recall"):  # telecare fitting
        services.fit_asset(db_session, "t", a.id, w["person"].id, "Fitted")
    for action in (lambda: services.retire_asset(db_session, "t", a.id, "Scrap"),
                   lambda: services.send_to_repair(db_session, "t", a.id, "Fault"),
                   lambda: services.clean_asset(db_session, "t", a.id)):
        with pytest.raises(IllegalTransition):
            action()
    assert services.unfit_reason(db_session.get(Asset, a.id)).endswith("pick another.")
    assert status(db_session, a.id) == "quarantined"


def test_counted_stock_is_held_back_and_new_receipts_are_quarantined(db_session, world):
    w = world
    services.receive_stock(db_session, "t", w["north"].id, w["commode"].id, 5, "In")
    services.receive_stock(db_session, "t", w["south"].id, w["commode"].id, 2, "In")
    held = order_for(db_session, w, w["commode"], state="reserved", quantity=2)
    out = order_for(db_session, w, w["commode"], state="delivered")
    recall, _ = services.start_recall(db_session, "t", req(w, "commode"))
    levels = {lv.store_id: lv for lv in db_session.scalars(select(StockLevel).where(
        StockLevel.product_id == w["commode"].id))}
    assert (levels[w["north"].id].on_hand, levels[w["north"].id].reserved) == (0, 0)
    assert levels[w["south"].id].on_hand == 0
    assert db_session.get(Order, held.id).state == "requested"
    with pytest.raises(OutOfStock):
        services.reserve_order(db_session, "t", held.id)
    services.receive_stock(db_session, "t", w["north"].id, w["commode"].id, 3, "Delivery from the supplier")
    db_session.expire_all()
    assert db_session.get(StockLevel, levels[w["north"].id].id).on_hand == 0
    quantities = db_session.execute(select(RecallItem.state, func.sum(RecallItem.quantity)).where(
        RecallItem.recall_id == recall.id).group_by(RecallItem.state)).all()
    assert dict(quantities) == {"held": 4 + 2 + 3, "to_collect": 1}
    assert db_session.get(Order, out.id).state == "collection_requested"
    assert services.ledger_discrepancies(db_session) == []
    with pytest.raises(Conflict):  # one open recall per counted product
        services.start_recall(db_session, "t", req(w, "commode", reference="Second notice"))
    with pytest.raises(Refusal) as exc:
        services.preview(db_session, req(w, "commode", scope="serials", serial_from="1", serial_to="9"))
    assert exc.value.field == "scope"


def test_scope_by_serial_range_and_supply_dates(db_session, world):
    w = world
    inside = hoist(db_session, w, "SR-1", serial="BL-9")
    inside2 = hoist(db_session, w, "SR-2", serial="BL-10")
    outside = hoist(db_session, w, "SR-3", serial="BL-11")
    services.start_recall(db_session, "t", req(w, scope="serials", serial_from="BL-2", serial_to="BL-10"))
    assert [status(db_session, a.id) for a in (inside, inside2, outside)] == ["quarantined", "quarantined",
                                                                             "available"]
    early = hoist(db_session, w, "SD-1", purchased_on=date(2025, 1, 10))
    late = hoist(db_session, w, "SD-2", purchased_on=date(2025, 6, 1))
    services.start_recall(db_session, "t", req(w, scope="supplied", supplied_from=date(2025, 1, 1),
                                               supplied_to=date(2025, 3, 31), reference="FSN-B"))
    assert (status(db_session, early.id), status(db_session, late.id)) == ("quarantined", "available")
    # new stock received later in the serial range is quarantined on receipt; outside it is not
    new_in = hoist(db_session, w, "SR-4", serial="BL-5")
    new_out = hoist(db_session, w, "SR-5", serial="BL-50")
    assert (new_in.status, new_out.status) == ("quarantined", "available")
    # an asset under one open recall is not counted again by a second overlapping one
    second, _ = services.start_recall(db_session, "t", req(w, reference="FSN-C"))
    taken = db_session.scalar(select(func.count()).select_from(RecallItem).where(RecallItem.recall_id == second.id))
    assert taken == 3  # SR-3, SD-2 and SR-5: only those not already held by another open recall
    assert services.preview(db_session, req(w, reference="FSN-D"))["elsewhere"] == 7


def test_bad_answers_are_refused_with_their_field(db_session, world):
    w = world
    cases = [(dict(reference=" "), "reference"), (dict(scope="some"), "scope"), (dict(action="x"), "action"),
             (dict(reason=""), "reason"), (dict(product_id=None), "product_id"),
             (dict(scope="serials", serial_from="", serial_to="B"), "serial_from"),
             (dict(scope="serials", serial_from="B-20", serial_to="B-3"), "serial_to"),
             (dict(scope="supplied", supplied_from=date(2025, 2, 1), supplied_to=date(2025, 1, 1)), "supplied_to")]
    for values, field in cases:
        with pytest.raises(Refusal) as exc:
            services.start_recall(db_session, "t", req(w, **values))
        assert exc.value.field == field, values
    assert db_session.scalar(select(func.count()).select_from(Recall)) == 0


def test_only_stores_and_managers_start_or_close_and_only_stores_record_work(db_session, world, staff):
    w = world
    hoist(db_session, w, "RR-1")
    for role in ("occupational_therapist", "trusted_assessor", "triage_officer", "telecare_installer",
                 "dfg_caseworker", "admin"):
        with pytest.raises(NotAllowed):
            services.start_recall(db_session, staff.create(role), req(w))
    manager = staff.create("manager")
    recall, _ = services.start_recall(db_session, manager, req(w))
    item = recall.items[0]
    with pytest.raises(NotAllowed):
        services.resolve_held(db_session, manager, recall.id, item.id, "disposed", "Scrapped")
    with pytest.raises(NotAllowed):
        services.close_recall(db_session, staff.create("occupational_therapist"), recall.id, "x")


def test_held_items_are_resolved_and_the_recall_closes_only_when_all_are(db_session, world, staff):
    w = world
    a, b, c = (hoist(db_session, w, f"RV-{n}") for n in range(1, 4))
    stores = staff.create("stores_officer")
    recall, _ = services.start_recall(db_session, stores, req(w))
    with pytest.raises(Refusal) as exc:
        services.close_recall(db_session, stores, recall.id)
    assert exc.value.field == "reason"
    items = {i.asset_id: i for i in recall.items}
    with pytest.raises(Refusal):
        services.resolve_held(db_session, stores, recall.id, items[a.id].id, "disposed", "  ")
    services.resolve_held(db_session, stores, recall.id, items[a.id].id, "disposed", "Crushed, WEEE note 4411")
    services.resolve_held(db_session, stores, recall.id, items[b.id].id, "returned_to_supplier", "RMA 77812")
    services.resolve_held(db_session, stores, recall.id, items[c.id].id, "released", "New strap fitted")
    assert [status(db_session, x.id) for x in (a, b, c)] == ["retired", "retired", "awaiting_cleaning"]
    with pytest.raises(IllegalTransition):
        services.resolve_held(db_session, stores, recall.id, items[a.id].id, "released", "again")
    closed = services.close_recall(db_session, stores, recall.id)
    assert closed.state == "closed" and closed.closed_at is not None
    assert services.progress(db_session, recall) | {} and services.progress(db_session, recall)["disposed"] == 1
    with pytest.raises(IllegalTransition):
        services.close_recall(db_session, stores, recall.id)
    assert services.ledger_discrepancies(db_session) == []


def test_closing_with_a_reason_sends_held_items_to_cleaning_and_is_audited(db_session, world, staff):
    w = world
    hoist(db_session, w, "RW-0")
    order_for(db_session, w, w["hoist"], state="delivered")
    a = hoist(db_session, w, "RW-1")
    services.receive_stock(db_session, "t", w["north"].id, w["rail"].id, 1, "In")
    manager = staff.create("manager")
    recall, _ = services.start_recall(db_session, manager, req(w, action="inspect"))
    services.close_recall(db_session, manager, recall.id, "The manufacturer withdrew the notice")
    assert status(db_session, a.id) == "awaiting_cleaning"
    states = set(db_session.scalars(select(RecallItem.state).where(RecallItem.recall_id == recall.id)))
    assert states == {"closed"}
    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "equipment.recall_closed"))
    assert audit.details["unresolved"] == 2 and "withdrew" in audit.details["reason"]


def test_inspection_at_home_and_single_item_collection(db_session, world, staff):
    w = world
    hoist(db_session, w, "RI-1")
    services.receive_stock(db_session, "t", w["north"].id, w["commode"].id, 2, "In")
    order, _ = services.raise_order(db_session, "t", store_id=w["north"].id, priority="standard",
                                    lines=[LineRequest(w["hoist"].id), LineRequest(w["commode"].id)],
                                    person_id=w["person"].id)
    services.reserve_order(db_session, "t", order.id)
    services.deliver_order(db_session, "t", order.id)
    stores = staff.create("stores_officer")
    recall, _ = services.start_recall(db_session, stores, req(w, action="inspect"))
    item = next(i for i in recall.items if i.state == "to_inspect")
    with pytest.raises(Refusal):
        services.record_item_inspection(db_session, stores, recall.id, item.id, False, "")
    services.record_item_inspection(db_session, stores, recall.id, item.id, False, "Strap frayed")
    db_session.expire_all()
    # the order also holds a commode that is not recalled: no whole-order collection is booked
    assert db_session.get(Order, order.id).state == "delivered"
    services.record_collected(db_session, stores, recall.id, item.id)
    db_session.expire_all()
    order = db_session.get(Order, order.id)
    assert status(db_session, item.asset_id) == "quarantined"
    assert order.state == "delivered" and [ln.product_id for ln in order.lines if ln.released_at is None] == [
        w["commode"].id]
    assert services.ledger_discrepancies(db_session) == []


def test_a_telecare_device_fitted_at_home_is_listed_for_the_telecare_team(db_session, world):
    from decimal import Decimal

    w = world
    pendant = services.create_product(db_session, "t", code="PEN-R", name="Pendant alarm", category="telecare",
                                      area=None, supply="loan", tracking="serialised", inspection_months=None,
                                      warranty_months=12, cleaning_required=True, unit_cost=Decimal("60.00"),
                                      self_purchase=False)
    device = services.add_asset(db_session, "t", product_id=pendant.id, store_id=w["north"].id, asset_tag="PN-1")
    services.fit_asset(db_session, "t", device.id, w["person"].id, "Fitted by telecare job 1")
    recall, _ = services.start_recall(db_session, "t", RecallRequest(
        product_id=pendant.id, scope="product", reference="FSN-PEN", action="stop_use", reason="Battery fault"))
    item = recall.items[0]
    assert item.fitted_by_telecare and item.state == "to_collect" and item.person_id == w["person"].id
    with pytest.raises(IllegalTransition, match="Telecare"):
        services.record_collected(db_session, "t", recall.id, item.id)
    services.return_fitted_asset(db_session, "t", device.id, "Returned by telecare job 2")
    db_session.expire_all()
    assert status(db_session, device.id) == "quarantined"
    assert db_session.get(RecallItem, item.id).state == "held"
