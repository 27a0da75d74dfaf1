"""The account, session and captcha suites fail a storage that breaks their rules: a suite
that cannot fail proves nothing. Each broken storage is the memory reference with one
rule broken, as a careless adapter would break it."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pytest

from orderstatus_core.errors import ConflictError
from orderstatus_core.model.account import Account, StoredCaptcha
from orderstatus_core.testing.contracts import (
    AccountStoreContract,
    CaptchaStoreContract,
    SessionStoreContract,
)
from orderstatus_memory import MemoryStorage
from orderstatus_memory.storage import _Accounts, _Captchas, _MemoryUnitOfWork, _Sessions


def _folded(key: str) -> str:
    return unicodedata.normalize("NFKC", key).casefold()


class _FoldingAccounts(_Accounts):
    """Finds accounts by a key folded again (NFKC + casefold): ``ß`` finds ``ss``."""

    def add(self, account: Account) -> None:
        folded = attrs.evolve(account.email, canonical=_folded(account.email_key))
        super().add(attrs.evolve(account, email=folded))

    def by_email(self, email_key: str) -> Account | None:
        return super().by_email(_folded(email_key))


class _ReusableTokens(_Accounts):
    """Answers every spend of a stored token as the first."""

    def use_token(self, selector: str, at: datetime) -> bool:
        super().use_token(selector, at)
        return self.get_token(selector) is not None


class _OverwritingSaves(_Accounts):
    """Saves whatever it is given, stale or not."""

    def save(self, account: Account) -> None:
        stored = self.get(account.account_id)
        if stored is not None:
            super().save(attrs.evolve(account, version=stored.version + 1))


class _ForgettingLocks(_Accounts):
    """Forgets old counts whatever they are: a locked address opens with age (C2)."""

    def forget_failed_logins(self, last_before: datetime, below: int) -> int:
        return super().forget_failed_logins(last_before, 2**63)


class _DatingByFirstFailure(_Accounts):
    """Keeps the time of a count's first failure, not its last."""

    def count_failed_login(self, failure_key: str, at: datetime) -> int:
        first = self._unit.work.failed_logins.get(failure_key, (0, at))[1]
        return super().count_failed_login(failure_key, min(first, at))


class _AnyStateLanguages(_Accounts):
    """Answers the language of the address's account, verified or not (SECURITY F1)."""

    def preferred_language(self, email_key: str, order_number: str | None = None) -> str | None:
        account = self.by_email(email_key)
        return (
            super().preferred_language(email_key, order_number)
            if account is None
            else (account.language)
        )


class _SlidingSessions(_Sessions):
    """Moves a session's expiry forward at every touch (sliding renewal)."""

    def touch(self, id_hash: str, at: datetime) -> bool:
        session = self.get(id_hash)
        touched = super().touch(id_hash, at)
        if touched and session is not None:
            later = session.expires_at + (at - session.last_seen_at)
            self._unit.work.sessions[id_hash] = attrs.evolve(
                session, last_seen_at=at, expires_at=later
            )
        return touched


class _EndlessCaptchas(_Captchas):
    """Hands out a challenge whatever its expiry."""

    def consume(self, challenge_id: str, now: datetime) -> StoredCaptcha | None:
        captcha = self._unit.work.captchas.get(challenge_id)
        if captcha is None:
            return super().consume(challenge_id, now)
        return super().consume(challenge_id, min(now, captcha.expires_at))


_Broken = Callable[[_MemoryUnitOfWork], object]
# What a failing rule raises: a failed assert, or pytest.raises that saw nothing raised.
_FAILED = (AssertionError, pytest.fail.Exception)


class _BrokenStorage(MemoryStorage):
    """The memory reference with one store replaced by a broken one."""

    def __init__(self, port: str, broken: _Broken) -> None:
        super().__init__()
        self._port = port
        self._broken = broken

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> _MemoryUnitOfWork:
        unit = super().unit_of_work(write=write, read_once=read_once)
        setattr(unit, self._port, self._broken(unit))
        return unit


def _storage(port: str, broken: _Broken) -> _BrokenStorage:
    storage = _BrokenStorage(port, broken)
    storage.migrate()
    return storage


@pytest.mark.parametrize(
    ("port", "broken", "rule"),
    [
        ("accounts", _FoldingAccounts, "test_an_unknown_id_or_address_is_none"),
        ("accounts", _ReusableTokens, "test_a_token_is_spent_once"),
        ("accounts", _OverwritingSaves, "test_save_is_a_compare_and_set_on_the_version"),
        ("accounts", _ForgettingLocks, "test_old_counts_below_the_lock_are_forgotten"),
        (
            "accounts",
            _DatingByFirstFailure,
            "test_a_count_failed_again_is_dated_by_its_last_failure",
        ),
        ("accounts", _AnyStateLanguages, "test_an_unverified_or_deleted_account_has_no_say"),
    ],
    ids=[
        "folds-keys-again",
        "reuses-tokens",
        "overwrites-stale-saves",
        "forgets-locks",
        "dates-by-first-failure",
        "speaks-for-the-unverified",
    ],
)
def test_an_account_store_breaking_a_rule_fails_the_suite(
    port: str, broken: _Broken, rule: str
) -> None:
    """Each rule's test fails against the store that breaks it, and passes against the
    reference."""
    with pytest.raises(_FAILED):
        getattr(AccountStoreContract(), rule)(_storage(port, broken))
    getattr(AccountStoreContract(), rule)(_storage(port, _Accounts))


def test_an_account_store_folding_keys_again_lets_lookalikes_collide() -> None:
    """A store that folds ``ß`` into ``ss`` cannot hold the two mailboxes' accounts apart:
    the lookalike property finds it (SECURITY A4)."""
    suite = AccountStoreContract()
    with pytest.raises((ConflictError, *_FAILED)):
        suite.test_lookalike_addresses_never_find_each_others_account(
            _storage("accounts", _FoldingAccounts)
        )


def test_a_session_store_that_slides_the_expiry_fails_the_suite() -> None:
    """A touch that moves the expiry makes a *remember* session outlive its 14 days."""
    suite = SessionStoreContract()
    fortnight, idle = timedelta(days=14), timedelta(minutes=30)
    with pytest.raises(_FAILED):
        suite.test_a_stored_session_is_live_at_its_bound_and_not_one_second_later(
            _storage("sessions", _SlidingSessions), True, fortnight, idle, fortnight
        )


def test_a_captcha_store_that_ignores_the_expiry_fails_the_suite() -> None:
    """A challenge handed out after its ten minutes breaks the expiry rule (C3)."""
    suite = CaptchaStoreContract()
    with pytest.raises(_FAILED):
        suite.test_a_challenge_is_open_at_its_expiry_and_not_a_second_later(
            _storage("captchas", _EndlessCaptchas)
        )


def test_the_broken_stores_are_used_only_where_named() -> None:
    """The harness replaces only the named store: the reference's others stay."""
    storage = _storage("sessions", _SlidingSessions)
    with storage.unit_of_work() as uow:
        assert isinstance(uow.sessions, _SlidingSessions)
        assert type(uow.accounts) is _Accounts
        assert uow.sessions.get("0" * 64) is None
