"""What every part of the DFG services shares: money in pounds and pence, the refusals they raise,
the version check and the flush that turns a lost race into a clash."""

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from portal.config import setting
from portal.dfg.models import DfgCase
from portal.errors import NotFound, Refusal, VersionClash, check_version

PENNY = Decimal("0.01")
ZERO = Decimal("0")


class MoneyRuleBroken(Refusal):
    """A money rule said no (grant above the limit, a payment above the approval)."""


class UploadRejected(Refusal):
    """The evidence file was refused (type, size, content or a virus)."""


def money_setting(name: str) -> Decimal:
    return Decimal(str(setting(name))).quantize(PENNY)


def to_money(value, field: str | None = None) -> Decimal:
    """A Decimal in pounds and pence; refuses NaN, infinity and fractions of a penny."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").replace("£", ""))
    except (InvalidOperation, ValueError) as exc:
        raise MoneyRuleBroken("Enter an amount in pounds, like 4500 or 4500.50", field=field) from exc
    if not amount.is_finite():
        raise MoneyRuleBroken("Enter an amount in pounds, like 4500 or 4500.50", field=field)
    if amount != amount.quantize(PENNY):
        raise MoneyRuleBroken("Enter an amount in pounds and pence, with no more than 2 decimal places", field=field)
    return amount.quantize(PENNY)


def money_in_bounds(amount: Decimal, limit_setting: str, what: str, field: str) -> None:
    """Refuse a figure above its sane bound (a setting): almost surely a typing slip."""
    limit = money_setting(limit_setting)
    if amount > limit:
        raise MoneyRuleBroken(f"{what} cannot be more than £{limit:,.2f}. Check the figure", field=field)


def check_case_version(c: DfgCase, version: int | None) -> None:
    check_version(c, version, f"DFG case {c.reference}")


def flush(session, c: DfgCase) -> None:
    """Flush; the ORM's version column catching a save over someone else's is a clash."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise VersionClash(_("DFG case %(reference)s was changed by someone else at the same time. Your change"
                             " was not saved.",
                             reference=c.reference), entity_type=c.__tablename__, entity_id=c.id) from exc


def get_case(session, case_id: int) -> DfgCase:
    c = session.get(DfgCase, case_id)
    if c is None:
        raise NotFound(_("There is no DFG case with that number."))
    return c
