"""The conformance suite of label makers (the port had none); see
:mod:`orderstatus_core.testing.contracts`.

Every rule is one the :class:`~orderstatus_core.ports.LabelMaker` docstrings state: a
label for the request's RMA, one document per requested format in that order, a cost in
the quote's currency, instructions as a PDF with or without a label, and a
:class:`~orderstatus_core.errors.ValidationError` for what the maker cannot serve. What a
file looks like inside is the adapter's own business and its own tests'.
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from orderstatus_core.errors import ValidationError
from orderstatus_core.labels import LABEL_FORMATS, ReturnLabelRequest
from orderstatus_core.ports import LabelMaker
from orderstatus_core.testing.builders import address
from orderstatus_core.testing.contracts._support import declared_fixture

__all__ = ["LabelMakerContract"]

_LABEL_MAKER = (
    "a LabelMaker for each test, costing labels in any currency you like. Define it in\n"
    "your test class, e.g.\n"
    "    @pytest.fixture\n"
    "    def label_maker(self):\n"
    "        return MyLabelMaker.from_url('carrier://?account=test')"
)


def _request(**changes: object) -> ReturnLabelRequest:
    values: dict[str, object] = {
        "rma_number": "RMA-20261126-0001",
        "sender": address(name="Jane Doe"),
        "destination": address(name="Returns desk", line1="1 Warehouse Way"),
        "carrier": "UPS",
        "service": "Ground",
        "weight_grams": 1250,
        "language": "en",
        "pack_lines": ("2 x BRK-1234 Front brake pads", "1 x OIL-77 Oil filter"),
        "formats": ("pdf",),
    }
    values.update(changes)
    return ReturnLabelRequest(**values)  # type: ignore[arg-type]


class LabelMakerContract:
    """The :class:`~orderstatus_core.LabelMaker` contract: the label the request asked for, at
    a cost in the quote's currency, and the instructions to put in the box.

    Needs a fixture ``label_maker``. Set :attr:`label_formats` to the formats the maker
    draws when it lacks some of :data:`~orderstatus_core.labels.LABEL_FORMATS`; the suite
    then also checks that a request for another format is refused.
    """

    #: The label formats the maker draws (all of them unless the test class says less).
    label_formats: ClassVar[tuple[str, ...]] = LABEL_FORMATS

    @pytest.fixture
    def label_maker(self, request: pytest.FixtureRequest) -> LabelMaker:
        """Declared here so that a suite without one fails with how to write it."""
        maker: LabelMaker = declared_fixture(request, "label_maker", _LABEL_MAKER)
        return maker

    def _orders(self) -> list[tuple[str, ...]]:
        drawn = self.label_formats
        return [(fmt,) for fmt in drawn] + ([drawn, drawn[::-1]] if len(drawn) > 1 else [])

    def test_a_label_names_the_requests_rma_carrier_and_service(
        self, label_maker: LabelMaker
    ) -> None:
        """The label is for the RMA, carrier and service the request names, never another."""
        for rma, carrier in [("RMA-20261126-0001", "UPS"), ("R123456789-2", "DHL")]:
            request = _request(rma_number=rma, carrier=carrier, service="Express")
            label = label_maker.make_label(request)
            assert (label.rma_number, label.carrier, label.service) == (rma, carrier, "Express")

    def test_a_label_has_one_document_per_requested_format_in_that_order(
        self, label_maker: LabelMaker
    ) -> None:
        """``formats`` decides the documents: one each, in the order asked, each non-empty."""
        for formats in self._orders():
            label = label_maker.make_label(_request(formats=formats))
            assert tuple(document.format for document in label.documents) == formats
            assert all(document.content for document in label.documents)
            assert len({document.filename for document in label.documents}) == len(formats)

    def test_the_quote_and_the_label_cost_the_same_currency(self, label_maker: LabelMaker) -> None:
        """A quote is never negative, and the label is priced in the quote's currency, so
        the refund preview can deduct it."""
        request = _request(formats=self.label_formats[:1])
        quote = label_maker.quote(request)
        label = label_maker.make_label(request)
        assert not quote.amount.is_signed()
        assert label.cost.currency == quote.currency

    @pytest.mark.parametrize("with_label", [True, False], ids=["label", "own-shipping"])
    def test_instructions_are_a_pdf_with_or_without_a_label(
        self, label_maker: LabelMaker, with_label: bool
    ) -> None:
        """Instructions come as one non-empty PDF, for a label the maker made and for a
        package the shopper ships on their own (``label=None``)."""
        request = _request(formats=self.label_formats[:1])
        label = label_maker.make_label(request) if with_label else None
        instructions = label_maker.make_instructions(request, label)
        assert (instructions.format, instructions.media_type) == ("pdf", "application/pdf")
        assert instructions.content

    @pytest.mark.parametrize("language", ["fi", "zz"])
    def test_instructions_come_in_any_language_asked_for(
        self, label_maker: LabelMaker, language: str
    ) -> None:
        """A language the maker lacks still gets instructions (in English), never an error."""
        request = _request(language=language, formats=self.label_formats[:1])
        assert label_maker.make_instructions(request, None).content

    def test_hostile_request_text_is_drawn_not_obeyed(self, label_maker: LabelMaker) -> None:
        """Carets, tildes and markup in the request's text make a label like any other, the
        same number of documents in the same formats (SECURITY H2)."""
        request = _request(
            carrier="^XZ^XA~JR",
            service="<script>",
            pack_lines=("1 x ^FDhi^FS", "%PDF-1.7 endobj", "'; DROP TABLE orders; --"),
            formats=self.label_formats,
        )
        label = label_maker.make_label(request)
        assert tuple(document.format for document in label.documents) == self.label_formats
        assert label_maker.make_instructions(request, label).content

    def test_a_format_the_maker_lacks_raises_validation_error(
        self, label_maker: LabelMaker
    ) -> None:
        """A request for a format the maker does not draw is refused as bad input."""
        lacking = [fmt for fmt in LABEL_FORMATS if fmt not in self.label_formats]
        if not lacking:
            pytest.skip(f"{type(self).__name__} draws every format")
        with pytest.raises(ValidationError):
            label_maker.make_label(_request(formats=(lacking[0],)))

    @pytest.mark.parametrize("bad", [None, "RMA-1", {"rma_number": "RMA-1"}], ids=repr)
    def test_what_is_not_a_request_raises_validation_error(
        self, label_maker: LabelMaker, bad: object
    ) -> None:
        """A value of the wrong type is refused as bad input, by quote and label alike."""
        with pytest.raises(ValidationError):
            label_maker.quote(bad)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            label_maker.make_label(bad)  # type: ignore[arg-type]
