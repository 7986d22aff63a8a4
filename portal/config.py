"""Settings from the environment: one class per environment.

`PORTAL_ENV` chooses the class: `production` (the default for `wsgi.py`), `development`
(what `make run` uses) or `test`.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", Path(__file__).parent.parent / "instance"))


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _local_secret_key() -> str:
    """A key generated once and kept in instance/ so local sessions survive restarts."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _sqlite_url(name: str) -> str:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / name}"


class BaseConfig:
    ENV_NAME = "base"
    COUNCIL_NAME = os.environ.get("COUNCIL_NAME", "Ashdown District Council")
    SERVICE_NAME = "TECS Portal"
    SERVICE_DESCRIPTION = "Care technology, equipment and home adaptations"
    SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "tecs@council.example")
    SUPPORT_PHONE = os.environ.get("SUPPORT_PHONE", "0300 123 4567")
    # SUPPORT_PHONE answers on weekdays that are not bank holidays, from the first hour to the
    # second (24-hour clock, Europe/London). At any other time, the advice report's "get help
    # now" messages name OUT_OF_HOURS_PHONE instead: the emergency duty team, which must answer
    # at night, at weekends and on bank holidays (including emergency help with heating).
    SUPPORT_HOURS = (9, 17)
    OUT_OF_HOURS_PHONE = os.environ.get("OUT_OF_HOURS_PHONE", "0300 123 4999")

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions: signed cookie carrying a revocable per-user token (see auth.models.User).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)  # absolute lifetime (ASVS 7.3.2)
    # The cookie is re-sent only when the session changes (activity is stamped once a minute), not
    # signed and sent on every response; both limits are checked on the server.
    SESSION_REFRESH_EACH_REQUEST = False
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))  # ASVS 7.3.1

    WTF_CSRF_TIME_LIMIT = None  # tied to the session, so a queue left open still works
    WTF_CSRF_SSL_STRICT = True

    REQUIRE_MFA = _bool("REQUIRE_MFA", True)

    # Single sign-on with the council's identity provider (OpenID Connect; README "Single sign-on").
    # On when the issuer, client id and secret are all set. OIDC_ONLY switches off password sign-in
    # for everyone but administrators (break-glass, with this portal's two-factor sign-in).
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")  # exactly as the provider's ID tokens give it
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_ONLY = _bool("OIDC_ONLY", False)
    # {"<group id>": "<role>"} (JSON); "trusted_assessor:3" or ":4" gives the trusted assessor level too.
    OIDC_GROUP_ROLES = os.environ.get("OIDC_GROUP_ROLES", "{}")
    OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
    OIDC_EMAIL_CLAIM = os.environ.get("OIDC_EMAIL_CLAIM", "email")
    # Email domains the provider owns and vouches for (Entra ID sends no email_verified claim).
    OIDC_TRUSTED_EMAIL_DOMAINS = [
        s.strip().lower() for s in os.environ.get("OIDC_TRUSTED_EMAIL_DOMAINS", "").split(",") if s.strip()
    ]
    # When set (e.g. "mfa"), the ID token's amr (or acr) must carry it, or the sign-in is refused.
    OIDC_REQUIRE_MFA_CLAIM = os.environ.get("OIDC_REQUIRE_MFA_CLAIM", "")
    HSTS = True
    TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))

    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT = "10 per 5 minutes"  # Cyber Essentials: no more than 10 guesses in 5 minutes

    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
    NOTIFY_MAX_ATTEMPTS = 8
    NOTIFY_DELIVER_INLINE = True

    # The largest upload a form accepts, as its hint says. A body up to four times that is read, so
    # an oversized file comes back on its form with this limit; a larger body is refused at once.
    MAX_UPLOAD_MB = 10
    MAX_CONTENT_LENGTH = 4 * MAX_UPLOAD_MB * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500_000  # the text fields of one form (werkzeug's default)

    # Fingerprinted, pre-compressed copies of static/ (portal/web/assets.py); generated, never committed.
    STATIC_BUILD_DIR = os.environ.get("STATIC_BUILD_DIR") or str(INSTANCE_DIR / "static-build")
    STATIC_MAX_AGE = 60  # seconds, for a static file asked for by its plain name; fingerprinted: a year
    LOCALITIES = [
        s.strip() for s in os.environ.get("LOCALITIES", "North,Central,South").split(",") if s.strip()
    ]

    # Working days: the nation's bank holidays (england_and_wales, scotland, northern_ireland)
    # and the council's own closure days (ISO dates, comma-separated).
    BANK_HOLIDAYS_NATION = os.environ.get("BANK_HOLIDAYS_NATION", "england_and_wales")
    EXTRA_CLOSURE_DAYS = [s.strip() for s in os.environ.get("EXTRA_CLOSURE_DAYS", "").split(",") if s.strip()]

    # Disabled Facilities Grant (England's figures; a council may set its own).
    DFG_MAX_GRANT = 30000
    DFG_MIN_QUOTES = 2
    DFG_LAND_CHARGE_THRESHOLD = 5000
    DFG_REVIEW_DAYS = 28
    DFG_ANNUAL_BUDGET = 2500000
    DFG_DUE_SOON_DAYS = 30
    DFG_UPLOAD_DIR = os.environ.get("DFG_UPLOAD_DIR") or str(INSTANCE_DIR / "uploads" / "dfg")
    DFG_SCANNER = None  # a callable(bytes) -> bool (True: infected); None: the built-in EICAR check only
    # A disabled child or young person (under this age on the application date) has no test of
    # resources (Housing Renewal Grants Regulations 1996 as amended).
    DFG_CHILD_AGE_LIMIT = 19
    # Instalments while the works are in progress: at most this share of the grant (or of the value
    # of the work done, when recorded); the balance only after completion and inspection (s.35).
    DFG_INSTALMENT_SHARE = "0.90"
    # Sane bounds on money typed in: a larger figure is almost surely a typing slip.
    DFG_QUOTE_LIMIT = 250000
    DFG_FEES_LIMIT = 50000
    DFG_WEEKLY_INCOME_LIMIT = 10000
    DFG_SAVINGS_LIMIT = 5000000

    # Targets. Equipment: delivery and collection in working days, over the defaults
    # {"urgent": 1, "standard": 7, "collection": 5}. Referrals: None keeps the defaults in
    # portal/referrals/targets.py; a council gives the same shape to change them.
    EQUIPMENT_TARGETS: dict = {}
    REFERRAL_TARGETS = None

    # Telecare: install targets in working days per priority, over {"urgent": 2, "urgent_all": 5,
    # "routine": 10}. Whether an alarm unit is digital or analogue comes from the catalogue
    # (equipment_product.alarm_unit), not from here.
    TELECARE_TARGETS: dict = {}
    # Telecare visits: whether installers work weekends and bank holidays (a visit on a day the
    # service does not work is refused), and how long a visit booked at a start time takes (a
    # visit overlapping another of the same installer's is refused).
    TELECARE_WORKS_WEEKENDS = True
    TELECARE_WORKS_BANK_HOLIDAYS = False
    TELECARE_VISIT_MINUTES = 90
    # Accept Ofcom's numbers for drama (01632 960xxx, 07700 900xxx...) as responder and line
    # numbers. Off in production: nobody answers them. On for the demo and the tests.
    TELECARE_ACCEPT_FICTIONAL_NUMBERS = False

    # A stocktake that would write off more than this share of a store's assets needs a manager.
    EQUIPMENT_STOCKTAKE_APPROVAL_SHARE = 0.05
    # An installer keeps access to a person's record this many days after their job is done.
    TELECARE_ACCESS_DAYS = 14
    # A DFG caseworker keeps access to a closed case's person this many days (complaints, final
    # payments, land charge letters).
    DFG_CLOSED_ACCESS_DAYS = 90

    # Self-assessment reports. The link works this many days after the report was finished.
    ADVICE_REPORT_LINK_DAYS = 90
    # The browser that finished a report, or passed the check, sees its answers this long.
    ADVICE_ANSWERS_SEEN_MINUTES = 60
    # An emailed code to see the answers works this many minutes, once.
    ADVICE_CODE_MINUTES = 15
    # After this many wrong dates of birth or codes in a row, the check is locked this long.
    ADVICE_CHECK_MAX_FAILURES = 5
    ADVICE_CHECK_LOCK_MINUTES = 30


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"

    def __init__(self) -> None:
        key = os.environ.get("SECRET_KEY", "")
        if len(key) < 32:
            raise RuntimeError("SECRET_KEY must be set (32+ characters) in production")
        self.SECRET_KEY = key
        url = os.environ.get("DATABASE_URL", "")
        self.SQLALCHEMY_DATABASE_URI = url or _sqlite_url("portal.db")


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    HSTS = False
    REQUIRE_MFA = _bool("REQUIRE_MFA", False)
    TELECARE_ACCEPT_FICTIONAL_NUMBERS = True

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or _sqlite_url("portal.db")


class TestConfig(BaseConfig):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-use-0123456789"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    HSTS = False
    REQUIRE_MFA = False
    OIDC_ISSUER = OIDC_CLIENT_ID = OIDC_CLIENT_SECRET = ""  # the SSO tests start their own provider
    OIDC_ONLY = False
    NOTIFY_DELIVER_INLINE = False
    TELECARE_ACCEPT_FICTIONAL_NUMBERS = True
    TELECARE_WORKS_BANK_HOLIDAYS = True  # tests book visits for today, which may be a bank holiday
    RATELIMIT_STORAGE_URI = "memory://"  # one process; tests of the shared store make their own app
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SERVER_NAME = None


def setting(name: str):
    """The one way code reads a setting: the app's config, or the default outside an app."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config[name]
    return getattr(BaseConfig, name)


CONFIGS = {"production": ProductionConfig, "development": DevelopmentConfig, "test": TestConfig}


def config_from_env():
    name = os.environ.get("PORTAL_ENV", "production")
    try:
        cls = CONFIGS[name]
    except KeyError as exc:
        raise RuntimeError(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}") from exc
    return cls()
