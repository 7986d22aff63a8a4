"""A decision's check step (portal.web.decisions): valid answers are checked before anything is
decided, "Change your answers" goes back with them, and only a confirmed post decides."""

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from wtforms import DecimalField, SelectMultipleField, StringField
from wtforms.validators import InputRequired

from portal.web.decisions import ANSWER, CHECK, CONFIRMED, decision_step, hidden_answers


class GrantForm(FlaskForm):
    class Meta:
        csrf = False

    amount = DecimalField("Amount", validators=[InputRequired()])
    reason = StringField("Reason", validators=[InputRequired()])
    works = SelectMultipleField("Works", choices=[("stairlift", "Stairlift"), ("shower", "Shower")])


@pytest.fixture
def app():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", TESTING=True)
    return app


def _step(app, method="POST", **form):
    with app.test_request_context("/decide", method=method, data=form):
        f = GrantForm()
        return decision_step(f), f


def test_a_get_shows_the_form(app):
    assert _step(app, "GET")[0] == ANSWER


def test_invalid_answers_stay_on_the_form_with_errors(app):
    step, form = _step(app, amount="lots", reason="", confirmed="yes")
    assert step == ANSWER and form.errors  # confirmed or not, bad answers never decide


def test_valid_answers_are_checked_first(app):
    assert _step(app, amount="5200", reason="Needs a level-access shower")[0] == CHECK


def test_only_a_confirmed_post_decides(app):
    assert _step(app, amount="5200", reason="r", confirmed="yes")[0] == CONFIRMED
    assert _step(app, amount="5200", reason="r", confirmed="no")[0] == CHECK


def test_change_your_answers_goes_back_with_them_and_no_errors(app):
    step, form = _step(app, amount="5200", reason="Needs a shower", change="yes", confirmed="")
    assert step == ANSWER and not form.errors
    assert form.amount.raw_data == ["5200"] and form.reason.data == "Needs a shower"


def test_the_check_page_carries_every_answer_including_each_of_several(app):
    with app.test_request_context("/decide", method="POST",
                                  data={"amount": "5200.50", "reason": "A & B <c>", "works": ["stairlift", "shower"]}):
        form = GrantForm()
        form.validate()
        assert hidden_answers(form) == [("amount", "5200.50"), ("reason", "A & B <c>"),
                                        ("works", "stairlift"), ("works", "shower")]
