"""Telecare fixtures: a store with telecare products and assets, a person, two installers."""

import secrets
from datetime import date
from decimal import Decimal

import pytest

from portal.equipment import services as equipment
from portal.people.models import Person


def make_world(session, staff_factory=None, actor="test"):
    suffix = secrets.token_hex(3).upper()
    store = equipment.create_store(session, actor, code=f"T{suffix}", name=f"Telecare store {suffix}",
                                   locality="North")
    products = {}
    for code, name, area, unit in (("HUB", "Digital alarm hub", "Alarms", "digital"),
                                   ("ANA", "Analogue alarm unit", "Alarms", "analogue"),
                                   ("PEN", "Pendant alarm", "Alarms", None),
                                   ("SMK", "Linked smoke detector", "Sensors", None)):
        products[code] = equipment.create_product(
            session, actor, code=f"TEL-{code}-{suffix}", name=name, category="telecare", area=area, supply="loan",
            tracking="serialised", warranty_months=36, cleaning_required=True, unit_cost=Decimal("50"),
            self_purchase=False, alarm_unit=unit)
    assets = {}
    for code in products:
        for n in (1, 2):
            tag = f"{code}{n}-{suffix}"
            assets[f"{code}{n}"] = equipment.add_asset(session, actor, product_id=products[code].id,
                                                       store_id=store.id, asset_tag=tag, serial=f"SN-{tag}")
    person = Person(given_name="Edna", family_name="Brookes", date_of_birth=date(1938, 4, 2),
                    address_line_1="4 Mill Lane", postcode="AB1 2CD", locality="North", phone="01632 960001",
                    communication_needs=[], tenure="owner")
    session.add(person)
    session.flush()
    return {"store": store, "products": products, "assets": assets, "person": person, "suffix": suffix}


def referral_for(db_session, person):
    """Work that gives a triage officer the person: a referral (every triage officer may open it)."""
    from portal.referrals import services as referrals

    referrals.create_referral(db_session, "test", person=person, source="gp", needs=["telecare"],
                              help_wanted="A pendant alarm", submission_key=referrals.new_submission_key(),
                              priority="routine", suggested_priority="routine")
    db_session.commit()


@pytest.fixture
def world(db_session):
    return make_world(db_session)


@pytest.fixture
def installer(db_session):
    from portal.auth.services import create_user

    def make(name="Ian Walsh"):
        user = create_user(db_session, "test", email=f"inst-{secrets.token_hex(3)}@test.council.example",
                           name=name, password="correct horse battery staple", roles=["telecare_installer"])
        db_session.flush()
        return user

    return make
