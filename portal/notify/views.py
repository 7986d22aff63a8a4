from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.audit.services import record
from portal.auth.roles import ADMIN
from portal.extensions import db
from portal.notify import bp, services
from portal.notify.models import STATUSES
from portal.web.forms import ConfirmForm
from portal.web.security import staff


@bp.get("/")
@staff(ADMIN)
def outbox():
    status = request.args.get("status")
    status = status if status in STATUSES else None
    notes = services.outbox(db.session, status=status)
    return render_template("notify/outbox.html", notes=notes, status=status, form=ConfirmForm(),
                           statuses=STATUSES)


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
        flash("The message will be sent again.", "success")
    return redirect(url_for("notify.outbox"), 303)
