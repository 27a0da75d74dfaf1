"""Discount codes issued to an account (DOMAIN.md section 2, issue 14 item 4).

* a code is text of the readable alphabet :data:`CODE_ALPHABET` (Crockford's base 32: the
  digits and the capitals without I, L, O and U, so nobody reads a 1 for an I or a 0 for an
  O), drawn by the service from :mod:`secrets`, at least :data:`MIN_CODE_LENGTH`
  characters (65 bits);
* :func:`read_code` turns what a shopper or a checkout typed into the stored form (upper
  case, without the dashes and spaces of :func:`show_code`) or raises;
* a :class:`DiscountCode` is worth an amount of money or a percent of the subtotal, expires,
  and is used once (for one order reference), or revoked by staff before that.

Pure values, like the rest of the model: the service draws codes and reads the clock.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import attrs

from orderstatus_core.errors import FieldTooLongError, InvalidFieldError
from orderstatus_core.model._checks import optional_utc, utc
from orderstatus_core.model.account import _account_id
from orderstatus_core.model.money import Money

__all__ = [
    "CODE_ALPHABET",
    "MAX_CODE_LENGTH",
    "MIN_CODE_LENGTH",
    "CodeStatus",
    "DiscountCode",
    "check_reference",
    "check_worth",
    "read_code",
    "show_code",
]

#: The characters of a code: Crockford's base 32 (5 bits each; no I, L, O or U).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: The shortest code: 13 characters carry 65 random bits (at least 64, issue 14).
MIN_CODE_LENGTH = 13
#: The longest code the store may choose.
MAX_CODE_LENGTH = 32
# A typed code longer than this is refused before any other check (SECURITY H3): a code of
# the longest length, shown in groups of four with dashes, fits with room for spaces.
_MAX_TYPED = 64
_LETTERS = frozenset(CODE_ALPHABET)
_GROUP = 4
# What a shopper types between the groups; only ASCII, so a look-alike dash is refused.
_SEPARATORS = str.maketrans("", "", "- ")
_MAX_REFERENCE = 64
_REFERENCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def read_code(typed: object, field: str = "code") -> str:
    """The stored form of a typed code: ASCII letters upper-cased, the dashes and spaces of
    :func:`show_code` dropped.

    Raises :class:`~orderstatus_core.errors.InvalidFieldError` for text that is no code
    (a character outside :data:`CODE_ALPHABET`, a look-alike such as fullwidth or Cyrillic
    letters included, or a length outside 13 to 32) and
    :class:`~orderstatus_core.errors.FieldTooLongError` for more than 64 characters. A code
    of the right shape that was never issued is no error: it is the checkout's
    ``CodeNotFound``.

    >>> read_code("abcd-efgh-jkmn-pqrs")
    'ABCDEFGHJKMNPQRS'
    """
    if not isinstance(typed, str):
        raise InvalidFieldError(field, f"must be text, not {type(typed).__name__}")
    if len(typed) > _MAX_TYPED:
        raise FieldTooLongError(field, f"must be at most {_MAX_TYPED} characters")
    # Only ASCII is upper-cased: a fullwidth or look-alike letter stays refused below.
    text = typed.translate(_SEPARATORS)
    text = text.upper() if text.isascii() else text
    if not _LETTERS.issuperset(text):
        raise InvalidFieldError(
            field, "is no discount code: a code has only 0 to 9 and A to Z without I, L, O, U"
        )
    if not MIN_CODE_LENGTH <= len(text) <= MAX_CODE_LENGTH:
        raise InvalidFieldError(
            field,
            f"is no discount code: a code has {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} characters",
        )
    return text


def show_code(code: str) -> str:
    """``code`` in groups of four joined by dashes, as a page or a mail prints it.

    >>> show_code("ABCDEFGHJKMNPQRS")
    'ABCD-EFGH-JKMN-PQRS'
    """
    return "-".join(code[i : i + _GROUP] for i in range(0, len(code), _GROUP))


class CodeStatus(enum.StrEnum):
    """Where a code stands at a moment."""

    #: It can be redeemed.
    OPEN = "open"
    #: It was redeemed for an order.
    USED = "used"
    #: Its lifetime ended before it was used (valid up to and including ``expires_at``).
    EXPIRED = "expired"
    #: Staff withdrew it before it was used.
    REVOKED = "revoked"


def _code(_instance: object, attribute: Any, value: Any) -> None:
    if read_code(value, attribute.name) != value:
        raise InvalidFieldError(attribute.name, "must be a code in its stored form (read_code)")


def _optional_account_id(instance: object, attribute: Any, value: Any) -> None:
    if value is not None:
        _account_id(instance, attribute, value)


def check_worth(amount: object, percent: object) -> None:
    """Refuse what a code cannot be worth: exactly one of ``amount`` (positive
    :class:`~orderstatus_core.model.Money`) and ``percent`` (a whole number from 1 to 100)."""
    if (amount is None) == (percent is None):
        raise InvalidFieldError("amount", "a code is worth an amount or a percent, exactly one")
    if amount is not None and (not isinstance(amount, Money) or amount.amount <= 0):
        raise InvalidFieldError("amount", "must be positive Money")
    if percent is not None and (
        isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100
    ):
        raise InvalidFieldError("percent", "must be a whole percent from 1 to 100")


def check_reference(value: object, field: str = "order_reference") -> str:
    """``value`` if it can be an order reference: 1 to 64 ASCII letters, digits, - or _."""
    if (
        not isinstance(value, str)
        or not 1 <= len(value) <= _MAX_REFERENCE
        or not _REFERENCE_CHARS.issuperset(value)
    ):
        raise InvalidFieldError(field, "must be 1 to 64 letters, digits, - or _")
    return value


def _reference(_instance: object, attribute: Any, value: Any) -> None:
    if value is not None:
        check_reference(value, attribute.name)


def _non_negative_money(_instance: object, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, Money) or value.is_negative):
        raise InvalidFieldError(attribute.name, "must be Money, not negative")


@attrs.frozen
class DiscountCode:
    """A discount code issued to an account: worth ``amount`` (Money) or ``percent`` of
    the subtotal (exactly one of the two), valid up to and including ``expires_at``.

    Once used, ``used_at``, ``order_reference`` (the store's checkout or order id) and
    ``discount`` (what it took off that order) are set together; a revoked code has
    ``revoked_at`` instead. ``account_id`` is ``None`` only for a used code kept for the
    store's accounting after its account was deleted.

    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> month = now + timedelta(days=30)
    >>> code = DiscountCode("ABCDEFGHJKMNPQRS", "acct-0001", None, 10, now, month)
    >>> code.discount_on(Money("59.99", "EUR"))
    Money(amount=Decimal('5.99'), currency='EUR')
    >>> code.status(now + timedelta(days=30)), code.status(now + timedelta(days=30, seconds=1))
    (<CodeStatus.OPEN: 'open'>, <CodeStatus.EXPIRED: 'expired'>)
    """

    code: str = attrs.field(validator=_code)
    account_id: str | None = attrs.field(validator=_optional_account_id)
    amount: Money | None
    percent: int | None
    issued_at: datetime = attrs.field(converter=utc)
    expires_at: datetime = attrs.field(converter=utc)
    used_at: datetime | None = attrs.field(default=None, converter=optional_utc)
    order_reference: str | None = attrs.field(default=None, validator=_reference)
    discount: Money | None = attrs.field(default=None, validator=_non_negative_money)
    revoked_at: datetime | None = attrs.field(default=None, converter=optional_utc)

    def __attrs_post_init__(self) -> None:
        check_worth(self.amount, self.percent)
        if self.expires_at <= self.issued_at:
            raise InvalidFieldError("expires_at", "must be after issued_at")
        used = (self.used_at, self.order_reference, self.discount)
        if any(part is None for part in used) and any(part is not None for part in used):
            raise InvalidFieldError("used_at", "a used code has its time, reference and discount")
        if self.used_at is not None and self.revoked_at is not None:
            raise InvalidFieldError("revoked_at", "a used code cannot be revoked")
        if self.account_id is None and self.used_at is None:
            raise InvalidFieldError("account_id", "only a used code is kept without its account")

    @property
    def shown(self) -> str:
        """The code as a page prints it (:func:`show_code`)."""
        return show_code(self.code)

    def status(self, now: datetime) -> CodeStatus:
        """Used, revoked, expired (``now`` after ``expires_at``) or open, in that order."""
        if self.used_at is not None:
            return CodeStatus.USED
        if self.revoked_at is not None:
            return CodeStatus.REVOKED
        if now > self.expires_at:
            return CodeStatus.EXPIRED
        return CodeStatus.OPEN

    def discount_on(self, subtotal: Money) -> Money | None:
        """What the code takes off ``subtotal``: its amount, at most the subtotal; or its
        percent of the subtotal rounded down to the subtotal's smallest unit (cents), so the
        store never gives more than it promised. ``None`` when an amount code is in another
        currency than the subtotal."""
        if self.amount is not None:
            if self.amount.currency != subtotal.currency:
                return None
            return self.amount if self.amount <= subtotal else subtotal
        assert self.percent is not None
        exponent = subtotal.amount.as_tuple().exponent
        unit = Decimal(1).scaleb(min(exponent, -2) if isinstance(exponent, int) else -2)
        share = (subtotal.amount * self.percent / 100).quantize(unit, rounding=ROUND_DOWN)
        return Money(share, subtotal.currency)
