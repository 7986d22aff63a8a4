"""Whether a case is for a disabled child or young person: decided from the person's date of birth
on the application date, never ticked. A child or young person (under DFG_CHILD_AGE_LIMIT, 19)
has no test of resources and a nil contribution.

The application date is the full application's date once it is recorded, else the date of the
enquiry. The decision is made again when the full application is received and when a caseworker
corrects the date of birth; each change is audited. Once the grant has been decided the answer
cannot change (the caseworker is told why)."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit.services import record
from portal.config import setting
from portal.dfg.models import CLOSED_STATES, DfgCase, DfgTestOfResources
from portal.dfg.services._common import ZERO, flush
from portal.dfg.services.dates import long_date
from portal.dfg.services.workflow import begin
from portal.errors import Refusal

DECIDED = ("approved", "works", "completed", "paid")


def age_on(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def is_child_on(date_of_birth: date, on: date) -> bool:
    return age_on(date_of_birth, on) < int(setting("DFG_CHILD_AGE_LIMIT"))


def application_date(c: DfgCase) -> date:
    return c.full_application_date or c.enquiry_date


def _why_fixed(c: DfgCase, child: bool, on: date) -> Refusal:
    limit = int(setting("DFG_CHILD_AGE_LIMIT"))

    def words(young: bool) -> str:
        return f"under {limit}" if young else f"{limit} or over"

    return Refusal(_("The grant on case %(reference)s was decided on the basis that the person was "
                     "%(was)s on %(on)s. With this date of birth they were %(now)s, which "
                     "would change the test of resources after the decision. Nothing was changed: ask "
                     "a manager how to put the decision right.",
                     reference=c.reference, was=words(c.is_child), on=long_date(on), now=words(child)),
                   field="date_of_birth")


def check_child_change(c: DfgCase, date_of_birth: date, on: date | None = None) -> bool | None:
    """The new answer if it differs from the case's (None when unchanged); refuses a change after the decision."""
    on = on or application_date(c)
    child = is_child_on(date_of_birth, on)
    if child == c.is_child:
        return None
    if c.state in DECIDED or c.approved_amount is not None:
        raise _why_fixed(c, child, on)
    return child


def apply_child(session, actor, c: DfgCase, child: bool, date_of_birth: date, on: date, why: str) -> None:
    """Set the case's answer and what follows from it: a child has a nil contribution and no test of
    resources; a case that is no longer a child's loses the "not required" record and needs the test."""
    before = c.is_child
    c.is_child = child
    tor = c.test_of_resources
    if child:
        if tor is not None:
            tor.inputs, tor.result, tor.contribution, tor.assessed_by_id = {"child": True}, "not_required", ZERO, None
        elif c.state not in ("enquiry", "eligibility"):
            session.add(DfgTestOfResources(case=c, inputs={"child": True}, result="not_required", contribution=ZERO))
        c.contribution = ZERO if (tor is not None or c.state not in ("enquiry", "eligibility")) else None
    else:
        if tor is not None:
            session.delete(tor)
            session.flush()
            session.expire(c, ["test_of_resources"])
        c.contribution = None
        c.applicants = c.applicants or (c.person.full_name if c.person else None)
    record(session, actor, "dfg.child_decided", "dfg_case", c.id, reference=c.reference, was_child=before,
           is_child=child, date_of_birth=date_of_birth.isoformat(), on=on.isoformat(), why=why)


def redecide(session, actor, c: DfgCase, date_of_birth: date, on: date | None, why: str) -> None:
    on = on or application_date(c)
    child = check_child_change(c, date_of_birth, on)
    if child is not None:
        apply_child(session, actor, c, child, date_of_birth, on, why)


def correct_date_of_birth(session, actor, c: DfgCase, *, date_of_birth: date, version: int | None = None) -> None:
    """A caseworker corrects the person's date of birth; every open DFG case of theirs follows."""
    today = begin(actor, c, "dob", version)
    if date_of_birth > today:
        raise Refusal(_("The date of birth must be in the past"), field="date_of_birth")
    person = c.person
    old = person.date_of_birth
    if date_of_birth == old:
        raise Refusal(_("%(long_date)s is already the date of birth on record", long_date=long_date(old)),
                      field="date_of_birth")
    cases = [c] + [other for other in session.scalars(select(DfgCase).where(
        DfgCase.person_id == person.id, DfgCase.id != c.id, DfgCase.state.not_in(CLOSED_STATES)))]
    changes = [(k, check_child_change(k, date_of_birth)) for k in cases]  # every refusal before any change
    person.date_of_birth = date_of_birth
    record(session, actor, "person.date_of_birth_corrected", "person", person.id, before=old.isoformat(),
           after=date_of_birth.isoformat(), via=c.reference)
    for k, child in changes:
        if child is not None:
            apply_child(session, actor, k, child, date_of_birth, application_date(k), "date of birth corrected")
    record(session, actor, "dfg.date_of_birth_corrected", "dfg_case", c.id, before=old.isoformat(),
           after=date_of_birth.isoformat(), is_child=c.is_child)
    flush(session, c)
