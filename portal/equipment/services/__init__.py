"""Equipment rules: every stock change and state transition lives in this package.

Integrity (RELIABILITY.md §3.1–3.3): counted stock and asset statuses change only by conditional
UPDATEs with a ledger row in the same transaction (`ledger`); who may do what to an order or an
asset is decided once (`allowed`). Callers import from here: `from portal.equipment import
services; services.reserve_order(...)`.
"""

from portal.equipment.services._common import (
    DEFAULT_TARGETS,
    IN_STORE,
    TAG_HINT,
    clean_tag,
    due_after,
    next_inspection,
    targets,
    valid_tag,
    warranty_end,
)
from portal.equipment.services.allowed import (
    ASSET_ROLES,
    ORDER_ROLES,
    STOCKTAKE_ROLES,
    allowed_asset_actions,
    allowed_order_actions,
    allowed_stocktake_actions,
    check_order_action,
    inspection_overdue,
    may_prescribe,
    unfit_reason,
)
from portal.equipment.services.amnesty import (
    amnesty_candidates,
    amnesty_report,
    amnesty_request_collections,
    start_amnesty,
)
from portal.equipment.services.assets import (
    add_asset,
    clean_asset,
    find_asset_by_tag,
    fit_asset,
    get_asset,
    record_inspection,
    retire_asset,
    return_fitted_asset,
    return_from_repair,
    send_to_repair,
)
from portal.equipment.services.catalogue import (
    MAX_KIT_ITEMS,
    PRODUCT_FIELDS,
    UnknownProducts,
    create_kit,
    create_organisation,
    create_product,
    create_store,
    kits_with_items,
    update_organisation,
    update_product,
)
from portal.equipment.services.ledger import asset_history, ledger_discrepancies
from portal.equipment.services.lists import (
    DUE_CHOICES,
    QUEUES_WITH_DUE,
    QueueFilters,
    TimelineEvent,
    open_stocktake,
    order_events,
    queue_page,
    queue_total,
    store_asset_products,
    store_assets_page,
    store_figures,
    store_names,
    store_stock_page,
    store_stocktakes,
)
from portal.equipment.services.orders import (
    LineRequest,
    availability_on,
    cancel_order,
    clean_order_items,
    collect_order,
    deliver_order,
    fit_day,
    get_order,
    raise_order,
    request_collection,
    reserve_order,
    swap_line,
)
from portal.equipment.services.queries import (
    INSPECTION_WARNING_DAYS,
    QUEUES,
    WARRANTY_WARNING_DAYS,
    current_order_id,
    figures,
    inspection_clock,
    loans_for_person,
    order_clocks,
    orders_for_person,
    person_events,
    pick_list,
    product_stock,
    queue_clock,
    queue_counts,
    queue_rows,
    stores_overview,
)
from portal.equipment.services.recall import (
    RECALL_READERS,
    RECALL_ROLES,
    RecallRequest,
    allowed_recall_actions,
    close_recall,
    get_recall,
    preview,
    start_recall,
)
from portal.equipment.services.recall_items import (
    HELD_OUTCOMES,
    progress,
    recall_list,
    recall_rows,
    record_collected,
    record_item_inspection,
    resolve_held,
)
from portal.equipment.services.stock import adjust_stock, clean_counted, receive_stock, set_reorder_level
from portal.equipment.services.stocktake import (
    STOCKTAKE_EXPECTED,
    ScanReport,
    approve_stocktake,
    complete_stocktake,
    get_stocktake,
    return_stocktake,
    scan,
    scan_problem_message,
    start_stocktake,
    stocktake_result,
)
from portal.timeutil import london_date

__all__ = [
    "HELD_OUTCOMES", "RECALL_READERS", "RECALL_ROLES", "RecallRequest", "allowed_recall_actions", "close_recall",
    "get_recall", "preview", "progress", "recall_list", "recall_rows", "record_collected", "record_item_inspection",
    "resolve_held", "start_recall",
    "person_events",
    "DUE_CHOICES", "QUEUES_WITH_DUE", "QueueFilters", "TimelineEvent", "open_stocktake", "order_events",
    "check_order_action", "queue_page", "queue_total",
    "store_asset_products", "store_assets_page", "store_figures", "store_names", "store_stock_page",
    "store_stocktakes",
    "ASSET_ROLES", "DEFAULT_TARGETS", "INSPECTION_WARNING_DAYS", "IN_STORE", "LineRequest", "MAX_KIT_ITEMS",
    "ORDER_ROLES", "PRODUCT_FIELDS", "QUEUES", "STOCKTAKE_EXPECTED", "STOCKTAKE_ROLES", "ScanReport",
    "TAG_HINT", "UnknownProducts", "WARRANTY_WARNING_DAYS", "add_asset", "adjust_stock",
    "allowed_asset_actions", "allowed_order_actions", "allowed_stocktake_actions", "amnesty_candidates",
    "amnesty_report", "amnesty_request_collections", "approve_stocktake", "asset_history", "availability_on",
    "cancel_order", "clean_asset", "clean_counted", "clean_order_items", "clean_tag", "collect_order",
    "complete_stocktake", "create_kit", "create_organisation", "create_product", "create_store",
    "current_order_id", "deliver_order", "due_after", "figures", "find_asset_by_tag", "fit_asset", "fit_day",
    "get_asset", "get_order", "get_stocktake", "inspection_clock", "inspection_overdue", "kits_with_items",
    "ledger_discrepancies", "loans_for_person", "london_date", "may_prescribe", "next_inspection",
    "order_clocks", "orders_for_person", "pick_list", "product_stock", "queue_clock", "queue_counts",
    "queue_rows", "raise_order", "receive_stock", "record_inspection", "request_collection", "reserve_order",
    "retire_asset", "return_fitted_asset", "return_from_repair", "return_stocktake", "scan",
    "scan_problem_message", "send_to_repair", "set_reorder_level", "start_amnesty", "start_stocktake",
    "stocktake_result", "stores_overview", "swap_line", "targets", "unfit_reason", "update_organisation",
    "update_product", "valid_tag", "warranty_end",
]
