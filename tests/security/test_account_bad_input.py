"""Bad input to every account command (SECURITY H3, issue 13): on the facade and on
``desk.shopper``, each argument in turn gets a value of another type and hostile text (too
long, a lone surrogate, NUL, a confusable address, injection text); only a value or an
``OrderStatusError`` comes out, never a raw ``TypeError`` or ``AttributeError``, and a
refused command queues no mail and stores no account."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from orderstatus_core import Address, OrderStatus, OrderStatusError, Vehicle
from orderstatus_core.services._bind import ShopperCommand, StoreCommand
from orderstatus_core.services.accounts import ShopperSession
from orderstatus_core.services.accounts._common import ShopperProof
from orderstatus_core.testing import fake_context
from support.accounts import CLIENT, PASSWORD, log_in, register

JANE = "jane@example.com"

#: A valid value for each argument name of the account commands.
VALID: dict[str, Any] = {
    "client": CLIENT,
    "language": "fi",
    "email": "mike@example.com",
    "challenge_id": "c" * 22,
    "answer": "ABCD",
    "token": "selector.validator",
    "password": PASSWORD,
    "new_password": "another long enough passphrase",
    "new_password_text": "another long enough passphrase",
    "identifier": JANE,
    "new_email": "jane@work.example",
    "remember": False,
    "cursor": None,
    "page_size": None,
    "part_number": "BP-1234",
    "category": None,
    "order_number": "123456789",
    "email_or_phone": JANE,
    "attach_id": "a" * 22,
    "code": "123456",
    "limit": 10,
    "address": Address("Jane Roe", "1 Main St", "Springfield", "12345", "US"),
    "default": False,
    "address_id": "abcdefghijkl",
    "vehicle": Vehicle(2019, "Ford", "F-150", "5.0L V8"),
    "vehicle_id": "abcdefghijkl",
    "topic": "newsletter",
    "topics": {"newsletter": True},
    "template": "spring-sale",
}

WRONG: tuple[object, ...] = (None, True, 7, -1, 2.5, b"123", ["x"], {"x": 1}, object())
HOSTILE: tuple[str, ...] = (
    "",
    "x" * 100_000,
    "jane\udc80@example.com",
    "jane@example.com\x00",
    "ｊａｎｅ@example.com",
    "jane@exаmple.com",  # Cyrillic а
    "'; DROP TABLE accounts; --",
    "jane@example.com\r\nBcc: all@example.com",
    "{{ 7*7 }}<script>alert(1)</script>",
)

_DESK_COMMANDS = sorted(
    name
    for name, value in vars(OrderStatus).items()
    if isinstance(value, StoreCommand)
    and getattr(value.command, "__module__", "").startswith("orderstatus_core.services.accounts")
)
_SHOPPER_COMMANDS = sorted(
    name for name, value in vars(ShopperSession).items() if isinstance(value, ShopperCommand)
)


def _parameters(command: Callable[..., object], skip: int) -> list[str]:
    return list(inspect.signature(command).parameters)[skip:]


def _counts(desk: OrderStatus) -> tuple[int, int]:
    """How many messages the outbox holds and whether Mike has an account."""
    with desk.context.storage.unit_of_work() as uow:
        pending = uow.outbox.pending_count()
        mike = uow.accounts.by_email("mike@example.com") is not None
    return pending, int(mike)


def _desk() -> tuple[OrderStatus, str]:
    ctx = fake_context()
    register(ctx, JANE)
    return OrderStatus(ctx), log_in(ctx, JANE).token


def _call(
    desk: OrderStatus, session: str, owner: str, name: str, arguments: dict[str, Any]
) -> object:
    if owner == "desk":
        return getattr(desk, name)(**arguments)
    shopper = ShopperSession(desk.context, ShopperProof(CLIENT, session, "en"))
    return getattr(shopper, name)(**arguments)


def _cases() -> list[Any]:
    cases = []
    for name in _DESK_COMMANDS:
        command = vars(OrderStatus)[name].command
        cases.append(pytest.param("desk", name, _parameters(command, 1), id=f"desk.{name}"))
    for name in _SHOPPER_COMMANDS:
        command = vars(ShopperSession)[name].command
        cases.append(pytest.param("shopper", name, _parameters(command, 2), id=f"shopper.{name}"))
    return cases


def test_every_account_command_is_covered() -> None:
    """The facade's anonymous account commands and the shopper's are all listed."""
    assert {"sign_up", "log_in", "forgot_password", "reset_password"} <= set(_DESK_COMMANDS)
    assert {"change_email", "attach_order", "delete_account"} <= set(_SHOPPER_COMMANDS)


@pytest.mark.parametrize(("owner", "name", "parameters"), _cases())
def test_bad_input_to_an_account_command_is_a_library_error(
    owner: str, name: str, parameters: list[str]
) -> None:
    """Each argument in turn: wrong types and hostile text give a value or a library
    error; nothing is stored for Mike, and no command of a wrong type queues mail."""
    escaped = []
    valid = {parameter: VALID[parameter] for parameter in parameters}
    for parameter in parameters:
        desk, session = _desk()
        for bad in (*WRONG, *HOSTILE):
            before = _counts(desk)
            try:
                _call(desk, session, owner, name, valid | {parameter: bad})
            except OrderStatusError:
                if _counts(desk) != before:
                    escaped.append(f"{parameter}={bad!r:.40}: refused but changed the store")
            except Exception as error:  # what this test is looking for
                escaped.append(f"{parameter}={bad!r:.40}: {type(error).__name__}: {error}")
    assert escaped == []
