"""NHS referrals in FHIR R4: a ServiceRequest with its Patient becomes a referral in the triage
queue, the NHS number matched safely; anything wrong is an OperationOutcome naming the element."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.servicerequest import ServiceRequest
from sqlalchemy import func, select

from portal.api import services
from portal.api.fhir import HELD_TEXT
from portal.audit.models import AuditEvent
from portal.auth.roles import TRIAGE_OFFICER
from portal.people.models import IdentityCheck, Person
from portal.people.services import create_person
from portal.referrals.models import Referral
from portal.referrals.services import QueueFilters, queue

EXAMPLES = Path(__file__).parent / "fhir_examples"
URL = "/api/v1/fhir/ServiceRequest"
FHIR = "application/fhir+json"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def key(db_session):
    return services.register_client(db_session, "test", name="Ashdown General discharge system",
                                    scopes=["referrals:write"]).key


def post(client, key, body, *, content_type=FHIR, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {key}", **headers})


def outcome(resp) -> OperationOutcome:
    """The body is an OperationOutcome that fhir.resources accepts, sent as FHIR JSON."""
    assert resp.mimetype == FHIR, resp.text[:300]
    return OperationOutcome.model_validate(resp.get_json())


def referral_for(db_session, resp) -> Referral:
    reference = resp.get_json()["id"] if resp.get_json()["resourceType"] == "ServiceRequest" else None
    if reference is None:
        reference = resp.headers["Location"].rsplit("/", 1)[1]
    return db_session.scalar(select(Referral).where(Referral.reference == reference))


def service_request(bundle: dict) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest")


# ---------------------------------------------------------------- valid examples

VALID = {
    "hospital_discharge_bundle.json": dict(
        family="Pemberton", given="Margaret Ann", nhs="9434765919", source="hospital_discharge",
        needs=["equipment", "ot_assessment", "telecare"], priority="urgent", discharge=date(2026, 12, 9),
        referrer="Sister Grace Okafor", organisation="Ashdown General Hospital discharge team",
        phone="01632 960123", consent=True, postcode="AD1 4QT"),
    "gp_referral_bundle.json": dict(
        family="Hollis", given="Edward", nhs="4857773457", source="gp", needs=["falls", "telecare"],
        priority="routine", discharge=None, referrer="Dr Amir Shah", organisation="Beech Street Surgery",
        phone="01632 960200", consent=True, postcode="AD3 9XZ"),
    "contained_service_request.json": dict(
        family="Nowak", given="Irena", nhs=None, source="social_worker", needs=["minor_adaptation"],
        priority="high", discharge=None, referrer="Dana Whitfield", organisation=None, phone=None, consent=False,
        postcode="AD1 2BD"),
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_each_valid_example_arrives_in_the_triage_queue(client, db_session, staff, key, name):
    want = VALID[name]
    resp = post(client, key, example(name))
    assert resp.status_code == 201, resp.text[:500]
    referral = referral_for(db_session, resp)
    person = referral.person
    assert (person.family_name, person.given_name, person.nhs_number, person.postcode) == (
        want["family"], want["given"], want["nhs"], want["postcode"])
    assert referral.source == want["source"] and sorted(referral.need_names) == want["needs"]
    assert referral.priority == want["priority"] and referral.discharge_date == want["discharge"]
    assert (referral.referrer_name, referral.referrer_organisation, referral.referrer_phone) == (
        want["referrer"], want["organisation"], want["phone"])
    assert referral.consent_given is want["consent"]
    triager = staff.create(TRIAGE_OFFICER)
    listed = queue(db_session, triager, QueueFilters(search=referral.reference)).items
    assert [row.reference for row in listed] == [referral.reference]


def test_the_answer_echoes_the_service_request_with_the_portal_reference(client, db_session, key):
    resp = post(client, key, example("hospital_discharge_bundle.json"))
    assert resp.status_code == 201 and resp.mimetype == FHIR
    echoed = ServiceRequest.model_validate(resp.get_json())
    referral = referral_for(db_session, resp)
    assert echoed.id == referral.reference
    assert resp.headers["Location"].endswith(f"/api/v1/fhir/ServiceRequest/{referral.reference}")
    systems = {i.system: i.value for i in echoed.identifier}
    assert systems["https://tecs.ashdown.gov.uk/fhir/referral"] == referral.reference
    assert systems["https://ashdown-hospital.nhs.uk/discharge-referrals"] == "DR-2026-000481"


def test_help_and_risks_come_from_the_notes_and_reasons(client, db_session, key):
    referral = referral_for(db_session, post(client, key, example("hospital_discharge_bundle.json")))
    assert referral.help_wanted.startswith("Needs a commode, a perching stool and a pendant alarm")
    assert referral.risk_summary == "Fell at home and lay on the floor overnight; lives alone"


def test_an_unverified_nhs_number_is_recorded_for_triage(client, db_session, key):
    resp = post(client, key, example("gp_referral_bundle.json"), Prefer="return=OperationOutcome")
    assert resp.status_code == 201
    issues = outcome(resp).issue
    assert issues[0].severity == "information" and issues[0].diagnostics.startswith("Referral received: R-")
    assert any("verification status 02" in i.diagnostics for i in issues)
    referral = referral_for(db_session, resp)
    assert "NHS number not verified by the sender (02 Number present but not traced)" in referral.risk_summary
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "fhir.referral_received",
                                                       AuditEvent.entity_id == str(referral.id)))
    assert event is not None and event.details["nhs_number_verification"] == "02"


def test_fhir_priorities_map_onto_the_portal_priorities(client, db_session, key):
    got = {}
    for fhir_priority in ("routine", "urgent", "asap", "stat", None):
        body = example("contained_service_request.json")
        body["identifier"][0]["value"] = f"ASC-{fhir_priority}"
        if fhir_priority is None:
            del body["priority"]
        else:
            body["priority"] = fhir_priority
        got[fhir_priority] = referral_for(db_session, post(client, key, body)).priority
    assert got == {"routine": "routine", "urgent": "high", "asap": "urgent", "stat": "urgent", None: "routine"}


# ---------------------------------------------------------------- NHS number matched safely


def known_person(db_session, **changes):
    details = dict(given_name="Margaret Ann", family_name="Pemberton", date_of_birth=date(1938, 4, 17),
                   address_line_1="14 Mill Lane", postcode="AD1 4QT", nhs_number="9434765919")
    return create_person(db_session, "test", **{**details, **changes})


def test_an_nhs_number_with_the_same_name_and_birth_date_is_the_same_person(client, db_session, key):
    known = known_person(db_session)
    referral = referral_for(db_session, post(client, key, example("hospital_discharge_bundle.json")))
    assert referral.person_id == known.id
    assert db_session.scalar(select(func.count()).select_from(IdentityCheck)) == 0


@pytest.mark.parametrize("change", [{"family_name": "Smith"}, {"date_of_birth": date(1938, 4, 18)}])
def test_an_nhs_number_on_someone_else_is_held_for_triage(client, db_session, staff, key, change):
    known = known_person(db_session, **change)
    resp = post(client, key, example("hospital_discharge_bundle.json"))
    assert resp.status_code == 201  # received, as on the web form, but held for a person to decide
    issues = outcome(resp).issue
    assert issues[0].severity == "information"
    warning = next(i for i in issues if i.severity == "warning")
    assert (warning.code, warning.diagnostics) == ("business-rule", HELD_TEXT)
    referral = referral_for(db_session, resp)
    assert referral.person_id != known.id and referral.person.nhs_number is None
    check = db_session.scalar(select(IdentityCheck).where(IdentityCheck.person_id == referral.person_id))
    assert check.state == "open" and check.existing_person_id == known.id and check.nhs_number == "9434765919"
    triager = staff.login_as(TRIAGE_OFFICER)
    listed = queue(db_session, triager, QueueFilters(search=referral.reference)).items
    assert [row.reference for row in listed] == [referral.reference]
    page = client.get(f"/referrals/{referral.id}")
    assert page.status_code == 200 and "Identity to check." in page.text


# ---------------------------------------------------------------- once per identifier


def referral_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Referral))


def test_a_retry_returns_the_same_referral(client, db_session, key):
    first = post(client, key, example("hospital_discharge_bundle.json"))
    again = post(client, key, example("hospital_discharge_bundle.json"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"] and referral_count(db_session) == 1


def test_a_retry_of_a_held_referral_still_says_it_is_held(client, db_session, key):
    known_person(db_session, family_name="Smith")
    first = post(client, key, example("hospital_discharge_bundle.json"))
    again = post(client, key, example("hospital_discharge_bundle.json"))
    assert again.status_code == 200 and first.headers["Location"] == again.headers["Location"]
    assert any(i.diagnostics == HELD_TEXT for i in outcome(again).issue)
    assert db_session.scalar(select(func.count()).select_from(Person).where(Person.family_name == "Pemberton")) == 1


def test_the_identifier_is_per_client(client, db_session, key):
    other = services.register_client(db_session, "test", name="Another hospital", scopes=["referrals:write"]).key
    assert post(client, key, example("gp_referral_bundle.json")).status_code == 201
    assert post(client, other, example("gp_referral_bundle.json")).status_code == 201
    assert referral_count(db_session) == 2


def test_the_idempotency_key_header_makes_one_referral_without_identifiers(client, db_session, key):
    body = example("contained_service_request.json")
    del body["identifier"]
    first = post(client, key, body, **{"Idempotency-Key": "7f1d2c"})
    again = post(client, key, body, **{"Idempotency-Key": "7f1d2c"})
    other = post(client, key, body, **{"Idempotency-Key": "8a9b0c"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert referral_count(db_session) == 2


def test_the_bundle_identifier_is_used_when_the_service_request_has_none(client, db_session, key):
    body = example("hospital_discharge_bundle.json")
    del service_request(body)["identifier"]
    assert [post(client, key, body).status_code for _ in range(2)] == [201, 200]
    assert referral_count(db_session) == 1


def test_the_same_identifier_with_another_referral_is_a_conflict(client, db_session, key):
    assert post(client, key, example("gp_referral_bundle.json")).status_code == 201
    changed = example("gp_referral_bundle.json")
    service_request(changed)["note"][0]["text"] = "Someone else entirely"
    resp = post(client, key, changed)
    assert resp.status_code == 409 and outcome(resp).issue[0].code == "conflict"
    assert referral_count(db_session) == 1


# ---------------------------------------------------------------- bad input: an OperationOutcome, never a 500

INVALID = {
    "birthdate_not_a_fhir_date.json": (400, "structure", "Bundle.entry[0].resource.birthDate"),
    "nhs_number_fails_modulus_11.json": (422, "value", "Patient.identifier[0].value"),
    "unknown_snomed_code.json": (422, "code-invalid", "Bundle.entry[4].resource.code.coding[0].code"),
    "missing_patient.json": (422, "not-found", "Bundle.entry[3].resource.subject"),
    "hospital_discharge_without_date.json": (422, "required", "Bundle.entry[4].resource.occurrence"),
    "draft_status.json": (422, "business-rule", "Bundle.entry[4].resource.status"),
    "consent_missing.json": (422, "required", "Bundle.entry[4].resource.extension"),
    "postcode_not_uk.json": (422, "value", "Patient.address.postalCode"),
    "two_service_requests.json": (422, "invalid", "Bundle.entry"),
    "searchset_bundle.json": (422, "not-supported", "Bundle.type"),
    "no_official_name.json": (422, "required", "Patient.name"),
    "unresolvable_subject.json": (422, "not-found", "ServiceRequest.subject"),
    "free_text_code_only.json": (422, "required", "ServiceRequest.code"),
    "unknown_element.json": (400, "structure", "ServiceRequest.patientName"),
    "partial_birthdate.json": (422, "required", "Patient.birthDate"),
    "patient_not_service_request.json": (400, "not-supported", "resourceType"),
    "not_json.json": (400, "structure", None),
}


def test_every_invalid_example_has_its_expectation():
    assert sorted(p.name for p in (EXAMPLES / "invalid").iterdir()) == sorted(INVALID)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_each_invalid_example_gets_an_operation_outcome_naming_the_element(client, db_session, key, name):
    status, code, expression = INVALID[name]
    resp = post(client, key, (EXAMPLES / "invalid" / name).read_bytes())
    assert resp.status_code == status, resp.text[:500]
    issues = outcome(resp).issue
    assert all(i.severity == "error" for i in issues)
    assert any(i.code == code and (expression is None or expression in (i.expression or [])) for i in issues), \
        [(i.code, i.expression) for i in issues]
    assert referral_count(db_session) == 0


def test_every_problem_is_reported_at_once(client, key):
    body = example("contained_service_request.json")
    body["status"] = "revoked"
    body["contained"][0]["address"][0]["postalCode"] = "nowhere"
    del body["extension"]
    resp = post(client, key, body)
    expressions = {e for i in outcome(resp).issue for e in i.expression}
    assert resp.status_code == 422
    assert {"ServiceRequest.status", "Patient.address.postalCode", "ServiceRequest.extension"} <= expressions


def test_without_a_key_the_answer_is_a_401_operation_outcome(client):
    resp = client.post(URL, data=json.dumps(example("contained_service_request.json")), content_type=FHIR)
    assert resp.status_code == 401 and outcome(resp).issue[0].code == "login"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_key_without_the_write_scope_is_refused_with_an_operation_outcome(client, db_session):
    reader = services.register_client(db_session, "test", name="Reader", scopes=["referrals:read"]).key
    resp = post(client, reader, example("contained_service_request.json"))
    assert resp.status_code == 403 and outcome(resp).issue[0].code == "forbidden"


def test_another_content_type_is_415(client, db_session, key):
    resp = post(client, key, json.dumps(example("contained_service_request.json")), content_type="text/plain")
    assert resp.status_code == 415 and outcome(resp).issue[0].code == "not-supported"
    assert referral_count(db_session) == 0


def test_plain_json_is_accepted_too(client, key):
    resp = post(client, key, example("contained_service_request.json"), content_type="application/json")
    assert resp.status_code == 201


def test_a_body_over_a_megabyte_is_413(client, key):
    body = example("contained_service_request.json")
    body["note"][0]["text"] = "x" * (1024 * 1024)
    resp = post(client, key, body)
    assert resp.status_code == 413 and outcome(resp).issue[0].code == "too-costly"


@pytest.mark.parametrize("method, path, status", [("get", URL, 405), ("post", "/api/v1/fhir/Patient", 404)])
def test_other_methods_and_paths_answer_an_operation_outcome(client, method, path, status):
    resp = getattr(client, method)(path)
    assert resp.status_code == status and outcome(resp).issue[0].severity == "error"


def test_a_text_the_database_cannot_store_is_refused(client, db_session, key):
    body = example("contained_service_request.json")
    body["note"][0]["text"] = "before\x00after"
    resp = post(client, key, body)
    assert resp.status_code == 400 and outcome(resp).issue[0].expression == ["ServiceRequest.note[0].text"]


def test_a_long_name_is_refused_not_truncated(client, db_session, key):
    body = example("contained_service_request.json")
    body["contained"][0]["name"][0]["family"] = "N" * 101
    resp = post(client, key, body)
    assert resp.status_code == 422 and outcome(resp).issue[0].expression == ["Patient.name.family"]


def test_a_refused_call_is_audited(client, db_session, key):
    post(client, key, (EXAMPLES / "invalid" / "draft_status.json").read_bytes())
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "api.called")
                              .order_by(AuditEvent.id.desc()))
    assert event.details["status"] == 422 and event.details["path"] == URL


def test_a_copy_is_not_changed_by_the_examples_helpers():
    first = example("gp_referral_bundle.json")
    service_request(copy.deepcopy(first))["note"] = []
    assert service_request(first)["note"]


def test_over_the_rate_the_answer_is_a_429_operation_outcome(client, db_session):
    slow = services.register_client(db_session, "test", name="Slow", scopes=["referrals:write"],
                                    rate_per_minute=1).key
    assert post(client, slow, example("contained_service_request.json")).status_code == 201
    resp = post(client, slow, example("contained_service_request.json"))
    assert resp.status_code == 429 and outcome(resp).issue[0].code == "throttled"
    assert int(resp.headers["Retry-After"]) >= 1


def test_a_fault_is_a_500_operation_outcome_with_nothing_saved(client, db_session, key, monkeypatch):
    from portal.api import fhir

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(fhir, "receive", broken)
    resp = post(client, key, example("contained_service_request.json"))
    assert resp.status_code == 500 and outcome(resp).issue[0].code == "exception"
    assert "a bug" not in resp.text and referral_count(db_session) == 0


def test_the_location_reads_back_as_a_service_request_for_the_client_that_sent_it(client, db_session):
    sender = services.register_client(db_session, "test", name="Discharge system (reads back)",
                                      scopes=["referrals:write", "referrals:read"]).key
    other = services.register_client(db_session, "test", name="Another system",
                                     scopes=["referrals:write", "referrals:read"]).key
    resp = post(client, sender, example("hospital_discharge_bundle.json"))
    location = resp.headers["Location"].replace("http://localhost", "")
    read = client.get(location, headers={"Authorization": f"Bearer {sender}"})
    assert read.status_code == 200 and read.mimetype == FHIR
    back = ServiceRequest.model_validate(read.get_json())
    referral = referral_for(db_session, resp)
    assert (back.id, back.status, back.intent, back.priority) == (referral.reference, "active", "order", "asap")
    assert back.subject.identifier.value == "9434765919"
    assert sorted(c.code for c in back.code.coding) == ["equipment", "ot_assessment", "telecare"]
    not_theirs = client.get(location, headers={"Authorization": f"Bearer {other}"})
    assert not_theirs.status_code == 404 and outcome(not_theirs).issue[0].severity == "error"
    no_scope = client.get(location, headers={"Authorization": f"Bearer {key_without_read(db_session)}"})
    assert no_scope.status_code == 403 and outcome(no_scope)


def key_without_read(db_session) -> str:
    return services.register_client(db_session, "test", name="Write only", scopes=["referrals:write"]).key
