"""Property: whatever sequence of operations staff perform, every stock level equals the sum of
the ledger, nothing is ever negative, and reserved never exceeds on hand."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.equipment import services
from portal.equipment.models import Asset, Order, StockLevel
from portal.equipment.services import LineRequest
from portal.errors import PortalError

OPS = st.lists(st.tuples(
    st.sampled_from(["receive", "adjust", "order", "reserve", "deliver", "cancel", "collect_request",
                     "collect", "clean", "add_asset", "repair", "retire"]),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=-3, max_value=4),
), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_ledger_always_matches_stock(db_session, world, ops):
    s, w = db_session, world
    stores = [w["north"], w["south"]]
    products = [w["hoist"], w["commode"], w["rail"]]
    outer = s.begin_nested()
    tags = iter(range(10_000))
    try:
        for op, pick, amount in ops:
            store = stores[pick % 2]
            product = products[pick % 3]
            orders = list(s.scalars(select(Order.id).order_by(Order.id)))
            order_id = orders[pick % len(orders)] if orders else None
            assets = list(s.scalars(select(Asset.id).order_by(Asset.id)))
            asset_id = assets[pick % len(assets)] if assets else None
            try:
                with s.begin_nested():
                    if op == "receive" and product.tracking == "counted":
                        services.receive_stock(s, "p", store.id, product.id, abs(amount) + 1, "In")
                    elif op == "adjust" and product.tracking == "counted":
                        services.adjust_stock(s, "p", store.id, product.id, amount or 1, "Count")
                    elif op == "order":
                        services.raise_order(s, "p", store_id=store.id, priority="urgent",
                                             lines=[LineRequest(product.id, abs(amount) % 3 + 1)],
                                             person_id=w["person"].id)
                    elif op == "reserve" and order_id:
                        services.reserve_order(s, "p", order_id)
                    elif op == "deliver" and order_id:
                        services.deliver_order(s, "p", order_id)
                    elif op == "cancel" and order_id:
                        services.cancel_order(s, "p", order_id, "No longer wanted")
                    elif op == "collect_request" and order_id:
                        services.request_collection(s, "p", order_id, "no_longer_needed")
                    elif op == "collect" and order_id:
                        services.collect_order(s, "p", order_id)
                    elif op == "clean":
                        if order_id and pick % 2:
                            services.clean_order_items(s, "p", order_id)
                        elif asset_id:
                            services.clean_asset(s, "p", asset_id)
                    elif op == "add_asset":
                        services.add_asset(s, "p", product_id=w["hoist"].id, store_id=store.id,
                                           asset_tag=f"P{next(tags)}-{len(assets)}")
                    elif op == "repair" and asset_id:
                        services.send_to_repair(s, "p", asset_id, "Fault")
                    elif op == "retire" and asset_id:
                        services.retire_asset(s, "p", asset_id, "Worn out")
            except PortalError:
                pass
            s.expire_all()
            assert services.ledger_discrepancies(s) == []
            for level in s.scalars(select(StockLevel)):
                assert level.on_hand >= 0 and level.reserved >= 0 and level.awaiting_cleaning >= 0
                assert level.reserved <= level.on_hand
    finally:
        outer.rollback()
