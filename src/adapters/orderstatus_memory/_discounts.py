"""The discount codes of the memory storage's account store (a mixin of its ``_Accounts``):
every code by its text, and each account's codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from orderstatus_core import ConflictError, DiscountCode, Money
from orderstatus_core.model.order import utc

__all__ = ["DiscountCodeShelf"]


class _Work(Protocol):
    discount_codes: dict[str, DiscountCode]
    codes_by_account: dict[str, frozenset[str]]


class _Unit(Protocol):
    @property
    def work(self) -> _Work: ...

    def check_writable(self) -> None: ...


def _newest_first(code: DiscountCode) -> tuple[datetime, str]:
    return (code.issued_at, code.code)


class DiscountCodeShelf:
    """The discount-code methods of :class:`~orderstatus_core.ports.AccountStore`. The unit
    holds the only writer's lock, so each check-and-write is atomic."""

    _unit: _Unit

    def put_discount_code(self, code: DiscountCode) -> None:
        self._unit.check_writable()
        work = self._unit.work
        if code.code in work.discount_codes:
            raise ConflictError("a discount code with this text is stored")
        # Kept in UTC, as a database keeps instants.
        code = attrs.evolve(code, issued_at=utc(code.issued_at), expires_at=utc(code.expires_at))
        work.discount_codes[code.code] = code
        if code.account_id is not None:
            held = work.codes_by_account.get(code.account_id, frozenset())
            work.codes_by_account[code.account_id] = held | {code.code}

    def discount_code(self, code: str) -> DiscountCode | None:
        return self._unit.work.discount_codes.get(code) if isinstance(code, str) else None

    def _held(self, account_id: object) -> list[DiscountCode]:
        work = self._unit.work
        if not isinstance(account_id, str):
            return []
        texts = work.codes_by_account.get(account_id, frozenset())
        return [work.discount_codes[text] for text in texts]

    def discount_codes(self, account_id: str, limit: int) -> Sequence[DiscountCode]:
        if limit <= 0:
            return []
        return sorted(self._held(account_id), key=_newest_first, reverse=True)[:limit]

    def count_open_codes(self, account_id: str, now: datetime) -> int:
        return sum(
            1
            for code in self._held(account_id)
            if code.used_at is None and code.revoked_at is None and code.expires_at >= now
        )

    def use_discount_code(
        self, code: str, account_id: str, order_reference: str, discount: Money, at: datetime
    ) -> bool:
        self._unit.check_writable()
        stored = self.discount_code(code)
        if (
            stored is None
            or stored.account_id != account_id
            or stored.used_at is not None
            or stored.revoked_at is not None
            or stored.expires_at < at
        ):
            return False
        used = attrs.evolve(
            stored, used_at=utc(at), order_reference=order_reference, discount=discount
        )
        self._unit.work.discount_codes[stored.code] = used
        return True

    def revoke_discount_code(self, code: str, at: datetime) -> bool:
        self._unit.check_writable()
        stored = self.discount_code(code)
        if stored is None or stored.used_at is not None or stored.revoked_at is not None:
            return False
        self._unit.work.discount_codes[stored.code] = attrs.evolve(stored, revoked_at=utc(at))
        return True

    def forget_discount_codes(self, account_id: str) -> int:
        self._unit.check_writable()
        work = self._unit.work
        held = self._held(account_id)
        for code in held:
            if code.used_at is None:
                del work.discount_codes[code.code]
            else:  # kept for the store's accounting, no longer the account's
                work.discount_codes[code.code] = attrs.evolve(code, account_id=None)
        work.codes_by_account.pop(account_id, None)
        return len(held)
