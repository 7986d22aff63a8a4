"""The equipment work queues on the list pattern (portal.web.lists): one queue at a time (deliveries,
collections, cleaning, low stock, inspections, warranties), its filters in the URL, sortable columns,
pagination to the last row. The staff home's cards open /equipment/?queue=kind; every link on the page
goes to /equipment/queues/<kind>, so a filter form's GET keeps the queue."""

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.equipment import bp, services
from portal.equipment.models import COLLECTION_REASONS, ORDER_STATES
from portal.equipment.views._common import READERS, REFERENCE_EDITORS, STORES, _order_people, id_prefix
from portal.extensions import db
from portal.timeutil import now, today
from portal.web.htmx import is_partial, render_page
from portal.web.i18n import lazy_text as _l
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import has_role, staff

DEFAULT_QUEUE = "deliveries"
ORDER_QUEUES = ("deliveries", "collections")
ASSET_QUEUES = ("cleaning", "inspections", "warranties")
PRIORITY_CHOICES = (("urgent", _l("Urgent")), ("standard", _l("Standard")))
STAGE_CHOICES = (("requested", _l("To reserve")), ("reserved", _l("To deliver")))
ORDER_LABELS = {
    "deliveries": "by due date, earliest first (urgent first on the same day)",
    "collections": "by collect-by date, earliest first",
    "cleaning": "by store, then product",
    "low_stock": "by store, then the furthest below its reorder level",
    "inspections": "by inspection date, earliest first",
    "warranties": "by warranty end, earliest first",
}
SINGULAR = {"deliveries": ("order", "orders"), "collections": ("collection", "collections"),
            "low_stock": ("product", "products")}


def queue_spec(kind: str, page_size: int | None = None) -> ListSpec:
    """The filters and columns of one queue."""
    filters = [Filter("store", _("Store"), tuple((str(i), name) for i, name in services.store_names(db.session)),
                      any_label=_("All stores"))]
    if kind in services.QUEUES_WITH_DUE:
        filters.append(Filter("due", "Collect by" if kind == "collections" else
                              "Warranty ends" if kind == "warranties" else "Due",
                              tuple(services.DUE_CHOICES.items())))
    if kind == "deliveries":
        filters += [Filter("state", _("Stage"), STAGE_CHOICES), Filter("priority", _("Priority"), PRIORITY_CHOICES)]
    if kind == "collections":
        filters.append(Filter("reason", _("Reason"), tuple(COLLECTION_REASONS.items())))
    filters.insert(0, Filter("q", _("Search"), kind="search", hint=(
        "Order number" if kind in ORDER_QUEUES else "Product name or code" if kind == "low_stock"
        else "Asset tag or product")))
    if kind == "deliveries":
        columns = (Column("order", _("Order")), Column("for", _("For"), sortable=False), Column("priority",
                                                                                                _("Priority")),
                   Column("state", _("State")), Column("planned", _("Planned")), Column("due", _("Due")),
                   Column("store", _("Store")))
    elif kind == "collections":
        columns = (Column("order", _("Order")), Column("for", _("From"), sortable=False), Column("reason", _("Reason")),
                   Column("due", _("Collect by")), Column("store", _("Store")))
    elif kind == "low_stock":
        columns = (Column("store", _("Store")), Column("product", _("Product")),
                   Column("free", _("Free"), numeric=True), Column("reorder", _("Reorder level"), numeric=True))
    else:
        columns = (Column("tag", _("Asset")), Column("product", _("Product")), Column("status", _("Status")),
                   Column("due", "Warranty ends" if kind == "warranties" else "Next inspection"),
                   Column("store", _("Store")))
    singular, plural = SINGULAR.get(kind, ("asset", "assets"))
    return ListSpec(endpoint="equipment.queue", singular=singular, plural=plural, columns=columns,
                    filters=tuple(filters), default_order_label=ORDER_LABELS[kind],
                    **({"page_size": page_size} if page_size else {}))


def queue_filters(view) -> services.QueueFilters:
    store = view.get("store")
    return services.QueueFilters(store_id=int(store) if store else None, due=view.get("due"),
                                 priority=view.get("priority"), state=view.get("state"),
                                 reason=view.get("reason"), search=view.get("q"))


def _render(kind: str):
    view = queue_spec(kind).read(request.args, kind=kind)
    filters = queue_filters(view)
    day, moment = today(), now()
    page = services.queue_page(db.session, kind, day, filters, sort=view.sort, descending=view.descending,
                               page=view.page, page_size=view.spec.page_size)
    people = _order_people(r.id for r in page.items) if kind in ORDER_QUEUES else {}
    counts = services.queue_counts(db.session, day, filters.store_id)
    store = view.get("store") or None
    tabs = [(f"{label} ({counts[key]}" + (f", {counts[key + '_overdue']} overdue" if counts.get(key + "_overdue")
                                          else "") + ")",
             _url("equipment.queue", kind=key, store=store), key == kind)
            for key, label in services.QUEUES.items()]
    return render_page(
        "equipment/queues.html", "list", kind=kind, label=services.QUEUES[kind], view=view, page=page,
        people=people, tabs=tabs, partial=is_partial(),
        rows=[(row, services.queue_clock(kind, row, moment)) for row in page.items], today=day,
        stores=services.store_names(db.session), store_id=filters.store_id,
        reasons=COLLECTION_REASONS, states=ORDER_STATES, can_pick=has_role(current_user, STORES),
        can_recall=has_role(current_user, services.RECALL_READERS),
        can_admin=has_role(current_user, REFERENCE_EDITORS),
        hrefs={"order": id_prefix("equipment.order", "order_id"), "asset": id_prefix("equipment.asset", "asset_id"),
               "store": id_prefix("equipment.store", "store_id"),
               "product": id_prefix("equipment.product", "product_id")})


def _url(endpoint, **values):
    return url_for(endpoint, **{k: v for k, v in values.items() if v})


@bp.get("/")
@staff(*READERS)
def queues():
    """The default queue, or the one ?queue= names (the staff home's cards link here)."""
    kind = request.args.get("queue", DEFAULT_QUEUE)
    return _render(kind if kind in services.QUEUES else DEFAULT_QUEUE)


@bp.get("/queues/<kind>")
@staff(*READERS)
def queue(kind):
    return _render(kind if kind in services.QUEUES else DEFAULT_QUEUE)
