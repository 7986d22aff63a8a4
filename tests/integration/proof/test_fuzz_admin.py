"""Form fuzzing of the administration and account forms (portal/auth belongs to another helper:
failures here are reported, not fixed here), the outbox retry, and the reports filters (a GET
form: a result page or the filters again with their errors). The engine and the invariants are in
test_fuzz_forms.py."""

import pytest
from argon2 import PasswordHasher

from portal.auth.forms import ChangePasswordForm, NewStaffForm, StaffRolesForm
from portal.reports.forms import FilterForm
from tests.conftest import PASSWORD
from tests.integration.proof.test_fuzz_forms import SCRIPT, Step, field_names, fuzz


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_fuzz_admin_new_staff(app, client, staff, db_session):
    staff.login_as("admin")
    token = staff.csrf("/admin/staff/new")
    counter = iter(range(10_000))
    fuzz(client, token, lambda: Step("/admin/staff/new", field_names(app, NewStaffForm),
                                     {"name": "Pat Holt", "email": f"pat{next(counter)}@council.example",
                                      "roles": ["triage_officer"], "password": "a long enough passphrase 42"},
                                     "name"))
    assert SCRIPT not in client.get("/admin/staff").text


def test_fuzz_admin_staff_roles_and_actions(app, client, staff, db_session):
    staff.login_as("admin")
    other = staff.create("triage_officer")
    db_session.commit()
    token = staff.csrf("/staff")
    fuzz(client, token, lambda: Step(f"/admin/staff/{other.id}", field_names(app, StaffRolesForm),
                                     {"roles": ["trusted_assessor"], "trusted_assessor_level": "3"}))
    for action in ("disable", "enable", "reset-two-factor"):
        fuzz(client, token, lambda a=action: Step(f"/admin/staff/{other.id}/{a}", ["version", "reason"]),
             max_examples=8)


def test_fuzz_change_password(app, client, staff, db_session):
    staff.login_as("triage_officer")
    token = staff.csrf("/account/password")
    fuzz(client, token, lambda: Step("/account/password", field_names(app, ChangePasswordForm),
                                     {"current": PASSWORD + " wrong", "new": "another long passphrase 42"}),
         max_examples=15, bad_tokens=False)


@pytest.mark.parametrize("url", ["/reports/", "/reports/board", "/reports/export/demand-by-source.csv"])
def test_fuzz_reports_filters(app, client, staff, db_session, url):
    staff.login_as("manager")
    with app.test_request_context():
        names = [n for n in FilterForm(localities=["North"])._fields if n != "csrf_token"] + ["period"]
    fuzz(client, "", lambda: Step(url, names, {"start": ["1", "4", "2026"], "end": ["31", "3", "2027"],
                                               "locality": "North"}, method="GET", rerender_has_summary=False),
         bad_tokens=False)
