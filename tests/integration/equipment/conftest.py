"""Equipment fixtures: a small catalogue, two stores and a person, built through the services."""

import secrets
from datetime import date
from decimal import Decimal

import pytest

from portal.equipment import services
from portal.people.models import Person


def make_world(session, actor="test"):
    """Two stores, a serialised hoist (6-month inspections, 24-month warranty), a counted
    commode, an issued grab rail, a kit, and one person. Returns a dict of what was made."""
    suffix = secrets.token_hex(3).upper()
    north = services.create_store(session, actor, code=f"N{suffix}", name=f"North store {suffix}",
                                  locality="North")
    south = services.create_store(session, actor, code=f"S{suffix}", name=f"South store {suffix}",
                                  locality="South")
    hoist = services.create_product(session, actor, code=f"HOI-{suffix}", name="Mobile hoist",
                                    category="community_equipment", area="Transfers", supply="loan",
                                    tracking="serialised", inspection_months=6, warranty_months=24,
                                    cleaning_required=True, unit_cost=Decimal("950.00"), self_purchase=False)
    commode = services.create_product(session, actor, code=f"COM-{suffix}", name="Commode",
                                      category="community_equipment", area="Toileting", supply="loan",
                                      tracking="counted", cleaning_required=True, unit_cost=Decimal("45.00"),
                                      self_purchase=True)
    rail = services.create_product(session, actor, code=f"RAI-{suffix}", name="Grab rail",
                                   category="community_equipment", area="Bathing", supply="issue",
                                   tracking="counted", cleaning_required=False, unit_cost=Decimal("8.50"),
                                   self_purchase=True)
    from portal.equipment.models import Kit, KitItem

    kit = Kit(code=f"KIT-{suffix}", name="Single-handed care kit")
    kit.items = [KitItem(product_id=hoist.id, quantity=1), KitItem(product_id=commode.id, quantity=1)]
    session.add(kit)
    person = Person(given_name="Edna", family_name="Brookes", date_of_birth=date(1938, 4, 2),
                    address_line_1="4 Mill Lane", postcode="AB1 2CD", locality="North",
                    communication_needs=[], tenure="owner")
    session.add(person)
    session.flush()
    _referrals_for(session, person, actor)
    return {"north": north, "south": south, "hoist": hoist, "commode": commode, "rail": rail, "kit": kit,
            "person": person}


def _referrals_for(session, person, actor):
    """The work that lets a prescriber order for the person: a referral waiting for an OT and one
    waiting for a trusted assessor (level 3), both needing equipment."""
    from portal.referrals import services as referrals

    for route in ("occupational_therapist", "trusted_assessor"):
        referral, _ = referrals.create_referral(
            session, actor, person=person, source="gp", needs=["equipment"], help_wanted="Equipment at home",
            submission_key=referrals.new_submission_key(), priority="routine", suggested_priority="routine")
        referral.state, referral.route, referral.complex, referral.ta_level_required = (
            "awaiting_assessment", route, False, 3)
    session.flush()


@pytest.fixture
def world(db_session):
    return make_world(db_session)
