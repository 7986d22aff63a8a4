"""Orders (one route per action) and amnesties."""


from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.equipment import bp, services
from portal.equipment.forms import (
    AmnestyForm,
    CollectionForm,
    OrderForm,
    ReasonForm,
    SwapForm,
    VersionForm,
)
from portal.equipment.models import (
    ASSET_STATUSES,
    COLLECTION_REASONS,
    ORDER_STATES,
    Amnesty,
    Asset,
    BorrowerOrganisation,
    Kit,
    KitItem,
    Order,
    Product,
)
from portal.equipment.views._common import (
    ORDER_ROLES,
    PRESCRIBERS,
    READERS,
    STORES,
    _attempt,
    _done,
    _get,
    _product_choices,
    _store_choices,
)
from portal.errors import NotFound, Refusal, check_version
from portal.extensions import db
from portal.people.access import may_order_for, person_view_for, record_refusal
from portal.people.models import Person
from portal.sql import new_submission_key
from portal.timeutil import now, today
from portal.web.decisions import CHECK, CONFIRMED, decision_step, hidden_answers
from portal.web.forms import ConfirmForm, refuse
from portal.web.htmx import hx_redirect, render_page
from portal.web.ids import id_arg
from portal.web.security import staff

# ---------------------------------------------------------------- orders

def _order_form_choices(form):
    """The stores, and the kits and products this prescriber may order."""
    form.store_id.choices = _store_choices(_("Select a store"))
    barred = {item.kit_id for item, product in db.session.execute(
        select(KitItem, Product).join(Product, Product.id == KitItem.product_id))
        if not services.may_prescribe(current_user, product)}
    form.kit_id.choices = [("", _("No kit"))] + [
        (k.id, k.name) for k in db.session.execute(select(Kit.id, Kit.name).order_by(Kit.name)) if k.id not in barred]
    for n in (1, 2, 3):
        getattr(form, f"product_{n}").choices = _product_choices(_("Select a product") if n == 1 else _("None"),
                                                                 prescriber=current_user)


@bp.route("/orders/new", methods=["GET", "POST"])
@staff(*PRESCRIBERS)
def order_new():
    person_id = id_arg("person")
    organisation_id = id_arg("organisation")
    person = _get(Person, person_id) if person_id else None
    if person is not None and not may_order_for(db.session, current_user, person.id):
        record_refusal(db.session, current_user, request.endpoint, "person", person.id)
        db.session.commit()
        raise NotFound(_("That record does not exist. Check the link or go back to the list."))
    organisation = _get(BorrowerOrganisation, organisation_id) if organisation_id and not person else None
    if person is None and organisation is None:
        raise NotFound(_("Open the order form from a person's record (the link carries who it is for)."))
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
            referral_id=id_arg("referral") if person else None,
            notes=form.notes.data or None, submission_key=form.submission_key.data or None)),
            fields={f"line_{i}": f"product_{n}" for i, n in enumerate(filled)} | {"line_0": f"product_{filled[0]}"
                                                                                   if filled else "product_1"}):
        order, created = result[0]
        db.session.commit()
        if created:
            flash(_("Order %(number)s raised.", number=order.id), "success")
        return hx_redirect(url_for("equipment.order", order_id=order.id))
    return render_page("equipment/order_new.html", "main_content", form=form, person=person,
                       organisation=organisation, status=422 if form.errors else 200)


def _order_page(item: Order, *, form=None, status: int = 200):
    """The order page; `form` is the one that was sent, shown again with its errors."""
    person = person_view_for(db.session, current_user, item.person_id, f"order {item.id}")
    asset_status = dict(db.session.execute(
        select(Asset.id, Asset.status).where(Asset.id.in_([ln.asset_id for ln in item.lines if ln.asset_id])))
        .all())
    day = services.fit_day(item.planned_date) if item.state == "reserved" else today()
    unfit = {line.id: services.unfit_reason(line.asset, day) for line in item.lines
             if line.asset_id and line.released_at is None and item.state in ("reserved", "delivered")}
    return render_page(
        "equipment/order.html", "order", order=item, person=person, asset_status=asset_status,
        unfit={k: v for k, v in unfit.items() if v}, events=services.order_events(db.session, item.id),
        statuses=ASSET_STATUSES, states=ORDER_STATES, reasons=COLLECTION_REASONS, form=form,
        allowed=services.allowed_order_actions(current_user, item),
        clocks=services.order_clocks(item, now()), status=status)


@bp.get("/orders/<int:order_id>")
@staff(*READERS)
def order(order_id):
    page = _order_page(_get(Order, order_id))
    db.session.commit()  # the audit row of the view
    return page


def _order_action(order_id: int, form, call, message, page=None):
    """Run one order action; a refusal comes back on the order page (or the action's own `page`)."""
    item = _get(Order, order_id)
    result = []
    if _attempt(form, lambda: result.append(call(item, form.version.data))):
        text = message(result[0]) if callable(message) else message
        return _done(text, url_for("equipment.order", order_id=item.id))
    return (page or _order_page)(item, form=form, status=422)


@bp.post("/orders/<int:order_id>/reserve")
@staff(*ORDER_ROLES["reserve"])
def reserve(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.reserve_order(
        db.session, current_user, item.id, expected_version=version), _("Stock reserved."))


@bp.post("/orders/<int:order_id>/deliver")
@staff(*ORDER_ROLES["deliver"])
def deliver(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.deliver_order(
        db.session, current_user, item.id, expected_version=version), _("Delivery recorded."))


def _order_form_page(template: str, item: Order, *, form, status: int = 200):
    """An order action's own page (request a collection, cancel): the person, the order, the form."""
    person = person_view_for(db.session, current_user, item.person_id, f"order {item.id}")
    db.session.commit()  # the audit row of the view
    return render_page(template, "main_content", order=item, person=person, form=form, status=status)


@bp.route("/orders/<int:order_id>/collection", methods=["GET", "POST"])
@staff(*ORDER_ROLES["collection"])
def collection(order_id):
    item = _get(Order, order_id)
    form = CollectionForm() if request.method == "POST" else CollectionForm(
        formdata=None, version=item.version)
    if request.method == "GET":
        return _order_form_page("equipment/order_collection.html", item, form=form)
    return _order_action(order_id, form, lambda item, version: services.request_collection(
        db.session, current_user, item.id, form.reason.data, expected_version=version), _("Collection requested."),
        page=lambda item, **kw: _order_form_page("equipment/order_collection.html", item, **kw))


@bp.post("/orders/<int:order_id>/collect")
@staff(*ORDER_ROLES["collect"])
def collect(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.collect_order(
        db.session, current_user, item.id, expected_version=version),
        _("Collection recorded. The items are awaiting cleaning."))


@bp.post("/orders/<int:order_id>/clean")
@staff(*ORDER_ROLES["clean_order"])
def clean_order(order_id):
    return _order_action(order_id, VersionForm(), lambda item, version: services.clean_order_items(
        db.session, current_user, item.id, expected_version=version),
        lambda count: f"{count} item{'s' if count != 1 else ''} cleaned and back in stock.")


@bp.post("/orders/<int:order_id>/swap")
@staff(*ORDER_ROLES["swap"])
def swap(order_id):
    form = SwapForm()
    return _order_action(order_id, form, lambda item, version: services.swap_line(
        db.session, current_user, item.id, form.line_id.data, expected_version=version),
        lambda asset: f"{asset.asset_tag} swapped in.")


@bp.route("/orders/<int:order_id>/cancel", methods=["GET", "POST"])
@staff(*ORDER_ROLES["cancel"])
def cancel(order_id):
    """Cancelling is a decision with a check step: the reason, then "Check your decision", then
    only a confirmed post cancels (services.cancel_order)."""
    item = _get(Order, order_id)
    form = ReasonForm() if request.method == "POST" else ReasonForm(
        formdata=None, version=item.version)
    page = lambda item, **kw: _order_form_page("equipment/order_cancel.html", item, **kw)  # noqa: E731
    step = decision_step(form)
    if step == CONFIRMED:
        return _order_action(order_id, form, lambda item, version: services.cancel_order(
            db.session, current_user, item.id, form.reason.data, expected_version=version), _("Order cancelled."),
            page=page)
    if step == CHECK:
        try:
            check_version(item, form.version.data, f"Order {item.id}")
            services.check_order_action(current_user, item, "cancel")
        except Refusal as exc:
            refuse(form, exc)
            return page(item, form=form, status=422)
        person = person_view_for(db.session, current_user, item.person_id, f"order {item.id}")
        db.session.commit()
        lines = ", ".join(f"{line.quantity} × {line.product.name}" for line in item.lines)
        return render_template(
            "web/decision_check.html", form=form, decision="Cancel the order", person=person,
            caption=f"Equipment order {item.id}",
            rows=[("Order", f"Order {item.id}: {lines}"), ("Reason for cancelling", form.reason.data)],
            consequence=(_("The order is cancelled and anything reserved for it goes back into stock. "
                         "The prescriber must raise a new order if the equipment is needed again.")),
            warning=_("You cannot undo this."), destructive=True, confirm_text="Cancel the order",
            action=url_for("equipment.cancel", order_id=item.id),
            back_url=url_for("equipment.cancel", order_id=item.id), hidden=hidden_answers(form))
    return page(item, form=form, status=422 if form.errors else 200)


# ---------------------------------------------------------------- amnesty

@bp.route("/amnesties", methods=["GET", "POST"])
@staff(*STORES)
def amnesties():
    form = AmnestyForm()
    form.organisation_id.choices = [("", _("Any organisation"))] + [
        (o.id, o.name) for o in db.session.execute(select(BorrowerOrganisation.id, BorrowerOrganisation.name)
                                                   .order_by(BorrowerOrganisation.name))]
    form.locality.choices = [("", _("Any area"))] + [(x, x) for x in current_app.config["LOCALITIES"]]
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
        return _done(ngettext("Collection requested for %(num)d order.", "Collection requested for %(num)d orders.",
                              count),
                     url_for("equipment.amnesty", amnesty_id=item.id))
    return _amnesty_page(item, form=form, status=422)


