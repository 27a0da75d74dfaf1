"""The conformance suites of accounts, sessions and captcha challenges:
:class:`AccountStoreContract` (``uow.accounts``), :class:`SessionStoreContract`
(``uow.sessions``) and :class:`CaptchaStoreContract` (``uow.captchas``), on the
``storage`` fixture.

Lifetimes are checked at their bound and one second after it, on values read back from
the storage (SECURITY D3, E1); races run eight threads behind a barrier and expect exactly
one winner (SECURITY D2, C3, G2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.contacts import email_key, parse_email
from orderstatus_core.errors import AdapterError, ConflictError, InvalidFieldError
from orderstatus_core.model import Address, CategoryPath, EmailAddress, Order, PartNumber
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountToken,
    LinkedBy,
    OrderLink,
    SecurityEvent,
    SecurityEventKind,
    StoredCaptcha,
    TokenPurpose,
    failure_key,
)
from orderstatus_core.model.profile import GarageVehicle, SavedAddress, Vehicle
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.records import (
    CategoryQuery,
    OrderHeader,
    OrderMatch,
    PartNumberQuery,
    SearchCursor,
)
from orderstatus_core.testing import strategies
from orderstatus_core.testing.builders import PLACED_AT, line, make_order
from orderstatus_core.testing.contracts._support import (
    _HOSTILE_KEYS,
    _PROPERTY,
    _SESSION_RULES,
    T0,
    StorageSuite,
    _Boom,
    _fresh,
    _store,
    _together,
)
from orderstatus_core.testing.contracts.discount_codes import DiscountCodeRules
from orderstatus_core.testing.contracts.history_search import HistorySearchContract
from orderstatus_core.testing.contracts.mail_language import MailLanguageRules
from orderstatus_core.testing.contracts.mail_preferences import MailPreferenceRules
from orderstatus_core.testing.contracts.part_watches import PartWatchContract

__all__ = ["AccountStoreContract", "CaptchaStoreContract", "SessionStoreContract"]

T = TypeVar("T")

_SECOND = timedelta(seconds=1)
_MICRO = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_VALIDATOR = "V" * 43
#: The account policy's session figures a page view's check is asked with (_RULES).
_IDLE = timedelta(minutes=30)
_TOUCH = timedelta(minutes=1)
_LIFETIME = timedelta(hours=12)
_RULES = _SESSION_RULES
_SESSION_ID = "SessionId-0000000000000"


def _account(
    account_id: str = "acct-0001", email: str = "Jane.Doe@Example.com", at: datetime = T0
) -> Account:
    return Account.sign_up(account_id, parse_email(email), at)


def _active(account_id: str = "acct-0001", email: str = "Jane.Doe@Example.com") -> Account:
    return _account(account_id, email).verified(T0)


def _token(
    account: Account,
    selector: str = "Token-000000000000001",
    purpose: TokenPurpose = TokenPurpose.VERIFY_EMAIL,
    *,
    proof: str = _VALIDATOR,
    ttl: timedelta = _DAY,
    payload: str | None = None,
) -> AccountToken:
    return AccountToken.issue(selector, proof, account, purpose, T0, ttl, payload=payload)


def _session(
    account_id: str = "acct-0001",
    session_id: str = _SESSION_ID,
    *,
    remember: bool = False,
    lifetime: timedelta = timedelta(hours=12),
) -> AccountSession:
    return AccountSession.start(session_id, account_id, T0, remember=remember, lifetime=lifetime)


def _captcha(
    challenge_id: str = "Captcha-00000000000001", answer_hash: str = "a7" * 32
) -> StoredCaptcha:
    return StoredCaptcha(challenge_id, answer_hash, T0, T0 + timedelta(minutes=10))


def _event(
    kind: SecurityEventKind, at: datetime = T0, account_id: str | None = "acct-0001"
) -> SecurityEvent:
    return SecurityEvent(kind, at, account_id, "J•••@example.com", "203.0.113.7")


def _add(storage: Storage, *accounts: Account) -> None:
    with storage.unit_of_work(write=True) as uow:
        for account in accounts:
            uow.accounts.add(account)
        uow.commit()


def _in_unit(storage: Storage, act: Callable[[UnitOfWork], T]) -> T:
    """``act`` in a committed write unit; its answer."""
    with storage.unit_of_work(write=True) as uow:
        answer = act(uow)
        uow.commit()
    return answer


def _put(storage: Storage, *values: AccountToken | AccountSession | StoredCaptcha) -> None:
    """Store tokens, sessions and captcha challenges in one committed unit."""
    with storage.unit_of_work(write=True) as uow:
        for value in values:
            if isinstance(value, AccountToken):
                uow.accounts.put_token(value)
            elif isinstance(value, AccountSession):
                uow.sessions.put(value)
            else:
                uow.captchas.put(value)
        uow.commit()


def _record(storage: Storage, *events: SecurityEvent) -> None:
    with storage.unit_of_work(write=True) as uow:
        for event in events:
            uow.accounts.record_event(event)
        uow.commit()


def _link_all(storage: Storage, account_id: str, *numbers: str) -> None:
    with storage.unit_of_work(write=True) as uow:
        for number in numbers:
            uow.accounts.link_order(_link(account_id, number))
        uow.commit()


def _token_then_fail(storage: Storage, account: Account) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.accounts.put_token(_token(account))
        raise _Boom


def _link(account_id: str, number: str, how: LinkedBy = LinkedBy.VERIFIED_EMAIL) -> OrderLink:
    return OrderLink(account_id, number, T0, how)


_HOME = Address("Jane Roe", "1 Main St", "Springfield", "12345", "US")
_WORK = Address("Jane Roe", "200 Industrial Way", "Shelbyville", "54321", "US", line2="Dock 4")
_CAR = Vehicle(2019, "Ford", "F-150", "5.0L V8", nickname="Truck", vin="1M8GDM9AXKP042788")


def _saved(
    address: Address = _HOME,
    address_id: str = "addr-0001",
    *,
    account_id: str = "acct-0001",
    default: bool = False,
    at: datetime = T0,
) -> SavedAddress:
    return SavedAddress(account_id, address_id, address, default, at)


def _vehicle(
    vehicle_id: str = "vehicle-01", account_id: str = "acct-0001", at: datetime = T0
) -> GarageVehicle:
    return GarageVehicle(account_id, vehicle_id, _CAR, "catalog-F150", at)


def _profile(storage: Storage, *values: SavedAddress | GarageVehicle) -> None:
    """Store saved addresses and vehicles in one committed unit."""
    with storage.unit_of_work(write=True) as uow:
        for value in values:
            if isinstance(value, SavedAddress):
                uow.accounts.put_address(value)
            else:
                uow.accounts.put_vehicle(value)
        uow.commit()


def _numbers(found: Iterable[OrderHeader | OrderMatch]) -> list[str]:
    return [item.header.number if isinstance(item, OrderMatch) else item.number for item in found]


def _order(number: str, email: str, hours: int = 0, parts: tuple[str, ...] = ("BP-1234",)) -> Order:
    return make_order(
        number,
        email,
        placed_at=PLACED_AT + timedelta(hours=hours),
        lines=[line(n, part) for n, part in enumerate(parts, start=1)],
    )


class AccountStoreContract(
    HistorySearchContract,
    DiscountCodeRules,
    PartWatchContract,
    MailPreferenceRules,
    MailLanguageRules,
    StorageSuite,
):
    """The :class:`~orderstatus_core.ports.AccountStore` contract: accounts found by id and
    by exact email key, one live account per address, compare-and-set saves, single-use
    tokens dead after a credential change, order links (one account per order, listed and
    searched newest first, by vehicle too: :class:`HistorySearchContract`), the orders a
    verified address brings, the security log, the profile, the discount codes
    (:class:`.discount_codes.DiscountCodeRules`), the part watches
    (:class:`.part_watches.PartWatchContract`), the mail subscriptions
    (:class:`MailPreferenceRules`) and the language of an order's mail
    (:class:`.mail_language.MailLanguageRules`).

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    # --- accounts ---

    def test_an_added_account_is_read_back_equal_by_id_and_by_email_key(
        self, storage: Storage
    ) -> None:
        """``get`` and ``by_email`` answer the account as it was added, the address as it
        was typed included."""
        account = _account()
        _add(storage, account)
        with storage.unit_of_work() as uow:
            by_id = uow.accounts.get("acct-0001")
            by_key = uow.accounts.by_email("jane.doe@example.com")
        assert by_id == by_key == account
        assert by_id is not None
        assert by_id.email.display == "Jane.Doe@example.com"  # the local part as typed

    @_PROPERTY
    @given(account=strategies.accounts())
    def test_any_account_is_read_back_equal(self, storage: Storage, account: Account) -> None:
        """Every state, times to the microsecond, the password hash, the counters and the
        display form of the address survive storing; a deleted account is not found by
        its address."""
        account = attrs.evolve(account, account_id=_fresh("acct-any-"))
        key = f"{_fresh('any')}.{account.email_key}"
        account = attrs.evolve(account, email=EmailAddress(account.email.display, key))
        _add(storage, account)
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get(account.account_id)
            found = uow.accounts.by_email(key)
        assert stored == account
        assert stored is not None
        assert (stored.email.display, stored.email_key) == (account.email.display, key)
        assert found == (account if account.is_live else None)

    def test_an_unknown_id_or_address_is_none(self, storage: Storage) -> None:
        """Nothing stored under an id or an email key answers ``None``; keys are exact, so
        a different case or spacing of a key finds nothing."""
        _add(storage, _account())
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-9999") is None
            assert uow.accounts.by_email("john@example.com") is None
            assert uow.accounts.by_email("Jane.Doe@Example.com") is None
            assert uow.accounts.by_email(" jane.doe@example.com") is None

    def test_one_live_account_per_address_and_per_id(self, storage: Storage) -> None:
        """A second account with a live account's email key, or with a taken id, raises
        ``ConflictError`` and stores nothing; the unit goes on."""
        first = _account()
        _add(storage, first)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.accounts.add(_account("acct-0002", "JANE.DOE@example.COM"))
            with pytest.raises(ConflictError):
                uow.accounts.add(_account("acct-0001", "john@example.com"))
            uow.accounts.add(_account("acct-0003", "john@example.com"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-0002") is None
            assert uow.accounts.get("acct-0001") == first
            assert uow.accounts.by_email("jane.doe@example.com") == first
            assert uow.accounts.by_email("john@example.com") is not None

    def test_a_deleted_account_frees_its_address(self, storage: Storage) -> None:
        """A deleted account stays readable by id, is no longer found by its address, and
        the address may sign up again."""
        account = _active()
        _add(storage, account)
        _in_unit(storage, lambda uow: uow.accounts.save(account.deleted()))
        again = _account("acct-0002")
        _add(storage, again)
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-0001") == account.deleted()
            assert uow.accounts.by_email("jane.doe@example.com") == again

    def test_save_is_a_compare_and_set_on_the_version(self, storage: Storage) -> None:
        """A save built from the stored version wins; one built from a stale read, or for
        an unknown id, raises ``ConflictError`` and keeps the stored account."""
        account = _account()
        _add(storage, account)
        verified = account.verified(T0)
        _in_unit(storage, lambda uow: uow.accounts.save(verified))
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.accounts.save(account.login_failed())  # built from version 1
            with pytest.raises(ConflictError):
                uow.accounts.save(_account("acct-0404").login_failed())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-0001") == verified
            assert uow.accounts.get("acct-0404") is None

    def test_a_new_address_moves_the_account_to_its_key(self, storage: Storage) -> None:
        """After an email change the account is found by the new key only."""
        account = _active()
        _add(storage, account)
        moved = account.with_email(parse_email("Jane@Example.org"), T0 + _DAY)
        _in_unit(storage, lambda uow: uow.accounts.save(moved))
        with storage.unit_of_work() as uow:
            assert uow.accounts.by_email("jane.doe@example.com") is None
            assert uow.accounts.by_email("jane@example.org") == moved

    def test_a_new_address_another_live_account_holds_raises_conflict_error(
        self, storage: Storage
    ) -> None:
        """Saving a live account with the email key of another live one raises
        ``ConflictError`` and keeps both as they were; a deleted holder does not count."""
        jane, john = _active(), _active("acct-0002", "john@example.com")
        gone = _active("acct-0003", "old@example.com").deleted()
        _add(storage, jane, john, gone)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.accounts.save(john.with_email(parse_email("jane.doe@example.com"), T0))
            uow.accounts.save(john.with_email(parse_email("OLD@example.com"), T0))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.by_email("jane.doe@example.com") == jane
            found = uow.accounts.by_email("old@example.com")
        assert found is not None
        assert found.account_id == "acct-0002"

    @_PROPERTY
    @given(pair=strategies.lookalike_email_texts())
    def test_lookalike_addresses_never_find_each_others_account(
        self, storage: Storage, pair: tuple[str, str]
    ) -> None:
        """Two addresses that only look alike (``ß``/``ss``, fullwidth, dotless i ...) hold
        an account each, and each key finds only its own (SECURITY A4)."""
        address, lookalike = pair
        tag = _fresh("la")
        first = _account(f"acct-{tag}-a", f"{tag}{address}")
        second = _account(f"acct-{tag}-b", f"{tag}{lookalike}")
        _add(storage, first, second)
        with storage.unit_of_work() as uow:
            assert uow.accounts.by_email(first.email_key) == first
            assert uow.accounts.by_email(second.email_key) == second

    def test_hostile_text_as_an_account_key_finds_nothing(self, storage: Storage) -> None:
        """Ids, addresses, selectors and order numbers that are hostile, huge or not even
        storable (NUL, a lone surrogate) find nothing, in read and write units."""
        account = _active()
        _add(storage, account)
        _put(storage, _token(account))
        for write in (False, True):
            with storage.unit_of_work(write=write) as uow:
                for key in _HOSTILE_KEYS:
                    assert uow.accounts.get(key) is None
                    assert uow.accounts.by_email(key) is None
                    assert uow.accounts.get_token(key) is None
                    assert uow.accounts.order_link(key) is None
                    assert list(uow.accounts.linked_orders(key, 10)) == []
                    assert list(uow.accounts.unlinked_orders(key, 10)) == []
                    assert list(uow.accounts.events(key, 10)) == []
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert uow.accounts.use_token(key, T0) is False
                assert uow.accounts.count_token_try(key) == 0
                assert uow.accounts.unlink_all(key) == 0
                assert uow.accounts.end_tokens(key, list(TokenPurpose), T0) == 0

    def test_two_sign_ups_racing_with_one_address_one_wins(self, storage: Storage) -> None:
        """Eight threads add an account for one address at once: one is stored, seven
        raise ``ConflictError`` (SECURITY G2)."""
        self._needs("supports_concurrent_writers")

        def sign_up(index: int) -> bool:
            try:
                _add(storage, _account(f"acct-race-{index}", "racer@example.com"))
            except ConflictError:
                return False
            return True

        assert sorted(_together(8, sign_up)) == [False] * 7 + [True]

    def test_stale_saves_racing_one_wins(self, storage: Storage) -> None:
        """Eight threads save a change built from the same read at once: exactly one is
        stored, the others raise ``ConflictError`` (a lost race, never an overwrite)."""
        self._needs("supports_concurrent_writers")
        account = _account()
        _add(storage, account)

        def save(index: int) -> bool:
            try:
                _in_unit(storage, lambda uow: uow.accounts.save(account.with_language("fi")))
            except ConflictError:
                return False
            return True

        assert sorted(_together(8, save)) == [False] * 7 + [True]
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-0001") == account.with_language("fi")

    def test_account_writes_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit, an exception and ``rollback`` forget accounts, saves,
        tokens, links and events."""
        account = _active()
        _add(storage, account)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(_account("acct-0002", "john@example.com"))
            uow.accounts.save(account.login_failed())
            uow.accounts.put_token(_token(account))
            uow.accounts.link_order(_link("acct-0001", "123456789"))
            uow.accounts.record_event(_event(SecurityEventKind.LOGIN_FAILED))
        with pytest.raises(_Boom):
            _token_then_fail(storage, account)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.link_order(_link("acct-0001", "123456789"))
            uow.rollback()
            uow.accounts.record_event(_event(SecurityEventKind.LOGGED_IN))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-0002") is None
            assert uow.accounts.get("acct-0001") == account
            assert uow.accounts.get_token("Token-000000000000001") is None
            assert uow.accounts.order_link("123456789") is None
            kinds = [e.kind for e in uow.accounts.events("acct-0001", 10)]
        assert kinds == [SecurityEventKind.LOGGED_IN]

    def test_a_unit_sees_its_own_uncommitted_writes(self, storage: Storage) -> None:
        """Inside the unit that wrote them, account, token and link are there."""
        account = _active()
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.accounts.put_token(_token(account))
            uow.accounts.link_order(_link("acct-0001", "123456789"))
            assert uow.accounts.by_email("jane.doe@example.com") == account
            assert uow.accounts.get_token("Token-000000000000001") == _token(account)
            assert uow.accounts.order_link("123456789") == _link("acct-0001", "123456789")

    # --- tokens ---

    @_PROPERTY
    @given(data=st.data())
    def test_any_token_is_read_back_equal(self, storage: Storage, data: st.DataObject) -> None:
        """Every purpose and payload, links and codes, the epoch, the use and the tries
        survive storing; only the secret's hash is kept."""
        account = attrs.evolve(_active(), account_id=_fresh("acct-t-"))
        token = data.draw(strategies.account_tokens(account))
        token = attrs.evolve(token, selector=_fresh("Token-").ljust(22, "x"))
        _put(storage, token)
        with storage.unit_of_work() as uow:
            assert uow.accounts.get_token(token.selector) == token

    def test_a_stored_selector_is_refused(self, storage: Storage) -> None:
        """A second token with a stored selector raises ``ConflictError`` and keeps the
        first; an unknown selector answers ``None``."""
        account = _active()
        first = _token(account)
        _put(storage, first)
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.accounts.put_token(_token(account, purpose=TokenPurpose.RESET_PASSWORD))
        with storage.unit_of_work() as uow:
            assert uow.accounts.get_token(first.selector) == first
            assert uow.accounts.get_token("Token-999999999999999") is None

    def test_a_token_is_spent_once(self, storage: Storage) -> None:
        """``use_token`` spends a stored, unused token and says so once; afterwards, and
        for an unknown selector, it answers ``False`` and changes nothing."""
        account = _active()
        token = _token(account)
        _put(storage, token)
        assert _in_unit(storage, lambda uow: uow.accounts.use_token(token.selector, T0)) is True
        later = T0 + _SECOND
        assert _in_unit(storage, lambda uow: uow.accounts.use_token(token.selector, later)) is False
        assert _in_unit(storage, lambda uow: uow.accounts.use_token("Token-404", T0)) is False
        with storage.unit_of_work() as uow:
            spent = uow.accounts.get_token(token.selector)
        assert spent == token.used(T0)
        assert spent is not None
        assert not spent.accepts(_VALIDATOR, account, T0)

    def test_a_token_raced_by_many_threads_is_spent_exactly_once(self, storage: Storage) -> None:
        """Eight threads spend one token at once: one ``True``, seven ``False`` (D2)."""
        self._needs("supports_concurrent_writers")
        token = _token(_active())
        _put(storage, token)
        answers = _together(
            8, lambda i: _in_unit(storage, lambda uow: uow.accounts.use_token(token.selector, T0))
        )
        assert sorted(answers) == [False] * 7 + [True]

    def test_tries_at_a_code_are_counted_even_when_racing(self, storage: Storage) -> None:
        """Each try at a code counts, this one included, across commits and threads; an
        unknown selector counts nothing."""
        account = _active()
        token = _token(account, purpose=TokenPurpose.ATTACH_ORDER, proof="042917", payload="7")
        _put(storage, token)
        for expected in (1, 2):
            tried = _in_unit(storage, lambda uow: uow.accounts.count_token_try(token.selector))
            assert tried == expected
        assert _in_unit(storage, lambda uow: uow.accounts.count_token_try("Token-404")) == 0
        if self.supports_concurrent_writers:
            counts = _together(
                8,
                lambda i: _in_unit(
                    storage, lambda uow: uow.accounts.count_token_try(token.selector)
                ),
            )
            assert sorted(counts) == list(range(3, 11))
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get_token(token.selector)
        assert stored is not None
        assert stored.accepts("042917", account, T0, max_tries=stored.tries)
        assert not stored.accepts("042917", account, T0, max_tries=stored.tries - 1)

    def test_end_tokens_spends_only_that_accounts_unused_tokens_of_those_purposes(
        self, storage: Storage
    ) -> None:
        """Ending the reset and email-change tokens of one account leaves its verification
        token, a token already used, and every token of another account as they were."""
        jane, john = _active(), _active("acct-0002", "john@example.com")
        reset = _token(jane, "Token-reset-0000000001", TokenPurpose.RESET_PASSWORD)
        change = _token(
            jane, "Token-change-000000001", TokenPurpose.CHANGE_EMAIL, payload="j@example.org"
        )
        verify = _token(jane, "Token-verify-000000001")
        used = _token(jane, "Token-used-00000000001", TokenPurpose.RESET_PASSWORD).used(T0)
        johns = _token(john, "Token-john-00000000001", TokenPurpose.RESET_PASSWORD)
        _put(storage, reset, change, verify, used, johns)
        purposes = [TokenPurpose.RESET_PASSWORD, TokenPurpose.CHANGE_EMAIL]
        at = T0 + _SECOND
        assert (
            _in_unit(storage, lambda uow: uow.accounts.end_tokens("acct-0001", purposes, at)) == 2
        )
        assert _in_unit(storage, lambda uow: uow.accounts.end_tokens("acct-0001", [], at)) == 0
        with storage.unit_of_work() as uow:
            get = uow.accounts.get_token
            assert (get(reset.selector), get(change.selector)) == (reset.used(at), change.used(at))
            assert (get(verify.selector), get(used.selector)) == (verify, used)
            assert get(johns.selector) == johns

    @pytest.mark.parametrize(
        ("purpose", "ttl"),
        [
            (TokenPurpose.VERIFY_EMAIL, timedelta(hours=24)),
            (TokenPurpose.SET_PASSWORD, timedelta(hours=24)),
            (TokenPurpose.RESET_PASSWORD, timedelta(hours=1)),
        ],
    )
    def test_a_stored_token_works_at_its_ttl_and_not_one_second_later(
        self, storage: Storage, purpose: TokenPurpose, ttl: timedelta
    ) -> None:
        """Read back from the storage, a token opens at exactly issued + TTL and refuses
        one second later (SECURITY D3)."""
        account = _active()
        token = _token(account, purpose=purpose, ttl=ttl)
        _put(storage, token)
        with storage.unit_of_work() as uow:
            stored = uow.accounts.get_token(token.selector)
        assert stored is not None
        assert stored.accepts(_VALIDATOR, account, T0 + ttl)
        assert not stored.accepts(_VALIDATOR, account, T0 + ttl + _SECOND)

    def test_a_stored_token_dies_with_a_password_or_email_change_and_the_deletion(
        self, storage: Storage
    ) -> None:
        """Once the saved account has a new password, a new address or is deleted, the
        tokens issued before no longer open, read back from the storage (SECURITY D2)."""
        account = _active()
        _add(storage, account)
        token = _token(account, purpose=TokenPurpose.RESET_PASSWORD)
        _put(storage, token)
        for changed in (
            account.with_password("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", T0),
            account.with_email(parse_email("jane@example.org"), T0),
            account.deleted(),
        ):
            with storage.unit_of_work() as uow:
                stored_token = uow.accounts.get_token(token.selector)
            assert stored_token is not None
            assert stored_token.accepts(_VALIDATOR, account, T0)
            assert not stored_token.accepts(_VALIDATOR, changed, T0)

    def test_purging_tokens_deletes_only_those_expired_before_the_bound(
        self, storage: Storage
    ) -> None:
        """Tokens expiring strictly before the bound go, used or not; one expiring at the
        bound stays (it still works then)."""
        account = _active()
        early = _token(account, "Token-early-0000000001", ttl=_DAY - _MICRO)
        spent = _token(account, "Token-spent-0000000001", ttl=_DAY - _MICRO).used(T0)
        at = _token(account, "Token-at-0000000000001", ttl=_DAY)
        _put(storage, early, spent, at)
        assert _in_unit(storage, lambda uow: uow.accounts.purge_tokens(T0 + _DAY)) == 2
        with storage.unit_of_work() as uow:
            assert uow.accounts.get_token(early.selector) is None
            assert uow.accounts.get_token(spent.selector) is None
            assert uow.accounts.get_token(at.selector) == at

    # --- order links ---

    def test_an_order_joins_one_account_and_linking_again_is_harmless(
        self, storage: Storage
    ) -> None:
        """The first link is stored (``True``); linking the order again, to the same or
        another account, answers ``False`` and keeps the first link."""
        first = _link("acct-0001", "123456789")
        assert _in_unit(storage, lambda uow: uow.accounts.link_order(first)) is True
        again = _link("acct-0001", "123456789", LinkedBy.CODE)
        other = _link("acct-0002", "123456789", LinkedBy.CODE)
        assert _in_unit(storage, lambda uow: uow.accounts.link_order(again)) is False
        assert _in_unit(storage, lambda uow: uow.accounts.link_order(other)) is False
        with storage.unit_of_work() as uow:
            assert uow.accounts.order_link("123456789") == first
            assert uow.accounts.order_link("987654321") is None

    def test_linked_orders_come_newest_first_whatever_their_address(self, storage: Storage) -> None:
        """An account's history lists its stored linked orders of every address, newest
        first (ties by number descending), each with its own address; never another
        account's, never an unlinked order of the same address, never an order not stored."""
        _store(
            storage,
            _order("100001", "jane@example.com", 1),
            _order("100002", "Jane.Doe@work.example", 3),
            _order("100003", "jane@example.com", 3),
            _order("100004", "jane@example.com", 2),
            _order("100005", "john@example.com", 5),
        )

        def link(uow: UnitOfWork) -> None:
            for number in ("100001", "100002", "100003", "404404"):
                uow.accounts.link_order(_link("acct-0001", number))
            uow.accounts.link_order(_link("acct-0002", "100005"))

        _in_unit(storage, link)
        with storage.unit_of_work() as uow:
            history = list(uow.accounts.linked_orders("acct-0001", 10))
            assert [h.number for h in history] == ["100003", "100002", "100001"]
            assert history[1].email.display == "Jane.Doe@work.example"
            assert _numbers(uow.accounts.linked_orders("acct-0001", 2)) == ["100003", "100002"]
            assert list(uow.accounts.linked_orders("acct-0001", 0)) == []
            assert _numbers(uow.accounts.linked_orders("acct-0003", 10)) == []

    def test_linked_order_pages_cover_every_order_once(self, storage: Storage) -> None:
        """Following the cursor page by page lists each linked order exactly once, in the
        history's order, with ties in time broken by number."""
        orders = [_order(f"2000{n:02d}", f"j{n % 3}@example.com", n // 4) for n in range(11)]
        _store(storage, *orders)
        _link_all(storage, "acct-0001", *(o.number for o in orders))
        expected = [
            o.number for o in sorted(orders, key=lambda o: (o.placed_at, o.number), reverse=True)
        ]
        pages: list[list[str]] = []
        after: SearchCursor | None = None
        with storage.unit_of_work() as uow:
            while True:
                page = list(uow.accounts.linked_orders("acct-0001", 3, after))
                pages.append([h.number for h in page])
                if len(page) < 3:
                    break
                after = SearchCursor(page[-1].placed_at, page[-1].number)
        assert [n for page in pages for n in page] == expected

    def test_searching_the_history_finds_only_linked_orders(self, storage: Storage) -> None:
        """A part number or category search of an account's history matches its linked
        orders of every address, newest first, each with its matching lines in line order;
        never an unlinked order of the same address."""
        _store(
            storage,
            _order("300001", "jane@example.com", 1, ("R-77", "BP-1234")),
            _order("300002", "jane@work.example", 2, ("bp 12.34",)),
            _order("300003", "jane@example.com", 3, ("BP-1234",)),
            _order("300004", "jane@example.com", 4, ("R-77",)),
        )
        _in_unit(
            storage,
            lambda uow: [
                uow.accounts.link_order(_link("acct-0001", n))
                for n in ("300001", "300002", "300004")
            ],
        )
        part = PartNumberQuery(PartNumber("BP1234"))
        category = CategoryQuery(CategoryPath("Brake & Wheel Hub"))
        with storage.unit_of_work() as uow:
            found = list(uow.accounts.search_linked("acct-0001", part, 10))
            assert _numbers(found) == ["300002", "300001"]
            assert [ln.line_no for ln in found[1].lines] == [2]
            assert found[0].header.email.display == "jane@work.example"
            assert _numbers(uow.accounts.search_linked("acct-0001", category, 10)) == [
                "300004",
                "300002",
                "300001",
            ]
            after = SearchCursor(found[0].header.placed_at, found[0].header.number)
            assert _numbers(uow.accounts.search_linked("acct-0001", part, 10, after)) == ["300001"]
            assert _numbers(uow.accounts.search_linked("acct-0001", part, 1)) == ["300002"]
            assert list(uow.accounts.search_linked("acct-0002", part, 10)) == []

    def test_unlinked_orders_are_an_addresss_orders_that_joined_no_account(
        self, storage: Storage
    ) -> None:
        """The orders of exactly one email key that joined no account, newest first; a
        link in the same unit takes an order out of the next answer; a lookalike
        address's orders never come (SECURITY A4, F1)."""
        _store(
            storage,
            _order("400001", "mike@example.com", 1),
            _order("400002", "Mike@Example.com", 2),
            _order("400003", "mike@example.com", 3),
            _order("400004", "ｍｉｋｅ@example.com", 4),
            _order("400005", "mıke@example.com", 5),
        )
        _in_unit(storage, lambda uow: uow.accounts.link_order(_link("acct-0009", "400003")))
        key = email_key("MIKE@example.com")
        assert key is not None
        with storage.unit_of_work(write=True) as uow:
            assert _numbers(uow.accounts.unlinked_orders(key, 10)) == ["400002", "400001"]
            assert _numbers(uow.accounts.unlinked_orders(key, 1)) == ["400002"]
            uow.accounts.link_order(_link("acct-0001", "400002"))
            assert _numbers(uow.accounts.unlinked_orders(key, 10)) == ["400001"]
            assert list(uow.accounts.unlinked_orders(key, 0)) == []

    def test_unlink_all_removes_an_accounts_links_and_keeps_its_orders(
        self, storage: Storage
    ) -> None:
        """Deleting an account's links answers how many; its orders stay stored and may
        join another account; other accounts keep theirs."""
        _store(storage, _order("500001", "jane@example.com"), _order("500002", "j@example.com"))

        def link(uow: UnitOfWork) -> None:
            uow.accounts.link_order(_link("acct-0001", "500001"))
            uow.accounts.link_order(_link("acct-0001", "500002", LinkedBy.CODE))
            uow.accounts.link_order(_link("acct-0002", "600001"))

        _in_unit(storage, link)
        assert _in_unit(storage, lambda uow: uow.accounts.unlink_all("acct-0001")) == 2
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.linked_orders("acct-0001", 10)) == []
            assert uow.accounts.order_link("600001") == _link("acct-0002", "600001")
            assert uow.orders.get("500001") is not None
        relinked = _link("acct-0003", "500001")
        assert _in_unit(storage, lambda uow: uow.accounts.link_order(relinked)) is True

    def test_verified_accounts_are_the_active_accounts_of_exact_keys(
        self, storage: Storage
    ) -> None:
        """Only an active account's key is answered, with its id; an unverified, a deleted
        account and a lookalike address are not (SECURITY A4, F1); a key no row can hold
        finds nothing; no keys, no answer."""
        jane, mike = _active(), _active("acct-0002", "mike@example.com")
        pending = _account("acct-0003", "anna@example.com")
        gone = _active("acct-0004", "old@example.com")
        _add(storage, jane, mike, pending, gone)
        _in_unit(storage, lambda uow: uow.accounts.save(gone.deleted()))
        keys = [
            jane.email_key,
            mike.email_key,
            pending.email_key,
            gone.email_key,
            "ｍｉｋｅ@example.com",
            "mike@example.com\x00",
            "mike\udc80@example.com",
            "x" * 10_000,
        ]
        for write in (False, True):
            with storage.unit_of_work(write=write) as uow:
                assert dict(uow.accounts.verified_accounts(keys)) == {
                    jane.email_key: "acct-0001",
                    mike.email_key: "acct-0002",
                }
                assert dict(uow.accounts.verified_accounts([])) == {}
                assert dict(uow.accounts.verified_accounts(["\x00"])) == {}

    def test_verified_accounts_answer_batches_wider_than_one_statement(
        self, storage: Storage
    ) -> None:
        """Keys beyond any one statement's width are all answered, and an account added
        in the same unit is seen by it."""
        accounts = [_active(f"acct-{n:04}", f"shopper{n}@example.com") for n in range(1, 251)]
        _add(storage, *accounts[:-1])
        keys = {account.email_key for account in accounts} | {"nobody@example.com"}
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(accounts[-1])
            found = dict(uow.accounts.verified_accounts(keys))
        assert found == {account.email_key: account.account_id for account in accounts}

    def test_unlink_order_removes_one_orders_link(self, storage: Storage) -> None:
        """Whichever way the order joined, its link goes and only its link; removing it
        again, or an order that joined nothing, answers ``False``; it may join again."""
        _in_unit(storage, lambda uow: uow.accounts.link_order(_link("acct-0001", "800001")))
        _in_unit(
            storage,
            lambda uow: uow.accounts.link_order(_link("acct-0001", "800002", LinkedBy.CODE)),
        )
        assert _in_unit(storage, lambda uow: uow.accounts.unlink_order("800002")) is True
        assert _in_unit(storage, lambda uow: uow.accounts.unlink_order("800002")) is False
        assert _in_unit(storage, lambda uow: uow.accounts.unlink_order("899999")) is False
        assert _in_unit(storage, lambda uow: uow.accounts.unlink_order("8\x000")) is False
        with storage.unit_of_work() as uow:
            assert uow.accounts.order_link("800002") is None
            assert uow.accounts.order_link("800001") == _link("acct-0001", "800001")
        relinked = _link("acct-0002", "800002")
        assert _in_unit(storage, lambda uow: uow.accounts.link_order(relinked)) is True

    # --- the security log ---

    def test_the_security_log_lists_an_accounts_events_newest_first(self, storage: Storage) -> None:
        """Events come back equal, newest first, between equal times the last recorded
        first, at most ``limit``; another account's and those of no account never show."""
        events = [
            _event(SecurityEventKind.SIGNED_UP, T0),
            _event(SecurityEventKind.LOGIN_FAILED, T0 + _SECOND),
            _event(SecurityEventKind.LOCKED_OUT, T0 + _SECOND),
            _event(SecurityEventKind.LOGGED_IN, T0 + _MICRO),
            _event(SecurityEventKind.LOGGED_IN, T0 + _DAY, "acct-0002"),
            _event(SecurityEventKind.LOGIN_FAILED, T0 + _DAY, None),
        ]
        _record(storage, *events)
        with storage.unit_of_work() as uow:
            logged = list(uow.accounts.events("acct-0001", 10))
            assert logged == [events[2], events[1], events[3], events[0]]
            assert list(uow.accounts.events("acct-0001", 2)) == [events[2], events[1]]
            assert list(uow.accounts.events("acct-0001", 0)) == []

    # --- failed log-ins ---

    def test_failed_log_ins_are_counted_per_key_until_cleared(self, storage: Storage) -> None:
        """Each failure under a key counts, this one included, across commits; another
        key's count is its own; clearing says whether there was a count and starts again
        from zero. An unknown key has none."""
        jane, other = failure_key("jane@example.com"), failure_key("john@example.com")
        with storage.unit_of_work() as uow:
            assert uow.accounts.failed_logins(jane) == 0
        for expected in (1, 2, 3):
            counted = _in_unit(storage, lambda uow: uow.accounts.count_failed_login(jane, T0))
            assert counted == expected
        assert _in_unit(storage, lambda uow: uow.accounts.count_failed_login(other, T0)) == 1
        with storage.unit_of_work() as uow:
            assert (uow.accounts.failed_logins(jane), uow.accounts.failed_logins(other)) == (3, 1)
        assert _in_unit(storage, lambda uow: uow.accounts.clear_failed_logins(jane)) is True
        assert _in_unit(storage, lambda uow: uow.accounts.clear_failed_logins(jane)) is False
        with storage.unit_of_work() as uow:
            assert (uow.accounts.failed_logins(jane), uow.accounts.failed_logins(other)) == (0, 1)
        assert _in_unit(storage, lambda uow: uow.accounts.count_failed_login(jane, T0)) == 1

    def test_failed_log_ins_roll_back_with_the_unit(self, storage: Storage) -> None:
        """A count or a clear in a unit that does not commit leaves the stored count; the
        unit itself reads its own writes."""
        jane = failure_key("jane@example.com")
        _in_unit(storage, lambda uow: uow.accounts.count_failed_login(jane, T0))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.count_failed_login(jane, T0 + _SECOND) == 2
            assert uow.accounts.failed_logins(jane) == 2
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.clear_failed_logins(jane) is True
            assert uow.accounts.failed_logins(jane) == 0
        with storage.unit_of_work() as uow:
            assert uow.accounts.failed_logins(jane) == 1

    def test_old_counts_below_the_lock_are_forgotten(self, storage: Storage) -> None:
        """``forget_failed_logins`` deletes a count last failed strictly before the bound
        and strictly below the lock, and answers how many: a count last failed at the bound,
        a newer one and one at or above the lock stay, whatever their age (SECURITY C2, D5).
        """
        keys = {name: failure_key(f"{name}@example.com") for name in ("old", "at", "new", "lock")}
        counts = {"old": 99, "at": 1, "new": 3, "lock": 100}
        times = {"old": T0 - _SECOND, "at": T0, "new": T0 + _SECOND, "lock": T0 - 365 * _DAY}

        def count(uow: UnitOfWork) -> None:
            for name, key in keys.items():
                for _ in range(counts[name]):
                    uow.accounts.count_failed_login(key, times[name])

        _in_unit(storage, count)
        assert _in_unit(storage, lambda uow: uow.accounts.forget_failed_logins(T0, 100)) == 1
        assert _in_unit(storage, lambda uow: uow.accounts.forget_failed_logins(T0, 100)) == 0
        with storage.unit_of_work() as uow:
            left = {name: uow.accounts.failed_logins(key) for name, key in keys.items()}
        assert left == {"old": 0, "at": 1, "new": 3, "lock": 100}
        # A count at the lock goes only when the lock is higher; the newer ones never do.
        later = T0 + _DAY
        assert _in_unit(storage, lambda uow: uow.accounts.forget_failed_logins(later, 100)) == 2
        assert _in_unit(storage, lambda uow: uow.accounts.forget_failed_logins(later, 101)) == 1
        with storage.unit_of_work() as uow:
            assert [uow.accounts.failed_logins(key) for key in keys.values()] == [0, 0, 0, 0]

    def test_a_count_failed_again_is_dated_by_its_last_failure(self, storage: Storage) -> None:
        """A count first failed long ago but failed again since is not old: the bound
        compares its last failure; a forget that does not commit forgets nothing."""
        jane = failure_key("jane@example.com")
        _in_unit(storage, lambda uow: uow.accounts.count_failed_login(jane, T0 - 365 * _DAY))
        _in_unit(storage, lambda uow: uow.accounts.count_failed_login(jane, T0))
        assert _in_unit(storage, lambda uow: uow.accounts.forget_failed_logins(T0, 100)) == 0
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.forget_failed_logins(T0 + _SECOND, 100) == 1
            assert uow.accounts.failed_logins(jane) == 0
        with storage.unit_of_work() as uow:
            assert uow.accounts.failed_logins(jane) == 2

    @pytest.mark.parametrize(
        ("before", "below", "forgotten"),
        [
            (T0 + _DAY, 0, 0),
            (T0 + _DAY, -1, 0),
            (T0 + _DAY, -(2**70), 0),
            (T0 + _DAY, 2**70, 2),
            (T0 + _DAY, 1, 0),
            (datetime.min.replace(tzinfo=UTC), 2**70, 0),
            (datetime.max.replace(tzinfo=UTC), 100, 1),
        ],
        ids=["zero", "negative", "hugely-negative", "huge", "one", "first-time", "last-time"],
    )
    def test_hostile_bounds_forget_only_what_they_say(
        self, storage: Storage, before: datetime, below: int, forgotten: int
    ) -> None:
        """A lock of zero or less forgets nothing; a lock too large for a column and the
        first and last times a datetime holds are answered, not raised."""

        def count(uow: UnitOfWork) -> None:
            for email, failures in (("jane@example.com", 1), ("john@example.com", 100)):
                for _ in range(failures):
                    uow.accounts.count_failed_login(failure_key(email), T0)

        _in_unit(storage, count)
        done = _in_unit(storage, lambda uow: uow.accounts.forget_failed_logins(before, below))
        assert done == forgotten

    def test_failures_racing_under_one_key_are_each_counted(self, storage: Storage) -> None:
        """Eight threads count a failure under one key at once: the counts they answer
        are 1 to 8, and 8 is stored (SECURITY C2: no failure is lost to a race)."""
        self._needs("supports_concurrent_writers")
        jane = failure_key("jane@example.com")
        counts = _together(
            8, lambda i: _in_unit(storage, lambda uow: uow.accounts.count_failed_login(jane, T0))
        )
        assert sorted(counts) == list(range(1, 9))
        with storage.unit_of_work() as uow:
            assert uow.accounts.failed_logins(jane) == 8

    # --- units ---

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.accounts.add(_account("acct-0002", "john@example.com")),
            lambda uow: uow.accounts.save(_account().login_failed()),
            lambda uow: uow.accounts.put_token(_token(_active(), "Token-000000000000002")),
            lambda uow: uow.accounts.use_token("Token-000000000000001", T0),
            lambda uow: uow.accounts.count_token_try("Token-000000000000001"),
            lambda uow: uow.accounts.end_tokens("acct-0001", list(TokenPurpose), T0),
            lambda uow: uow.accounts.purge_tokens(T0 + 365 * _DAY),
            lambda uow: uow.accounts.link_order(_link("acct-0001", "700001")),
            lambda uow: uow.accounts.unlink_all("acct-0001"),
            lambda uow: uow.accounts.unlink_order("700001"),
            lambda uow: uow.accounts.record_event(_event(SecurityEventKind.LOGGED_IN)),
            lambda uow: uow.accounts.count_failed_login(failure_key("jane@example.com"), T0),
            lambda uow: uow.accounts.clear_failed_logins(failure_key("jane@example.com")),
            lambda uow: uow.accounts.forget_failed_logins(T0 + 365 * _DAY, 100),
            lambda uow: uow.accounts.forget_failed_logins(T0 + 365 * _DAY, 0),
        ],
        ids=[
            "add",
            "save",
            "put_token",
            "use_token",
            "count_token_try",
            "end_tokens",
            "purge_tokens",
            "link_order",
            "unlink_all",
            "unlink_order",
            "record_event",
            "count_failed_login",
            "clear_failed_logins",
            "forget_failed_logins",
            "forget_failed_logins-nothing",
        ],
    )
    def test_a_read_only_unit_refuses_account_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Every write of the account store raises ``AdapterError`` in a unit opened with
        ``write=False`` and changes nothing."""
        account = _account()
        _add(storage, account)
        _put(storage, _token(account))
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        with storage.unit_of_work() as uow:
            assert uow.accounts.get("acct-0001") == account
            assert uow.accounts.get_token("Token-000000000000001") == _token(account)
            assert uow.accounts.by_email("john@example.com") is None
            assert uow.accounts.order_link("700001") is None
            assert uow.accounts.failed_logins(failure_key("jane@example.com")) == 0

    # --- the profile: saved addresses and the garage ---

    @_PROPERTY
    @given(address=strategies.addresses(), vehicle=strategies.vehicles())
    def test_any_saved_address_and_vehicle_are_read_back_equal(
        self, storage: Storage, address: Address, vehicle: Vehicle
    ) -> None:
        """Text of any script at each field's bound, a VIN or none, times to the
        microsecond and the default flag survive storing."""
        account_id = _fresh("acct-any-")
        saved = _saved(address, _fresh("addr-any-"), account_id=account_id, default=True)
        kept = GarageVehicle(account_id, _fresh("vehicle-"), vehicle, "catalog-1", T0 + _MICRO)
        _profile(storage, saved, kept)
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses(account_id)) == [saved]
            assert list(uow.accounts.garage(account_id)) == [kept]

    def test_saved_addresses_come_oldest_first_ties_by_id(self, storage: Storage) -> None:
        """``saved_addresses`` lists one account's addresses by ``saved_at``, then id."""
        later = _saved(_WORK, "addr-0001", at=T0 + _SECOND)
        first = _saved(_HOME, "addr-0003")
        tie = _saved(attrs.evolve(_HOME, line1="3 Elm St"), "addr-0002")
        other = _saved(_HOME, "addr-0004", account_id="acct-0002")
        _profile(storage, later, first, tie, other)
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == [tie, first, later]
            assert list(uow.accounts.saved_addresses("acct-0002")) == [other]
            assert list(uow.accounts.saved_addresses("acct-0003")) == []

    def test_an_address_is_saved_once_per_account(self, storage: Storage) -> None:
        """The same address (by its key: other case or spacing) under a second id of one
        account raises ``ConflictError`` and stores nothing; another account may keep it,
        and an edit under the same id may retype it."""
        home = _saved(_HOME)
        _profile(storage, home)
        retyped = Address("JANE ROE", "1 main  st", "springfield", "123 45", "US")
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.accounts.put_address(_saved(retyped, "addr-0002"))
            uow.accounts.put_address(_saved(_HOME, "addr-0002", account_id="acct-0002"))
            uow.accounts.put_address(_saved(retyped, "addr-0001"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == [_saved(retyped)]
            assert len(uow.accounts.saved_addresses("acct-0002")) == 1

    def test_an_account_has_at_most_one_default(self, storage: Storage) -> None:
        """A second default raises ``ConflictError``; moving the default takes clearing
        the first, in one unit."""
        home, work = _saved(_HOME, default=True), _saved(_WORK, "addr-0002")
        _profile(storage, home, work)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.accounts.put_address(attrs.evolve(work, is_default=True))
            uow.accounts.put_address(attrs.evolve(home, is_default=False))
            uow.accounts.put_address(attrs.evolve(work, is_default=True))
            uow.commit()
        with storage.unit_of_work() as uow:
            kept = uow.accounts.saved_addresses("acct-0001")
        assert [saved.is_default for saved in kept] == [False, True]

    def test_removing_takes_only_that_accounts_address(self, storage: Storage) -> None:
        """``remove_address`` deletes by account and id; another account's id, or one
        removed already, deletes nothing."""
        _profile(storage, _saved(), _saved(account_id="acct-0002"))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.remove_address("acct-0001", "addr-0001") is True
            assert uow.accounts.remove_address("acct-0001", "addr-0001") is False
            assert uow.accounts.remove_address("acct-0003", "addr-0001") is False
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == []
            assert list(uow.accounts.saved_addresses("acct-0002")) == [
                _saved(account_id="acct-0002")
            ]

    def test_order_addresses_are_the_newest_linked_orders(self, storage: Storage) -> None:
        """``order_addresses`` answers the shipping address of each of the account's newest
        ``limit`` stored linked orders, newest first, repeats included; unlinked orders and
        other accounts' are left out."""
        orders = [
            attrs.evolve(_order("700001", "jane@example.com", 0), shipping_address=_HOME),
            attrs.evolve(_order("700002", "jane@example.com", 2), shipping_address=_WORK),
            attrs.evolve(_order("700003", "mike@example.com", 1), shipping_address=_HOME),
            attrs.evolve(_order("700004", "jane@example.com", 3), shipping_address=_WORK),
        ]
        _store(storage, *orders)
        _link_all(storage, "acct-0001", "700001", "700002", "700003")
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.order_addresses("acct-0001", 10)) == [_WORK, _HOME, _HOME]
            assert list(uow.accounts.order_addresses("acct-0001", 2)) == [_WORK, _HOME]
            assert list(uow.accounts.order_addresses("acct-0001", 0)) == []
            assert list(uow.accounts.order_addresses("acct-0002", 10)) == []

    def test_the_garage_lists_replaces_and_removes_by_id(self, storage: Storage) -> None:
        """``garage`` lists oldest first (ties by id); ``put_vehicle`` of a stored id
        replaces it; ``remove_vehicle`` deletes only that account's vehicle."""
        first, later = _vehicle("vehicle-02"), _vehicle("vehicle-01", at=T0 + _SECOND)
        _profile(storage, later, first, _vehicle("vehicle-03", account_id="acct-0002"))
        renamed = attrs.evolve(first, vehicle=attrs.evolve(_CAR, nickname="Old truck"))
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.put_vehicle(renamed)
            assert uow.accounts.remove_vehicle("acct-0002", "vehicle-01") is False
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.garage("acct-0001")) == [renamed, later]
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.remove_vehicle("acct-0001", "vehicle-01") is True
            assert uow.accounts.remove_vehicle("acct-0001", "vehicle-01") is False
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.garage("acct-0001")) == [renamed]
            assert len(uow.accounts.garage("acct-0002")) == 1

    def test_forget_profile_deletes_only_that_accounts_profile(self, storage: Storage) -> None:
        """``forget_profile`` (the account's deletion) deletes its saved addresses and
        vehicles, answers how many, and leaves other accounts' alone."""
        _profile(
            storage,
            _saved(),
            _saved(_WORK, "addr-0002"),
            _vehicle(),
            _saved(account_id="acct-0002"),
            _vehicle(account_id="acct-0002"),
        )
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.forget_profile("acct-0001") == 3
            assert uow.accounts.forget_profile("acct-0001") == 0
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == []
            assert list(uow.accounts.garage("acct-0001")) == []
            assert len(uow.accounts.saved_addresses("acct-0002")) == 1
            assert len(uow.accounts.garage("acct-0002")) == 1

    def test_profile_writes_roll_back_with_the_unit(self, storage: Storage) -> None:
        """A unit left without commit keeps none of its profile writes."""
        _profile(storage, _saved(), _vehicle())
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.put_address(_saved(_WORK, "addr-0002"))
            uow.accounts.remove_vehicle("acct-0001", "vehicle-01")
            uow.accounts.forget_profile("acct-0001")
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == [_saved()]
            assert list(uow.accounts.garage("acct-0001")) == [_vehicle()]

    def test_hostile_text_as_a_profile_key_finds_nothing(self, storage: Storage) -> None:
        """Hostile, huge or unstorable account and item ids find and delete nothing."""
        _profile(storage, _saved(), _vehicle())
        for write in (False, True):
            with storage.unit_of_work(write=write) as uow:
                for key in _HOSTILE_KEYS:
                    assert list(uow.accounts.saved_addresses(key)) == []
                    assert list(uow.accounts.garage(key)) == []
                    assert list(uow.accounts.order_addresses(key, 10)) == []
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert uow.accounts.remove_address("acct-0001", key) is False
                assert uow.accounts.remove_address(key, "addr-0001") is False
                assert uow.accounts.remove_vehicle("acct-0001", key) is False
                assert uow.accounts.forget_profile(key) == 0
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == [_saved()]
            assert list(uow.accounts.garage("acct-0001")) == [_vehicle()]

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.accounts.put_address(_saved(_WORK, "addr-0002")),
            lambda uow: uow.accounts.remove_address("acct-0001", "addr-0001"),
            lambda uow: uow.accounts.put_vehicle(_vehicle("vehicle-02")),
            lambda uow: uow.accounts.remove_vehicle("acct-0001", "vehicle-01"),
            lambda uow: uow.accounts.forget_profile("acct-0001"),
        ],
        ids=["put_address", "remove_address", "put_vehicle", "remove_vehicle", "forget_profile"],
    )
    def test_a_read_only_unit_refuses_profile_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Every profile write raises ``AdapterError`` in a unit opened with
        ``write=False`` and changes nothing."""
        _profile(storage, _saved(), _vehicle())
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.saved_addresses("acct-0001")) == [_saved()]
            assert list(uow.accounts.garage("acct-0001")) == [_vehicle()]


class SessionStoreContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.SessionStore` contract: sessions found by the
    hash of their id, touched forward only, ended once, all of an account ended but the
    kept one, purged when they can never log anyone in again.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    @_PROPERTY
    @given(session=strategies.account_sessions())
    def test_any_session_is_read_back_equal(
        self, storage: Storage, session: AccountSession
    ) -> None:
        """Every instant to the microsecond, *remember* and the end survive storing."""
        session = attrs.evolve(session, id_hash=f"{_fresh(''):0>64}"[-64:])
        _put(storage, session)
        with storage.unit_of_work() as uow:
            assert uow.sessions.get(session.id_hash) == session
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.sessions.get_with_account(session.id_hash) == (session, None)
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.sessions.check(session.id_hash, T0, **_RULES) is None  # no account

    @_PROPERTY
    @given(
        session=strategies.account_sessions("acct-0001"),
        edge=st.sampled_from(["expiry", "idle", "touch"]),
        step=st.integers(-2, 2),
        idle=st.timedeltas(timedelta(0), timedelta(days=2)),
        touch=st.timedeltas(timedelta(0), timedelta(days=2)),
    )
    def test_any_session_is_checked_as_the_session_rules_decide(
        self,
        storage: Storage,
        session: AccountSession,
        edge: str,
        step: int,
        idle: timedelta,
        touch: timedelta,
    ) -> None:
        """At each edge the rules draw (the expiry, the idle time-out, the touch interval,
        and a microsecond or two either side), ``check`` answers what
        :meth:`SessionCheck.at <orderstatus_core.model.session_check.SessionCheck.at>`
        answers of the whole stored session and account."""
        session = attrs.evolve(session, id_hash=f"{_fresh(''):0>64}"[-64:])
        account = _active()
        if _in_unit(storage, lambda uow: uow.accounts.get(account.account_id)) is None:
            _add(storage, account)
        _put(storage, session)
        edges = {"expiry": session.expires_at, "idle": session.last_seen_at + idle}
        now = edges.get(edge, session.last_seen_at + touch) + step * _MICRO
        with storage.unit_of_work(read_once=True) as uow:
            found = uow.sessions.check(
                session.id_hash, now, idle_timeout=idle, touch_interval=touch
            )
        assert found == SessionCheck.at(
            session, account, now, idle_timeout=idle, touch_interval=touch
        )

    def test_a_session_is_read_with_its_account_as_stored_now(self, storage: Storage) -> None:
        """``get_with_account`` answers the session and its account as ``get`` of each
        answers them, in a read-once unit: after the account changes, the changed account;
        ended sessions and deleted accounts as they are."""
        account = _active()
        _add(storage, account)
        session = _session()
        _put(storage, session)
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.sessions.get_with_account(session.id_hash) == (session, account)
        changed = account.deleted()
        _in_unit(storage, lambda uow: uow.accounts.save(changed))
        _in_unit(storage, lambda uow: uow.sessions.end(session.id_hash, T0 + _SECOND))
        with storage.unit_of_work(read_once=True) as uow:
            found = uow.sessions.get_with_account(session.id_hash)
        assert found == (session.ended(T0 + _SECOND), changed)
        with storage.unit_of_work() as uow:
            assert found == (uow.sessions.get(session.id_hash), uow.accounts.get("acct-0001"))

    def test_a_session_check_reads_the_stored_values_now(self, storage: Storage) -> None:
        """``check`` answers from the session and its account as stored now, in a
        read-once unit: the account's language as changed, a touch seen at once (no
        longer due), then an end or a deletion: ``None``; an unknown or hostile id hash
        is ``None``."""
        account = _active()
        _add(storage, account)
        session = _session()
        _put(storage, session)
        now = T0 + _IDLE

        def checked() -> SessionCheck | None:
            with storage.unit_of_work(read_once=True) as uow:
                return uow.sessions.check(session.id_hash, now, **_RULES)

        assert checked() == SessionCheck(
            "acct-0001", account.language, session.expires_at, False, touch_due=True
        )
        finnish = account.with_language("fi")
        _in_unit(storage, lambda uow: uow.accounts.save(finnish))
        _in_unit(storage, lambda uow: uow.sessions.touch(session.id_hash, now - _SECOND))
        assert checked() == SessionCheck(
            "acct-0001", "fi", session.expires_at, False, touch_due=False
        )
        _in_unit(storage, lambda uow: uow.sessions.end(session.id_hash, now))
        assert checked() is None
        other = _session(session_id="SessionId-kept-000000000")
        _put(storage, other)
        _in_unit(storage, lambda uow: uow.accounts.save(finnish.deleted()))
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.sessions.check(other.id_hash, T0, **_RULES) is None
        with storage.unit_of_work() as uow:
            assert uow.sessions.check("0" * 64, T0, **_RULES) is None
            for key in _HOSTILE_KEYS:
                assert uow.sessions.check(key, T0, **_RULES) is None

    @pytest.mark.parametrize(
        ("remember", "after", "signs_in", "touch_due"),
        [
            (False, _TOUCH - _MICRO, True, False),
            (False, _TOUCH, True, True),
            (False, _IDLE, True, True),
            (False, _IDLE + _MICRO, False, False),
            (True, _IDLE + _MICRO, True, True),
            (True, _LIFETIME, True, True),
            (True, _LIFETIME + _MICRO, False, False),
            (False, -_MICRO, True, False),
        ],
        ids=[
            "touch-1us-early",
            "touch-due-exactly",
            "idle-exactly",
            "idle+1us",
            "remembered-idle+1us",
            "expiry-exactly",
            "expiry+1us",
            "seen-later-than-now",
        ],
    )
    def test_a_session_is_checked_at_each_edge_to_the_microsecond(
        self,
        storage: Storage,
        remember: bool,
        after: timedelta,
        signs_in: bool,
        touch_due: bool,
    ) -> None:
        """Live at exactly the idle time-out and at exactly the expiry (each bound
        included), not a microsecond later; *remember* has no idle time-out; the touch is
        due at exactly the interval, not a microsecond before (SECURITY E1)."""
        account = _active()
        _add(storage, account)
        session = _session(remember=remember, lifetime=_LIFETIME)
        _put(storage, session)
        with storage.unit_of_work(read_once=True) as uow:
            found = uow.sessions.check(session.id_hash, T0 + after, **_RULES)
        expected = SessionCheck("acct-0001", "en", T0 + _LIFETIME, remember, touch_due)
        assert found == (expected if signs_in else None)

    def test_an_ended_session_or_a_deleted_account_never_signs_in(self, storage: Storage) -> None:
        """An ended session is ``None`` even a microsecond after its log-in, and so is a
        live one whose account is deleted; an unverified account's session signs in."""
        unverified = _account("acct-0002", "new@example.com")
        _add(storage, _active(), unverified)
        ended = _session().ended(T0)
        deleted = _session("acct-0003", "SessionId-deleted-000000")
        fresh = _session("acct-0002", "SessionId-unverified-000")
        _add(storage, _active("acct-0003", "gone@example.com").deleted())
        _put(storage, ended, deleted, fresh)
        with storage.unit_of_work() as uow:
            assert uow.sessions.check(ended.id_hash, T0 + _MICRO, **_RULES) is None
            assert uow.sessions.check(deleted.id_hash, T0 + _MICRO, **_RULES) is None
            found = uow.sessions.check(fresh.id_hash, T0 + _MICRO, **_RULES)
        assert found == SessionCheck("acct-0002", "en", fresh.expires_at, False, False)

    @pytest.mark.parametrize(
        "bad",
        [
            {"now": datetime(2026, 11, 1, 12, 0)},
            {"now": "2026-11-01T12:00:00Z"},
            {"idle_timeout": -_MICRO},
            {"idle_timeout": 1800},
            {"touch_interval": -_MICRO},
            {"touch_interval": None},
        ],
        ids=["naive-now", "text-now", "negative-idle", "idle-number", "negative-touch", "no-touch"],
    )
    def test_a_check_refuses_bad_input_before_reading(
        self, storage: Storage, bad: dict[str, object]
    ) -> None:
        """A naive or non-datetime ``now`` and a negative or non-timedelta duration raise
        ``InvalidFieldError``, for a stored session and for an unknown or hostile hash
        alike (refused before anything is read)."""
        _add(storage, _active())
        session = _session()
        _put(storage, session)
        arguments: dict[str, Any] = {"now": T0, **_RULES, **bad}
        for key in (session.id_hash, "0" * 64, *_HOSTILE_KEYS):
            with storage.unit_of_work(read_once=True) as uow, pytest.raises(InvalidFieldError):
                uow.sessions.check(key, **arguments)

    def test_a_session_of_an_unstored_account_is_read_with_none(self, storage: Storage) -> None:
        """A session whose account is not stored comes with ``None``; an unknown or
        hostile id hash is ``None``; another account's session never comes with this one."""
        _add(storage, _active())
        orphan = _session("acct-0002", "SessionId-other-0000000")
        _put(storage, orphan)
        with storage.unit_of_work() as uow:
            assert uow.sessions.get_with_account(orphan.id_hash) == (orphan, None)
            assert uow.sessions.check(orphan.id_hash, T0, **_RULES) is None
            assert uow.sessions.get_with_account(_session().id_hash) is None
            for key in _HOSTILE_KEYS:
                assert uow.sessions.get_with_account(key) is None

    def test_a_stored_id_hash_is_refused_and_an_unknown_one_is_none(self, storage: Storage) -> None:
        """A second session with a stored id hash raises ``ConflictError`` and keeps the
        first; hostile and unknown hashes answer ``None``."""
        first = _session()
        _put(storage, first)
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.sessions.put(_session("acct-0002"))
        with storage.unit_of_work() as uow:
            assert uow.sessions.get(first.id_hash) == first
            assert uow.sessions.get("0" * 64) is None
            for key in _HOSTILE_KEYS:
                assert uow.sessions.get(key) is None
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert (uow.sessions.touch(key, T0), uow.sessions.end(key, T0)) == (False, False)
                assert uow.sessions.end_all(key, T0) == 0

    def test_a_touch_moves_the_last_seen_time_forward_only(self, storage: Storage) -> None:
        """Only a later time is written (``True``); an earlier or equal one, an ended or
        unknown session change nothing. The expiry never moves (no sliding renewal)."""
        session = _session(remember=True, lifetime=timedelta(days=14))
        _put(storage, session)
        minute = timedelta(minutes=1)
        assert _in_unit(storage, lambda uow: uow.sessions.touch(session.id_hash, T0 + minute))
        assert not _in_unit(storage, lambda uow: uow.sessions.touch(session.id_hash, T0))
        assert not _in_unit(storage, lambda uow: uow.sessions.touch("0" * 64, T0 + minute))
        with storage.unit_of_work() as uow:
            assert uow.sessions.get(session.id_hash) == session.touched(T0 + minute)
        _in_unit(storage, lambda uow: uow.sessions.end(session.id_hash, T0 + 2 * minute))
        assert not _in_unit(storage, lambda uow: uow.sessions.touch(session.id_hash, T0 + _DAY))

    @pytest.mark.parametrize(
        ("remember", "lifetime", "idle", "last_live"),
        [
            (False, timedelta(hours=12), timedelta(minutes=30), timedelta(minutes=30)),
            (True, timedelta(days=14), timedelta(minutes=30), timedelta(days=14)),
        ],
        ids=["plain-idle", "remember-absolute"],
    )
    def test_a_stored_session_is_live_at_its_bound_and_not_one_second_later(
        self,
        storage: Storage,
        remember: bool,
        lifetime: timedelta,
        idle: timedelta,
        last_live: timedelta,
    ) -> None:
        """Read back, a plain session lives until 30 idle minutes and a *remember* one
        until its 14 days, whatever its touches: each bound included, one second later
        refused (SECURITY E1)."""
        session = _session(remember=remember, lifetime=lifetime)
        _put(storage, session)
        if remember:  # a touch a minute before the end must not extend it
            late = T0 + lifetime - timedelta(minutes=1)
            _in_unit(storage, lambda uow: uow.sessions.touch(session.id_hash, late))
        with storage.unit_of_work() as uow:
            stored = uow.sessions.get(session.id_hash)
        assert stored is not None
        assert stored.is_live(T0 + last_live, idle_timeout=idle)
        assert not stored.is_live(T0 + last_live + _SECOND, idle_timeout=idle)

    def test_a_session_ends_once(self, storage: Storage) -> None:
        """``end`` ends a live session and says so once; an ended session keeps its end."""
        session = _session()
        _put(storage, session)
        assert _in_unit(storage, lambda uow: uow.sessions.end(session.id_hash, T0 + _SECOND))
        assert not _in_unit(storage, lambda uow: uow.sessions.end(session.id_hash, T0 + _DAY))
        with storage.unit_of_work() as uow:
            stored = uow.sessions.get(session.id_hash)
        assert stored == session.ended(T0 + _SECOND)
        assert stored is not None
        assert not stored.is_live(T0 + _SECOND, idle_timeout=timedelta(minutes=30))

    def test_a_session_ended_by_many_threads_ends_exactly_once(self, storage: Storage) -> None:
        """Eight threads log one session out at once: one ``True``, seven ``False``."""
        self._needs("supports_concurrent_writers")
        session = _session()
        _put(storage, session)
        answers = _together(
            8, lambda i: _in_unit(storage, lambda uow: uow.sessions.end(session.id_hash, T0))
        )
        assert sorted(answers) == [False] * 7 + [True]

    def test_end_all_ends_an_accounts_sessions_but_the_kept_one(self, storage: Storage) -> None:
        """Every session of the account not yet ended ends, except ``keep``; sessions of
        other accounts and ended ones keep what they hold."""
        mine = [_session(session_id=f"SessionId-mine-0000000{n}") for n in range(3)]
        ended = _session(session_id="SessionId-ended-0000000").ended(T0)
        other = _session("acct-0002", "SessionId-other-0000000")
        _put(storage, *mine, ended, other)
        at = T0 + _SECOND
        keep = mine[0].id_hash
        assert _in_unit(storage, lambda uow: uow.sessions.end_all("acct-0001", at, keep=keep)) == 2
        with storage.unit_of_work() as uow:
            assert [uow.sessions.get(s.id_hash) for s in mine] == [
                mine[0],
                mine[1].ended(at),
                mine[2].ended(at),
            ]
            assert uow.sessions.get(ended.id_hash) == ended
            assert uow.sessions.get(other.id_hash) == other
        assert _in_unit(storage, lambda uow: uow.sessions.end_all("acct-0001", at)) == 1

    def test_open_sessions_are_the_accounts_sessions_not_ended_oldest_first(
        self, storage: Storage
    ) -> None:
        """``open_sessions`` lists the account's sessions that have not ended, expired ones
        too (until the purge), oldest first, ties by id hash; never an ended one or another
        account's; a key no row can hold finds nothing; a unit sees its own end."""
        first = _session(session_id="SessionId-first-0000000")
        tie = _session(session_id="SessionId-tie-000000000")
        expired = _session(session_id="SessionId-expired-00000", lifetime=_MICRO)
        later = AccountSession.start(
            "SessionId-later-0000000", "acct-0001", T0 + _SECOND, remember=True, lifetime=_DAY
        )
        ended = _session(session_id="SessionId-ended-0000000").ended(T0)
        other = _session("acct-0002", "SessionId-other-0000000")
        _put(storage, later, first, tie, expired, ended, other)
        oldest = sorted((first, tie, expired), key=lambda session: session.id_hash)
        with storage.unit_of_work() as uow:
            assert list(uow.sessions.open_sessions("acct-0001")) == [*oldest, later]
            for hostile in ("", "acct-0001' OR '1'='1", "acct-\udcff0001", "a" * 10_000):
                assert list(uow.sessions.open_sessions(hostile)) == []
        with storage.unit_of_work(write=True) as uow:
            uow.sessions.end(later.id_hash, T0 + _SECOND)
            assert list(uow.sessions.open_sessions("acct-0001")) == oldest
        with storage.unit_of_work() as uow:
            assert list(uow.sessions.open_sessions("acct-0001")) == [*oldest, later]

    def test_purging_sessions_deletes_only_those_that_can_never_log_in_again(
        self, storage: Storage
    ) -> None:
        """Expired or ended strictly before the first bound, or plain and last seen
        strictly before the second: deleted. At a bound, or *remember* however idle: kept."""
        hour = timedelta(hours=1)
        expired = _session(session_id="SessionId-expired-00000", lifetime=hour - _MICRO)
        expiring = _session(session_id="SessionId-expiring-0000", remember=True, lifetime=hour)
        ended = _session(session_id="SessionId-ended-0000000", lifetime=_DAY).ended(T0)
        idle = _session(session_id="SessionId-idle-00000000", lifetime=_DAY)
        remembered = _session(
            session_id="SessionId-remember-0000", remember=True, lifetime=14 * _DAY
        )
        seen = _session(session_id="SessionId-seen-00000000", lifetime=_DAY).touched(T0 + hour)
        sessions = (expired, expiring, ended, idle, remembered, seen)
        _put(storage, *sessions)
        purged = _in_unit(storage, lambda uow: uow.sessions.purge(T0 + hour, T0 + hour))
        assert purged == 3
        with storage.unit_of_work() as uow:
            kept = [s for s in sessions if uow.sessions.get(s.id_hash) is not None]
        assert kept == [expiring, remembered, seen]

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.sessions.put(_session("acct-0002", "SessionId-other-0000000")),
            lambda uow: uow.sessions.touch(_session().id_hash, T0 + _DAY),
            lambda uow: uow.sessions.end(_session().id_hash, T0),
            lambda uow: uow.sessions.end_all("acct-0001", T0),
            lambda uow: uow.sessions.purge(T0 + 365 * _DAY, T0 + 365 * _DAY),
        ],
        ids=["put", "touch", "end", "end_all", "purge"],
    )
    def test_a_read_only_unit_refuses_session_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Every write of the session store raises ``AdapterError`` in a read-only unit
        and changes nothing; an uncommitted one is forgotten."""
        session = _session()
        _put(storage, session)
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        with storage.unit_of_work(write=True) as uow:
            write(uow)  # left without commit
        with storage.unit_of_work() as uow:
            assert uow.sessions.get(session.id_hash) == session
            assert (
                uow.sessions.get(_session("acct-0002", "SessionId-other-0000000").id_hash) is None
            )


class CaptchaStoreContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.CaptchaStore` contract: a challenge is handed
    out for one answer, once, until its expiry included, even to racing threads.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    @_PROPERTY
    @given(captcha=strategies.stored_captchas())
    def test_any_open_challenge_is_consumed_equal_and_once(
        self, storage: Storage, captcha: StoredCaptcha
    ) -> None:
        """An open challenge comes back as it was put (its id, answer hash and times),
        marked used at ``now``; a used one, or the same one again, comes back as ``None``."""
        captcha = attrs.evolve(captcha, challenge_id=_fresh("Captcha-").ljust(22, "x"))
        now = captcha.expires_at
        _put(storage, captcha)
        taken = _in_unit(storage, lambda uow: uow.captchas.consume(captcha.challenge_id, now))
        if captcha.used_at is None:
            assert taken == attrs.evolve(captcha, used_at=now)
        else:
            assert taken is None
        assert (
            _in_unit(storage, lambda uow: uow.captchas.consume(captcha.challenge_id, now)) is None
        )

    def test_a_challenge_is_open_at_its_expiry_and_not_a_second_later(
        self, storage: Storage
    ) -> None:
        """Valid at exactly issued + 10 minutes, refused one second later (SECURITY C3,
        D3); a refused consume writes nothing."""
        early, late = _captcha("Captcha-early-00000001"), _captcha("Captcha-late-000000001")
        _put(storage, early, late)
        end = T0 + timedelta(minutes=10)
        after = _in_unit(
            storage, lambda uow: uow.captchas.consume(late.challenge_id, end + _SECOND)
        )
        assert after is None
        taken = _in_unit(storage, lambda uow: uow.captchas.consume(early.challenge_id, end))
        assert taken == attrs.evolve(early, used_at=end)
        assert _in_unit(storage, lambda uow: uow.captchas.consume(late.challenge_id, end)) == (
            attrs.evolve(late, used_at=end)
        )

    def test_a_challenge_raced_by_many_threads_is_handed_out_once(self, storage: Storage) -> None:
        """Eight threads consume one challenge at once: exactly one gets it."""
        self._needs("supports_concurrent_writers")
        captcha = _captcha()
        _put(storage, captcha)
        answers = _together(
            8,
            lambda i: _in_unit(storage, lambda uow: uow.captchas.consume(captcha.challenge_id, T0)),
        )
        assert [a for a in answers if a is not None] == [attrs.evolve(captcha, used_at=T0)]

    def test_unknown_hostile_and_stored_ids(self, storage: Storage) -> None:
        """An unknown or hostile id is never handed out; a stored id cannot be put again."""
        captcha = _captcha()
        _put(storage, captcha)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.captchas.put(_captcha(answer_hash="0f" * 32))
            for key in ("Captcha-99999999999999", *_HOSTILE_KEYS):
                assert uow.captchas.consume(key, T0) is None
            uow.commit()
        taken = _in_unit(storage, lambda uow: uow.captchas.consume(captcha.challenge_id, T0))
        assert taken == attrs.evolve(captcha, used_at=T0)

    def test_purging_challenges_deletes_only_those_expired_before_the_bound(
        self, storage: Storage
    ) -> None:
        """Challenges expiring strictly before the bound go, used or not; one expiring at
        the bound stays and can still be consumed then."""
        end = T0 + timedelta(minutes=10)
        old = attrs.evolve(_captcha("Captcha-old-0000000001"), expires_at=end - _MICRO)
        used = attrs.evolve(_captcha("Captcha-used-000000001"), expires_at=end - _MICRO, used_at=T0)
        kept = _captcha("Captcha-kept-000000001")
        _put(storage, old, used, kept)
        assert _in_unit(storage, lambda uow: uow.captchas.purge(end)) == 2
        assert _in_unit(storage, lambda uow: uow.captchas.consume(old.challenge_id, T0)) is None
        assert _in_unit(storage, lambda uow: uow.captchas.consume(kept.challenge_id, end)) == (
            attrs.evolve(kept, used_at=end)
        )

    @pytest.mark.parametrize("act", ["put", "consume", "purge"])
    def test_a_read_only_unit_refuses_captcha_writes(self, storage: Storage, act: str) -> None:
        """Putting, consuming and purging raise ``AdapterError`` in a read-only unit; a
        consume rolled back leaves the challenge open."""
        captcha = _captcha()
        _put(storage, captcha)
        writes: dict[str, Callable[[UnitOfWork], object]] = {
            "put": lambda uow: uow.captchas.put(_captcha("Captcha-other-00000001")),
            "consume": lambda uow: uow.captchas.consume(captcha.challenge_id, T0),
            "purge": lambda uow: uow.captchas.purge(T0 + _DAY),
        }
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            writes[act](uow)
        with storage.unit_of_work(write=True) as uow:
            writes[act](uow)  # left without commit
        taken = _in_unit(storage, lambda uow: uow.captchas.consume(captcha.challenge_id, T0))
        assert taken == attrs.evolve(captcha, used_at=T0)
