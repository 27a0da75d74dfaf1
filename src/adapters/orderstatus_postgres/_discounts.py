"""The discount codes of a PostgreSQL unit's account store (a mixin of its ``Accounts``),
and the addresses of the account's linked orders.

Using a code is one conditional ``UPDATE ... WHERE used_at IS NULL AND revoked_at IS
NULL`` under read committed: of two checkouts racing, the second's update waits for the
first's row lock and, once it commits, finds the row used and changes nothing (SECURITY
G2); the service then reads the row again, in a new statement that sees the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from orderstatus_core import ConflictError, DiscountCode, Money
from orderstatus_core.model.order import utc
from orderstatus_postgres._rows import storable
from orderstatus_sql import discounts as portable

if TYPE_CHECKING:
    from orderstatus_postgres.storage import PostgresUnitOfWork

__all__ = ["DiscountCodeRows"]

_MAX_LIMIT: Final = 2**62


def _same(value: Any) -> Any:
    return value


class DiscountCodeRows:
    """The discount-code methods of :class:`~orderstatus_core.ports.AccountStore`."""

    _unit: PostgresUnitOfWork

    def _asks(self, *keys: object, write: bool = False) -> bool:
        """Whether every key is text PostgreSQL can hold; when not, the unit is still
        checked (open, writable for a ``write``) and the caller answers "nothing", as
        the memory reference does."""
        if all(storable(key) for key in keys):
            return True
        if write:
            self._unit._require_writable()
        else:
            self._unit._require_open()
        return False

    def put_discount_code(self, code: DiscountCode) -> None:
        """Store a new code; a code text stored already raises :class:`ConflictError` (the
        transaction goes on: the insert does nothing on the conflict)."""
        row = portable.code_row(code, _same, _same)
        doing = "issuing a discount code"
        if self._unit._run(portable.PUT_CODE, row, doing, write=True).rowcount != 1:
            raise ConflictError("a discount code with this text is stored")

    def discount_code(self, code: str) -> DiscountCode | None:
        """The code stored as exactly ``code``, or ``None``."""
        if not self._asks(code):
            return None
        row = self._unit._run(portable.GET_CODE, (code,), "reading a discount code").fetchone()
        return None if row is None else portable.discount_code(row, utc)

    def discount_codes(self, account_id: str, limit: int) -> Sequence[DiscountCode]:
        """The account's ``limit`` newest codes."""
        if limit <= 0 or not self._asks(account_id):
            self._unit._require_open()
            return []
        parameters = (account_id, min(limit, _MAX_LIMIT))
        rows = self._unit._run(portable.CODES_OF, parameters, "listing discount codes").fetchall()
        return [portable.discount_code(row, utc) for row in rows]

    def count_open_codes(self, account_id: str, now: datetime) -> int:
        """How many of the account's codes are open at ``now``."""
        if not self._asks(account_id):
            return 0
        doing = "counting open discount codes"
        row = self._unit._run(portable.COUNT_OPEN_CODES, (account_id, now), doing).fetchone()
        return 0 if row is None else int(row[0])

    def use_discount_code(
        self, code: str, account_id: str, order_reference: str, discount: Money, at: datetime
    ) -> bool:
        """Use the code if it is the account's, open at ``at``; whether this call did."""
        if not self._asks(code, account_id, write=True):
            return False
        parameters = (
            at,
            order_reference,
            discount.currency,
            discount.amount,
            code,
            account_id,
            at,
        )
        doing = "using a discount code"
        return self._unit._run(portable.USE_CODE, parameters, doing, write=True).rowcount == 1

    def revoke_discount_code(self, code: str, at: datetime) -> bool:
        """Revoke the code unless used or revoked; whether this call did."""
        if not self._asks(code, write=True):
            return False
        doing = "revoking a discount code"
        return self._unit._run(portable.REVOKE_CODE, (at, code), doing, write=True).rowcount == 1

    def forget_discount_codes(self, account_id: str) -> int:
        """Delete the account's unused codes, detach its used ones; how many rows."""
        if not self._asks(account_id, write=True):
            return 0
        doing = "forgetting an account's discount codes"
        return sum(
            self._unit._run(sql, (account_id,), doing, write=True).rowcount
            for sql in (portable.FORGET_UNUSED_CODES, portable.DETACH_USED_CODES)
        )

    def linked_email_keys(self, account_id: str) -> Sequence[str]:
        """The email keys of the account's stored linked orders, each once, ascending."""
        if not self._asks(account_id):
            return []
        doing = "reading the addresses of an account's orders"
        rows = self._unit._run(portable.LINKED_EMAIL_KEYS, (account_id,), doing).fetchall()
        return [key for (key,) in rows]
