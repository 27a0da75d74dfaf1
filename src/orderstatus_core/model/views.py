"""What a shopper is shown: read models built from an order by the order-view policy.

Views hold display strings and values only; a front-end renders them as they are. Each value
a template would otherwise format has a readable text beside it (``MaskedAddress.lines``,
``LineView.quantity_text``, ``PackageView.state_text``, ``OrderView.total_text`` ...), in
the shopper's language: each view holds the :class:`~orderstatus_core.model.display.Texts`
of the request that built it, and writes a text through
:mod:`orderstatus_core.model.display` when it is read, never before.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from orderstatus_core.model import display
from orderstatus_core.model.display import Phrase, Texts
from orderstatus_core.model.money import Money
from orderstatus_core.model.order import LineLedger, OrderState

__all__ = [
    "LineView",
    "MaskedAddress",
    "OrderView",
    "PackageView",
    "RequestView",
    "TimelineEntry",
]


@attrs.frozen
class MaskedAddress:
    """A shipping address with the parts that identify a person hidden."""

    name: str
    street: str
    city: str
    region: str | None
    postal_code: str
    country: str

    @property
    def lines(self) -> tuple[str, ...]:
        """The masked address as envelope lines, for a template that shows one per line.

        >>> MaskedAddress("J••• D•••", "•••", "Springfield", "IL", "62•••", "US").lines
        ('J••• D•••', '•••', 'Springfield, IL 62•••', 'US')
        """
        return display.address_lines(
            self.name, self.street, self.city, self.region, self.postal_code, self.country
        )

    @property
    def text(self) -> str:
        """The masked address on one line, its :attr:`lines` joined by commas."""
        return ", ".join(self.lines)


@attrs.frozen
class LineView:
    """One line as the shopper sees it, with where its units are."""

    line_no: int
    part_number: str
    brand: str
    category: str
    description: str
    quantity: int
    unit_price: Money
    core_charge: Money
    returnable: bool
    warranty_months: int
    ledger: LineLedger
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def quantity_text(self) -> str:
        """Where the line's units are, in words: ``2 of 3 shipped, 1 of 3 cancelled``."""
        return display.ledger_text(self.texts, self.ledger)

    @property
    def unit_price_text(self) -> str:
        """The unit price as the shopper's locale writes money (``$24.99``, ``24,99 €``)."""
        return self.texts.money(self.unit_price)

    @property
    def core_charge_text(self) -> str:
        """The core deposit per unit, written like :attr:`unit_price_text`."""
        return self.texts.money(self.core_charge)


@attrs.frozen
class PackageView:
    """One package: where from, how, where it is now."""

    package_id: str
    warehouse: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    units: tuple[tuple[int, int], ...]
    """``(line_no, quantity)`` pairs."""
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def state_text(self) -> str:
        """Where the package is: ``in warehouse processing``, ``shipped ...``, ``delivered ...``."""
        return display.package_state_text(self.texts, self.shipped_at, self.delivered_at)

    @property
    def units_text(self) -> str:
        """What is in the package: ``line 1 × 2, line 3 × 1``."""
        return display.units_text(self.texts, self.units)


@attrs.frozen
class TimelineEntry:
    """Something that happened to the order, for the timeline."""

    at: datetime
    kind: str
    """A stable code: ``placed``, ``processing``, ``shipped``, ``delivered``."""
    phrase: Phrase
    """What :attr:`text` will say."""
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def text(self) -> str:
        """What happened, in words: ``Package P1 shipped from Columbus, OH by UPS``."""
        return display.say(self.texts, self.phrase)

    @property
    def when_text(self) -> str:
        """When it happened, with its date, time and zone (UTC)."""
        return display.when_text(self.texts, self.at)


@attrs.frozen
class RequestView:
    """A cancel request, change request or problem report, as the guest sees it."""

    kind: str
    """``cancel``, ``change`` or ``problem``."""
    request_id: str
    state: str
    """The request's state: ``requested``, ``confirmed``, ``applied``, ``open`` ..."""
    requested_at: datetime
    about: Phrase
    """What :attr:`summary` will say."""
    decided_at: datetime | None = None
    note: str | None = None
    """The store's reason, for a refusal or decline, as the store wrote it."""
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def summary(self) -> str:
        """What was asked, in words (an address shows only its city)."""
        return display.say(self.texts, self.about)

    @property
    def state_text(self) -> str:
        """The request's state in words: ``shipped anyway`` rather than ``shipped_anyway``."""
        return display.state_text(self.texts, self.state)


@attrs.frozen
class OrderView:
    """An order as shown on the Order Status page, personal data masked."""

    number: str
    placed_at: datetime
    status: OrderState
    email: str
    phone: str | None
    ship_to: MaskedAddress
    lines: tuple[LineView, ...]
    packages: tuple[PackageView, ...]
    subtotal: Money
    core_charges: Money
    shipping: Money
    tax: Money
    total: Money
    timeline: tuple[TimelineEntry, ...]
    #: Cancel requests, change requests and problem reports, oldest first.
    requests: tuple[RequestView, ...] = ()
    #: Everything refunded so far (``None`` when nothing was).
    refunded: Money | None = None
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def status_text(self) -> str:
        """The order's status in words: ``partially shipped``."""
        return display.state_text(self.texts, self.status.value)

    @property
    def placed_text(self) -> str:
        """When the order was placed, with its date, time and zone (UTC)."""
        return display.when_text(self.texts, self.placed_at)

    @property
    def subtotal_text(self) -> str:
        """The lines' total as the shopper's locale writes money (``$1,234.50``)."""
        return self.texts.money(self.subtotal)

    @property
    def core_charges_text(self) -> str:
        """The core deposits, written like :attr:`subtotal_text`."""
        return self.texts.money(self.core_charges)

    @property
    def shipping_text(self) -> str:
        """The shipping charge, written like :attr:`subtotal_text`."""
        return self.texts.money(self.shipping)

    @property
    def tax_text(self) -> str:
        """The tax, written like :attr:`subtotal_text`."""
        return self.texts.money(self.tax)

    @property
    def total_text(self) -> str:
        """What the order costs in all, written like :attr:`subtotal_text`."""
        return self.texts.money(self.total)

    @property
    def refunded_text(self) -> str | None:
        """Everything refunded so far, written like :attr:`subtotal_text` (``None`` if
        nothing was)."""
        return None if self.refunded is None else self.texts.money(self.refunded)
