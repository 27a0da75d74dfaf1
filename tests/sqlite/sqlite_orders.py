"""Small order builders for the SQLite adapter tests (kept local on purpose: these tests
pin the adapter, not the shared test helpers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from orderstatus_core import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    Order,
    OrderLine,
    Package,
    PackedUnits,
    PartNumber,
    PhoneNumber,
)
from orderstatus_core.identifiers import parse_email

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def order_line(
    line_no: int = 1,
    part: str = "BP-1234",
    category: Sequence[str] = ("Brake & Wheel Hub", "Brake Pad"),
    **fields: Any,
) -> OrderLine:
    """One line; any field can be overridden."""
    values: dict[str, Any] = {
        "line_no": line_no,
        "part_number": PartNumber(part),
        "brand": "Wagner",
        "category": CategoryPath(tuple(category)),
        "description": f"Part {part}",
        "quantity": 2,
        "unit_price": Money("24.99", "USD"),
        "core_charge": Money("0", "USD"),
    }
    values.update(fields)
    return OrderLine(**values)


def order(
    number: str = "100001",
    email: str | EmailAddress = "jane@example.com",
    *,
    placed_at: datetime = T0,
    lines: Sequence[OrderLine] | None = None,
    packages: Sequence[Package] = (),
    **fields: Any,
) -> Order:
    """A valid order; any field can be overridden."""
    values: dict[str, Any] = {
        "number": number,
        "placed_at": placed_at,
        "email": email if isinstance(email, EmailAddress) else parse_email(email),
        "shipping_address": Address(
            name="Jane Doe",
            line1="742 Evergreen Terrace",
            city="Springfield",
            region="IL",
            postal_code="62701",
            country="US",
        ),
        "currency": "USD",
        "lines": tuple(lines) if lines is not None else (order_line(1), order_line(2, "R-77")),
        "shipping": Money("9.99", "USD"),
        "tax": Money("2.00", "USD"),
        "phone": PhoneNumber("+14155552671"),
        "packages": tuple(packages),
    }
    values.update(fields)
    return Order(**values)


def shipped_package(
    package_id: str = "P1", units: Sequence[tuple[int, int]] = ((1, 1),), days: int = 1
) -> Package:
    """A package shipped ``days`` after T0 and delivered a day later."""
    return Package(
        package_id=package_id,
        warehouse="Columbus, OH",
        units=tuple(PackedUnits(line_no=n, quantity=q) for n, q in units),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        shipped_at=T0 + timedelta(days=days),
        delivered_at=T0 + timedelta(days=days + 1),
    )
