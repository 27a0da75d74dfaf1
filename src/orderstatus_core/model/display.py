"""Every text a view shows, in the shopper's language, written in one module.

Views (:mod:`orderstatus_core.model.views`) answer their readable text through these
functions, so a template prints ``view.total_text`` or ``line.quantity_text`` without
formatting code of its own. Each function takes the view's :class:`Texts`: the shopper's
gettext catalog and Babel's formats for their locale (:class:`orderstatus_core.Translator`
is one). The model may not import Babel or the catalogs (DESIGN.md, layering rule 1), so it
names what it needs as a Protocol and marks its message ids with :func:`N_`, which
``babel.cfg`` extracts into the one ``orderstatus`` domain.

Texts are written when read, never when a view is built: find-order builds a view per call
and most pages read a few of its texts (issue 11 measures it against raw SQL). What a text
will say is kept meanwhile as a :class:`Phrase`, a value that compares equal by content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import attrs

if TYPE_CHECKING:
    from orderstatus_core.model.money import Money
    from orderstatus_core.model.order import LineLedger
    from orderstatus_core.model.profile import Vehicle

__all__ = [
    "N_",
    "Phrase",
    "Texts",
    "address_lines",
    "ledger_text",
    "package_state_text",
    "say",
    "state_text",
    "units_text",
    "vehicle_text",
    "when_text",
]


def N_(message: str) -> str:
    """Mark ``message`` as a message id for extraction; it is translated when shown.

    >>> N_("shipped")
    'shipped'
    """
    return message


class Texts(Protocol):
    """What a view needs to write its texts: :class:`orderstatus_core.Translator` is one.

    A store may pass its own (tests use the built-in translators); every method answers
    in one language and one locale.
    """

    def gettext(self, message: str) -> str:
        """``message`` (an English message id) in the shopper's language."""
        ...

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of ``singular`` / ``plural`` for ``count``."""
        ...

    def money(self, amount: Money) -> str:
        """An amount with its currency, as the locale writes it (``12,50 €``, ``$12.50``)."""
        ...

    def number(self, value: int) -> str:
        """A number with the locale's digit grouping (``1 234``)."""
        ...

    def datetime(self, value: datetime) -> str:
        """A moment with its date, time and time zone, as the locale writes them."""
        ...


#: Every state code of an order, a cancel or change request and a problem report, in
#: words; a code not listed (a store's own) reads as its words (``on_hold``: ``on hold``).
STATES: Mapping[str, str] = MappingProxyType(
    {
        "placed": N_("placed"),
        "processing": N_("processing"),
        "partially_shipped": N_("partially shipped"),
        "shipped": N_("shipped"),
        "delivered": N_("delivered"),
        "cancelled": N_("cancelled"),
        "requested": N_("requested"),
        "confirmed": N_("confirmed"),
        "refused": N_("refused"),
        "shipped_anyway": N_("shipped anyway"),
        "approved": N_("approved"),
        "declined": N_("declined"),
        "applied": N_("applied"),
        "open": N_("open"),
        "resolved": N_("resolved"),
        "rejected": N_("rejected"),
    }
)

#: Problem kinds, as a report's summary starts.
PROBLEM_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "missing_item": N_("Missing item"),
        "damaged_in_transit": N_("Damaged in transit"),
        "wrong_part": N_("Wrong part"),
        "defective": N_("Defective"),
        "not_delivered": N_("Not delivered"),
        "tracking_not_updating": N_("Tracking not updating"),
        "other": N_("Other"),
    }
)

#: Shipping speeds, as a change of speed names them.
SPEEDS: Mapping[str, str] = MappingProxyType(
    {
        "standard": N_("standard"),
        "expedited": N_("expedited"),
        "overnight": N_("overnight"),
    }
)


def _words(texts: Texts, table: Mapping[str, str], code: str) -> str:
    known = table.get(code)
    return texts.gettext(known) if known is not None else code.replace("_", " ")


def when_text(texts: Texts, moment: datetime) -> str:
    """A moment with its date, time and zone (UTC), as the shopper's locale writes it.

    UTC because the core knows no shopper's time zone yet; the model stores only aware
    times.
    """
    return texts.datetime(moment)


def state_text(texts: Texts, state: str) -> str:
    """A stable state code in words: ``partially_shipped`` reads ``partially shipped``."""
    return _words(texts, STATES, state)


#: The ledger's disjoint groups, in the order a shopper follows a unit: how the group reads
#: when it holds every unit, and when it holds some.
_LEDGER_GROUPS = (
    (N_("%(ordered)s awaiting processing"), N_("%(count)s of %(ordered)s awaiting processing")),
    (N_("%(ordered)s in processing"), N_("%(count)s of %(ordered)s in processing")),
    (N_("%(ordered)s shipped"), N_("%(count)s of %(ordered)s shipped")),
    (N_("%(ordered)s delivered"), N_("%(count)s of %(ordered)s delivered")),
    (N_("%(ordered)s returned"), N_("%(count)s of %(ordered)s returned")),
    (N_("%(ordered)s cancelled"), N_("%(count)s of %(ordered)s cancelled")),
)


def ledger_text(texts: Texts, ledger: LineLedger) -> str:
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
    groups = [(count, words) for count, words in zip(counts, _LEDGER_GROUPS, strict=True) if count]
    ordered = texts.number(ledger.ordered)
    if len(groups) == 1:
        return texts.gettext(groups[0][1][0]) % {"ordered": ordered}
    return ", ".join(
        texts.gettext(some) % {"count": texts.number(count), "ordered": ordered}
        for count, (_all, some) in groups
    )


def units_text(texts: Texts, units: Iterable[tuple[int, int]]) -> str:
    """A package's ``(line_no, quantity)`` pairs: ``line 1 × 2, line 3 × 1``."""
    words = texts.gettext(N_("line %(line)s × %(quantity)s"))
    return ", ".join(
        words % {"line": line_no, "quantity": texts.number(quantity)} for line_no, quantity in units
    )


def vehicle_text(texts: Texts, vehicle: Vehicle) -> str:
    """The vehicle a line was bought for: ``Vehicle: 2019 Ford F-150 5.0L V8``.

    The year is written as it is, never with digit grouping; the make, model and engine
    as the store wrote them.
    """
    words = texts.gettext(N_("Vehicle: %(year)s %(make)s %(model)s %(engine)s"))
    return words % {
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "engine": vehicle.engine,
    }


def package_state_text(
    texts: Texts, shipped_at: datetime | None, delivered_at: datetime | None
) -> str:
    """Where a package is: ``in warehouse processing``, ``shipped ...`` or ``delivered ...``."""
    if delivered_at is not None:
        return texts.gettext(N_("delivered %(when)s")) % {"when": texts.datetime(delivered_at)}
    if shipped_at is not None:
        return texts.gettext(N_("shipped %(when)s")) % {"when": texts.datetime(shipped_at)}
    return texts.gettext(N_("in warehouse processing"))


def address_lines(
    name: str, street: str, city: str, region: str | None, postal_code: str, country: str
) -> tuple[str, ...]:
    """An address as the lines of an envelope: name, street, ``city, region postal``, country.

    The layout is the address's own (US style for the US shipping addresses the store
    serves), not the shopper's language: the carrier reads it as written.
    """
    place = f"{city}, {region} {postal_code}" if region else f"{city} {postal_code}"
    return (name, street, place, country)


# --- what the timeline and the requests say ------------------------------------------------


@attrs.frozen
class Phrase:
    """A text kept until it is shown: ``kind`` picks its words, ``values`` fill them in.

    >>> Phrase("delivered", ("P1",))
    Phrase(kind='delivered', values=('P1',))
    """

    kind: str
    values: tuple[Any, ...] = ()


def _placed(texts: Texts, number: str) -> str:
    return texts.gettext(N_("Order %(number)s placed")) % {"number": number}


def _processing(texts: Texts, package_id: str, warehouse: str) -> str:
    words = texts.gettext(N_("Package %(package)s in processing at %(warehouse)s"))
    return words % {"package": package_id, "warehouse": warehouse}


def _shipped(texts: Texts, package_id: str, warehouse: str, carrier: str | None) -> str:
    if carrier:
        words = texts.gettext(N_("Package %(package)s shipped from %(warehouse)s by %(carrier)s"))
    else:
        words = texts.gettext(N_("Package %(package)s shipped from %(warehouse)s"))
    return words % {"package": package_id, "warehouse": warehouse, "carrier": carrier}


def _delivered(texts: Texts, package_id: str) -> str:
    return texts.gettext(N_("Package %(package)s delivered")) % {"package": package_id}


def _refund(texts: Texts, amount: Money) -> str:
    return texts.gettext(N_("Refund of %(amount)s due")) % {"amount": texts.money(amount)}


def _decided(texts: Texts, request_id: str, state: str) -> str:
    words = texts.gettext(N_("%(request)s %(state)s"))
    return words % {"request": request_id, "state": state_text(texts, state)}


def _cancel(texts: Texts, quantity: int, part_number: str, line_no: int, package_id: str) -> str:
    words = texts.gettext(
        N_("Cancel %(quantity)s × %(part)s (line %(line)s) in package %(package)s")
    )
    return words % {
        "quantity": texts.number(quantity),
        "part": part_number,
        "line": line_no,
        "package": package_id,
    }


def _change_address(texts: Texts, city: str) -> str:
    return texts.gettext(N_("Ship to another address in %(city)s")) % {"city": city}


def _change_speed(texts: Texts, speed: str) -> str:
    words = texts.gettext(N_("Ship %(speed)s"))
    return words % {"speed": _words(texts, SPEEDS, speed)}


def _change_quantity(texts: Texts, line_no: int, part_number: str, quantity: int) -> str:
    words = texts.ngettext(
        "Line %(line)s (%(part)s): %(quantity)s unit",
        "Line %(line)s (%(part)s): %(quantity)s units",
        quantity,
    )
    return words % {"line": line_no, "part": part_number, "quantity": texts.number(quantity)}


def _change_removal(texts: Texts, line_no: int, part_number: str) -> str:
    words = texts.gettext(N_("Remove line %(line)s (%(part)s)"))
    return words % {"line": line_no, "part": part_number}


def _change_swap(texts: Texts, line_no: int, part_number: str, new_part_number: str) -> str:
    words = texts.gettext(N_("Line %(line)s: %(part)s → %(new_part)s"))
    return words % {"line": line_no, "part": part_number, "new_part": new_part_number}


def _problem(texts: Texts, kind: str, units: tuple[tuple[int, int], ...]) -> str:
    words = texts.gettext(N_("%(quantity)s × line %(line)s"))
    return ", ".join(
        [
            _words(texts, PROBLEM_KINDS, kind),
            *(words % {"quantity": texts.number(q), "line": line_no} for line_no, q in units),
        ]
    )


_PHRASES: Mapping[str, Callable[..., str]] = MappingProxyType(
    {
        "placed": _placed,
        "processing": _processing,
        "shipped": _shipped,
        "delivered": _delivered,
        "refund": _refund,
        "decided": _decided,
        "cancel": _cancel,
        "change_address": _change_address,
        "change_speed": _change_speed,
        "change_quantity": _change_quantity,
        "change_removal": _change_removal,
        "change_swap": _change_swap,
        "problem": _problem,
    }
)

#: The phrase kinds :func:`say` knows, for a test that walks them.
PHRASE_KINDS = frozenset(_PHRASES)


def say(texts: Texts, phrase: Phrase) -> str:
    """``phrase`` in words, in ``texts``' language.

    >>> from orderstatus_core import Catalogs
    >>> say(Catalogs.builtin().translator("fi"), Phrase("delivered", ("P1",)))
    'Paketti P1 toimitettu'
    """
    return _PHRASES[phrase.kind](texts, *phrase.values)
