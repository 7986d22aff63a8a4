"""One way each kind of error reaches a person (issue: "One way to do each thing", item 2).

A refusal goes back on the same form with every answer kept; only a version clash says "changed
by someone else", and it shows the other person's change; a lost database is a 503 that keeps the
answers to send again; an upload over the limit names the limit the form states. The routes here
are a small blueprint on an app of their own, so each path is exercised exactly as a feature's is.
"""

from datetime import UTC, date, datetime

import pytest
from flask import Blueprint, render_template_string
from flask_migrate import upgrade
from flask_wtf import FlaskForm
from freezegun import freeze_time
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from wtforms import IntegerField, StringField

from portal.audit.services import record
from portal.errors import IllegalTransition, OutOfStock, VersionClash, check_version
from portal.extensions import db
from portal.timeutil import today
from portal.web.forms import refuse
from portal.web.security import public
from tests.conftest import csrf_from, make_app

PAGE = """{% extends "base.html" %}{% from "macros/forms.html" import error_summary %}
{% block main_content %}{{ error_summary(form) }}<h1 class="govuk-heading-l">Order</h1>
<form method="post" novalidate>{{ form.csrf_token }}
{{ form.quantity(params={"label": {"text": "Quantity"}}) }}{{ form.note(params={"label": {"text": "Note"}}) }}
<button class="govuk-button">Save</button></form>{% endblock %}"""


class OrderForm(FlaskForm):
    quantity = IntegerField("Quantity", widget=GovTextInput())
    note = StringField("Note", widget=GovTextInput())


def _service(quantity: int, note: str) -> None:
    """Stands in for a feature's service: it refuses by rule."""
    if quantity > 3:
        raise OutOfStock("Only 3 are in stock", field="quantity")
    if note == "closed":
        raise IllegalTransition("You cannot order for a closed referral")


class Thing:
    __tablename__ = "referral"

    def __init__(self, id_, version):
        self.id, self.version = id_, version


def _test_blueprint() -> Blueprint:
    bp = Blueprint("errors_test", __name__)

    @bp.route("/t/order", methods=["GET", "POST"])
    @public
    def order():
        form = OrderForm()
        if form.validate_on_submit():
            try:
                _service(form.quantity.data or 0, form.note.data or "")
            except OutOfStock as exc:
                refuse(form, exc)
            except IllegalTransition as exc:
                refuse(form, exc)
            else:
                return "saved", 201
        return render_template_string(PAGE, form=form), 422 if form.errors else 200

    @bp.post("/t/escaped")
    @public
    def escaped():
        raise IllegalTransition("You cannot close a referral that is not assessed")

    @bp.post("/t/clash/<int:entity_id>")
    @public
    def clash(entity_id):
        check_version(Thing(entity_id, version=5), 4, f"Referral {entity_id}")
        return "not reached"

    @bp.post("/t/stale")
    @public
    def stale():
        raise StaleDataError("UPDATE statement on table 'referral' expected to update 1 row(s); 0 were matched.")

    @bp.post("/t/lost")
    @public
    def lost():
        raise OperationalError("UPDATE referral", {}, Exception("server closed the connection unexpectedly"))

    @bp.post("/t/integrity")
    @public
    def integrity():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    @bp.post("/t/interface")
    @public
    def interface():
        class InterfaceError(Exception):
            pass

        raise DBAPIError("SELECT 1", {}, InterfaceError("connection already closed"))

    return bp


@pytest.fixture(scope="module")
def errors_app(tmp_path_factory):
    url = "sqlite:///" + str(tmp_path_factory.mktemp("errors") / "errors.db")
    app = make_app(url, WTF_CSRF_ENABLED=True)
    app.register_blueprint(_test_blueprint())
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def web(errors_app):
    return errors_app.test_client()


def _token(web) -> str:
    return csrf_from(web.get("/t/order").text)


def test_a_refusal_goes_on_its_field_with_every_answer_kept(web):
    resp = web.post("/t/order", data={"csrf_token": _token(web), "quantity": "7", "note": "for the bathroom"})
    assert resp.status_code == 422
    html = resp.text
    assert 'class="govuk-error-summary' in html and 'href="#quantity"' in html
    assert html.count("Only 3 are in stock") == 2  # in the summary and on the field
    assert 'value="7"' in html and 'value="for the bathroom"' in html
    assert "changed by someone else" not in html


def test_a_refusal_with_no_field_goes_at_the_top_of_the_form(web):
    resp = web.post("/t/order", data={"csrf_token": _token(web), "quantity": "1", "note": "closed"})
    assert resp.status_code == 422
    assert "You cannot order for a closed referral" in resp.text
    assert 'href="#main-content"' in resp.text and 'value="closed"' in resp.text


def test_a_refusal_no_form_caught_is_a_422_page_that_says_why(web):
    resp = web.post("/t/escaped", data={"csrf_token": _token(web)})
    assert resp.status_code == 422
    assert "You cannot close a referral that is not assessed" in resp.text
    assert "changed by someone else" not in resp.text


def test_a_version_clash_shows_the_other_persons_change(errors_app, web):
    with errors_app.app_context():
        from portal.auth.services import create_user

        other = create_user(db.session, "test", email="jo@test.council.example", name="Jo Bloggs",
                            password="correct horse battery staple", roles=["triage_officer"])
        record(db.session, other, "referral.priority_set", "referral", 4242, priority="urgent")
        db.session.commit()
    resp = web.post("/t/clash/4242", data={"csrf_token": _token(web)})
    assert resp.status_code == 409
    assert "This was changed by someone else" in resp.text
    assert "Referral 4242 was changed by someone else" in resp.text
    assert "priority set by Jo Bloggs" in resp.text
    assert "jo@test.council.example" not in resp.text  # the name, not the address


def test_a_clash_caught_by_the_version_column_is_a_409_not_a_500(web):
    resp = web.post("/t/stale", data={"csrf_token": _token(web)})
    assert resp.status_code == 409
    assert "Someone else saved this record at the same moment" in resp.text


def test_a_lost_database_is_a_503_that_keeps_the_answers(web):
    token = _token(web)
    resp = web.post("/t/lost", data={"csrf_token": token, "reason": "Needs a <b>rail</b>",
                                     "need": ["falls", "bathing"]})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
    html = resp.text
    assert "Nothing was saved" in html and "Try again" in html
    assert 'action="/t/lost"' in html
    assert 'name="reason" value="Needs a &lt;b&gt;rail&lt;/b&gt;"' in html  # kept, and escaped
    assert 'name="need" value="falls"' in html and 'name="need" value="bathing"' in html
    assert f'name="csrf_token" value="{token}"' in html


def test_a_connection_error_from_the_driver_is_a_503_too(web):
    resp = web.post("/t/interface", data={"csrf_token": _token(web)})
    assert resp.status_code == 503


def test_a_broken_statement_is_not_mistaken_for_an_outage(web):
    resp = web.post("/t/integrity", data={"csrf_token": _token(web)})
    assert resp.status_code == 500
    assert "Sorry, there is a problem with the service" in resp.text


def test_an_upload_past_the_limit_names_the_limit_the_form_states(errors_app, web):
    limit = errors_app.config["MAX_UPLOAD_MB"]
    body = b"x" * (errors_app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = web.post("/t/order", data=body, content_type="application/octet-stream")
    assert resp.status_code == 413
    assert f"The selected file must be smaller than {limit} MB" in resp.text


@pytest.mark.parametrize(("utc", "london"), [
    (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),  # BST: already tomorrow in London
    (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),  # GMT: the same day
])
def test_today_is_the_london_date(utc, london):
    with freeze_time(utc):
        assert today() == london


def test_version_clash_names_the_record_for_its_history():
    with pytest.raises(VersionClash, match="Referral 7 was changed by someone else") as caught:
        check_version(Thing(7, version=2), 1, "Referral 7")
    assert (caught.value.entity_type, caught.value.entity_id, caught.value.status) == ("referral", 7, 409)
    check_version(Thing(7, version=2), 2, "Referral 7")  # the same version passes
    check_version(Thing(7, version=2), None, "Referral 7")  # no version sent: nothing to compare
