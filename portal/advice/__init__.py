from flask import Blueprint

bp = Blueprint("advice", __name__, url_prefix="/advice")

from portal.advice import views  # noqa: E402,F401


def _register_demo_data() -> None:
    from portal.advice.services import seed_demo
    from portal.cli import DEMO_SEEDERS

    if seed_demo not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seed_demo)


_register_demo_data()
