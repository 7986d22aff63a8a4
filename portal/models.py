"""Every feature's tables, imported in one place so the metadata (and Alembic) sees them all."""

from portal.audit.models import AuditEvent  # noqa: F401
from portal.auth.models import RecoveryCode, User, UserRole  # noqa: F401
from portal.notify.models import Notification  # noqa: F401
from portal.people.models import Consent, Contact, Person  # noqa: F401
