"""The discount-code steps of the account state machine (a part of
:class:`~orderstatus_core.testing.accounts.AccountMachine`): staff issue a code to the
shopper's address, the checkout redeems one (its own, an unknown one, for one of three
orders), staff revoke one, and the clock crosses a code's lifetime (valid at exactly
issued + lifetime, expired one second later). Each answer is compared with a small model;
after every step the account's stored codes are the model's, and a deleted account's
unused codes are gone (its used ones kept, no longer its own)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import AccountState
from orderstatus_core.model.money import Money
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.services.credit_results import (
    CodeAlreadyUsed,
    CodeExpired,
    CodeIssued,
    CodeNotFound,
    CodeRevoked,
    DiscountApplied,
    NoSuchAccount,
    TooManyCodes,
)

if TYPE_CHECKING:
    from orderstatus_core.app import OrderStatus
    from orderstatus_core.ports import Storage
    from orderstatus_core.testing.fakes import FixedClock

__all__ = ["CODE_LIFETIME", "DiscountSteps", "ModelCode"]

#: The lifetime staff give the machine's codes (short, so that runs cross it).
CODE_LIFETIME = timedelta(hours=1)
_MAX_OPEN = ProfilePolicy().max_discount_codes
_SUBTOTAL = Money("80.00", "USD")
_WORTH = {True: {"percent": 10}, False: {"amount": Money("5.00", "USD")}}
_DISCOUNT = {True: Money("8.00", "USD"), False: Money("5.00", "USD")}
_UNKNOWN = "0000000000000000"


@attrs.define
class ModelCode:
    """What a code of the shopper's account must be."""

    percent: bool
    expires_at: datetime
    #: The order it was used for, and when.
    used: tuple[str, datetime] | None = None
    revoked_at: datetime | None = None

    @property
    def used_for(self) -> str | None:
        """The order the code was used for, if any."""
        return None if self.used is None else self.used[0]


class DiscountSteps:
    """The discount-code rules; the machine provides what is declared here."""

    storage: Storage
    desk: OrderStatus
    clock: FixedClock
    account_ids: set[str]

    @property
    def codes(self) -> dict[str, ModelCode]:
        """The model's codes of the shopper's live account, by text."""
        return self.model.codes  # type: ignore[attr-defined, no-any-return]

    def _email_text(self) -> str:
        return self.model.email  # type: ignore[attr-defined, no-any-return]

    def _state(self) -> AccountState | None:
        return self.model.state  # type: ignore[attr-defined, no-any-return]

    def _open(self, now: datetime) -> int:
        return sum(
            1
            for code in self.codes.values()
            if code.used_for is None and code.revoked_at is None and now <= code.expires_at
        )

    @rule(percent=st.booleans())
    def issue_a_code(self, percent: bool) -> None:
        """Staff issue a code to the shopper's address: only a verified account gets one,
        at most the policy's number of open ones."""
        now = self.clock.now()
        email = parse_email(self._email_text())
        answered = self.desk.discounts.issue(email, lifetime=CODE_LIFETIME, **_WORTH[percent])  # type: ignore[arg-type]
        if self._state() is not AccountState.ACTIVE:
            assert answered == NoSuchAccount(), answered
            return
        if self._open(now) >= _MAX_OPEN:
            assert answered == TooManyCodes(limit=_MAX_OPEN), answered
            return
        assert isinstance(answered, CodeIssued), answered
        self.codes[answered.code.code] = ModelCode(percent, now + CODE_LIFETIME)
        self._mark()  # type: ignore[attr-defined]

    def _pick_code(self, which: int) -> str:
        texts = sorted(self.codes)
        return texts[which % len(texts)] if texts and which >= 0 else _UNKNOWN

    @rule(which=st.integers(-1, 5), order=st.integers(1, 3))
    def redeem_a_code(self, which: int, order: int) -> None:
        """The checkout redeems a code of the account (or an unknown one) for one of three
        orders: used once, the same answer for a repeat of its order."""
        text, now, reference = self._pick_code(which), self.clock.now(), f"order-{order}"
        email = parse_email(self._email_text())
        answered = self.desk.discounts.redeem(text, email, reference, _SUBTOTAL)
        code = self.codes.get(text)
        if code is None or self._state() is not AccountState.ACTIVE:
            assert answered == CodeNotFound(), answered
            return
        if code.used is not None:
            used_for, used_at = code.used
            if used_for == reference:
                assert answered == DiscountApplied(text, _DISCOUNT[code.percent], reference)
            else:
                assert answered == CodeAlreadyUsed(used_at=used_at), answered
            return
        if code.revoked_at is not None:
            assert answered == CodeRevoked(revoked_at=code.revoked_at), answered
            return
        if now > code.expires_at:
            assert answered == CodeExpired(expired_at=code.expires_at), answered
            return
        assert answered == DiscountApplied(text, _DISCOUNT[code.percent], reference), answered
        code.used = (reference, now)

    @rule(which=st.integers(-1, 5))
    def revoke_a_code(self, which: int) -> None:
        """Staff revoke a code: only an unused one, once (a repeat answers the first)."""
        text, now = self._pick_code(which), self.clock.now()
        answered = self.desk.discounts.revoke(text)
        code = self.codes.get(text)
        if code is None:
            # Unknown, or a deleted account's: its unused codes are gone, used ones kept.
            assert isinstance(answered, CodeNotFound | CodeAlreadyUsed), answered
            return
        if code.used is not None:
            assert answered == CodeAlreadyUsed(used_at=code.used[1]), answered
            return
        if code.revoked_at is None:
            code.revoked_at = now
        assert answered == CodeRevoked(revoked_at=code.revoked_at), answered

    @invariant()
    def the_storage_holds_the_models_codes(self) -> None:
        """The live account's stored codes are the model's; an account id this run's
        address held before (deleted) lists none."""
        with self.storage.unit_of_work() as uow:
            account = uow.accounts.by_email(parse_email(self._email_text()).canonical)
            live = account if account is not None and account.is_live else None
            if live is not None:
                stored = {
                    code.code: (code.order_reference, code.revoked_at, code.expires_at)
                    for code in uow.accounts.discount_codes(live.account_id, 500)
                }
                expected = {
                    text: (code.used_for, code.revoked_at, code.expires_at)
                    for text, code in self.codes.items()
                }
                assert stored == expected, (stored, expected)
            for gone in self.account_ids - ({live.account_id} if live else set()):
                assert list(uow.accounts.discount_codes(gone, 10)) == [], gone
