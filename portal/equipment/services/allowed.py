"""Who may do what to an order or an asset, decided in one place (DESIGN.md 5).

`allowed_order_actions` and `allowed_asset_actions` return the action names (the route endpoint
names) open to a person now, from their roles, the record's state, ownership and safety. Pages
show only these actions, and every service checks its action with `check_order_action` /
`check_asset_action` before it changes anything.

Safety: an asset overdue for its inspection (LOLER) or service is never reserved, delivered,
swapped in or fitted; an asset awaiting cleaning or in repair is not available, so it is never
picked either. `unfit_reason` says why an asset may not go out and what to do.

A label actor (the demo seeder, a command-line job: a string or None rather than a staff user)
acts for the service with every role; the state and safety rules still apply to it.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import object_session

from portal.auth.roles import MANAGER, OCCUPATIONAL_THERAPIST, ROLES, STORES_OFFICER, TRUSTED_ASSESSOR
from portal.equipment.models import Asset, Order, Product, StockLevel, Stocktake
from portal.errors import IllegalTransition, NotAllowed
from portal.timeutil import today

PRESCRIBERS = (OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR)

# The roles that can ever do each action (the routes' @staff rules use these). An action's name is
# its route's endpoint: the order's "clean_order" (its returned items) beside the asset's "clean".
ORDER_ROLES = {
    "reserve": (STORES_OFFICER,),
    "deliver": (STORES_OFFICER,),
    "collection": (STORES_OFFICER, *PRESCRIBERS),
    "collect": (STORES_OFFICER,),
    "clean_order": (STORES_OFFICER,),
    "cancel": (STORES_OFFICER, *PRESCRIBERS),  # a prescriber only the orders they raised
    "swap": (STORES_OFFICER,),  # pick another asset for a reserved line, or exchange one on loan
}
ASSET_ROLES = {action: (STORES_OFFICER,) for action in ("inspect", "clean", "repair", "repaired", "retire")}
STOCKTAKE_ROLES = {"stocktake_scan": (STORES_OFFICER,), "stocktake_complete": (STORES_OFFICER,),
                   "stocktake_approve": (MANAGER,), "stocktake_return": (MANAGER,)}


def _roles(user) -> set[str]:
    if user is None or isinstance(user, str):
        return set(ROLES)
    return set(getattr(user, "role_names", ()) or ())


def _is_owner(user, order: Order) -> bool:
    return user is not None and not isinstance(user, str) and order.raised_by_id == getattr(user, "id", None)


def inspection_overdue(asset: Asset, on: date | None = None) -> bool:
    """Past its next inspection (LOLER) or service date: it must be inspected before it goes out."""
    return asset.next_inspection_due is not None and asset.next_inspection_due < (on or today())


def unfit_reason(asset: Asset, on: date | None = None) -> str | None:
    """Why this asset may not go to a person on `on` (today by default), with what to do; None if fit."""
    if asset.status == "quarantined":
        return (f"{asset.product.name} {asset.asset_tag} is quarantined under a product recall: pick another.")
    if asset.status in ("awaiting_cleaning", "in_repair", "retired"):
        return (f"{asset.product.name} {asset.asset_tag} is {asset.status.replace('_', ' ')}: pick another, or "
                "clear it first.")
    if inspection_overdue(asset, on):
        day = on or today()
        when = "is overdue for" if asset.next_inspection_due < today() else f"falls due before {day:%-d %B %Y} for"
        return (f"{asset.product.name} {asset.asset_tag} {when} its inspection (due "
                f"{asset.next_inspection_due:%-d %B %Y}): record its inspection now, or pick another.")
    return None


def may_prescribe(user, product: Product) -> bool:
    """Whether `user` may order `product` (its prescriber level: any prescriber, an OT or a level-4
    trusted assessor, or an OT only). A label actor (the seeder, a command) may order anything."""
    if product.prescriber == "any" or user is None or isinstance(user, str):
        return True
    roles = _roles(user)
    if OCCUPATIONAL_THERAPIST in roles:
        return True
    return (product.prescriber == "trusted_assessor_4" and TRUSTED_ASSESSOR in roles
            and getattr(user, "trusted_assessor_level", None) == 4)


def overdue_assets(order: Order, on: date | None = None) -> list[Asset]:
    return [line.asset for line in order.lines
            if line.asset is not None and line.released_at is None and inspection_overdue(line.asset, on)]


def loan_lines(order: Order) -> list:
    return [line for line in order.lines if line.released_at is None]


def swappable_lines(order: Order) -> list:
    """Serialised lines whose asset can be swapped: reserved (pick another) or on loan (exchange)."""
    if order.state not in ("reserved", "delivered"):
        return []
    return [line for line in loan_lines(order) if line.asset_id is not None]


def _awaiting_cleaning(order: Order) -> bool:
    """Something that came back on this collected order still waits to be cleaned."""
    if any(line.asset is not None and line.asset.status == "awaiting_cleaning" for line in order.lines):
        return True
    counted = {line.product_id for line in order.lines if line.asset_id is None and line.product.supply == "loan"}
    if not counted:
        return False
    return bool(object_session(order).scalar(
        select(StockLevel.id).where(StockLevel.store_id == order.store_id, StockLevel.product_id.in_(counted),
                                    StockLevel.awaiting_cleaning > 0).limit(1)))


def _open_order_actions(order: Order, on: date | None) -> set[str]:
    """What the order's state (and its assets' safety) allows, whoever asks."""
    state = order.state
    if state == "requested":
        return {"reserve", "cancel"}
    swap = {"swap"} if swappable_lines(order) else set()
    if state == "reserved":
        return ({"cancel"} if overdue_assets(order, on) else {"deliver", "cancel"}) | swap
    if state == "delivered":
        return ({"collection"} if loan_lines(order) else set()) | swap
    if state == "collection_requested":
        return {"collect"}
    if state == "collected" and _awaiting_cleaning(order):
        return {"clean_order"}
    return set()


def _role_may_order(user, order: Order, action: str) -> bool:
    roles = _roles(user)
    if not roles & set(ORDER_ROLES[action]):
        return False
    if action == "cancel" and STORES_OFFICER not in roles:
        return _is_owner(user, order)
    return True


def allowed_order_actions(user, order: Order, on: date | None = None) -> frozenset[str]:
    """The actions open to `user` on `order` now (`on`: the day it happens, today by default)."""
    return frozenset(action for action in _open_order_actions(order, on)
                     if _role_may_order(user, order, action))


def _order_refusal(order: Order, action: str, on: date | None) -> str:
    label = f"Order {order.id}"
    if action == "deliver" and order.state == "reserved":
        asset = overdue_assets(order, on)[0]
        return (f"{asset.product.name} {asset.asset_tag} on {label.lower()} was due its inspection on "
                f"{asset.next_inspection_due.strftime('%-d %B %Y')}, so it cannot be delivered. Record its "
                "inspection now, or pick another item for this line.")
    if action == "swap" and order.state in ("reserved", "delivered"):
        return f"Nothing on {label.lower()} is a serialised item that can be swapped."
    if action == "collection" and order.state == "delivered":
        return f"Everything on {label.lower()} was issued, not loaned: there is nothing to collect."
    if action == "clean_order" and order.state == "collected":
        return f"Nothing from {label.lower()} is waiting to be cleaned."
    what = {"reserve": "reserved", "deliver": "delivered", "collection": "booked for collection",
            "collect": "collected", "clean_order": "cleaned", "cancel": "cancelled",
            "swap": "given another item"}[action]
    return f"{label} is {order.state.replace('_', ' ')}, so it cannot be {what} now."


def check_order_action(actor, order: Order, action: str, on: date | None = None) -> None:
    """NotAllowed if the person may never do this to the order; IllegalTransition if not now."""
    if not _role_may_order(actor, order, action):
        if action == "cancel" and _roles(actor) & set(PRESCRIBERS):
            raise NotAllowed(_("Only the prescriber who raised order %(id)s, or the stores, can cancel it.",
                               id=order.id))
        raise NotAllowed(_("Your role cannot do that to an equipment order."))
    if action not in allowed_order_actions(actor, order, on):
        raise IllegalTransition(_order_refusal(order, action, on))


def _open_asset_actions(asset: Asset) -> set[str]:
    status = asset.status
    actions = set()
    if status != "retired" and asset.product.inspection_months:
        actions.add("inspect")
    if status == "awaiting_cleaning":
        actions.add("clean")
    if status in ("available", "awaiting_cleaning"):
        actions.add("repair")
    if status == "in_repair":
        actions.add("repaired")
    if status in ("available", "awaiting_cleaning", "in_repair"):
        actions.add("retire")
    return actions


def allowed_asset_actions(user, asset: Asset) -> frozenset[str]:
    roles = _roles(user)
    return frozenset(action for action in _open_asset_actions(asset) if roles & set(ASSET_ROLES[action]))


def check_asset_action(actor, asset: Asset, action: str) -> None:
    if not _roles(actor) & set(ASSET_ROLES[action]):
        raise NotAllowed(_("Only the stores can change an asset."))
    if action in allowed_asset_actions(actor, asset):
        return
    if action == "inspect" and asset.status != "retired" and not asset.product.inspection_months:
        raise IllegalTransition(_("%(name)s needs no inspections, so none can be recorded.",
                                  name=asset.product.name))
    what = {"inspect": "inspected", "clean": "marked as cleaned", "repair": "sent for repair",
            "repaired": "returned from repair", "retire": "retired"}[action]
    raise IllegalTransition(_("Asset %(asset_tag)s is %(status)s, so it cannot be %(what)s.",
                              asset_tag=asset.asset_tag, status=asset.status.replace('_', ' '), what=what))


def _submitted_by(user, stocktake: Stocktake) -> bool:
    return (user is not None and not isinstance(user, str) and stocktake.submitted_by_id is not None
            and stocktake.submitted_by_id == getattr(user, "id", None))


def allowed_stocktake_actions(user, stocktake: Stocktake) -> frozenset[str]:
    """Scanning and completing while open (the stores); approving or returning a large write-off
    (a manager who did not submit it)."""
    open_now = {"open": {"stocktake_scan", "stocktake_complete"},
                "awaiting_approval": {"stocktake_approve", "stocktake_return"}}.get(stocktake.state, set())
    roles = _roles(user)
    return frozenset(action for action in open_now if roles & set(STOCKTAKE_ROLES[action])
                     and not (action in ("stocktake_approve", "stocktake_return") and _submitted_by(user, stocktake)))


def check_stocktake_action(actor, stocktake: Stocktake, action: str) -> None:
    if not _roles(actor) & set(STOCKTAKE_ROLES[action]):
        raise NotAllowed("Only a manager can approve a stocktake's write-off." if action in
                         ("stocktake_approve", "stocktake_return") else "Only the stores can change a stocktake.")
    if action in ("stocktake_approve", "stocktake_return") and _submitted_by(actor, stocktake):
        raise NotAllowed(_("You submitted this stocktake: another manager must approve its write-off."))
    if action not in allowed_stocktake_actions(actor, stocktake):
        raise IllegalTransition(_("This stocktake is %(state)s, so that cannot be done now.",
                                  state=stocktake.state_label.lower()))
