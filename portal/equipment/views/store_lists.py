"""A store's sections beyond its overview: counted stock and assets on the list pattern (filters in
the URL, sortable, paginated to the last row), and its stocktakes."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from portal.equipment import bp, services
from portal.equipment.models import ASSET_STATUSES, CATEGORIES, Store
from portal.equipment.views._common import READERS, STOCKTAKE_READERS, STORES, _get, id_prefix
from portal.equipment.views.stock import store_sections
from portal.extensions import db
from portal.timeutil import now
from portal.web.htmx import render_page
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import has_role, staff

SECTION_PAGE = 25  # a store's section stays within about two screens at 1280 px


def stock_spec(page_size: int | None = None) -> ListSpec:
    return ListSpec(
        endpoint="equipment.store_stock_list", singular=_("product"), plural=_("products"),
        default_sort="product",
        filters=(Filter("q", _("Search"), kind="search", hint=_("Product name or code")),
                 Filter("category", _("Category"), tuple(CATEGORIES.items())),
                 Filter("low", _("Low stock only"), kind="check", hint=_("Free stock below the reorder level"))),
        columns=(Column("product", _("Product")), Column("on_hand", _("On hand"), numeric=True),
                 Column("reserved", _("Reserved"), numeric=True), Column("free", _("Free"), numeric=True),
                 Column("cleaning", _("Awaiting cleaning"), numeric=True),
                 Column("reorder", _("Reorder level"), numeric=True)),
        page_size=page_size or SECTION_PAGE)


def assets_spec(store_id: int, page_size: int | None = None) -> ListSpec:
    products = tuple((str(i), name) for i, name in services.store_asset_products(db.session, store_id))
    return ListSpec(
        endpoint="equipment.store_assets", singular=_("asset"), plural=_("assets"),
        default_order_label=_("by product, then tag"),
        filters=(Filter("q", _("Search"), kind="search", hint=_("Asset tag, serial number or product")),
                 Filter("status", _("Status"), tuple(ASSET_STATUSES.items()), any_label=_("In the store")),
                 Filter("product", _("Product"), products)),
        columns=(Column("tag", _("Tag")), Column("product", _("Product")), Column("status", _("Status")),
                 Column("inspection", _("Next inspection"))),
        page_size=page_size or SECTION_PAGE)


def _context(item: Store, active: str) -> dict:
    return {"store": item, "sections": store_sections(item, active), "can_act": has_role(current_user, STORES)}


@bp.get("/stores/<int:store_id>/stock")
@staff(*READERS)
def store_stock_list(store_id):
    item = _get(Store, store_id)
    view = stock_spec().read(request.args, store_id=item.id)
    page = services.store_stock_page(db.session, item.id, search=view.get("q"), category=view.get("category"),
                                     low_only=view.get("low") == "yes", sort=view.sort,
                                     descending=view.descending, page=view.page, page_size=view.spec.page_size)
    return render_page("equipment/store_stock.html", "list", view=view, page=page,
                       product_href=id_prefix("equipment.product", "product_id"), **_context(item, "stock"))


@bp.get("/stores/<int:store_id>/assets")
@staff(*READERS)
def store_assets(store_id):
    item = _get(Store, store_id)
    view = assets_spec(item.id).read(request.args, store_id=item.id)
    product = view.get("product")
    page = services.store_assets_page(db.session, item.id, search=view.get("q"), status=view.get("status"),
                                      product_id=int(product) if product else None, sort=view.sort,
                                      descending=view.descending, page=view.page, page_size=view.spec.page_size)
    moment = now()
    rows = [(a, services.inspection_clock(a.next_inspection_due, moment)) for a in page.items]
    return render_page("equipment/store_assets.html", "list", view=view, page=page, rows=rows,
                       asset_href=id_prefix("equipment.asset", "asset_id"), **_context(item, "assets"))


@bp.get("/stores/<int:store_id>/stocktakes")
@staff(*STOCKTAKE_READERS)
def store_stocktakes(store_id):
    item = _get(Store, store_id)
    return render_page("equipment/store_stocktakes.html", "section",
                       stocktake=services.open_stocktake(db.session, item.id),
                       stocktakes=services.store_stocktakes(db.session, item.id), **_context(item, "stocktakes"))
