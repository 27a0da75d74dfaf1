from __future__ import annotations

import importlib.util
from urllib.parse import parse_qs, urlsplit

from orderstatus_core import (
    AdapterError,
    AdapterRegistry,
    InvalidFieldError,
    InvalidUrlError,
    Money,
    ValidationError,
    hookimpl,
)
from orderstatus_core.i18n import Catalogs
from orderstatus_core.labels import LabelDocument, ReturnLabel, ReturnLabelRequest
from orderstatus_core.model._text import check_text
from orderstatus_labels.words import translator_for
from orderstatus_labels.zpl import render_zpl

__all__ = ["FileLabelMaker", "orderstatus_register_adapters"]

PDF = "application/pdf"
ZPL = "application/x-zpl"
_PAGES = ("auto", "letter", "a4")
_LETTER_COUNTRIES = frozenset({"US", "CA"})


class FileLabelMaker:
    """A :class:`~orderstatus_core.LabelMaker` that draws the files itself.

    Every label costs ``cost``; it has no carrier tracking number, so its barcodes carry the
    RMA number. PDFs are drawn with reportlab's canvas and the standard Helvetica font
    (nothing embedded, compressed page streams); a character Helvetica lacks is printed as
    its unaccented letter, or ``?``.

    Every fixed word on the label and the instructions comes from ``catalogs`` (the core's
    English and Finnish by default; a store passes its own :class:`~orderstatus_core.Catalogs`
    to reword them or add a language) in the request's ``language``; a language no catalog
    has gets English. A catalog that cannot be read raises
    :class:`~orderstatus_core.CatalogError` here, when the maker is made.
    """

    def __init__(
        self,
        cost: Money,
        *,
        page: str = "auto",
        store: str | None = None,
        catalogs: Catalogs | None = None,
    ) -> None:
        if not isinstance(cost, Money):
            raise InvalidFieldError("cost", f"must be Money, not {type(cost).__name__}")
        if cost.amount < 0:
            raise InvalidFieldError("cost", "must not be negative")
        if page not in _PAGES:
            raise InvalidFieldError("page", f"must be one of {', '.join(_PAGES)}")
        if store is not None:
            check_text("store", store, 64)
        if catalogs is not None and not isinstance(catalogs, Catalogs):
            raise InvalidFieldError("catalogs", f"must be Catalogs, not {type(catalogs).__name__}")
        self.catalogs = catalogs or Catalogs.builtin()
        # Every catalog read now: a store's broken .po file stops the store from opening
        # (as the mail renderer's do), not the first label in that language.
        for language in sorted(self.catalogs.languages()):
            self.catalogs.translator(language)
        self.cost = cost
        self.page = page
        self.store = store

    @classmethod
    def from_url(cls, url: str) -> FileLabelMaker:
        """``labels://?cost=7.50%20USD`` with optional ``page=`` and ``store=``."""
        parts = urlsplit(url)
        if parts.netloc or parts.path not in ("", "/"):
            raise InvalidUrlError("a labels URL has no host or path: labels://?cost=7.50%20USD")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - {"cost", "page", "store"})
        if unknown:
            raise InvalidUrlError(f"unknown labels URL parameter {unknown[0][:20]!r}")
        if "cost" not in query:
            raise InvalidUrlError(
                "a labels URL needs the price of a label: labels://?cost=7.50%20USD"
            )
        amount, _, currency = query["cost"][-1].strip().partition(" ")
        try:
            cost = Money(amount, currency.strip())
        except ValidationError as error:
            raise InvalidUrlError(f"labels URL cost must read like 7.50 USD: {error}") from None
        page = query.get("page", ["auto"])[-1]
        store = query.get("store", [None])[-1]
        try:
            return cls(cost, page=page, store=store)
        except ValidationError as error:
            raise InvalidUrlError(f"labels URL: {error}") from None

    def close(self) -> None:
        """Nothing to release: each label is drawn in memory."""

    def quote(self, request: ReturnLabelRequest) -> Money:
        """This maker's flat cost, whatever the request: the label it makes costs exactly
        that, so the refund preview's quote is never short."""
        _check_request(request)
        return self.cost

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        """The label in each of ``request.formats``; the cost is this maker's flat cost."""
        _check_request(request)
        translator = translator_for(request, self.catalogs)
        documents = []
        for fmt in request.formats:
            if fmt == "pdf":
                _need_reportlab()
                from orderstatus_labels.pdf import label_pdf

                content = label_pdf(request, None, translator)
                media_type = PDF
            else:
                content = render_zpl(request, None, translator)
                media_type = ZPL
            documents.append(
                LabelDocument(fmt, media_type, f"{request.rma_number}-label.{fmt}", content)
            )
        return ReturnLabel(
            rma_number=request.rma_number,
            carrier=request.carrier,
            service=request.service,
            cost=self.cost,
            documents=tuple(documents),
        )

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        """The return instructions as a PDF in the request's language (English when no
        catalog has it): one page, or more for a long packing list (each further page
        repeats the RMA number). The file name ends in the language the words are in."""
        _check_request(request)
        if label is not None and (
            not isinstance(label, ReturnLabel) or label.rma_number != request.rma_number
        ):
            raise InvalidFieldError("label", "must be the ReturnLabel made for this request")
        _need_reportlab()
        from orderstatus_labels.pdf import instructions_pdf

        translator = translator_for(request, self.catalogs)
        page = self.page
        if page == "auto":
            page = "letter" if request.sender.country in _LETTER_COUNTRIES else "a4"
        content = instructions_pdf(
            request,
            None if label is None else label.tracking_number,
            translator=translator,
            page=page,
            store=self.store,
        )
        filename = f"{request.rma_number}-instructions-{translator.language}.pdf"
        return LabelDocument("pdf", PDF, filename, content)


def _check_request(request: object) -> None:
    if not isinstance(request, ReturnLabelRequest):
        raise InvalidFieldError(
            "request", f"must be a ReturnLabelRequest, not {type(request).__name__}"
        )


def _need_reportlab() -> None:
    # reportlab is an optional dependency: looked for when a PDF is first asked for, never
    # when the plugin is loaded (every installed plugin is loaded whenever a store opens).
    if importlib.util.find_spec("reportlab") is None:
        raise AdapterError(
            "the labels:// PDF files need reportlab: pip install 'orderstatus-core[labels]'"
        )


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``labels://`` return labels."""
    registry.add_label_maker("labels", FileLabelMaker.from_url)
