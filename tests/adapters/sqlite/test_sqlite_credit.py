"""How migration 6 stores store credit and return papers: exact text, microseconds, bytes,
and the ledger's append order."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderstatus_core import Money
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.records import CreditEntry
from orderstatus_sqlite import SqliteStorage
from support.sqlite_orders import T0


def entry(
    entry_id: str, amount: str, holder: str = "jane@example.com", minutes: int = 0
) -> CreditEntry:
    return CreditEntry(entry_id, holder, Money(amount, "USD"), T0 + timedelta(minutes=minutes), "r")


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as connection, connection:
        return connection.execute(sql).fetchall()


def test_amounts_are_exact_text_and_times_are_microseconds(
    sqlite_storage: SqliteStorage, db_path: Path
) -> None:
    """An amount is stored as its Decimal text (never a REAL), ``at`` as INTEGER
    microseconds since the epoch, like every other amount and time of the schema."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.credit.append(entry("grant:1", "24.990"))
        uow.commit()
    stored = rows(db_path, "SELECT amount, typeof(amount), at, typeof(at) FROM store_credit")
    micros = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert stored == [("24.990", "text", micros, "integer")]


def test_seq_numbers_entries_in_the_order_they_were_appended(
    sqlite_storage: SqliteStorage, db_path: Path
) -> None:
    """``seq`` follows the appends across holders and units, whatever ``at`` says; a
    refused or duplicate entry takes no number."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.credit.append(entry("b", "5.00", minutes=9))
        uow.credit.append(entry("a", "5.00", "pekka@esimerkki.fi", minutes=1))
        uow.commit()
    with sqlite_storage.unit_of_work(write=True) as uow:
        assert not uow.credit.append(entry("b", "5.00"))
        uow.credit.append(entry("c", "-5.00", minutes=0))
        uow.commit()
    assert rows(db_path, "SELECT seq, entry_id FROM store_credit ORDER BY seq") == [
        (1, "b"),
        (2, "a"),
        (3, "c"),
    ]


def test_document_content_is_a_blob(sqlite_storage: SqliteStorage, db_path: Path) -> None:
    """Content is stored as a BLOB, byte for byte, never decoded as text."""
    content = b"\x00\xff%PDF\r\n\xc3("
    with sqlite_storage.unit_of_work(write=True) as uow:
        uow.documents.put(
            StoredDocument(
                "100001", "RMA-1001", LabelDocument("pdf", "application/pdf", "a.pdf", content)
            )
        )
        uow.commit()
    assert rows(db_path, "SELECT content, typeof(content), position FROM return_documents") == [
        (content, "blob", 0)
    ]
