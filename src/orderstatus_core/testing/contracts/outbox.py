"""The conformance suite of the outbox: due, claim, mark sent or failed, dead letters (list,
retry, drop), purge, no kept secrets:
:class:`OutboxContract`, on the ``storage`` fixture.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.errors import AdapterError
from orderstatus_core.messages import (
    GuestPassMail,
    MailIntent,
    OutboxMessage,
    secrets_of,
    without_secrets,
)
from orderstatus_core.ports import Storage
from orderstatus_core.testing import strategies
from orderstatus_core.testing.contracts._support import (
    _END_OF_TIME,
    _PROPERTY,
    T0,
    StorageSuite,
    _due,
    _fresh,
    _list_mail,
    _message,
    _pass_mail,
    _pending,
    _queue,
)

__all__ = ["OutboxContract"]


class OutboxContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.Outbox` contract: messages due oldest first, leases,
    retries, dead letters, purges, and no secret kept once a message is delivered (SECURITY D5).

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    @_PROPERTY
    @given(message=strategies.outbox_messages())
    def test_any_outbox_message_is_read_back_equal(
        self, storage: Storage, message: OutboxMessage
    ) -> None:
        """Every field of an outbox message, its mail intent included, survives storing."""
        message = attrs.evolve(message, message_id=_fresh("RT"))
        _queue(storage, message)
        due = _due(storage, _END_OF_TIME, limit=10_000)
        (stored,) = [m for m in due if m.message_id == message.message_id]
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent(message.message_id, T0)
            uow.commit()
        assert stored == message
        if isinstance(message.intent, MailIntent):
            assert isinstance(stored.intent, MailIntent)
            assert stored.intent.to.display == message.intent.to.display

    def test_a_queued_message_is_due_after_commit(self, storage: Storage) -> None:
        """A message put and committed is due, equal to what was put."""
        message = _message("M1")
        _queue(storage, message)
        assert _due(storage, T0) == [message]

    def test_due_is_oldest_first_and_stops_at_limit(self, storage: Storage) -> None:
        """``due`` answers at most ``limit`` messages, oldest ``created_at`` first."""
        minute = timedelta(minutes=1)
        _queue(
            storage,
            _message("M2", T0 - minute),
            _message("M3", T0 - 3 * minute),
            _message("M1", T0 - 2 * minute),
            _message("M4", T0),
        )
        assert [m.message_id for m in _due(storage, T0, limit=3)] == ["M3", "M1", "M2"]

    def test_due_includes_a_retry_time_at_now_and_excludes_a_later_one(
        self, storage: Storage
    ) -> None:
        """A message is due when its ``next_attempt_at`` is unset or at or before ``now``."""
        second = timedelta(seconds=1)
        _queue(
            storage,
            _message("NOW", next_attempt_at=T0),
            _message("LATER", next_attempt_at=T0 + second),
            _message("UNSET"),
        )
        assert sorted(m.message_id for m in _due(storage, T0)) == ["NOW", "UNSET"]
        assert len(_due(storage, T0 + second)) == 3

    def test_a_sent_message_is_never_due_again(self, storage: Storage) -> None:
        """``mark_sent`` takes a message out of ``due`` and out of the pending count."""
        _queue(storage, _message("M1"), _message("M2"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("M1", T0)
            uow.commit()
        assert [m.message_id for m in _due(storage, T0 + timedelta(days=365))] == ["M2"]
        assert _pending(storage) == 1

    def test_a_claimed_message_is_not_due_again_until_its_lease_ends(
        self, storage: Storage
    ) -> None:
        """``claim`` takes due messages oldest first and leases them to one relay worker."""
        _queue(storage, _message("M1"), _message("M2"), _message("M3"))
        lease = T0 + timedelta(minutes=5)
        later = T0 + timedelta(days=365)
        with storage.unit_of_work(write=True) as uow:
            claimed = [m.message_id for m in uow.outbox.claim(later, 2, lease)]
            uow.commit()
        assert len(claimed) == 2
        assert [m.message_id for m in _due(storage, lease - timedelta(seconds=1))] == sorted(
            {"M1", "M2", "M3"} - set(claimed)
        )
        assert {m.message_id for m in _due(storage, lease)} == {"M1", "M2", "M3"}

    def test_workers_claiming_one_after_another_never_share_a_message(
        self, storage: Storage
    ) -> None:
        """Two claims in turn take disjoint batches until nothing is left."""
        _queue(storage, *(_message(f"W{i}") for i in range(5)))
        later = T0 + timedelta(days=365)
        taken: list[str] = []
        for _worker in range(4):
            with storage.unit_of_work(write=True) as uow:
                taken += [m.message_id for m in uow.outbox.claim(later, 2, _END_OF_TIME)]
                uow.commit()
        assert sorted(taken) == [f"W{i}" for i in range(5)]

    def test_an_uncommitted_claim_leases_nothing(self, storage: Storage) -> None:
        """A claim rolled back with its unit leaves the messages due."""
        _queue(storage, _message("M1"))
        later = T0 + timedelta(days=365)
        with storage.unit_of_work(write=True) as uow:
            assert len(uow.outbox.claim(later, 10, _END_OF_TIME)) == 1
        assert [m.message_id for m in _due(storage, later)] == ["M1"]

    def test_a_read_only_unit_refuses_claim(self, storage: Storage) -> None:
        """Leasing writes: a read-only unit refuses it."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            uow.outbox.claim(T0 + timedelta(days=1), 10, _END_OF_TIME)

    def test_a_failed_attempt_is_counted_and_retried_at_the_given_time(
        self, storage: Storage
    ) -> None:
        """``mark_failed`` adds one attempt, keeps the error and makes the message due at
        ``retry_at``, not before."""
        retry_at = T0 + timedelta(minutes=5)
        error = "451 try 'later'\nüñí"
        _queue(storage, _message("M1"))
        for _attempt in range(2):
            with storage.unit_of_work(write=True) as uow:
                uow.outbox.mark_failed("M1", error, retry_at)
                uow.commit()
        assert _due(storage, retry_at - timedelta(microseconds=1)) == []
        (message,) = _due(storage, retry_at)
        assert (message.attempts, message.next_attempt_at, message.last_error) == (
            2,
            retry_at,
            error,
        )
        assert _pending(storage) == 1

    def test_pending_count_counts_every_unsent_message(self, storage: Storage) -> None:
        """Fresh and failed messages are pending; sent ones are not."""
        assert _pending(storage) == 0
        _queue(storage, _message("M1"), _message("M2"), _message("M3"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_failed("M1", "down", T0 + timedelta(hours=1))
            uow.outbox.mark_sent("M2", T0)
            uow.commit()
        assert _pending(storage) == 2

    def test_a_delivered_guest_pass_mail_keeps_no_code_or_link(self, storage: Storage) -> None:
        """``mark_sent`` empties the code and the link in the same write; kind, recipient,
        order, times and id stay for the audit, and ``sent_at`` says when."""
        message = _pass_mail("GP1")
        _queue(storage, message)
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("GP1") == message  # pending: the secrets are needed still
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("GP1", T0 + timedelta(minutes=1))
            uow.commit()
        with storage.unit_of_work() as uow:
            sent = uow.outbox.get("GP1")
        assert sent == attrs.evolve(
            message, intent=without_secrets(message.intent), sent_at=T0 + timedelta(minutes=1)
        )
        assert isinstance(sent.intent, GuestPassMail)
        assert (sent.intent.code, sent.intent.link) == ("", "")
        assert sent.intent.to.display == "Jane.Doe@example.com"

    @_PROPERTY
    @given(message=strategies.outbox_messages())
    def test_no_delivered_message_keeps_a_secret(
        self, storage: Storage, message: OutboxMessage
    ) -> None:
        """Whatever it carries, a delivered message reads back as :func:`without_secrets` of
        what was put: no secret field keeps its value."""
        message = attrs.evolve(message, message_id=_fresh("SEC"))
        _queue(storage, message)
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent(message.message_id, T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            sent = uow.outbox.get(message.message_id)
        assert sent is not None
        assert sent.intent == without_secrets(message.intent)
        assert secrets_of(sent.intent) == ()

    def test_an_uncommitted_mark_sent_keeps_the_secrets(self, storage: Storage) -> None:
        """A ``mark_sent`` rolled back with its unit leaves the message pending, whole."""
        _queue(storage, _pass_mail("GP1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("GP1", T0)
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("GP1") == _pass_mail("GP1")

    def test_get_of_an_unknown_message_is_none(self, storage: Storage) -> None:
        """``get`` answers ``None`` for an id never put."""
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("NOPE") is None

    def test_purge_sent_deletes_only_messages_sent_before_the_bound(self, storage: Storage) -> None:
        """Sent strictly before the bound: deleted. Sent at it, or never sent however old:
        kept."""
        micro = timedelta(microseconds=1)
        _queue(
            storage,
            _message("OLD", T0 - timedelta(days=400)),
            _message("AT"),
            _message("BEFORE"),
            _message("PENDING", T0 - timedelta(days=400)),
        )
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("OLD", T0 - timedelta(days=399))
            uow.outbox.mark_sent("AT", T0)
            uow.outbox.mark_sent("BEFORE", T0 - micro)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.purge_sent(T0) == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            kept = {i for i in ("OLD", "AT", "BEFORE", "PENDING") if uow.outbox.get(i)}
        assert kept == {"AT", "PENDING"}
        assert [m.message_id for m in _due(storage, T0)] == ["PENDING"]

    def test_due_ties_by_id_and_marks_of_sent_or_unknown_ids_change_nothing(
        self, storage: Storage
    ) -> None:
        """``due`` orders by ``created_at`` then message id; a failure marked on a sent
        message, or a mark on an unknown id, changes nothing; an error text that looks like
        SQL is kept as text."""
        later = T0 + timedelta(minutes=5)
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.put(OutboxMessage("b", T0, _list_mail("1")))
            uow.outbox.put(OutboxMessage("a", T0, _list_mail("2")))
            uow.outbox.put(OutboxMessage("c", T0 - timedelta(seconds=1), _list_mail("3")))
            uow.outbox.put(OutboxMessage("d", T0, _list_mail("4"), next_attempt_at=later))
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["c", "a", "b"]
            assert [m.message_id for m in uow.outbox.due(later, 10)] == ["c", "a", "b", "d"]
            assert [m.message_id for m in uow.outbox.due(later, 2)] == ["c", "a"]
            assert uow.outbox.due(T0, 10)[0] == OutboxMessage(
                "c", T0 - timedelta(seconds=1), _list_mail("3")
            )
            uow.outbox.mark_sent("a", later)
            uow.outbox.mark_failed("b", "SMTP 451 '; DROP TABLE outbox; --", later)
            uow.outbox.mark_failed("a", "too late: already sent", later)
            uow.outbox.mark_sent("unknown", later)
            uow.outbox.mark_failed("unknown", "nothing", later)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.outbox.pending_count() == 3
            assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["c"]
            failed = [m for m in uow.outbox.due(later, 10) if m.message_id == "b"]
        assert failed == [
            OutboxMessage(
                "b",
                T0,
                _list_mail("1"),
                attempts=1,
                next_attempt_at=later,
                last_error="SMTP 451 '; DROP TABLE outbox; --",
            )
        ]

    def test_putting_a_message_id_again_replaces_it_but_not_its_sent_mark(
        self, storage: Storage
    ) -> None:
        """A message put again under its id replaces the unsent one; a sent one stays sent."""
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.put(OutboxMessage("a", T0, _list_mail("1")))
            uow.outbox.put(OutboxMessage("a", T0, _list_mail("2")))
            assert [m.intent for m in uow.outbox.due(T0, 10)] == [_list_mail("2")]
            uow.outbox.mark_sent("a", T0)
            uow.outbox.put(OutboxMessage("a", T0, _list_mail("3")))
            assert uow.outbox.pending_count() == 0
            assert uow.outbox.due(T0, 10) == []

    @_PROPERTY
    @given(batch=st.lists(strategies.outbox_messages(), min_size=1, max_size=4))
    def test_messages_put_together_are_each_read_back_equal(
        self, storage: Storage, batch: list[OutboxMessage]
    ) -> None:
        """``put`` keeps every field of each message of a unit, its intent included,
        whether it was tried (a next attempt, a last error) or not, in any mix and any
        instants."""
        batch = [attrs.evolve(message, message_id=_fresh("PM")) for message in batch]
        with storage.unit_of_work(write=True) as uow:
            for message in batch:
                uow.outbox.put(message)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [uow.outbox.get(message.message_id) for message in batch] == batch

    # --- dead letters --------------------------------------------------------------------

    def test_a_dead_letter_is_never_due_claimed_or_pending(self, storage: Storage) -> None:
        """``mark_dead`` counts the attempt, keeps the error and takes the message out of
        ``due``, ``claim``, ``pending`` and the pending count; ``dead`` and ``get`` show it."""
        later = T0 + timedelta(days=365)
        _queue(storage, _message("M1"), _message("M2"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_failed("M1", "451 later", T0)
            uow.outbox.mark_dead("M1", "550 no such user", T0 + timedelta(minutes=1))
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert [m.message_id for m in uow.outbox.claim(later, 10, _END_OF_TIME)] == ["M2"]
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.due(later, 10)] == ["M2"]
            assert [m.message_id for m in uow.outbox.pending(10)] == ["M2"]
            assert uow.outbox.pending_count() == 1
            dead = list(uow.outbox.dead(10))
            got = uow.outbox.get("M1")
        expected = attrs.evolve(
            _message("M1"),
            attempts=2,
            last_error="550 no such user",
            dead_at=T0 + timedelta(minutes=1),
        )
        assert dead == [expected]
        assert got == expected

    def test_dead_letters_are_listed_oldest_first_up_to_the_limit(self, storage: Storage) -> None:
        """``dead`` orders by ``dead_at``, ties by message id, and stops at ``limit``; a
        limit below 1 answers nothing."""
        minute = timedelta(minutes=1)
        _queue(storage, *(_message(i) for i in ("b", "a", "c", "d")))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("c", "x", T0 + minute)
            uow.outbox.mark_dead("b", "x", T0)
            uow.outbox.mark_dead("a", "x", T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.dead(10)] == ["a", "b", "c"]
            assert [m.message_id for m in uow.outbox.dead(2)] == ["a", "b"]
            assert list(uow.outbox.dead(0)) == []
            assert [m.message_id for m in uow.outbox.pending(10)] == ["d"]

    def test_pending_lists_waiting_messages_due_or_not_oldest_first(self, storage: Storage) -> None:
        """``pending`` lists leased and later-retried messages too, as ``due`` orders them,
        never a sent one, and stops at ``limit``."""
        minute = timedelta(minutes=1)
        _queue(
            storage,
            _message("M3", T0 - minute, next_attempt_at=T0 + timedelta(days=1)),
            _message("M1", T0 - 3 * minute),
            _message("M2", T0 - 2 * minute),
            _message("SENT", T0 - 4 * minute),
        )
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.claim(T0, 1, _END_OF_TIME)
            uow.outbox.mark_sent("SENT", T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.pending(10)] == ["M1", "M2", "M3"]
            assert [m.message_id for m in uow.outbox.pending(2)] == ["M1", "M2"]
            assert list(uow.outbox.pending(0)) == []

    def test_a_dead_letter_keeps_its_secrets_until_retried_and_delivered(
        self, storage: Storage
    ) -> None:
        """A dead guest-pass mail keeps its code and link, so a retry sends the same mail;
        once delivered, they are gone (SECURITY D5)."""
        _queue(storage, _pass_mail("GP1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("GP1", "550 refused", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            (dead,) = uow.outbox.dead(10)
            assert dead.intent == _pass_mail("GP1").intent
            assert uow.outbox.retry("GP1", T0)
            uow.commit()
        (due,) = _due(storage, T0)
        assert due.intent == _pass_mail("GP1").intent
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("GP1", T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            sent = uow.outbox.get("GP1")
        assert sent is not None
        assert secrets_of(sent.intent) == ()

    def test_retry_makes_a_dead_letter_due_at_now_with_no_attempts(self, storage: Storage) -> None:
        """``retry`` answers ``True``, clears ``dead_at``, sets ``attempts`` to 0 and makes
        the message due at ``now`` (not before); its last error stays until the next try."""
        now = T0 + timedelta(hours=1)
        _queue(storage, _message("M1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_failed("M1", "451 later", T0)
            uow.outbox.mark_dead("M1", "550 refused", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.retry("M1", now) is True
            uow.commit()
        assert _due(storage, now - timedelta(microseconds=1)) == []
        assert _due(storage, now) == [
            attrs.evolve(_message("M1"), next_attempt_at=now, last_error="550 refused")
        ]
        with storage.unit_of_work() as uow:
            assert (list(uow.outbox.dead(10)), uow.outbox.pending_count()) == ([], 1)

    @pytest.mark.parametrize(
        "message_id",
        ["PENDING", "SENT", "NOPE", "", "x" * 5000, "'; DROP TABLE outbox; --", "\ud800", "é\x00"],
    )
    def test_retry_drop_and_mark_dead_of_other_ids_change_nothing_they_should_not(
        self, storage: Storage, message_id: str
    ) -> None:
        """``retry`` of anything but a dead letter answers ``False``; ``drop`` of a sent
        or unknown id answers ``False``; ``mark_dead`` of a sent or unknown id is ignored.
        Ids no database could hold are unknown ids, not errors."""
        _queue(storage, _message("PENDING"), _message("SENT"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("SENT", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.retry(message_id, T0) is False
            if message_id != "PENDING":
                uow.outbox.mark_dead(message_id, "550", T0)
                assert uow.outbox.drop(message_id) is False
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.pending(10)] == ["PENDING"]
            assert list(uow.outbox.dead(10)) == []
            sent = uow.outbox.get("SENT")
        assert sent is not None
        assert sent.sent_at == T0

    def test_drop_deletes_a_pending_or_dead_message_once(self, storage: Storage) -> None:
        """``drop`` deletes an undelivered message, secrets and all, and answers ``True``
        once; the other messages stay."""
        _queue(storage, _pass_mail("GP1"), _message("M1"), _message("M2"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("GP1", "550 refused", T0)
            assert uow.outbox.drop("GP1") is True
            assert uow.outbox.drop("M1") is True
            assert uow.outbox.drop("M1") is False
            uow.commit()
        with storage.unit_of_work() as uow:
            assert (uow.outbox.get("GP1"), uow.outbox.get("M1")) == (None, None)
            assert list(uow.outbox.dead(10)) == []
            assert [m.message_id for m in uow.outbox.pending(10)] == ["M2"]

    def test_a_dead_letter_delivered_late_is_sent_and_not_dead(self, storage: Storage) -> None:
        """A worker whose lease ended may deliver a message another worker gave up on:
        ``mark_sent`` wins, and a later failure mark changes nothing."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("M1", "550 refused", T0)
            uow.outbox.mark_sent("M1", T0 + timedelta(seconds=1))
            uow.outbox.mark_failed("M1", "late", T0)
            uow.outbox.mark_dead("M1", "late", T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.outbox.dead(10)) == []
            sent = uow.outbox.get("M1")
        assert sent is not None
        assert (sent.sent_at, sent.dead_at, sent.attempts) == (T0 + timedelta(seconds=1), None, 1)

    def test_a_failure_mark_leaves_a_dead_letter_dead(self, storage: Storage) -> None:
        """``mark_failed`` or ``mark_dead`` again never revive nor recount a dead letter."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("M1", "550 refused", T0)
            uow.outbox.mark_failed("M1", "451 later", T0)
            uow.outbox.mark_dead("M1", "again", T0 + timedelta(days=1))
            uow.commit()
        with storage.unit_of_work() as uow:
            (dead,) = uow.outbox.dead(10)
        assert (dead.attempts, dead.last_error, dead.dead_at) == (1, "550 refused", T0)

    def test_putting_a_dead_letter_again_makes_it_pending(self, storage: Storage) -> None:
        """A message put is never a dead letter, whatever ``dead_at`` it carries."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("M1", "550 refused", T0)
            uow.outbox.put(attrs.evolve(_message("M1"), dead_at=T0))
            uow.outbox.put(attrs.evolve(_message("M2"), dead_at=T0))
            uow.commit()
        assert _due(storage, T0) == [_message("M1"), _message("M2")]

    def test_uncommitted_dead_letter_changes_are_rolled_back(self, storage: Storage) -> None:
        """``mark_dead``, ``retry`` and ``drop`` rolled back with their unit change nothing."""
        _queue(storage, _message("M1"), _message("M2"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("M2", "550 refused", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_dead("M1", "550 refused", T0)
            assert uow.outbox.retry("M2", T0)
            assert uow.outbox.drop("M1")
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.pending(10)] == ["M1"]
            assert [m.message_id for m in uow.outbox.dead(10)] == ["M2"]

    def test_a_worker_releases_only_what_it_still_holds(self, storage: Storage) -> None:
        """``release`` makes a claimed message due at ``now``, attempts unchanged, only
        under the lease given: another lease, a sent or dead message and an unknown id
        answer ``False`` and stay as they are."""
        lease = T0 + timedelta(minutes=5)
        later = T0 + timedelta(days=1)
        _queue(storage, *(_message(i) for i in ("M1", "M2", "SENT", "DEAD")))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.claim(T0, 10, lease)
            uow.outbox.mark_sent("SENT", T0)
            uow.outbox.mark_dead("DEAD", "550", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.release("M1", lease, T0) is True
            assert uow.outbox.release("M2", later, T0) is False
            for other in ("SENT", "DEAD", "NOPE", "\ud800"):
                assert uow.outbox.release(other, lease, T0) is False
            uow.commit()
        assert _due(storage, T0) == [attrs.evolve(_message("M1"), next_attempt_at=T0)]
        with storage.unit_of_work() as uow:
            assert [m.message_id for m in uow.outbox.dead(10)] == ["DEAD"]
