"""The stock ledger: every change of stock is a conditional UPDATE plus one append-only movement row.

Counted stock changes are single conditional UPDATEs (`... WHERE on_hand - reserved >= n`), with
CHECK constraints behind them, so two staff can never take the last item. Asset status changes
are conditional UPDATEs on the status that was read. Stock levels always equal the sums of the
ledger (see `ledger_discrepancies`).
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from portal.audit.services import actor_label
from portal.equipment.models import Asset, Movement, StockLevel
from portal.errors import IllegalTransition, NotFound, VersionClash
from portal.sql import insert_ignore
from portal.timeutil import utcnow


def actor_id(actor) -> int | None:
    return actor_label(actor)[0]


def move(session, actor, kind: str, store_id: int, product_id: int, *, asset_id=None, order_id=None,
         on_hand=0, reserved=0, cleaning=0, from_status=None, to_status=None, reason=None,
         at: datetime | None = None) -> Movement:
    """Append one ledger row."""
    who_id, label = actor_label(actor)
    row = Movement(kind=kind, store_id=store_id, product_id=product_id, asset_id=asset_id,
                   order_id=order_id, on_hand_change=on_hand, reserved_change=reserved,
                   cleaning_change=cleaning, from_status=from_status, to_status=to_status,
                   reason=reason[:300] if reason else None, actor_id=who_id, actor=label[:160],
                   at=at or utcnow())
    session.add(row)
    return row


def ensure_level(session, store_id: int, product_id: int) -> None:
    session.execute(insert_ignore(session, StockLevel.__table__, {
        "store_id": store_id, "product_id": product_id, "on_hand": 0, "reserved": 0,
        "awaiting_cleaning": 0, "reorder_level": 0}, ["store_id", "product_id"]))


def change_level(session, store_id: int, product_id: int, *, on_hand=0, reserved=0, cleaning=0,
                 extra_free: int = 0) -> bool:
    """One conditional UPDATE: applies the changes only if every rule still holds afterwards.
    extra_free: free stock (on_hand - reserved) that must remain after the change."""
    ensure_level(session, store_id, product_id)
    level = StockLevel.__table__.c
    stmt = (
        update(StockLevel.__table__)
        .where(level.store_id == store_id, level.product_id == product_id,
               level.on_hand + on_hand >= 0, level.reserved + reserved >= 0,
               level.awaiting_cleaning + cleaning >= 0,
               (level.on_hand + on_hand) - (level.reserved + reserved) >= extra_free)
        .values(on_hand=level.on_hand + on_hand, reserved=level.reserved + reserved,
                awaiting_cleaning=level.awaiting_cleaning + cleaning)
        .returning(level.id)
    )
    done = session.execute(stmt).first() is not None
    if done:
        for obj in list(session.identity_map.values()):
            if isinstance(obj, StockLevel) and obj.store_id == store_id and obj.product_id == product_id:
                session.expire(obj)
    return done


def asset_move(session, actor, asset_id: int, allowed: tuple[str, ...], to_status: str, kind: str, *,
               order_id=None, reason=None, what: str = "", at=None, **values) -> Asset:
    """Move an asset between statuses with a conditional UPDATE on the status read."""
    row = session.execute(select(Asset.status, Asset.store_id, Asset.product_id, Asset.asset_tag)
                          .where(Asset.id == asset_id)).first()
    if row is None:
        raise NotFound(_("There is no asset with that id."))
    if row.status == "quarantined" and "quarantined" not in allowed:
        raise IllegalTransition(
            _("Asset %(asset_tag)s is quarantined under a product recall, so it cannot be "
              "%(value)s. Use another item: see the recall on the Recalls page.",
              asset_tag=row.asset_tag, value=what or kind))
    if row.status not in allowed:
        raise IllegalTransition(
            _("Asset %(asset_tag)s is %(status)s, so it cannot be %(value)s. It must be %(allowed)s.",
              asset_tag=row.asset_tag, status=row.status.replace("_", " "), value=what or kind,
              allowed=" or ".join(s.replace("_", " ") for s in allowed)))
    store_id = values.get("store_id", row.store_id)
    stmt = (update(Asset).where(Asset.id == asset_id, Asset.status == row.status)
            .values(status=to_status, version=Asset.version + 1, **values)
            .returning(Asset.id).execution_options(synchronize_session="fetch"))
    if session.execute(stmt).first() is None:
        raise VersionClash(_("Asset %(asset_tag)s was changed by someone else just now. Your change was not "
                             "saved.",
                             asset_tag=row.asset_tag), entity_type=Asset.__tablename__, entity_id=asset_id)
    move(session, actor, kind, store_id, row.product_id, asset_id=asset_id, order_id=order_id,
         from_status=row.status, to_status=to_status, reason=reason, at=at)
    return session.get(Asset, asset_id)


def ledger_discrepancies(session) -> list[str]:
    """Stock levels and asset statuses that disagree with the ledger (should always be empty)."""
    problems = []
    sums = (select(Movement.store_id, Movement.product_id,
                   func.sum(Movement.on_hand_change).label("on_hand"),
                   func.sum(Movement.reserved_change).label("reserved"),
                   func.sum(Movement.cleaning_change).label("cleaning"))
            .where(Movement.asset_id.is_(None)).group_by(Movement.store_id, Movement.product_id).subquery())
    rows = session.execute(
        select(StockLevel.store_id, StockLevel.product_id, StockLevel.on_hand, StockLevel.reserved,
               StockLevel.awaiting_cleaning, sums.c.on_hand, sums.c.reserved, sums.c.cleaning)
        .outerjoin(sums, and_(sums.c.store_id == StockLevel.store_id, sums.c.product_id == StockLevel.product_id))
    ).all()
    for r in rows:
        if (r[2], r[3], r[4]) != (r[5] or 0, r[6] or 0, r[7] or 0):
            problems.append(f"store {r[0]} product {r[1]}: level {r[2:5]} ledger {r[5:8]}")
    last = (select(Movement.asset_id, func.max(Movement.id).label("last_id"))
            .where(Movement.asset_id.is_not(None)).group_by(Movement.asset_id).subquery())
    rows = session.execute(
        select(Asset.asset_tag, Asset.status, Movement.to_status)
        .outerjoin(last, last.c.asset_id == Asset.id).outerjoin(Movement, Movement.id == last.c.last_id)
        .where(or_(Movement.to_status.is_(None), Movement.to_status != Asset.status))
    ).all()
    problems += [f"asset {tag}: status {status}, ledger {ledger}" for tag, status, ledger in rows]
    return problems


def asset_history(session, asset_id: int) -> list[Movement]:
    return list(session.scalars(select(Movement).where(Movement.asset_id == asset_id)
                                .order_by(Movement.id.desc())))
