"""The conformance suite of stored replies of idempotent commands.

Subclass :class:`IdempotencyStoreContract` in a test module and supply the ``storage`` fixture (a
fresh, migrated, empty storage per test); see :mod:`orderstatus_core.testing.contracts`.
"""

from __future__ import annotations

from datetime import timedelta

from orderstatus_core.ports import Storage
from orderstatus_core.records import (
    IdempotentReply,
)
from orderstatus_core.testing.contracts._support import (
    _HOSTILE_KEYS,
    T0,
    StorageSuite,
)

__all__ = ["IdempotencyStoreContract"]

_MICRO = timedelta(microseconds=1)


class IdempotencyStoreContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.IdempotencyStore` contract: a stored reply is read back
    equal, a key is kept once, replies roll back with their unit and are purged by age.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_purging_replies_deletes_only_those_created_before_the_bound(
        self, storage: Storage
    ) -> None:
        """Replies created strictly before the bound are deleted; one created at it stays."""
        micro = timedelta(microseconds=1)
        with storage.unit_of_work(write=True) as uow:
            for key, at in (("old", T0 - micro), ("at", T0), ("new", T0 + micro)):
                uow.idempotency.put(IdempotentReply(key, "f" * 64, "{}", at))
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.idempotency.purge(T0) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            kept = [k for k in ("old", "at", "new") if uow.idempotency.get(k) is not None]
        assert kept == ["at", "new"]

    def test_a_stored_reply_is_read_back_equal(self, storage: Storage) -> None:
        """Key, fingerprint, the JSON reply byte for byte and an aware UTC time come back."""
        reply = IdempotentReply(
            "key-ÄÖ-1", "0f" * 32, '{"answer": "Hyväksytty", "n": [1, 2]}', T0 + _MICRO
        )
        with storage.unit_of_work(write=True) as uow:
            uow.idempotency.put(reply)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.idempotency.get(reply.key) == reply

    def test_an_unknown_key_is_none(self, storage: Storage) -> None:
        """A key nothing was stored under, or one that only looks like a query, is ``None``."""
        with storage.unit_of_work() as uow:
            assert uow.idempotency.get("never-stored") is None
            assert uow.idempotency.get("' OR '1'='1") is None

    def test_putting_a_key_again_replaces_its_reply(self, storage: Storage) -> None:
        """An expired key is reused: the newer reply replaces the older one."""
        older = IdempotentReply("reused", "a" * 64, "{}", T0)
        newer = IdempotentReply("reused", "b" * 64, '{"again": true}', T0 + timedelta(days=2))
        for reply in (older, newer):
            with storage.unit_of_work(write=True) as uow:
                uow.idempotency.put(reply)
                uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.idempotency.get("reused") == newer

    def test_a_reply_is_rolled_back_with_its_unit(self, storage: Storage) -> None:
        """A unit sees its own reply; one it leaves without commit is forgotten."""
        reply = IdempotentReply("rolled", "c" * 64, "{}", T0)
        with storage.unit_of_work(write=True) as uow:
            uow.idempotency.put(reply)
            assert uow.idempotency.get("rolled") == reply
        with storage.unit_of_work() as uow:
            assert uow.idempotency.get("rolled") is None

    def test_hostile_text_as_a_key_finds_nothing(self, storage: Storage) -> None:
        """Keys that are hostile, huge, or not even storable (NUL, a lone surrogate) find no
        reply, in read and write units."""
        for write in (False, True):
            with storage.unit_of_work(write=write) as uow:
                for key in _HOSTILE_KEYS:
                    assert uow.idempotency.get(key) is None
