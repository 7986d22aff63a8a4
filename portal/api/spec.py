"""The one SpecTree: it validates each API request against its pydantic model and builds the
OpenAPI document from the routes it decorates. It serves no pages of its own: the document is
`/api/v1/openapi.json` (portal.api.views.openapi), and no Swagger or Redoc page loads scripts from
elsewhere."""

import copy

from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree

from portal.api.schemas import Problem
from portal.errors import Refusal

API_VERSION = "1.0.0"


class InvalidRequest(Refusal):
    """The request did not match its schema: every field error, answered as problem details (422)."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__("The request has errors: see `errors`.")
        self.errors = errors


def _field(loc) -> str:
    return ".".join(str(part) for part in loc if part not in ("body",)) or "body"


def _refuse_invalid(req, resp, req_validation_error, instance, model_adapter=None):
    """spectree's `before` hook: a request that failed validation is raised as a refusal, so
    `api_call` answers it as problem details with field errors (and audits it), never a 500."""
    if req_validation_error is not None:
        raise InvalidRequest([{"field": _field(e["loc"]), "message": e["msg"]}
                              for e in req_validation_error.errors(include_context=False)])


spec = SpecTree(
    "flask",
    title="TECS Portal API",
    description="Referrals from case-management and hospital discharge systems, their status and clocks, and "
                "equipment and telecare by NHS number. Send `Authorization: Bearer <key>` on every call.",
    version=API_VERSION,
    mode="strict",  # only the routes this SpecTree validates
    page_templates={},  # no documentation pages (they load scripts from a CDN)
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearer": []},
    before=_refuse_invalid,
    validation_error_status=422,
    naming_strategy=lambda model: model.__name__,  # plain names ("ReferralOut"): they are unique here
    nested_naming_strategy=lambda parent, child: child,
)


def document() -> dict:
    """The OpenAPI document: spectree's, with problem details under their own media type and
    without spectree's default validation-error model (a 422 here is problem details)."""
    doc = copy.deepcopy(spec.spec)
    for operations in doc["paths"].values():
        for operation in operations.values():
            for code, answer in operation["responses"].items():
                if int(code) >= 400 and "application/json" in answer.get("content", {}):
                    answer["content"] = {"application/problem+json": answer["content"]["application/json"]}
    schemas = doc["components"]["schemas"]
    for name in [n for n in schemas if n.startswith("ValidationError")]:
        del schemas[name]
    return doc


def answers(**codes) -> Response:
    """The documented answers of an operation: its own, plus the problem details every call can
    get (401 no valid key, 403 a scope missing, 429 over the rate) and those it names."""
    problems = {f"HTTP_{code}": Problem for code in (401, 403, 429, *codes.pop("problems", ()))}
    return Response(**problems, **codes)
