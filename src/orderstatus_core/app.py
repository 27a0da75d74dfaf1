"""The entry point for storefronts: one object per store, opened from URLs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Self

import pluggy

from orderstatus_core.bootstrap import bootstrap
from orderstatus_core.model import EmailAddress, Money, Order
from orderstatus_core.model.requests import Resolution
from orderstatus_core.plugins import Hooks, get_plugin_manager
from orderstatus_core.ports import Clock, LabelMaker, Mailer, RateLimiter, Storage
from orderstatus_core.records import CreditEntry
from orderstatus_core.services import (
    FindOrderResult,
    GuestPassRequestResult,
    GuestPassVerifyResult,
    GuestProof,
    GuestSession,
    ImportReport,
    OrderListResult,
    PurgeReport,
    RelayReport,
    SearchPage,
    ServiceContext,
    UpsertReport,
    apply_approved_change,
    approve_change,
    authorize_return,
    check_guest_pass,
    confirm_cancel,
    credit_balance,
    credit_history,
    decline_change,
    deny_return,
    find_order,
    import_orders,
    inspect_return,
    mark_delivered,
    mark_return_in_transit,
    pass_required,
    purge,
    receive_return,
    refuse_cancel,
    reject_problem,
    relay_outbox,
    request_guest_pass,
    resolve_problem,
    search_orders,
    send_order_list,
    settle_return,
    ship,
    spend_credit,
    start_processing,
    upsert_orders,
    verify_guest_code,
    verify_guest_link,
)

__all__ = ["CustomerService", "OrderStatus", "StoreCredit", "Warehouse"]


class Warehouse:
    """The staff and warehouse commands of one store: ``desk.warehouse.ship(...)``.

    Kept apart from the guest session (:meth:`OrderStatus.guest`) so that a storefront's
    shopper-facing code cannot reach them by accident. Each answers the changed order or
    raises :class:`~orderstatus_core.errors.ActionRefusedError` (the order's state does not
    allow the step: staff tools stop there and show the code, unlike a shopper's page,
    which matches a ``Refused`` value), :class:`~orderstatus_core.errors.OrderNotFoundError` or
    :class:`~orderstatus_core.errors.ConflictError` (a concurrent command won).
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def start_processing(
        self,
        order_number: str,
        package_id: str,
        warehouse: str,
        units: Mapping[int, int],
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Open a package with ``units`` (line number: quantity); they are now in processing."""
        return start_processing(
            self.context,
            order_number,
            package_id,
            warehouse,
            units,
            idempotency_key=idempotency_key,
        )

    def ship(
        self,
        order_number: str,
        package_id: str,
        carrier: str,
        tracking_number: str,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Ship a package; the last one queues the tracking mail."""
        return ship(
            self.context,
            order_number,
            package_id,
            carrier,
            tracking_number,
            idempotency_key=idempotency_key,
        )

    def mark_delivered(
        self, order_number: str, package_id: str, *, idempotency_key: str | None = None
    ) -> Order:
        """Record a package's delivery."""
        return mark_delivered(
            self.context, order_number, package_id, idempotency_key=idempotency_key
        )

    def confirm_cancel(
        self, order_number: str, request_id: str, *, idempotency_key: str | None = None
    ) -> Order:
        """Take the requested units out of their package: cancelled and refunded."""
        return confirm_cancel(
            self.context, order_number, request_id, idempotency_key=idempotency_key
        )

    def refuse_cancel(
        self,
        order_number: str,
        request_id: str,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Keep the units in their package; ``note`` tells the guest why."""
        return refuse_cancel(
            self.context, order_number, request_id, note, idempotency_key=idempotency_key
        )

    def mark_return_in_transit(
        self, order_number: str, rma_number: str, *, idempotency_key: str | None = None
    ) -> Order:
        """The carrier scanned an RMA package's label."""
        return mark_return_in_transit(
            self.context, order_number, rma_number, idempotency_key=idempotency_key
        )

    def receive_return(
        self, order_number: str, rma_number: str, *, idempotency_key: str | None = None
    ) -> Order:
        """An RMA package arrived; the shopper is mailed. Nothing is refunded yet."""
        return receive_return(
            self.context, order_number, rma_number, idempotency_key=idempotency_key
        )

    def inspect_return(
        self,
        order_number: str,
        rma_number: str,
        accepted: Mapping[int, int],
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Accept units of a received package (line number: quantity); the rest are
        rejected."""
        return inspect_return(
            self.context,
            order_number,
            rma_number,
            accepted,
            note,
            idempotency_key=idempotency_key,
        )


class CustomerService:
    """Staff decisions on guests' change requests and problem reports:
    ``desk.customer_service.approve_change(...)``.

    Each answers the changed order; a decision that refunds queues a ``RefundDue`` for the
    payment system. Refusals and races raise as for :class:`Warehouse`.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def approve_change(
        self,
        order_number: str,
        request_id: str,
        *,
        apply: bool = True,
        idempotency_key: str | None = None,
    ) -> Order:
        """Approve a change request and, unless ``apply`` is false, carry it out now."""
        return approve_change(
            self.context, order_number, request_id, apply=apply, idempotency_key=idempotency_key
        )

    def apply_approved_change(
        self, order_number: str, request_id: str, *, idempotency_key: str | None = None
    ) -> Order:
        """Carry out a change approved earlier."""
        return apply_approved_change(
            self.context, order_number, request_id, idempotency_key=idempotency_key
        )

    def decline_change(
        self,
        order_number: str,
        request_id: str,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Decline a change request."""
        return decline_change(
            self.context, order_number, request_id, note, idempotency_key=idempotency_key
        )

    def resolve_problem(
        self,
        order_number: str,
        report_id: str,
        resolution: Resolution | str,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Settle a problem report (refund, replacement, reship or carrier claim)."""
        return resolve_problem(
            self.context,
            order_number,
            report_id,
            resolution,
            note,
            idempotency_key=idempotency_key,
        )

    def reject_problem(
        self,
        order_number: str,
        report_id: str,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Reject a problem report."""
        return reject_problem(
            self.context, order_number, report_id, note, idempotency_key=idempotency_key
        )

    def authorize_return(
        self, order_number: str, rma_number: str, *, idempotency_key: str | None = None
    ) -> Order:
        """Let an RMA package that waits for staff (a warranty claim) ship."""
        return authorize_return(
            self.context, order_number, rma_number, idempotency_key=idempotency_key
        )

    def deny_return(
        self,
        order_number: str,
        rma_number: str,
        note: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Order:
        """Refuse an RMA package that waits for staff."""
        return deny_return(
            self.context, order_number, rma_number, note, idempotency_key=idempotency_key
        )

    def settle_return(
        self,
        order_number: str,
        rma_number: str,
        *,
        replace: bool = False,
        idempotency_key: str | None = None,
    ) -> Order:
        """Refund an inspected package (to payment or store credit, as the shopper chose),
        or with ``replace`` send new parts for a warranty claim."""
        return settle_return(
            self.context,
            order_number,
            rma_number,
            replace=replace,
            idempotency_key=idempotency_key,
        )


class StoreCredit:
    """Shoppers' store credit: ``desk.store_credit.balance(email, "USD")``.

    Credit comes in from refunds taken as credit; the store's checkout spends it with
    :meth:`spend`. ``email`` is always an address the storefront has verified.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def balance(self, email: EmailAddress, currency: str) -> Money:
        """The balance in ``currency``."""
        return credit_balance(self.context, email, currency)

    def history(self, email: EmailAddress, limit: int = 50) -> tuple[CreditEntry, ...]:
        """The newest entries first."""
        return credit_history(self.context, email, limit)

    def spend(self, email: EmailAddress, amount: Money, reference: str) -> bool:
        """Take ``amount`` for ``reference``; ``False`` for a repeat of the reference."""
        return spend_credit(self.context, email, amount, reference)


class OrderStatus:
    """The Order Status & Returns area of one store.

    Open it once at start-up and share it between requests (it is thread-safe as far as
    its adapters are)::

        desk = OrderStatus.open(storage="sqlite:///orders.db", mail="mailbox:///mail")
        answer = desk.find_order("jane@example.com", "123456789", client=request_ip)

    A guest's order actions live on their session, :meth:`guest`. Every page's outcome is
    a value; see :mod:`orderstatus_core.services` for each one's rules.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        #: The warehouse's commands: fulfilment and cancel decisions.
        self.warehouse = Warehouse(context)
        #: Staff decisions on change requests, problem reports and returns.
        self.customer_service = CustomerService(context)
        #: Shoppers' store credit.
        self.store_credit = StoreCredit(context)

    @classmethod
    def open(
        cls,
        *,
        storage: str | Storage,
        mail: str | Mailer,
        rate_limits: str | RateLimiter = "memory://",
        labels: str | LabelMaker | None = None,
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        plugin_manager: pluggy.PluginManager | None = None,
    ) -> OrderStatus:
        """Open the adapters named by URL (or use the given objects) and the policies in force.

        Every argument is a keyword, so a call reads as configuration:
        ``OrderStatus.open(storage="sqlite:///orders.db", mail="mailbox:///mail")``.
        ``labels`` names the label maker of return papers (``labels://?cost=7.50%20USD``).
        Without one, a return on the store's label cannot be quoted and is refused with
        :class:`~orderstatus_core.errors.AdapterError`; a return the shopper ships is
        recorded, and its instructions wait in the outbox until a label maker is set.
        ``plugins`` are registered after the installed ones, so a store's policy plugin
        passed here overrides the defaults; a policy plugin's wrong answer raises
        :class:`~orderstatus_core.errors.InvalidFieldError` here. An unknown URL scheme
        raises :class:`~orderstatus_core.errors.UnknownAdapterError` naming the installed
        ones. What is opened from a URL, :meth:`close` closes; an object passed in stays
        yours to close.
        """
        manager = plugin_manager or get_plugin_manager(plugins=plugins)
        return cls(
            bootstrap(
                storage=storage,
                mail=mail,
                rate_limits=rate_limits,
                labels=labels,
                clock=clock,
                hooks=Hooks(manager),
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

    def guest(
        self,
        *,
        client: str,
        guest_pass: str | None = None,
        identifier: str | None = None,
    ) -> GuestSession:
        """A guest's session: their proof, with every order action on it.

        ``client`` is the caller's IP address or session (the rate limits count by it);
        ``guest_pass`` the token of a :class:`GuestPassGranted` (from the shopper's
        cookie); ``identifier`` the email or phone the shopper typed with the order number,
        which acts only where the store waives the pass and otherwise just views. Build one
        per request::

            guest = desk.guest(client=request_ip, guest_pass=cookie)
            answer = guest.cancel_order("123456789")

        A malformed ``client`` raises :class:`~orderstatus_core.errors.InvalidFieldError`
        here; a malformed pass or identifier proves nothing and answers like a wrong one.
        """
        return GuestSession(self.context, GuestProof(client, guest_pass, identifier))

    def search_orders(
        self,
        verified_email: EmailAddress,
        *,
        part_number: str | None = None,
        category: str | None = None,
        cursor: str | None = None,
        page_size: int | None = None,
    ) -> SearchPage:
        """Search the orders of an email the storefront verified itself (an account) by part
        number or category; a guest searches with a pass by
        :meth:`GuestSession.search_orders`."""
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

    def purge(self) -> PurgeReport:
        """Delete delivered outbox messages, expired guest-pass challenges and passes, and
        idempotent replies kept longer than the retention policy says (SECURITY D5).

        Run it daily, as ``orderstatus purge`` from cron or a timer. What is still needed
        stays: a pending message, a live challenge or pass, a reply younger than 24 hours.
        """
        return purge(self.context)

    def import_orders(
        self, lines: Iterable[str], progress: Callable[[int], None] | None = None
    ) -> ImportReport:
        """Import orders from JSON Lines, all or nothing."""
        return import_orders(self.context, lines, progress)

    def upsert_orders(
        self, lines: Iterable[str], progress: Callable[[int], None] | None = None
    ) -> UpsertReport:
        """Create or update orders from the store's order system, one unit per order.

        Idempotent: a record that changes nothing writes nothing. Who owns which field, and
        every refusal reason, are in ``docs/import-format.md`` (Updating orders).
        """
        return upsert_orders(self.context, lines, progress)

    def migrate(self) -> int:
        """Bring the storage schema up to date; return its version."""
        return self.context.storage.migrate()

    def close(self) -> None:
        """Close every adapter :meth:`open` opened from a URL (storage, mail, rate limits,
        labels), newest first; if one fails to close, the rest are still closed and the
        first error is raised."""
        self.context.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
