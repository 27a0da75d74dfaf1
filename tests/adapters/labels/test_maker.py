"""The labels:// adapter: its URL, its cost, the port's checks on every field."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

import orderstatus_labels
from orderstatus_core import (
    AdapterError,
    CatalogError,
    Catalogs,
    FieldTooLongError,
    InvalidFieldError,
    InvalidUrlError,
    Money,
    UnknownAdapterError,
    get_plugin_manager,
)
from orderstatus_core.i18n import DOMAIN
from orderstatus_core.labels import ReturnLabelRequest
from orderstatus_core.plugins import Hooks
from orderstatus_core.ports import LabelMaker
from orderstatus_labels import FileLabelMaker
from support.labels_support import WAREHOUSE, make_request, parse_zpl


def test_the_plugin_registers_labels_urls() -> None:
    registry = Hooks(get_plugin_manager()).adapter_registry()
    assert "labels" in registry.label_maker_schemes()
    maker = registry.open_label_maker("labels://?cost=7.50%20USD&page=a4&store=Example%20Parts")
    assert isinstance(maker, FileLabelMaker)
    assert maker.cost == Money("7.50", "USD")
    assert (maker.page, maker.store) == ("a4", "Example Parts")
    with pytest.raises(UnknownAdapterError):
        registry.open_label_maker("carrier://x")


def test_the_maker_is_a_label_maker() -> None:
    maker: LabelMaker = FileLabelMaker(Money("1", "EUR"))
    assert maker.make_label(make_request(formats=("pdf",))).cost == Money("1", "EUR")


def test_the_label_reports_its_cost_and_one_document_per_format() -> None:
    maker = FileLabelMaker.from_url("labels:///?cost=7.50+USD")
    label = maker.make_label(make_request(formats=("zpl", "pdf")))
    assert label.cost == Money(Decimal("7.50"), "USD")
    assert label.tracking_number is None
    assert [d.format for d in label.documents] == ["zpl", "pdf"]
    assert label.document("pdf").media_type == "application/pdf"
    assert label.document("zpl").media_type == "application/x-zpl"
    assert label.document("pdf").filename == "RMA-20261126-0001-label.pdf"
    assert "%PDF" not in repr(label)
    with pytest.raises(LookupError):
        maker.make_label(make_request(formats=("zpl",))).document("pdf")


@pytest.mark.parametrize("formats", [("pdf",), ("zpl",), ("pdf", "zpl")])
def test_the_quote_is_the_flat_cost_the_label_then_costs(formats: tuple[str, ...]) -> None:
    """``quote`` answers the maker's flat cost for any request, and the label made for that
    request costs exactly the quote (the refund never deducts more than it)."""
    maker: LabelMaker = FileLabelMaker.from_url("labels://?cost=7.50%20EUR")
    request = make_request(formats=formats, weight_grams=70_000)
    quote = maker.quote(request)
    assert quote == Money(Decimal("7.50"), "EUR")
    assert maker.make_label(request).cost == quote


def test_a_free_label_is_quoted_at_zero() -> None:
    """A store that pays its own returns configures a zero cost, and quotes zero."""
    maker = FileLabelMaker(Money("0", "USD"))
    assert maker.quote(make_request()) == Money("0", "USD")


def test_the_quote_needs_no_reportlab(monkeypatch: pytest.MonkeyPatch) -> None:
    """Quoting draws nothing, so it works without the optional PDF dependency."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "reportlab" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert FileLabelMaker(Money("4", "USD")).quote(make_request()) == Money("4", "USD")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("labels://", "needs the price"),
        ("labels://?cost=cheap", "cost must read like"),
        ("labels://?cost=7.50%20usd", "cost must read like"),
        ("labels://?cost=-1%20USD", "negative"),
        ("labels://?cost=1%20USD&page=a5", "page"),
        ("labels://?cost=1%20USD&colour=red", "unknown"),
        ("labels://host/path?cost=1%20USD", "no host or path"),
        ("labels://?cost=1%20USD&store=" + "x" * 65, "store"),
    ],
)
def test_bad_urls_are_clear_errors(url: str, message: str) -> None:
    with pytest.raises(InvalidUrlError, match=message):
        FileLabelMaker.from_url(url)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"carrier": "x" * 33}, FieldTooLongError, "carrier"),
        ({"service": ""}, InvalidFieldError, "service"),
        ({"rma_number": "rma-1"}, InvalidFieldError, "rma_number"),
        ({"rma_number": "RMA^XZ"}, InvalidFieldError, "rma_number"),
        ({"rma_number": 1234}, InvalidFieldError, "rma_number"),
        ({"weight_grams": "1200"}, InvalidFieldError, "weight_grams"),
        ({"weight_grams": 1.5}, InvalidFieldError, "weight_grams"),
        ({"weight_grams": True}, InvalidFieldError, "weight_grams"),
        ({"weight_grams": 0}, InvalidFieldError, "weight_grams"),
        ({"weight_grams": 70_001}, InvalidFieldError, "weight_grams"),
        ({"sender": "Helsinki"}, InvalidFieldError, "sender"),
        ({"language": "english"}, InvalidFieldError, "language"),
        ({"pack_lines": "2 x BRK-1234"}, InvalidFieldError, "pack_lines"),
        ({"pack_lines": ("ok", "x" * 121)}, FieldTooLongError, "pack_lines[1]"),
        ({"pack_lines": ("line\r\n^XZ",)}, InvalidFieldError, "pack_lines[0]"),
        ({"pack_lines": ("x",) * 21}, InvalidFieldError, "pack_lines"),
        ({"formats": ()}, InvalidFieldError, "formats"),
        ({"formats": ("gif",)}, InvalidFieldError, "formats"),
        ({"formats": ("pdf", "pdf")}, InvalidFieldError, "formats"),
    ],
)
def test_bad_requests_name_the_field(
    changes: dict[str, object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as raised:
        make_request(**changes)
    assert getattr(raised.value, "field", None) == field


def test_lists_are_taken_as_tuples() -> None:
    request = make_request(pack_lines=["1 x A"], formats=["zpl"])
    assert request.pack_lines == ("1 x A",)
    assert request.formats == ("zpl",)


def test_the_maker_refuses_what_is_not_a_request() -> None:
    maker = FileLabelMaker(Money("1", "USD"))
    with pytest.raises(InvalidFieldError):
        maker.make_label({"rma_number": "RMA-1"})  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError, match="ReturnLabelRequest"):
        maker.quote({"rma_number": "RMA-1"})  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        FileLabelMaker(7.5)  # type: ignore[arg-type]


def test_without_reportlab_the_pdf_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        return None if name == "reportlab" else real(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    maker = FileLabelMaker(Money("1", "USD"))
    with pytest.raises(AdapterError, match="orderstatus-core\\[labels\\]"):
        maker.make_label(make_request(formats=("pdf",)))
    # ZPL needs nothing.
    assert maker.make_label(make_request(formats=("zpl",))).documents


def test_loading_the_plugin_imports_no_reportlab() -> None:
    import subprocess
    import sys

    code = (
        "import sys, orderstatus_labels; "
        "from orderstatus_core import get_plugin_manager; get_plugin_manager(); "
        "print(any(m.startswith('reportlab') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert orderstatus_labels.__all__ == sorted(orderstatus_labels.__all__)


def test_request_values_are_plain_and_frozen() -> None:
    request = make_request()
    assert isinstance(request, ReturnLabelRequest)
    assert request.destination == WAREHOUSE
    with pytest.raises(AttributeError):
        request.carrier = "DHL"  # type: ignore[misc]


# --- the words, from the catalogs -----------------------------------------------------------


def _store_catalog(folder: Path, language: str, body: str) -> Path:
    path = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    path.parent.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    path.write_text(header + body, encoding="utf-8")
    return folder


def test_a_store_catalog_rewords_the_label_and_adds_a_language(tmp_path: Path) -> None:
    """A store's own catalog (Swedish here) is read before the core's: its words print, and
    a word it leaves out comes from the English id."""
    folder = _store_catalog(tmp_path, "sv", 'msgid "RETURN"\nmsgstr "RETUR"\n')
    catalogs = Catalogs([folder, *Catalogs.builtin().folders])
    maker = FileLabelMaker(Money("7.50", "USD"), catalogs=catalogs)
    request = make_request(language="sv")
    label = maker.make_label(request)
    printed = parse_zpl(label.document("zpl").content).texts
    assert printed[0] == "RETUR"
    assert "Return authorization (RMA)" in printed
    instructions = maker.make_instructions(request, label)
    assert instructions.filename == "RMA-20261126-0001-instructions-sv.pdf"


def test_a_broken_store_catalog_stops_the_maker_being_made(tmp_path: Path) -> None:
    """A renamed placeholder is found when the store opens, not at the first Swedish label."""
    body = 'msgid "Return label %(rma)s"\nmsgstr "Returetikett %(nummer)s"\n'
    folder = _store_catalog(tmp_path, "sv", body)
    with pytest.raises(CatalogError, match=r"orderstatus\.po"):
        FileLabelMaker(Money("7.50", "USD"), catalogs=Catalogs([folder]))


def test_the_catalogs_must_be_catalogs() -> None:
    with pytest.raises(InvalidFieldError, match="catalogs"):
        FileLabelMaker(Money("7.50", "USD"), catalogs="locale")  # type: ignore[arg-type]
