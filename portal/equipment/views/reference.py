"""Queues, asset lookup, the catalogue, borrower organisations and kits."""


from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from portal.equipment import bp, services
from portal.equipment.forms import (
    KIT_ROWS,
    KitForm,
    OrganisationForm,
    ProductForm,
)
from portal.equipment.models import (
    ASSET_STATUSES,
    CATEGORIES,
    ORGANISATION_KINDS,
    BorrowerOrganisation,
    Product,
)
from portal.equipment.views._common import (
    CATALOGUE_EDITORS,
    PRESCRIBERS,
    READERS,
    REFERENCE_EDITORS,
    _attempt,
    _done,
    _get,
)
from portal.errors import Refusal
from portal.extensions import db
from portal.web.forms import refuse
from portal.web.htmx import render_page
from portal.web.security import has_role, staff

# ---------------------------------------------------------------- queues and lookup

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


# ---------------------------------------------------------------- borrower organisations

def _organisation_form(obj=None):
    form = OrganisationForm(obj=obj)
    form.locality.choices = [("", _("No area"))] + [(x, x) for x in current_app.config["LOCALITIES"]]
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
            return _done(_("Kit %(name)s added.", name=kit.name), url_for("equipment.kits"))
    return render_page("equipment/kit_form.html", "main_content", form=form, rows=KIT_ROWS,
                       status=422 if form.errors else 200)

