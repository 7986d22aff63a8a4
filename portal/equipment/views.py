"""Equipment pages: thin views over portal.equipment.services.

Each order and asset action has its own route, role rule and service call; the page shows an
action only if `allowed_order_actions` / `allowed_asset_actions` allow it. A refusal comes back
on the same page (422) with the error summary and the person's answers.
"""

from datetime import date, timedelta

import segno
from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.auth.roles import (
    ADMIN,
    MANAGER,
    OCCUPATIONAL_THERAPIST,
    STORES_OFFICER,
    TRUSTED_ASSESSOR,
)
from portal.equipment import bp, services
from portal.equipment.forms import (
    KIT_ROWS,
    AmnestyForm,
    AssetForm,
    CollectionForm,
    InspectionForm,
    KitForm,
    OrderForm,
    OrganisationForm,
    ProductForm,
    ReasonForm,
    ScanForm,
    StockForm,
    VersionForm,
)
from portal.equipment.models import (
    ASSET_STATUSES,
    CATEGORIES,
    COLLECTION_REASONS,
    ORDER_STATES,
    ORGANISATION_KINDS,
    Amnesty,
    Asset,
    BorrowerOrganisation,
    Kit,
    Order,
    Product,
    StockLevel,
    Stocktake,
    Store,
)
from portal.errors import NotFound, PortalError, Refusal
from portal.extensions import db
from portal.people.access import may_order_for, person_view_for, record_refusal
from portal.people.models import Person
from portal.sql import new_submission_key
from portal.timeutil import now, today
from portal.web.forms import ConfirmForm, refuse
from portal.web.htmx import hx_redirect, render_page
from portal.web.ids import id_arg
from portal.web.security import has_role, staff

STORES = (STORES_OFFICER,)
READERS = (STORES_OFFICER, MANAGER, OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, ADMIN)
PRESCRIBERS = (OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, STORES_OFFICER)
CATALOGUE_EDITORS = (ADMIN,)
REFERENCE_EDITORS = (STORES_OFFICER, ADMIN)
ORDER_ROLES = services.ORDER_ROLES
ASSET_ROLES = services.ASSET_ROLES


def _get(model, object_id):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound("That record does not exist. Check the link or go back to the list.")
    return obj


def _store_choices(blank=None):
    stores = db.session.execute(select(Store.id, Store.name).order_by(Store.name)).all()
    return ([("", blank)] if blank else []) + [(s.id, s.name) for s in stores]


def _product_choices(blank="Select a product", tracking=None):
    stmt = select(Product.id, Product.name, Product.code).where(Product.active.is_(True)).order_by(Product.name)
    if tracking:
        stmt = stmt.where(Product.tracking == tracking)
    return [("", blank)] + [(p.id, f"{p.name} ({p.code})") for p in db.session.execute(stmt)]


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


# ---------------------------------------------------------------- queues and lookup

@bp.get("/")
@staff(*READERS)
def queues():
    kind = request.args.get("queue", "deliveries")
    if kind not in services.QUEUES:
        kind = "deliveries"
    store_id = id_arg("store")
    day, moment = today(), now()
    rows = services.queue_rows(db.session, kind, day, store_id)
    return render_page("equipment/queues.html", "queue", kind=kind, queues=services.QUEUES, store_id=store_id,
                       stores=_store_choices(), counts=services.queue_counts(db.session, day, store_id),
                       rows=[(row, services.queue_clock(kind, row, moment)) for row in rows], today=day,
                       reasons=COLLECTION_REASONS, can_pick=has_role(current_user, STORES),
                       can_admin=has_role(current_user, REFERENCE_EDITORS))


@bp.get("/assets/lookup")
@staff(*READERS)
def asset_lookup():
    tag = request.args.get("tag", "")
    asset = services.find_asset_by_tag(db.session, tag)
    if asset is None:
        return render_page("equipment/lookup.html", "main_content", tag=tag, status=404 if tag else 200)
    return redirect(url_for("equipment.asset", asset_id=asset.id), 303)


# ---------------------------------------------------------------- catalogue

@bp.get("/catalogue")
@staff()
def catalogue():
    q = (request.args.get("q") or "").strip()[:100]
    category = request.args.get("category", "")
    stmt = select(Product).order_by(Product.name)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Product.name).like(like), func.lower(Product.code).like(like),
                              func.lower(Product.area).like(like)))
    if category in CATEGORIES:
        stmt = stmt.where(Product.category == category)
    products = list(db.session.scalars(stmt.limit(500)))
    return render_page("equipment/catalogue.html", "results", products=products, q=q, category=category,
                       categories=CATEGORIES, can_edit=has_role(current_user, CATALOGUE_EDITORS))


@bp.get("/catalogue/<int:product_id>")
@staff()
def product(product_id):
    item = _get(Product, product_id)
    rows, levels = services.product_stock(db.session, item)
    return render_page("equipment/product.html", "main_content", item=item, asset_counts=rows, levels=levels,
                       statuses=ASSET_STATUSES, can_edit=has_role(current_user, CATALOGUE_EDITORS))


def _product_fields(form):
    return {name: getattr(form, name).data for name in services.PRODUCT_FIELDS if hasattr(form, name)}


@bp.route("/catalogue/new", methods=["GET", "POST"])
@staff(*CATALOGUE_EDITORS)
def product_new():
    form = ProductForm()
    if request.method == "GET":
        form.cleaning_required.data = True
        form.active.data = True
    created = []
    if _attempt(form, lambda: created.append(
            services.create_product(db.session, current_user, **_product_fields(form)))):
        item = created[0]
        return _done(f"{item.name} added to the catalogue.", url_for("equipment.product", product_id=item.id))
    return render_page("equipment/product_form.html", "main_content", form=form, item=None,
                       status=422 if form.errors else 200)


@bp.route("/catalogue/<int:product_id>/edit", methods=["GET", "POST"])
@staff(*CATALOGUE_EDITORS)
def product_edit(product_id):
    item = _get(Product, product_id)
    form = ProductForm(obj=item)
    if request.method == "GET":
        form.version.data = item.version
    fields = {k: v for k, v in _product_fields(form).items() if k != "code"}
    if _attempt(form, lambda: services.update_product(db.session, current_user, item.id, form.version.data,
                                                      **fields)):
        return _done(f"{item.name} saved.", url_for("equipment.product", product_id=item.id))
    return render_page("equipment/product_form.html", "main_content", form=form, item=item,
                       status=422 if form.errors else 200)


# ---------------------------------------------------------------- stores and stock

@bp.get("/stores")
@staff(*READERS)
def stores():
    return render_page("equipment/stores.html", "main_content", **services.stores_overview(db.session))


def _stock_form(sent: bool = False):
    """The form as sent in this request, or empty (the page shows it afresh)."""
    form = StockForm() if sent else StockForm(formdata=None)
    form.product_id.choices = _product_choices(tracking="counted")
    return form


def _asset_form(sent: bool = False):
    """The form as sent in this request, or empty (the page shows it afresh)."""
    form = AssetForm() if sent else AssetForm(formdata=None)
    form.product_id.choices = _product_choices(tracking="serialised")
    return form


def _store_page(item: Store, *, form=None, status: int = 200):
    """The store page; `form` is the one that was sent, shown again with its errors."""
    status_filter = request.args.get("status", "")
    levels = db.session.execute(
        select(StockLevel, Product.name, Product.code).join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.store_id == item.id).order_by(Product.name)).all()
    assets_stmt = (select(Asset.id, Asset.asset_tag, Asset.status, Asset.next_inspection_due, Product.name)
                   .join(Product, Product.id == Asset.product_id).where(Asset.store_id == item.id)
                   .order_by(Product.name, Asset.asset_tag))
    if status_filter in ASSET_STATUSES:
        assets_stmt = assets_stmt.where(Asset.status == status_filter)
    else:
        assets_stmt = assets_stmt.where(Asset.status.in_(services.IN_STORE))
    moment = now()
    assets = [(a, services.inspection_clock(a.next_inspection_due, moment))
              for a in db.session.execute(assets_stmt.limit(300)).all()]
    status_counts = dict(db.session.execute(select(Asset.status, func.count()).where(Asset.store_id == item.id)
                                            .group_by(Asset.status)).all())
    stocktake = db.session.scalar(select(Stocktake).where(Stocktake.store_id == item.id, Stocktake.state == "open"))
    return render_page(
        "equipment/store.html", "assets", store=item, levels=levels, assets=assets, status_filter=status_filter,
        statuses=ASSET_STATUSES, status_counts=status_counts, form=form,
        stock_form=form if isinstance(form, StockForm) else _stock_form(),
        asset_form=form if isinstance(form, AssetForm) else _asset_form(),
        stocktake=stocktake, can_act=has_role(current_user, STORES), today=today(), status=status)


@bp.get("/stores/<int:store_id>")
@staff(*READERS)
def store(store_id):
    return _store_page(_get(Store, store_id))


@bp.post("/stores/<int:store_id>/stock")
@staff(*STORES)
def store_stock(store_id):
    item = _get(Store, store_id)
    form = _stock_form(sent=True)

    def change():
        qty, reason, product_id = form.quantity.data, (form.reason.data or "").strip(), form.product_id.data
        if form.action.data == "receive":
            services.receive_stock(db.session, current_user, item.id, product_id, qty, reason or "Received")
        elif form.action.data == "adjust":
            services.adjust_stock(db.session, current_user, item.id, product_id, qty, reason)
        elif form.action.data == "clean":
            services.clean_counted(db.session, current_user, item.id, product_id, qty)
        else:
            services.set_reorder_level(db.session, current_user, item.id, product_id, qty)

    if _attempt(form, change):
        return _done("Stock change recorded.", url_for("equipment.store", store_id=item.id))
    return _store_page(item, form=form, status=422)


@bp.post("/stores/<int:store_id>/assets")
@staff(*STORES)
def store_add_asset(store_id):
    item = _get(Store, store_id)
    form = _asset_form(sent=True)
    added = []
    if _attempt(form, lambda: added.append(services.add_asset(
            db.session, current_user, product_id=form.product_id.data, store_id=item.id,
            asset_tag=form.asset_tag.data, serial=form.serial.data or None, purchase_cost=form.purchase_cost.data))):
        return _done(f"Asset {added[0].asset_tag} added.", url_for("equipment.asset", asset_id=added[0].id))
    return _store_page(item, form=form, status=422)


# ---------------------------------------------------------------- assets

def _asset_page(item: Asset, *, form=None, action: str | None = None, status: int = 200):
    """The asset page; `form` is the one sent for `action`, shown again with its errors."""
    borrower = person_view_for(db.session, current_user, item.person_id, f"asset {item.asset_tag}")
    organisation = db.session.get(BorrowerOrganisation, item.organisation_id) if item.organisation_id else None
    current_order = services.current_order_id(db.session, item.id)
    forms = {"repair": ReasonForm(formdata=None), "retire": ReasonForm(formdata=None),
             "inspect": InspectionForm(formdata=None)}
    if action in forms:
        forms[action] = form
    moment = now()
    return render_page(
        "equipment/asset.html", "asset", asset=item, history=services.asset_history(db.session, item.id),
        borrower=borrower, organisation=organisation, current_order=current_order, form=form, forms=forms,
        allowed=services.allowed_asset_actions(current_user, item),
        overdue=services.inspection_overdue(item), statuses=ASSET_STATUSES,
        inspection=services.inspection_clock(item.next_inspection_due, moment) if item.status != "retired" else None,
        status=status)


@bp.get("/assets/<int:asset_id>")
@staff(*READERS)
def asset(asset_id):
    page = _asset_page(_get(Asset, asset_id))
    db.session.commit()  # the audit row of the view
    return page


@bp.get("/assets/<int:asset_id>/label")
@staff(*READERS)
def asset_label(asset_id):
    item = _get(Asset, asset_id)
    target = url_for("equipment.asset", asset_id=item.id, _external=True)
    qr = segno.make(item.asset_tag, error="m").svg_data_uri(scale=6, border=2)
    return render_page("equipment/label.html", "main_content", asset=item, qr=qr, target=target)


def _asset_action(asset_id: int, action: str, form, call, message: str):
    item = _get(Asset, asset_id)
    if _attempt(form, lambda: call(item)):
        return _done(message.format(tag=item.asset_tag), url_for("equipment.asset", asset_id=item.id))
    return _asset_page(item, form=form, action=action, status=422)


@bp.post("/assets/<int:asset_id>/inspect")
@staff(*ASSET_ROLES["inspect"])
def inspect(asset_id):
    form = InspectionForm()
    return _asset_action(asset_id, "inspect", form, lambda item: services.record_inspection(
        db.session, current_user, item.id, form.inspected_on.data), "Inspection recorded.")


@bp.post("/assets/<int:asset_id>/clean")
@staff(*ASSET_ROLES["clean"])
def clean(asset_id):
    return _asset_action(asset_id, "clean", ConfirmForm(),
                         lambda item: services.clean_asset(db.session, current_user, item.id),
                         "{tag} is cleaned and available.")


@bp.post("/assets/<int:asset_id>/repair")
@staff(*ASSET_ROLES["repair"])
def repair(asset_id):
    form = ReasonForm()
    return _asset_action(asset_id, "repair", form, lambda item: services.send_to_repair(
        db.session, current_user, item.id, form.reason.data), "{tag} sent for repair.")


@bp.post("/assets/<int:asset_id>/repaired")
@staff(*ASSET_ROLES["repaired"])
def repaired(asset_id):
    return _asset_action(asset_id, "repaired", ConfirmForm(),
                         lambda item: services.return_from_repair(db.session, current_user, item.id),
                         "{tag} is back from repair and awaiting cleaning.")


@bp.post("/assets/<int:asset_id>/retire")
@staff(*ASSET_ROLES["retire"])
def retire(asset_id):
    form = ReasonForm()
    return _asset_action(asset_id, "retire", form, lambda item: services.retire_asset(
        db.session, current_user, item.id, form.reason.data), "{tag} retired.")


# ---------------------------------------------------------------- orders

def _order_form_choices(form):
    form.store_id.choices = _store_choices("Select a store")
    form.kit_id.choices = [("", "No kit")] + [
        (k.id, k.name) for k in db.session.execute(select(Kit.id, Kit.name).order_by(Kit.name))]
    for n in (1, 2, 3):
        getattr(form, f"product_{n}").choices = _product_choices("Select a product" if n == 1 else "None")


@bp.route("/orders/new", methods=["GET", "POST"])
@staff(*PRESCRIBERS)
def order_new():
    person_id = id_arg("person")
    organisation_id = id_arg("organisation")
    person = _get(Person, person_id) if person_id else None
    if person is not None and not may_order_for(db.session, current_user, person.id):
        record_refusal(db.session, current_user, request.endpoint, "person", person.id)
        db.session.commit()
        raise NotFound("That record does not exist. Check the link or go back to the list.")
    organisation = _get(BorrowerOrganisation, organisation_id) if organisation_id and not person else None
    if person is None and organisation is None:
        raise NotFound("Open the order form from a person's record (the link carries who it is for).")
    form = OrderForm()
    _order_form_choices(form)
    if request.method == "GET":
        form.submission_key.data = new_submission_key()
        form.priority.data = "standard"
    filled = [n for n in (1, 2, 3) if getattr(form, f"product_{n}").data]
    lines = [services.LineRequest(getattr(form, f"product_{n}").data, getattr(form, f"quantity_{n}").data or 1)
             for n in filled]
    result = []
    if _attempt(form, lambda: result.append(services.raise_order(
            db.session, current_user, store_id=form.store_id.data, priority=form.priority.data, lines=lines,
            kit_id=form.kit_id.data, person_id=person.id if person else None,
            organisation_id=organisation.id if organisation else None, planned_date=form.planned_date.data,
            notes=form.notes.data or None, submission_key=form.submission_key.data or None)),
            fields={f"line_{i}": f"product_{n}" for i, n in enumerate(filled)} | {"line_0": f"product_{filled[0]}"
                                                                                   if filled else "product_1"}):
        order, created = result[0]
        db.session.commit()
        if created:
            flash(f"Order {order.id} raised.", "success")
        return hx_redirect(url_for("equipment.order", order_id=order.id))
    return render_page("equipment/order_new.html", "main_content", form=form, person=person,
                       organisation=organisation, status=422 if form.errors else 200)


def _order_page(item: Order, *, form=None, status: int = 200):
    """The order page; `form` is the one that was sent, shown again with its errors."""
    person = person_view_for(db.session, current_user, item.person_id, f"order {item.id}")
    asset_status = dict(db.session.execute(
        select(Asset.id, Asset.status).where(Asset.id.in_([ln.asset_id for ln in item.lines if ln.asset_id])))
        .all())
    return render_page(
        "equipment/order.html", "order", order=item, person=person, asset_status=asset_status,
        statuses=ASSET_STATUSES, states=ORDER_STATES, reasons=COLLECTION_REASONS, form=form,
        collection_form=form if isinstance(form, CollectionForm) else CollectionForm(formdata=None,
                                                                                     version=item.version),
        cancel_form=form if isinstance(form, ReasonForm) else ReasonForm(formdata=None, version=item.version),
        allowed=services.allowed_order_actions(current_user, item),
        clocks=services.order_clocks(item, now()), status=status)


@bp.get("/orders/<int:order_id>")
@staff(*READERS)
def order(order_id):
    page = _order_page(_get(Order, order_id))
    db.session.commit()  # the audit row of the view
    return page


def _order_action(order_id: int, form, call, message):
    item = _get(Order, order_id)
    result = []
    if _attempt(form, lambda: result.append(call(item, form.version.data))):
        text = message(result[0]) if callable(message) else message
        return _done(text, url_for("equipment.order", order_id=item.id))
    return _order_page(item, form=form, status=422)


@bp.post("/orders/<int:order_id>/reserve")
@staff(*ORDER_ROLES["reserve"])
def reserve(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.reserve_order(
        db.session, current_user, item.id, expected_version=version), "Stock reserved.")


@bp.post("/orders/<int:order_id>/deliver")
@staff(*ORDER_ROLES["deliver"])
def deliver(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.deliver_order(
        db.session, current_user, item.id, expected_version=version), "Delivery recorded.")


@bp.post("/orders/<int:order_id>/collection")
@staff(*ORDER_ROLES["collection"])
def collection(order_id):
    form = CollectionForm()
    return _order_action(order_id, form, lambda item, version: services.request_collection(
        db.session, current_user, item.id, form.reason.data, expected_version=version), "Collection requested.")


@bp.post("/orders/<int:order_id>/collect")
@staff(*ORDER_ROLES["collect"])
def collect(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.collect_order(
        db.session, current_user, item.id, expected_version=version),
        "Collection recorded. The items are awaiting cleaning.")


@bp.post("/orders/<int:order_id>/clean")
@staff(*ORDER_ROLES["clean_order"])
def clean_order(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.clean_order_items(
        db.session, current_user, item.id, expected_version=version),
        lambda count: f"{count} item{'s' if count != 1 else ''} cleaned and back in stock.")


@bp.post("/orders/<int:order_id>/cancel")
@staff(*ORDER_ROLES["cancel"])
def cancel(order_id):
    form = ReasonForm()
    return _order_action(order_id, form, lambda item, version: services.cancel_order(
        db.session, current_user, item.id, form.reason.data, expected_version=version), "Order cancelled.")


# ---------------------------------------------------------------- stocktake

@bp.post("/stores/<int:store_id>/stocktake")
@staff(*STORES)
def stocktake_start(store_id):
    item = _get(Store, store_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _store_page(item, form=form, status=422)
    stocktake = services.start_stocktake(db.session, current_user, item.id)
    db.session.commit()
    return hx_redirect(url_for("equipment.stocktake", stocktake_id=stocktake.id))


def _stocktake_page(item: Stocktake, *, form=None, finish=None, status: int = 200):
    return render_page("equipment/stocktake.html", "scans", stocktake=item,
                       result=services.stocktake_result(db.session, item), form=form or ScanForm(formdata=None),
                       finish=finish or ReasonForm(formdata=None), last=request.args.get("last"),
                       errors=(form or finish), status=status)


@bp.get("/stocktakes/<int:stocktake_id>")
@staff(*STORES)
def stocktake(stocktake_id):
    return _stocktake_page(_get(Stocktake, stocktake_id))


@bp.post("/stocktakes/<int:stocktake_id>/scan")
@staff(*STORES)
def stocktake_scan(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = ScanForm()
    scanned = []
    if _attempt(form, lambda: scanned.append(services.scan(db.session, current_user, item.id, form.tag.data))):
        db.session.commit()
        return redirect(url_for("equipment.stocktake", stocktake_id=item.id, last=scanned[0][0]), 303)
    return _stocktake_page(item, form=form, status=422)


@bp.post("/stocktakes/<int:stocktake_id>/complete")
@staff(*STORES)
def stocktake_complete(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = ReasonForm()
    done = []
    if _attempt(form, lambda: done.append(services.complete_stocktake(db.session, current_user, item.id,
                                                                      form.reason.data))):
        summary = done[0]
        return _done(f"Stocktake completed: {summary['found']} found, {summary['moved']} moved to this store, "
                     f"{summary['written_off']} written off as missing, {summary['unexpected']} unexpected.",
                     url_for("equipment.store", store_id=item.store_id))
    return _stocktake_page(item, finish=form, status=422)


# ---------------------------------------------------------------- amnesty

@bp.route("/amnesties", methods=["GET", "POST"])
@staff(*STORES)
def amnesties():
    form = AmnestyForm()
    form.organisation_id.choices = [("", "Any organisation")] + [
        (o.id, o.name) for o in db.session.execute(select(BorrowerOrganisation.id, BorrowerOrganisation.name)
                                                   .order_by(BorrowerOrganisation.name))]
    form.locality.choices = [("", "Any area")] + [(x, x) for x in current_app.config["LOCALITIES"]]
    started = []
    if _attempt(form, lambda: started.append(services.start_amnesty(
            db.session, current_user, form.name.data, form.months.data, form.organisation_id.data,
            form.locality.data or None))):
        db.session.commit()
        return hx_redirect(url_for("equipment.amnesty", amnesty_id=started[0].id))
    rows = list(db.session.scalars(select(Amnesty).order_by(Amnesty.started_at.desc()).limit(50)))
    return render_page("equipment/amnesties.html", "main_content", form=form, amnesties=rows,
                       status=422 if form.errors else 200)


def _amnesty_page(item: Amnesty, *, form=None, status: int = 200):
    return render_page("equipment/amnesty.html", "main_content", amnesty=item, form=form,
                       candidates=services.amnesty_candidates(db.session, item),
                       report=services.amnesty_report(db.session, item), status=status)


@bp.get("/amnesties/<int:amnesty_id>")
@staff(*STORES)
def amnesty(amnesty_id):
    return _amnesty_page(_get(Amnesty, amnesty_id))


@bp.post("/amnesties/<int:amnesty_id>/request")
@staff(*STORES)
def amnesty_request(amnesty_id):
    item = _get(Amnesty, amnesty_id)
    form = ConfirmForm()
    counted = []
    if _attempt(form, lambda: counted.append(services.amnesty_request_collections(db.session, current_user,
                                                                                  item.id))):
        count = counted[0]
        return _done(f"Collection requested for {count} order{'s' if count != 1 else ''}.",
                     url_for("equipment.amnesty", amnesty_id=item.id))
    return _amnesty_page(item, form=form, status=422)


# ---------------------------------------------------------------- pick list

@bp.get("/stores/<int:store_id>/pick-list")
@staff(*STORES)
def pick_list(store_id):
    item = _get(Store, store_id)
    raw = request.args.get("day", "")
    try:
        day = date.fromisoformat(raw) if raw else today()
    except ValueError:
        raise PortalError("Enter a real date for the pick list, like 2026-03-27.") from None
    result = services.pick_list(db.session, item.id, day)
    return render_page("equipment/pick_list.html", "main_content", store=item, day=day, today=today(),
                       orders=result["orders"], totals=result["totals"],
                       previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


# ---------------------------------------------------------------- borrower organisations

def _organisation_form(obj=None):
    form = OrganisationForm(obj=obj)
    form.locality.choices = [("", "No area")] + [(x, x) for x in current_app.config["LOCALITIES"]]
    return form


@bp.get("/organisations")
@staff(*REFERENCE_EDITORS)
def organisations():
    rows = list(db.session.scalars(select(BorrowerOrganisation).order_by(BorrowerOrganisation.name)))
    return render_page("equipment/organisations.html", "main_content", organisations=rows,
                       kinds=ORGANISATION_KINDS, can_order=has_role(current_user, PRESCRIBERS))


def _save_organisation(org: BorrowerOrganisation | None):
    form = _organisation_form(obj=org)

    def save():
        answers = dict(name=form.name.data, kind=form.kind.data, locality=form.locality.data or None,
                       address=form.address.data or None)
        if org is None:
            services.create_organisation(db.session, current_user, **answers)
        else:
            services.update_organisation(db.session, current_user, org.id, **answers)

    if _attempt(form, save):
        return _done(f"{form.name.data.strip()} {'saved' if org else 'added'}.", url_for("equipment.organisations"))
    return render_page("equipment/organisation_form.html", "main_content", form=form, organisation=org,
                       status=422 if form.errors else 200)


@bp.route("/organisations/new", methods=["GET", "POST"])
@staff(*REFERENCE_EDITORS)
def organisation_new():
    return _save_organisation(None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@staff(*REFERENCE_EDITORS)
def organisation_edit(organisation_id):
    return _save_organisation(_get(BorrowerOrganisation, organisation_id))


# ---------------------------------------------------------------- kits

@bp.get("/kits")
@staff(*REFERENCE_EDITORS)
def kits():
    return render_page("equipment/kits.html", "main_content", kits=services.kits_with_items(db.session))


@bp.route("/kits/new", methods=["GET", "POST"])
@staff(*REFERENCE_EDITORS)
def kit_new():
    form = KitForm()
    if form.validate_on_submit():
        items = [(getattr(form, f"product_code_{n}").data, getattr(form, f"quantity_{n}").data or 1)
                 for n in KIT_ROWS]
        try:
            kit = services.create_kit(db.session, current_user, code=form.code.data, name=form.name.data,
                                      items=items, description=form.description.data or None)
        except services.UnknownProducts as exc:
            db.session.rollback()
            for n in KIT_ROWS:
                field = getattr(form, f"product_code_{n}")
                if (field.data or "").strip().upper() in exc.codes:
                    field.errors = [*field.errors, f"Enter a product code from the catalogue, "
                                                   f"{field.data.strip().upper()} is not one"]
        except Refusal as exc:
            refuse(form, exc)
        else:
            return _done(f"Kit {kit.name} added.", url_for("equipment.kits"))
    return render_page("equipment/kit_form.html", "main_content", form=form, rows=KIT_ROWS,
                       status=422 if form.errors else 200)
