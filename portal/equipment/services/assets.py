"""Serialised assets: adding one, its life in the store (clean, repair, retire, inspect) and
fitting one at a person's home without an order (telecare)."""

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record
from portal.equipment.models import Asset, Product
from portal.equipment.services._common import TAG_HINT, clean_tag, next_inspection, valid_tag, warranty_end
from portal.equipment.services.allowed import check_asset_action, inspection_overdue
from portal.equipment.services.ledger import asset_move, move
from portal.equipment.services.recall_hold import hold_new_asset, mark_returned, open_item_for_asset
from portal.errors import Conflict, IllegalTransition, NotFound, Refusal
from portal.people.models import Person
from portal.timeutil import london_date, today, utcnow


def get_asset(session, asset_id: int) -> Asset:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(_("There is no asset with that id."))
    return asset


def find_asset_by_tag(session, tag: str) -> Asset | None:
    cleaned = clean_tag(tag)
    if not valid_tag(cleaned):
        return None
    return session.scalar(select(Asset).where(Asset.asset_tag == cleaned))


def add_asset(session, actor, *, product_id: int, store_id: int, asset_tag: str, serial=None,
              purchase_cost=None, purchased_on: date | None = None, last_inspected_on: date | None = None,
              at: datetime | None = None) -> Asset:
    product = session.get(Product, product_id)
    if product is None or product.tracking != "serialised":
        raise Refusal(_("Assets can only be added for serialised products."), field="product_id")
    tag = (asset_tag or "").strip().upper()
    if not valid_tag(tag):
        raise Refusal(_("Enter an asset tag of %(TAG_HINT)s.", TAG_HINT=TAG_HINT), field="asset_tag")
    if session.scalar(select(Asset.id).where(Asset.asset_tag == tag)):
        raise Conflict(_("Asset tag %(tag)s is already in use.", tag=tag), field="asset_tag")
    serial = (serial or "").strip() or None
    holder = serial and session.scalar(select(Asset.asset_tag).where(Asset.product_id == product_id,
                                                                      Asset.serial == serial))
    if holder:
        raise Conflict(_("Serial number %(serial)s is already recorded for %(name)s %(holder)s.",
                         serial=serial, name=product.name, holder=holder), field="serial")
    purchased_on = purchased_on or today()
    asset = Asset(asset_tag=tag, serial=serial, product_id=product_id, store_id=store_id, status="available",
                  purchase_cost=purchase_cost if purchase_cost is not None else product.unit_cost,
                  purchased_on=purchased_on, last_inspected_on=last_inspected_on,
                  next_inspection_due=next_inspection(last_inspected_on or purchased_on,
                                                      product.inspection_months),
                  warranty_end=warranty_end(purchased_on, product.warranty_months))
    try:
        with session.begin_nested():  # someone adding the same tag or serial at the same moment
            session.add(asset)
            session.flush()
    except IntegrityError:
        raise Conflict(_("Asset tag %(tag)s or serial number %(serial)s was recorded by someone else just "
                         "now.",
                         tag=tag, serial=serial),
                       field="asset_tag") from None
    move(session, actor, "received", store_id, product_id, asset_id=asset.id, to_status="available",
         reason="New asset added", at=at)
    record(session, actor, "equipment.asset_added", "equipment_asset", asset.id, tag=tag)
    recall = hold_new_asset(session, actor, asset, at=at)
    if recall is not None:
        record(session, actor, "equipment.asset_quarantined", "equipment_asset", asset.id, recall_id=recall.id,
               reference=recall.reference)
    return session.get(Asset, asset.id)


def clean_asset(session, actor, asset_id: int) -> Asset:
    check_asset_action(actor, get_asset(session, asset_id), "clean")
    asset = asset_move(session, actor, asset_id, ("awaiting_cleaning",), "available", "clean",
                       what="marked as cleaned", reason="Cleaned and returned to stock")
    record(session, actor, "equipment.asset_cleaned", "equipment_asset", asset_id)
    return asset


def send_to_repair(session, actor, asset_id: int, reason: str) -> Asset:
    check_asset_action(actor, get_asset(session, asset_id), "repair")
    if not reason or not reason.strip():
        raise Refusal(_("Enter the fault found."), field="reason")
    asset = asset_move(session, actor, asset_id, ("available", "awaiting_cleaning"), "in_repair", "repair",
                       what="sent for repair", reason=reason)
    record(session, actor, "equipment.asset_to_repair", "equipment_asset", asset_id, reason=reason)
    return asset


def return_from_repair(session, actor, asset_id: int) -> Asset:
    """Back from repair: it must be cleaned before it is available again."""
    check_asset_action(actor, get_asset(session, asset_id), "repaired")
    asset = asset_move(session, actor, asset_id, ("in_repair",), "awaiting_cleaning", "repaired",
                       what="returned from repair", reason="Returned from repair")
    record(session, actor, "equipment.asset_repaired", "equipment_asset", asset_id)
    return asset


def retire_asset(session, actor, asset_id: int, reason: str) -> Asset:
    check_asset_action(actor, get_asset(session, asset_id), "retire")
    if not reason or not reason.strip():
        raise Refusal(_("Enter the reason for retiring the asset."), field="reason")
    asset = asset_move(session, actor, asset_id, ("available", "awaiting_cleaning", "in_repair"), "retired",
                       "retire", what="retired", reason=reason)
    record(session, actor, "equipment.asset_retired", "equipment_asset", asset_id, reason=reason)
    return asset


def record_inspection(session, actor, asset_id: int, inspected_on: date) -> Asset:
    asset = get_asset(session, asset_id)
    check_asset_action(actor, asset, "inspect")
    if inspected_on > today():
        raise Refusal(_("The inspection date must be today or in the past."), field="inspected_on")
    asset.last_inspected_on = inspected_on
    asset.next_inspection_due = next_inspection(inspected_on, asset.product.inspection_months)
    session.flush()
    move(session, actor, "inspect", asset.store_id, asset.product_id, asset_id=asset.id,
         from_status=asset.status, to_status=asset.status, reason=f"Inspected on {inspected_on.isoformat()}")
    record(session, actor, "equipment.asset_inspected", "equipment_asset", asset_id,
           inspected_on=inspected_on.isoformat())
    return asset


def fit_asset(session, actor, asset_id: int, person_id: int, reason: str, *,
              at: datetime | None = None) -> Asset:
    """An installer fits an available serialised asset at a person's home (telecare): it goes on
    loan to the person without an order. One conditional UPDATE and one ledger row, like a delivery.
    An asset overdue for its inspection is never fitted."""
    at = at or utcnow()
    if session.get(Person, person_id) is None:
        raise NotFound(_("There is no person with that id."))
    asset = get_asset(session, asset_id)
    if inspection_overdue(asset, london_date(at)):
        raise IllegalTransition(
            _("%(name)s %(asset_tag)s was due its inspection on %(due)s, so it cannot be "
              "fitted. Have it inspected first, or fit another one.",
              name=asset.product.name, asset_tag=asset.asset_tag,
              due=asset.next_inspection_due.strftime("%-d %B %Y")), field="asset_tag")
    asset = asset_move(session, actor, asset_id, ("available",), "on_loan", "deliver", reason=reason, at=at,
                       what="fitted", person_id=person_id, organisation_id=None, on_loan_since=at,
                       loan_count=Asset.loan_count + 1)
    record(session, actor, "equipment.asset_fitted", "equipment_asset", asset_id, person_id=person_id)
    return asset


def return_fitted_asset(session, actor, asset_id: int, reason: str, *, store_id: int | None = None,
                        at: datetime | None = None) -> Asset:
    """A fitted asset comes back from a person's home (removal, replacement): on loan → awaiting
    cleaning, never straight to available. It returns to store_id, or to the store it came from.
    A recalled asset comes back to quarantine instead, and its recall item is marked as returned."""
    at = at or utcnow()
    values = {"store_id": store_id} if store_id is not None else {}
    item = open_item_for_asset(session, asset_id)
    to_status = "quarantined" if item is not None else "awaiting_cleaning"
    asset = asset_move(session, actor, asset_id, ("on_loan",), to_status, "collect", reason=reason,
                       at=at, what="returned to stock", person_id=None, organisation_id=None,
                       on_loan_since=None, **values)
    mark_returned(item, asset.store_id, at)
    record(session, actor, "equipment.asset_returned", "equipment_asset", asset_id, reason=reason)
    return asset
