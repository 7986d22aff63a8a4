from flask import Blueprint

bp = Blueprint("referrals", __name__)

from portal.referrals import public_views, views  # noqa: E402,F401


def _register_demo_data() -> None:
    from portal.cli import DEMO_SEEDERS
    from portal.referrals.seed import seed_demo

    if seed_demo not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seed_demo)


_register_demo_data()
