"""The conformance suite of guest-pass challenges, tries and passes.

Subclass :class:`GuestPassStoreContract` in a test module and supply the ``storage`` fixture (a
fresh, migrated, empty storage per test); see :mod:`orderstatus_core.testing.contracts`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.errors import (
    AdapterError,
    ConflictError,
)
from orderstatus_core.ports import Storage
from orderstatus_core.services import (
    GuestPassGranted,
    GuestPassRefused,
    check_guest_pass,
    request_guest_pass,
    verify_guest_code,
)
from orderstatus_core.testing import strategies
from orderstatus_core.testing.contracts._support import (
    _CODE_TTL,
    _GUEST_ORDER,
    _HOSTILE_KEYS,
    _PROPERTY,
    T0,
    StorageSuite,
    _Boom,
    _challenge,
    _fresh,
    _guest_pass,
    _guest_pass_context,
    _mailed_code,
    _passes_then_fail,
    _put,
    _serial,
    _together,
)

__all__ = ["GuestPassStoreContract"]


class GuestPassStoreContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.GuestPassStore` contract: challenges and passes read back
    equal, the newest challenge, counted tries, purges, and one pass for a raced code.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_purging_guest_passes_deletes_only_those_expired_before_the_bound(
        self, storage: Storage
    ) -> None:
        """Challenges and passes expiring strictly before the bound are deleted, used or not;
        those expiring at it stay (a pass is still valid at its ``expires_at``)."""
        micro = timedelta(microseconds=1)
        early = _challenge("Challenge-0000000000002", issued_at=T0 - micro)
        at = _challenge("Challenge-0000000000003", issued_at=T0)
        used = attrs.evolve(_challenge("Challenge-0000000000004", issued_at=T0 - micro), used=True)
        _put(storage, early, at, used, _guest_pass("GuestPass-0000000000002"))
        bound = T0 + _CODE_TTL
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.purge_challenges(bound) == 2
            assert uow.passes.purge_passes(_guest_pass().expires_at) == 0
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge("Challenge-0000000000002") is None
            assert uow.passes.get_challenge("Challenge-0000000000004") is None
            assert uow.passes.latest_challenge("123456789") == at
            kept = _guest_pass("GuestPass-0000000000002")
            assert uow.passes.get_pass(kept.selector) == kept
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.purge_passes(_guest_pass().expires_at + micro) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_pass("GuestPass-0000000000002") is None

    def test_purging_challenges_deletes_the_tries_no_challenge_can_count_again(
        self, storage: Storage
    ) -> None:
        """With the challenges, the tries recorded before the bound go when their challenge
        is gone (a purged one, or ``""`` for an order without one); a stored challenge keeps
        all its tries, however old, and a try at the bound stays."""
        micro = timedelta(microseconds=1)
        gone = _challenge("Challenge-0000000000002", issued_at=T0 - _CODE_TTL)
        live = _challenge("Challenge-0000000000003", issued_at=T0)
        _put(storage, gone, live)
        bound = T0 + micro
        with storage.unit_of_work(write=True) as uow:
            for selector, at in (
                (gone.selector, T0 - micro),
                (live.selector, T0 - micro),
                ("", T0 - micro),
                ("", bound),
            ):
                uow.passes.record_try("123456789", selector, at)
            assert uow.passes.purge_challenges(bound) == 1
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            # How many tries each now has, the one recorded here included.
            assert uow.passes.record_try("123456789", gone.selector, bound) == 1
            assert uow.passes.record_try("123456789", live.selector, bound) == 2
            assert uow.passes.record_try("123456789", "", bound) == 2

    def test_a_committed_challenge_is_read_back_equal(self, storage: Storage) -> None:
        """``get_challenge`` and ``latest_challenge`` answer the challenge as it was put."""
        challenge = _challenge()
        _put(storage, challenge)
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(challenge.selector) == challenge
            assert uow.passes.latest_challenge("123456789") == challenge

    def test_a_committed_pass_is_read_back_equal(self, storage: Storage) -> None:
        """``get_pass`` answers the pass as it was put."""
        guest_pass = _guest_pass()
        _put(storage, guest_pass)
        with storage.unit_of_work() as uow:
            assert uow.passes.get_pass(guest_pass.selector) == guest_pass

    @_PROPERTY
    @given(
        issued_at=strategies.timestamps(),
        tries_left=st.integers(0, 10),
        used=st.booleans(),
        number=strategies.order_numbers(),
    )
    def test_any_challenge_and_pass_are_read_back_equal(
        self, storage: Storage, issued_at: datetime, tries_left: int, used: bool, number: str
    ) -> None:
        """Times to the microsecond, tries, the used flag and the hashes survive storing."""
        challenge = attrs.evolve(
            _challenge(_fresh("Challenge-").ljust(22, "x"), number, issued_at),
            tries_left=tries_left,
            used=used,
        )
        guest_pass = attrs.evolve(
            _guest_pass(_fresh("GuestPass-").ljust(22, "x"), number),
            issued_at=issued_at,
            expires_at=issued_at + timedelta(minutes=30),
        )
        _put(storage, challenge, guest_pass)
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(challenge.selector) == challenge
            assert uow.passes.get_pass(guest_pass.selector) == guest_pass

    def test_an_unknown_selector_or_order_is_none(self, storage: Storage) -> None:
        """Nothing stored under a selector or for an order number answers ``None``."""
        _put(storage, _challenge(), _guest_pass())
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge("Challenge-9999999999999") is None
            assert uow.passes.get_challenge("GuestPass-0000000000001") is None
            assert uow.passes.get_pass("Challenge-0000000000001") is None
            assert uow.passes.get_pass("GuestPass-9999999999999") is None
            assert uow.passes.latest_challenge("987654321") is None

    def test_a_saved_challenge_replaces_the_stored_one(self, storage: Storage) -> None:
        """``save_challenge`` stores a used try, then the used flag."""
        challenge = _challenge()
        _put(storage, challenge)
        for changed in (
            attrs.evolve(challenge, tries_left=2),
            attrs.evolve(challenge, tries_left=2, used=True),
        ):
            with storage.unit_of_work(write=True) as uow:
                uow.passes.save_challenge(changed)
                uow.commit()
            with storage.unit_of_work() as uow:
                assert uow.passes.get_challenge(challenge.selector) == changed
                assert uow.passes.latest_challenge("123456789") == changed

    def test_saving_an_unknown_challenge_raises_conflict_error(self, storage: Storage) -> None:
        """Only a stored selector can be saved; nothing is stored otherwise."""
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.passes.save_challenge(_challenge())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(_challenge().selector) is None

    def test_putting_a_stored_selector_raises_conflict_error(self, storage: Storage) -> None:
        """Selectors are unique; a second put of one keeps the first value."""
        challenge, guest_pass = _challenge(), _guest_pass()
        _put(storage, challenge, guest_pass)
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.passes.put_challenge(attrs.evolve(challenge, tries_left=1))
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.passes.put_pass(_guest_pass(order_number="987654321"))
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(challenge.selector) == challenge
            assert uow.passes.get_pass(guest_pass.selector) == guest_pass

    def test_latest_challenge_is_newest_then_last_put(self, storage: Storage) -> None:
        """Latest ``issued_at`` wins; between equal times, the one put last; other
        orders' challenges never count."""
        minute = timedelta(minutes=1)
        _put(
            storage,
            _challenge("Challenge-B00000000000", issued_at=T0 + 2 * minute),
            _challenge("Challenge-C00000000000", issued_at=T0 + minute),
            _challenge("Challenge-Z00000000000", issued_at=T0),
            _challenge("Challenge-X00000000000", "987654321", T0 + 3 * minute),
        )
        with storage.unit_of_work() as uow:
            latest = uow.passes.latest_challenge("123456789")
        assert latest is not None
        assert latest.selector == "Challenge-B00000000000"
        tie = _challenge("Challenge-A00000000000", issued_at=T0 + 2 * minute)
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(tie)
            assert uow.passes.latest_challenge("123456789") == tie

    @_PROPERTY
    @given(count=st.integers(2, 12), draw=st.randoms(use_true_random=False))
    def test_between_challenges_of_one_time_the_last_put_is_newest(
        self, storage: Storage, count: int, draw: random.Random
    ) -> None:
        """Many challenges in one clock tick, their selectors in any order: after each put,
        the one just put is the newest (the random selector never breaks the tie)."""
        number = f"7{next(_serial):08d}"
        selectors = sorted(f"Challenge-{next(_serial):012d}" for _ in range(count))
        draw.shuffle(selectors)
        for selector in selectors:
            challenge = _challenge(selector, number, T0)
            _put(storage, challenge)
            with storage.unit_of_work() as uow:
                assert uow.passes.latest_challenge(number) == challenge

    def test_record_try_counts_the_tries_of_one_challenge(self, storage: Storage) -> None:
        """Each try is counted for its order number and selector, itself included, whether
        or not the order or a challenge exists; other challenges' tries never count."""
        minute = timedelta(minutes=1)
        challenge = "Challenge-T00000000000"
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.record_try("555000001", challenge, T0) == 1
            assert uow.passes.record_try("555000001", "", T0) == 1
            assert uow.passes.record_try("555000002", challenge, T0) == 1
            assert uow.passes.record_try("555000001", challenge, T0) == 2
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.record_try("555000001", challenge, T0 + minute) == 3
            assert uow.passes.record_try("555000001", "", T0 + minute) == 2

    def test_record_try_rolls_back_and_needs_a_write_unit(self, storage: Storage) -> None:
        """An uncommitted try is forgotten; a read-only unit refuses to record one."""
        with storage.unit_of_work(write=True) as uow:
            uow.passes.record_try("555000003", "", T0)
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.record_try("555000003", "", T0) == 1
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            uow.passes.record_try("555000003", "", T0)

    def test_a_unit_sees_its_own_uncommitted_challenge_and_pass(self, storage: Storage) -> None:
        """Inside the unit that put them, they are there before commit."""
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(_challenge())
            uow.passes.put_pass(_guest_pass())
            assert uow.passes.get_challenge(_challenge().selector) == _challenge()
            assert uow.passes.get_pass(_guest_pass().selector) == _guest_pass()

    def test_guest_pass_writes_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit, an exception and ``rollback`` all forget challenges,
        saves and passes."""
        stored = _challenge("Challenge-S00000000000")
        _put(storage, stored)
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(_challenge())
            uow.passes.save_challenge(attrs.evolve(stored, used=True))
            uow.passes.put_pass(_guest_pass())
        with pytest.raises(_Boom):
            _passes_then_fail(storage)
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_pass(_guest_pass())
            uow.rollback()
            uow.passes.put_challenge(_challenge())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(stored.selector) == stored
            assert uow.passes.get_challenge(_challenge().selector) == _challenge()
            assert uow.passes.get_pass(_guest_pass().selector) is None

    def test_the_guest_pass_flow_works_on_this_storage(self, storage: Storage) -> None:
        """Request, verify the mailed code once, check the pass: as on the reference."""
        ctx = _guest_pass_context(storage)
        request_guest_pass(ctx, "jane.doe@example.com", _GUEST_ORDER, client="c")
        code = _mailed_code(ctx)
        granted = verify_guest_code(ctx, _GUEST_ORDER, code, client="c")
        assert isinstance(granted, GuestPassGranted)
        assert check_guest_pass(ctx, granted.token, _GUEST_ORDER, ctx.clock.now())
        assert verify_guest_code(ctx, _GUEST_ORDER, code, client="c") == GuestPassRefused()

    def test_a_code_raced_by_many_threads_grants_exactly_one_pass(self, storage: Storage) -> None:
        """Eight threads send the right code at once: one pass, seven refusals (G2)."""
        self._needs("supports_concurrent_writers")
        ctx = _guest_pass_context(storage)
        request_guest_pass(ctx, "jane.doe@example.com", _GUEST_ORDER, client="c")
        code = _mailed_code(ctx)
        answers = _together(
            8, lambda i: verify_guest_code(ctx, _GUEST_ORDER, code, client=f"client-{i}")
        )
        assert sum(isinstance(answer, GuestPassGranted) for answer in answers) == 1
        assert answers.count(GuestPassRefused()) == 7

    def test_hostile_text_as_a_selector_or_order_finds_nothing(self, storage: Storage) -> None:
        """Selectors and order numbers that are hostile, huge, or not even storable (NUL, a
        lone surrogate) find no challenge and no pass, in read and write units."""
        _put(storage, _challenge(), _guest_pass())
        for write in (False, True):
            with storage.unit_of_work(write=write) as uow:
                for key in _HOSTILE_KEYS:
                    assert uow.passes.get_challenge(key) is None
                    assert uow.passes.latest_challenge(key) is None
                    assert uow.passes.get_pass(key) is None
