"""The coordinators' planner, a person's connection, the digital switchover and the line register."""

import csv
import io
from datetime import date, timedelta

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.errors import Refusal
from portal.extensions import db
from portal.people.access import TELECARE, person_view_for
from portal.sql import new_submission_key
from portal.telecare import bp, services
from portal.telecare.forms import BatchForm
from portal.telecare.models import LINE_TYPES, SLOTS
from portal.telecare.services import COORDINATORS, INSTALLERS
from portal.telecare.views._shared import _coordinator, _people, _refused
from portal.timeutil import today as london_today
from portal.web.forms import refuse
from portal.web.htmx import render_page
from portal.web.security import staff


@bp.get("/planner")
@staff(*COORDINATORS)
def planner():
    raw = request.args.get("week", "")
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        start = london_today()
    start = start - timedelta(days=start.weekday())
    plan = services.planner(db.session, start)
    people = _people(job for cell in plan["grid"].values() for job in cell)
    resp = render_page("telecare/planner.html", "grid", plan=plan, people=people, start=start,
                       previous=start - timedelta(days=7), following=start + timedelta(days=7),
                       today=london_today(), slot_names=SLOTS)
    db.session.commit()  # the views' audit rows; after rendering, so the planned jobs are not read again
    return resp


# ---------------------------------------------------------------- connections, switchover, line register

@bp.get("/people/<int:person_id>/connection")
@staff(*INSTALLERS, *COORDINATORS)
def connection(person_id: int):
    person = person_view_for(db.session, current_user, person_id, "telecare connection")
    if person is None or not person.may_see(TELECARE):
        raise _refused(person_id)
    conn = services.view_connection(db.session, current_user, person_id)
    devices = services.devices_for_person(db.session, person_id)
    jobs = services.jobs_for_person(db.session, person_id)
    if not _coordinator():
        jobs = [j for j in jobs if j.installer_id == current_user.id]
    db.session.commit()
    return render_template("telecare/connection.html", person=person, conn=conn, devices=devices, jobs=jobs,
                           coordinator=_coordinator())


@bp.route("/switchover", methods=["GET", "POST"])
@staff(*COORDINATORS)
def switchover():
    rows = services.analogue_by_locality(db.session)
    form = BatchForm()
    form.locality.choices = [("", _("Select a locality"))] + [
        (r["locality"], _("%(locality)s (%(number)s to book)", locality=r["locality"], number=r["to_book"]))
        for r in rows]
    if request.method == "GET":
        form.batch_key.data = new_submission_key()
    if form.validate_on_submit():
        try:
            created = services.create_switchover_batch(db.session, current_user, form.locality.data, form.limit.data,
                                                       batch_key=form.batch_key.data or None)
        except Refusal as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(ngettext("%(num)d switchover job created for %(locality)s.",
                           "%(num)d switchover jobs created for %(locality)s.", created,
                           locality=form.locality.data), "success")
            return redirect(url_for("telecare.switchover"), 303)
    since = london_today().replace(day=1) - timedelta(days=540)
    progress = services.switchover_progress(db.session, since)
    total = sum(r["analogue"] for r in rows)
    return make_response(render_template("telecare/switchover.html", rows=rows, form=form, progress=progress,
                                         total=total, peak=max([p["completed"] for p in progress] or [1])),
                         422 if form.errors else 200)


@bp.get("/line-register.csv")
@staff(*COORDINATORS)
def line_register():
    rows = services.export_line_register(db.session, current_user)
    db.session.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Telephone number", "Provider", "Line type", "Person id", "Person", "Address", "Postcode",
                     "Alarm unit", "Unit serial"])
    for r in rows:
        writer.writerow([_cell(r["telephone"]), _cell(r["provider"]), LINE_TYPES.get(r["line_type"]), r["person_id"],
                         _cell(f"{r['given_name']} {r['family_name']}"), _cell(r["address_line_1"]),
                         _cell(r["postcode"]), _cell(r["unit_model"]), _cell(r["unit_serial"])])
    resp = make_response(out.getvalue())
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = f"attachment; filename=telecare-line-register-{london_today()}.csv"
    return resp


def _cell(value) -> str:
    """No formula injection when the file is opened in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
