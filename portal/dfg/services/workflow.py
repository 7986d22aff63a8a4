"""The DFG case's stages: which moves exist, what must be true first, who may do what now.

`allowed_actions(user, case)` is the one answer to "may this person do this to the case now":
the case page shows a form or button only for an allowed action, each action has its own route,
and every service that performs an action starts with `begin()`, which asks the same question.
Every state change goes through `transition()`, which writes the stage history and the audit row.
"""

from datetime import date, datetime

from flask_babel import gettext as _

from portal.audit.services import actor_label, record
from portal.auth.roles import DFG_CASEWORKER
from portal.config import setting
from portal.dfg.models import CLOSED_STATES, OPEN_STATES, STATES, TENANT_TENURES, DfgCase, DfgStageHistory
from portal.dfg.services._common import ZERO, MoneyRuleBroken, check_case_version, flush
from portal.errors import IllegalTransition, NotAllowed, Refusal
from portal.timeutil import today as london_today
from portal.timeutil import utcnow

# The one table of allowed moves. Withdrawal is allowed from every open state.
TRANSITIONS: dict[str, set[str]] = {
    "enquiry": {"eligibility"},
    "eligibility": {"ot_recommendation"},
    "ot_recommendation": {"survey_and_quotes"},
    "survey_and_quotes": {"application_received"},
    "application_received": {"approved", "refused"},
    "approved": {"works"},
    "works": {"completed"},
    "completed": {"paid"},
    "refused": {"application_received"},  # a review asked for inside the review window
    "paid": set(),
    "withdrawn": set(),
}
for _state in OPEN_STATES:
    TRANSITIONS[_state].add("withdrawn")

# Every action on a case, by its route's endpoint name (dfg.<action>).
ACTIONS = ("eligibility", "tor", "request_ot", "ot", "survey", "quote", "choose_quote", "landlord", "application",
           "approve", "refuse", "works", "payment", "complete", "close_paid", "review", "details", "withdraw",
           "upload", "withdraw_quote", "dob")

# The actions that move the case, and where to.
MOVES = {"eligibility": "eligibility", "request_ot": "ot_recommendation", "survey": "survey_and_quotes",
         "application": "application_received", "review": "application_received", "approve": "approved",
         "refuse": "refused", "works": "works", "complete": "completed", "close_paid": "paid",
         "withdraw": "withdrawn"}

QUOTE_STATES = ("survey_and_quotes", "application_received")
# A case that turns out not to be a child's (date of birth corrected, or 19 by the full application)
# records its test of resources at the stage it has reached, before the decision.
LATE_TOR_STATES = ("ot_recommendation", "survey_and_quotes", "application_received")
PAYMENT_STATES = ("works", "completed")


def can_move(c: DfgCase, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(c.state, set())


def _move_refusal(c: DfgCase, to_state: str) -> IllegalTransition | None:
    if to_state not in STATES:
        return IllegalTransition(_("There is no stage called %(to_state)s.", to_state=repr(to_state)))
    if not can_move(c, to_state):
        return IllegalTransition(
            _("Case %(reference)s is at ‘%(state_label)s’ and cannot move to ‘%(new_state)s’.",
              reference=c.reference, state_label=c.state_label, new_state=STATES[to_state]))
    return None


def _precondition(c: DfgCase, to_state: str, today: date) -> IllegalTransition | None:
    """What the case must already hold before it may enter a stage (not what the move itself records)."""
    if to_state == "ot_recommendation" and not c.is_child and c.test_of_resources is None:
        return IllegalTransition(_("Record the test of resources before asking for the OT recommendation."))
    if to_state == "survey_and_quotes":
        if not c.ot_recommendation:
            return IllegalTransition(_("Record the OT recommendation before the survey and quotes."))
        if not c.ot_necessary_appropriate:
            return IllegalTransition(_("The OT did not confirm the works are necessary and appropriate, so the case "
                                       "cannot go on to survey and quotes."))
    if to_state == "application_received" and c.state == "survey_and_quotes":
        if not c.works:
            return IllegalTransition(_("Record at least one type of works before the full application."))
        needed = int(setting("DFG_MIN_QUOTES"))
        if len(c.live_quotes) < needed:
            return IllegalTransition(_("Policy needs at least %(needed)s quotes before the full application; this case "
                                       "has %(len)s. Withdrawn quotes do not count.",
                                       needed=needed, len=len(c.live_quotes)))
        if needed and c.chosen_quote is None:
            return IllegalTransition(_("Choose the quote the works will go ahead on before the full application."))
        if c.tenure in TENANT_TENURES and not (c.landlord_consent_date and c.landlord_consent_by):
            return IllegalTransition(_("Record the landlord's consent before the full application."))
    if to_state == "application_received" and c.state == "refused" and (
            c.review_due_date is None or today > c.review_due_date):
        return IllegalTransition(_("The review window has closed, so a review cannot be asked for now."))
    if to_state == "approved":
        if not c.is_child and c.test_of_resources is None:
            return IllegalTransition(_("Record the test of resources before the decision: the person was %(age)s or "
                                       "over on the date of the full application.",
                                       age=setting('DFG_CHILD_AGE_LIMIT')))
        if c.chosen_quote is None:
            return IllegalTransition(_("Choose the quote the works will go ahead on before the decision: the grant is "
                                       "worked out from it."))
    if to_state == "paid" and c.paid_total <= 0:
        return IllegalTransition(_("Record the payment before closing the case as paid."))
    return None


def _guard(c: DfgCase, to_state: str, today: date) -> None:
    """What must be true as the case enters a stage: its preconditions and what the move records."""
    refusal = _precondition(c, to_state, today)
    if refusal is not None:
        raise refusal
    if to_state == "approved" and c.approved_amount is None:
        raise IllegalTransition(_("Approve a case with its grant amount."), field="grant")
    if to_state in ("refused", "withdrawn") and not c.closed_reason:
        what = "reason for refusal" if to_state == "refused" else "reason the case was withdrawn"
        raise IllegalTransition(_("Give the %(what)s.", what=what), field="reason")
    if to_state == "works" and c.works_started_date is None:
        raise IllegalTransition(_("Enter the date the works started."), field="on")
    if to_state == "completed" and not (c.completed_date and c.inspected_date):
        raise IllegalTransition(_("Enter when the works were completed and when they were inspected."),
                                field="completed_on")


# Who may do what -------------------------------------------------------------------------------

def may_act(user) -> bool:
    """Only a DFG caseworker changes a case; a manager reads. The CLI and scripts act as a named user."""
    return bool(getattr(user, "has_role", None)) and user.has_role(DFG_CASEWORKER)


def _action_refusal(c: DfgCase, action: str, today: date) -> Refusal | None:
    """Why `action` is not open on the case now (None when it is), whoever asks."""
    s = c.state
    if action == "upload":
        return None
    if action == "details":
        return None if c.is_open else IllegalTransition(_("A closed case cannot be changed."))
    if action == "tor":
        if c.is_child:
            return IllegalTransition(_("Cases for a disabled child or young person have no test of resources."))
        if s == "eligibility" or (c.test_of_resources is None and s in LATE_TOR_STATES):
            return None
        return IllegalTransition(_("The test of resources is recorded at the eligibility stage."))
    if action == "dob":
        return None if c.is_open else IllegalTransition(_("A closed case cannot be changed."))
    if action == "withdraw_quote":
        if s not in QUOTE_STATES:
            return IllegalTransition(_("A quote can only be withdrawn before the decision."))
        if not c.live_quotes:
            return IllegalTransition(_("There is no quote to withdraw."))
        return None
    if action == "ot":
        if s != "ot_recommendation":
            return IllegalTransition(_("The OT recommendation is recorded at the OT recommendation stage."))
        return None
    if action == "landlord":
        if c.tenure not in TENANT_TENURES:
            return IllegalTransition(_("Landlord consent is only needed when the home is rented."))
        if s != "survey_and_quotes":
            return IllegalTransition(_("Landlord consent is recorded at the survey and quotes stage."))
        return None
    if action == "quote":
        return None if s in QUOTE_STATES else IllegalTransition(_("Quotes are added at the survey and quotes stage."))
    if action == "choose_quote":
        if s not in QUOTE_STATES:
            return IllegalTransition(_("The quote can only be chosen before the decision."))
        if all(q.chosen for q in c.live_quotes):
            return IllegalTransition(_("There is no other quote to choose."))
        return None
    if action == "payment":
        if s not in PAYMENT_STATES:
            return IllegalTransition(_("Payments can only be made once the works have started."))
        if c.left_to_pay <= 0:
            return MoneyRuleBroken(f"All of the approved £{c.approved_total:,.2f} has been paid.", field="amount")
        whole = c.work_done_value is None or c.work_done_value >= c.approved_total
        if s == "works" and whole and c.paid_total >= _instalment_limit(c):
            return MoneyRuleBroken("The instalments have reached their limit while the works are in progress: "
                                   "the balance is paid once the works are completed and inspected.", field="amount")
        return None
    if action == "application" and s != "survey_and_quotes":
        return IllegalTransition(_("The full application is recorded at the survey and quotes stage."))
    if action == "review" and s != "refused":
        return IllegalTransition(_("Only a refused application can be reviewed."))
    to_state = MOVES[action]
    refusal = _move_refusal(c, to_state) or _precondition(c, to_state, today)
    if refusal is None and action == "approve":
        chosen = c.chosen_quote
        if chosen is not None and chosen.amount <= (c.contribution or ZERO):
            return MoneyRuleBroken(f"The £{c.contribution:,.2f} contribution covers the chosen quote of "
                                   f"£{chosen.amount:,.2f}, so there is no grant to approve.", field="grant")
    return refusal


def _instalment_limit(c: DfgCase):
    from portal.dfg.services.money import instalment_limit  # money builds on this module

    return instalment_limit(c)


def allowed_actions(user, c: DfgCase, today: date | None = None) -> frozenset[str]:
    """Every action `user` may take on the case now: by role, by stage, and by the case's own rules."""
    if not may_act(user):
        return frozenset()
    today = today or london_today()
    return frozenset(a for a in ACTIONS if _action_refusal(c, a, today) is None)


def why_not(user, c: DfgCase, action: str, today: date | None = None) -> str | None:
    """Why `action` is not open to `user` on the case now, in words for the page (None when it is)."""
    if not may_act(user):
        return "Only a DFG caseworker can change a DFG case."
    refusal = _action_refusal(c, action, today or london_today())
    return refusal.message if refusal else None


def begin(actor, c: DfgCase, action: str, version: int | None = None, today: date | None = None) -> date:
    """The top of every action: may this person act, is their page current, is the action open now.

    NotAllowed for someone who can never act on a case; VersionClash for a page older than the
    case; otherwise the refusal that says why the action is not open. Returns today's date.
    """
    if not may_act(actor):
        raise NotAllowed(_("Only a DFG caseworker can change a DFG case."))
    check_case_version(c, version)
    today = today or london_today()
    refusal = _action_refusal(c, action, today)
    if refusal is not None:
        raise refusal
    return today


# The one transition function -------------------------------------------------------------------

def transition(session, actor, c: DfgCase, to_state: str, *, version: int | None = None,
               today: date | None = None, **details) -> str:
    """Move a case to `to_state`, or raise IllegalTransition. Writes stage history and audit."""
    check_case_version(c, version)
    refusal = _move_refusal(c, to_state)
    if refusal is not None:
        raise refusal
    _guard(c, to_state, today or london_today())
    from_state = c.state
    now = utcnow()
    by_id, by_label = actor_label(actor)
    c.state = to_state
    c.state_changed_at = now
    seq = 1 + max((h.seq for h in c.stages), default=0)
    session.add(DfgStageHistory(case=c, seq=seq, from_state=from_state, to_state=to_state, at=now,
                                by_id=by_id, by_label=by_label[:200]))
    record(session, actor, "dfg.transition", "dfg_case", c.id, reference=c.reference,
           from_state=from_state, to_state=to_state, **{k: str(v) for k, v in details.items()})
    flush(session, c)
    return to_state


def stage_durations(c: DfgCase, now: datetime | None = None) -> list[dict]:
    """Each stage the case has been in, with its length in days (the current one up to now)."""
    now = now or utcnow()
    rows = sorted(c.stages, key=lambda h: h.seq)
    out = []
    for i, h in enumerate(rows):
        end = rows[i + 1].at if i + 1 < len(rows) else (None if h.to_state in CLOSED_STATES else now)
        out.append({
            "state": h.to_state, "label": STATES[h.to_state], "from": h.from_state, "at": h.at, "by": h.by_label,
            "days": None if end is None else round((end - h.at).total_seconds() / 86400, 1),
            "current": i == len(rows) - 1,
        })
    return out
