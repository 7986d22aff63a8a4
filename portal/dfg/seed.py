"""Demo DFG cases: ~150 over 18 months across every stage, with realistic amounts. Idempotent.

Every case keeps the rules (tests/integration/proof/test_demo_rules_dfg.py checks them): the grant
is the chosen quote less the contribution capped at the maximum, instalments during the works stay
within 90%, the balance follows the inspection, dates run in order and none is in the future, a
late decision has its reason, and a child's case follows the date of birth."""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.config import setting
from portal.dfg.models import (
    DfgCase,
    DfgPayment,
    DfgQuote,
    DfgStageHistory,
    DfgTestOfResources,
    DfgWorks,
)
from portal.people.models import Person
from portal.timeutil import london_date, utcnow
from portal.web.clocks import add_months

PRICES = {  # works type: (low, high) in pounds
    "stairlift": (3000, 6000), "level_access_shower": (6000, 10000), "ramp": (1500, 4500),
    "through_floor_lift": (15000, 25000), "extension": (30000, 60000), "hoist": (2500, 7000),
    "tecs": (300, 1500), "other": (1000, 5000),
}
WEIGHTS = {"stairlift": 30, "level_access_shower": 35, "ramp": 10, "through_floor_lift": 8, "extension": 6,
           "hoist": 7, "other": 4}
FIRST = ["Margaret", "John", "Patricia", "David", "Susan", "Peter", "Linda", "Michael", "Barbara", "Alan",
         "Jean", "Keith", "Maureen", "Brian", "Aisha", "Mohammed", "Grace", "Oliver", "Amelia", "Leo"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
        "Khan", "Thompson", "Evans", "Walker", "Roberts", "Hughes", "Green", "Hall", "Wood", "Clarke"]
STREETS = ["Church Road", "Station Road", "Park Avenue", "Victoria Street", "Mill Lane", "The Crescent",
           "Queens Road", "Manor Way", "Beech Grove", "Orchard Close"]
CONTRACTORS = ["Ashdown Mobility Ltd", "Northern Lifts", "AccessAbility Builders", "Homefit Adaptations",
               "Stannah-style Stairlifts Co", "Coastal Bathrooms", "Brightwater Building Services"]
PATH = ["enquiry", "eligibility", "ot_recommendation", "survey_and_quotes", "application_received", "approved",
        "works", "completed", "paid"]
STAGE_DAYS = {"enquiry": (3, 20), "eligibility": (10, 40), "ot_recommendation": (14, 70),
              "survey_and_quotes": (20, 60), "application_received": (20, 240), "approved": (14, 90),
              "works": (10, 60), "completed": (5, 40)}
DEMO_PREFIX = "DFG-D"
LATE_REASONS = ["Waiting for the landlord's consent to be confirmed in writing",
                "Planning permission took longer than expected", "Staff shortage in the Home Improvement team"]


def _money(value: float) -> Decimal:
    return Decimal(str(round(value / 10) * 10)).quantize(Decimal("0.01"))


def progress(rng, created, now) -> tuple[int, bool, bool]:
    """How far a seeded case got (an index into PATH; older cases further), and whether it was refused
    or withdrawn. Some old cases stall, so the queue and dashboard show breaches."""
    age_days = (now - created).days
    reach = max(0, min(len(PATH) - 1, int(age_days / 45) + rng.randint(-1, 2)))
    if age_days > 200 and rng.random() < 0.2:
        reach = rng.randint(4, 7)
    refused = reach >= 5 and rng.random() < 0.06
    withdrawn = not refused and rng.random() < 0.06
    return reach, refused, withdrawn


def steps(rng, created, reach: int, refused: bool, now):
    """The (stage, when) a seeded case went through after its enquiry, up to `now`."""
    at, state = created, "enquiry"
    for step in PATH[1: reach + 1]:
        if step == "approved" and refused:
            step = "refused"
        at = at + timedelta(days=rng.uniform(*STAGE_DAYS[state]))
        if at > now:
            return
        yield step, at
        state = step


def seed_demo(session, count: int = 150) -> int:
    if session.scalar(select(func.count()).select_from(DfgCase).where(DfgCase.reference.like(DEMO_PREFIX + "%"))):
        return 0
    rng = random.Random(2026)
    now = utcnow()
    today = london_date(now)
    localities = setting("LOCALITIES") or ["North", "Central", "South"]

    made = 0
    for i in range(count):
        created = now - timedelta(days=rng.uniform(0, 548), hours=rng.uniform(0, 10))
        child = rng.random() < 0.12
        tenure = rng.choices(["owner_occupier", "private_tenant", "council_tenant", "housing_association_tenant"],
                             [55, 15, 15, 15])[0]
        works = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        tecs = rng.random() < 0.22
        dob = date(rng.randint(1930, 1975), rng.randint(1, 12), rng.randint(1, 28)) if not child else \
            date(rng.randint(today.year - 17, today.year - 3), rng.randint(1, 12), rng.randint(1, 28))
        given, family = rng.choice(FIRST), rng.choice(LAST)
        street = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
        postcode = f"AD{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}" \
                   f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
        locality = rng.choice(localities)
        person = Person(given_name=given, family_name=family, date_of_birth=dob, address_line_1=street,
                        town="Ashdown", postcode=postcode, locality=locality,
                        tenure="owner" if tenure == "owner_occupier" else tenure, communication_needs=[])
        c = DfgCase(reference=f"{DEMO_PREFIX}{i:05d}", person=person, is_child=child, tenure=tenure,
                    applicants=None if child else f"{given} {family}", property_address=f"{street}, Ashdown",
                    property_postcode=postcode, difficulties=["stairs"] if works == "stairlift" else ["bathing"],
                    locality=locality, includes_tecs=tecs, created_at=created, state="enquiry",
                    discretionary_amount=Decimal("0"), paid_total=Decimal("0"),
                    landlord_name=None if tenure == "owner_occupier" else "Ashdown Homes")
        c.works = [DfgWorks(works_type=works)] + ([DfgWorks(works_type="tecs")] if tecs else [])
        reach, refused, withdrawn = progress(rng, created, now)
        at = created
        stages = [("enquiry", at)]
        low, high = PRICES[works]
        cost = _money(rng.uniform(low, high)) + (_money(rng.uniform(*PRICES["tecs"])) if tecs else 0)
        contribution = Decimal("0")
        state = "enquiry"
        for step, at in steps(rng, created, reach, refused, now):
            stages.append((step, at))
            state = step
            if step == "eligibility":
                if child:
                    session.add(DfgTestOfResources(case=c, inputs={"child": True}, result="not_required",
                                                   contribution=Decimal("0"), assessed_at=at))
                elif rng.random() < 0.6:
                    session.add(DfgTestOfResources(case=c, inputs={"passported": True, "benefit": "Universal Credit"},
                                                   result="passported", contribution=Decimal("0"), assessed_at=at))
                else:
                    contribution = min(_money(rng.choice([0, 0, 500, 1500, 3200])), _money(float(cost) / 2))
                    session.add(DfgTestOfResources(case=c, inputs={"passported": False, "seeded": True},
                                                   result="assessed", contribution=contribution, assessed_at=at))
                c.contribution = contribution
            elif step == "ot_recommendation":
                c.ot_recommendation = f"{works.replace('_', ' ').capitalize()} to meet assessed needs"
                c.ot_reason = "Cannot safely manage current arrangements"
                c.ot_necessary_appropriate, c.ot_name, c.ot_recorded_at = True, "Olivia Turner", at
            elif step == "survey_and_quotes":
                names = rng.sample(CONTRACTORS, 2)
                q1 = DfgQuote(case=c, contractor=names[0], amount=cost, chosen=True, received_on=at.date())
                q2 = DfgQuote(case=c, contractor=names[1], amount=_money(float(cost) * rng.uniform(1.03, 1.2)),
                              chosen=False, received_on=at.date())
                session.add_all([q1, q2])
                c.contractor = names[0]
                if tenure != "owner_occupier":
                    c.landlord_consent_date, c.landlord_consent_by = at.date(), "Ashdown Homes lettings"
            elif step == "application_received":
                c.full_application_date = at.date()
                c.decision_due_date = add_months(at.date(), 6)
                c.payment_due_date = add_months(at.date(), 12)
            elif step == "approved":
                net = max(cost - contribution, Decimal("0"))
                grant = min(net, Decimal("30000"))  # the cap applies after the contribution
                disc = net - grant
                c.grant_maximum, c.approved_amount = Decimal("30000.00"), grant
                if disc > 0:
                    c.discretionary_amount, c.discretionary_reason = disc, "top_up"
                c.decision_date = at.date()
                if c.decision_date > c.decision_due_date:
                    c.late_reason = rng.choice(LATE_REASONS)
                c.payment_due_date = add_months(c.full_application_date, 12)
                c.works_due_date = add_months(at.date(), 12)
                c.land_charge = tenure == "owner_occupier" and grant > 5000
            elif step == "refused":
                c.decision_date, c.closed_reason = at.date(), "Works not eligible under the grant conditions"
                c.review_due_date = at.date() + timedelta(days=28)
                break
            elif step == "works":
                c.works_started_date = at.date()
                if rng.random() < 0.5:  # an interim payment: half the approval, within the 90% limit
                    part = (c.approved_total / 2).quantize(Decimal("0.01"))
                    session.add(DfgPayment(case=c, amount=part, paid_on=at.date(), paid_by="Finance (demo)",
                                           payee=c.contractor, recorded_at=at))
                    c.paid_total, c.paid_date = part, at.date()
            elif step == "completed":
                c.completed_date = at.date()
                c.inspected_date = min((at + timedelta(days=rng.randint(0, 5))).date(), today)
            elif step == "paid":
                balance = c.approved_total - c.paid_total
                paid_on = max(at.date(), c.inspected_date)  # the balance only after the inspection
                session.add(DfgPayment(case=c, amount=balance, paid_on=paid_on, paid_by="Finance (demo)",
                                       payee=c.contractor, recorded_at=at))
                c.paid_total, c.paid_date = c.approved_total, paid_on
        if withdrawn and state not in ("paid", "refused"):
            at = min(now, at + timedelta(days=rng.uniform(3, 30)))
            stages.append(("withdrawn", at))
            state = "withdrawn"
            c.closed_reason = rng.choice(["Moved to a care home", "Decided not to go ahead", "Died"])
        c.state = state
        c.state_changed_at = stages[-1][1]
        prev = None
        for seq, (to, when) in enumerate(stages, start=1):
            session.add(DfgStageHistory(case=c, seq=seq, from_state=prev, to_state=to, at=when, by_label="seed-demo"))
            prev = to
        session.add(c)
        made += 1
        if made % 50 == 0:
            session.flush()
    session.flush()
    return made

