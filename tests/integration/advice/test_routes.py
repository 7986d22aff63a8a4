"""Issue 16, walked through the pages as a person would: the housing routes, the hospital
discharge route (a professional answering, the report leading with the priority referral, and
ask-for-help carrying the source and the discharge date), the occupational therapy route leading
the report, and "get help now" numbers that answer at the hour the page is read."""

import re
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.advice import services
from portal.referrals.models import Referral
from portal.timeutil import LONDON, today
from tests.conftest import csrf_from
from tests.integration.advice.test_journey import answer, begin, past_help_now
from tests.integration.referrals.test_public import answer_pages

PERSON = {"given_name": "Ivy", "family_name": "Marsh", "date_of_birth": ["2", "3", "1944"],
          "address_line_1": "4 Quay Street", "town": "Ashdown", "postcode": "ab12de"}
CONTACT = {"phone": "01632 960 001"}


def walk(client, answers: dict) -> str:
    """Answer the self-assessment page by page with these answers; the report page's address."""
    url = begin(client)
    for _ in range(60):
        if url.endswith("/advice/check"):
            break
        qid = url.rsplit("/", 1)[-1]
        assert qid in answers, f"the journey asked {qid}, which the walk does not answer"
        resp = answer(client, url, answers[qid])
        assert resp.status_code == 303, (qid, resp.text[:300])
        url = past_help_now(client, resp.headers["Location"])
    check = client.get(url)
    resp = client.post(url, data={"csrf_token": csrf_from(check.text)})
    assert resp.status_code == 303
    return resp.headers["Location"]


def checked(page: str, name: str, value: str) -> bool:
    """Whether the radio or checkbox with this name and value is ticked on the page."""
    return any(f'name="{name}"' in tag and f'value="{value}"' in tag and "checked" in tag
               for tag in re.findall(r"<input[^>]*>", page))


def sections(page: str) -> list[str]:
    return re.findall(r'<h2 class="govuk-heading-l">([^<]+)</h2>', page)


BATHING_CANNOT = {
    "who": "myself", "areas": ["bathing"], "urgent": ["none"], "age": "from_65",
    "hospital": "not_recently", "conditions": ["none"], "bathing.washing_now": "shower_over_bath",
    "bathing.get_in_out": "cannot", "bathing.hard_parts": ["reaching"], "bathing.goal": "shower",
}
ROUTES = {
    "owner": "Paying for larger changes to a home you own",
    "social_tenant": "Changes to a council or housing association home",
    "private_tenant": "Changes to a home rented from a private landlord",
    "family_home": "Changes to a family member&#39;s home",
}


@pytest.mark.parametrize("housing", list(ROUTES))
def test_the_report_names_the_route_for_the_home(client, housing):
    page = client.get(walk(client, BATHING_CANNOT | {"housing": housing})).text
    assert ROUTES[housing] in page
    assert not [title for other, title in ROUTES.items() if other != housing and title in page]
    assert "up to £1,000" in page  # minor adaptations are free whatever the tenure
    if housing == "social_tenant":
        assert "adaptations service" in page
        assert "A Disabled Facilities Grant for larger changes to the home" not in page
    else:
        assert "A Disabled Facilities Grant for larger changes to the home" in page
    if housing == "private_tenant":
        assert "landlord&#39;s written agreement" in page


def test_a_care_home_resident_is_pointed_to_the_home_not_to_grants(client):
    page = client.get(walk(client, BATHING_CANNOT | {"housing": "care_home"})).text
    assert sections(page)[0] == "Start here"
    assert page.index("Equipment and help in a care home") < page.index("Bathing and showering")
    assert "Disabled Facilities Grant" not in page and not any(t in page for t in ROUTES.values())


DISCHARGE = {
    "who": "professional", "areas": ["toilet"], "urgent": ["none"], "age": "from_65",
    "housing": "owner", "hospital": "in_hospital", "discharge": "within_week",
    "precautions": "hip", "conditions": ["none"], "toilet.sit_stand": "difficult",
    "toilet.in_time": "not_at_night", "toilet.cleaning": "difficult",
}


def test_a_professional_answering_for_someone_leaving_hospital_gets_the_discharge_route(client, db_session):
    report_url = walk(client, DISCHARGE)
    page = client.get(report_url).text
    assert page.count("<h1") == 1 and sections(page)[0] == "Start here"
    lead = page.split("Start here", 1)[1].split('<h2 class="govuk-heading-l">', 1)[0]
    assert "Refer now through the hospital discharge route, with the planned date" in lead
    assert "Hip precautions: ask your occupational therapist first" in lead
    assert "Refer as a hospital discharge" in lead  # the button, in the lead, before any item
    assert "you can ask for one yourself" not in page.lower()
    assert "A raised toilet seat or toilet frame" not in page  # heights measured by the OT

    start = client.get(re.search(r'href="(/ask-for-help\?report=[^"]+)"', lead).group(1))
    assert "urgent hospital discharge referral" in start.text
    who = client.get("/ask-for-help/who")
    assert checked(who.text, "who", "someone")
    nurse = {"who": "someone", "your_name": "Dee Okafor", "relationship": "Ward nurse", "consent": "yes"}
    help_ = {"needs": ["equipment", "ot_assessment"], "help_wanted": "Going home Friday after a hip replacement",
             "hospital": "yes", "fallen_recently": "no", "carer_struggling": "no_carer"}
    needs_page = client.get("/ask-for-help/needs")  # earlier pages not answered yet
    assert needs_page.status_code == 303
    answer_pages(client, nurse, PERSON, CONTACT, upto="needs")
    needs_page = client.get("/ask-for-help/needs")
    assert checked(needs_page.text, "needs", "equipment")
    answer_pages(client, nurse, PERSON, CONTACT, help_, upto="hospital")
    help_page = client.get("/ask-for-help/hospital")
    assert checked(help_page.text, "hospital", "yes")

    before = db_session.scalar(select(func.count()).select_from(Referral))
    missing = client.post("/ask-for-help/hospital", data={**help_, "csrf_token": csrf_from(help_page.text)})
    assert missing.status_code == 422
    assert "Enter the date they are due to leave hospital" in missing.text
    assert checked(missing.text, "hospital", "yes")  # the answers are kept
    past = today() - timedelta(days=3)
    stale = client.post("/ask-for-help/hospital", data={
        **help_, "csrf_token": csrf_from(help_page.text),
        "discharge_date": [str(past.day), str(past.month), str(past.year)]})
    assert stale.status_code == 422 and "must be today or in the future" in stale.text
    friday = today() + timedelta(days=(4 - today().weekday()) % 7 or 7)
    ok = client.post("/ask-for-help/hospital", data={
        **help_, "csrf_token": csrf_from(help_page.text),
        "discharge_date": [str(friday.day), str(friday.month), str(friday.year)]})
    assert ok.status_code == 303
    answer_pages(client, nurse, PERSON, CONTACT, help_,
                 {"discharge_date": [str(friday.day), str(friday.month), str(friday.year)]})
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Referral)) == before  # nothing yet

    check = client.get("/ask-for-help/check")
    assert f"{friday.day} {friday:%B %Y}" in check.text
    sent = client.post("/ask-for-help/check", data={"csrf_token": csrf_from(check.text),
                                                    "submission_key": re.search(
                                                        r'name="submission_key" value="([^"]+)"', check.text).group(1)})
    assert sent.status_code == 303
    referral = db_session.scalar(select(Referral).order_by(Referral.id.desc()))
    assert referral.source == "hospital_discharge"
    assert referral.discharge_date == friday
    assert referral.suggested_priority == "urgent"
    assert referral.advice_report_id is not None


def test_a_family_member_answering_for_someone_in_hospital_is_not_a_discharge_referral(client, db_session):
    answers = DISCHARGE | {"who": "someone", "helper": "carer", "precautions": "none"}
    lead = client.get(walk(client, answers)).text.split("Start here", 1)[1]
    assert "Before they leave hospital" in lead and "Ask for help before leaving hospital" in lead
    start = client.get(re.search(r'href="(/ask-for-help\?report=[^"]+)"', lead).group(1))
    assert "urgent hospital discharge referral" not in start.text
    help_page = client.get("/ask-for-help/hospital")  # earlier steps not done: sent back to them
    assert help_page.status_code == 303


FALLS = {
    "who": "someone", "helper": "carer", "areas": ["falls_and_safety"], "urgent": ["none"],
    "age": "from_65", "housing": "owner", "hospital": "not_recently", "conditions": ["none"],
    "falls_and_safety.falls": "more_than_once", "falls_and_safety.get_up": "long_lie",
    "falls_and_safety.hazards": ["none"], "falls_and_safety.alone": "most",
}


def test_a_long_lie_leads_with_the_occupational_therapy_route_not_shop_items(client):
    page = client.get(walk(client, FALLS)).text
    assert sections(page)[:2] == ["Start here", "Falls and safety at home"]
    lead = page.split("Start here", 1)[1].split('<h2 class="govuk-heading-l">', 1)[0]
    assert "Ask for an occupational therapy assessment" in lead and "£" not in lead
    assert page.index("Ask for an occupational therapy assessment") < page.index("£")


def test_loneliness_without_physical_difficulty_says_no_equipment_is_needed(client):
    page = client.get(walk(client, {
        "who": "myself", "areas": ["keeping_in_touch"], "urgent": ["none"], "age": "from_65",
        "housing": "owner", "hospital": "not_recently", "conditions": ["none"],
        "keeping_in_touch.lonely": "often_or_always", "keeping_in_touch.phone": "without_difficulty",
        "keeping_in_touch.would_like": ["chat"], "keeping_in_touch.loss": "yes_recent"})).text
    lead = page.split("Start here", 1)[1].split('<h2 class="govuk-heading-l">', 1)[0]
    assert "You do not need equipment or changes to the home" in lead
    assert "Support after losing someone" in page and "£" not in page
    assert "Ask the council for help" not in page  # nothing to refer for


# ---------------------------------------------------------------- numbers that answer now

MONDAY_10AM = datetime(2026, 11, 30, 10, 0, tzinfo=LONDON)
MONDAY_5PM = datetime(2026, 11, 30, 17, 0, tzinfo=LONDON)
SATURDAY_NIGHT = datetime(2026, 12, 5, 21, 30, tzinfo=LONDON)
CHRISTMAS_DAY_11AM = datetime(2026, 12, 25, 11, 0, tzinfo=LONDON)


@pytest.mark.parametrize("at, open_", [(MONDAY_10AM, True), (MONDAY_5PM, False),
                                       (SATURDAY_NIGHT, False), (CHRISTMAS_DAY_11AM, False)])
def test_help_now_names_the_number_that_answers_at_that_hour(app, at, open_):
    with app.app_context():
        words = services.help_words(at)
        office, night = app.config["SUPPORT_PHONE"], app.config["OUT_OF_HOURS_PHONE"]
    first = office if open_ else night
    other = night if open_ else office
    assert words["phone_now"].startswith(first)
    assert other in words["phone_now"]  # and the other number, for later or for print
    assert ("out-of-hours team, which answers at night" in words["phone_now"]) is not open_


@pytest.mark.parametrize("moment, first", [("2026-11-30 10:00:00", "SUPPORT_PHONE"),
                                           ("2026-12-05 21:30:00", "OUT_OF_HOURS_PHONE")])
def test_the_cold_home_banner_names_the_number_for_the_hour(client, app, moment, first):
    number = app.config[first]
    with freeze_time(datetime.fromisoformat(moment).replace(tzinfo=LONDON)):
        url = begin(client)
        answer(client, url, "someone")
        answer(client, "/advice/questions/areas", ["falls_and_safety"])
        resp = answer(client, "/advice/questions/urgent", ["no_heating"])
        page = client.get(past_help_now(client, resp.headers["Location"])).text
    banner = page.split('id="urgent-title"', 1)[1].split("</form>")[0]
    assert f"phone {number}" in banner
    other = app.config["OUT_OF_HOURS_PHONE" if first == "SUPPORT_PHONE" else "SUPPORT_PHONE"]
    assert banner.index(number) < banner.index(other)
