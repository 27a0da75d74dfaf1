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
from orderstatus_core.fast_structure import fast_structure
from orderstatus_core.model import Address, Order, OrderLine, PackedUnits, Vehicle
from orderstatus_core.model.order import Package
from orderstatus_core.ports import OrderRepository
from orderstatus_core.serialization import error_path, make_converter
from orderstatus_core.services.accounts.orders import join_verified_addresses
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import ImportReport

__all__ = [
    "IMPORT_BATCH",
    "MAX_RECORD_BYTES",
    "REMEMBERED_TEXTS",
    "RecordParser",
    "check_feed",
    "import_orders",
    "numbered_records",
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


#: How many distinct texts of each kind (emails, phone numbers, amounts of money, part numbers,
#: categories, shipping addresses) one :class:`RecordParser` keeps parsed: the shoppers of a file
#: of 100,000 orders (about 31,000 of them in the generated sample), in some tens of MiB at most;
#: beyond that the least recently seen are parsed again when they come back.
REMEMBERED_TEXTS = 32_768

#: How many orders an import hands to the storage at once
#: (:meth:`~orderstatus_core.ports.OrderRepository.add_many`): few round trips, and a
#: batch in memory instead of the file. Larger batches save nothing more: their orders
#: live long enough for Python's garbage collector to scan them again and again (500 cost
#: three times the collector's time of 200 in a 100,000-order import).
IMPORT_BATCH = 200


class RecordParser:
    """Turns the records of one feed into orders, validating every field.

    A feed names the same shopper's email and phone, the same prices, part numbers and
    categories on many records: the parser validates each distinct text once and reuses
    the immutable value it built, the :data:`REMEMBERED_TEXTS` most recent of each kind
    (see :func:`~orderstatus_core.serialization.make_converter`). Records are read by
    functions generated for the order's classes
    (:func:`~orderstatus_core.fast_structure.fast_structure`), which check each field once
    and leave every record they cannot vouch for to that converter: a record is refused
    exactly as the shared converter would refuse it. Make one per feed; what it remembers
    goes with it.
    """

    def __init__(self) -> None:
        self._converter = make_converter(remember=REMEMBERED_TEXTS)
        self._structure = fast_structure(
            self._converter, Order, OrderLine, Package, PackedUnits, Address, Vehicle
        )

    def parse(self, number: int, text: str) -> Order:
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
            order: Order = self._structure(data)
        except (cattrs.BaseValidationError, ValidationError) as error:
            path, message = error_path(error)
            raise ImportRecordError(number, path, message) from None
        return order


def _batches(
    records: Iterator[tuple[int, Order]],
) -> Iterator[list[tuple[int, Order]]]:
    """``records`` (line number, order) in lists of at most :data:`IMPORT_BATCH`; an order
    whose number is already in the list starts the next one, so no list holds a number
    twice.

    When ``records`` fails (a bad record, a line that cannot be read), the records before
    the failure come first, as one last list, and the failure is raised when the next list
    is asked for: an import that stores each list reports the first problem of the file,
    a duplicate before the bad record as much as the bad record itself.
    """
    batch: list[tuple[int, Order]] = []
    numbers: set[str] = set()
    try:
        for line, order in records:
            if len(batch) == IMPORT_BATCH or order.number in numbers:
                yield batch
                batch, numbers = [], set()
            batch.append((line, order))
            numbers.add(order.number)
    except Exception:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _add(orders: OrderRepository, batch: list[tuple[int, Order]]) -> None:
    """Store one batch; a taken number is the :class:`ImportRecordError` of its line."""
    try:
        orders.add_many([order for _line, order in batch])
    except DuplicateOrderError as error:
        # A batch never holds a number twice: the refused order is the one of that number.
        lines = [line for line, order in batch if order.number == error.number]
        if not lines:  # a storage naming a number it was not given: its error as it is
            raise
        raise ImportRecordError(
            lines[0], "$.number", f"order {error.number} is already stored"
        ) from None


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

    Records are read one at a time and parsed by one :class:`RecordParser`; the orders go
    to the storage :data:`IMPORT_BATCH` at a time, so a file never has to fit in memory
    (its distinct addresses are kept, one key each). After the last order, an order whose
    email is a verified account's joins that account (SECURITY F1), before the commit.
    """
    check_feed(lines, progress)
    parser = RecordParser()
    records = ((number, parser.parse(number, text)) for number, text in numbered_records(lines))
    imported = 0
    addresses: set[str] = set()
    with ctx.storage.unit_of_work(write=True) as uow:
        now = ctx.clock.now()
        for batch in _batches(records):
            _add(uow.orders, batch)
            addresses.update(order.email.canonical for _line, order in batch)
            before, imported = imported, imported + len(batch)
            if progress is not None:
                for count in range(before // 1000 + 1, imported // 1000 + 1):
                    progress(count * 1000)
        # Once, at the end (F1): a storage that locks addresses (PostgreSQL) holds their
        # locks from here to the commit only, so a long import never stalls the log-ins,
        # sign-ups and verifications of its shoppers while it reads the file.
        join_verified_addresses(uow, addresses, now)
        uow.commit()
    if progress is not None:
        progress(imported)
    return ImportReport(imported=imported)
