"""Record ids from the address: a number past the largest key is "not found", never a 500."""

from flask import request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest integer key either database holds


class IdConverter(IntegerConverter):
    """`<int:…>` in a path, bounded by MAX_ID."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_arg(name: str) -> int | None:
    """An id from the query string (`?person=12`), or None when it is missing, not a number or out of range."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None
