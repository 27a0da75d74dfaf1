"""The availability-alert part of the :class:`~orderstatus_core.ports.AccountStore`
contract (``put_watch``, ``part_watches``, ``remove_watch``, ``queue_part_alerts``), mixed
into :class:`~orderstatus_core.testing.contracts.AccountStoreContract`: one watch per account
and part key, listed oldest first, taken once by a report of the part back in stock (eight
threads racing, one alert per watch), each alert the core's
:class:`~orderstatus_core.PartBackInStockMail` to the account's email and preferred language
as stored at the report, whatever text they hold, read back through the outbox.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import AdapterError, ValidationError
from orderstatus_core.messages import OutboxMessage, PartBackInStockMail, WatcherMail
from orderstatus_core.model import EmailAddress, PartNumber
from orderstatus_core.model.account import Account
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.services.effects import watcher_mail
from orderstatus_core.testing import strategies
from orderstatus_core.testing.contracts._support import (
    _HOSTILE_KEYS,
    _PROPERTY,
    HOSTILE,
    T0,
    StorageSuite,
    _Boom,
    _fresh,
    _together,
)

__all__ = ["PartWatchContract"]

_SECOND = timedelta(seconds=1)
_LINK = "https://shop.example/account/alerts"
#: The instant a report's alerts are queued at, in these tests.
_REPORTED = T0 + timedelta(days=1)
#: Part numbers and emails that are hard to carry through SQL text and JSON intact.
_AWKWARD_PARTS = [
    *HOSTILE,
    '"quoted" \\ back\\slash \\"',
    "</script><script>alert(1)</script>",
    'x\\u0000 \\n \\t " ] } {',
    "$.to', 'a@b.c') --",
]


def _active(account_id: str, email: str | EmailAddress, language: str = "en") -> Account:
    address = parse_email(email) if isinstance(email, str) else email
    return Account.sign_up(account_id, address, T0, language=language).verified(T0)


def _watch(account_id: str = "acct-0001", part: str = "BP-1234", at: datetime = T0) -> PartWatch:
    return PartWatch(account_id, PartNumber(part), at)


def _accounts(storage: Storage, *accounts: Account) -> None:
    with storage.unit_of_work(write=True) as uow:
        for account in accounts:
            uow.accounts.add(account)
        uow.commit()


def _watching(storage: Storage, *watches: PartWatch) -> list[bool]:
    with storage.unit_of_work(write=True) as uow:
        stored = [uow.accounts.put_watch(watch) for watch in watches]
        uow.commit()
    return stored


def _listed(storage: Storage, account_id: str = "acct-0001") -> list[PartWatch]:
    with storage.unit_of_work() as uow:
        return list(uow.accounts.part_watches(account_id))


def _report(storage: Storage, part_key: str = "bp1234") -> tuple[WatcherMail, int]:
    """Queue the part's alerts in a unit that commits: the mail used, and the count."""
    mail = watcher_mail(_LINK)
    with storage.unit_of_work(write=True) as uow:
        queued = uow.accounts.queue_part_alerts(part_key, mail, lambda: _REPORTED)
        uow.commit()
    return mail, queued


def _alerts(storage: Storage, mail: WatcherMail) -> list[OutboxMessage]:
    """The messages of the report that used ``mail``, by message id (their order)."""
    with storage.unit_of_work() as uow:
        pending = uow.outbox.pending(100_000)
    return sorted(
        (m for m in pending if m.message_id.startswith(mail.id_prefix)),
        key=lambda m: m.message_id,
    )


def _addresses(alerts: list[OutboxMessage]) -> list[str]:
    """The address each alert goes to, as typed (an email compares by its key alone)."""
    return [m.intent.to.display for m in alerts if isinstance(m.intent, PartBackInStockMail)]


def _report_then_fail(storage: Storage) -> None:
    with storage.unit_of_work(write=True) as uow:
        assert uow.accounts.queue_part_alerts("bp1234", watcher_mail(_LINK), lambda: T0) == 1
        raise _Boom


def _kept_apart(email: EmailAddress) -> EmailAddress:
    """``email`` as typed, under a key no other example uses."""
    return EmailAddress(email.display, f"{_fresh('w')}.{email.canonical}")


def _spelled(part: str, lowered: bool) -> str:
    """``part`` as typed, or in lower case when asked and when that is the same part (a
    watcher who typed it otherwise)."""
    if lowered:
        try:
            if PartNumber(part.lower()).canonical == PartNumber(part).canonical:
                return part.lower()
        except ValidationError:
            pass
    return part


@st.composite
def _awkward_part(draw: st.DrawFn) -> str:
    """A part number's text: a catalogue's, hostile, or any short text, made unique to the
    example (a fresh group at its end), as typed."""
    text = draw(
        st.one_of(
            strategies.part_numbers().map(lambda part: part.display),
            st.sampled_from(_AWKWARD_PARTS),
            st.text(st.characters(codec="utf-8"), min_size=1, max_size=30),
        )
    )
    typed = f"{text} Z{_fresh('')}"
    try:
        PartNumber(typed)
    except ValidationError:
        assume(False)
    return typed


class PartWatchContract(StorageSuite):
    """Availability alerts of the account store. Needs a fixture ``storage``: a fresh,
    migrated, empty storage for each test."""

    def test_any_watch_is_read_back_equal(self, storage: Storage) -> None:
        """A watch comes back with its part number as written and its time."""
        watch = _watch(part="ＢＰ－１２３４ ä", at=T0 + timedelta(microseconds=7))
        assert _watching(storage, watch) == [True]
        [listed] = _listed(storage)
        assert listed == watch
        assert listed.part_number.display == "ＢＰ－１２３４ ä"

    def test_watches_come_oldest_first_ties_by_part_key(self, storage: Storage) -> None:
        """``part_watches`` lists the account's own, oldest first, ties by part key."""
        late, early_b, early_a = (
            _watch(part="A-1", at=T0 + _SECOND),
            _watch(part="C-3"),
            _watch(part="B-2"),
        )
        _watching(storage, late, early_b, early_a, _watch("acct-0002", "Z-9"))
        assert _listed(storage) == [early_a, early_b, late]
        assert _listed(storage, "acct-0003") == []

    def test_a_part_is_watched_once_per_account(self, storage: Storage) -> None:
        """A second watch of the same part key stores nothing; the first stays."""
        first = _watch(part="BP-1234")
        again = _watch(part="bp 12.34", at=T0 + _SECOND)
        assert _watching(storage, first, again, _watch("acct-0002", "BP1234")) == [
            True,
            False,
            True,
        ]
        assert _listed(storage) == [first]

    def test_removing_takes_only_that_accounts_watch(self, storage: Storage) -> None:
        """``remove_watch`` deletes one account's watch of one part key."""
        _watching(storage, _watch(), _watch(part="BP-9"), _watch("acct-0002"))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.remove_watch("acct-0001", "bp1234") is True
            assert uow.accounts.remove_watch("acct-0001", "bp1234") is False
            assert uow.accounts.remove_watch("acct-0003", "bp9") is False
            uow.commit()
        assert [w.part_key for w in _listed(storage)] == ["bp9"]
        assert len(_listed(storage, "acct-0002")) == 1

    def test_a_report_queues_each_active_watchers_alert_as_the_core_built_it(
        self, storage: Storage
    ) -> None:
        """``queue_part_alerts`` deletes every watch of the part and queues one alert per
        active account, numbered oldest watch first: ids ``mail.message_id(n)``, one
        instant, never tried, each the :class:`PartBackInStockMail` to the email (as typed)
        and preferred language the account holds at the report, not at the watch, with
        the part number as that watcher typed it; other parts' watches stay."""
        jane, john = _active("acct-0001", "Jane@Example.com"), _active("acct-0002", "j@x.io")
        pending = Account.sign_up("acct-0003", parse_email("p@x.io"), T0)
        _accounts(storage, jane, john, pending)
        john_watch, jane_watch = _watch("acct-0002", "bp 12.34"), _watch(at=T0 + _SECOND)
        _watching(
            storage,
            jane_watch,
            john_watch,
            _watch("acct-0003"),
            _watch("acct-0004"),
            _watch(part="BP-9"),
        )
        # Jane moves to a new address, then to Finnish, after watching (two saves).
        moved = jane.with_email(parse_email("Jane.New@Example.com"), T0)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.save(moved)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            stored = uow.accounts.get(moved.account_id)
            assert stored is not None
            uow.accounts.save(stored.with_language("fi"))
            uow.commit()
        mail, queued = _report(storage)
        assert queued == 2
        alerts = _alerts(storage, mail)
        assert [(m.message_id, m.created_at) for m in alerts] == [
            (mail.message_id(1), _REPORTED),
            (mail.message_id(2), _REPORTED),
        ]
        assert [m.intent for m in alerts] == [
            PartBackInStockMail(john.email, "bp 12.34", _LINK, "en"),
            PartBackInStockMail(moved.email, "BP-1234", _LINK, "fi"),
        ]
        assert _addresses(alerts) == [
            john.email.display,
            moved.email.display,
        ]
        assert all((m.attempts, m.next_attempt_at, m.last_error) == (0, None, None) for m in alerts)
        assert all(len(m.message_id) == 32 and int(m.message_id, 16) >= 0 for m in alerts)
        again, queued_again = _report(storage)
        assert (queued_again, _alerts(storage, again)) == (0, [])
        assert [w.part_key for w in _listed(storage)] == ["bp9"]
        assert _listed(storage, "acct-0003") == []

    @_PROPERTY
    @given(
        part=_awkward_part(),
        watchers=st.lists(
            st.tuples(
                strategies.emails(), st.from_regex(r"[a-z]{2,3}(_[A-Z]{2})?", fullmatch=True)
            ),
            min_size=1,
            max_size=4,
        ),
        lowered=st.booleans(),
    )
    def test_any_watchers_text_reads_back_as_the_alert_the_core_would_build(
        self,
        storage: Storage,
        part: str,
        watchers: list[tuple[EmailAddress, str]],
        lowered: bool,
    ) -> None:
        """Emails (Unicode, quotes, slashes), part numbers (quotes, backslashes,
        ``</script>``, SQL and JSON-path text, any script) and languages go through the
        storage's own JSON writing and come back, read by the outbox as the relay reads
        them, as the exact :class:`PartBackInStockMail` the core builds for each watcher."""
        accounts = [
            # A fresh key keeps the examples' accounts apart; the address stays as typed.
            _active(_fresh("acct-alert-"), _kept_apart(email), language)
            for email, language in watchers
        ]
        _accounts(storage, *accounts)
        typed = [_spelled(part, lowered and n % 2 == 1) for n in range(len(accounts))]
        _watching(
            storage,
            *(
                _watch(account.account_id, text, T0 + n * _SECOND)
                for n, (account, text) in enumerate(zip(accounts, typed, strict=True))
            ),
        )
        mail, queued = _report(storage, PartNumber(part).canonical)
        alerts = _alerts(storage, mail)
        expected = [
            PartBackInStockMail(parse_email(email.display), text, _LINK, language)
            for (email, language), text in zip(watchers, typed, strict=True)
        ]
        assert queued == len(expected)
        assert [m.intent for m in alerts] == expected
        assert _addresses(alerts) == [e.to.display for e in expected]
        assert [m.message_id for m in alerts] == [
            mail.message_id(n) for n in range(1, len(expected) + 1)
        ]

    def test_watchers_raced_by_many_threads_are_each_alerted_once(self, storage: Storage) -> None:
        """Eight units report one part at once: every watcher gets exactly one alert."""
        self._needs("supports_concurrent_writers")
        accounts = [_active(f"acct-{n:04}", f"shopper{n}@example.com") for n in range(20)]
        _accounts(storage, *accounts)
        _watching(storage, *(_watch(account.account_id) for account in accounts))
        reports = _together(8, lambda _i: _report(storage))
        assert sum(queued for _mail, queued in reports) == 20
        mailed = [
            address for mail, _queued in reports for address in _addresses(_alerts(storage, mail))
        ]
        assert sorted(mailed) == sorted(account.email.display for account in accounts)

    def test_the_instant_is_read_after_a_rival_unit_holding_a_watch_commits(
        self, storage: Storage
    ) -> None:
        """SECURITY G6: a report that waits for a unit holding one of the part's watches
        reads the clock only once that unit has committed, so no alert it queues is older
        than what it waited for."""
        self._needs("supports_concurrent_writers")
        _accounts(storage, _active("acct-0001", "a@x.io"), _active("acct-0002", "b@x.io"))
        _watching(storage, _watch(), _watch("acct-0002"))
        holding, committing = threading.Event(), threading.Event()
        read_after_commit: list[bool] = []

        def rival() -> None:
            with storage.unit_of_work(write=True) as uow:
                assert uow.accounts.remove_watch("acct-0001", "bp1234")
                holding.set()
                time.sleep(0.3)  # time for the report to reach the lock: not asserted
                committing.set()
                uow.commit()

        def now() -> datetime:
            read_after_commit.append(committing.is_set())
            return _REPORTED

        thread = threading.Thread(target=rival)
        thread.start()
        assert holding.wait(30)
        mail = watcher_mail(_LINK)
        try:
            with storage.unit_of_work(write=True) as uow:
                queued = uow.accounts.queue_part_alerts("bp1234", mail, now)
                uow.commit()
        finally:
            thread.join()
        assert (queued, read_after_commit) == (1, [True])

    def test_a_report_that_does_not_commit_takes_nothing(self, storage: Storage) -> None:
        """A unit left without commit (the report failed) keeps every watch and queues
        nothing."""
        _accounts(storage, _active("acct-0001", "jane@example.com"))
        _watching(storage, _watch())
        with pytest.raises(_Boom):
            _report_then_fail(storage)
        with storage.unit_of_work() as uow:
            assert list(uow.outbox.pending(10)) == []
        assert _report(storage)[1] == 1

    def test_forget_profile_deletes_the_accounts_watches(self, storage: Storage) -> None:
        """The account's deletion deletes its watches, counted, and no one else's."""
        _watching(storage, _watch(), _watch(part="BP-9"), _watch("acct-0002"))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.forget_profile("acct-0001") == 2
            uow.commit()
        assert _listed(storage) == []
        assert len(_listed(storage, "acct-0002")) == 1

    def test_hostile_text_as_a_watch_key_finds_nothing(self, storage: Storage) -> None:
        """Hostile, huge or unstorable account ids and part keys find and delete nothing."""
        _accounts(storage, _active("acct-0001", "jane@example.com"))
        _watching(storage, _watch())
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert list(uow.accounts.part_watches(key)) == []
                assert uow.accounts.remove_watch("acct-0001", key) is False
                assert uow.accounts.remove_watch(key, "bp1234") is False
                assert uow.accounts.queue_part_alerts(key, watcher_mail(_LINK), lambda: T0) == 0
            uow.commit()
        assert _listed(storage) == [_watch()]

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.accounts.put_watch(_watch(part="BP-9")),
            lambda uow: uow.accounts.remove_watch("acct-0001", "bp1234"),
            lambda uow: uow.accounts.queue_part_alerts("bp1234", watcher_mail(_LINK), lambda: T0),
        ],
        ids=["put_watch", "remove_watch", "queue_part_alerts"],
    )
    def test_a_read_only_unit_refuses_watch_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Every watch write raises ``AdapterError`` in a unit opened with ``write=False``
        and changes nothing."""
        _accounts(storage, _active("acct-0001", "jane@example.com"))
        _watching(storage, _watch())
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        assert _listed(storage) == [_watch()]
