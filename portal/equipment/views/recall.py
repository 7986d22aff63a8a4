"""Product recalls: the list, starting one (answers, then check answers, then confirm), the recall
page with its progress and affected items, the work on each item, and closing it."""

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.equipment import bp, services
from portal.equipment.forms import CloseRecallForm, RecallForm, RecallItemForm
from portal.equipment.models import RECALL_ITEM_OPEN, Product, Recall
from portal.equipment.views._common import _attempt, _done, _get
from portal.errors import Refusal
from portal.extensions import db
from portal.people.access import person_views_for
from portal.sql import is_submission_key, new_submission_key
from portal.web.forms import ConfirmForm, refuse
from portal.web.htmx import render_page
from portal.web.security import staff

READERS = services.RECALL_READERS
ROLES = services.RECALL_ROLES
INSPECTION_OUTCOMES = {"inspected_ok": "Inspected: safe to keep using",
                       "inspected_failed": "Not safe: collect it"}


@bp.get("/recalls")
@staff(*READERS)
def recalls():
    return render_page("equipment/recall/list.html", "main_content", rows=services.recall_list(db.session),
                       may_start="recall_start" in services.allowed_recall_actions(current_user))


def _recall_form(sent: bool):
    form = RecallForm() if sent else RecallForm(formdata=None)
    form.product_id.choices = [("", _("Select a product"))] + [
        (p.id, f"{p.name} ({p.code})") for p in db.session.execute(
            select(Product.id, Product.name, Product.code).order_by(Product.name))]
    if not is_submission_key(form.submission_key.data):
        form.submission_key.data = new_submission_key()
    return form


def _request(form) -> services.RecallRequest:
    return services.RecallRequest(
        product_id=form.product_id.data, scope=form.scope.data, reference=form.reference.data or "",
        action=form.action.data, reason=form.reason.data or "", serial_from=form.serial_from.data,
        serial_to=form.serial_to.data, supplied_from=form.supplied_from.data, supplied_to=form.supplied_to.data)


def _form_page(form, status=200):
    return render_page("equipment/recall/new.html", "main_content", form=form, status=status)


@bp.route("/recalls/new", methods=["GET", "POST"])
@staff(*ROLES["recall_start"])
def recall_new():
    """Answers → check answers (what it will affect) → confirm. Change goes back with every answer."""
    if request.method == "GET":
        return _form_page(_recall_form(False))
    form = _recall_form(True)
    if "change" in request.form:  # back from check answers, every answer kept
        return _form_page(form)
    if not form.validate_on_submit():
        return _form_page(form, 422)
    if "confirm" in request.form:
        started = []
        if _attempt(form, lambda: started.append(services.start_recall(
                db.session, current_user, _request(form), submission_key=form.submission_key.data))):
            recall, _created = started[0]
            return _done(_("Recall %(reference)s started: the items it covers are held and listed below.",
                           reference=recall.reference),
                         url_for("equipment.recall", recall_id=recall.id))
        return _form_page(form, 422)
    try:
        summary = services.preview(db.session, _request(form))
    except Refusal as exc:
        refuse(form, exc)
        return _form_page(form, 422)
    return render_page("equipment/recall/check.html", "main_content", form=form, summary=summary,
                       request_=_request(form))


def _people(rows) -> dict:
    """Each affected person as this user may see them (None: not shown), one audited view each."""
    views = person_views_for(db.session, current_user, (row["item"].person_id for row in rows), "equipment recall")
    db.session.commit()
    return views


def _recall_page(recall: Recall, *, close_form=None, item_form=None, item_id=None, status=200):
    rows = services.recall_rows(db.session, recall)
    return render_page("equipment/recall/recall.html", "main_content", recall=recall, rows=rows,
                       people=_people(rows), progress=services.progress(db.session, recall),
                       allowed=services.allowed_recall_actions(current_user, recall),
                       close_form=close_form or CloseRecallForm(formdata=None, version=recall.version),
                       item_form=item_form, item_id=item_id, outcomes=services.HELD_OUTCOMES,
                       inspection_outcomes=INSPECTION_OUTCOMES, open_states=RECALL_ITEM_OPEN, status=status)


@bp.get("/recalls/<int:recall_id>")
@staff(*READERS)
def recall(recall_id):
    return _recall_page(_get(Recall, recall_id))


@bp.post("/recalls/<int:recall_id>/close")
@staff(*ROLES["recall_close"])
def recall_close(recall_id):
    item = _get(Recall, recall_id)
    form = CloseRecallForm()
    if _attempt(form, lambda: services.close_recall(db.session, current_user, item.id, form.reason.data,
                                                    expected_version=form.version.data)):
        return _done(_("Recall %(reference)s closed.", reference=item.reference),
                     url_for("equipment.recall", recall_id=item.id))
    return _recall_page(db.session.get(Recall, recall_id), close_form=form, status=422)


@bp.post("/recalls/<int:recall_id>/items/<int:item_id>/collected")
@staff(*ROLES["recall_item"])
def recall_item_collected(recall_id, item_id):
    recall_row = _get(Recall, recall_id)
    form = ConfirmForm()
    if _attempt(form, lambda: services.record_collected(db.session, current_user, recall_row.id, item_id)):
        return _done(_("Collection recorded: the item is held in quarantine."),
                     url_for("equipment.recall", recall_id=recall_id))
    return _recall_page(db.session.get(Recall, recall_id), close_form=None, item_form=form, item_id=item_id,
                        status=422)


@bp.post("/recalls/<int:recall_id>/items/<int:item_id>")
@staff(*ROLES["recall_item"])
def recall_item(recall_id, item_id):
    """An inspection outcome (an item at a home) or how a held item left quarantine."""
    recall_row = _get(Recall, recall_id)
    form = RecallItemForm()
    form.outcome.choices = list({**INSPECTION_OUTCOMES, **services.HELD_OUTCOMES}.items())

    def act():
        if form.outcome.data in INSPECTION_OUTCOMES:
            services.record_item_inspection(db.session, current_user, recall_row.id, item_id,
                                       form.outcome.data == "inspected_ok", form.note.data)
        else:
            services.resolve_held(db.session, current_user, recall_row.id, item_id, form.outcome.data,
                                  form.note.data)

    if _attempt(form, act):
        return _done("Recorded.", url_for("equipment.recall", recall_id=recall_id) + f"#item-{item_id}")
    return _recall_page(db.session.get(Recall, recall_id), item_form=form, item_id=item_id, status=422)

