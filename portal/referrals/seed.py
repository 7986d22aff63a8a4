"""Demo referrals: about 18 months of them, a live queue of a few hundred across priorities with
some overdue, and older ones closed with outcomes. Idempotent: does nothing if referrals exist."""

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.audit.services import backdated
from portal.auth.models import User, UserRole
from portal.people.services import create_person
from portal.referrals import services
from portal.referrals.models import Referral
from portal.timeutil import utcnow

GIVEN = ["Mary", "John", "Margaret", "David", "Patricia", "Peter", "Jean", "Michael", "Joan", "Brian", "Irene",
         "Kenneth", "Doreen", "Alan", "Sheila", "Derek", "Pauline", "Anil", "Fatima", "Grace", "Winston", "Eileen",
         "Stanley", "Barbara", "Tomasz", "Agnieszka", "Bernard", "Sylvia", "Harold", "Lily", "Oliver", "Amelia"]
FAMILY = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
          "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
          "Patel", "Khan", "Nowak", "Okafor", "Murphy", "O'Brien", "Hughes", "Edwards", "Lewis", "Harrison"]
STREETS = ["Mill Lane", "Church Road", "Station Road", "Victoria Street", "Park Avenue", "Elm Grove",
           "Queens Road", "The Crescent", "Moss Lane", "Beech Close", "Hawthorn Drive", "Marine Parade"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
HELP = [
    ("equipment", "Struggling to get in and out of the bath; has stopped bathing."),
    ("falls", "Two falls in the last month at night going to the toilet."),
    ("telecare", "Lives alone, daughter worried she could fall and not be found."),
    ("major_adaptation", "Cannot manage the stairs any more; sleeping downstairs in a chair."),
    ("minor_adaptation", "Needs grab rails by the front door and in the bathroom."),
    ("ot_assessment", "Recently diagnosed with Parkinson's; getting harder to move around the home."),
    ("telecare", "Memory problems, has gone out at night and got lost twice."),
    ("equipment", "Going home from hospital on Friday after a hip replacement; needs a commode and toilet frame."),
]
SOURCES = ["gp", "self_assessment", "self", "carer", "hospital_discharge", "social_worker", "nhs_111", "housing",
           "care_home"]
OUTCOMES = ["equipment_ordered", "telecare_requested", "dfg_recommended", "minor_adaptation", "self_purchase",
            "tecs_instead_of_care_package", "no_further_action"]


def _postcode(rng: random.Random) -> str:
    return f"AD{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _staff(session, role: str) -> list[User]:
    return list(session.scalars(select(User).join(UserRole).where(UserRole.role == role)))


def seed_demo(session, count: int = 700, seed: int = 20261123) -> int:
    if session.scalar(select(func.count()).select_from(Referral)):
        return 0
    rng = random.Random(seed)
    from flask import current_app

    localities = current_app.config["LOCALITIES"]
    triage = (_staff(session, "triage_officer") or [None])[0]
    ots = _staff(session, "occupational_therapist")
    tas = _staff(session, "trusted_assessor")
    now = utcnow().replace(microsecond=0)
    made = 0
    for i in range(count):
        # a third arrived in the last six weeks (the live queue); the rest spread over 18 months
        age_days = rng.randint(0, 42) if rng.random() < 0.35 else rng.randint(43, 548)
        received = now - timedelta(days=age_days, hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
        need, text = rng.choice(HELP)
        person = create_person(
            session, "seed-demo", given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY),
            date_of_birth=date(rng.randint(1928, 1962), rng.randint(1, 12), rng.randint(1, 28)),
            address_line_1=f"{rng.randint(1, 180)} {rng.choice(STREETS)}", town="Ashdown",
            postcode=_postcode(rng), locality=rng.choice(localities), phone=f"01632 {rng.randint(100000, 999999)}")
        source = rng.choice(SOURCES)
        priority = "urgent" if source == "hospital_discharge" else rng.choices(
            ["urgent", "high", "routine"], [1, 3, 8])[0]
        extra = rng.sample(["equipment", "telecare", "falls", "ot_assessment"], rng.randint(0, 1))
        with backdated(received):
            referral, _ = services.create_referral(
                session, triage or "seed-demo", person=person, source=source, needs=[need, *extra],
                help_wanted=text, submission_key=services.new_submission_key(), suggested_priority=priority,
                received_at=received,
                discharge_date=(received + timedelta(days=3)).date() if source == "hospital_discharge" else None,
                referrer_name="Dr A Shah" if source == "gp" else None, consent_given=True)
        if triage is None:
            continue
        _progress(session, rng, referral, triage, ots, tas, received, now, age_days, priority)
        made += 1
        if i % 100 == 99:
            session.flush()
    return made


def _progress(session, rng, referral, triage, ots, tas, received, now, age_days, priority):
    """Move a referral along as the team would have, with realistic delays."""
    late = rng.random() < 0.15  # some work runs late, so the queue shows overdue items
    if age_days < 7 and rng.random() < 0.5:
        return  # still new, waiting for triage
    stop_at = rng.choice(["screened", "awaiting_assessment", "awaiting_assessment", "assessed"]) \
        if age_days <= 42 else "closed"
    screened_at = min(received + timedelta(minutes=rng.randint(20, 90)), now)
    with backdated(screened_at):
        services.set_priority(session, triage, referral, priority, "Screened at triage")
    contact_at = referral.contact_due_at - timedelta(hours=rng.randint(1, 20)) if not late else \
        referral.contact_due_at + timedelta(hours=rng.randint(2, 48))
    contact_at = max(contact_at, screened_at)
    if contact_at < now:
        with backdated(contact_at):
            services.record_first_contact(session, triage, referral, "Phoned the person", when=contact_at)
    if stop_at == "screened":
        return
    complex_case = referral.need_names and ("major_adaptation" in referral.need_names or rng.random() < 0.3)
    with backdated(min(screened_at + timedelta(minutes=10), now)):
        if complex_case or not tas:
            services.route(session, triage, referral, route_to="occupational_therapist", complex_case=True,
                           reason="Complex needs and risks")
            pool = ots
        else:
            services.route(session, triage, referral, route_to="trusted_assessor", complex_case=False,
                           reason="Straightforward equipment need", ta_level_required=3)
            pool = tas
    if rng.random() < 0.1 and 10 < age_days <= 42:
        with backdated(received + timedelta(days=3)):
            services.pause(session, triage, referral, "Waiting for the GP to confirm the diagnosis",
                           when=received + timedelta(days=3))
        if rng.random() < 0.6:
            with backdated(received + timedelta(days=9)):
                services.resume(session, triage, referral, when=received + timedelta(days=9))
        else:
            return
    if pool:
        referral.assigned_to_id = rng.choice(pool).id
    assessed_at = referral.assessment_due_at - timedelta(days=rng.randint(0, 6)) if not late else \
        referral.assessment_due_at + timedelta(days=rng.randint(1, 20))
    if assessed_at >= now or not pool or stop_at == "awaiting_assessment":
        return
    assessor = next(u for u in (ots + tas) if u.id == referral.assigned_to_id)
    assessed_at = max(assessed_at, received)
    with backdated(assessed_at):
        services.complete_assessment(
            session, assessor, referral, outcomes_wanted="To stay safely at home and keep bathing independently",
            strengths="Motivated, good family support nearby", needs_by_area="Bathing, stairs",
            risks="Falls at night", tecs_considered=True, tecs_what="Pendant alarm and bed sensor",
            tecs_why_not=None, recommendations=rng.sample(["equipment", "telecare", "dfg", "minor_adaptation"], 2))
    referral.assessed_at = assessed_at
    if referral.first_contact_at is None or referral.first_contact_at > referral.assessed_at:
        referral.first_contact_at = referral.assessed_at
    if stop_at == "closed":
        closed_at = min(referral.assessed_at + timedelta(days=rng.randint(1, 7)), now)
        with backdated(closed_at):
            services.close(session, assessor, referral, rng.choice(OUTCOMES), "Follow-on work arranged")
        referral.closed_at = closed_at
    services.recompute_clocks(referral)
