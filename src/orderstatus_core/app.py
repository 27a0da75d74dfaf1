"""The entry point for storefronts: one object per store, opened from URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Self

import pluggy

from orderstatus_core.clock import SystemClock
from orderstatus_core.model import EmailAddress, Order
from orderstatus_core.plugins import Hooks, get_plugin_manager
from orderstatus_core.ports import Clock, Mailer, RateLimiter, Storage
from orderstatus_core.services import (
    FindOrderResult,
    GuestPassRequestResult,
    GuestPassVerifyResult,
    ImportReport,
    OrderListResult,
    RelayReport,
    SearchPage,
    ServiceContext,
    check_guest_pass,
    find_order,
    import_orders,
    mark_delivered,
    pass_required,
    relay_outbox,
    request_guest_pass,
    search_orders,
    send_order_list,
    ship,
    start_processing,
    verify_guest_code,
    verify_guest_link,
)

__all__ = ["OrderStatus", "Warehouse"]


class Warehouse:
    """The staff and warehouse commands of one store: ``desk.warehouse.ship(...)``.

    Kept apart from the guest methods of :class:`OrderStatus` so that a storefront's
    shopper-facing code cannot reach them by accident. Each answers the changed order or
    raises :class:`~orderstatus_core.errors.ActionRefusedError` (the order's state does not
    allow the step), :class:`~orderstatus_core.errors.OrderNotFoundError` or
    :class:`~orderstatus_core.errors.ConflictError` (a concurrent command won).
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def start_processing(
        self, order_number: str, package_id: str, warehouse: str, units: Mapping[int, int]
    ) -> Order:
        """Open a package with ``units`` (line number: quantity); they are now in processing."""
        return start_processing(self.context, order_number, package_id, warehouse, units)

    def ship(self, order_number: str, package_id: str, carrier: str, tracking_number: str) -> Order:
        """Ship a package; the last one queues the tracking mail."""
        return ship(self.context, order_number, package_id, carrier, tracking_number)

    def mark_delivered(self, order_number: str, package_id: str) -> Order:
        """Record a package's delivery."""
        return mark_delivered(self.context, order_number, package_id)


class OrderStatus:
    """The Order Status & Returns area of one store.

    Open it once at start-up and share it between requests (it is thread-safe as far as
    its adapters are)::

        desk = OrderStatus.open(storage="sqlite:///orders.db", mail="mailbox:///mail")
        answer = desk.find_order("jane@example.com", "123456789", client=request_ip)

    Every method answers a value; see :mod:`orderstatus_core.services` for each one's
    rules.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        #: The staff and warehouse commands.
        self.warehouse = Warehouse(context)

    @classmethod
    def open(
        cls,
        storage: str | Storage,
        mail: str | Mailer,
        rate_limits: str | RateLimiter = "memory://",
        *,
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        plugin_manager: pluggy.PluginManager | None = None,
    ) -> OrderStatus:
        """Open the adapters named by URL (or use the given objects) and the policies in force.

        ``plugins`` are registered after the installed ones, so a store's policy plugin
        passed here overrides the defaults. An unknown URL scheme raises
        :class:`~orderstatus_core.errors.UnknownAdapterError` naming the installed ones.
        """
        manager = plugin_manager or get_plugin_manager(plugins=plugins)
        hooks = Hooks(manager)
        registry = hooks.adapter_registry()
        opened = registry.open_storage(storage) if isinstance(storage, str) else storage
        try:
            mailer = registry.open_mailer(mail) if isinstance(mail, str) else mail
            limiter = (
                registry.open_rate_limiter(rate_limits)
                if isinstance(rate_limits, str)
                else rate_limits
            )
        except BaseException:
            if isinstance(storage, str):
                opened.close()
            raise
        return cls(
            ServiceContext(
                storage=opened,
                mailer=mailer,
                rate_limiter=limiter,
                clock=clock or SystemClock(),
                policy=hooks.lookup_policy(),
                tracking_url=hooks.tracking_url_policy(),
                guest_pass_policy=hooks.guest_pass_policy(),
                pass_required=hooks.pass_required,
            )
        )

    def find_order(self, identifier: str, order_number: str, *, client: str) -> FindOrderResult:
        """Find an order by email or phone plus order number (masked view)."""
        return find_order(self.context, identifier, order_number, client=client)

    def send_order_list(self, email: str, *, client: str) -> OrderListResult:
        """Order Look-Up: queue the order-list mail to the stored address."""
        return send_order_list(self.context, email, client=client)

    def request_guest_pass(
        self, identifier: str, order_number: str, *, client: str
    ) -> GuestPassRequestResult:
        """Mail a one-time code and link for the order to its stored address (same answer
        whether or not the pair matched)."""
        return request_guest_pass(self.context, identifier, order_number, client=client)

    def verify_guest_code(
        self, order_number: str, code: str, *, client: str
    ) -> GuestPassVerifyResult:
        """Exchange the mailed 6-digit code for a guest pass to the order."""
        return verify_guest_code(self.context, order_number, code, client=client)

    def verify_guest_link(self, token: str, *, client: str) -> GuestPassVerifyResult:
        """Exchange the ``token`` of a followed guest-pass link for a guest pass."""
        return verify_guest_link(self.context, token, client=client)

    def check_guest_pass(self, token: str, order_number: str) -> bool:
        """Whether ``token`` is a guest pass for ``order_number`` valid now."""
        return check_guest_pass(self.context, token, order_number, self.context.clock.now())

    def pass_required(self, action: str) -> bool:
        """Whether this store needs a guest pass for ``action`` (``"cancel"``, ``"change"``,
        ``"report"`` or ``"return"``)."""
        return pass_required(self.context, action)

    def search_orders(
        self,
        verified_email: EmailAddress,
        *,
        part_number: str | None = None,
        category: str | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
    ) -> SearchPage:
        """Search the orders of a verified email by part number or category."""
        return search_orders(
            self.context,
            verified_email,
            part_number=part_number,
            category=category,
            cursor=cursor,
            page_size=page_size,
        )

    def relay_outbox(self, limit: int = 100) -> RelayReport:
        """Deliver due outbox mail through the mail adapter."""
        return relay_outbox(self.context, limit)

    def import_orders(
        self, lines: Iterable[str], progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Import orders from JSON Lines, all or nothing."""
        return import_orders(self.context, lines, progress)

    def migrate(self) -> int:
        """Bring the storage schema up to date; return its version."""
        return self.context.storage.migrate()

    def close(self) -> None:
        """Close the storage."""
        self.context.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
