"""API fixtures: clients with keys (by scope and rate), a valid referral body, and a person with
an NHS number, equipment on loan and a telecare connection."""

import secrets
from datetime import date, timedelta

import pytest

from portal.api import services
from portal.equipment.models import Order, OrderLine, Product, Store
from portal.people.models import Person
from portal.telecare.models import Connection
from portal.timeutil import utcnow

NHS_NUMBER = "9434765919"  # valid (Modulus 11)
OTHER_NHS_NUMBER = "4857773457"  # valid, held by nobody


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_key(db_session):
    """make_key("referrals:write", rate=1) -> (key, client)."""

    def make(*scopes: str, rate: int = 120, name: str | None = None):
        new = services.register_client(db_session, "test", name=name or f"System {secrets.token_hex(3)}",
                                       scopes=list(scopes), rate_per_minute=rate)
        db_session.commit()  # as a registered client is: a request's rollback must not undo it
        return new.key, new.client

    return make


def referral_body(**changes) -> dict:
    body = {
        "person": {"given_name": "Edna", "family_name": "Brookes", "date_of_birth": "1938-04-02",
                   "nhs_number": None, "address_line_1": "4 Mill Lane", "town": "Millbrook", "postcode": "ab1 2de",
                   "phone": "01632 960001"},
        "source": "hospital_discharge", "needs": ["equipment", "telecare"],
        "help_wanted": "Going home on Friday; needs a perching stool and a pendant alarm.",
        "priority": "urgent", "discharge_date": (date.today() + timedelta(days=3)).isoformat(),
        "risk_summary": "Falls at home before admission.",
        "referrer": {"name": "Sam Ward", "organisation": "Millbrook General, discharge team",
                     "phone": "01632 960002", "email": "sam.ward@nhs.example"},
        "consent": "given",
    }
    person = changes.pop("person", {})
    body["person"].update(person)
    body.update(changes)
    return body


@pytest.fixture
def person_with_kit(db_session):
    """A person with NHS_NUMBER, a commode on loan (due back in 30 days) and an active telecare line."""
    suffix = secrets.token_hex(3).upper()
    person = Person(given_name="Edna", family_name="Brookes", date_of_birth=date(1938, 4, 2),
                    address_line_1="4 Mill Lane", postcode="AB1 2CD", nhs_number=NHS_NUMBER,
                    communication_needs=[], tenure="owner")
    store = Store(code=f"S{suffix}", name=f"Store {suffix}")
    product = Product(code=f"COM-{suffix}", name="Commode", category="community_equipment", supply="loan",
                      tracking="counted")
    db_session.add_all([person, store, product])
    db_session.flush()
    order = Order(submission_key=secrets.token_hex(8), person_id=person.id, store_id=store.id, state="delivered",
                  planned_date=date.today(), due_date=date.today(), delivered_at=utcnow(),
                  collection_due=date.today() + timedelta(days=30))
    order.lines = [OrderLine(product_id=product.id, quantity=1)]
    connection = Connection(person_id=person.id, line_type="digital", status="active", unit_model="Hub 4G",
                            key_safe_present=True, key_safe_location="By the back door", telephone="01632 960003")
    db_session.add_all([order, connection])
    db_session.commit()
    return person
