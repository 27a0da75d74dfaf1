"""What a shopper is shown: read models built from an order by the order-view policy.

Views hold display values only; a front-end renders them as they are. Each value a template
would otherwise format has a readable text beside it (``MaskedAddress.lines``,
``LineView.quantity_text``, ``PackageView.state_text``, ``OrderView.total_text`` ...), in
the shopper's language: each view holds the :class:`~orderstatus_core.model.display.Texts`
of the request that built it, and writes a text through
:mod:`orderstatus_core.model.display` when it is read, never before.

A view and its order share one object graph: a line's and a package's view hold the stored
line and package (they carry no personal data) and answer their values from them, and the
totals and the timeline are worked out when first read. Only what must be masked is written
anew, when the view is built, so nothing unmasked is reachable from a view (SECURITY F3).
Find-order builds a view per call (issue 11 measures it against raw SQL), so building one
costs an object per line and per package, nothing more.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

import attrs

from orderstatus_core.model import display
from orderstatus_core.model.display import Phrase, Texts
from orderstatus_core.model.money import Money
from orderstatus_core.model.order import (
    LineLedger,
    OrderLine,
    OrderState,
    Package,
    ledgers_of,
    line_sums,
    state_of,
)
from orderstatus_core.model.profile import Vehicle
from orderstatus_core.model.requests import Refund

__all__ = [
    "LineView",
    "MaskedAddress",
    "OrderView",
    "PackageView",
    "RequestView",
    "TimelineEntry",
    "TrackingUrl",
    "tracking_page",
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


#: ``(carrier, tracking_number) -> url or None``: the ``orderstatus_tracking_url`` hook.
TrackingUrl = Callable[[str, str], "str | None"]


def tracking_page(package: Package, rule: TrackingUrl) -> str | None:
    """The tracking page of ``package`` by the store's ``rule``; ``None`` until it has a
    carrier and a tracking number."""
    carrier, number = package.carrier, package.tracking_number
    return rule(carrier, number) if carrier and number else None


@attrs.frozen
class LineView:
    """One line as the shopper sees it, with where its units are.

    It holds the stored :class:`~orderstatus_core.model.OrderLine` itself (no personal
    data is on a line) and answers the line's values from it when they are read, so a
    view costs one object per line, not a copy of every field.
    """

    line: OrderLine
    """The line as stored."""
    ledger: LineLedger
    """Where the line's units are (:attr:`Order.ledgers <orderstatus_core.Order.ledgers>`)."""
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def line_no(self) -> int:
        """The line's number on the order."""
        return self.line.line_no

    @property
    def part_number(self) -> str:
        """The part number as printed on the order (``BP-1234``)."""
        return self.line.part_number.display

    @property
    def brand(self) -> str:
        """The part's brand."""
        return self.line.brand

    @property
    def category(self) -> str:
        """The part's category path, its segments joined by ``›``."""
        return str(self.line.category)

    @property
    def description(self) -> str:
        """What the part is, as the store described it."""
        return self.line.description

    @property
    def quantity(self) -> int:
        """Units ordered."""
        return self.line.quantity

    @property
    def unit_price(self) -> Money:
        """The price of one unit, core deposit excluded."""
        return self.line.unit_price

    @property
    def core_charge(self) -> Money:
        """The refundable core deposit per unit."""
        return self.line.core_charge

    @property
    def returnable(self) -> bool:
        """Whether the store takes the part back at all."""
        return self.line.returnable

    @property
    def warranty_months(self) -> int:
        """The part's warranty, in months (0: none)."""
        return self.line.warranty_months

    @property
    def vehicle(self) -> Vehicle | None:
        """The vehicle the part was bought for (year, make, model, engine), if the store
        said."""
        return self.line.vehicle

    @property
    def vehicle_text(self) -> str | None:
        """The vehicle in words, ``Vehicle: 2019 Ford F-150 5.0L V8``; ``None`` for a line
        bought for no vehicle in particular."""
        vehicle = self.line.vehicle
        return None if vehicle is None else display.vehicle_text(self.texts, vehicle)

    @property
    def quantity_text(self) -> str:
        """Where the line's units are, in words: ``2 of 3 shipped, 1 of 3 cancelled``."""
        return display.ledger_text(self.texts, self.ledger)

    @property
    def unit_price_text(self) -> str:
        """The unit price as the shopper's locale writes money (``$24.99``, ``24,99 €``)."""
        return self.texts.money(self.line.unit_price)

    @property
    def core_charge_text(self) -> str:
        """The core deposit per unit, written like :attr:`unit_price_text`."""
        return self.texts.money(self.line.core_charge)


@attrs.frozen
class PackageView:
    """One package: where from, how, where it is now.

    It holds the stored :class:`~orderstatus_core.model.Package` (no personal data is on
    a package) and answers its values from it when they are read.
    """

    package: Package
    """The package as stored."""
    tracking_url: str | None
    """The carrier's tracking page (the ``orderstatus_tracking_url`` hook), if known."""
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""

    @property
    def package_id(self) -> str:
        """The store's id of the package."""
        return self.package.package_id

    @property
    def warehouse(self) -> str:
        """Where it ships from."""
        return self.package.warehouse

    @property
    def carrier(self) -> str | None:
        """Who carries it, once known."""
        return self.package.carrier

    @property
    def tracking_number(self) -> str | None:
        """The carrier's tracking number, once known."""
        return self.package.tracking_number

    @property
    def shipped_at(self) -> datetime | None:
        """When it left the warehouse (``None``: still in processing)."""
        return self.package.shipped_at

    @property
    def delivered_at(self) -> datetime | None:
        """When it was delivered."""
        return self.package.delivered_at

    @property
    def units(self) -> tuple[tuple[int, int], ...]:
        """What is in it: ``(line_no, quantity)`` pairs, in the package's order."""
        return tuple([(units.line_no, units.quantity) for units in self.package.units])

    @property
    def state_text(self) -> str:
        """Where the package is: ``in warehouse processing``, ``shipped ...``, ``delivered ...``."""
        package = self.package
        return display.package_state_text(self.texts, package.shipped_at, package.delivered_at)

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


# A dict class, not slotted: what the view works out when first read is kept by
# functools.cached_property in the instance's dict, with its docstring on the class (attrs
# would turn a slotted class's cached properties into bare slots), and a frozen dict class
# is also built faster than a slotted one (one dict store per field).
@attrs.frozen(slots=False)
class OrderView:
    """An order as shown on the Order Status page, personal data masked.

    Built in one pass from the order (:func:`~orderstatus_core.policies.masked_order_view`):
    the masked email, phone and address are written at once, so nothing unmasked is ever
    held (SECURITY F3); the order's lines and packages are the stored ones (no personal
    data is on them). What is worked out from those is worked out when first read, and
    kept: the status, the views of the lines with their ledgers and of the packages with
    their tracking pages, the totals, the amount refunded and the timeline. Two views are
    equal when they show the same order in the same state, whatever their language.
    """

    number: str
    placed_at: datetime
    email: str
    """The masked email: ``J•••@example.com``."""
    phone: str | None
    """The masked phone: ``+•••71``."""
    ship_to: MaskedAddress
    currency: str
    """The order's currency, every amount's (ISO 4217)."""
    stored_lines: tuple[OrderLine, ...]
    """The order's lines as stored, in the order's order; :attr:`lines` shows them."""
    stored_packages: tuple[Package, ...]
    """The order's packages as stored, in the order's order; :attr:`packages` shows them."""
    shipping: Money
    tax: Money
    #: Cancel requests, change requests and problem reports, oldest first.
    requests: tuple[RequestView, ...] = ()
    #: The refunds recorded so far, oldest first.
    refunds: tuple[Refund, ...] = ()
    texts: Texts = attrs.field(kw_only=True, eq=False, repr=False)
    """The shopper's language and locale, which every ``..._text`` is written in."""
    tracking_rule: TrackingUrl = attrs.field(kw_only=True, eq=False, repr=False)
    """The store's rule for a package's tracking page (the ``orderstatus_tracking_url``
    hook), asked for each package when :attr:`packages` is first read."""

    @functools.cached_property
    def ledgers(self) -> Mapping[int, LineLedger]:
        """Where every unit of every line is, by line number: the order's own rule
        (:attr:`Order.ledgers <orderstatus_core.Order.ledgers>`), over the same lines and
        packages."""
        return ledgers_of(self.stored_lines, self.stored_packages)

    @functools.cached_property
    def status(self) -> OrderState:
        """The order's status, derived from its ledgers as :attr:`Order.status
        <orderstatus_core.Order.status>` is."""
        return state_of(self.ledgers.values())

    @functools.cached_property
    def lines(self) -> tuple[LineView, ...]:
        """Each line with where its units are, in the order's order."""
        ledgers, texts = self.ledgers, self.texts
        return tuple(
            [LineView(line, ledgers[line.line_no], texts=texts) for line in self.stored_lines]
        )

    @functools.cached_property
    def packages(self) -> tuple[PackageView, ...]:
        """Each package with its tracking page, in the order's order."""
        rule, texts = self.tracking_rule, self.texts
        return tuple(
            [
                PackageView(package, tracking_page(package, rule), texts=texts)
                for package in self.stored_packages
            ]
        )

    @functools.cached_property
    def _sums(self) -> tuple[Money, Money]:
        # The order's own rule (Order.subtotal, Order.core_charges), over the same lines.
        parts, cores = line_sums(self.stored_lines)
        currency = self.currency
        return Money._trusted(parts, currency), Money._trusted(cores, currency)

    @property
    def subtotal(self) -> Money:
        """Price of all ordered lines, cores, shipping and tax excluded."""
        return self._sums[0]

    @property
    def core_charges(self) -> Money:
        """Refundable core deposits over all ordered units."""
        return self._sums[1]

    @property
    def total(self) -> Money:
        """What the shopper paid: lines, cores, shipping and tax."""
        parts, cores = self._sums
        return Money._trusted(
            parts.amount + cores.amount + self.shipping.amount + self.tax.amount, self.currency
        )

    @property
    def refunded(self) -> Money | None:
        """Everything refunded so far (``None`` when nothing was)."""
        refunds = self.refunds
        if not refunds:
            return None
        return Money.total((refund.total for refund in refunds), self.currency)

    @functools.cached_property
    def timeline(self) -> tuple[TimelineEntry, ...]:
        """What happened to the order, oldest first: placed, each package in processing,
        shipped and delivered, each request asked and decided, each refund.

        Events at the same instant keep that order (placed first).
        """
        return _timeline(self)

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
        refunded = self.refunded
        return None if refunded is None else self.texts.money(refunded)


#: A timeline entry's sort key: when it happened.
_WHEN: Final = operator.attrgetter("at")


def _timeline(view: OrderView) -> tuple[TimelineEntry, ...]:
    texts = view.texts
    number = view.number
    entries = [TimelineEntry(view.placed_at, "placed", Phrase("placed", (number,)), texts=texts)]
    for package in view.stored_packages:
        package_id, warehouse = package.package_id, package.warehouse
        if package.opened_at is not None:
            about = Phrase("processing", (package_id, warehouse))
            entries.append(TimelineEntry(package.opened_at, "processing", about, texts=texts))
        if package.shipped_at is not None:
            about = Phrase("shipped", (package_id, warehouse, package.carrier))
            entries.append(TimelineEntry(package.shipped_at, "shipped", about, texts=texts))
        if package.delivered_at is not None:
            about = Phrase("delivered", (package_id,))
            entries.append(TimelineEntry(package.delivered_at, "delivered", about, texts=texts))
    for request in view.requests:
        kind = f"{request.kind}_requested"
        entries.append(TimelineEntry(request.requested_at, kind, request.about, texts=texts))
        if request.decided_at is not None:
            kind = f"{request.kind}_{request.state}"
            about = Phrase("decided", (request.request_id, request.state))
            entries.append(TimelineEntry(request.decided_at, kind, about, texts=texts))
    for refund in view.refunds:
        about = Phrase("refund", (refund.total,))
        entries.append(TimelineEntry(refund.at, "refund", about, texts=texts))
    # Stable sort: events at the same instant keep their natural order (placed first).
    entries.sort(key=_WHEN)
    return tuple(entries)
