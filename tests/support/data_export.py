"""A shopper with something of every kind stored (an address, a car, a linked order bought
for a vehicle, store credit, a discount code, a watched part, a store-mail topic), for the
data-export and deletion tests on every storage."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import attrs
from jsonschema import Draft202012Validator

from orderstatus_core import (
    AccountDeleted,
    AccountState,
    Address,
    AddressSaved,
    CodeIssued,
    DataExport,
    Money,
    NotLoggedIn,
    OrderStatus,
    PartWatched,
    ShopperSession,
    Vehicle,
    VehicleAdded,
    export_schema,
    parse_email,
)
from orderstatus_core.records import CreditEntry
from orderstatus_core.services import ServiceContext
from orderstatus_core.services.sync import upsert_order
from orderstatus_core.testing import FixedClock
from orderstatus_core.testing.builders import line, make_order
from support.accounts import CLIENT, log_in, register

JANE = "Jane.Roe@example.com"
HOME = Address("Jane Roe", "1 Main St", "Springfield", "12345", "US", line2="Apt 2")
CAR = Vehicle(2019, "Ford", "F-150", "5.0L V8", nickname="Truck", vin="1M8GDM9AXKP042788")
ORDER = "700000001"
PHONE = "+14155552671"
#: What the order's line was bought for (a line's vehicle has no nickname or VIN).
BOUGHT_FOR = Vehicle(2019, "Ford", "F-150", "5.0L V8")
WATCHED = "BP-9001"


@attrs.frozen
class Holder:
    """The logged-in shopper and the ids of what was stored for them."""

    shopper: ShopperSession
    account_id: str
    address_id: str
    vehicle_id: str
    code: str


def stored_holder(ctx: ServiceContext, email: str = JANE, order: str = ORDER) -> Holder:
    """Register ``email``, store an order placed with it (linked at once, its line bought
    for :data:`BOUGHT_FOR`), log in, save an address and a car, watch a part, subscribe
    to the newsletter, have the store issue a 5 USD code, and credit 12.50 USD to the
    address: all within the re-authentication window of the log-in."""
    register(ctx, email)
    bought = make_order(order, email=email, phone=PHONE, lines=[line(vehicle=BOUGHT_FOR)])
    assert upsert_order(ctx, bought) == "created"
    desk = OrderStatus(ctx)
    shopper = desk.shopper(client=CLIENT, session=log_in(ctx, email).token)
    saved = shopper.add_address(HOME, default=True)
    added = shopper.add_vehicle(CAR)
    assert isinstance(saved, AddressSaved), saved
    assert isinstance(added, VehicleAdded), added
    assert shopper.watch_part(WATCHED) == PartWatched(part_number=WATCHED)
    shopper.set_mail_preferences({"newsletter": True})
    issued = desk.discounts.issue(parse_email(email), amount=Money("5", "USD"))
    assert isinstance(issued, CodeIssued), issued
    with ctx.storage.unit_of_work(write=True) as uow:
        account = uow.accounts.by_email(email.lower())
        assert account is not None
        entry = CreditEntry(
            f"refund:{order}:R1", account.email_key, Money("12.50", "USD"), ctx.clock.now(), "R1"
        )
        assert uow.credit.append(entry)
        uow.commit()
    return Holder(shopper, account.account_id, saved.address_id, added.vehicle_id, issued.code.code)


def exported(shopper: ShopperSession) -> dict[str, Any]:
    """The shopper's export, parsed and valid against the shipped schema."""
    answer = shopper.export_data()
    assert isinstance(answer, DataExport), answer
    document: dict[str, Any] = json.loads(answer.document.decode("utf-8"))
    Draft202012Validator(export_schema()).validate(document)
    return document


def advance(ctx: ServiceContext, by: timedelta) -> None:
    """Move the context's fixed clock on."""
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(by)


def deleted_holder_keeps_nothing(ctx: ServiceContext) -> None:
    """Delete a :func:`stored_holder`: its addresses, garage, watched parts, store-mail
    topics, unused discount code and open sessions are gone,
    the password hash dropped, the order stays for the store, unlinked; the session's
    export answers NotLoggedIn (DOMAIN.md section 2, issue 14 item 8)."""
    holder = stored_holder(ctx)
    assert holder.shopper.delete_account() == AccountDeleted()
    with ctx.storage.unit_of_work() as uow:
        assert list(uow.accounts.saved_addresses(holder.account_id)) == []
        assert list(uow.accounts.garage(holder.account_id)) == []
        assert list(uow.accounts.part_watches(holder.account_id)) == []
        assert list(uow.accounts.mail_subscriptions(holder.account_id)) == []
        assert list(uow.accounts.discount_codes(holder.account_id, 10)) == []
        assert list(uow.sessions.open_sessions(holder.account_id)) == []
        assert list(uow.accounts.linked_orders(holder.account_id, 10)) == []
        assert uow.accounts.order_link(ORDER) is None
        assert uow.orders.get(ORDER) is not None
        account = uow.accounts.get(holder.account_id)
    assert account is not None
    assert account.state is AccountState.DELETED
    assert account.password_hash is None
    assert holder.shopper.export_data() == NotLoggedIn()
