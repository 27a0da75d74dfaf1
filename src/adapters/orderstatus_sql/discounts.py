"""Discount codes and the account's proven addresses, as both SQL adapters store and read
them: the statements (PostgreSQL's ``%s`` style; SQLite's adapter runs them through
:func:`~orderstatus_sql.statements.qmark`) and the row of a code.

Using a code is one conditional ``UPDATE ... WHERE used_at IS NULL AND revoked_at IS NULL``:
the database's row lock (PostgreSQL, read committed: the second update waits, then finds
the row used and changes nothing) or its write lock (SQLite's ``BEGIN IMMEDIATE``) makes
exactly one of two racing checkouts change the row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from orderstatus_core.model import Money, restorer
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_sql.rows import UNREADABLE, unreadable

__all__ = [
    "CODES_OF",
    "COUNT_OPEN_CODES",
    "CREDIT_BALANCE_ROWS",
    "DETACH_USED_CODES",
    "FORGET_UNUSED_CODES",
    "GET_CODE",
    "LINKED_EMAIL_KEYS",
    "PUT_CODE",
    "REVOKE_CODE",
    "USE_CODE",
    "code_row",
    "discount_code",
    "summed_balances",
]

_COLUMNS: Final = """code, account_id, currency, amount, percent, issued_at, expires_at,
    used_at, order_reference, discount_currency, discount_amount, revoked_at"""

# A code text taken already inserts nothing: the adapter turns the row count into a
# ConflictError without aborting the transaction (PostgreSQL) or raising mid-unit (SQLite).
PUT_CODE: Final = f"""
INSERT INTO discount_codes ({_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (code) DO NOTHING"""  # noqa: S608 -- constant column names, bound values

GET_CODE: Final = f"SELECT {_COLUMNS} FROM discount_codes WHERE code = %s"  # noqa: S608

# discount_codes_by_account serves the order and the limit.
CODES_OF: Final = f"""
SELECT {_COLUMNS} FROM discount_codes WHERE account_id = %s
ORDER BY issued_at DESC, code DESC
LIMIT %s"""  # noqa: S608

COUNT_OPEN_CODES: Final = """
SELECT count(*) FROM discount_codes
WHERE account_id = %s AND used_at IS NULL AND revoked_at IS NULL AND expires_at >= %s"""

# The one statement that uses a code: parameters used_at, order_reference,
# discount_currency, discount_amount, then code, account_id and the time again.
USE_CODE: Final = """
UPDATE discount_codes
   SET used_at = %s, order_reference = %s, discount_currency = %s, discount_amount = %s
 WHERE code = %s AND account_id = %s
   AND used_at IS NULL AND revoked_at IS NULL AND expires_at >= %s"""

REVOKE_CODE: Final = """
UPDATE discount_codes SET revoked_at = %s
 WHERE code = %s AND used_at IS NULL AND revoked_at IS NULL"""

# An account's deletion: what was never used goes; a used code stays for the store's
# accounting, no longer the account's.
FORGET_UNUSED_CODES: Final = "DELETE FROM discount_codes WHERE account_id = %s AND used_at IS NULL"
DETACH_USED_CODES: Final = "UPDATE discount_codes SET account_id = NULL WHERE account_id = %s"

# order_links_by_account finds the account's links; each order by its primary key.
LINKED_EMAIL_KEYS: Final = """
SELECT DISTINCT o.email_key FROM order_links AS k
JOIN orders AS o ON o.number = k.order_number
WHERE k.account_id = %s
ORDER BY o.email_key"""

# Summed by the adapter in Decimal (SQLite's sum() of TEXT is a float); the store_credit_
# balance index on (holder, currency, amount) answers it alone.
CREDIT_BALANCE_ROWS: Final = """
SELECT currency, amount FROM store_credit WHERE holder = %s ORDER BY currency"""


def code_row(
    code: DiscountCode, moment: Callable[[datetime], Any], amount: Callable[[Decimal], Any]
) -> tuple[Any, ...]:
    """The columns of ``code`` in ``_COLUMNS`` order, instants stored by ``moment`` and
    amounts by ``amount`` (each adapter's own form)."""
    worth, discount = code.amount, code.discount
    return (
        code.code,
        code.account_id,
        None if worth is None else worth.currency,
        None if worth is None else amount(worth.amount),
        code.percent,
        moment(code.issued_at),
        moment(code.expires_at),
        None if code.used_at is None else moment(code.used_at),
        code.order_reference,
        None if discount is None else discount.currency,
        None if discount is None else amount(discount.amount),
        None if code.revoked_at is None else moment(code.revoked_at),
    )


_RESTORE_CODE: Final = restorer(DiscountCode)
_RESTORE_MONEY: Final = restorer(Money)


def _money(amount: Any, currency: str) -> Money:
    # Stored only from a valid Money: rebuilt without validating again (the exact
    # Decimal of SQLite's text, or PostgreSQL's numeric as it is).
    return _RESTORE_MONEY(amount if isinstance(amount, Decimal) else Decimal(amount), currency)


def discount_code(row: Sequence[Any], instant: Callable[[Any], datetime]) -> DiscountCode:
    """The code of a stored row (``_COLUMNS`` order), instants read by ``instant``; rebuilt
    without validating again (:func:`~orderstatus_core.model.restorer`: only valid codes
    are stored). A row it cannot read (a time or an amount that is no number) is
    :class:`~orderstatus_core.errors.AdapterError`, named without its code."""
    try:
        return _restored_code(row, instant)
    except UNREADABLE as error:
        raise unreadable("a discount code", error) from error


def _restored_code(row: Sequence[Any], instant: Callable[[Any], datetime]) -> DiscountCode:
    (
        text,
        account_id,
        currency,
        worth,
        percent,
        issued_at,
        expires_at,
        used_at,
        reference,
        discount_currency,
        discount,
        revoked_at,
    ) = row
    return _RESTORE_CODE(
        text,
        account_id,
        None if worth is None else _money(worth, currency),
        percent,
        instant(issued_at),
        instant(expires_at),
        None if used_at is None else instant(used_at),
        reference,
        None if discount is None else _money(discount, discount_currency),
        None if revoked_at is None else instant(revoked_at),
    )


def summed_balances(rows: Sequence[Sequence[Any]]) -> list[Money]:
    """The balance per currency of ``CREDIT_BALANCE_ROWS``'s rows (ordered by currency)."""
    totals: dict[str, Decimal] = {}
    for currency, amount in rows:
        totals[currency] = totals.get(currency, Decimal(0)) + Decimal(amount)
    return [Money(total, currency) for currency, total in totals.items()]
