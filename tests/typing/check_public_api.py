"""The public API's types, pinned: mypy checks this file (``nox -s typecheck``); nothing runs it.

A change that alters what a storefront sees from ``orderstatus_core`` fails here first. A
``# type: ignore[code]`` line pins that a misuse *is* an error: under ``--strict`` an
ignore that is no longer needed is itself reported.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, assert_never, assert_type

import pluggy

import orderstatus_core
from orderstatus_core import (
    AdapterRegistry,
    CancelAnswer,
    CancelResult,
    ChangeAnswer,
    ChangeResult,
    EmailAddress,
    GuestPassGranted,
    GuestPassPolicy,
    GuestPassRefused,
    GuestPassRequested,
    GuestSearchResult,
    GuestSession,
    Hooks,
    ImportReport,
    InvalidIdentifierError,
    InvalidUrlError,
    LineLedger,
    LineView,
    LookupPolicy,
    Money,
    NoValidPass,
    Order,
    OrderFound,
    OrderLine,
    OrderListRequested,
    OrderMatch,
    OrderNotFound,
    OrderReturns,
    OrderReturnsResult,
    OrderState,
    OrderStatus,
    OrderStatusError,
    OrderView,
    OutboxEntry,
    OutboxListing,
    Package,
    PackageView,
    PapersResult,
    PhoneNumber,
    PreviewResult,
    ProblemAnswer,
    ProblemResult,
    PurgeReport,
    Refused,
    RelayFailure,
    RelayPolicy,
    RelayReport,
    ReturnAnswer,
    ReturnDraft,
    ReturnOptions,
    ReturnOptionsResult,
    ReturnPapers,
    ReturnPlan,
    ReturnResult,
    SearchPage,
    SpeedChange,
    StopSignal,
    Storage,
    TryLater,
    UnknownAdapterError,
    ValidationError,
    ViewResult,
    email_key,
    get_plugin_manager,
    parse_email,
    parse_phone,
    phone_key,
)
from orderstatus_core.services import (
    FindOrderResult,
    GuestPassRequestResult,
    GuestPassVerifyResult,
    OrderListResult,
)
from orderstatus_core.services.context import Policies


def check_opening() -> None:
    desk = OrderStatus.open(storage="sqlite:///orders.db", mail="mailbox:///mail")
    assert_type(desk, OrderStatus)
    assert_type(desk.migrate(), int)
    with OrderStatus.open(
        storage="memory://", mail="mailbox:///mail", rate_limits="memory://"
    ) as opened:
        assert_type(opened, OrderStatus)
        assert_type(opened.context.policies, Policies)
        assert_type(opened.context.policies.lookup_policy(), LookupPolicy)
    assert_type(orderstatus_core.__version__, str)
    # The adapters are keyword arguments: a positional URL is an error.
    OrderStatus.open("memory://", "mailbox:///mail")  # type: ignore[call-arg]


def check_find_order(desk: OrderStatus) -> None:
    answer = desk.find_order("jane@example.com", "123456789", client="203.0.113.7")
    assert_type(answer, FindOrderResult)
    assert_type(answer, OrderFound | OrderNotFound | TryLater)
    match answer:
        case OrderFound(view=view):
            assert_type(view, OrderView)
            assert_type(view.status, OrderState)
            assert_type(view.total, Money)
            assert_type(view.phone, str | None)
            # Worked out when first read, typed like fields.
            assert_type(view.lines, tuple[LineView, ...])
            assert_type(view.lines[0].line, OrderLine)
            assert_type(view.lines[0].ledger, LineLedger)
            assert_type(view.packages, tuple[PackageView, ...])
            assert_type(view.packages[0].package, Package)
            assert_type(view.packages[0].tracking_url, str | None)
            assert_type(view.stored_lines, tuple[OrderLine, ...])
            assert_type(view.refunded, Money | None)
        case OrderNotFound(message=message):
            assert_type(message, str)
        case TryLater(retry_after_seconds=seconds):
            assert_type(seconds, int)
    desk.find_order("jane@example.com", "123456789")  # type: ignore[call-arg]


def check_order_list_and_relay(desk: OrderStatus) -> None:
    answer = desk.send_order_list("jane@example.com", client="203.0.113.7")
    assert_type(answer, OrderListResult)
    assert_type(answer, OrderListRequested | TryLater)
    report = desk.relay_outbox()
    assert_type(report, RelayReport)
    assert_type(report.sent, int)
    assert_type(report.sent_ids, tuple[str, ...])
    assert_type(report.failures, tuple[RelayFailure, ...])
    assert_type(report.dead, int)
    assert_type(desk.purge(), PurgeReport)


def check_outbox_worker_and_dead_letters(desk: OrderStatus, stop: StopSignal) -> None:
    assert_type(desk.watch_outbox(threading.Event()), RelayReport)
    assert_type(desk.watch_outbox(stop, limit=10, idle_max=5.0), RelayReport)
    desk.watch_outbox()  # type: ignore[call-arg]
    listing = desk.list_outbox(20)
    assert_type(listing, OutboxListing)
    assert_type(listing.dead, tuple[OutboxEntry, ...])
    assert_type(listing.pending[0].dead_at, datetime | None)
    assert_type(desk.retry_message("7c96f0"), bool)
    assert_type(desk.drop_message("7c96f0"), bool)
    desk.retry_message(42)  # type: ignore[arg-type]
    assert_type(RelayPolicy().lease, timedelta)


def check_search(desk: OrderStatus) -> None:
    page = desk.search_orders(parse_email("jane@example.com"), part_number="BP-1234")
    assert_type(page, SearchPage)
    assert_type(page.matches, tuple[OrderMatch, ...])
    assert_type(page.next_cursor, str | None)
    desk.search_orders(parse_email("jane@example.com"), category="Brake", cursor=page.next_cursor)
    # Search trusts a *verified* email: typed text must go through parse_email first.
    desk.search_orders("jane@example.com", part_number="BP-1234")  # type: ignore[arg-type]


def check_guest_session(desk: OrderStatus) -> None:
    guest = desk.guest(client="203.0.113.7", guest_pass="selector.validator")
    assert_type(guest, GuestSession)
    # Each page handles every outcome in one match; assert_never pins that the union is closed.
    match guest.cancel_order("123456789", {1: 1}, idempotency_key="k"):
        case CancelAnswer(lines=lines):
            assert_type(len(lines), int)
        case Refused(reason=reason, message=message):
            assert_type(reason, str)
            assert_type(message, str)
        case NoValidPass(message=message):
            assert_type(message, str)
        case OrderNotFound():
            pass
        case TryLater(retry_after_seconds=seconds):
            assert_type(seconds, int)
        case unreachable:
            assert_never(unreachable)
    match guest.view_order("123456789"):
        case OrderFound(view=view):
            assert_type(view, OrderView)
        case NoValidPass() | OrderNotFound() | TryLater():
            pass
        case unreachable:
            assert_never(unreachable)
    match guest.search_orders(part_number="BP-1234", cursor=None):
        case SearchPage(next_cursor=cursor):
            assert_type(cursor, str | None)
        case NoValidPass():
            pass
        case unreachable:
            assert_never(unreachable)
    draft = ReturnDraft("return", "does_not_fit", {1: 1})
    assert_type(guest.view_order("1"), ViewResult)
    assert_type(guest.search_orders(category="Brake"), GuestSearchResult)
    assert_type(guest.request_change("1", SpeedChange("expedited")), ChangeResult)
    assert_type(guest.report_problem("1", "other"), ProblemResult)
    assert_type(guest.return_options("1", "core"), ReturnOptionsResult)
    assert_type(guest.order_returns("1"), OrderReturnsResult)
    assert_type(guest.preview_return("1", draft), PreviewResult)
    assert_type(guest.request_return("1", draft), ReturnResult)
    assert_type(guest.enter_return_tracking("1", "R1-1", "1Z"), ReturnResult)
    assert_type(guest.return_papers("1", "R1-1"), PapersResult)
    assert_type(
        guest.request_change("1", SpeedChange("expedited")),
        ChangeAnswer | Refused | NoValidPass | OrderNotFound | TryLater,
    )
    assert_type(
        guest.report_problem("1", "other"),
        ProblemAnswer | Refused | NoValidPass | OrderNotFound | TryLater,
    )
    assert_type(
        guest.return_options("1"),
        ReturnOptions | Refused | NoValidPass | OrderNotFound | TryLater,
    )
    assert_type(
        guest.order_returns("1"), OrderReturns | Refused | NoValidPass | OrderNotFound | TryLater
    )
    assert_type(
        guest.preview_return("1", draft),
        ReturnPlan | Refused | NoValidPass | OrderNotFound | TryLater,
    )
    assert_type(
        guest.request_return("1", draft),
        ReturnAnswer | Refused | NoValidPass | OrderNotFound | TryLater,
    )
    assert_type(
        guest.return_papers("1", "R1-1"),
        ReturnPapers | Refused | NoValidPass | OrderNotFound | TryLater,
    )
    assert_type(guest.cancel_order("1"), CancelResult)
    # The proof is given once, to the session; the facade has no guest actions of its own.
    desk.cancel_order("123456789", client="c")  # type: ignore[attr-defined]
    desk.guest("203.0.113.7")  # type: ignore[call-arg]
    guest.cancel_order("123456789", client="c")  # type: ignore[call-arg]


def check_guest_pass(desk: OrderStatus) -> None:
    requested = desk.request_guest_pass("jane@example.com", "123456789", client="203.0.113.7")
    assert_type(requested, GuestPassRequestResult)
    assert_type(requested, GuestPassRequested | TryLater)
    answer = desk.verify_guest_code("123456789", "042917", client="203.0.113.7")
    assert_type(answer, GuestPassVerifyResult)
    assert_type(answer, GuestPassGranted | GuestPassRefused | TryLater)
    match desk.verify_guest_link("selector.validator", client="203.0.113.7"):
        case GuestPassGranted(token=token, order_number=number, email=email):
            assert_type(token, str)
            assert_type(email, EmailAddress)
            assert_type(desk.check_guest_pass(token, number), bool)
        case GuestPassRefused(message=message):
            assert_type(message, str)
        case TryLater():
            pass
    assert_type(desk.pass_required("cancel"), bool)
    assert_type(Hooks(get_plugin_manager()).guest_pass_policy(), GuestPassPolicy)
    desk.verify_guest_code("123456789", "042917")  # type: ignore[call-arg]


def check_import(desk: OrderStatus) -> None:
    assert_type(desk.import_orders(iter(['{"number": "1"}'])), ImportReport)
    assert_type(desk.import_orders([], progress=print).imported, int)


def check_identifiers() -> None:
    assert_type(parse_email("Jane@Example.com"), EmailAddress)
    assert_type(parse_email("Jane@Example.com").canonical, str)
    assert_type(parse_phone("(415) 555-2671"), PhoneNumber)
    assert_type(parse_phone("040 123 4567", region="FI").e164, str)
    assert_type(email_key("Jane@Example.com"), str | None)
    assert_type(phone_key("(415) 555-2671"), str | None)


def check_money() -> None:
    price = Money("24.99", "USD")
    assert_type(price + price, Money)
    assert_type(price - price, Money)
    assert_type(price * 3, Money)
    assert_type(3 * price, Money)
    assert_type(price.amount, Decimal)
    assert_type(price < price, bool)
    assert_type(Money.zero("EUR"), Money)
    price + 1  # type: ignore[operator]


def check_order(order: Order) -> None:
    assert_type(order.status, OrderState)
    assert_type(order.number, str)
    assert_type(order.email, EmailAddress)
    assert_type(order.phone, PhoneNumber | None)
    assert_type(order.total, Money)
    assert_type(order.ledger(1), LineLedger)
    assert_type(order.ledger(1).awaiting, int)
    assert_type(OrderState("shipped"), OrderState)


def check_plugins() -> None:
    manager = get_plugin_manager(load_entrypoints=False, blocked=["sqlite"])
    assert_type(manager, pluggy.PluginManager)
    hooks = Hooks(manager)
    policies: Policies = hooks  # the typed facade is the policies object of a context
    assert_type(policies.pass_required("cancel"), bool)
    assert_type(hooks.lookup_policy(), LookupPolicy)
    assert_type(hooks.tracking_url("UPS", "1Z999AA10123456784"), str | None)
    registry = hooks.adapter_registry()
    assert_type(registry, AdapterRegistry)
    assert_type(registry.open_storage("memory://"), Storage)
    assert_type(registry.storage_schemes(), list[str])


def check_errors() -> None:
    # Each error is also the builtin a caller would catch without knowing this library.
    invalid: ValueError = InvalidIdentifierError("email", "is not an email address")
    unknown: LookupError = UnknownAdapterError("storage", "foo", ["memory"])
    malformed: ValueError = InvalidUrlError("not an adapter URL")
    root: OrderStatusError = ValidationError("field", "message")
    assert_type(ValidationError("field", "message").at("lines[0]"), ValidationError)
    del invalid, unknown, malformed, root


def check_accounts(desk: OrderStatus) -> None:
    captcha = desk.new_captcha(client="203.0.113.7")
    assert_type(captcha, orderstatus_core.CaptchaResult)
    signed = desk.sign_up("jane@example.com", challenge_id="c", answer="a", client="c")
    assert_type(signed, orderstatus_core.SignUpResult)
    assert_type(desk.verify_email("t", client="c"), orderstatus_core.VerifyEmailResult)
    assert_type(desk.set_password("t", "p", client="c"), orderstatus_core.SetPasswordResult)
    answer = desk.log_in("jane@example.com", "p", remember=True, client="c")
    assert_type(answer, orderstatus_core.LogInResult)
    match answer:
        case orderstatus_core.LoggedIn(token=token, expires_at=expires_at):
            assert_type(token, str)
            assert_type(expires_at, datetime)
        case orderstatus_core.LogInRefused() | orderstatus_core.TryLater():
            pass
        case _:
            assert_never(answer)
    assert_type(desk.forgot_password("j", client="c"), orderstatus_core.ForgotPasswordResult)
    reset = desk.reset_password("t", "p", client="c")
    assert_type(reset, orderstatus_core.ResetPasswordResult)
    shopper = desk.shopper(client="203.0.113.7", session=None, language="fi")
    assert_type(shopper, orderstatus_core.ShopperSession)
    assert_type(shopper.view(), orderstatus_core.AccountViewResult)
    assert_type(shopper.history(page_size=10), orderstatus_core.HistoryResult)
    assert_type(shopper.search(part_number="BP-1"), orderstatus_core.ShopperSearchResult)
    truck = orderstatus_core.VehicleQuery(2019, "Ford", "F-150", engine="5.0L V8")
    assert_type(shopper.search(vehicle=truck), orderstatus_core.ShopperSearchResult)
    assert_type(shopper.search(vehicle_id="v1"), orderstatus_core.ShopperSearchResult)
    assert_type(truck.key, str)
    assert_type(shopper.reauthenticate("p"), orderstatus_core.ReauthenticateResult)
    assert_type(shopper.change_email("n@example.com"), orderstatus_core.ChangeEmailResult)
    assert_type(shopper.change_password("p"), orderstatus_core.ChangePasswordResult)
    assert_type(shopper.delete_account(), orderstatus_core.DeleteAccountResult)
    assert_type(shopper.attach_order("1", "j@example.com"), orderstatus_core.AttachRequestResult)
    assert_type(shopper.confirm_attach("a", "123456"), orderstatus_core.AttachConfirmResult)
    assert_type(shopper.security_log(), orderstatus_core.SecurityLogResult)
    assert_type(shopper.log_out(), orderstatus_core.LoggedOut)
    home = orderstatus_core.Address("Jane Roe", "1 Main St", "Springfield", "12345", "US")
    book = shopper.addresses()
    assert_type(book, orderstatus_core.AddressBookResult)
    match book:
        case orderstatus_core.AddressBook(saved=saved, from_orders=from_orders):
            assert_type(saved, tuple[orderstatus_core.SavedAddress, ...])
            assert_type(from_orders, tuple[orderstatus_core.Address, ...])
            assert_type(book.default, orderstatus_core.SavedAddress | None)
        case orderstatus_core.NotLoggedIn():
            pass
        case _:
            assert_never(book)
    assert_type(shopper.add_address(home, default=True), orderstatus_core.SaveAddressResult)
    assert_type(shopper.edit_address("a", home), orderstatus_core.SaveAddressResult)
    assert_type(shopper.remove_address("a"), orderstatus_core.RemoveAddressResult)
    assert_type(shopper.choose_default_address("a"), orderstatus_core.ChooseDefaultResult)
    car = orderstatus_core.Vehicle(2019, "Ford", "F-150", "5.0L V8", vin=None)
    assert_type(shopper.garage(), orderstatus_core.GarageResult)
    added = shopper.add_vehicle(car)
    assert_type(added, orderstatus_core.AddVehicleResult)
    match added:
        case orderstatus_core.VehicleAdded(vehicle_id=vehicle_id, catalog_id=catalog_id):
            assert_type(vehicle_id, str)
            assert_type(catalog_id, str)
        case (
            orderstatus_core.VehicleNotInCatalog()
            | orderstatus_core.GarageFull()
            | orderstatus_core.NotLoggedIn()
        ):
            pass
        case _:
            assert_never(added)
    assert_type(shopper.remove_vehicle("v"), orderstatus_core.RemoveVehicleResult)
    watched = shopper.watch_part("BP-1234")
    assert_type(watched, orderstatus_core.WatchPartResult)
    match watched:
        case orderstatus_core.PartWatched(part_number=part_number, already=already):
            assert_type(part_number, str)
            assert_type(already, bool)
        case orderstatus_core.WatchListFull(limit=limit):
            assert_type(limit, int)
        case orderstatus_core.NotLoggedIn():
            pass
        case _:
            assert_never(watched)
    watches = shopper.part_watches()
    assert_type(watches, orderstatus_core.PartWatchesResult)
    if isinstance(watches, orderstatus_core.PartWatches):
        assert_type(watches.watches, tuple[orderstatus_core.PartWatch, ...])
    assert_type(shopper.unwatch_part("BP-1234"), orderstatus_core.UnwatchPartResult)
    page = shopper.profile()
    assert_type(page, orderstatus_core.ProfilePageResult)
    match page:
        case orderstatus_core.ProfilePage(addresses=addresses, store_credit=credit):
            assert_type(addresses, orderstatus_core.AddressBook)
            assert_type(credit, orderstatus_core.AccountCredit)
            assert_type(page.discount_codes, orderstatus_core.DiscountCodes)
            assert_type(page.language, str)
        case orderstatus_core.NotLoggedIn():
            pass
        case _:
            assert_never(page)
    sent = desk.catalog.part_back_in_stock("BP-1234")
    assert_type(sent, orderstatus_core.PartAlertsSent)
    assert_type(sent.alerts, int)
    exported = shopper.export_data()
    assert_type(exported, orderstatus_core.ExportResult)
    match exported:
        case orderstatus_core.DataExport(document=document):
            assert_type(document, bytes)
            assert_type(exported.filename, str)
        case (
            orderstatus_core.ReauthenticationRequired()
            | orderstatus_core.NotLoggedIn()
            | orderstatus_core.TryLater()
        ):
            pass
        case _:
            assert_never(exported)
    assert_type(orderstatus_core.export_schema(), dict[str, Any])
    shopper.export_data("everything")  # type: ignore[call-arg]
    shopper.add_address({"name": "Jane"})  # type: ignore[arg-type]
    shopper.add_vehicle("2019 Ford")  # type: ignore[arg-type]
    assert_type(shopper.store_credit(), orderstatus_core.AccountCreditResult)
    assert_type(shopper.discount_codes(), orderstatus_core.DiscountCodesResult)
    jane = orderstatus_core.parse_email("jane@example.com")
    issued = desk.discounts.issue(jane, percent=10)
    assert_type(issued, orderstatus_core.IssueCodeResult)
    usd = orderstatus_core.Money("80.00", "USD")
    assert_type(desk.discounts.issue(jane, amount=usd), orderstatus_core.IssueCodeResult)
    assert_type(desk.discounts.revoke("c"), orderstatus_core.RevokeCodeResult)
    redeemed = desk.discounts.redeem("c", jane, "order-1", usd)
    assert_type(redeemed, orderstatus_core.RedeemResult)
    match redeemed:
        case orderstatus_core.DiscountApplied(discount=discount):
            assert_type(discount, orderstatus_core.Money)
        case (
            orderstatus_core.CodeNotFound()
            | orderstatus_core.CodeExpired()
            | orderstatus_core.CodeAlreadyUsed()
            | orderstatus_core.CodeRevoked()
            | orderstatus_core.CodeCurrencyMismatch()
        ):
            pass
        case _:
            assert_never(redeemed)
    desk.discounts.redeem("c", "jane@example.com", "order-1", usd)  # type: ignore[arg-type]
    shopper.watch_part(1234)  # type: ignore[arg-type]
    shopper.log_in("j", "p")  # type: ignore[attr-defined]
