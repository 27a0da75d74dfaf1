"""Shipped test support: Hypothesis strategies, fakes, conformance suites, a pytest plugin.

Install with the ``testing`` extra (``pip install orderstatus-core[testing]``).

* :mod:`orderstatus_core.testing.strategies`: Hypothesis strategies for every model type.
* :mod:`orderstatus_core.testing.fakes`: :class:`FixedClock`, :class:`RecordingMailer`,
  :class:`FailingMailer`, :class:`CountingRateLimiter`, :class:`RecordingLabelMaker`,
  :class:`FailingLabelMaker`, :class:`RecordingCaptcha` (answers a test knows),
  :class:`CountingPasswordHasher` (cheap, counts every hash and verify),
  :func:`fake_context`, :func:`policies_with` and :func:`queued_mail`.
* :mod:`orderstatus_core.testing.contracts`: the conformance suites an adapter's tests
  subclass, one per port (:class:`OrderRepositoryContract`, :class:`OutboxContract`, ...,
  :class:`RateLimiterContract`, :class:`MailerContract`, :class:`LabelMakerContract`,
  :class:`CaptchaContract`, :class:`PasswordHasherContract`), and
  :class:`StorageContract`, every storage suite in one; :func:`delivered_mail` reads a
  delivered message back for a mailer suite.
* :mod:`orderstatus_core.testing.invariants`: :func:`check_order_invariants`, the rules
  every stored order keeps, for a user's own tests.
* :mod:`orderstatus_core.testing.lifecycle`: :class:`LifecycleMachine`, a Hypothesis state
  machine over the order lifecycle, returns, cores and warranty claims included, that
  ``StorageContract`` runs against every adapter.
* :mod:`orderstatus_core.testing.pytest_plugin`: fixtures and Hypothesis profiles.

The names below are imported on first use, so that loading the pytest plugin (which
imports this package) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orderstatus_core.testing.contracts import (
        AccountStoreContract,
        CaptchaContract,
        CaptchaStoreContract,
        GuestPassStoreContract,
        IdempotencyStoreContract,
        LabelMakerContract,
        MailerContract,
        MemoryReferenceContract,
        OrderQueriesContract,
        OrderRepositoryContract,
        OutboxContract,
        PasswordHasherContract,
        RateLimiterContract,
        ReturnDocumentStoreContract,
        SessionStoreContract,
        StorageContract,
        StoreCreditLedgerContract,
        UnitOfWorkContract,
        delivered_mail,
    )
    from orderstatus_core.testing.fakes import (
        CountingPasswordHasher,
        CountingRateLimiter,
        FailingLabelMaker,
        FailingMailer,
        FixedClock,
        RecordingCaptcha,
        RecordingLabelMaker,
        RecordingMailer,
        fake_context,
        policies_with,
        queued_mail,
    )
    from orderstatus_core.testing.lifecycle import LifecycleMachine

__all__ = [
    "AccountStoreContract",
    "CaptchaContract",
    "CaptchaStoreContract",
    "CountingPasswordHasher",
    "CountingRateLimiter",
    "FailingLabelMaker",
    "FailingMailer",
    "FixedClock",
    "GuestPassStoreContract",
    "IdempotencyStoreContract",
    "LabelMakerContract",
    "LifecycleMachine",
    "MailerContract",
    "MemoryReferenceContract",
    "OrderQueriesContract",
    "OrderRepositoryContract",
    "OutboxContract",
    "PasswordHasherContract",
    "RateLimiterContract",
    "RecordingCaptcha",
    "RecordingLabelMaker",
    "RecordingMailer",
    "ReturnDocumentStoreContract",
    "SessionStoreContract",
    "StorageContract",
    "StoreCreditLedgerContract",
    "UnitOfWorkContract",
    "delivered_mail",
    "fake_context",
    "policies_with",
    "queued_mail",
]

_HOME = {
    "CountingPasswordHasher": "fakes",
    "CountingRateLimiter": "fakes",
    "FailingLabelMaker": "fakes",
    "FailingMailer": "fakes",
    "FixedClock": "fakes",
    "RecordingCaptcha": "fakes",
    "RecordingLabelMaker": "fakes",
    "RecordingMailer": "fakes",
    "fake_context": "fakes",
    "policies_with": "fakes",
    "queued_mail": "fakes",
    "LifecycleMachine": "lifecycle",
    "CaptchaContract": "contracts",
    "PasswordHasherContract": "contracts",
    "AccountStoreContract": "contracts",
    "CaptchaStoreContract": "contracts",
    "SessionStoreContract": "contracts",
    "GuestPassStoreContract": "contracts",
    "IdempotencyStoreContract": "contracts",
    "LabelMakerContract": "contracts",
    "MailerContract": "contracts",
    "MemoryReferenceContract": "contracts",
    "OrderQueriesContract": "contracts",
    "OrderRepositoryContract": "contracts",
    "OutboxContract": "contracts",
    "RateLimiterContract": "contracts",
    "ReturnDocumentStoreContract": "contracts",
    "StorageContract": "contracts",
    "StoreCreditLedgerContract": "contracts",
    "UnitOfWorkContract": "contracts",
    "delivered_mail": "contracts",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
