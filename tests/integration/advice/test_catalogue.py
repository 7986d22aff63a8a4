"""The equipment demo data reads catalogue.yaml through the advice engine's one checked reader."""

from decimal import Decimal

from sqlalchemy import select

from portal.advice.engine import default_catalogue
from portal.equipment.models import Product
from portal.equipment.seed import load_catalogue


def test_equipment_seed_loads_the_checked_catalogue(db_session):
    catalogue = default_catalogue()
    load_catalogue(db_session)
    rows = {p.code: p for p in db_session.scalars(select(Product).where(Product.code.in_(catalogue)))}
    assert set(rows) == set(catalogue)
    for code, item in catalogue.items():
        row = rows[code]
        assert (row.name, row.category, row.area, row.supply, row.tracking) == (
            item.name, item.category, item.area, item.supply, item.tracking)
        assert row.self_purchase is item.self_purchase
        assert row.description == item.description  # stripped, as the advice report shows it
        if item.self_purchase:
            assert (row.price_min, row.price_max) == (Decimal(item.price_min), Decimal(item.price_max))
        assert row.inspection_months == item.inspection_months
    assert load_catalogue(db_session) == 0  # a second run adds nothing
