from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.audit.services import record
from portal.auth.roles import ADMIN
from portal.extensions import db
from portal.notify import bp, services
from portal.notify.models import STATUSES
from portal.web.forms import ConfirmForm
from portal.web.htmx import render_page
from portal.web.lists import Column, Filter, ListSpec
from portal.web.security import staff

STATUS_LABELS = {"outbox": "In outbox", "pending": "Waiting", "sent": "Sent", "failed": "Failed"}


def outbox_list() -> ListSpec:
    """The outbox's filters and columns: newest first unless a column is chosen."""
    return ListSpec(
        endpoint="notify.outbox", singular=_("message"), plural=_("messages"),
        default_sort="written", default_descending=True, default_order_label=_("newest first"),
        filters=(
            Filter("status", _("Status"), tuple((s, STATUS_LABELS[s]) for s in STATUSES)),
            Filter("channel", _("Sent by"), (("email", _("Email")), ("sms", _("Text message")))),
            Filter("q", _("Search"), kind="search", hint=_("Part of an address, a phone number or a subject")),
        ),
        columns=(Column("written", _("Written")), Column("to", _("To")), Column("message", _("Message"),
                                                                                sortable=False),
                 Column("status", _("Status"))),
    )


@bp.get("/")
@staff(ADMIN)
def outbox():
    view = outbox_list().read(request.args)
    page = services.outbox(db.session, status=view.get("status"), channel=view.get("channel"), search=view.get("q"),
                           sort=view.sort, descending=view.descending, page=view.page, size=view.spec.page_size)
    return render_page("notify/outbox.html", "list", view=view, page=page, form=ConfirmForm())


@bp.post("/<int:note_id>/retry")
@staff(ADMIN)
def retry(note_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.retry(db.session, note_id)
        except ValueError as exc:
            flash(str(exc).capitalize(), "error")
            return redirect(url_for("notify.outbox"), 303)
        record(db.session, current_user, "notification.retry", "notification", note_id)
        db.session.commit()
        flash(_("The message will be sent again."), "success")
    return redirect(url_for("notify.outbox"), 303)
