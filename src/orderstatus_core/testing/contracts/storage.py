"""Every storage suite in one class, for an adapter that implements the whole ``Storage``.

See :mod:`orderstatus_core.testing.contracts` for picking single suites instead.
"""

from __future__ import annotations

from orderstatus_core.testing.contracts.account_store import (
    AccountStoreContract,
    CaptchaStoreContract,
    SessionStoreContract,
)
from orderstatus_core.testing.contracts.guest_pass_store import GuestPassStoreContract
from orderstatus_core.testing.contracts.idempotency_store import IdempotencyStoreContract
from orderstatus_core.testing.contracts.order_repository import OrderRepositoryContract
from orderstatus_core.testing.contracts.outbox import OutboxContract
from orderstatus_core.testing.contracts.reference import MemoryReferenceContract
from orderstatus_core.testing.contracts.return_document_store import ReturnDocumentStoreContract
from orderstatus_core.testing.contracts.store_credit_ledger import StoreCreditLedgerContract
from orderstatus_core.testing.contracts.unit_of_work import UnitOfWorkContract

__all__ = ["StorageContract"]


class StorageContract(
    UnitOfWorkContract,
    OrderRepositoryContract,
    OutboxContract,
    GuestPassStoreContract,
    IdempotencyStoreContract,
    StoreCreditLedgerContract,
    ReturnDocumentStoreContract,
    AccountStoreContract,
    SessionStoreContract,
    CaptchaStoreContract,
    MemoryReferenceContract,
):
    """The whole :class:`~orderstatus_core.Storage` contract: every port of a unit of work,
    the units themselves, and agreement with the ``memory://`` reference.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test. An adapter
    that stores only some ports picks those suites instead (each needs the same fixture).
    """
