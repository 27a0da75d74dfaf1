"""Views are ready to display, in the shopper's language: money, quantities, masked
addresses, states and times as text, in English and Finnish, formatted by Babel."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import ModuleType

import attrs
import pytest

from orderstatus_core import Catalogs, InvalidFieldError, LineLedger, Money, OrderState, Translator
from orderstatus_core.model import display, views
from orderstatus_core.model.display import Phrase
from orderstatus_core.model.requests import Refund
from orderstatus_core.model.views import PackageView, RequestView, TimelineEntry
from orderstatus_core.policies import mask_address, masked_order_view
from orderstatus_core.serialization import make_converter
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package

# Babel writes a no-break space (and, in English times, a narrow one before AM / PM).
NBSP, NNBSP = "\xa0", "\u202f"


def _texts(language: str) -> Translator:
    return Catalogs.builtin().translator(language)


EN, FI = _texts("en"), _texts("fi")


def _no_tracking(_carrier: str, _number: str) -> str | None:
    return None


@pytest.mark.parametrize(
    ("amount", "currency", "english", "finnish"),
    [
        ("12.5", "USD", "$12.50", f"12,50{NBSP}$"),
        ("12.5", "EUR", "€12.50", f"12,50{NBSP}€"),
        ("0", "USD", "$0.00", f"0,00{NBSP}$"),
        ("1234567.8", "EUR", "€1,234,567.80", f"1{NBSP}234{NBSP}567,80{NBSP}€"),
        ("-1234.5", "GBP", "-£1,234.50", f"-1{NBSP}234,50{NBSP}£"),
        ("1499.5", "JPY", "¥1,500", f"1{NBSP}500{NBSP}¥"),
        ("1.5", "BHD", "BHD1.500", f"1,500{NBSP}BHD"),
        ("0.1234", "CLF", "CLF0.1234", f"0,1234{NBSP}CLF"),
        ("7", "XYZ", "XYZ7.00", f"7,00{NBSP}XYZ"),
    ],
)
def test_money_is_written_by_babel_for_the_shoppers_locale(
    amount: str, currency: str, english: str, finnish: str
) -> None:
    """The currency's decimals, grouping, decimal sign and symbol place are the locale's."""
    assert (EN.money(Money(amount, currency)), FI.money(Money(amount, currency))) == (
        english,
        finnish,
    )


def test_us_english_writes_dollars_with_the_sign_first() -> None:
    """``$12.50`` in US English, as issue 12 asks."""
    assert _texts("en_US").money(Money("12.50", "USD")) == "$12.50"


@pytest.mark.parametrize("amount", ["-0", "-0.00", "-0.004", "-0.0049"])
def test_money_that_rounds_to_nothing_is_never_minus_zero(amount: str) -> None:
    """A negative amount that rounds away shows as plain zero, in either language."""
    assert (EN.money(Money(amount, "USD")), FI.money(Money(amount, "USD"))) == (
        "$0.00",
        f"0,00{NBSP}$",
    )


def test_money_rounds_half_up_for_display_only() -> None:
    """``0.005`` shows as ``0.01`` (Babel alone would round half to even); the stored
    amount and ``str`` stay exact."""
    cents = Money("0.005", "USD")
    assert EN.money(cents) == "$0.01"
    assert EN.money(Money("0.025", "USD")) == "$0.03"
    assert str(cents) == "0.005 USD"
    assert cents.amount == Decimal("0.005")


def test_the_serialized_form_of_money_is_unchanged_by_the_text() -> None:
    """The converter writes the exact amount, not the rounded, grouped text."""
    converter = make_converter()
    assert converter.unstructure(Money("-1234.0001", "USD")) == "-1234.0001 USD"


def test_the_largest_money_shows_whole() -> None:
    """An amount just below the limit rounds up to a grouped 13-digit text, no exponent."""
    assert EN.money(Money("999999999999.9999", "USD")) == "$1,000,000,000,000.00"


@pytest.mark.parametrize(
    ("ledger", "english", "finnish"),
    [
        (LineLedger(3, 0, 0, 0, 0, 0), "3 awaiting processing", "3 odottaa käsittelyä"),
        (LineLedger(3, 0, 3, 0, 0, 0), "3 in processing", "3 käsittelyssä"),
        (LineLedger(3, 0, 0, 3, 3, 0), "3 delivered", "3 toimitettu"),
        (LineLedger(3, 3, 0, 0, 0, 0), "3 cancelled", "3 peruttu"),
        (
            LineLedger(3, 1, 0, 2, 0, 0),
            "2 of 3 shipped, 1 of 3 cancelled",
            "2/3 lähetetty, 1/3 peruttu",
        ),
        (
            LineLedger(5, 1, 1, 3, 2, 1),
            "1 of 5 in processing, 1 of 5 shipped, 1 of 5 delivered, 1 of 5 returned, "
            "1 of 5 cancelled",
            "1/5 käsittelyssä, 1/5 lähetetty, 1/5 toimitettu, 1/5 palautettu, 1/5 peruttu",
        ),
        (LineLedger(2, 0, 0, 2, 2, 2), "2 returned", "2 palautettu"),
        (LineLedger(1500, 0, 0, 0, 0, 0), "1,500 awaiting processing", "1 500 odottaa käsittelyä"),
    ],
)
def test_a_lines_quantity_text_counts_each_unit_once_where_it_is(
    ledger: LineLedger, english: str, finnish: str
) -> None:
    """Delivered units are not counted again as shipped, nor returned ones as delivered;
    counts are grouped as the locale groups numbers."""
    assert display.ledger_text(EN, ledger) == english
    assert display.ledger_text(FI, ledger).replace(NBSP, " ") == finnish


def test_masked_address_lines_show_only_the_masked_parts() -> None:
    """Name initials, hidden street, city with region and the postal code's start, country."""
    masked = mask_address(address(line1="742 Evergreen Terrace", postal_code="62701-1234"))
    assert masked.lines == ("J••• D•••", "•••", "Springfield, IL 62•••", "US")
    assert masked.text == "J••• D•••, •••, Springfield, IL 62•••, US"
    assert "Evergreen" not in masked.text
    assert "701" not in masked.text


def test_an_address_without_a_region_leaves_no_stray_comma() -> None:
    """A country without regions shows ``city postal``."""
    masked = mask_address(address(city="Helsinki", region=None, postal_code="00100", country="FI"))
    assert masked.lines[2] == "Helsinki 00•••"


def test_address_text_keeps_markup_as_text_for_the_template_to_escape() -> None:
    """The view is text, not HTML: an injection attempt comes back unchanged, never
    half-escaped, so a template's escaping is the one place that decides."""
    masked = mask_address(address(city="<script>alert(1)</script>", region="'\"&"))
    assert "<script>alert(1)</script>, '\"& 62•••" in masked.text


def test_a_city_with_a_bidi_override_never_reaches_the_view() -> None:
    """The model refuses the controls that would reorder the shown text (Trojan Source)."""
    with pytest.raises(InvalidFieldError):
        address(city="Spring\u202efield")


def test_times_show_in_utc_as_the_locale_writes_them() -> None:
    """A time in another offset is converted to UTC, then written by Babel."""
    helsinki = timezone(timedelta(hours=2))
    moment = datetime(2026, 11, 1, 14, 5, 59, tzinfo=helsinki)
    assert display.when_text(EN, moment) == f"November 1, 2026, 12:05:59{NNBSP}PM UTC"
    assert display.when_text(FI, moment) == "1. marraskuuta 2026 12.05.59 UTC"


@pytest.mark.parametrize(
    ("texts", "waiting", "shipped", "delivered"),
    [
        (
            EN,
            "in warehouse processing",
            f"shipped November 2, 2026, 10:00:00{NNBSP}AM UTC",
            f"delivered November 4, 2026, 10:00:00{NNBSP}AM UTC",
        ),
        (
            FI,
            "käsittelyssä varastolla",
            "lähetetty 2. marraskuuta 2026 10.00.00 UTC",
            "toimitettu 4. marraskuuta 2026 10.00.00 UTC",
        ),
    ],
)
def test_a_package_says_where_it_is(
    texts: Translator, waiting: str, shipped: str, delivered: str
) -> None:
    """In processing until shipped, then shipped, then delivered, each with its time."""
    shipped_at = PLACED_AT + timedelta(days=1)
    delivered_at = PLACED_AT + timedelta(days=3)

    def view(shipped_at: datetime | None, delivered_at: datetime | None) -> PackageView:
        stored = package("P1", shipped_at=shipped_at, delivered_at=delivered_at)
        return PackageView(stored, None, texts=texts)

    assert view(None, None).state_text == waiting
    assert view(shipped_at, None).state_text == shipped
    assert view(shipped_at, delivered_at).state_text == delivered


def _view_texts(texts: Translator) -> dict[str, str]:
    order = make_order(
        lines=[line(1, quantity=3, price="1234.5"), line(2, "OF-1", quantity=1, price="4.99")],
        packages=[package("P1", ((1, 2), (2, 1)), shipped_after=timedelta(hours=5))],
    )
    view = masked_order_view(order, _no_tracking, texts)
    return {
        "status": view.status_text,
        "placed": view.placed_text,
        "line 1": view.lines[0].quantity_text,
        "line 2": view.lines[1].quantity_text,
        "price": view.lines[0].unit_price_text,
        "core": view.lines[0].core_charge_text,
        "units": view.packages[0].units_text,
        "package": view.packages[0].state_text,
        "total": view.total_text,
        "subtotal": view.subtotal_text,
        "timeline": view.timeline[0].text,
        "when": view.timeline[0].when_text,
        "ship to": view.ship_to.text,
    }


def test_the_order_view_answers_every_text_a_template_shows_in_english() -> None:
    """The order page needs no formatting code: status, times, lines, packages, money."""
    assert _view_texts(EN) == {
        "status": "partially shipped",
        "placed": f"November 1, 2026, 10:00:00{NNBSP}AM UTC",
        "line 1": "1 of 3 awaiting processing, 2 of 3 shipped",
        "line 2": "1 shipped",
        "price": "$1,234.50",
        "core": "$0.00",
        "units": "line 1 × 2, line 2 × 1",
        "package": f"shipped November 1, 2026, 3:00:00{NNBSP}PM UTC",
        "total": "$3,720.48",
        "subtotal": "$3,708.49",
        "timeline": "Order 123456789 placed",
        "when": f"November 1, 2026, 10:00:00{NNBSP}AM UTC",
        "ship to": "J••• D•••, •••, Springfield, IL 62•••, US",
    }


def test_the_order_view_answers_every_text_a_template_shows_in_finnish() -> None:
    """The same view in Finnish: Finnish words, Finnish dates, ``1 234,50 $``."""
    assert {key: text.replace(NBSP, " ") for key, text in _view_texts(FI).items()} == {
        "status": "osittain lähetetty",
        "placed": "1. marraskuuta 2026 10.00.00 UTC",
        "line 1": "1/3 odottaa käsittelyä, 2/3 lähetetty",
        "line 2": "1 lähetetty",
        "price": "1 234,50 $",
        "core": "0,00 $",
        "units": "rivi 1 × 2, rivi 2 × 1",
        "package": "lähetetty 1. marraskuuta 2026 15.00.00 UTC",
        "total": "3 720,48 $",
        "subtotal": "3 708,49 $",
        "timeline": "Tilaus 123456789 tehty",
        "when": "1. marraskuuta 2026 10.00.00 UTC",
        "ship to": "J••• D•••, •••, Springfield, IL 62•••, US",
    }


def test_a_views_texts_are_written_when_read_not_when_built() -> None:
    """Building the view asks the translator nothing (find-order stays cheap); reading a
    text asks it then."""
    asked: list[str] = []

    class Counting:
        def gettext(self, message: str) -> str:
            asked.append(message)
            return message

        def ngettext(self, singular: str, plural: str, count: int) -> str:
            return singular if count == 1 else plural

        def money(self, amount: Money) -> str:
            asked.append("money")
            return str(amount)

        def number(self, value: int) -> str:
            return str(value)

        def datetime(self, value: datetime) -> str:
            asked.append("datetime")
            return value.isoformat()

    order = make_order(packages=[package("P1", ((1, 1),), shipped_after=timedelta(hours=5))])
    view = masked_order_view(order, _no_tracking, Counting())
    assert asked == []
    assert view.status_text == "shipped"
    assert asked == ["shipped"]


def test_views_in_two_languages_are_equal_values() -> None:
    """The language is how a view is shown, not what it holds: it stays out of ``==``
    and ``repr``."""
    order = make_order()
    english = masked_order_view(order, _no_tracking, EN)
    finnish = masked_order_view(order, _no_tracking, FI)
    assert english == finnish
    assert "Translator" not in repr(english)


@pytest.mark.parametrize(
    ("state", "english", "finnish"),
    [
        (OrderState.PARTIALLY_SHIPPED.value, "partially shipped", "osittain lähetetty"),
        ("shipped_anyway", "shipped anyway", "lähetetty silti"),
        ("declined", "declined", "hylätty"),
        ("on_hold", "on hold", "on hold"),  # a store's own code: its words, untranslated
    ],
)
def test_states_read_as_words(state: str, english: str, finnish: str) -> None:
    """Stable codes keep their underscores; the texts do not, and are translated."""
    assert (display.state_text(EN, state), display.state_text(FI, state)) == (english, finnish)


def test_a_request_view_says_its_state_and_summary() -> None:
    """A request's state and what was asked, in the view's language."""
    about = Phrase("cancel", (1, "BP-1234", 1, "P1"))
    request = RequestView("cancel", "C1", "shipped_anyway", PLACED_AT, about, texts=FI)
    assert (request.state_text, request.summary) == (
        "lähetetty silti",
        "Peru 1 × BP-1234 (rivi 1) paketista P1",
    )


def test_a_timeline_entry_says_when_in_its_language() -> None:
    """The entry's time is written by Babel for the view's locale."""
    entry = TimelineEntry(
        datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "placed", Phrase("placed", ("1",)), texts=EN
    )
    assert entry.when_text == f"January 2, 2026, 3:04:00{NNBSP}AM UTC"


@pytest.mark.parametrize("module", [display, views])
def test_the_documented_examples_hold(module: ModuleType) -> None:
    """The docstrings' examples of the texts are what the code answers."""
    failed, attempted = doctest.testmod(module)
    assert (failed, attempted > 0) == (0, True)


@pytest.mark.parametrize(
    ("phrase", "english", "finnish"),
    [
        (Phrase("placed", ("123456789",)), "Order 123456789 placed", "Tilaus 123456789 tehty"),
        (
            Phrase("processing", ("P1", "Columbus, OH")),
            "Package P1 in processing at Columbus, OH",
            "Paketti P1 käsittelyssä varastolla Columbus, OH",
        ),
        (
            Phrase("shipped", ("P1", "Columbus, OH", "UPS")),
            "Package P1 shipped from Columbus, OH by UPS",
            "Paketti P1 lähetetty varastolta Columbus, OH, kuljettaja UPS",
        ),
        (
            Phrase("shipped", ("P2", "Reno, NV", None)),  # no "by None" without a carrier
            "Package P2 shipped from Reno, NV",
            "Paketti P2 lähetetty varastolta Reno, NV",
        ),
        (Phrase("delivered", ("P1",)), "Package P1 delivered", "Paketti P1 toimitettu"),
        (Phrase("decided", ("C1", "shipped_anyway")), "C1 shipped anyway", "C1 lähetetty silti"),
        (Phrase("decided", ("R1", "resolved")), "R1 resolved", "R1 ratkaistu"),
        (
            Phrase("refund", (Money("12.5", "EUR"),)),
            "Refund of €12.50 due",
            f"Hyvitys 12,50{NBSP}€ tulossa",
        ),
        (
            Phrase("change_address", ("Shelbyville",)),
            "Ship to another address in Shelbyville",
            "Toimitus toiseen osoitteeseen: Shelbyville",
        ),
        (
            Phrase("change_speed", ("overnight",)),
            "Ship overnight",
            "Toimita yön yli -toimituksena",
        ),
        (
            Phrase("change_quantity", (1, "BP-1234", 2)),
            "Line 1 (BP-1234): 2 units",
            "Rivi 1 (BP-1234): 2 kappaletta",
        ),
        (
            Phrase("change_quantity", (1, "BP-1234", 1)),
            "Line 1 (BP-1234): 1 unit",
            "Rivi 1 (BP-1234): 1 kappale",
        ),
        (
            Phrase("change_removal", (1, "BP-1234")),
            "Remove line 1 (BP-1234)",
            "Poista rivi 1 (BP-1234)",
        ),
        (
            Phrase("change_swap", (1, "BP-1234", "BP-9999")),
            "Line 1: BP-1234 → BP-9999",
            "Rivi 1: BP-1234 → BP-9999",
        ),
        (
            Phrase("cancel", (2, "BP-1234", 1, "P1")),
            "Cancel 2 × BP-1234 (line 1) in package P1",
            "Peru 2 × BP-1234 (rivi 1) paketista P1",
        ),
        (
            Phrase("problem", ("wrong_part", ((2, 1), (3, 2)))),
            "Wrong part, 1 × line 2, 2 × line 3",
            "Väärä osa, 1 × rivi 2, 2 × rivi 3",
        ),
        (Phrase("problem", ("not_delivered", ())), "Not delivered", "Ei toimitettu"),
    ],
)
def test_timeline_and_request_phrases_read_as_sentences(
    phrase: Phrase, english: str, finnish: str
) -> None:
    """Each phrase kind has its sentence in both languages."""
    assert (display.say(EN, phrase), display.say(FI, phrase)) == (english, finnish)


def test_every_phrase_kind_is_tested_above() -> None:
    """A new phrase kind needs its sentence tested in both languages."""
    tested = {
        "placed", "processing", "shipped", "delivered", "decided", "refund", "change_address",
        "change_speed", "change_quantity", "change_removal", "change_swap", "cancel", "problem",
    }  # fmt: skip
    assert tested == display.PHRASE_KINDS


def test_a_place_name_with_a_percent_sign_is_not_a_format() -> None:
    """Values are filled in after translation: ``%`` or ``%(x)s`` in a warehouse name is
    shown as typed, never interpreted."""
    phrase = Phrase("processing", ("P1", "100% %(number)s Depot"))
    assert display.say(FI, phrase) == "Paketti P1 käsittelyssä varastolla 100% %(number)s Depot"


def test_a_refund_in_the_timeline_shows_its_money_text() -> None:
    """The refund entry shows the total as the locale writes money, not the raw amount."""
    refund = Refund(
        "F1", PLACED_AT + timedelta(days=1), "problem_report", "R1",
        Money("12.5", "USD"), Money("0", "USD"), Money("0", "USD"), Money("0", "USD"),
    )  # fmt: skip
    order = attrs.evolve(make_order(), refunds=(refund,))
    entry = masked_order_view(order, _no_tracking, EN).timeline[-1]
    assert (entry.kind, entry.text) == ("refund", "Refund of $12.50 due")
    assert masked_order_view(order, _no_tracking, EN).refunded_text == "$12.50"
