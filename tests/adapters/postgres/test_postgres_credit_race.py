"""SECURITY G2 on PostgreSQL: eight threads spending one shopper's store credit at once
never take it below zero (``credit.append`` locks the holder's balance before reading it)."""

from __future__ import annotations

from orderstatus_postgres import PostgresStorage
from support.credit_race import (
    HOLDER,
    check_exactly_three_spends,
    race_spends,
    running_totals_never_negative,
)
from support.pg_helpers import admin_connection


def test_eight_spenders_of_thirty_in_credit_get_exactly_three_spends(
    pg_storage: PostgresStorage, pg_schema: str
) -> None:
    """30.00 of credit, eight spends of 10.00 released together, each on its own pooled
    connection: three succeed, five are refused with InsufficientCreditError (none gives up
    waiting), and the balance ends at zero."""
    check_exactly_three_spends(race_spends(pg_storage))
    with admin_connection(pg_schema) as connection:
        rows = connection.execute(
            "SELECT amount::text FROM store_credit WHERE holder = %s ORDER BY seq", (HOLDER,)
        ).fetchall()
    assert len(rows) == 4
    assert running_totals_never_negative([amount for (amount,) in rows])
