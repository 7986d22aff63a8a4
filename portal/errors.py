"""Errors that services raise and the web layer turns into messages (never a 500)."""


class PortalError(Exception):
    """Base class: `message` is shown to the user as it is."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IllegalTransition(PortalError):
    status = 409


class Conflict(PortalError):
    """Someone else changed the record first, or the same thing was already done."""

    status = 409


class NotAllowed(PortalError):
    status = 403


class NotFound(PortalError):
    status = 404


class OutOfStock(PortalError):
    status = 409
