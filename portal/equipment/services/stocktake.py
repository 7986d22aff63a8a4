"""Stocktakes: scan every label in a store, then record what was found, moved or missing."""

from sqlalchemy import select, update

from portal.audit.services import record
from portal.equipment.models import Asset, Product, Stocktake, StocktakeScan, Store
from portal.equipment.services.ledger import actor_id, asset_move, move
from portal.errors import IllegalTransition, NotFound, Refusal
from portal.sql import insert_ignore
from portal.timeutil import utcnow

STOCKTAKE_EXPECTED = ("available", "reserved", "awaiting_cleaning")


def start_stocktake(session, actor, store_id: int) -> Stocktake:
    existing = session.scalar(select(Stocktake).where(Stocktake.store_id == store_id, Stocktake.state == "open"))
    if existing:
        return existing
    if session.get(Store, store_id) is None:
        raise NotFound("There is no store with that id.")
    stocktake = Stocktake(store_id=store_id, started_by_id=actor_id(actor))
    session.add(stocktake)
    session.flush()
    record(session, actor, "equipment.stocktake_started", "equipment_stocktake", stocktake.id, store_id=store_id)
    return stocktake


def scan(session, actor, stocktake_id: int, tag: str) -> tuple[str, Asset | None, bool]:
    """Record one scanned label. Returns (tag, asset or None, was it new)."""
    stocktake = session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound("There is no stocktake with that id.")
    if stocktake.state != "open":
        raise IllegalTransition("This stocktake is completed: start a new one to scan again.")
    cleaned = (tag or "").strip().upper().rstrip("/").rsplit("/", 1)[-1][:40]
    if not cleaned:
        raise Refusal("Scan or enter an asset tag.", field="tag")
    asset = session.scalar(select(Asset).where(Asset.asset_tag == cleaned))
    new_id = session.execute(insert_ignore(session, StocktakeScan.__table__, {
        "stocktake_id": stocktake_id, "asset_tag": cleaned, "asset_id": asset.id if asset else None,
        "scanned_at": utcnow()}, ["stocktake_id", "asset_tag"]).returning(StocktakeScan.__table__.c.id)).scalar()
    return cleaned, asset, new_id is not None


def stocktake_result(session, stocktake: Stocktake) -> dict:
    scans = session.execute(
        select(StocktakeScan.asset_tag, StocktakeScan.scanned_at, Asset.id, Asset.store_id, Asset.status,
               Product.name)
        .outerjoin(Asset, Asset.id == StocktakeScan.asset_id).outerjoin(Product, Product.id == Asset.product_id)
        .where(StocktakeScan.stocktake_id == stocktake.id).order_by(StocktakeScan.id.desc())).all()
    scanned_ids = {row.id for row in scans if row.id}
    expected = session.execute(
        select(Asset.id, Asset.asset_tag, Asset.status, Product.name).join(Product, Product.id == Asset.product_id)
        .where(Asset.store_id == stocktake.store_id, Asset.status.in_(STOCKTAKE_EXPECTED))
        .order_by(Asset.asset_tag)).all()
    return {
        "scans": scans,
        "found": [r for r in scans if r.id and r.store_id == stocktake.store_id and r.status in STOCKTAKE_EXPECTED],
        "missing": [r for r in expected if r.id not in scanned_ids],
        "misplaced": [r for r in scans if r.id and r.store_id != stocktake.store_id
                      and r.status in STOCKTAKE_EXPECTED],
        "unexpected": [r for r in scans if r.id is None or r.status not in STOCKTAKE_EXPECTED],
    }


def complete_stocktake(session, actor, stocktake_id: int, reason: str) -> dict:
    """Record the adjustments: misplaced assets move to this store; missing available or
    awaiting-cleaning assets are retired as lost. Unknown tags and loaned items are only reported."""
    if not reason or not reason.strip():
        raise Refusal("Enter the reason for the adjustments.", field="reason")
    stocktake = session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound("There is no stocktake with that id.")
    if stocktake.state != "open":
        raise IllegalTransition("This stocktake is already completed.")
    result = stocktake_result(session, stocktake)
    label = f"Stocktake {stocktake.id}: {reason}"
    moved = lost = 0
    for row in result["misplaced"]:
        asset = session.get(Asset, row.id)
        from_store = asset.store_id
        stmt = (update(Asset).where(Asset.id == row.id, Asset.store_id == from_store, Asset.status == asset.status)
                .values(store_id=stocktake.store_id, version=Asset.version + 1)
                .returning(Asset.id).execution_options(synchronize_session="fetch"))
        if session.execute(stmt).first() is not None:
            move(session, actor, "transfer", stocktake.store_id, asset.product_id, asset_id=asset.id,
                  from_status=asset.status, to_status=asset.status, reason=f"{label} (found here; was store "
                  f"{from_store})")
            moved += 1
    for row in result["missing"]:
        if row.status in ("available", "awaiting_cleaning"):
            asset_move(session, actor, row.id, (row.status,), "retired", "adjust",
                        reason=f"{label} (missing: not found at stocktake)")
            lost += 1
    stocktake.state = "completed"
    stocktake.completed_at = utcnow()
    stocktake.reason = reason[:300]
    session.flush()
    summary = {"moved": moved, "written_off": lost, "unexpected": len(result["unexpected"]),
               "found": len(result["found"])}
    record(session, actor, "equipment.stocktake_completed", "equipment_stocktake", stocktake.id, **summary)
    return summary
