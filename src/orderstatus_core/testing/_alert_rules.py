"""The availability-alert rules of the account state machine
(:class:`~orderstatus_core.testing.accounts.AccountMachine`), kept apart to keep each
module readable: the shopper watches and unwatches parts (typed in two spellings of one
key), reads the list, and the store reports a part back in stock, which must mail the
account's current address once, in its preferred language of that moment (the preference
rules change it between watch and report), if it watched the part, and nothing otherwise.

Part numbers carry the run's number (``R7X2``), so runs sharing one storage never watch
the same part.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule

from orderstatus_core.app import OrderStatus
from orderstatus_core.contacts import email_key
from orderstatus_core.messages import PartBackInStockMail
from orderstatus_core.model.identifiers import part_number_key
from orderstatus_core.ports import Storage
from orderstatus_core.services.alert_results import (
    PartAlertsSent,
    PartNotWatched,
    PartWatched,
    PartWatches,
    WatchRemoved,
)

if TYPE_CHECKING:
    from orderstatus_core.testing.accounts import _Model, _Session

__all__ = ["AlertRules"]

#: Parts a run plays with (well under the policy's bound of 50: the service tests reach it).
_PARTS = 4
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


class AlertRules:
    """Rules and an invariant mixed into the account machine; they use its model
    (``watches``: part key to the part number as first typed) and its sessions."""

    storage: Storage
    desk: OrderStatus
    model: _Model
    run: int
    sessions: list[_Session]
    account_ids: set[str]

    if TYPE_CHECKING:

        def _as_shopper(
            self, pick: int, command: str, *arguments: object, **options: object
        ) -> object: ...

    def _part(self, part: int, retyped: bool) -> str:
        """One of the run's parts, as a catalogue writes it or as a shopper retypes it."""
        return f"r{self.run} x {part}" if retyped else f"R{self.run}X-{part}"

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), part=st.integers(0, _PARTS - 1), retyped=st.booleans())
    def watch_a_part(self, pick: int, part: int, retyped: bool) -> None:
        """Watch a part: once per key, the first spelling kept."""
        typed = self._part(part, retyped)
        answered = self._as_shopper(pick, "watch_part", typed)
        if answered is None:
            return
        key = part_number_key(typed)
        already = key in self.model.watches
        assert answered == PartWatched(part_number=typed, already=already), answered
        self.model.watches.setdefault(key, typed)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), part=st.integers(0, _PARTS - 1), retyped=st.booleans())
    def unwatch_a_part(self, pick: int, part: int, retyped: bool) -> None:
        """Stop watching a part, in either spelling (or one not watched)."""
        typed = self._part(part, retyped)
        answered = self._as_shopper(pick, "unwatch_part", typed)
        if answered is None:
            return
        if self.model.watches.pop(part_number_key(typed), None) is None:
            assert answered == PartNotWatched(), answered
        else:
            assert answered == WatchRemoved(part_number=typed), answered

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def list_the_watches(self, pick: int) -> None:
        """The shopper's list is the model's, oldest first."""
        answered = self._as_shopper(pick, "part_watches")
        if answered is None:
            return
        assert isinstance(answered, PartWatches), answered
        listed = {watch.part_key: watch.part_number.display for watch in answered.watches}
        assert listed == self.model.watches, (listed, self.model.watches)

    @rule(part=st.integers(0, _PARTS - 1), retyped=st.booleans())
    def the_part_comes_back_in_stock(self, part: int, retyped: bool) -> None:
        """The store reports a part back in stock: one alert to the account's current
        address, in its current preferred language, if it watched the part, none otherwise
        (and none on a second report)."""
        typed = self._part(part, retyped)
        answered = self.desk.catalog.part_back_in_stock(typed)
        watched = self.model.watches.pop(part_number_key(typed), None)
        model = self.model
        expected = [] if watched is None else [(model.email, watched, model.language)]
        assert answered == PartAlertsSent(part_number=typed, alerts=len(expected)), answered
        mailed = [
            (mail.to.display, mail.part_number, mail.language) for mail in self._alerts_mailed()
        ]
        assert mailed == expected, (mailed, expected)

    def _alerts_mailed(self) -> Sequence[PartBackInStockMail]:
        """This run's queued alerts, marked sent (the other rules read their own mail)."""
        suffix = f".{self.run}@example.com"
        mailed = []
        with self.storage.unit_of_work(write=True) as uow:
            for message in uow.outbox.due(_END_OF_TIME, 10_000):
                intent = message.intent
                if isinstance(intent, PartBackInStockMail) and intent.to.display.endswith(suffix):
                    mailed.append(intent)
                    uow.outbox.mark_sent(message.message_id, message.created_at)
            uow.commit()
        return mailed

    @invariant()
    def the_stored_watches_are_the_models(self) -> None:
        """The live account's watches are the model's; a deleted account keeps none."""
        with self.storage.unit_of_work() as uow:
            account = uow.accounts.by_email(email_key(self.model.email) or "")
            live = account.account_id if account is not None and account.is_live else None
            if live is not None:
                self.account_ids.add(live)
                stored = {
                    watch.part_key: watch.part_number.display
                    for watch in uow.accounts.part_watches(live)
                }
                assert stored == self.model.watches, (stored, self.model.watches)
            else:
                assert self.model.watches == {}, self.model.watches
            for gone in self.account_ids - {live}:
                assert list(uow.accounts.part_watches(gone)) == [], gone
