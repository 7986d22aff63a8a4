"""Administrators register, list and revoke API clients on GOV.UK pages; nobody else may."""

import re

import pytest
from sqlalchemy import select

from portal.api import services
from portal.api.models import ApiClient
from portal.audit.models import AuditEvent


def test_an_admin_registers_a_client_and_sees_the_key_once(client, staff, db_session):
    admin = staff.login_as("admin")
    assert "API clients" in client.get("/staff").text  # in the admin's navigation
    resp = client.post("/admin/api-clients/new", data={
        "csrf_token": staff.csrf("/admin/api-clients/new"), "name": "Mosaic", "contact_email": "ict@council.example",
        "scopes": ["referrals:read", "referrals:read-all"], "rate_per_minute": "300"})
    assert resp.status_code == 200 and "only time the key is shown" in resp.text
    assert "no-store" in resp.headers["Cache-Control"]
    key = re.search(r"tecs_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", resp.text).group(0)
    found = services.client_for_key(db_session, key)
    assert found.name == "Mosaic" and found.rate_per_minute == 300 and admin.email in found.created_by
    listing = client.get("/admin/api-clients/")
    assert "Mosaic" in listing.text and "referrals:read-all" in listing.text and key not in listing.text


@pytest.mark.parametrize("data,message", [
    ({"name": "", "rate_per_minute": "120", "scopes": ["people:read"]}, "Enter the name of the system"),
    ({"name": "X", "rate_per_minute": "120"}, "Select at least one scope"),
    ({"name": "X", "rate_per_minute": "0", "scopes": ["people:read"]}, "between 1 and 6,000"),
    ({"name": "X", "rate_per_minute": "120", "scopes": ["referrals:read-all"]}, "needs referrals:read too"),
    ({"name": "x" * 6000, "rate_per_minute": "120", "scopes": ["people:read"]}, "120 characters"),
    ({"name": "X", "rate_per_minute": "120", "scopes": ["everything"]}, "is not a valid choice"),
    ({"name": "X", "rate_per_minute": "ten", "scopes": ["people:read"]}, "Requests a minute"),
])
def test_bad_answers_come_back_on_the_form(client, staff, data, message):
    staff.login_as("admin")
    resp = client.post("/admin/api-clients/new", data={"csrf_token": staff.csrf("/admin/api-clients/new"), **data})
    assert resp.status_code == 422 and "govuk-error-summary" in resp.text and message in resp.text
    assert "tecs_" not in resp.text


def test_an_admin_revokes_a_key_after_confirming(client, staff, db_session):
    new = services.register_client(db_session, "test", name="Old system", scopes=["people:read"])
    db_session.commit()
    staff.login_as("admin")
    confirm = client.get(f"/admin/api-clients/{new.client.id}/revoke")
    assert confirm.status_code == 200 and "Revoke the key of Old system?" in confirm.text
    assert services.client_for_key(db_session, new.key) is not None  # a GET changes nothing
    resp = client.post(f"/admin/api-clients/{new.client.id}/revoke",
                       data={"csrf_token": staff.csrf(f"/admin/api-clients/{new.client.id}/revoke")})
    assert resp.status_code == 303
    assert services.client_for_key(db_session, new.key) is None
    assert db_session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "api_client.revoked",
                                                            AuditEvent.entity_id == str(new.client.id)))
    again = client.post(f"/admin/api-clients/{new.client.id}/revoke",
                        data={"csrf_token": staff.csrf("/admin/api-clients/")})
    assert again.status_code == 422 and "already revoked" in again.text
    assert client.get("/admin/api-clients/987654/revoke").status_code == 404


@pytest.mark.parametrize("role", ["manager", "triage_officer"])
def test_only_administrators_may_manage_clients(client, staff, db_session, role):
    staff.login_as(role)
    assert client.get("/admin/api-clients/").status_code == 403
    assert client.post("/admin/api-clients/new", data={"csrf_token": staff.csrf("/account"), "name": "X",
                                                       "scopes": ["people:read"], "rate_per_minute": "1"}
                       ).status_code == 403
    assert db_session.scalar(select(ApiClient).where(ApiClient.name == "X")) is None


def test_a_name_already_registered_comes_back_on_the_form(client, staff, db_session):
    from portal.api import services

    services.register_client(db_session, "test", name="Mosaic", scopes=["referrals:read"])
    staff.login_as("admin")
    resp = client.post("/admin/api-clients/new", data={"csrf_token": staff.csrf("/admin/api-clients/new"),
                                                       "name": " Mosaic ", "rate_per_minute": "120",
                                                       "scopes": ["people:read"]})
    assert resp.status_code == 422 and "A client with this name already exists" in resp.text
