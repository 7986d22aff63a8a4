"""Single sign-on with the council's identity provider (OpenID Connect), through Authlib.

Authlib does the protocol: discovery at `<OIDC_ISSUER>/.well-known/openid-configuration`, the
authorization code flow with state, nonce and PKCE (S256), the code exchange, and the ID token's
checks (signature against the provider's JWKS, issuer, audience, expiry, nonce). This module only
registers the client from configuration and turns a validated ID token into a `ProviderIdentity`
(or a `SignInFailed` saying what went wrong, without the token). No token is kept: the portal's own
revocable session (`portal.auth.services.start_session`) is what keeps someone signed in.
"""

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from joserfc.errors import ExpiredTokenError, JoseError

from portal.auth.services import ProviderIdentity, parse_group_roles

CLIENT_NAME = "council"
EXTENSION = "portal_sso"


class SignInFailed(Exception):
    """Single sign-on did not give a person: `reason` is for the audit log, `message` for the page."""

    def __init__(self, status: int, reason: str, message: str, **details) -> None:
        super().__init__(reason)
        self.status, self.reason, self.message, self.details = status, reason, message, details


def configured(config) -> bool:
    return bool(config.get("OIDC_ISSUER") and config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET"))


def init_app(app: Flask) -> None:
    """Register the provider when it is configured. A wrong group mapping, or OIDC_ONLY without a
    provider (nobody but administrators could sign in), stops the app at start-up."""
    app.extensions.pop(EXTENSION, None)
    if not configured(app.config):
        if app.config.get("OIDC_ONLY"):
            raise RuntimeError("OIDC_ONLY is set, but single sign-on is not: set OIDC_ISSUER, OIDC_CLIENT_ID "
                               "and OIDC_CLIENT_SECRET")
        return
    parse_group_roles(app.config["OIDC_GROUP_ROLES"])
    scopes = app.config["OIDC_SCOPES"].split()
    if "openid" not in scopes:
        raise RuntimeError("OIDC_SCOPES must include openid")
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": " ".join(scopes), "code_challenge_method": "S256", "default_timeout": 10},
    )
    app.extensions[EXTENSION] = oauth.create_client(CLIENT_NAME)


def client():
    """The registered provider, or None when single sign-on is not configured."""
    return current_app.extensions.get(EXTENSION)


UNREACHABLE = ("The TECS Portal could not reach your council's sign-in service. Try again in a few minutes. "
               "If it keeps happening, tell the council's IT service.")
NOT_SIGNED_IN = ("Your council account could not sign you in to the TECS Portal. Go back to the sign-in page "
                 "and try again.")


def start(redirect_uri: str):
    """The redirect to the provider; Authlib keeps the state, nonce and PKCE verifier in the session."""
    try:
        response = client().authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
        raise SignInFailed(503, "provider unreachable", UNREACHABLE, error=type(exc).__name__) from exc
    response.status_code = 303
    return response


def _claims_options() -> dict:
    """Checked on every ID token, whatever the Authlib version: issuer and audience exactly, and the
    times. (Authlib on its own checks the audience only through `azp`.)"""
    return {
        "iss": {"essential": True, "value": current_app.config["OIDC_ISSUER"]},
        "aud": {"essential": True, "value": current_app.config["OIDC_CLIENT_ID"]},
        "sub": {"essential": True},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }


def finish() -> ProviderIdentity:
    """The person the provider signed in, from the callback's code, once the ID token is valid."""
    try:
        token = client().authorize_access_token(claims_options=_claims_options())
    except AuthlibBaseError as exc:
        error = (getattr(exc, "error", None) or "oauth_error")[:60]
        if error == "mismatching_state":
            raise SignInFailed(400, "state missing or wrong", "Your sign-in could not be finished: it was started "
                               "in another browser window or took too long. Go back to the sign-in page and "
                               "try again.") from exc
        raise SignInFailed(401, "provider error", NOT_SIGNED_IN, error=error) from exc
    except ExpiredTokenError as exc:
        raise SignInFailed(401, "ID token expired", NOT_SIGNED_IN) from exc
    except JoseError as exc:
        raise SignInFailed(401, "ID token invalid", NOT_SIGNED_IN, error=type(exc).__name__[:60]) from exc
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailed(503, "provider unreachable", UNREACHABLE, error=type(exc).__name__) from exc
    claims = token.get("userinfo")
    if not claims:
        raise SignInFailed(401, "no ID token", NOT_SIGNED_IN)
    return identity_from_claims(claims)


def identity_from_claims(claims) -> ProviderIdentity:
    config = current_app.config
    groups_claim = config["OIDC_GROUPS_CLAIM"]
    if groups_claim not in claims and groups_claim in (claims.get("_claim_names") or {}):
        # Entra ID leaves the groups out when someone is in too many ("overage"): see README.
        raise SignInFailed(401, "groups left out of the ID token (too many groups)",
                           "Your council account is in too many groups for the TECS Portal to read. Ask the "
                           "council's IT service to send only the groups assigned to the TECS Portal.")
    groups = claims.get(groups_claim) or []
    if isinstance(groups, str):
        groups = [groups]
    wanted = config["OIDC_REQUIRE_MFA_CLAIM"]
    amr = claims.get("amr") or []
    email = claims.get(config["OIDC_EMAIL_CLAIM"])
    return ProviderIdentity(
        issuer=claims["iss"],
        subject=str(claims["sub"]),
        email=email if isinstance(email, str) and "@" in email else None,
        email_verified=claims.get("email_verified") in (True, "true"),
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        groups=[str(g) for g in groups],
        mfa=bool(wanted) and (wanted in amr or claims.get("acr") == wanted),
    )
