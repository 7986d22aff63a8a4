"""Referrals: create (once per Idempotency-Key), read status and clocks, and the changes feed."""

from flask import g, jsonify, request, url_for

from portal.api import bp
from portal.api import referrals as service
from portal.api.schemas import ChangesOut, ChangesQuery, IdempotencyHeaders, ReferralIn, ReferralOut
from portal.api.spec import InvalidRequest, answers, spec
from portal.api.views._calls import api_call
from portal.extensions import db
from portal.timeutil import utcnow


def _json(model, data: dict):
    """The answer as its documented model (dates in ISO 8601, UTC)."""
    return jsonify(model.model_validate(data).model_dump(mode="json"))


@bp.post("/referrals")
@api_call("referrals:write")
@spec.validate(json=ReferralIn, headers=IdempotencyHeaders, tags=["referrals"],
               resp=answers(HTTP_201=ReferralOut, HTTP_200=ReferralOut, problems=(404, 422)))
def create_referral():
    """Send a referral

    A professional or hospital discharge referral. Send an `Idempotency-Key` header: a retry with the
    same key and body answers 200 with the first referral (header `Idempotent-Replayed: true`); the
    same key with another body is refused (422). An NHS number we hold for someone with another name
    or date of birth puts the referral on a new record, `identity_check: "held for triage"`.
    404: the referral an earlier request with this key made has since been removed.
    """
    if request.context.json is None:  # a form post: spectree validates JSON bodies only
        raise InvalidRequest([{"field": "body", "message": "Send the referral as JSON (Content-Type: "
                                                           "application/json)"}])
    key = request.context.headers.idempotency_key
    made = service.create_referral(db.session, g.api_client, key, request.context.json.model_dump())
    resp = _json(ReferralOut, service.describe(db.session, made.referral))
    resp.headers["Location"] = url_for("api.read_referral", reference=made.referral.reference)
    if made.created:
        resp.status_code = 201
    else:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


@bp.get("/referrals/changes")
@api_call("referrals:read")
@spec.validate(query=ChangesQuery, tags=["referrals"], resp=answers(HTTP_200=ChangesOut, problems=(422,)))
def referral_changes():
    """Referrals changed since a time

    For polling: the referrals this client may read whose state, priority, assignment or clocks
    changed, oldest change first. Start with `since`, then send `next_cursor` as `cursor`. A change
    is served once it is a minute old, so a change committed late is never skipped.
    """
    query = request.context.query
    now = utcnow()
    found = service.changes(db.session, g.api_client, since=query.since, cursor=query.cursor, limit=query.limit,
                            now=now)
    checks = service.identity_checks(db.session, found.referrals)
    return _json(ChangesOut, {"changes": [service.describe(db.session, r, now, checks) for r in found.referrals],
                              "next_cursor": found.next_cursor, "more": found.more,
                              "settled_until": found.settled_until})


@bp.get("/referrals/<reference>")
@api_call("referrals:read")
@spec.validate(tags=["referrals"], resp=answers(HTTP_200=ReferralOut, problems=(404, 422)),
               path_parameter_descriptions={"reference": "The referral's reference, like R-ABCD-EFGH"})
def read_referral(reference: str):
    """A referral's status and clocks

    A client reads the referrals it sent; a client with `referrals:read-all` reads any referral.
    Anything else is 404, as if it did not exist; 422: not a referral reference at all.
    """
    return _json(ReferralOut, service.describe(db.session, service.referral_for(db.session, g.api_client,
                                                                                   reference)))
