"""Equipment pages: thin views over portal.equipment.services.

Each order and asset action has its own route, role rule and service call; the page shows an
action only if `allowed_order_actions` / `allowed_asset_actions` allow it. A refusal comes back
on the same page (422) with the error summary and the person's answers.
"""

from portal.equipment.views import orders, queues, recall, reference, stock, store_lists  # noqa: F401  (each registers its routes)
