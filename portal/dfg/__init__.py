from flask import Blueprint, Flask, url_for

from portal.web.i18n import lazy_text as _l
from portal.web.registry import add_navigation, add_seeder, add_waiting_work

bp = Blueprint("dfg", __name__, url_prefix="/dfg")

from portal.dfg import views  # noqa: E402,F401


def register(app: Flask) -> None:
    from portal.dfg.seed import seed_demo
    from portal.dfg.services import queries
    from portal.dfg.views import READERS

    app.register_blueprint(bp)
    add_navigation(app, _l("DFG cases"), "dfg.queue", READERS, owns=("dfg.", "people."))
    add_seeder(app, seed_demo)
    add_waiting_work(app, _l("DFG cases past a deadline"), READERS, queries.breached_count,
                     lambda: url_for("dfg.queue", clock="breached"))
    add_waiting_work(app, _l("DFG deadlines due soon"), READERS, queries.due_soon_count,
                     lambda: url_for("dfg.queue", clock="due_soon"))
