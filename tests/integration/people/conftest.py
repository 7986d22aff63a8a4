from datetime import date, datetime

import pytest

from portal.people import services as people
from portal.referrals import services as referrals


@pytest.fixture
def known(db_session):
    """Someone we already know: Anil Patel, NHS number 943 476 5919."""
    person = people.create_person(db_session, "test", given_name="Anil", family_name="Patel",
                                  date_of_birth=date(1941, 7, 4), address_line_1="12 Mill Lane",
                                  postcode="AB1 2DE", nhs_number="9434765919", locality="North")
    db_session.flush()
    return person


@pytest.fixture
def clash(db_session, known):
    """A referral quoting Anil's NHS number for someone else: on a new record with an open check."""
    match = people.match_or_create(db_session, "public", given_name="Anita", family_name="Patel",
                                   date_of_birth=date(1950, 1, 2), address_line_1="3 Park Road",
                                   postcode="AB1 9ZZ", nhs_number="943 476 5919", phone="07700 900111")
    referral, _ = referrals.create_referral(
        db_session, "public", person=match.person, source="self", needs=["equipment"], help_wanted="Help",
        submission_key=referrals.new_submission_key(), received_at=datetime(2026, 11, 23, 9, 0))
    db_session.commit()
    return match.check, referral
