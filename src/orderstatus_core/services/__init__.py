"""Use cases: each takes a :class:`ServiceContext`, runs one unit of work, answers a value."""

from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import (
    check_guest_pass,
    pass_required,
    request_guest_pass,
    verify_guest_code,
    verify_guest_link,
)
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
    GuestPassGranted,
    GuestPassRefused,
    GuestPassRequested,
    GuestPassRequestResult,
    GuestPassVerifyResult,
    ImportReport,
    OrderFound,
    OrderListRequested,
    OrderListResult,
    OrderNotFound,
    RelayReport,
    SearchPage,
    TryLater,
)
from orderstatus_core.services.warehouse import mark_delivered, ship, start_processing

__all__ = [
    "FindOrderResult",
    "GuestPassGranted",
    "GuestPassRefused",
    "GuestPassRequestResult",
    "GuestPassRequested",
    "GuestPassVerifyResult",
    "ImportReport",
    "OrderFound",
    "OrderListRequested",
    "OrderListResult",
    "OrderNotFound",
    "RelayReport",
    "SearchPage",
    "ServiceContext",
    "TryLater",
    "check_guest_pass",
    "decode_cursor",
    "encode_cursor",
    "find_order",
    "import_orders",
    "mark_delivered",
    "pass_required",
    "read_json_lines",
    "relay_outbox",
    "request_guest_pass",
    "retry_delay",
    "search_orders",
    "send_order_list",
    "ship",
    "start_processing",
    "verify_guest_code",
    "verify_guest_link",
]
