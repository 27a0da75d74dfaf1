"""SECURITY A4: orders placed with one address never reach, list or credit a lookalike.

Each property places orders with an address and with a lookalike of it (fullwidth letters,
``ß`` / ``ss``, ligatures, long s, dotless i, homoglyphs ..., from
:func:`~orderstatus_core.testing.strategies.lookalike_email_texts`) and drives one entry
point that keys on an email through the public facade, the relay and a recording mailer.
"""

from __future__ import annotations

import re
from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    EmailAddress,
    GuestPassGranted,
    InsufficientCreditError,
    OrderFound,
    OrderNotFound,
    OrderStatus,
    ReturnAnswer,
    ReturnDraft,
    parse_email,
)
from orderstatus_core.messages import GuestPassMail
from orderstatus_core.testing import FixedClock, RecordingMailer, fake_context, queued_mail
from orderstatus_core.testing.builders import line, make_order, package, usd
from orderstatus_core.testing.strategies import lookalike_email_texts

# Nine-digit numbers: the address's orders start with 1, the lookalike's with 2.
ADDRESS_ORDERS = ("100000001", "100000002")
LOOKALIKE_ORDERS = ("200000001", "200000002")
_NUMBER = re.compile(r"\b[12]0000000[12]\b")

pairs = lookalike_email_texts()


def _desk(address: str, lookalike: str) -> OrderStatus:
    """A store with two delivered orders placed with ``address`` and two with ``lookalike``,
    all with the same part; the lookalike's are the newest."""
    clock = FixedClock()
    desk = OrderStatus(fake_context(clock=clock))
    placed = clock.now() - timedelta(days=10)
    owners = [(address, n) for n in ADDRESS_ORDERS] + [(lookalike, n) for n in LOOKALIKE_ORDERS]
    with desk.context.storage.unit_of_work(write=True) as uow:
        for minutes, (email, number) in enumerate(owners):
            uow.orders.add(
                make_order(
                    number,
                    email=email,
                    placed_at=placed + timedelta(minutes=minutes),
                    lines=[line(1, "BP-1234", quantity=2)],
                    packages=[
                        package(
                            "P1",
                            [(1, 2)],
                            placed_at=placed,
                            shipped_after=timedelta(days=1),
                            delivered_after=timedelta(days=3),
                        )
                    ],
                )
            )
        uow.commit()
    return desk


def _mailed(desk: OrderStatus) -> dict[str, set[str]]:
    """Run the relay; every order number each stored address was mailed."""
    while desk.relay_outbox().sent:
        pass
    mailer = desk.context.mailer
    assert isinstance(mailer, RecordingMailer)
    numbers: dict[str, set[str]] = {}
    for mail in mailer.sent:
        numbers.setdefault(mail.to, set()).update(_NUMBER.findall(mail.subject + mail.text))
    return numbers


def _stored(text: str) -> str:
    return parse_email(text).display


def _typed_again(text: str) -> str:
    """The same address as a shopper might type it later: other case, spaces around.
    (Only ASCII letters change case: ``"ß".swapcase()`` is ``"SS"``, another mailbox.)"""
    return "  " + "".join(c.swapcase() if c.isascii() else c for c in text) + " "


@given(pairs)
def test_find_order_never_opens_a_lookalikes_order(pair: tuple[str, str]) -> None:
    """Find-order with a lookalike and the address's order number is not found."""
    address, lookalike = pair
    desk = _desk(address, lookalike)
    for number in ADDRESS_ORDERS:
        assert desk.find_order(lookalike, number, client="c") == OrderNotFound()
        assert isinstance(desk.find_order(_typed_again(address), number, client="c"), OrderFound)
    for number in LOOKALIKE_ORDERS:
        assert desk.find_order(address, number, client="c") == OrderNotFound()


@given(pairs, st.booleans())
def test_order_look_up_mails_each_order_only_to_its_own_address(
    pair: tuple[str, str], lookalike_asks: bool
) -> None:
    """Order Look-Up through the relay: each mailbox gets its own order numbers, no others."""
    address, lookalike = pair
    desk = _desk(address, lookalike)
    desk.send_order_list(_typed_again(lookalike if lookalike_asks else address), client="c")
    expected = (
        {_stored(lookalike): set(LOOKALIKE_ORDERS)}
        if lookalike_asks
        else {_stored(address): set(ADDRESS_ORDERS)}
    )
    assert _mailed(desk) == expected


@given(pairs)
def test_a_guest_pass_for_an_order_goes_only_to_its_own_address(pair: tuple[str, str]) -> None:
    """A pass asked for with a lookalike and another's order number mails nobody; asked
    for with the right address, it mails that order's own address."""
    address, lookalike = pair
    desk = _desk(address, lookalike)
    desk.request_guest_pass(lookalike, ADDRESS_ORDERS[0], client="c")
    desk.request_guest_pass(address, LOOKALIKE_ORDERS[0], client="c")
    assert _mailed(desk) == {}
    desk.request_guest_pass(_typed_again(address), ADDRESS_ORDERS[0], client="c")
    assert _mailed(desk) == {_stored(address): {ADDRESS_ORDERS[0]}}


@given(pairs)
def test_search_lists_only_the_verified_addresses_orders(pair: tuple[str, str]) -> None:
    """Search by a verified email finds that address's orders, never a lookalike's."""
    address, lookalike = pair
    desk = _desk(address, lookalike)
    for email, own in ((address, ADDRESS_ORDERS), (lookalike, LOOKALIKE_ORDERS)):
        page = desk.search_orders(parse_email(_typed_again(email)), part_number="bp 1234")
        assert {m.header.number for m in page.matches} == set(own)
        page = desk.search_orders(parse_email(email), category="Brake & Wheel Hub")
        assert {m.header.number for m in page.matches} == set(own)


def _credit_a_refund(desk: OrderStatus, identifier: str, number: str) -> None:
    """Return one unit of ``number`` for store credit and settle it."""
    desk.request_guest_pass(identifier, number, client="c")
    mails = queued_mail(desk.context)
    (code,) = [m.code for m in mails if isinstance(m, GuestPassMail) and m.order_number == number]
    granted = desk.verify_guest_code(number, code, client="c")
    assert isinstance(granted, GuestPassGranted)
    draft = ReturnDraft("return", "defective", {1: 1}, refund_method="store_credit")
    answer = desk.guest(client="c", guest_pass=granted.token).request_return(number, draft)
    assert isinstance(answer, ReturnAnswer)
    rma = answer.request.packages[0].rma_number
    desk.warehouse.receive_return(number, rma)
    desk.warehouse.inspect_return(number, rma, {1: 1})
    desk.customer_service.settle_return(number, rma)


@given(pairs)
def test_store_credit_of_an_order_is_never_a_lookalikes(pair: tuple[str, str]) -> None:
    """A refund taken as credit is in the balance and ledger of its order's address only,
    and only that address can spend it."""
    address, lookalike = pair
    desk = _desk(address, lookalike)
    _credit_a_refund(desk, address, ADDRESS_ORDERS[0])
    credit = desk.store_credit
    with pytest.raises(InsufficientCreditError):
        credit.spend(parse_email(lookalike), usd("0.01"), "checkout-1")
    assert credit.history(parse_email(lookalike)) == ()
    assert credit.balance(parse_email(lookalike), "USD").amount == 0
    (entry,) = credit.history(parse_email(_typed_again(address)))
    assert credit.balance(parse_email(address), "USD") == entry.amount
    assert entry.amount.amount > 0


@given(pairs)
def test_order_look_up_never_lists_another_mailbox_under_a_stale_key(
    pair: tuple[str, str],
) -> None:
    """Defence in depth: orders stored under one key by an older or broader rule (a
    lookalike's order keyed as the address) are still mailed only to their own address."""
    address, lookalike = pair
    desk = _desk(address, lookalike)
    stale = EmailAddress(_stored(lookalike), parse_email(address).canonical)
    with desk.context.storage.unit_of_work(write=True) as uow:
        for number in LOOKALIKE_ORDERS:
            order = uow.orders.get(number)
            assert order is not None
            uow.orders.save(attrs.evolve(order, email=stale, version=order.version + 1))
        uow.commit()
    desk.send_order_list(address, client="c")
    mailed = _mailed(desk)
    assert mailed.get(_stored(address), set()) <= set(ADDRESS_ORDERS)
    assert mailed.get(_stored(lookalike), set()) <= set(LOOKALIKE_ORDERS)
    assert mailed
