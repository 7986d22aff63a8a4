"""Administrators register, list and revoke API clients (the same services as `flask api-clients`)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.api import admin_bp, services
from portal.api.forms import NewClientForm, RevokeClientForm
from portal.api.models import ApiClient
from portal.auth.roles import ADMIN
from portal.errors import Refusal
from portal.extensions import db
from portal.web.forms import refuse
from portal.web.security import staff


@admin_bp.get("/")
@staff(ADMIN)
def clients():
    return render_template("api/clients.html", clients=services.clients(db.session), scopes=services.SCOPES)


@admin_bp.route("/new", methods=["GET", "POST"])
@staff(ADMIN)
def new_client():
    form = NewClientForm()
    if form.validate_on_submit():
        try:
            new = services.register_client(db.session, current_user, name=form.name.data, scopes=form.scopes.data,
                                           rate_per_minute=form.rate_per_minute.data,
                                           contact_email=form.contact_email.data)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            # shown on this response only: the key is not stored, flashed or put in a URL
            return render_template("api/client_key.html", client=new.client, key=new.key)
    return render_template("api/client_new.html", form=form), 422 if form.errors else 200


@admin_bp.route("/<int:client_id>/revoke", methods=["GET", "POST"])
@staff(ADMIN)
def revoke_client(client_id: int):
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    form = RevokeClientForm()
    if form.validate_on_submit():
        try:
            services.revoke_client(db.session, current_user, client)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The key of %(name)s is revoked: its calls are now refused.", name=client.name), "success")
            return redirect(url_for("api_admin.clients"), 303)
    return render_template("api/client_revoke.html", client=client, form=form), 422 if form.errors else 200
