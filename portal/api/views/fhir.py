"""FHIR R4 referrals: POST /api/v1/fhir/ServiceRequest (a ServiceRequest with its Patient).

Every answer under /api/v1/fhir/ is FHIR JSON: errors are OperationOutcomes, including those the
portal's error handlers (404, 405, 413, 500, 503) and `api_call` (401, 403, 429, refusals) give.
"""

import json
from functools import wraps

from flask import current_app, g, make_response, request

from portal.api import bp, fhir
from portal.api.referrals import referral_for
from portal.api.views._calls import api_call
from portal.extensions import begin_write, db
from portal.web.registry import add_error_renderer

FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = (FHIR_JSON, "application/json")
PREFIX = "/api/v1/fhir/"
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After")


def fhir_response(body: dict, status: int, headers: dict | None = None):
    resp = current_app.response_class(json.dumps(body), status=status, mimetype=FHIR_JSON)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def render_error(status: int, title: str, message: str | None, headers: dict):
    """The portal's error handlers call this for paths under /api/v1/fhir/."""
    return fhir_response(fhir.outcome_for_status(status, message or title), status, headers)


bp.record_once(lambda state: add_error_renderer(state.app, PREFIX, render_error))


def as_operation_outcome(view):
    """`api_call` answers problem details (a bad key, a missing scope, the rate, a refusal); a FHIR
    client gets the same answer as an OperationOutcome."""

    @wraps(view)
    def call(*args, **kwargs):
        resp = make_response(view(*args, **kwargs))
        if resp.mimetype != "application/problem+json":
            return resp
        problem = resp.get_json(silent=True) or {}
        text = problem.get("detail") or problem.get("title") or "The request was refused"
        headers = {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
        return fhir_response(fhir.outcome_for_status(resp.status_code, text), resp.status_code, headers)

    return call


def _invalid(exc: fhir.Invalid):
    """Refused before anything was written: `fhir.receive` checks before it writes."""
    return fhir_response(fhir.operation_outcome(exc.issues), exc.status)


@bp.post("/fhir/ServiceRequest")
@as_operation_outcome
@api_call("referrals:write")
def fhir_service_request():
    """A referral as a FHIR ServiceRequest: 201 (new), 200 (a retry of one already received), or an
    OperationOutcome saying what to fix. `Prefer: return=OperationOutcome` answers with the outcome."""
    if request.mimetype not in ACCEPTED_TYPES:
        return fhir_response(fhir.outcome_for_status(415, f"Send the resource as {FHIR_JSON}"), 415)
    if (request.content_length or 0) > fhir.MAX_BYTES:
        return _invalid(fhir.Invalid(413, [fhir.Issue("too-costly", "The request is larger than "
                                                                    f"{fhir.MAX_BYTES // 1024} KB")]))
    base = current_app.config.get("FHIR_SYSTEM_BASE") or fhir.SYSTEM_BASE
    try:
        resource = fhir.parse(request.get_data(cache=False))
        wanted = fhir.read_referral(resource, base=base)
        begin_write()
        outcome = fhir.receive(db.session, g.api_client, wanted,
                               idempotency_key=(request.headers.get("Idempotency-Key") or "").strip() or None)
    except fhir.Invalid as exc:
        return _invalid(exc)
    reference = outcome.referral.reference
    wants_outcome = "return=operationoutcome" in request.headers.get("Prefer", "").lower()
    body = (fhir.received_outcome(outcome) if wants_outcome or outcome.held
            else fhir.response_resource(outcome, wanted.service_request, base=base))
    return fhir_response(body, 201 if outcome.created else 200,
                         {"Location": f"{request.url_root}api/v1/fhir/ServiceRequest/{reference}"})


@bp.get("/fhir/ServiceRequest/<reference>")
@as_operation_outcome
@api_call("referrals:read")
def fhir_service_request_read(reference: str):
    """A referral this client may read (the ones it sent, or all with referrals:read-all), as a ServiceRequest."""
    referral = referral_for(db.session, g.api_client, reference)
    base = current_app.config.get("FHIR_SYSTEM_BASE") or fhir.SYSTEM_BASE
    return fhir_response(fhir.service_request_for(referral, base=base), 200)
