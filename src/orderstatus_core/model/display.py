"""Every text a view shows, written in one module so a translation layer can take it over.

Views (:mod:`orderstatus_core.model.views`) and :class:`~orderstatus_core.Money` answer their
readable text through these functions, so a template prints ``view.total.text`` or
``line.quantity_text`` without formatting code of its own. The texts are English for now;
when the shopper's language arrives (gettext, Babel), this module is the one place that
changes, and the views keep their names.

Money is written as the amount with the currency's ISO 4217 decimals, grouped by thousands,
then the currency code: ``1,234.50 USD``, ``1,235 JPY``, ``1.250 BHD``. A code, not a
symbol: ``$`` is also the Canadian, Australian and Mexican sign, and an order page must not
leave the shopper guessing. A negative amount starts with ``-`` and an amount that rounds
to nothing is never ``-0.00``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orderstatus_core.model.order import LineLedger

__all__ = [
    "CURRENCY_DECIMALS",
    "address_lines",
    "cancel_summary",
    "change_summary",
    "currency_decimals",
    "ledger_text",
    "money_text",
    "package_state_text",
    "problem_summary",
    "state_text",
    "timeline_text",
    "units_text",
    "when_text",
]

#: Currencies whose minor unit is not cents (ISO 4217 list one, 2024); every other code has
#: two decimals. A table rather than Babel: the core keeps its few dependencies, and these
#: exponents change about once a decade.
CURRENCY_DECIMALS: Mapping[str, int] = MappingProxyType(
    {
        **dict.fromkeys(
            (
                "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
            ),
            0,
        ),
        **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
        **dict.fromkeys(("CLF", "UYW"), 4),
    }
)  # fmt: skip


def currency_decimals(currency: str) -> int:
    """How many decimals ``currency`` is shown with (ISO 4217's minor unit; 2 if unlisted).

    >>> currency_decimals("JPY"), currency_decimals("USD"), currency_decimals("BHD")
    (0, 2, 3)
    """
    return CURRENCY_DECIMALS.get(currency, 2)


def money_text(amount: Decimal, currency: str) -> str:
    """``amount`` rounded half up to ``currency``'s decimals, grouped, with the code after.

    Rounding is for display only: a stored amount keeps its up to four decimals.

    >>> money_text(Decimal("1234.5"), "USD")
    '1,234.50 USD'
    >>> money_text(Decimal("-0.001"), "USD"), money_text(Decimal("-1"), "USD")
    ('0.00 USD', '-1.00 USD')
    >>> money_text(Decimal("1234.5"), "JPY"), money_text(Decimal("1.25"), "BHD")
    ('1,235 JPY', '1.250 BHD')
    """
    places = currency_decimals(currency)
    shown = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    # A negative amount that rounds to zero is zero: never "-0.00".
    sign = "-" if shown < 0 else ""
    return f"{sign}{abs(shown):,.{places}f} {currency}"


def when_text(moment: datetime) -> str:
    """A moment in UTC to the minute: ``2026-11-01 14:05 UTC``.

    UTC because the core knows no shopper's time zone yet; a naive time is read as UTC
    (the model stores only aware ones).
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def state_text(state: str) -> str:
    """A stable state code in words: ``partially_shipped`` reads ``partially shipped``."""
    return state.replace("_", " ")


#: The ledger's disjoint groups, in the order a shopper follows a unit.
_LEDGER_GROUPS = (
    "awaiting processing",
    "in processing",
    "shipped",
    "delivered",
    "returned",
    "cancelled",
)


def ledger_text(ledger: LineLedger) -> str:
    """Where a line's units are, in words: ``3 delivered`` when they are all in one place,
    else ``2 of 3 shipped, 1 of 3 cancelled``.

    Each unit is counted once, where it is now: a delivered unit is not also counted as
    shipped, and a returned one not as delivered.
    """
    counts = (
        ledger.awaiting,
        ledger.processing,
        ledger.shipped - ledger.delivered,
        ledger.delivered - ledger.returned,
        ledger.returned,
        ledger.cancelled,
    )
    groups = [(count, label) for count, label in zip(counts, _LEDGER_GROUPS, strict=True) if count]
    if len(groups) == 1:
        return f"{ledger.ordered} {groups[0][1]}"
    return ", ".join(f"{count} of {ledger.ordered} {label}" for count, label in groups)


def units_text(units: Iterable[tuple[int, int]]) -> str:
    """A package's ``(line_no, quantity)`` pairs: ``line 1 × 2, line 3 × 1``."""
    return ", ".join(f"line {line_no} × {quantity}" for line_no, quantity in units)


def package_state_text(shipped_at: datetime | None, delivered_at: datetime | None) -> str:
    """Where a package is: ``in warehouse processing``, ``shipped ...`` or ``delivered ...``."""
    if delivered_at is not None:
        return f"delivered {when_text(delivered_at)}"
    if shipped_at is not None:
        return f"shipped {when_text(shipped_at)}"
    return "in warehouse processing"


def address_lines(
    name: str, street: str, city: str, region: str | None, postal_code: str, country: str
) -> tuple[str, ...]:
    """An address as the lines of an envelope: name, street, ``city, region postal``, country."""
    place = f"{city}, {region} {postal_code}" if region else f"{city} {postal_code}"
    return (name, street, place, country)


# --- what the timeline and the requests say ------------------------------------------------


def timeline_text(
    kind: str,
    subject: str,
    *,
    warehouse: str | None = None,
    carrier: str | None = None,
    amount: str | None = None,
) -> str:
    """A timeline entry in words, by its ``kind`` code; ``subject`` is the order number,
    package id or request id it is about. A request's decision kinds end in its state
    (``cancel_confirmed``: ``C1 confirmed``).

    >>> timeline_text("shipped", "P1", warehouse="Columbus, OH", carrier="UPS")
    'Package P1 shipped from Columbus, OH by UPS'
    >>> timeline_text("change_declined", "X1")
    'X1 declined'
    """
    match kind:
        case "placed":
            return f"Order {subject} placed"
        case "processing":
            return f"Package {subject} in processing at {warehouse}"
        case "shipped":
            via = f" by {carrier}" if carrier else ""
            return f"Package {subject} shipped from {warehouse}{via}"
        case "delivered":
            return f"Package {subject} delivered"
        case "refund":
            return f"Refund of {amount} due"
        case _:
            return f"{subject} {state_text(kind.partition('_')[2])}"


def cancel_summary(quantity: int, part_number: str, line_no: int, package_id: str) -> str:
    """A cancel request: ``Cancel 2 × BP-1234 (line 1) in package P1``."""
    return f"Cancel {quantity} × {part_number} (line {line_no}) in package {package_id}"


def change_summary(
    kind: str, *, line_no: int = 0, part_number: str = "", detail: str | int = ""
) -> str:
    """A change request by kind (``address``, ``speed``, ``quantity``, ``removal``, ``swap``):
    ``detail`` is the new address's city (never more of it), the speed, the quantity or the
    new part number.

    >>> change_summary("quantity", line_no=2, part_number="BP-1234", detail=1)
    'Line 2 (BP-1234): 1 unit(s)'
    """
    match kind:
        case "address":
            return f"Ship to another address in {detail}"
        case "speed":
            return f"Ship {detail}"
        case "quantity":
            return f"Line {line_no} ({part_number}): {detail} unit(s)"
        case "removal":
            return f"Remove line {line_no} ({part_number})"
        case _:
            return f"Line {line_no}: {part_number} → {detail}"


def problem_summary(kind: str, units: Iterable[tuple[int, int]]) -> str:
    """A problem report: its kind in words and the ``(line_no, quantity)`` units it names,
    ``Wrong part, 1 × line 2``."""
    return state_text(kind).capitalize() + "".join(
        f", {quantity} × line {line_no}" for line_no, quantity in units
    )
