"""SECURITY G2 on SQLite: eight threads spending one shopper's store credit at once never
take it below zero (a write unit holds the write lock from ``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from orderstatus_sqlite import SqliteStorage
from support.credit_race import (
    HOLDER,
    check_exactly_three_spends,
    race_spends,
    running_totals_never_negative,
)


def test_eight_spenders_of_thirty_in_credit_get_exactly_three_spends(tmp_path: Path) -> None:
    """30.00 of credit, eight spends of 10.00 released together on a database file: three
    succeed, five are refused with InsufficientCreditError, and the balance ends at zero."""
    path = tmp_path / "credit.db"
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    try:
        storage.migrate()
        race = race_spends(storage)
    finally:
        storage.close()
    check_exactly_three_spends(race)
    with closing(sqlite3.connect(path)) as connection, connection:
        rows = connection.execute(
            "SELECT amount FROM store_credit WHERE holder = ? ORDER BY seq", (HOLDER,)
        ).fetchall()
    assert len(rows) == 4
    assert running_totals_never_negative([amount for (amount,) in rows])
