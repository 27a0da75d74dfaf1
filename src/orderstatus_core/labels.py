"""Return-label values: what a :class:`~orderstatus_core.ports.LabelMaker` is asked for
(:class:`ReturnLabelRequest`) and what it gives back (:class:`ReturnLabel`, its
:class:`LabelDocument` files), and a paper kept for the shopper to print again
(:class:`StoredDocument`).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError, ValidationError
from orderstatus_core.model import (
    Address,
    Money,
    canonical_order_number,
)
from orderstatus_core.model._checks import matching
from orderstatus_core.model._text import bounded_text, check_text

__all__ = [
    "LABEL_FORMATS",
    "LabelDocument",
    "ReturnLabel",
    "ReturnLabelRequest",
    "StoredDocument",
]


# --- return labels ----------------------------------------------------------------------

#: The file formats a label maker may be asked for: a PDF page or ZPL for thermal printers.
LABEL_FORMATS = ("pdf", "zpl")
_RMA_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{2,39}")
_TRACKING_NUMBER = re.compile(r"[A-Z0-9]{1,40}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_MAX_PACK_LINES = 20
_MAX_WEIGHT_GRAMS = 70_000


def _as_tuple(value: Any) -> Any:
    # A list is as good as a tuple; anything else is left for the validator to refuse.
    return tuple(value) if isinstance(value, list) else value


_check_rma_number = matching(
    _RMA_NUMBER, "must be 3 to 40 capital letters, digits and dashes (RMA-1234)"
)


def _check_tracking_number(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _TRACKING_NUMBER.fullmatch(value)):
        raise InvalidFieldError(attribute.name, "must be 1 to 40 capital letters and digits")


def _check_address(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Address):
        raise InvalidFieldError(attribute.name, f"must be an Address, not {type(value).__name__}")


def _check_weight(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFieldError(attribute.name, f"must be whole grams, not {type(value).__name__}")
    if not 1 <= value <= _MAX_WEIGHT_GRAMS:
        raise InvalidFieldError(attribute.name, f"must be 1 to {_MAX_WEIGHT_GRAMS} grams")


_check_language = matching(_LANGUAGE, "must be a two-letter language code such as en")


def _check_pack_lines(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple):
        raise InvalidFieldError(attribute.name, f"must be a tuple, not {type(value).__name__}")
    if len(value) > _MAX_PACK_LINES:
        raise InvalidFieldError(attribute.name, f"must be at most {_MAX_PACK_LINES} lines")
    for index, line in enumerate(value):
        try:
            check_text("", line, 120)
        except ValidationError as error:
            raise error.at(f"{attribute.name}[{index}]") from None


def _check_formats(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple) or not value:
        raise InvalidFieldError(attribute.name, "must be a non-empty tuple such as ('pdf',)")
    if len(set(value)) != len(value) or any(f not in LABEL_FORMATS for f in value):
        raise InvalidFieldError(attribute.name, f"must be distinct formats of {LABEL_FORMATS}")


_FILENAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def _check_filename(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _FILENAME.fullmatch(value) or ".." in value:
        raise InvalidFieldError(attribute.name, "must be a plain file name such as R1-1-label.pdf")


@attrs.frozen
class ReturnLabelRequest:
    """What a :class:`LabelMaker` makes a return label for: one RMA package.

    ``sender`` is the shopper, ``destination`` the warehouse or supplier the routing chose.
    ``pack_lines`` say what goes in the box, already in the shopper's ``language`` (at most
    20 lines of 120 characters, such as ``"2 x BRK-1234 Front brake pads"``). ``formats``
    lists the label files wanted, in order (``"pdf"``, ``"zpl"``). Every field is checked
    on construction (SECURITY H3): a wrong type or an over-long text raises
    :class:`~orderstatus_core.errors.ValidationError` naming the field.
    """

    rma_number: str = attrs.field(validator=_check_rma_number)
    sender: Address = attrs.field(validator=_check_address)
    destination: Address = attrs.field(validator=_check_address)
    carrier: str = attrs.field(validator=bounded_text(32))
    service: str = attrs.field(validator=bounded_text(32))
    weight_grams: int = attrs.field(validator=_check_weight)
    language: str = attrs.field(default="en", validator=_check_language)
    pack_lines: tuple[str, ...] = attrs.field(
        default=(), converter=_as_tuple, validator=_check_pack_lines
    )
    formats: tuple[str, ...] = attrs.field(
        default=("pdf",), converter=_as_tuple, validator=_check_formats
    )


@attrs.frozen
class LabelDocument:
    """A file a :class:`LabelMaker` made: a label to print, or the instructions for the box.

    ``format`` is ``"pdf"`` or ``"zpl"``; ``media_type`` the matching MIME type
    (``application/pdf``, ``application/x-zpl``); ``filename`` a safe suggestion such as
    ``RMA-1234-label.pdf``.
    """

    format: str = attrs.field(validator=attrs.validators.in_(LABEL_FORMATS))
    media_type: str = attrs.field(validator=bounded_text(64))
    #: Letters, digits, ``.``, ``-`` and ``_`` only, never a path: a storefront may save
    #: the file under this name.
    filename: str = attrs.field(validator=_check_filename)
    content: bytes = attrs.field(repr=False, validator=attrs.validators.instance_of(bytes))


@attrs.frozen
class ReturnLabel:
    """A return label made for one :class:`ReturnLabelRequest`, one document per format.

    ``cost`` is what the label cost the store; the refund deducts it when the reason says the
    shopper pays for the return. ``tracking_number`` is the carrier's, when the maker bought
    the label from a carrier (``None`` for a label the store ships under its own account).
    """

    rma_number: str = attrs.field(validator=_check_rma_number)
    carrier: str
    service: str
    cost: Money = attrs.field(validator=attrs.validators.instance_of(Money))
    documents: tuple[LabelDocument, ...]
    tracking_number: str | None = attrs.field(default=None, validator=_check_tracking_number)

    def document(self, format: str) -> LabelDocument:
        """The document in ``format``; :class:`LookupError` if it was not made."""
        for document in self.documents:
            if document.format == format:
                return document
        raise LookupError(f"no {format} document for {self.rma_number}")


@attrs.frozen
class StoredDocument:
    """A return paper kept for the shopper to print again: which order and RMA it is for."""

    order_number: str = attrs.field(converter=canonical_order_number)
    rma_number: str = attrs.field(validator=_check_rma_number)
    document: LabelDocument = attrs.field(validator=attrs.validators.instance_of(LabelDocument))
