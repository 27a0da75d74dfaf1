"""Use cases: each takes a :class:`ServiceContext`, runs one unit of work, answers a value."""

from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.importing import import_orders, read_json_lines
from orderstatus_core.services.lookup import (
    decode_cursor,
    encode_cursor,
    find_order,
    search_orders,
    send_order_list,
)
from orderstatus_core.services.relay import relay_outbox, retry_delay
from orderstatus_core.services.results import (
    FindOrderResult,
    ImportReport,
    OrderFound,
    OrderListRequested,
    OrderListResult,
    OrderNotFound,
    RelayReport,
    SearchPage,
    TryLater,
)

__all__ = [
    "FindOrderResult",
    "ImportReport",
    "OrderFound",
    "OrderListRequested",
    "OrderListResult",
    "OrderNotFound",
    "RelayReport",
    "SearchPage",
    "ServiceContext",
    "TryLater",
    "decode_cursor",
    "encode_cursor",
    "find_order",
    "import_orders",
    "read_json_lines",
    "relay_outbox",
    "retry_delay",
    "search_orders",
    "send_order_list",
]
