"""What every equipment page shares: the role rules, loading a record, choices, and the
"try the service call, or put its refusal on the form" step."""


from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.auth.roles import (
    ADMIN,
    MANAGER,
    OCCUPATIONAL_THERAPIST,
    STORES_OFFICER,
    TRUSTED_ASSESSOR,
)
from portal.equipment import services
from portal.equipment.models import (
    Order,
    Product,
    Store,
)
from portal.errors import NotFound, Refusal
from portal.extensions import db
from portal.people.access import person_views_for
from portal.web.forms import refuse
from portal.web.htmx import hx_redirect

STORES = (STORES_OFFICER,)
READERS = (STORES_OFFICER, MANAGER, OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, ADMIN)
PRESCRIBERS = (OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, STORES_OFFICER)
CATALOGUE_EDITORS = (ADMIN,)
REFERENCE_EDITORS = (STORES_OFFICER, ADMIN)
ORDER_ROLES = services.ORDER_ROLES
ASSET_ROLES = services.ASSET_ROLES
STOCKTAKE_ROLES = services.STOCKTAKE_ROLES
STOCKTAKE_READERS = (STORES_OFFICER, MANAGER)


def _get(model, object_id):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(_("That record does not exist. Check the link or go back to the list."))
    return obj


def _store_choices(blank=None):
    stores = db.session.execute(select(Store.id, Store.name).order_by(Store.name)).all()
    return ([("", blank)] if blank else []) + [(s.id, s.name) for s in stores]


def _product_choices(blank="Select a product", tracking=None, prescriber=None):
    """Active products; for an order, only those `prescriber` may order (the product's prescriber level)."""
    stmt = select(Product).where(Product.active.is_(True)).order_by(Product.name)
    if tracking:
        stmt = stmt.where(Product.tracking == tracking)
    products = db.session.scalars(stmt)
    return [("", blank)] + [(p.id, f"{p.name} ({p.code})") for p in products
                            if prescriber is None or services.may_prescribe(prescriber, p)]


def _attempt(form, action, *, fields=None):
    """Validate the form and run the service call; True once it worked (the caller commits).
    A refusal goes onto the form, so the caller re-renders the same page with a 422."""
    if not form.validate_on_submit():
        return False
    try:
        action()
    except Refusal as exc:
        refuse(form, exc, fields)
        return False
    return True


def _done(message: str, url: str):
    db.session.commit()
    flash(message, "success")
    return hx_redirect(url)


def _order_people(order_ids) -> dict:
    """Each order's person as this user may see them (`person_views_for`: the stores team's part,
    or what the rule gives others; None: not shown), by order id. One view, audited, per person."""
    pairs = db.session.execute(select(Order.id, Order.person_id).where(Order.id.in_(list(order_ids)),
                                                                       Order.person_id.is_not(None))).all()
    views = person_views_for(db.session, current_user, (person_id for _, person_id in pairs), "equipment queue")
    db.session.commit()
    return {order_id: views[person_id] for order_id, person_id in pairs}


def id_prefix(endpoint: str, key: str) -> str:
    """A record's URL without its id ("/equipment/orders/"), built once for a list's rows instead of
    a url_for a row: the row appends its id."""
    url = url_for(endpoint, **{key: 0})
    assert url.endswith("/0"), url
    return url[:-1]
