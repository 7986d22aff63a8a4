"""An OpenID Connect provider the suite starts itself, on 127.0.0.1 in a thread: discovery, JWKS
(a real RSA key), /authorize and /token, issuing real RS256-signed ID tokens. The portal's Authlib
client talks to it over HTTP exactly as it would to Entra ID.

Each test says who signs in (`provider.person`) and may spoil the next ID token (`provider.spoil`:
claims to change, or None to leave one out) or sign it with another key (`provider.sign_with`).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from portal.auth import sso
from tests.conftest import csrf_from

CLIENT_ID = "tecs-portal-test-client"
CLIENT_SECRET = "a-test-client-secret-0123456789"
KID = "test-key-1"
GROUP_ROLES = {
    "11111111-aaaa-triage": "triage_officer",
    "22222222-bbbb-ot": "occupational_therapist",
    "33333333-cccc-ta3": "trusted_assessor:3",
    "44444444-dddd-ta4": "trusted_assessor:4",
    "55555555-eeee-admin": "admin",
}


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": KID})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": KID})  # same kid, wrong key
        self.issuer = ""
        self.codes: dict[str, dict] = {}
        self.reset()

    def reset(self) -> None:
        self.person = {"sub": "subject-0001", "email": "sam.jones@council.example", "email_verified": True,
                       "name": "Sam Jones", "groups": ["11111111-aaaa-triage"]}
        self.spoil: dict = {}
        self.sign_with = self.key
        self.deny = False
        self.forget_codes = False  # the token endpoint refuses every code (invalid_grant)
        self.send_id_token = True
        self.token_requests: list[dict] = []

    # the HTTP side ---------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        handler = {"/.well-known/openid-configuration": self.discovery, "/jwks": self.jwks,
                   "/authorize": self.authorize, "/token": self.token}.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def discovery(self, _request):
        return _json({"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                      "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                      "response_types_supported": ["code"], "subject_types_supported": ["public"],
                      "id_token_signing_alg_values_supported": ["RS256"],
                      "code_challenge_methods_supported": ["S256"]})

    def jwks(self, _request):
        return _json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request):
        args = request.args
        back = args["redirect_uri"]
        if self.deny:
            query = {"error": "access_denied", "error_description": "The user said no", "state": args["state"]}
            return Response(status=302, headers={"Location": f"{back}?{urlencode(query)}"})
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"client_id": args["client_id"], "redirect_uri": back, "nonce": args.get("nonce"),
                            "challenge": args.get("code_challenge"), "method": args.get("code_challenge_method")}
        return Response(status=302, headers={"Location": f"{back}?{urlencode({'code': code, 'state': args['state']})}"})

    def token(self, request):
        self.token_requests.append(dict(request.form))
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        if self.forget_codes:
            self.codes.clear()
        grant = self.codes.pop(request.form.get("code", ""), None)
        if grant is None or grant["redirect_uri"] != request.form.get("redirect_uri"):
            return _json({"error": "invalid_grant"}, 400)
        verifier = request.form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["method"] != "S256" or digest != grant["challenge"]:
            return _json({"error": "invalid_grant", "error_description": "PKCE check failed"}, 400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **self.person}
        for name, value in self.spoil.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        id_token = jwt.encode({"alg": "RS256", "kid": KID}, claims, self.sign_with)
        answer = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300}
        return _json({**answer, "id_token": id_token} if self.send_id_token else answer)


def _json(data, status=200):
    return Response(json.dumps(data), status=status, content_type="application/json")


@pytest.fixture(scope="session")
def provider():
    provider = Provider()
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    thread.join(5)


@pytest.fixture
def sso_app(app, provider):
    """The test app with single sign-on pointed at the provider; put back as it was afterwards."""
    provider.reset()
    settings = {"OIDC_ISSUER": provider.issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "OIDC_GROUP_ROLES": json.dumps(GROUP_ROLES), "OIDC_ONLY": False, "OIDC_REQUIRE_MFA_CLAIM": "",
                "OIDC_TRUSTED_EMAIL_DOMAINS": [], "REQUIRE_MFA": False}
    before = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    sso.init_app(app)
    yield app
    app.config.update(before)
    sso.init_app(app)


class SingleSignOn:
    """Walks a browser through the sign-in: the portal's button, the provider, back to the portal."""

    def __init__(self, client, provider) -> None:
        self.client, self.provider = client, provider

    def go_to_provider(self):
        page = self.client.get("/sign-in")
        resp = self.client.post("/sign-in/sso", data={"csrf_token": csrf_from(page.text)})
        assert resp.status_code == 303, resp.text[:300]
        return resp.headers["Location"]

    def come_back(self, provider_url: str):
        answer = requests.get(provider_url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302
        back = urlsplit(answer.headers["Location"])
        return self.client.get(f"{back.path}?{back.query}")

    def sign_in(self, **person):
        self.provider.person.update(person)
        return self.come_back(self.go_to_provider())


@pytest.fixture
def single_sign_on(sso_app, client, provider):
    return SingleSignOn(client, provider)
