"""A decision on its own page, with a check step before it is made (GOV.UK "check answers").

The decision's page posts its answers; valid answers come back as a check page that repeats them
as hidden fields, says what will happen, and asks for confirmation; only a confirmed post decides.
"Change" on the check page posts the same answers back to the form, so nothing typed is lost.

    step = decision_step(form)
    if step == CONFIRMED: ...call the one service function...
    elif step == CHECK: return render_template("web/decision_check.html", form=form, ...)
    return render_template("the form", form=form), 422 if form.errors else 200
"""

from flask import request

ANSWER, CHECK, CONFIRMED = "answer", "check", "confirmed"


def decision_step(form) -> str:
    if request.method != "POST":
        return ANSWER
    if request.form.get("change") == "yes":
        return ANSWER
    if not form.validate_on_submit():
        return ANSWER
    return CONFIRMED if request.form.get("confirmed") == "yes" else CHECK


def hidden_answers(form) -> list[tuple[str, str]]:
    """Every answer on the form as (name, value) pairs for hidden inputs (a list field gives several)."""
    out = []
    for field in form:
        if field.type in ("CSRFTokenField", "SubmitField") or field.name == "csrf_token":
            continue
        values = field.raw_data if field.raw_data is not None else ([] if field.data is None else [field._value()])
        out.extend((field.name, "" if v is None else str(v)) for v in values
                   if not hasattr(v, "read"))  # a file is never carried in a hidden field
    return out
