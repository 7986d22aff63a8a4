"""Stores, counted stock, assets and their actions, stocktakes and the pick list."""

from datetime import date, timedelta

import segno
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.equipment import bp, services
from portal.equipment.forms import (
    AssetForm,
    CompleteStocktakeForm,
    InspectionForm,
    ReasonForm,
    ScanForm,
    StockForm,
    StocktakeReturnForm,
)
from portal.equipment.models import (
    ASSET_STATUSES,
    Asset,
    BorrowerOrganisation,
    Stocktake,
    Store,
)
from portal.equipment.views._common import (
    ASSET_ROLES,
    READERS,
    STOCKTAKE_READERS,
    STOCKTAKE_ROLES,
    STORES,
    _attempt,
    _done,
    _get,
    _order_people,
    _product_choices,
)
from portal.errors import PortalError
from portal.extensions import db
from portal.people.access import person_view_for
from portal.timeutil import now, today
from portal.web.filters import actor_name, format_money
from portal.web.forms import ConfirmForm
from portal.web.htmx import hx_redirect, render_page
from portal.web.security import has_role, may_open, staff

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


def store_sections(item: Store, active: str) -> list[tuple[str, str, bool]]:
    """The store's sections as sub navigation: only those this user may open."""
    out = []
    for key, text, endpoint in (("overview", "Overview", "equipment.store"),
                                ("stock", "Counted stock", "equipment.store_stock_list"),
                                ("assets", "Assets", "equipment.store_assets"),
                                ("stocktakes", "Stocktakes", "equipment.store_stocktakes")):
        if may_open(current_user, endpoint):
            out.append((text, url_for(endpoint, store_id=item.id), key == active))
    return out


def _store_page(item: Store, *, form=None, status: int = 200):
    """The store's overview: its figures and the forms that act on it; `form` is the one that was
    sent, shown again with its errors."""
    return render_page(
        "equipment/store.html", "section", store=item, figures=services.store_figures(db.session, item.id),
        sections=store_sections(item, "overview"), statuses=ASSET_STATUSES, form=form,
        stock_form=form if isinstance(form, StockForm) else _stock_form(),
        asset_form=form if isinstance(form, AssetForm) else _asset_form(),
        can_act=has_role(current_user, STORES), today=today(), status=status)


@bp.get("/stores/<int:store_id>")
@staff(*READERS)
def store(store_id):
    return _store_page(_get(Store, store_id))


@bp.post("/stores/<int:store_id>/stock/changes")
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
        return _done(_("Stock change recorded."), url_for("equipment.store", store_id=item.id))
    return _store_page(item, form=form, status=422)


@bp.post("/stores/<int:store_id>/assets/new")
@staff(*STORES)
def store_add_asset(store_id):
    item = _get(Store, store_id)
    form = _asset_form(sent=True)
    added = []
    if _attempt(form, lambda: added.append(services.add_asset(
            db.session, current_user, product_id=form.product_id.data, store_id=item.id,
            asset_tag=form.asset_tag.data, serial=form.serial.data or None, purchase_cost=form.purchase_cost.data))):
        return _done(_("Asset %(tag)s added.", tag=added[0].asset_tag),
                     url_for("equipment.asset", asset_id=added[0].id))
    return _store_page(item, form=form, status=422)


# ---------------------------------------------------------------- assets

def _asset_events(item: Asset) -> list:
    """The asset's movements as the record's timeline, newest first."""
    out = []
    for m in services.asset_history(db.session, item.id):
        change = (f"{ASSET_STATUSES.get(m.from_status, m.from_status)} to " if m.from_status
                  and m.from_status != m.to_status else "")
        to = ASSET_STATUSES.get(m.to_status, m.to_status or "")
        change += to.lower() if change else to
        text = change + (f" (order {m.order_id})" if m.order_id else "")
        out.append(services.TimelineEvent(m.reason or m.kind.replace("_", " ").capitalize(), actor_name(m.actor),
                                          m.at, text))
    return out


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
        "equipment/asset.html", "asset", asset=item, events=_asset_events(item),
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
        db.session, current_user, item.id, form.inspected_on.data), _("Inspection recorded."))


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


def _stocktake_page(item: Stocktake, *, form=None, status: int = 200, notice: str | None = None):
    """The stocktake page; `form` is the one that was sent (scan, complete or return), shown again."""
    result = services.stocktake_result(db.session, item)
    scan_form = form if isinstance(form, ScanForm) else ScanForm(formdata=None)
    finish = form if isinstance(form, CompleteStocktakeForm) else CompleteStocktakeForm(formdata=None)
    finish.missing.data = result["write_off"]["count"]
    send_back = form if isinstance(form, StocktakeReturnForm) else StocktakeReturnForm(formdata=None)
    return render_page("equipment/stocktake.html", "scans", stocktake=item, result=result, form=scan_form,
                       finish=finish, send_back=send_back, errors=form, notice=notice,
                       allowed=services.allowed_stocktake_actions(current_user, item),
                       last=request.args.get("last"), status=status)


@bp.get("/stocktakes/<int:stocktake_id>")
@staff(*STOCKTAKE_READERS)
def stocktake(stocktake_id):
    return _stocktake_page(_get(Stocktake, stocktake_id))


@bp.post("/stocktakes/<int:stocktake_id>/scan")
@staff(*STOCKTAKE_ROLES["stocktake_scan"])
def stocktake_scan(stocktake_id):
    """Many tags at once: the good ones are stored; unknown tags and lines that are not a tag come
    back in the box with the error, and tags already scanned are reported."""
    item = _get(Stocktake, stocktake_id)
    form = ScanForm()
    reports = []
    if not _attempt(form, lambda: reports.append(services.scan(db.session, current_user, item.id, form.tags.data))):
        return _stocktake_page(item, form=form, status=422)
    report = reports[0]
    db.session.commit()
    notice = (f"{len(report.recorded)} tag{'s' if len(report.recorded) != 1 else ''} recorded."
              + (f" Already scanned, not counted twice: {', '.join(report.duplicates[:20])}."
                 if report.duplicates else ""))
    problem = services.scan_problem_message(report)
    if problem:
        form.tags.data = "\n".join(report.problems)
        form.tags.errors = [problem]
        return _stocktake_page(item, form=form, status=422, notice=notice)
    flash(notice, "success")
    return redirect(url_for("equipment.stocktake", stocktake_id=item.id), 303)


@bp.post("/stocktakes/<int:stocktake_id>/complete")
@staff(*STOCKTAKE_ROLES["stocktake_complete"])
def stocktake_complete(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = CompleteStocktakeForm()
    done = []
    if _attempt(form, lambda: done.append(services.complete_stocktake(
            db.session, current_user, item.id, form.reason.data,
            confirmed_missing=form.missing.data if form.confirm.data else None))):
        summary = done[0]
        if summary["awaiting_approval"]:
            return _done(f"{summary['missing']} missing items, worth {format_money(summary['value'])}, are more "
                         "than the store can write off without approval: a manager must approve the stocktake.",
                         url_for("equipment.stocktake", stocktake_id=item.id))
        return _done(f"Stocktake completed: {summary['found']} found, {summary['moved']} moved to this store, "
                     f"{summary['written_off']} written off as missing ({format_money(summary['value'])}), "
                     f"{summary['unexpected']} unexpected.", url_for("equipment.store", store_id=item.store_id))
    return _stocktake_page(item, form=form, status=422)


@bp.post("/stocktakes/<int:stocktake_id>/approve")
@staff(*STOCKTAKE_ROLES["stocktake_approve"])
def stocktake_approve(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = ConfirmForm()
    done = []
    if _attempt(form, lambda: done.append(services.approve_stocktake(db.session, current_user, item.id))):
        summary = done[0]
        return _done(f"Write-off approved: {summary['written_off']} items ({format_money(summary['value'])}) "
                     "retired as missing.", url_for("equipment.stocktake", stocktake_id=item.id))
    return _stocktake_page(item, form=form, status=422)


@bp.post("/stocktakes/<int:stocktake_id>/return")
@staff(*STOCKTAKE_ROLES["stocktake_return"])
def stocktake_return(stocktake_id):
    item = _get(Stocktake, stocktake_id)
    form = StocktakeReturnForm()
    if _attempt(form, lambda: services.return_stocktake(db.session, current_user, item.id, form.reason.data)):
        return _done(_("The stocktake is open again for the stores to check."),
                     url_for("equipment.stocktake", stocktake_id=item.id))
    return _stocktake_page(item, form=form, status=422)


# ---------------------------------------------------------------- pick list

@bp.get("/stores/<int:store_id>/pick-list")
@staff(*STORES)
def pick_list(store_id):
    item = _get(Store, store_id)
    raw = request.args.get("day", "")
    try:
        day = date.fromisoformat(raw) if raw else today()
    except ValueError:
        raise PortalError(_("Enter a real date for the pick list, like 2026-03-27.")) from None
    result = services.pick_list(db.session, item.id, day)
    people = _order_people(order.id for order, _lines in result["orders"])
    return render_page("equipment/pick_list.html", "main_content", store=item, day=day, today=today(), people=people,
                       orders=result["orders"], totals=result["totals"],
                       previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


