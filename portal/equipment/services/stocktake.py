"""Stocktakes: scan every label in a store, then record what was found, moved or missing.

Nothing is written off silently: completing shows how many items are missing and what they are
worth, and the stores officer confirms that count. A write-off above
EQUIPMENT_STOCKTAKE_APPROVAL_SHARE of the store's assets waits for a manager (not the one who
submitted it) to approve it, or to return the stocktake for more scanning.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.audit.services import record
from portal.config import setting
from portal.equipment.models import Asset, Product, Stocktake, StocktakeScan, Store
from portal.equipment.services._common import TAG_HINT, clean_tag, valid_tag
from portal.equipment.services.allowed import check_stocktake_action
from portal.equipment.services.ledger import actor_id, asset_move, move
from portal.errors import NotFound, Refusal
from portal.sql import insert_ignore
from portal.timeutil import utcnow
from portal.web.filters import format_money

STOCKTAKE_EXPECTED = ("available", "reserved", "awaiting_cleaning", "quarantined")
WRITE_OFF = ("available", "awaiting_cleaning")  # missing reserved items are reported, not written off
MAX_SCAN_LINES = 500


def get_stocktake(session, stocktake_id: int) -> Stocktake:
    stocktake = session.get(Stocktake, stocktake_id)
    if stocktake is None:
        raise NotFound(_("There is no stocktake with that id."))
    return stocktake


def start_stocktake(session, actor, store_id: int) -> Stocktake:
    existing = session.scalar(select(Stocktake).where(Stocktake.store_id == store_id,
                                                      Stocktake.state.in_(("open", "awaiting_approval"))))
    if existing:
        return existing
    if session.get(Store, store_id) is None:
        raise NotFound(_("There is no store with that id."))
    stocktake = Stocktake(store_id=store_id, started_by_id=actor_id(actor))
    session.add(stocktake)
    session.flush()
    record(session, actor, "equipment.stocktake_started", "equipment_stocktake", stocktake.id, store_id=store_id)
    return stocktake


@dataclass
class ScanReport:
    """What one batch of scanned lines did: tags recorded, already scanned, not on record, not a tag."""

    recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """The lines to give back to the person to check (in the order they came)."""
        return self.unknown + self.invalid


def scan(session, actor, stocktake_id: int, text: str) -> ScanReport:
    """Record a batch of scanned labels, one a line (as a scanner types them). Only tags of assets
    on record are stored; unknown tags, lines that are not a tag and tags already scanned are
    reported and stored nowhere."""
    stocktake = get_stocktake(session, stocktake_id)
    check_stocktake_action(actor, stocktake, "stocktake_scan")
    lines = [line.strip() for line in (text or "").replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        raise Refusal(_("Scan or enter at least one asset tag."), field="tags")
    if len(lines) > MAX_SCAN_LINES:
        raise Refusal(_("Scan up to %(MAX_SCAN_LINES)s tags at a time.", MAX_SCAN_LINES=MAX_SCAN_LINES), field="tags")
    report, seen = ScanReport(), set()
    tags = [clean_tag(line) for line in lines]
    assets = dict(session.execute(select(Asset.asset_tag, Asset.id).where(
        Asset.asset_tag.in_({t for t in tags if valid_tag(t)}))).all())
    for line, tag in zip(lines, tags, strict=True):
        if not valid_tag(tag):
            report.invalid.append(line[:60])
        elif tag in seen:
            report.duplicates.append(tag)
        elif tag not in assets:
            report.unknown.append(tag)
        else:
            new_id = session.execute(insert_ignore(session, StocktakeScan.__table__, {
                "stocktake_id": stocktake.id, "asset_tag": tag, "asset_id": assets[tag], "scanned_at": utcnow()},
                ["stocktake_id", "asset_tag"]).returning(StocktakeScan.__table__.c.id)).scalar()
            (report.recorded if new_id is not None else report.duplicates).append(tag)
        seen.add(tag)
    return report


def scan_problem_message(report: ScanReport) -> str | None:
    parts = []
    if report.unknown:
        parts.append(f"{_count(len(report.unknown), 'tag')} not on record, so not stored: "
                     + ", ".join(report.unknown[:20]) + ". Check each label, or add the asset first")
    if report.invalid:
        parts.append(f"{_count(len(report.invalid), 'line')} not an asset tag ({TAG_HINT}): "
                     + ", ".join(report.invalid[:20]))
    return ". ".join(parts) + "." if parts else None


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def stocktake_result(session, stocktake: Stocktake) -> dict:
    scans = session.execute(
        select(StocktakeScan.asset_tag, StocktakeScan.scanned_at, Asset.id, Asset.store_id, Asset.status,
               Product.name)
        .outerjoin(Asset, Asset.id == StocktakeScan.asset_id).outerjoin(Product, Product.id == Asset.product_id)
        .where(StocktakeScan.stocktake_id == stocktake.id).order_by(StocktakeScan.id.desc())).all()
    scanned_ids = {row.id for row in scans if row.id}
    expected = session.execute(
        select(Asset.id, Asset.asset_tag, Asset.status, Product.name,
               func.coalesce(Product.unit_cost, Asset.purchase_cost).label("value"))
        .join(Product, Product.id == Asset.product_id)
        .where(Asset.store_id == stocktake.store_id, Asset.status.in_(STOCKTAKE_EXPECTED))
        .order_by(Asset.asset_tag)).all()
    missing = [r for r in expected if r.id not in scanned_ids]
    write_off = [r for r in missing if r.status in WRITE_OFF]
    count, value = len(write_off), sum((Decimal(r.value or 0) for r in write_off), Decimal("0"))
    share = Decimal(setting("EQUIPMENT_STOCKTAKE_APPROVAL_SHARE") or 0)
    return {
        "scans": scans,
        "found": [r for r in scans if r.id and r.store_id == stocktake.store_id and r.status in STOCKTAKE_EXPECTED],
        "missing": missing,
        "misplaced": [r for r in scans if r.id and r.store_id != stocktake.store_id
                      and r.status in STOCKTAKE_EXPECTED],
        "unexpected": [r for r in scans if r.id is None or r.status not in STOCKTAKE_EXPECTED],
        "expected": len(expected),
        "write_off": {"count": count, "value": value, "share": share,
                      "needs_approval": count > 0 and count > share * len(expected)},
    }


def complete_stocktake(session, actor, stocktake_id: int, reason: str, *, confirmed_missing: int | None) -> dict:
    """Finish scanning. `confirmed_missing` is the count of items to write off that the person saw
    and confirmed; if it is not the count now, nothing happens. Above the approval share the
    stocktake waits for a manager; otherwise the adjustments are recorded now (`_apply`)."""
    stocktake = get_stocktake(session, stocktake_id)
    check_stocktake_action(actor, stocktake, "stocktake_complete")
    if not reason or not reason.strip():
        raise Refusal(_("Enter the reason for the adjustments."), field="reason")
    result = stocktake_result(session, stocktake)
    off = result["write_off"]
    if off["count"] and confirmed_missing is None:
        raise Refusal(_("Confirm that %(count)s, worth %(format_money)s, will be written off.",
                        count=_count(off['count'],
                                     'missing item'), format_money=format_money(off['value'])), field="confirm")
    if (confirmed_missing or 0) != off["count"]:
        raise Refusal(_("The count has changed since the page was shown: %(count)s, worth "
                        "%(format_money)s, would now be written off. Check the list and confirm again.",
                        count=_count(off['count'], 'item'), format_money=format_money(off['value'])),
                      field="confirm")
    stocktake.reason = reason.strip()[:300]
    stocktake.missing_count, stocktake.missing_value = off["count"], off["value"]
    stocktake.submitted_at, stocktake.submitted_by_id = utcnow(), actor_id(actor)
    if off["needs_approval"]:
        stocktake.state = "awaiting_approval"
        session.flush()
        record(session, actor, "equipment.stocktake_submitted", "equipment_stocktake", stocktake.id,
               missing=off["count"], value=str(off["value"]), expected=result["expected"])
        return {"awaiting_approval": True, "written_off": 0, "missing": off["count"], "value": off["value"]}
    return _apply(session, actor, stocktake, result)


def approve_stocktake(session, actor, stocktake_id: int) -> dict:
    """A manager (not the one who submitted it) approves a large write-off: the adjustments are recorded."""
    stocktake = get_stocktake(session, stocktake_id)
    check_stocktake_action(actor, stocktake, "stocktake_approve")
    stocktake.approved_at, stocktake.approved_by_id = utcnow(), actor_id(actor)
    return _apply(session, actor, stocktake, stocktake_result(session, stocktake))


def return_stocktake(session, actor, stocktake_id: int, reason: str) -> Stocktake:
    """A manager sends a large write-off back for more scanning: the stocktake is open again."""
    stocktake = get_stocktake(session, stocktake_id)
    check_stocktake_action(actor, stocktake, "stocktake_return")
    if not reason or not reason.strip():
        raise Refusal(_("Enter what the stores should check before completing again."), field="reason")
    stocktake.state = "open"
    stocktake.submitted_at = stocktake.submitted_by_id = None
    session.flush()
    record(session, actor, "equipment.stocktake_returned", "equipment_stocktake", stocktake.id,
           reason=reason.strip()[:300])
    return stocktake


def _apply(session, actor, stocktake: Stocktake, result: dict) -> dict:
    """Record the adjustments: misplaced assets move to this store; missing available or
    awaiting-cleaning assets are retired as lost. Loaned items are only reported."""
    label = f"Stocktake {stocktake.id}: {stocktake.reason}"
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
        if row.status in WRITE_OFF:
            asset_move(session, actor, row.id, (row.status,), "retired", "adjust",
                       reason=f"{label} (missing: not found at stocktake)")
            lost += 1
    stocktake.state = "completed"
    stocktake.completed_at = utcnow()
    session.flush()
    summary = {"awaiting_approval": False, "moved": moved, "written_off": lost,
               "value": result["write_off"]["value"], "unexpected": len(result["unexpected"]),
               "found": len(result["found"])}
    record(session, actor, "equipment.stocktake_completed", "equipment_stocktake", stocktake.id,
           **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in summary.items()})
    return summary
