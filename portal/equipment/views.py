"""Equipment pages: thin views over portal.equipment.services."""

import uuid
from datetime import date, timedelta

import segno
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
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
from portal.errors import NotFound, PortalError
from portal.extensions import db
from portal.people.models import Person
from portal.timeutil import utcnow
from portal.web.forms import ConfirmForm
from portal.web.htmx import hx_redirect, render_page
from portal.web.security import has_role, staff

STORES = (STORES_OFFICER,)
READERS = (STORES_OFFICER, MANAGER, OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, ADMIN)
PRESCRIBERS = (OCCUPATIONAL_THERAPIST, TRUSTED_ASSESSOR, STORES_OFFICER)
CATALOGUE_EDITORS = (ADMIN,)
REFERENCE_EDITORS = (STORES_OFFICER, ADMIN)



def _page(template: str, block: str, **ctx):
    """render_page, but an htmx request without a target element (HX-Location to the body after
    an action) gets the whole page, so the layout and the flash message come with it."""
    if not request.headers.get("HX-Target"):
        status = ctx.pop("status", 200)
        return make_response(render_template(template, **ctx), status)
    return render_page(template, block, **ctx)


def _today():
    return services.london_date(utcnow())


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


# ---------------------------------------------------------------- queues and lookup

@bp.get("/")
@staff(*READERS)
def queues():
    kind = request.args.get("queue", "deliveries")
    if kind not in services.QUEUES:
        kind = "deliveries"
    store_id = request.args.get("store", type=int)
    today = _today()
    return _page("equipment/queues.html", "queue", kind=kind, queues=services.QUEUES, store_id=store_id,
                       stores=_store_choices(), counts=services.queue_counts(db.session, today, store_id),
                       rows=services.queue_rows(db.session, kind, today, store_id), today=today,
                       reasons=COLLECTION_REASONS, soon=today + timedelta(days=services.INSPECTION_WARNING_DAYS),
                       can_pick=has_role(current_user, STORES), can_admin=has_role(current_user, REFERENCE_EDITORS))


@bp.get("/assets/lookup")
@staff(*READERS)
def asset_lookup():
    tag = request.args.get("tag", "")
    asset = services.find_asset_by_tag(db.session, tag)
    if asset is None:
        return _page("equipment/lookup.html", "main_content", tag=tag, status=404 if tag else 200)
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
    return _page("equipment/catalogue.html", "results", products=products, q=q, category=category,
                       categories=CATEGORIES, can_edit=has_role(current_user, CATALOGUE_EDITORS))


@bp.get("/catalogue/<int:product_id>")
@staff()
def product(product_id):
    item = _get(Product, product_id)
    if item.tracking == "serialised":
        rows = db.session.execute(
            select(Store.id, Store.name, Asset.status, func.count()).join(Asset, Asset.store_id == Store.id)
            .where(Asset.product_id == item.id).group_by(Store.id, Store.name, Asset.status)
            .order_by(Store.name)).all()
        levels = []
    else:
        rows = []
        levels = db.session.execute(
            select(Store.id, Store.name, StockLevel.on_hand, StockLevel.reserved, StockLevel.awaiting_cleaning,
                   StockLevel.reorder_level).join(Store, Store.id == StockLevel.store_id)
            .where(StockLevel.product_id == item.id).order_by(Store.name)).all()
    return _page("equipment/product.html", "main_content", item=item, asset_counts=rows, levels=levels,
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
    if form.validate_on_submit():
        item = services.create_product(db.session, current_user, **_product_fields(form))
        db.session.commit()
        flash(f"{item.name} added to the catalogue.", "success")
        return hx_redirect(url_for("equipment.product", product_id=item.id))
    return _page("equipment/product_form.html", "main_content", form=form, item=None)


@bp.route("/catalogue/<int:product_id>/edit", methods=["GET", "POST"])
@staff(*CATALOGUE_EDITORS)
def product_edit(product_id):
    item = _get(Product, product_id)
    form = ProductForm(obj=item)
    if request.method == "GET":
        form.version.data = item.version
    if form.validate_on_submit():
        fields = _product_fields(form)
        fields.pop("code", None)
        services.update_product(db.session, current_user, item.id, form.version.data, **fields)
        db.session.commit()
        flash(f"{item.name} saved.", "success")
        return hx_redirect(url_for("equipment.product", product_id=item.id))
    return _page("equipment/product_form.html", "main_content", form=form, item=item)


# ---------------------------------------------------------------- stores and stock

@bp.get("/stores")
@staff(*READERS)
def stores():
    asset_counts = dict(db.session.execute(
        select(Asset.store_id, func.count()).where(Asset.status != "retired").group_by(Asset.store_id)).all())
    low = dict(db.session.execute(
        select(StockLevel.store_id, func.count()).where(
            StockLevel.reorder_level > 0, StockLevel.on_hand - StockLevel.reserved < StockLevel.reorder_level)
        .group_by(StockLevel.store_id)).all())
    rows = list(db.session.scalars(select(Store).order_by(Store.name)))
    return _page("equipment/stores.html", "main_content", stores=rows, asset_counts=asset_counts, low=low)


@bp.get("/stores/<int:store_id>")
@staff(*READERS)
def store(store_id):
    item = _get(Store, store_id)
    status = request.args.get("status", "")
    levels = db.session.execute(
        select(StockLevel, Product.name, Product.code).join(Product, Product.id == StockLevel.product_id)
        .where(StockLevel.store_id == item.id).order_by(Product.name)).all()
    assets_stmt = (select(Asset.id, Asset.asset_tag, Asset.status, Asset.next_inspection_due, Product.name)
                   .join(Product, Product.id == Asset.product_id).where(Asset.store_id == item.id)
                   .order_by(Product.name, Asset.asset_tag))
    if status in ASSET_STATUSES:
        assets_stmt = assets_stmt.where(Asset.status == status)
    else:
        assets_stmt = assets_stmt.where(Asset.status.in_(services.IN_STORE))
    assets = db.session.execute(assets_stmt.limit(300)).all()
    status_counts = dict(db.session.execute(select(Asset.status, func.count()).where(Asset.store_id == item.id)
                                            .group_by(Asset.status)).all())
    stock_form = StockForm()
    stock_form.product_id.choices = _product_choices(tracking="counted")
    asset_form = AssetForm()
    asset_form.product_id.choices = _product_choices(tracking="serialised")
    stocktake = db.session.scalar(select(Stocktake).where(Stocktake.store_id == item.id, Stocktake.state == "open"))
    return _page("equipment/store.html", "assets", store=item, levels=levels, assets=assets, status_filter=status,
                       statuses=ASSET_STATUSES, status_counts=status_counts, stock_form=stock_form,
                       asset_form=asset_form, stocktake=stocktake, confirm=ConfirmForm(),
                       can_act=has_role(current_user, STORES), today=_today())


@bp.post("/stores/<int:store_id>/stock")
@staff(*STORES)
def store_stock(store_id):
    item = _get(Store, store_id)
    form = StockForm()
    form.product_id.choices = _product_choices(tracking="counted")
    if not form.validate_on_submit():
        raise PortalError("Select a product, what happened and a quantity. " +
                          " ".join(e for errs in form.errors.values() for e in errs))
    qty, reason = form.quantity.data, (form.reason.data or "").strip()
    action = form.action.data
    if action == "receive":
        services.receive_stock(db.session, current_user, item.id, form.product_id.data, qty, reason or "Received")
    elif action == "adjust":
        services.adjust_stock(db.session, current_user, item.id, form.product_id.data, qty, reason)
    elif action == "clean":
        services.clean_counted(db.session, current_user, item.id, form.product_id.data, qty)
    else:
        services.set_reorder_level(db.session, current_user, item.id, form.product_id.data, qty)
    db.session.commit()
    flash("Stock change recorded.", "success")
    return hx_redirect(url_for("equipment.store", store_id=item.id))


@bp.post("/stores/<int:store_id>/assets")
@staff(*STORES)
def store_add_asset(store_id):
    item = _get(Store, store_id)
    form = AssetForm()
    form.product_id.choices = _product_choices(tracking="serialised")
    if not form.validate_on_submit():
        raise PortalError("Select a product and enter the asset tag.")
    asset = services.add_asset(db.session, current_user, product_id=form.product_id.data, store_id=item.id,
                               asset_tag=form.asset_tag.data, serial=form.serial.data or None,
                               purchase_cost=form.purchase_cost.data)
    db.session.commit()
    flash(f"Asset {asset.asset_tag} added.", "success")
    return hx_redirect(url_for("equipment.asset", asset_id=asset.id))


# ---------------------------------------------------------------- assets

@bp.get("/assets/<int:asset_id>")
@staff(*READERS)
def asset(asset_id):
    item = _get(Asset, asset_id)
    history = services.asset_history(db.session, item.id)
    borrower = db.session.get(Person, item.person_id) if item.person_id else None
    organisation = db.session.get(BorrowerOrganisation, item.organisation_id) if item.organisation_id else None
    current_order = db.session.execute(
        select(Order.id).join(Order.lines).where(Order.lines.any(asset_id=item.id),
                                                 Order.state.in_(("requested", "reserved", "delivered",
                                                                  "collection_requested")))
        .order_by(Order.id.desc()).limit(1)).scalar()
    return _page("equipment/asset.html", "main_content", asset=item, history=history, borrower=borrower,
                       organisation=organisation, current_order=current_order, reason_form=ReasonForm(),
                       inspection_form=InspectionForm(), confirm=ConfirmForm(), today=_today(),
                       can_act=has_role(current_user, STORES), statuses=ASSET_STATUSES)


@bp.get("/assets/<int:asset_id>/label")
@staff(*READERS)
def asset_label(asset_id):
    item = _get(Asset, asset_id)
    target = url_for("equipment.asset", asset_id=item.id, _external=True)
    qr = segno.make(item.asset_tag, error="m").svg_data_uri(scale=6, border=2)
    return _page("equipment/label.html", "main_content", asset=item, qr=qr, target=target)


@bp.post("/assets/<int:asset_id>/<action>")
@staff(*STORES)
def asset_action(asset_id, action):
    item = _get(Asset, asset_id)
    if action == "inspect":
        form = InspectionForm()
        if not form.validate_on_submit():
            raise PortalError("Enter the date inspected, like 27 3 2026.")
        services.record_inspection(db.session, current_user, item.id, form.inspected_on.data)
        message = "Inspection recorded."
    elif action == "clean":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        services.clean_asset(db.session, current_user, item.id)
        message = f"{item.asset_tag} is cleaned and available."
    elif action == "repaired":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        services.return_from_repair(db.session, current_user, item.id)
        message = f"{item.asset_tag} is back from repair and awaiting cleaning."
    elif action in ("repair", "retire"):
        form = ReasonForm()
        if not form.validate_on_submit():
            raise PortalError("Enter the reason.")
        if action == "repair":
            services.send_to_repair(db.session, current_user, item.id, form.reason.data)
            message = f"{item.asset_tag} sent for repair."
        else:
            services.retire_asset(db.session, current_user, item.id, form.reason.data)
            message = f"{item.asset_tag} retired."
    else:
        abort(404)
    db.session.commit()
    flash(message, "success")
    return hx_redirect(url_for("equipment.asset", asset_id=item.id))


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
    person_id = request.args.get("person", type=int)
    organisation_id = request.args.get("organisation", type=int)
    person = _get(Person, person_id) if person_id else None
    organisation = _get(BorrowerOrganisation, organisation_id) if organisation_id and not person else None
    if person is None and organisation is None:
        raise NotFound("Open the order form from a person's record (the link carries who it is for).")
    form = OrderForm()
    _order_form_choices(form)
    if request.method == "GET":
        form.submission_key.data = str(uuid.uuid4())
        form.priority.data = "standard"
    if form.validate_on_submit():
        lines = [services.LineRequest(getattr(form, f"product_{n}").data, getattr(form, f"quantity_{n}").data or 1)
                 for n in (1, 2, 3) if getattr(form, f"product_{n}").data]
        order, created = services.raise_order(
            db.session, current_user, store_id=form.store_id.data, priority=form.priority.data, lines=lines,
            kit_id=form.kit_id.data, person_id=person.id if person else None,
            organisation_id=organisation.id if organisation else None, planned_date=form.planned_date.data,
            notes=form.notes.data or None, submission_key=form.submission_key.data or None)
        db.session.commit()
        if created:
            flash(f"Order {order.id} raised.", "success")
        return hx_redirect(url_for("equipment.order", order_id=order.id))
    return _page("equipment/order_new.html", "main_content", form=form, person=person,
                       organisation=organisation)


@bp.get("/orders/<int:order_id>")
@staff(*READERS)
def order(order_id):
    item = _get(Order, order_id)
    person = db.session.get(Person, item.person_id) if item.person_id else None
    asset_status = dict(db.session.execute(
        select(Asset.id, Asset.status).where(Asset.id.in_([ln.asset_id for ln in item.lines if ln.asset_id])))
        .all())
    collection_form = CollectionForm(version=item.version)
    cancel_form = ReasonForm(version=item.version)
    return _page("equipment/order.html", "main_content", order=item, person=person, asset_status=asset_status,
                       statuses=ASSET_STATUSES, states=ORDER_STATES, reasons=COLLECTION_REASONS,
                       collection_form=collection_form, cancel_form=cancel_form, confirm=ConfirmForm(),
                       can_act=has_role(current_user, STORES), today=_today(),
                       can_request_collection=has_role(current_user, PRESCRIBERS))


@bp.post("/orders/<int:order_id>/<action>")
@staff(*PRESCRIBERS)
def order_action(order_id, action):
    item = _get(Order, order_id)
    version = request.form.get("version", type=int)
    stores_only = action != "collection"
    if stores_only and not has_role(current_user, STORES):
        abort(403)
    if action == "collection":
        form = CollectionForm()
        if not form.validate_on_submit():
            raise PortalError("Select why it is being collected.")
        services.request_collection(db.session, current_user, item.id, form.reason.data, expected_version=version)
        message = "Collection requested."
    elif action == "cancel":
        form = ReasonForm()
        if not form.validate_on_submit():
            raise PortalError("Enter the reason for cancelling the order.")
        services.cancel_order(db.session, current_user, item.id, form.reason.data, expected_version=version)
        message = "Order cancelled."
    else:
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if action == "reserve":
            services.reserve_order(db.session, current_user, item.id, expected_version=version)
            message = "Stock reserved."
        elif action == "deliver":
            services.deliver_order(db.session, current_user, item.id, expected_version=version)
            message = "Delivery recorded."
        elif action == "collect":
            services.collect_order(db.session, current_user, item.id, expected_version=version)
            message = "Collection recorded. The items are awaiting cleaning."
        elif action == "clean":
            count = services.clean_order_items(db.session, current_user, item.id)
            message = f"{count} item{'s' if count != 1 else ''} cleaned and back in stock."
        else:
            abort(404)
    db.session.commit()
    flash(message, "success")
    return hx_redirect(url_for("equipment.order", order_id=item.id))


# ---------------------------------------------------------------- stocktake

@bp.post("/stores/<int:store_id>/stocktake")
@staff(*STORES)
def stocktake_start(store_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    stocktake = services.start_stocktake(db.session, current_user, store_id)
    db.session.commit()
    return hx_redirect(url_for("equipment.stocktake", stocktake_id=stocktake.id))


@bp.get("/stocktakes/<int:stocktake_id>")
@staff(*STORES)
def stocktake(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    return _page("equipment/stocktake.html", "scans", stocktake=item,
                       result=services.stocktake_result(db.session, item), form=ScanForm(), finish=ReasonForm(),
                       last=request.args.get("last"))


@bp.post("/stocktakes/<int:stocktake_id>/scan")
@staff(*STORES)
def stocktake_scan(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = ScanForm()
    if not form.validate_on_submit():
        raise PortalError("Scan or enter an asset tag.")
    tag, _asset, _new = services.scan(db.session, current_user, item.id, form.tag.data)
    db.session.commit()
    return redirect(url_for("equipment.stocktake", stocktake_id=item.id, last=tag), 303)


@bp.post("/stocktakes/<int:stocktake_id>/complete")
@staff(*STORES)
def stocktake_complete(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        raise PortalError("Enter the reason for the adjustments.")
    summary = services.complete_stocktake(db.session, current_user, item.id, form.reason.data)
    db.session.commit()
    flash(f"Stocktake completed: {summary['found']} found, {summary['moved']} moved to this store, "
          f"{summary['written_off']} written off as missing, {summary['unexpected']} unexpected.", "success")
    return hx_redirect(url_for("equipment.store", store_id=item.store_id))


# ---------------------------------------------------------------- amnesty

@bp.route("/amnesties", methods=["GET", "POST"])
@staff(*STORES)
def amnesties():
    form = AmnestyForm()
    form.organisation_id.choices = [("", "Any organisation")] + [
        (o.id, o.name) for o in db.session.execute(select(BorrowerOrganisation.id, BorrowerOrganisation.name)
                                                   .order_by(BorrowerOrganisation.name))]
    form.locality.choices = [("", "Any area")] + [(x, x) for x in current_app.config["LOCALITIES"]]
    if form.validate_on_submit():
        amnesty = services.start_amnesty(db.session, current_user, form.name.data, form.months.data,
                                         form.organisation_id.data, form.locality.data or None)
        db.session.commit()
        return hx_redirect(url_for("equipment.amnesty", amnesty_id=amnesty.id))
    rows = list(db.session.scalars(select(Amnesty).order_by(Amnesty.started_at.desc()).limit(50)))
    return _page("equipment/amnesties.html", "main_content", form=form, amnesties=rows)


@bp.get("/amnesties/<int:amnesty_id>")
@staff(*STORES)
def amnesty(amnesty_id):
    item = _get(Amnesty, amnesty_id)
    return _page("equipment/amnesty.html", "main_content", amnesty=item,
                       candidates=services.amnesty_candidates(db.session, item),
                       report=services.amnesty_report(db.session, item), confirm=ConfirmForm())


@bp.post("/amnesties/<int:amnesty_id>/request")
@staff(*STORES)
def amnesty_request(amnesty_id):
    item = _get(Amnesty, amnesty_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = services.amnesty_request_collections(db.session, current_user, item.id)
    db.session.commit()
    flash(f"Collection requested for {count} order{'s' if count != 1 else ''}.", "success")
    return hx_redirect(url_for("equipment.amnesty", amnesty_id=item.id))


# ---------------------------------------------------------------- pick list

@bp.get("/stores/<int:store_id>/pick-list")
@staff(*STORES)
def pick_list(store_id):
    item = _get(Store, store_id)
    raw = request.args.get("day", "")
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise PortalError("Enter a real date for the pick list, like 2026-03-27.") from None
    else:
        day = _today()
    result = services.pick_list(db.session, item.id, day)
    return _page("equipment/pick_list.html", "main_content", store=item, day=day, today=_today(),
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
    return _page("equipment/organisations.html", "main_content", organisations=rows, kinds=ORGANISATION_KINDS,
                 can_order=has_role(current_user, PRESCRIBERS))


@bp.route("/organisations/new", methods=["GET", "POST"])
@staff(*REFERENCE_EDITORS)
def organisation_new():
    form = _organisation_form()
    if form.validate_on_submit():
        org = services.create_organisation(db.session, current_user, form.name.data, form.kind.data,
                                           locality=form.locality.data or None, address=form.address.data or None)
        db.session.commit()
        flash(f"{org.name} added.", "success")
        return hx_redirect(url_for("equipment.organisations"))
    return _page("equipment/organisation_form.html", "main_content", form=form, organisation=None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@staff(*REFERENCE_EDITORS)
def organisation_edit(organisation_id):
    org = _get(BorrowerOrganisation, organisation_id)
    form = _organisation_form(obj=org)
    if form.validate_on_submit():
        services.update_organisation(db.session, current_user, org.id, name=form.name.data, kind=form.kind.data,
                                     locality=form.locality.data or None, address=form.address.data or None)
        db.session.commit()
        flash(f"{org.name} saved.", "success")
        return hx_redirect(url_for("equipment.organisations"))
    return _page("equipment/organisation_form.html", "main_content", form=form, organisation=org)


# ---------------------------------------------------------------- kits

@bp.get("/kits")
@staff(*REFERENCE_EDITORS)
def kits():
    return _page("equipment/kits.html", "main_content", kits=services.kits_with_items(db.session))


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
            for n in KIT_ROWS:
                field = getattr(form, f"product_code_{n}")
                if (field.data or "").strip().upper() in exc.codes:
                    field.errors = [*field.errors, f"Enter a product code from the catalogue, "
                                                   f"{field.data.strip().upper()} is not one"]
        else:
            db.session.commit()
            flash(f"Kit {kit.name} added.", "success")
            return hx_redirect(url_for("equipment.kits"))
    return _page("equipment/kit_form.html", "main_content", form=form, rows=KIT_ROWS)
