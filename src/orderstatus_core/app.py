"""The entry point for storefronts: one object per store, opened from URLs."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Self

import pluggy

from orderstatus_core.bootstrap import bootstrap
from orderstatus_core.errors import AdapterError, UnknownAdapterError, WeakPasswordHashingError
from orderstatus_core.plugins import Hooks, get_plugin_manager
from orderstatus_core.policies.passwords import hash_cost_shortfall
from orderstatus_core.ports import (
    BreachedPasswords,
    Captcha,
    Clock,
    LabelMaker,
    Mailer,
    PasswordHasher,
    RateLimiter,
    SharedSessionStore,
    Storage,
    VehicleCatalog,
)
from orderstatus_core.services import (
    GuestProof,
    GuestSession,
    ServiceContext,
    accounts,
    apply_approved_change,
    approve_change,
    authorize_return,
    check_guest_pass,
    confirm_cancel,
    credit_balance,
    credit_history,
    decline_change,
    deny_return,
    drop_message,
    find_order,
    import_orders,
    inspect_return,
    list_outbox,
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
    retry_message,
    search_orders,
    send_order_list,
    settle_return,
    ship,
    spend_credit,
    start_processing,
    upsert_orders,
    verify_guest_code,
    verify_guest_link,
    watch_outbox,
)
from orderstatus_core.services._bind import StoreCommand

__all__ = [
    "DEFAULT_PASSWORD_HASHER",
    "Catalog",
    "CustomerService",
    "Discounts",
    "OrderStatus",
    "StoreCredit",
    "Warehouse",
]


class _DefaultUrl(str):
    """A default adapter URL, told apart from the same text a store passes on purpose."""

    __slots__ = ()


#: The password hasher a store opens unless it names another: Argon2id with OWASP's
#: parameters (the ``argon2`` extra). Without the extra installed, a store still opens,
#: and the account commands raise :class:`~orderstatus_core.errors.AdapterError`.
DEFAULT_PASSWORD_HASHER: str = _DefaultUrl("argon2://")


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

    #: Open a package with ``units`` (line number: quantity); they are now in processing.
    start_processing = StoreCommand(start_processing)
    #: Ship a package; the last one queues the tracking mail.
    ship = StoreCommand(ship)
    #: Record a package's delivery.
    mark_delivered = StoreCommand(mark_delivered)
    #: Take the requested units out of their package: cancelled and refunded.
    confirm_cancel = StoreCommand(confirm_cancel)
    #: Keep the units in their package; ``note`` tells the guest why.
    refuse_cancel = StoreCommand(refuse_cancel)
    #: The carrier scanned an RMA package's label.
    mark_return_in_transit = StoreCommand(mark_return_in_transit)
    #: An RMA package arrived; the shopper is mailed. Nothing is refunded yet.
    receive_return = StoreCommand(receive_return)
    #: Accept units of a received package (line number: quantity); the rest are rejected.
    inspect_return = StoreCommand(inspect_return)


class CustomerService:
    """Staff decisions on guests' change requests and problem reports:
    ``desk.customer_service.approve_change(...)``.

    Each answers the changed order; a decision that refunds queues a ``RefundDue`` for the
    payment system. Refusals and races raise as for :class:`Warehouse`.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    #: Approve a change request and, unless ``apply`` is false, carry it out now.
    approve_change = StoreCommand(approve_change)
    #: Carry out a change approved earlier.
    apply_approved_change = StoreCommand(apply_approved_change)
    #: Decline a change request.
    decline_change = StoreCommand(decline_change)
    #: Settle a problem report (refund, replacement, reship or carrier claim).
    resolve_problem = StoreCommand(resolve_problem)
    #: Reject a problem report.
    reject_problem = StoreCommand(reject_problem)
    #: Let an RMA package that waits for staff (a warranty claim) ship.
    authorize_return = StoreCommand(authorize_return)
    #: Refuse an RMA package that waits for staff.
    deny_return = StoreCommand(deny_return)
    #: Refund an inspected package (to payment or store credit, as the shopper chose), or
    #: with ``replace`` send new parts for a warranty claim.
    settle_return = StoreCommand(settle_return)


class StoreCredit:
    """Shoppers' store credit: ``desk.store_credit.balance(email, "USD")``.

    Credit comes in from refunds taken as credit; the store's checkout spends it with
    :meth:`spend`. ``email`` is always an address the storefront has verified.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    #: The balance in ``currency`` of a verified email.
    balance = StoreCommand(credit_balance)
    #: The newest entries first.
    history = StoreCommand(credit_history)
    #: Take ``amount`` for ``reference``; ``False`` for a repeat of the reference.
    spend = StoreCommand(spend_credit)


class Discounts:
    """Discount codes issued to accounts: ``desk.discounts.issue(email, percent=10)``.

    Staff issue and revoke codes; the store's checkout redeems one with :meth:`redeem`, one
    call that uses a code once however many checkouts race with it. ``email`` is always the
    verified address of the shopper's account (``AccountView.email``). Every answer is a
    value of a closed union (:data:`~orderstatus_core.IssueCodeResult`,
    :data:`~orderstatus_core.RevokeCodeResult`, :data:`~orderstatus_core.RedeemResult`);
    the shopper lists their codes with ``shopper.discount_codes()``.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    #: Issue a code worth ``amount=`` or ``percent=`` to the account of ``email``.
    issue = StoreCommand(accounts.issue_discount_code)
    #: Withdraw a code that was not used.
    revoke = StoreCommand(accounts.revoke_discount_code)
    #: The checkout's one call: use ``code`` of ``email``'s account for ``order_reference``.
    redeem = StoreCommand(accounts.redeem_discount_code)


class Catalog:
    """What the store's catalog reports about its parts: ``desk.catalog.part_back_in_stock(
    "BP-1234")`` when a part that shoppers watch is in stock again (its stock system or a
    staff page calls it). Each watcher is mailed once, however often it is reported.
    """

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    #: The part is in stock again: one alert per watcher, queued in the outbox.
    part_back_in_stock = StoreCommand(accounts.part_back_in_stock)


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
        #: Discount codes issued to accounts, and the checkout's redeem.
        self.discounts = Discounts(context)
        #: The catalog's reports: a part back in stock alerts its watchers.
        self.catalog = Catalog(context)

    @classmethod
    def open(
        cls,
        *,
        storage: str | Storage,
        mail: str | Mailer,
        rate_limits: str | RateLimiter = "memory://",
        sessions: str | SharedSessionStore | None = None,
        labels: str | LabelMaker | None = None,
        captcha: str | Captcha | None = None,
        password_hasher: str | PasswordHasher | None = DEFAULT_PASSWORD_HASHER,
        breached_passwords: str | BreachedPasswords | None = None,
        vehicle_catalog: VehicleCatalog | None = None,
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

        ``sessions`` (``redis://host:6379/0``, say) keeps the shoppers' logged-in sessions
        in Redis, shared by several app servers, while orders and accounts stay in
        ``storage``; by default they live in ``storage``. See *Deploying at scale*.

        The accounts: ``captcha`` (``captcha://``) draws the sign-up captcha; without one,
        :meth:`new_captcha` and :meth:`sign_up` raise
        :class:`~orderstatus_core.errors.AdapterError`. ``password_hasher`` defaults to
        ``argon2://`` (the ``argon2`` extra; without it a store still opens and the
        account commands raise :class:`~orderstatus_core.errors.AdapterError`); ``None``
        runs a store without accounts. A hasher below Argon2id with 19 MiB, 2 passes and 1
        lane raises :class:`~orderstatus_core.WeakPasswordHashingError` (SECURITY B3;
        tests build their context with ``orderstatus_core.testing.fake_context`` and a
        cheap hasher). ``breached_passwords`` is the store's breach check, if any.
        ``vehicle_catalog`` lists the vehicles a garage takes (default: every plausible
        one, :class:`~orderstatus_core.policies.vehicles.PlausibleVehicles`).

        ``plugins`` are registered after the installed ones, so a store's policy plugin
        passed here overrides the defaults; a policy plugin's wrong answer raises
        :class:`~orderstatus_core.errors.InvalidFieldError` here. An unknown URL scheme
        raises :class:`~orderstatus_core.errors.UnknownAdapterError` naming the installed
        ones. What is opened from a URL, :meth:`close` closes; an object passed in stays
        yours to close.
        """
        manager = plugin_manager or get_plugin_manager(plugins=plugins)
        if password_hasher is not None and not isinstance(password_hasher, str):
            # Checked before anything opens: a cheap hasher object never reaches a store.
            _check_production_hasher(password_hasher)
        hooks = Hooks(manager)

        def open_with(hasher: str | PasswordHasher | None) -> ServiceContext:
            return bootstrap(
                storage=storage,
                mail=mail,
                rate_limits=rate_limits,
                sessions=sessions,
                labels=labels,
                captcha=captcha,
                password_hasher=hasher,
                breached_passwords=breached_passwords,
                vehicle_catalog=vehicle_catalog,
                clock=clock,
                hooks=hooks,
            )

        try:
            context = open_with(password_hasher)
        except (AdapterError, UnknownAdapterError) as error:
            # The default hasher is not installed (its plugin blocked, or its extra
            # missing): a store without accounts still opens (optional adapters never
            # break a store that does not use them), and an account command says what to
            # install. A hasher the store named fails here.
            if not isinstance(password_hasher, _DefaultUrl) or not _hasher_missing(error):
                raise
            context = open_with(None)
        if context.password_hasher is not None:
            try:
                _check_production_hasher(context.password_hasher)
            except BaseException:
                context.close()
                raise
        return cls(context)

    #: Find an order by email or phone plus order number (masked view).
    find_order = StoreCommand(find_order)

    #: Order Look-Up: queue the order-list mail to the stored address.
    send_order_list = StoreCommand(send_order_list)

    #: Mail a one-time code and link for the order to its stored address (the same answer
    #: whether or not the pair matched).
    request_guest_pass = StoreCommand(request_guest_pass)

    #: Exchange the mailed 6-digit code for a guest pass to the order.
    verify_guest_code = StoreCommand(verify_guest_code)

    #: Exchange the ``token`` of a followed guest-pass link for a guest pass.
    verify_guest_link = StoreCommand(verify_guest_link)

    def check_guest_pass(self, token: str, order_number: str) -> bool:
        """Whether ``token`` is a guest pass for ``order_number`` valid now."""
        return check_guest_pass(self.context, token, order_number, self.context.clock.now())

    #: Whether this store needs a guest pass for ``action`` (``"cancel"``, ``"change"``,
    #: ``"report"`` or ``"return"``).
    pass_required = StoreCommand(pass_required)

    def guest(
        self,
        *,
        client: str,
        guest_pass: str | None = None,
        identifier: str | None = None,
        language: str = "en",
    ) -> GuestSession:
        """A guest's session: their proof, with every order action on it.

        ``client`` is the caller's IP address or session (the rate limits count by it);
        ``guest_pass`` the token of a :class:`GuestPassGranted` (from the shopper's
        cookie); ``identifier`` the email or phone the shopper typed with the order number,
        which acts only where the store waives the pass and otherwise just views;
        ``language`` the language the shopper reads (``fi``, ``en-US``): every view text and
        refusal message answers in it, English where it has no catalog. Build one per
        request::

            guest = desk.guest(client=request_ip, guest_pass=cookie, language="fi")
            answer = guest.cancel_order("123456789")

        A malformed ``client`` raises :class:`~orderstatus_core.errors.InvalidFieldError`
        here, and so does a ``language`` that is not text; a malformed pass or identifier
        proves nothing and answers like a wrong one.
        """
        return GuestSession(self.context, GuestProof(client, guest_pass, identifier, language))

    # --- accounts: the anonymous commands (the logged-in ones live on shopper()) ---

    #: A captcha image and its audio for the sign-up form (and *new image*).
    new_captcha = StoreCommand(accounts.new_captcha)

    #: Sign up with an email and the captcha's answer: the same answer for a new address
    #: and one with an account (a notice goes there instead).
    sign_up = StoreCommand(accounts.sign_up)

    #: Follow the verification link: the address is verified, its orders join the account.
    verify_email = StoreCommand(accounts.verify_email)

    #: Set the first password with the token of ``EmailVerified``.
    set_password = StoreCommand(accounts.set_password)

    #: Log in with email and password; ``remember`` keeps the session 14 days.
    log_in = StoreCommand(accounts.log_in)

    #: *Forgot password*: the same answer for every address; a link to an account's.
    forgot_password = StoreCommand(accounts.forgot_password)

    #: Choose a new password with the reset link's token; ends every session.
    reset_password = StoreCommand(accounts.reset_password)

    #: Follow the link mailed to a new address: the account's email becomes it.
    confirm_email_change = StoreCommand(accounts.confirm_email_change)

    def shopper(
        self, *, client: str, session: str | None = None, language: str | None = None
    ) -> accounts.ShopperSession:
        """A logged-in shopper's session: their proof, with every account command on it.

        ``client`` is the caller's IP address as the front-end saw it (the rate limits and
        the security log name it; a value shaped like a session id is refused, since the
        log must never keep one); ``session`` the token of :class:`~orderstatus_core.LoggedIn`
        from the session cookie (``None`` or a stale one: every command answers
        :class:`~orderstatus_core.NotLoggedIn`); ``language`` a language the page names
        (a language switcher, a ``/fi/`` path): ``None`` (the default) answers in the
        account's preferred language (:meth:`ShopperSession.set_language`), English
        without a live session; a code answers in that one instead. Build one per
        request::

            shopper = desk.shopper(client=request_ip, session=cookie)
            page = shopper.history()

        A malformed ``client``, or a ``session`` or ``language`` that is not text, raises
        :class:`~orderstatus_core.errors.InvalidFieldError` here.
        """
        return accounts.ShopperSession(
            self.context, accounts.ShopperProof(client, session, language)
        )

    #: One-click unsubscribe (RFC 8058): the token of a store mail's link, no log-in; the
    #: account gets no more store mail of that topic. Call it on the link's POST.
    unsubscribe = StoreCommand(accounts.unsubscribe)

    #: Queue the store's mail template of a topic for every subscribed account, each mail
    #: with its one-click unsubscribe link and headers, in the account's language.
    queue_store_mail = StoreCommand(accounts.queue_store_mail)

    #: Search the orders of an email the storefront verified itself (an account) by part
    #: number or category; a guest searches with a pass by :meth:`GuestSession.search_orders`.
    search_orders = StoreCommand(search_orders)

    #: Deliver due outbox mail through the mail adapter.
    relay_outbox = StoreCommand(relay_outbox)

    #: Relay until a stop signal is set, waiting with back-off while idle: the worker of
    #: ``orderstatus relay --watch``.
    watch_outbox = StoreCommand(watch_outbox)

    #: The pending messages and dead letters, ready to print (``orderstatus outbox``).
    list_outbox = StoreCommand(list_outbox)

    #: Make a dead letter due now, its attempts counted from zero.
    retry_message = StoreCommand(retry_message)

    #: Delete an undelivered message (pending or dead).
    drop_message = StoreCommand(drop_message)

    #: Delete delivered outbox messages, expired guest-pass challenges and passes, and
    #: idempotent replies kept longer than the retention policy says (SECURITY D5). Run it
    #: daily, as ``orderstatus purge`` from cron or a timer.
    purge = StoreCommand(purge)

    #: Import orders from JSON Lines, all or nothing.
    import_orders = StoreCommand(import_orders)

    #: Create or update orders from the store's order system, one unit per order; who owns
    #: which field is in ``docs/import-format.md`` (Updating orders).
    upsert_orders = StoreCommand(upsert_orders)

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


def _check_production_hasher(hasher: PasswordHasher) -> None:
    shortfall = hash_cost_shortfall(hasher.cost)
    if shortfall is not None:
        raise WeakPasswordHashingError(
            f"{shortfall} (SECURITY B3): a store needs a production password hasher; "
            "tests build their context with orderstatus_core.testing.fake_context"
        )


def _hasher_missing(error: Exception) -> bool:
    """Whether ``error`` says the password hasher's adapter or its driver is not there."""
    if isinstance(error, UnknownAdapterError):
        return error.kind == "password hasher"
    return isinstance(error.__cause__, ImportError)
