"""The suites' first home, kept so that ``orderstatus_core.testing.contract`` imports work.

The suites now live one per port in :mod:`orderstatus_core.testing.contracts`; import
them from there (or from :mod:`orderstatus_core.testing`).
"""

from __future__ import annotations

from orderstatus_core.testing.contracts import (
    Delivered,
    MailerContract,
    RateLimiterContract,
    StorageContract,
)

__all__ = ["Delivered", "MailerContract", "RateLimiterContract", "StorageContract"]
