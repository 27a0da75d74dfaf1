"""Conformance suites, one per port, for adapter authors (as fsspec ships its abstract tests).

Each suite is a mixin class. Subclass the suites for the ports your adapter implements in
a test module, under a name pytest collects, and supply the fixtures they declare::

    import pytest
    from orderstatus_core.testing.contracts import OrderRepositoryContract, OutboxContract

    class TestMyStorage(OrderRepositoryContract, OutboxContract):
        supports_concurrent_writers = False  # a capability this adapter lacks

        @pytest.fixture
        def storage(self, tmp_path):
            storage = MyStorage(tmp_path / "orders.db")
            storage.migrate()
            yield storage
            storage.close()

A suite declares every fixture it needs in code: until the test class (or its module, or a
``conftest.py``) defines it, each test fails with ``NotImplementedError`` saying what the
fixture must give and how to write it.

===============================  =====================  ====================================
suite                            fixture                what the fixture gives
===============================  =====================  ====================================
``OrderRepositoryContract``      ``storage``            a fresh, migrated, empty ``Storage``
``OrderQueriesContract``         ``storage``            the same (``recent``, ``search``; part
                                                        of ``OrderRepositoryContract``)
``OutboxContract``               ``storage``            the same
``GuestPassStoreContract``       ``storage``            the same
``IdempotencyStoreContract``     ``storage``            the same
``StoreCreditLedgerContract``    ``storage``            the same
``ReturnDocumentStoreContract``  ``storage``            the same
``AccountStoreContract``         ``storage``            the same
``HistorySearchContract``        ``storage``            the same (``search_linked`` by
                                                        vehicle; part of
                                                        ``AccountStoreContract``)
``PartWatchContract``            ``storage``            the same (availability alerts; part
                                                        of ``AccountStoreContract``)
``SessionStoreContract``         ``storage``            the same
``CaptchaStoreContract``         ``storage``            the same
``UnitOfWorkContract``           ``storage``            the same
``MemoryReferenceContract``      ``storage``            the same
``StorageContract``              ``storage``            every storage suite above in one class
``RateLimiterContract``          ``rate_limiter``       a fresh ``RateLimiter``
``MailerContract``               ``mailer``,            a ``Mailer``, and a callable answering
                                 ``delivered``          what it has delivered, as
                                                        ``OutgoingMail``
``LabelMakerContract``           ``label_maker``        a ``LabelMaker``
``CaptchaContract``              ``captcha``,           a ``Captcha`` built with its test
                                 ``captcha_answer``     hook, and a callable answering the
                                                        right answer of a challenge by id
``PasswordHasherContract``       ``password_hasher``,   a ``PasswordHasher`` (cheap
                                 ``stale_password_``    parameters), and one of the same
                                 ``hasher``             kind with other parameters
===============================  =====================  ====================================

The storage suites reach a port through a unit of work (``uow.orders``, ``uow.outbox`` ...),
since that is where the services meet it. Capabilities are class attributes that default
to ``True`` (``supports_concurrent_units``, ``supports_concurrent_writers``); set one to
``False`` to skip the tests that need it. Property tests draw fresh order numbers,
addresses and keys for every example, so one storage or limiter per test is enough; they
follow the Hypothesis profile in force (see :mod:`orderstatus_core.testing.pytest_plugin`)
except for their example counts, kept modest so that a suite runs in seconds.

``MemoryReferenceContract`` runs two Hypothesis state machines against the storage under
test and the ``memory://`` reference, and fails, with the shortest sequence of steps that
shows it, at the first answer that differs: random storage commands, and the order
lifecycle of :class:`~orderstatus_core.testing.lifecycle.LifecycleMachine`, whose order
invariants (:mod:`orderstatus_core.testing.invariants`) every stored order must keep after
every step. It runs 20 orders of up to 20 steps; under ``HYPOTHESIS_PROFILE=nightly`` as
long as that profile says (600 orders of up to 50 steps).
"""

from __future__ import annotations

from orderstatus_core.testing.contracts.account_store import (
    AccountStoreContract,
    CaptchaStoreContract,
    SessionStoreContract,
)
from orderstatus_core.testing.contracts.captcha import CaptchaAnswer, CaptchaContract
from orderstatus_core.testing.contracts.guest_pass_store import GuestPassStoreContract
from orderstatus_core.testing.contracts.history_search import HistorySearchContract
from orderstatus_core.testing.contracts.idempotency_store import IdempotencyStoreContract
from orderstatus_core.testing.contracts.label_maker import LabelMakerContract
from orderstatus_core.testing.contracts.mailer import Delivered, MailerContract, delivered_mail
from orderstatus_core.testing.contracts.order_queries import OrderQueriesContract
from orderstatus_core.testing.contracts.order_repository import OrderRepositoryContract
from orderstatus_core.testing.contracts.outbox import OutboxContract
from orderstatus_core.testing.contracts.part_watches import PartWatchContract
from orderstatus_core.testing.contracts.password_hasher import PasswordHasherContract
from orderstatus_core.testing.contracts.rate_limiter import RateLimiterContract
from orderstatus_core.testing.contracts.reference import MemoryReferenceContract
from orderstatus_core.testing.contracts.return_document_store import ReturnDocumentStoreContract
from orderstatus_core.testing.contracts.storage import StorageContract
from orderstatus_core.testing.contracts.store_credit_ledger import StoreCreditLedgerContract
from orderstatus_core.testing.contracts.unit_of_work import UnitOfWorkContract

__all__ = [
    "AccountStoreContract",
    "CaptchaAnswer",
    "CaptchaContract",
    "CaptchaStoreContract",
    "Delivered",
    "GuestPassStoreContract",
    "HistorySearchContract",
    "IdempotencyStoreContract",
    "LabelMakerContract",
    "MailerContract",
    "MemoryReferenceContract",
    "OrderQueriesContract",
    "OrderRepositoryContract",
    "OutboxContract",
    "PartWatchContract",
    "PasswordHasherContract",
    "RateLimiterContract",
    "ReturnDocumentStoreContract",
    "SessionStoreContract",
    "StorageContract",
    "StoreCreditLedgerContract",
    "UnitOfWorkContract",
    "delivered_mail",
]
