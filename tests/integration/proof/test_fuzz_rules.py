"""Cross-field rules are form validations (issue 19 item 3): each posts what a person would, breaking
one rule, and checks the same form comes back (422) with the GOV.UK error summary, the message on
the field the rule is about, every answer kept, and nothing saved. Never a bare 400 page and
never "changed by someone else"."""

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from portal.equipment import services as equipment
from portal.referrals import services
from portal.sql import new_submission_key
from portal.timeutil import today
from tests.conftest import csrf_from
from tests.integration.equipment.conftest import make_world
from tests.integration.proof.test_fuzz_forms import snapshot
from tests.integration.referrals.test_allowed_actions import build

CLASH = "changed by someone else"


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch):
    from portal.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def refused_on(resp, field_id: str, message: str, *kept: str) -> str:
    """The same form again: 422, the summary linking to the field, the message, the answers."""
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422, (resp.status_code, body[:2000])
    assert "govuk-error-summary" in body and f'href="#{field_id}"' in body, body[:4000]
    assert message in body
    assert CLASH not in body
    for answer in kept:
        assert answer in body, f"the answer {answer!r} was lost"
    return body


def _date(day) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


# -- the assessment --------------------------------------------------------------------------------

@pytest.fixture
def assessing(client, staff, db_session, make_referral):
    """An occupational therapist signed in, with a referral of theirs waiting for the assessment."""
    members = {role: staff.create(role) for role in ("triage_officer", "trusted_assessor", "occupational_therapist")}
    referral = build(db_session, make_referral, members, "awaiting_ot")
    db_session.commit()
    assert staff.sign_in(members["occupational_therapist"]).status_code == 303
    page = client.get(f"/referrals/{referral.id}/assessment")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    answers = {"csrf_token": token, "version": str(referral.version), "outcomes_wanted": "Bathe without help",
               "strengths": "Daughter visits daily", "needs_by_area": "Bathing: cannot step over the bath",
               "risks": "Slipped twice", "tecs_considered": "yes", "tecs_what": "Pendant alarm",
               "recommendations": ["equipment"]}
    return referral, answers


def test_monitoring_technology_needs_consent_and_capacity(client, db_session, assessing):
    referral, answers = assessing
    before = snapshot()
    resp = client.post(f"/referrals/{referral.id}/assessment",
                       data={**answers, "monitoring_devices": ["gps"], "less_restrictive": "Tried a phone"})
    body = refused_on(resp, "consent_by", "consent", "Bathe without help", "Daughter visits daily", "Tried a phone")
    assert 'value="gps" checked' in body or re.search(r'value="gps"[^>]*checked', body)
    assert snapshot() == before and services.assessment_for(db_session, referral) is None


def test_tecs_not_considered_needs_a_reason(client, db_session, assessing):
    referral, answers = assessing
    before = snapshot()
    resp = client.post(f"/referrals/{referral.id}/assessment",
                       data={**answers, "tecs_considered": "no", "tecs_what": ""})
    refused_on(resp, "tecs_why_not", "why", "Bathe without help", "Slipped twice")
    assert snapshot() == before


# -- a professional referral -----------------------------------------------------------------------

def test_a_hospital_discharge_referral_needs_a_discharge_date(client, staff, db_session):
    staff.login_as("triage_officer")
    token = staff.csrf("/referrals/new")
    before = snapshot()
    resp = client.post("/referrals/new", data={
        "csrf_token": token, "submission_key": new_submission_key(), "source": "hospital_discharge",
        "referrer_name": "Ward 7 discharge team", "referrer_phone": "01632 960001", "given_name": "Anita",
        "family_name": "Patel", "date_of_birth": ["2", "1", "1950"], "address_line_1": "3 Park Road",
        "postcode": "AB1 9ZZ", "tenure": "owner", "needs": ["equipment"], "help_wanted": "Needs a commode at home",
        "priority": "urgent", "consent": "yes"})
    refused_on(resp, "discharge_date", "discharge", "Ward 7 discharge team", "Needs a commode at home", "3 Park Road")
    assert snapshot() == before


# -- an equipment order ----------------------------------------------------------------------------

@pytest.fixture
def ordering(client, staff, db_session):
    world = make_world(db_session)
    equipment.receive_stock(db_session, "test", world["north"].id, world["rail"].id, 5, "In")
    db_session.commit()
    staff.login_as("occupational_therapist")
    url = f"/equipment/orders/new?person={world['person'].id}"
    token = staff.csrf(url)
    answers = {"csrf_token": token, "submission_key": new_submission_key(), "store_id": str(world["north"].id),
               "priority": "standard", "product_1": str(world["rail"].id), "quantity_1": "1",
               "notes": "Ring the bell twice"}
    return world, url, answers


def test_reserving_an_order_for_more_than_is_in_stock_is_refused_on_its_page(client, staff, db_session, ordering):
    """An order may wait for stock; reserving it when the store has too few is refused there."""
    world, url, answers = ordering
    resp = client.post(url, data={**answers, "product_1": str(world["commode"].id), "quantity_1": "3"})
    assert resp.status_code == 303
    order_url = resp.headers["Location"]
    staff.login_as("stores_officer")
    page = client.get(order_url)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page.text).group(1)
    before = snapshot()
    resp = client.post(f"{order_url}/reserve", data={"csrf_token": csrf_from(page.text), "version": version})
    refused_on(resp, "main-content", "Not enough Commode in North store")
    assert snapshot() == before


def test_an_order_with_a_planned_date_in_the_past_is_refused_on_the_date(client, db_session, ordering):
    world, url, answers = ordering
    before = snapshot()
    resp = client.post(url, data={**answers, "planned_date": _date(today() - timedelta(days=2))})
    refused_on(resp, "planned_date", "must be today or in the future", "Ring the bell twice")
    assert snapshot() == before


# -- duplicate tags --------------------------------------------------------------------------------

def test_a_duplicate_asset_tag_is_refused_on_the_tag(client, staff, db_session):
    world = make_world(db_session)
    equipment.add_asset(db_session, "test", product_id=world["hoist"].id, store_id=world["north"].id,
                        asset_tag="DUP-0001")
    db_session.commit()
    staff.login_as("stores_officer")
    token = staff.csrf("/staff")
    before = snapshot()
    resp = client.post(f"/equipment/stores/{world['north'].id}/assets/new", data={
        "csrf_token": token, "product_id": str(world["hoist"].id), "asset_tag": "dup-0001", "serial": "SN-778",
        "purchase_cost": "950.00"})
    refused_on(resp, "asset_tag", "already", "SN-778")
    assert snapshot() == before


def test_an_order_without_a_product_or_a_kit_is_refused_on_the_product(client, db_session, ordering):
    _world, url, answers = ordering
    before = snapshot()
    resp = client.post(url, data={**answers, "product_1": ""})
    refused_on(resp, "product_1", "Select a product or a kit", "Ring the bell twice")
    assert snapshot() == before


# -- routing ---------------------------------------------------------------------------------------

def test_routing_to_a_trusted_assessor_needs_the_level(client, staff, db_session, make_referral):
    triage = staff.create("triage_officer")
    referral = build(db_session, make_referral, {"triage_officer": triage, "trusted_assessor": None,
                                                 "occupational_therapist": None}, "screened")
    db_session.commit()
    assert staff.sign_in(triage).status_code == 303
    token = staff.csrf(f"/referrals/{referral.id}")
    before = snapshot()
    resp = client.post(f"/referrals/{referral.id}/route", data={
        "csrf_token": token, "version": str(referral.version), "route-route_to": "trusted_assessor",
        "route-complex_case": "no", "route-reason": "Straightforward bath board"})
    refused_on(resp, "route-ta_level_required", "Select the trusted assessor level needed",
               "Straightforward bath board")
    assert snapshot() == before
