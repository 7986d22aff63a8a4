"""Every feature's tables, imported in one place so the metadata (and Alembic) sees them all."""

from portal.advice.models import AdviceReport  # noqa: F401
from portal.api.models import ApiClient, ApiRequest  # noqa: F401
from portal.audit.models import AuditEvent  # noqa: F401
from portal.auth.models import RecoveryCode, User, UserRole  # noqa: F401
from portal.dfg.models import DfgCase, DfgEvidence, DfgPayment, DfgQuote, DfgStageHistory, DfgTestOfResources, DfgWorks  # noqa: F401,E501
from portal.equipment.models import (  # noqa: F401,E501
    Amnesty,
    Asset,
    BorrowerOrganisation,
    Kit,
    KitItem,
    Movement,
    Order,
    OrderLine,
    Product,
    StockLevel,
    Stocktake,
    StocktakeScan,
    Store,
)
from portal.notify.models import Notification  # noqa: F401
from portal.people.models import Consent, Contact, Person  # noqa: F401
from portal.referrals.models import Assessment, Referral, ReferralNeed, ReferralPause  # noqa: F401
from portal.reports.models import REPORT_INDEXES  # noqa: F401
from portal.telecare.models import Connection, ConnectionDevice, Job, JobStep, Responder  # noqa: F401
from portal.web.rate_limits import rate_limit  # noqa: F401
