"""Bulk import of orders from JSON Lines (the format is in ``docs/import-format.md``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import cattrs

from orderstatus_core.errors import (
    DuplicateOrderError,
    ImportRecordError,
    InvalidFieldError,
    ValidationError,
)
from orderstatus_core.model import Order
from orderstatus_core.serialization import converter, error_path
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import ImportReport

__all__ = [
    "MAX_RECORD_BYTES",
    "check_feed",
    "import_orders",
    "numbered_records",
    "parse_record",
    "read_json_lines",
]

#: The longest record accepted: far above a 500-line order, far below a memory problem.
MAX_RECORD_BYTES = 1 << 20


def read_json_lines(stream: BinaryIO, max_record: int = MAX_RECORD_BYTES) -> Iterator[str]:
    """Yield the lines of ``stream`` as text, one at a time, in constant memory.

    A line over ``max_record`` bytes or not valid UTF-8 raises :class:`ImportRecordError`
    naming its line number; the rest of an over-long line is never read into memory.
    """
    number = 0
    while True:
        raw = stream.readline(max_record + 1)
        if not raw:
            return
        number += 1
        if len(raw) > max_record and not raw.endswith(b"\n"):
            raise ImportRecordError(number, "$", f"the record is longer than {max_record} bytes")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ImportRecordError(number, "$", f"is not UTF-8 (byte {error.start + 1})") from None


def check_feed(lines: object, progress: object) -> None:
    """Refuse arguments that cannot be a feed of records, before anything is read."""
    # One str or bytes is iterable too, character by character: never what was meant.
    if isinstance(lines, str | bytes) or not isinstance(lines, Iterable):
        raise InvalidFieldError("lines", "must be an iterable of text lines, one record each")
    if progress is not None and not callable(progress):
        raise InvalidFieldError("progress", "must be callable with the count, or None")


def numbered_records(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a feed with their 1-based line numbers; an item that is not
    text raises :class:`ImportRecordError`."""
    for number, text in enumerate(lines, start=1):
        if not isinstance(text, str):
            raise ImportRecordError(number, "$", f"must be text, not {type(text).__name__}")
        if text.strip():
            yield number, text


def parse_record(number: int, text: str) -> Order:
    """The order of one record; :class:`ImportRecordError` with ``number`` if it is bad."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRecordError(
            number, "$", f"is not valid JSON ({error.msg} at column {error.colno})"
        ) from None
    except RecursionError:
        raise ImportRecordError(number, "$", "is nested too deeply") from None
    if not isinstance(data, dict):
        raise ImportRecordError(number, "$", "a record is a JSON object")
    try:
        order: Order = converter.structure(data, Order)
    except (cattrs.BaseValidationError, ValidationError) as error:
        path, message = error_path(error)
        raise ImportRecordError(number, path, message) from None
    return order


def import_orders(
    ctx: ServiceContext,
    lines: Iterable[str],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store every order of a JSON Lines text, or none of them.

    ``lines`` yields one record per item (blank lines are skipped); use
    :func:`read_json_lines` for a file. The whole import is one unit of work: the first bad
    record raises :class:`ImportRecordError` with its line number and field path, and
    nothing is committed. ``progress`` is called with the count after every 1000 orders.
    ``lines`` that is not an iterable of text (one string, bytes, a number) raises
    :class:`~orderstatus_core.errors.InvalidFieldError`, and so does a ``progress`` that
    cannot be called.
    """
    check_feed(lines, progress)
    imported = 0
    with ctx.storage.unit_of_work(write=True) as uow:
        for number, text in numbered_records(lines):
            order = parse_record(number, text)
            try:
                uow.orders.add(order)
            except DuplicateOrderError:
                raise ImportRecordError(
                    number, "$.number", f"order {order.number} is already stored"
                ) from None
            imported += 1
            if progress is not None and imported % 1000 == 0:
                progress(imported)
        uow.commit()
    if progress is not None:
        progress(imported)
    return ImportReport(imported=imported)
