"""Bad input is always a library error (SECURITY H3): every public entry point of the
facade, given a value of the wrong type in any one argument, answers a value or raises an
``OrderStatusError``, never a raw ``TypeError`` or ``AttributeError``."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from orderstatus_core import (
    AddressChange,
    OrderStatus,
    OrderStatusError,
    ReturnDraft,
    parse_email,
)
from orderstatus_core.services._bind import StoreCommand
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import PLACED_AT, address, make_order, package, usd

NUMBER = "123456789"
JANE = "Jane.Doe@example.com"

#: A stop signal already set: the relay worker answers at once.
_STOPPED = threading.Event()
_STOPPED.set()

#: A valid value for each argument name; each test replaces one of them at a time.
VALID: dict[str, Any] = {
    "identifier": JANE,
    "order_number": NUMBER,
    "client": "203.0.113.9",
    "language": "fi",
    "email": JANE,
    "code": "123456",
    "token": "selector.validator",
    "action": "cancel",
    "verified_email": parse_email(JANE),
    "part_number": "BP-1234",
    "category": None,
    "cursor": None,
    "page_size": None,
    "units": {1: 1},
    "guest_pass": None,
    "idempotency_key": None,
    "change": AddressChange(address()),
    "kind": "return",
    "text": "It arrived cracked.",
    "package_id": "P1",
    "draft": ReturnDraft("return", "defective", {1: 1}),
    "rma_number": f"R{NUMBER}-1",
    "tracking_number": "1Z999AA10123456784",
    "carrier": "UPS",
    "limit": 10,
    "lines": [],
    "progress": None,
    "request_id": "C1",
    "report_id": "P1",
    "resolution": "refund",
    "note": None,
    "apply": False,
    "replace": False,
    "warehouse": "Reno",
    "accepted": {1: 1},
    "currency": "USD",
    "amount": usd("1"),
    "reference": "checkout-1",
    "session": None,
    "message_id": "m-1",
    "stop": _STOPPED,
    "password": "correct horse battery staple",
    "challenge_id": "c" * 22,
    "answer": "ABCD",
    "remember": False,
    "idle_first": 0.5,
    "idle_max": 30.0,
    "topic": "newsletter",
    "template": "spring-sale",
}
#: Store credit takes a verified address, not typed text.
VALID_FOR = {"store_credit": {"email": parse_email(JANE)}}

WRONG: tuple[object, ...] = (None, True, 7, -1, 2.5, b"123", ["x"], {"x": 1}, object(), "x")


def _desk() -> OrderStatus:
    desk = OrderStatus(fake_context())
    with desk.context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(
            make_order(
                NUMBER,
                email=JANE,
                placed_at=PLACED_AT,
                packages=[package("P1", [(1, 1)], shipped_after=timedelta(days=1))],
            )
        )
        uow.commit()
    return desk


def _entry_points() -> list[Any]:
    """Every public method of the facade and its desks, and search once more by category."""
    desk = _desk()
    found = []
    for owner in ("", "warehouse", "customer_service", "store_credit"):
        target = getattr(desk, owner) if owner else desk
        # The commands are StoreCommand descriptors on the class, not functions: list both.
        for name, member in inspect.getmembers(type(target)):
            command = inspect.isfunction(member) or isinstance(member, StoreCommand)
            if command and not name.startswith("_") and name not in ("close", "migrate"):
                given = VALID_FOR.get(owner, {})
                found.append(pytest.param(owner, name, given, id=f"{owner or 'desk'}.{name}"))
    by_category = {"part_number": None, "category": "Brake"}
    found.append(pytest.param("", "search_orders", by_category, id="desk.search_orders(category)"))
    return found


def _method(desk: OrderStatus, owner: str, name: str) -> Callable[..., object]:
    target = (
        getattr(desk, owner) if owner in ("warehouse", "customer_service", "store_credit") else desk
    )
    method: Callable[..., object] = getattr(target, name)
    return method


@pytest.mark.parametrize(("owner", "name", "given"), _entry_points())
def test_a_wrong_type_in_any_argument_is_a_library_error(
    owner: str, name: str, given: dict[str, Any]
) -> None:
    """Each argument in turn gets values of other types; only library errors come out."""
    escaped = []
    parameters = inspect.signature(_method(_desk(), owner, name)).parameters
    valid = {p: given.get(p, VALID[p]) for p in parameters}
    for parameter in parameters:
        desk = _desk()
        for wrong in WRONG:
            try:
                _method(desk, owner, name)(**(valid | {parameter: wrong}))
            except OrderStatusError:
                pass
            except Exception as error:  # what this test is looking for
                escaped.append(f"{parameter}={wrong!r}: {type(error).__name__}: {error}")
    assert escaped == []
