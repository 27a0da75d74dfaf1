"""Example orders for tests written by hand: sensible defaults, override what matters.

>>> order = make_order(number="100000001", lines=[line(1, "BP-1234", quantity=2)])
>>> order.status
<OrderState.PLACED: 'placed'>
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from orderstatus_core.contacts import parse_email, parse_phone
from orderstatus_core.model import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    Order,
    OrderLine,
    Package,
    PackedUnits,
    PartNumber,
)

__all__ = [
    "PLACED_AT",
    "address",
    "line",
    "line_of_two",
    "make_order",
    "order_of_two_lines",
    "package",
    "usd",
]

#: When example orders are placed unless a test says otherwise.
PLACED_AT = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def usd(amount: str | int) -> Money:
    """Money in US dollars."""
    return Money(amount, "USD")


def address(**overrides: Any) -> Address:
    """Jane Doe's address in Springfield, IL."""
    fields: dict[str, Any] = {
        "name": "Jane Doe",
        "line1": "742 Evergreen Terrace",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
    }
    fields.update(overrides)
    return Address(**fields)


def line(
    line_no: int = 1,
    part_number: str = "BP-1234",
    *,
    category: str | Sequence[str] = ("Brake & Wheel Hub", "Brake Pad"),
    quantity: int = 1,
    price: str = "24.99",
    core: str = "0",
    currency: str = "USD",
    **overrides: Any,
) -> OrderLine:
    """A line of ``quantity`` units of ``part_number``."""
    fields: dict[str, Any] = {
        "line_no": line_no,
        "part_number": PartNumber(part_number),
        "brand": "Wagner",
        "category": CategoryPath(category),
        "description": f"Part {part_number}",
        "quantity": quantity,
        "unit_price": Money(price, currency),
        "core_charge": Money(core, currency),
    }
    fields.update(overrides)
    return OrderLine(**fields)


def package(
    package_id: str = "P1",
    units: Sequence[tuple[int, int]] = ((1, 1),),
    *,
    shipped_after: timedelta | None = None,
    delivered_after: timedelta | None = None,
    placed_at: datetime = PLACED_AT,
    **overrides: Any,
) -> Package:
    """A package of ``(line_no, quantity)`` units; shipped and delivered some time after
    ``placed_at`` when those offsets are given."""
    fields: dict[str, Any] = {
        "package_id": package_id,
        "warehouse": "Columbus, OH",
        "units": tuple(PackedUnits(line_no, quantity) for line_no, quantity in units),
        "carrier": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "shipped_at": placed_at + shipped_after if shipped_after is not None else None,
        "delivered_at": placed_at + delivered_after if delivered_after is not None else None,
    }
    fields.update(overrides)
    return Package(**fields)


def make_order(
    number: str = "123456789",
    email: str = "Jane.Doe@example.com",
    phone: str | None = "+14155552671",
    *,
    lines: Sequence[OrderLine] | None = None,
    packages: Sequence[Package] = (),
    placed_at: datetime = PLACED_AT,
    currency: str = "USD",
    **overrides: Any,
) -> Order:
    """A valid order; every field can be overridden by keyword."""
    order = Order(
        number=number,
        placed_at=placed_at,
        email=parse_email(email),
        phone=parse_phone(phone) if phone is not None else None,
        shipping_address=address(),
        currency=currency,
        lines=tuple(lines) if lines is not None else (line(currency=currency),),
        shipping=Money("9.99", currency),
        tax=Money("2.00", currency),
        packages=tuple(packages),
    )
    return attrs.evolve(order, **overrides) if overrides else order


def line_of_two(
    line_no: int = 1,
    part: str = "BP-1234",
    category: Sequence[str] = ("Brake & Wheel Hub", "Brake Pad"),
    **fields: Any,
) -> OrderLine:
    """A line of two units (so that one can be packed, cancelled or returned and one kept);
    any field can be overridden."""
    fields.setdefault("quantity", 2)
    return line(line_no, part, category=tuple(category), **fields)


def order_of_two_lines(
    number: str = "100001",
    email: str | EmailAddress = "jane@example.com",
    *,
    lines: Sequence[OrderLine] | None = None,
    **fields: Any,
) -> Order:
    """Order 100001 of jane@example.com with two lines of two units (BP-1234 and R-77),
    as the storage tests build it; any field of :func:`make_order` can be overridden."""
    return make_order(
        number,
        email.display if isinstance(email, EmailAddress) else email,
        lines=lines if lines is not None else (line_of_two(1), line_of_two(2, "R-77")),
        **fields,
    )
