"""Errors that services raise and the web layer turns into messages (never a 500).

There are three kinds, and each reaches the person one way:
- a `Refusal` (a rule said no: wrong state, out of stock, a money rule, a duplicate) goes back on
  the same form, on the field it names or at the top, with every answer kept
  (`portal.web.forms.refuse`);
- a `VersionClash` (someone else saved the record first) is the only thing that says "changed by
  someone else", and shows what the other person did;
- `NotAllowed` and `NotFound` are the 403 and 404 pages.
"""


class PortalError(Exception):
    """Base class: `message` is shown to the person as it is; `field` names the form field."""

    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Refusal(PortalError):
    """A business rule refused the request. The person can see why and put it right."""

    status = 422


class IllegalTransition(Refusal):
    """The action is not open in the record's current state (or not to this person)."""


class Conflict(Refusal):
    """The same thing already exists or was already done (a second product with one code)."""


class OutOfStock(Refusal):
    pass


class VersionClash(PortalError):
    """Someone else saved the record after the person opened it; nothing of theirs was saved."""

    status = 409

    def __init__(self, message: str, entity_type: str | None = None, entity_id=None) -> None:
        super().__init__(message)
        self.entity_type = entity_type
        self.entity_id = entity_id


class NotAllowed(PortalError):
    status = 403


class NotFound(PortalError):
    status = 404


def check_version(thing, version: int | None, label: str) -> None:
    """Refuse a change made from a page older than the record (the hidden `version` field).

    `label` names the record as the person knows it ("Referral R-1234"). The audit entity type is
    the table name, so the clash page can show the other person's change.
    """
    if version is not None and int(version) != thing.version:
        raise VersionClash(
            f"{label} was changed by someone else while you were looking at it. Your change was not saved.",
            entity_type=thing.__tablename__, entity_id=thing.id)


def require_action(allowed, action: str, message: str) -> None:
    """Every service checks its action against the entity's `allowed_actions` with this."""
    if action not in allowed:
        raise IllegalTransition(message)
