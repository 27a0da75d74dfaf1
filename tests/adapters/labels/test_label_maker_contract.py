"""The labels:// maker keeps the LabelMaker contract, and the contract catches makers that
break it (a suite that cannot fail proves nothing)."""

from __future__ import annotations

from typing import ClassVar

import attrs
import pytest

from orderstatus_core import Money
from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.labels import LabelDocument, ReturnLabel, ReturnLabelRequest
from orderstatus_core.ports import LabelMaker
from orderstatus_core.testing.contracts import LabelMakerContract
from orderstatus_labels import FileLabelMaker


class TestFileLabelMaker(LabelMakerContract):
    """``labels://`` draws PDF and ZPL labels and PDF instructions that keep the contract."""

    @pytest.fixture
    def label_maker(self) -> FileLabelMaker:
        """The bundled maker at a flat cost."""
        return FileLabelMaker.from_url("labels://?cost=7.50%20USD")


class _MinimalMaker:
    """Just enough of a maker: checks its input, draws one tiny file per format."""

    formats: ClassVar[tuple[str, ...]] = ("pdf", "zpl")

    def quote(self, request: ReturnLabelRequest) -> Money:
        if not isinstance(request, ReturnLabelRequest):
            raise InvalidFieldError("request", "must be a ReturnLabelRequest")
        return Money("3.00", "EUR")

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        self.quote(request)
        if any(fmt not in self.formats for fmt in request.formats):
            raise InvalidFieldError("formats", "not drawn here")
        documents = tuple(
            LabelDocument(fmt, f"application/{fmt}", f"{request.rma_number}.{fmt}", b"x")
            for fmt in request.formats
        )
        return ReturnLabel(
            request.rma_number, request.carrier, request.service, Money("3.00", "EUR"), documents
        )

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        return LabelDocument("pdf", "application/pdf", f"{request.rma_number}-i.pdf", b"i")


class TestAMinimalMaker(LabelMakerContract):
    """A maker with none of the bundled one's drawing keeps the contract too: the suite
    asks only what the port promises."""

    @pytest.fixture
    def label_maker(self) -> LabelMaker:
        """The minimal maker."""
        return _MinimalMaker()


class TestAPdfOnlyMaker(LabelMakerContract):
    """A maker that draws PDF only says so, and the suite checks that it refuses ZPL."""

    label_formats = ("pdf",)

    @pytest.fixture
    def label_maker(self) -> LabelMaker:
        """The minimal maker, PDF only."""
        maker = _MinimalMaker()
        maker.formats = ("pdf",)  # type: ignore[misc]
        return maker


class _WrongRma(_MinimalMaker):
    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        return attrs.evolve(super().make_label(request), rma_number="RMA-0000")


class _Reversed(_MinimalMaker):
    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        label = super().make_label(request)
        return attrs.evolve(label, documents=label.documents[::-1])


class _OtherCurrency(_MinimalMaker):
    def quote(self, request: ReturnLabelRequest) -> Money:
        super().quote(request)
        return Money("3.00", "USD")


class _EmptyInstructions(_MinimalMaker):
    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        return LabelDocument("pdf", "application/pdf", "i.pdf", b"")


class _Trusting(_MinimalMaker):
    def quote(self, request: ReturnLabelRequest) -> Money:
        return Money("3.00", "EUR")

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        return ReturnLabel(request.rma_number, "UPS", "Ground", Money("3.00", "EUR"), ())


class _DrawsAnything(_MinimalMaker):
    formats = ("pdf", "zpl")


_SUITE = LabelMakerContract()


@pytest.mark.parametrize(
    ("maker", "rule"),
    [
        (_WrongRma(), _SUITE.test_a_label_names_the_requests_rma_carrier_and_service),
        (_Reversed(), _SUITE.test_a_label_has_one_document_per_requested_format_in_that_order),
        (_OtherCurrency(), _SUITE.test_the_quote_and_the_label_cost_the_same_currency),
    ],
    ids=["wrong-rma-number", "documents-reversed", "quote-in-another-currency"],
)
def test_a_maker_breaking_a_rule_fails_the_contract(maker: LabelMaker, rule: object) -> None:
    """A label for another RMA, documents out of order, a quote in another currency:
    each fails the rule it breaks."""
    with pytest.raises(AssertionError):
        rule(maker)  # type: ignore[operator]


@pytest.mark.parametrize("with_label", [True, False])
def test_empty_instructions_fail_the_contract(with_label: bool) -> None:
    """Instructions with no content fail, with a label and without."""
    with pytest.raises(AssertionError):
        _SUITE.test_instructions_are_a_pdf_with_or_without_a_label(_EmptyInstructions(), with_label)


def test_a_maker_that_takes_anything_fails_the_contract() -> None:
    """A maker that never checks its input (a dict for a request) fails as bad input."""
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        _SUITE.test_what_is_not_a_request_raises_validation_error(_Trusting(), {"a": 1})


def test_a_maker_drawing_a_format_it_disowns_fails_the_contract() -> None:
    """A suite told "PDF only" fails a maker that quietly draws ZPL too."""

    class PdfOnly(LabelMakerContract):
        label_formats = ("pdf",)

    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        PdfOnly().test_a_format_the_maker_lacks_raises_validation_error(_DrawsAnything())
