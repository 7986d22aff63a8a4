"""The referral API's rules: intake as the staff form (NHS number matched safely, the form's own
checks), idempotent creates, scopes and object access per client, the changes feed, people reads
audited, and problem details (never a 500) for bad input."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from portal.api import referrals as api_referrals
from portal.api import services
from portal.audit.models import AuditEvent
from portal.people.models import IdentityCheck, Person
from portal.referrals.models import Referral
from portal.timeutil import utcnow
from tests.integration.api.conftest import NHS_NUMBER, bearer, referral_body

REFERRALS = "/api/v1/referrals"


def send(client, key, body=None, idem="IK-1"):
    return client.post(REFERRALS, json=body or referral_body(), headers={**bearer(key), "Idempotency-Key": idem})


@pytest.fixture
def writer(make_key):
    return make_key("referrals:write", "referrals:read")


# ---------------------------------------------------------------- create


def test_a_referral_is_created_with_its_clocks_and_location(client, writer, db_session):
    key, api_client = writer
    resp = send(client, key)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert resp.headers["Location"] == f"/api/v1/referrals/{body['reference']}"
    assert body["state"] == "submitted" and body["priority"] == "urgent" and body["identity_check"] is None
    assert body["clocks"]["current"]["label"] == "Contact by" and body["clocks"]["current"]["seconds_left"] > 0
    referral = db_session.scalar(select(Referral).where(Referral.reference == body["reference"]))
    assert referral.api_client_id == api_client.id and referral.source == "hospital_discharge"
    assert referral.person.postcode == "AB1 2DE" and referral.consent_given is True
    assert referral.submission_key == api_referrals.submission_key(api_client, "IK-1")
    actor = db_session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "referral.created",
                                                             AuditEvent.entity_id == str(referral.id)))
    assert actor == api_client.actor


def test_the_clocks_agree_with_the_queue(client, writer, db_session):
    from portal.referrals.services import clock_reading

    resp = send(client, writer[0])
    referral = db_session.scalar(select(Referral).where(Referral.reference == resp.json["reference"]))
    reading = clock_reading(referral, utcnow())
    current = resp.json["clocks"]["current"]
    assert (current["status"], current["text"].split(" ")[0]) == (reading.status, reading.text.split(" ")[0])
    assert current["due_at"].startswith(referral.contact_due_at.isoformat()[:16])


def test_the_same_key_and_body_replays_the_first_answer_and_makes_one_referral(client, writer, db_session):
    first = send(client, writer[0])
    again = send(client, writer[0])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["reference"] == first.json["reference"]
    assert db_session.scalar(select(Referral.id).where(Referral.api_client_id == writer[1].id).limit(2)
                             .order_by(Referral.id.desc())) is not None
    assert len(db_session.scalars(select(Referral.id).where(Referral.api_client_id == writer[1].id)).all()) == 1


def test_the_same_key_with_another_body_is_refused(client, writer):
    send(client, writer[0])
    other = send(client, writer[0], referral_body(priority="routine"))
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert other.json["errors"][0]["field"] == "Idempotency-Key"


def test_two_clients_may_use_the_same_key(client, writer, make_key):
    other, _ = make_key("referrals:write")
    assert send(client, writer[0]).status_code == 201
    assert send(client, other).status_code == 201


def test_a_missing_idempotency_key_is_a_field_error(client, writer):
    resp = client.post(REFERRALS, json=referral_body(), headers=bearer(writer[0]))
    assert resp.status_code == 422
    assert resp.json["errors"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("change,field,message", [
    (dict(person={"nhs_number": "943 476 5918"}), "person.nhs_number", "Enter a valid NHS number"),
    (dict(person={"postcode": "nowhere"}), "person.postcode", "Enter a real postcode"),
    (dict(person={"date_of_birth": (date.today() + timedelta(days=1)).isoformat()}), "person.date_of_birth",
     "Date of birth must be in the past"),
    (dict(person={"given_name": "   "}), "person.given_name", "Enter the person's first name"),
    (dict(discharge_date=None), "discharge_date", "Enter the planned discharge date"),
    (dict(source="self"), "source", ""),  # the public form's sources are not the API's
    (dict(consent="not_given"), "consent", ""),  # as on the web form: agreement or best interest
    (dict(needs=[]), "needs", ""),
    (dict(unexpected="x"), "unexpected", ""),
])
def test_the_web_forms_checks_refuse_bad_input_as_field_errors(client, writer, db_session, change, field, message):
    resp = send(client, writer[0], referral_body(**change))
    assert resp.status_code == 422, resp.json
    assert resp.mimetype == "application/problem+json"
    assert any(e["field"] == field and message in e["message"] for e in resp.json["errors"]), resp.json
    assert db_session.scalar(select(Referral.id).where(Referral.api_client_id == writer[1].id)) is None


@pytest.mark.parametrize("raw", [b"not json", b"[]", b'{"person": 5}'])
def test_a_body_that_is_not_a_referral_is_422_not_500(client, writer, raw):
    resp = client.post(REFERRALS, data=raw, content_type="application/json",
                       headers={**bearer(writer[0]), "Idempotency-Key": "k"})
    assert resp.status_code == 422 and resp.json["errors"]


def test_a_form_post_is_422_not_500(client, writer):
    resp = client.post(REFERRALS, data={"source": "gp"}, headers={**bearer(writer[0]), "Idempotency-Key": "k"})
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "body"


def test_a_best_interest_referral_records_why(client, writer, db_session):
    resp = send(client, writer[0], referral_body(consent="best_interest", source="gp", discharge_date=None))
    assert resp.status_code == 201
    referral = db_session.scalar(select(Referral).where(Referral.reference == resp.json["reference"]))
    assert referral.consent_given is False and "best interest" in referral.consent_note


def test_an_nhs_number_on_someone_else_is_held_for_triage_as_on_the_web(client, writer, db_session,
                                                                        person_with_kit, staff):
    resp = send(client, writer[0], referral_body(person={"nhs_number": NHS_NUMBER, "given_name": "Edwina"}))
    assert resp.status_code == 201 and resp.json["identity_check"] == "held for triage"
    assert resp.json["nhs_number"] is None  # not on the new record until a person decides
    referral = db_session.scalar(select(Referral).where(Referral.reference == resp.json["reference"]))
    assert referral.person_id != person_with_kit.id
    check = db_session.scalar(select(IdentityCheck).where(IdentityCheck.person_id == referral.person_id))
    assert check.existing_person_id == person_with_kit.id and check.state == "open"
    staff.login_as("triage_officer")
    assert resp.json["reference"] in client.get("/referrals").text
    assert "Identity to check" in client.get(f"/referrals/{referral.id}").text


def test_the_same_name_and_birth_date_joins_the_record(client, writer, db_session, person_with_kit):
    resp = send(client, writer[0], referral_body(person={"nhs_number": "943 476 5919"}))
    assert resp.json["identity_check"] is None and resp.json["nhs_number"] == NHS_NUMBER
    referral = db_session.scalar(select(Referral).where(Referral.reference == resp.json["reference"]))
    assert referral.person_id == person_with_kit.id


# ---------------------------------------------------------------- keys, scopes and object access


def test_a_client_reads_only_the_referrals_it_sent(client, writer, make_key):
    reference = send(client, writer[0]).json["reference"]
    other, _ = make_key("referrals:read")
    assert client.get(f"{REFERRALS}/{reference}", headers=bearer(writer[0])).status_code == 200
    assert client.get(f"{REFERRALS}/{reference.lower()}", headers=bearer(writer[0])).status_code == 200
    refused = client.get(f"{REFERRALS}/{reference}", headers=bearer(other))
    assert refused.status_code == 404 and reference not in refused.text


def test_read_all_reads_every_referral(client, writer, make_key):
    reference = send(client, writer[0]).json["reference"]
    council, _ = make_key("referrals:read", "referrals:read-all")
    assert client.get(f"{REFERRALS}/{reference}", headers=bearer(council)).json["reference"] == reference


def test_read_all_needs_read(db_session):
    from portal.errors import Refusal

    with pytest.raises(Refusal, match="needs referrals:read"):
        services.register_client(db_session, "test", name="Half", scopes=["referrals:read-all"])


def test_a_write_only_client_cannot_read_what_it_sent(client, make_key):
    key, _ = make_key("referrals:write")
    made = send(client, key)
    assert made.status_code == 201
    assert client.get(made.headers["Location"], headers=bearer(key)).status_code == 403


def test_a_client_without_people_read_gets_403_and_it_is_audited(client, writer, db_session, person_with_kit):
    resp = client.get(f"/api/v1/people/{NHS_NUMBER}/equipment", headers=bearer(writer[0]))
    assert resp.status_code == 403 and "people:read" in resp.json["detail"]
    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "api.called",
                                                       AuditEvent.entity_id == str(writer[1].id)))
    assert audit.details["status"] == 403 and audit.details["missing"] == ["people:read"]
    assert NHS_NUMBER not in str(audit.details)  # the route's pattern, never the NHS number


def test_a_revoked_key_is_401(client, writer, db_session):
    services.revoke_client(db_session, "admin", writer[1])
    db_session.commit()
    resp = send(client, writer[0])
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_over_the_rate_is_429_with_retry_after(client, make_key):
    key, _ = make_key("referrals:read", rate=2)
    url = f"{REFERRALS}/changes?since=2026-01-01T00:00:00Z"
    assert [client.get(url, headers=bearer(key)).status_code for _ in range(2)] == [200, 200]
    third = client.get(url, headers=bearer(key))
    assert third.status_code == 429 and 1 <= int(third.headers["Retry-After"]) <= 60


def test_the_document_is_served_without_a_key_and_no_doc_pages_exist(client, app):
    assert client.get("/api/v1/openapi.json").status_code == 200
    rules = [r.rule for r in app.url_map.iter_rules()]
    assert not [r for r in rules if "apidoc" in r or "swagger" in r or "redoc" in r]


# ---------------------------------------------------------------- people


def test_equipment_and_telecare_by_nhs_number_least_data_and_audited(client, make_key, db_session,
                                                                      person_with_kit):
    key, api_client = make_key("people:read")
    equipment = client.get(f"/api/v1/people/{NHS_NUMBER}/equipment", headers=bearer(key)).json
    assert [i["product"] for i in equipment["on_loan"]] == ["Commode"]
    assert equipment["on_loan"][0]["due_back"] == (date.today() + timedelta(days=30)).isoformat()
    telecare = client.get("/api/v1/people/943-476-5919/telecare", headers=bearer(key))
    assert telecare.status_code == 200 and telecare.json["connection"]["status"] == "active"
    assert "back door" not in telecare.text and "960003" not in telecare.text  # key safe, line number
    views = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "person.viewed",
                                                        AuditEvent.entity_id == str(person_with_kit.id))).all()
    assert [(v.actor, v.details["parts"]) for v in views] == [(api_client.actor, ["loans"]),
                                                              (api_client.actor, ["telecare"])]


def test_the_request_log_never_holds_the_nhs_number(client, make_key, person_with_kit, caplog):
    caplog.set_level("INFO", logger="portal.request")
    key, _ = make_key("people:read")
    assert client.get(f"/api/v1/people/{NHS_NUMBER}/equipment", headers=bearer(key)).status_code == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "portal.request"]
    assert any("/api/v1/people/<nhs_number>/equipment" in m for m in logged)
    assert not any(NHS_NUMBER in m for m in logged)


def test_a_person_without_a_connection_has_none(client, make_key, db_session):
    db_session.add(Person(given_name="A", family_name="B", date_of_birth=date(1950, 1, 1), address_line_1="1 Road",
                          postcode="AB1 2DE", nhs_number="4857773457", communication_needs=[], tenure="owner"))
    db_session.commit()
    key, _ = make_key("people:read")
    resp = client.get("/api/v1/people/4857773457/telecare", headers=bearer(key))
    assert resp.status_code == 200 and resp.json["connection"] is None


# ---------------------------------------------------------------- the changes feed


def _age(db_session, reference: str, seconds: int) -> None:
    db_session.execute(update(Referral).where(Referral.reference == reference)
                       .values(changed_at=utcnow() - timedelta(seconds=seconds)))
    db_session.commit()


def test_changes_are_paged_in_order_with_a_stable_cursor(client, writer, db_session):
    refs = [send(client, writer[0], idem=f"IK-{n}").json["reference"] for n in range(5)]
    for age, reference in zip((600, 500, 400, 300, 200), refs, strict=True):
        _age(db_session, reference, age)
    seen, cursor, url = [], None, f"{REFERRALS}/changes?limit=2&since=2000-01-01T00:00:00Z"
    for _ in range(4):
        page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=bearer(writer[0])).json
        seen += [c["reference"] for c in page["changes"]]
        cursor = page["next_cursor"]
        if not page["more"]:
            break
    assert seen == refs
    again = client.get(f"{REFERRALS}/changes?cursor={cursor}", headers=bearer(writer[0])).json
    assert again["changes"] == [] and again["more"] is False


def test_a_change_stamped_before_a_poll_but_committed_after_it_is_not_skipped(client, writer, db_session):
    """The feed only goes up to now - SETTLE and its cursor never passes that, so a change stamped
    before a poll whose transaction had not committed yet (invisible to that poll) still comes."""
    early = send(client, writer[0], idem="early").json["reference"]
    late = send(client, writer[0], idem="late").json["reference"]
    _age(db_session, early, 300)
    _age(db_session, late, 10)  # stamped 10 s before the poll: as good as uncommitted when it ran
    now = utcnow()
    first = api_referrals.changes(db_session, writer[1], since=now - timedelta(days=1), cursor=None, limit=100,
                                  now=now)
    assert [r.reference for r in first.referrals] == [early]
    later = api_referrals.changes(db_session, writer[1], since=None, cursor=first.next_cursor, limit=100,
                                  now=now + api_referrals.SETTLE + timedelta(seconds=1))
    assert [r.reference for r in later.referrals] == [late]


def test_a_changed_referral_comes_again(app, client, writer, db_session, staff):
    from portal.referrals import services as referral_services

    reference = send(client, writer[0]).json["reference"]
    _age(db_session, reference, 300)
    first = client.get(f"{REFERRALS}/changes?since=2000-01-01T00:00:00Z", headers=bearer(writer[0])).json
    referral = db_session.scalar(select(Referral).where(Referral.reference == reference))
    officer = staff.create("triage_officer")
    with app.test_request_context():
        referral_services.record_first_contact(db_session, officer, referral)
    db_session.commit()
    assert referral.changed_at > utcnow() - timedelta(seconds=5)
    assert client.get(f"{REFERRALS}/changes?cursor={first['next_cursor']}", headers=bearer(writer[0])).json[
        "changes"] == []  # not settled yet
    later = api_referrals.changes(db_session, writer[1], since=None, cursor=first["next_cursor"], limit=10,
                                  now=utcnow() + api_referrals.SETTLE + timedelta(seconds=1))
    assert [r.reference for r in later.referrals] == [reference]
    assert api_referrals.describe(db_session, later.referrals[0])["clocks"]["current"]["label"] == "Assessment by"


def test_changes_hold_only_what_the_client_may_read(client, writer, make_key, db_session):
    mine = send(client, writer[0]).json["reference"]
    other_key, _ = make_key("referrals:write", "referrals:read")
    theirs = send(client, other_key).json["reference"]
    council, _ = make_key("referrals:read", "referrals:read-all")
    _age(db_session, mine, 300)
    _age(db_session, theirs, 300)
    url = f"{REFERRALS}/changes?since=2000-01-01T00:00:00Z&limit=500"
    assert {c["reference"] for c in client.get(url, headers=bearer(writer[0])).json["changes"]} == {mine}
    assert {mine, theirs} <= {c["reference"] for c in client.get(url, headers=bearer(council)).json["changes"]}


@pytest.mark.parametrize("query", ["", "cursor=%%%", "cursor=bm90LWEtY3Vyc29y", "since=2026-13-01", "limit=0",
                                   "cursor=MjAyNi0wMS0wMVQwMDowMDowMHw5OTk5OTk5OTk5OTk5"])
def test_a_bad_changes_query_is_422(client, writer, query):
    resp = client.get(f"{REFERRALS}/changes?{query}", headers=bearer(writer[0]))
    assert resp.status_code == 422 and resp.json["errors"]


# ---------------------------------------------------------------- never a 500

_ANY = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                    max_leaves=8)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["person", "source", "needs", "help_wanted", "priority", "discharge_date", "consent",
                              "referrer", "risk_summary", "given_name", "date_of_birth", "nhs_number", "postcode"]),
       value=_ANY)
def test_any_value_in_any_field_is_a_referral_or_a_422_never_a_500(client, writer, field, value):
    body = referral_body()
    if field in body:
        body[field] = value
    else:
        body["person"][field] = value
    resp = send(client, writer[0], body, idem=f"fuzz-{field}-{value!r}"[:100])
    assert resp.status_code in (200, 201, 422), resp.get_data(as_text=True)[:300]  # 200: a repeated example
