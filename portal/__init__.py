"""TECS Portal: the application factory."""

import logging
import os

from flask import Flask, g
from flask_login import user_logged_in
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import config_from_env
from portal.extensions import csrf, db, limiter, login_manager, migrate
from portal.web import assets, i18n, rate_limits, security  # noqa: F401  (rate_limits registers portaldb://)
from portal.web.errors import register_error_handlers
from portal.web.htmx import htmx
from portal.web.ids import IdConverter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config=None) -> Flask:
    app = Flask(
        __name__,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.from_object(config if config is not None else config_from_env())
    _configure_database(app)
    _configure_rate_limits(app)

    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(os.path.join(ROOT, "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    htmx.init_app(app)
    WTFormsHelpers(app)
    i18n.init_app(app)
    _configure_login(app)

    if app.config.get("TRUSTED_PROXY_HOPS"):
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    assets.init_app(app)  # fingerprinted, pre-compressed static files, served by WhiteNoise

    app.before_request(security.start_request)
    app.before_request(security.enforce_idle_timeout)
    user_logged_in.connect(security.stamp_sign_in, app)
    app.before_request(security.enforce_access)
    app.after_request(security.security_headers)
    app.after_request(security.log_request)
    app.after_request(_deliver_notifications_after_response)
    register_error_handlers(app)
    app.url_map.converters["int"] = IdConverter
    _register_features(app)
    _register_template_helpers(app)

    from portal import cli
    from portal.advice.services import content

    content()  # the advice content is validated at start-up: a content error stops the app
    cli.register(app)
    _configure_logging(app)
    return app


def _configure_database(app: Flask) -> None:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("postgresql"):  # closed connections are replaced at checkout (portal.extensions)
        options.setdefault("pool_recycle", 1800)
        options.setdefault("connect_args", {"connect_timeout": 3})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _configure_rate_limits(app: Flask) -> None:
    """Every limit counts in one place all workers and hosts share: Redis, or else the database.

    A store inside one process (memory://) would let each gunicorn worker count on its own, so
    production refuses to start with it.
    """
    redis_url = app.config.get("REDIS_URL")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = redis_url or "portaldb://"
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", False)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "tecs")
    if app.config["ENV_NAME"] == "production" and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        raise RuntimeError("RATELIMIT_STORAGE_URI is memory://, which each worker keeps apart: "
                           "set REDIS_URL, or leave it unset to count in the database")


def _configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the revocable session token does this job

    @login_manager.user_loader
    def load_user(token: str):
        """The signed-in member of staff and their roles, from the session's token (one query)."""
        from portal.auth import services
        from portal.extensions import begin_write

        found = services.user_for_token(db.session, token)
        if found is None:
            return None
        user, row = found
        g.user_id = user.id  # for the request log
        if services.seen_due(row):
            begin_write()
            row.last_seen_at = services.utcnow()
            db.session.commit()
        return user


def _register_features(app: Flask) -> None:
    """Each feature registers its blueprint, navigation, demo data and person-record section."""
    import portal.models  # noqa: F401  (every table, for the metadata)
    from portal import advice, api, audit, auth, dfg, equipment, notify, people, referrals, reports, telecare, web

    for feature in (web, auth, audit, notify, people, advice, referrals, dfg, equipment, telecare, reports, api):
        feature.register(app)


def _register_template_helpers(app: Flask) -> None:
    from portal.web import filters

    filters.register(app)


def _deliver_notifications_after_response(resp):
    """With GOV.UK Notify configured, send queued messages once the response has gone."""
    if not g.get("notifications_queued"):
        return resp
    from flask import current_app

    app = current_app._get_current_object()

    def deliver():
        with app.app_context():
            from portal.extensions import write_intent
            from portal.notify.services import backend_from_config, deliver_due

            try:
                with write_intent():
                    deliver_due(db.session, backend_from_config())
            except Exception:
                logging.getLogger("portal.notify").exception("inline delivery failed")
            finally:
                db.session.remove()

    if app.config.get("NOTIFY_DELIVER_INLINE"):
        resp.call_on_close(deliver)
    return resp


def _configure_logging(app: Flask) -> None:
    if app.config.get("TESTING"):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("portal",):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
