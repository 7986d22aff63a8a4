"""The FHIR endpoint under odd input (never a 500) and under racing retries (one referral)."""

import json
import secrets
import threading
from pathlib import Path

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from portal.api import services
from portal.api.models import ApiClient
from portal.extensions import limiter
from portal.people.models import Person
from portal.referrals.models import Referral

EXAMPLES = Path(__file__).parent / "fhir_examples"
URL = "/api/v1/fhir/ServiceRequest"
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.sampled_from(["", "active", "order", "#patient", "urn:uuid:x", "1938-02-30", "9434765919",
                                     "AD1 4QT", "\x00", "\ud800", "x" * 300, "Patient", "ServiceRequest", "Bundle",
                                     "http://snomed.info/sct", "308453003"]),
                    st.text(max_size=20))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                    max_leaves=12)


def paths(value, prefix=()):
    """Every place in a JSON document: a dict key or a list index, at any depth."""
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in children:
        yield from paths(item, (*prefix, key))


def replaced(document, path, new, remove):
    doc = json.loads(json.dumps(document))
    if not path:
        return new
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if remove and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return doc


def assert_answered(resp) -> None:
    """Never a 500; every error is an OperationOutcome that fhir.resources accepts."""
    assert resp.status_code < 500, resp.text[:500]
    if resp.status_code >= 400:
        assert resp.mimetype == "application/fhir+json"
        OperationOutcome.model_validate(resp.get_json())


def _key(db_session):
    return services.register_client(db_session, "test", name="Fuzzer", scopes=["referrals:write"],
                                    rate_per_minute=6000).key


def test_random_json_never_gets_a_500(client, db_session):
    key = _key(db_session)

    @FUZZ
    @given(body=JSON)
    def run(body):
        limiter.reset()
        assert_answered(client.post(URL, data=json.dumps(body), content_type="application/fhir+json",
                                    headers={"Authorization": f"Bearer {key}"}))

    run()


def test_random_bytes_never_get_a_500(client, db_session):
    key = _key(db_session)

    @FUZZ
    @given(body=st.binary(max_size=200))
    def run(body):
        limiter.reset()
        assert_answered(client.post(URL, data=body, content_type="application/fhir+json",
                                    headers={"Authorization": f"Bearer {key}"}))

    run()


def test_a_valid_example_mutated_anywhere_never_gets_a_500(client, db_session):
    key = _key(db_session)
    documents = {name: json.loads((EXAMPLES / name).read_text()) for name in
                 ("hospital_discharge_bundle.json", "contained_service_request.json")}
    places = [(name, path) for name, doc in documents.items() for path in paths(doc)]

    @FUZZ
    @given(place=st.sampled_from(places), new=JSON, remove=st.booleans())
    def run(place, new, remove):
        limiter.reset()
        name, path = place
        body = replaced(documents[name], path, new, remove)
        assert_answered(client.post(URL, data=json.dumps(body), content_type="application/fhir+json",
                                    headers={"Authorization": f"Bearer {key}",
                                             "Idempotency-Key": secrets.token_hex(8)}))

    run()


def random_nhs_number() -> str:
    from portal.people.validators import nhs_check_digit

    while True:
        first = "".join(secrets.choice("0123456789") for _ in range(9))
        check = nhs_check_digit(first)
        if check is not None:
            return f"{first}{check}"


@pytest.mark.parametrize("with_nhs_number", [False, True])
def test_concurrent_retries_make_one_referral(tmp_path, with_nhs_number):
    """Eight copies of one ServiceRequest at once, against a real (committing) database: one
    referral and one person (with an NHS number, the retries also race on its unique index)."""
    from flask_migrate import upgrade

    from portal.extensions import db
    from tests.conftest import BACKEND, make_app

    if BACKEND == "postgresql":
        import os

        app = make_app(os.environ["TEST_DATABASE_URL"])  # migrated by the session; our rows are removed after
    else:
        app = make_app(f"sqlite:///{tmp_path / 'race.db'}")
        with app.app_context():
            upgrade(revision="heads")
    family = f"Race{secrets.token_hex(4)}"
    body = json.loads((EXAMPLES / "contained_service_request.json").read_text())
    body["contained"][0]["name"][0]["family"] = family
    body["identifier"][0]["value"] = family
    if with_nhs_number:
        body["contained"][0]["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number",
                                               "value": random_nhs_number()}]
    with app.app_context():
        new = services.register_client(db.session, "test", name=f"Racer {family}", scopes=["referrals:write"],
                                       rate_per_minute=6000)
        db.session.commit()
        client_id, key = new.client.id, new.key
    barrier = threading.Barrier(8)
    statuses, references, errors = [], [], []

    def send():
        try:
            barrier.wait(timeout=10)  # every retry starts together
            resp = app.test_client().post(URL, data=json.dumps(body), content_type="application/fhir+json",
                                          headers={"Authorization": f"Bearer {key}"})
            statuses.append(resp.status_code)
            references.append(resp.headers.get("Location"))
        except Exception as exc:  # collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Referral).where(Referral.search_name.like(
            f"{family.lower()} %")))
        people = db.session.scalar(select(func.count()).select_from(Person).where(Person.family_name == family))
        if BACKEND == "postgresql":
            db.session.execute(delete(Referral).where(Referral.search_name.like(f"{family.lower()} %")))
            db.session.execute(delete(Person).where(Person.family_name == family))
            db.session.execute(delete(ApiClient).where(ApiClient.id == client_id))
            db.session.commit()
        db.engine.dispose()
    assert errors == [] and count == 1 and people == 1
    assert sorted(statuses) == [200] * 7 + [201] and len(set(references)) == 1


def test_deeply_nested_json_is_refused_not_a_500(client, db_session):
    key = _key(db_session)
    for depth in (900, 980, 3000, 50000):
        body = '{"resourceType": "ServiceRequest", "note": ' + "[" * depth + "]" * depth + "}"
        assert_answered(client.post(URL, data=body, content_type="application/fhir+json",
                                    headers={"Authorization": f"Bearer {key}"}))
