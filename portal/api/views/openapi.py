from flask import jsonify

from portal.api import bp
from portal.api.spec import document
from portal.web.security import public


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI document, built from the code (anyone may read it: it holds no data)."""
    return jsonify(document())
