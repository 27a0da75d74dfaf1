"""The discount codes of a SQLite unit's account store (a mixin of its ``Accounts``), and
the addresses of the account's linked orders. A write unit holds SQLite's write lock from
``BEGIN IMMEDIATE``, so a code's read, decision and conditional update are never
interleaved with another unit's; the ``WHERE used_at IS NULL`` of the update still decides
alone (SECURITY G2)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from orderstatus_core import ConflictError, DiscountCode, Money
from orderstatus_sql import discounts as portable
from orderstatus_sql.statements import qmark
from orderstatus_sql.values import encodable
from orderstatus_sqlite._rows import instant, micros

if TYPE_CHECKING:
    from orderstatus_sqlite.storage import SqliteUnitOfWork

__all__ = ["DiscountCodeRows"]

_PUT: Final = qmark(portable.PUT_CODE)
_GET: Final = qmark(portable.GET_CODE)
_CODES_OF: Final = qmark(portable.CODES_OF)
_COUNT_OPEN: Final = qmark(portable.COUNT_OPEN_CODES)
_USE: Final = qmark(portable.USE_CODE)
_REVOKE: Final = qmark(portable.REVOKE_CODE)
_FORGET_UNUSED: Final = qmark(portable.FORGET_UNUSED_CODES)
_DETACH_USED: Final = qmark(portable.DETACH_USED_CODES)
_LINKED_EMAIL_KEYS: Final = qmark(portable.LINKED_EMAIL_KEYS)
# SQLite integers are 64-bit; larger Python ints would fail to bind.
_MAX_LIMIT: Final = 2**62


def _row(cursor: sqlite3.Cursor) -> DiscountCode | None:
    row = cursor.fetchone()
    return None if row is None else portable.discount_code(row, instant)


def _rows(cursor: sqlite3.Cursor) -> list[DiscountCode]:
    return [portable.discount_code(row, instant) for row in cursor.fetchall()]


def _count(cursor: sqlite3.Cursor) -> int:
    return cursor.rowcount


class DiscountCodeRows:
    """The discount-code methods of :class:`~orderstatus_core.ports.AccountStore`."""

    _unit: SqliteUnitOfWork

    def put_discount_code(self, code: DiscountCode) -> None:
        """Store a new code; a code text stored already raises :class:`ConflictError`."""
        row = portable.code_row(code, micros, str)
        if self._unit._fetch(_count, _PUT, row, "issuing a discount code", write=True) != 1:
            raise ConflictError("a discount code with this text is stored")

    def discount_code(self, code: str) -> DiscountCode | None:
        """The code stored as exactly ``code``, or ``None``."""
        if not encodable(code):
            self._unit._reading()
            return None
        return self._unit._fetch(_row, _GET, (code,), "reading a discount code")

    def discount_codes(self, account_id: str, limit: int) -> Sequence[DiscountCode]:
        """The account's ``limit`` newest codes."""
        if limit <= 0 or not encodable(account_id):
            self._unit._reading()
            return []
        parameters = (account_id, min(limit, _MAX_LIMIT))
        return self._unit._fetch(_rows, _CODES_OF, parameters, "listing discount codes")

    def count_open_codes(self, account_id: str, now: datetime) -> int:
        """How many of the account's codes are open at ``now``."""
        if not encodable(account_id):
            self._unit._reading()
            return 0
        parameters = (account_id, micros(now))
        (count,) = self._unit._fetch(
            sqlite3.Cursor.fetchone, _COUNT_OPEN, parameters, "counting open discount codes"
        )
        return int(count)

    def use_discount_code(
        self, code: str, account_id: str, order_reference: str, discount: Money, at: datetime
    ) -> bool:
        """Use the code if it is the account's, open at ``at``; whether this call did."""
        unit = self._unit
        unit._writing()
        if not (encodable(code) and encodable(account_id)):
            return False
        moment = micros(at)
        parameters = (
            moment,
            order_reference,
            discount.currency,
            str(discount.amount),
            code,
            account_id,
            moment,
        )
        return unit._fetch(_count, _USE, parameters, "using a discount code", write=True) == 1

    def revoke_discount_code(self, code: str, at: datetime) -> bool:
        """Revoke the code unless used or revoked; whether this call did."""
        unit = self._unit
        unit._writing()
        if not encodable(code):
            return False
        parameters = (micros(at), code)
        return unit._fetch(_count, _REVOKE, parameters, "revoking a discount code", write=True) == 1

    def forget_discount_codes(self, account_id: str) -> int:
        """Delete the account's unused codes, detach its used ones; how many rows."""
        unit = self._unit
        unit._writing()
        if not encodable(account_id):
            return 0
        doing = "forgetting an account's discount codes"
        return sum(
            unit._fetch(_count, sql, (account_id,), doing, write=True, partial=True)
            for sql in (_FORGET_UNUSED, _DETACH_USED)
        )

    def linked_email_keys(self, account_id: str) -> Sequence[str]:
        """The email keys of the account's stored linked orders, each once, ascending."""
        if not encodable(account_id):
            self._unit._reading()
            return []
        rows = self._unit._fetch(
            sqlite3.Cursor.fetchall,
            _LINKED_EMAIL_KEYS,
            (account_id,),
            "reading the addresses of an account's orders",
        )
        return [key for (key,) in rows]
