from datetime import date, datetime

import pytest

from portal.people.services import create_person
from portal.referrals import services


@pytest.fixture
def make_referral(db_session):
    counter = {"n": 0}

    def make(*, priority="routine", needs=("equipment",), source="gp", received_at=None, family_name="Jones",
             given_name="Mary", dob=date(1940, 5, 17), postcode="AB1 2CD", nhs_number=None, locality="North",
             **kwargs):
        counter["n"] += 1
        person = create_person(db_session, "test", given_name=given_name, family_name=family_name,
                               date_of_birth=dob, address_line_1=f"{counter['n']} High Street", postcode=postcode,
                               nhs_number=nhs_number, locality=locality)
        referral, _ = services.create_referral(
            db_session, "test", person=person, source=source, needs=list(needs), help_wanted="Help at home",
            submission_key=services.new_submission_key(), priority=priority, suggested_priority=priority,
            received_at=received_at or datetime(2026, 11, 23, 9, 0), **kwargs)
        db_session.flush()
        return referral

    return make
