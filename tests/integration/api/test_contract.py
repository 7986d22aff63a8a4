"""Contract tests generated from the OpenAPI document: for every operation and every response code
it documents, a case that provokes that answer and checks the body against the documented schema
(its $refs resolved) and media type. A documented answer with no case fails the suite, so a new
endpoint or answer must come with its case."""

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import delete

from portal.referrals.models import Referral
from tests.integration.api.conftest import NHS_NUMBER, OTHER_NHS_NUMBER, bearer, referral_body

REFERRALS, CHANGES, READ = "/api/v1/referrals", "/api/v1/referrals/changes", "/api/v1/referrals/{reference}"
EQUIPMENT, TELECARE = "/api/v1/people/{nhs_number}/equipment", "/api/v1/people/{nhs_number}/telecare"


class World:
    """What a case needs: keys by scope, a referral the writer sent, a person with kit."""

    def __init__(self, client, make_key, person):
        self.client, self.person = client, person
        self.writer, _ = make_key("referrals:write", "referrals:read")
        self.people, _ = make_key("people:read")
        self.nobody, _ = make_key("people:read")  # has no referrals scope
        self.reader_only, _ = make_key("referrals:read")  # no write, no people
        self._make_key = make_key

    def slow(self, *scopes):
        """A key allowed one call a minute, with that call already spent."""
        key, _ = self._make_key(*scopes, rate=1)
        self.client.get("/api/v1/referrals/changes?since=2026-01-01T00:00:00Z", headers=bearer(key))
        return key

    def send(self, key="IK-1", body=None):
        return self.client.post(REFERRALS, json=body or referral_body(), headers={**bearer(self.writer),
                                                                                   "Idempotency-Key": key})


def _people(path, key_attr, nhs=NHS_NUMBER):
    return lambda w: w.client.get(path.format(nhs_number=nhs), headers=bearer(getattr(w, key_attr)))


def _removed_then_replayed(w):
    made = w.send("IK-gone")
    db = w.client.application.extensions["sqlalchemy"].session
    db.execute(delete(Referral).where(Referral.reference == made.json["reference"]))
    db.commit()
    return w.send("IK-gone")


CASES = {
    ("post", REFERRALS, "201"): lambda w: w.send(),
    ("post", REFERRALS, "200"): lambda w: (w.send("IK-again"), w.send("IK-again"))[1],
    ("post", REFERRALS, "401"): lambda w: w.client.post(REFERRALS, json=referral_body(),
                                                        headers={"Idempotency-Key": "x"}),
    ("post", REFERRALS, "403"): lambda w: w.client.post(REFERRALS, json=referral_body(),
                                                        headers={**bearer(w.reader_only), "Idempotency-Key": "x"}),
    ("post", REFERRALS, "404"): _removed_then_replayed,
    ("post", REFERRALS, "422"): lambda w: w.send(body=referral_body(person={"nhs_number": "1234567890"})),
    ("post", REFERRALS, "429"): lambda w: w.client.post(REFERRALS, json=referral_body(), headers={
        **bearer(w.slow("referrals:write", "referrals:read")), "Idempotency-Key": "x"}),
    ("get", CHANGES, "200"): lambda w: (w.send(), w.client.get(CHANGES + "?since=2000-01-01T00:00:00Z",
                                                               headers=bearer(w.writer)))[1],
    ("get", CHANGES, "401"): lambda w: w.client.get(CHANGES + "?since=2000-01-01T00:00:00Z"),
    ("get", CHANGES, "403"): lambda w: w.client.get(CHANGES + "?since=2000-01-01T00:00:00Z", headers=bearer(w.nobody)),
    ("get", CHANGES, "422"): lambda w: w.client.get(CHANGES + "?since=yesterday", headers=bearer(w.writer)),
    ("get", CHANGES, "429"): lambda w: w.client.get(CHANGES + "?since=2000-01-01T00:00:00Z",
                                                    headers=bearer(w.slow("referrals:read"))),
    ("get", READ, "200"): lambda w: w.client.get(READ.format(reference=w.send().json["reference"]),
                                                 headers=bearer(w.writer)),
    ("get", READ, "401"): lambda w: w.client.get(READ.format(reference="R-AAAA-AAAA"),
                                                 headers=bearer("tecs_0000000000000000_" + "a" * 43)),
    ("get", READ, "403"): lambda w: w.client.get(READ.format(reference="R-AAAA-AAAA"), headers=bearer(w.nobody)),
    ("get", READ, "404"): lambda w: w.client.get(READ.format(reference="R-AAAA-AAAA"), headers=bearer(w.writer)),
    ("get", READ, "422"): lambda w: w.client.get(READ.format(reference="R-0000-0000"), headers=bearer(w.writer)),
    ("get", READ, "429"): lambda w: w.client.get(READ.format(reference="R-AAAA-AAAA"),
                                                 headers=bearer(w.slow("referrals:read"))),
    ("get", EQUIPMENT, "200"): _people(EQUIPMENT, "people"),
    ("get", EQUIPMENT, "401"): lambda w: w.client.get(EQUIPMENT.format(nhs_number=NHS_NUMBER)),
    ("get", EQUIPMENT, "403"): _people(EQUIPMENT, "writer"),
    ("get", EQUIPMENT, "404"): _people(EQUIPMENT, "people", OTHER_NHS_NUMBER),
    ("get", EQUIPMENT, "422"): _people(EQUIPMENT, "people", "1234567890"),
    ("get", EQUIPMENT, "429"): lambda w: w.client.get(EQUIPMENT.format(nhs_number=NHS_NUMBER),
                                                      headers=bearer(w.slow("people:read"))),
    ("get", TELECARE, "200"): _people(TELECARE, "people"),
    ("get", TELECARE, "401"): lambda w: w.client.get(TELECARE.format(nhs_number=NHS_NUMBER)),
    ("get", TELECARE, "403"): _people(TELECARE, "reader_only"),
    ("get", TELECARE, "404"): _people(TELECARE, "people", OTHER_NHS_NUMBER),
    ("get", TELECARE, "422"): _people(TELECARE, "people", "94347659"),
    ("get", TELECARE, "429"): lambda w: w.client.get(TELECARE.format(nhs_number=NHS_NUMBER),
                                                     headers=bearer(w.slow("people:read"))),
}


@pytest.fixture
def document(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.json


def _documented(document) -> set[tuple[str, str, str]]:
    return {(method, path, code) for path, operations in document["paths"].items()
            for method, operation in operations.items() for code in operation["responses"]}


def test_every_documented_answer_has_a_case_and_every_case_is_documented(document):
    assert _documented(document) == set(CASES)


def test_every_operation_needs_the_bearer_key(document):
    assert document["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
    assert document["security"] == [{"bearer": []}]
    for operations in document["paths"].values():
        for operation in operations.values():
            assert {"401", "403", "429"} <= set(operation["responses"])


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0].upper()} {c[1]} {c[2]}")
def test_each_documented_answer(case, client, document, make_key, person_with_kit):
    method, path, code = case
    resp = CASES[case](World(client, make_key, person_with_kit))
    assert resp.status_code == int(code), resp.get_data(as_text=True)[:600]
    documented = document["paths"][path][method]["responses"][code]
    (media_type, content), = documented["content"].items()
    assert resp.mimetype == media_type
    schema = {**content["schema"], "components": document["components"]}
    errors = sorted(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(resp.json),
                    key=str)
    assert errors == [], [e.message for e in errors]
    if code == "429":
        assert int(resp.headers["Retry-After"]) >= 1
    if code == "401":
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
