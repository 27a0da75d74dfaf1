"""The security log as its holder reads it (SECURITY C4)."""

from __future__ import annotations

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.services._texts import in_language
from orderstatus_core.services.accounts._common import (
    ShopperProof,
    checked_shopper,
    live_session,
    session_texts,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import NotLoggedIn, SecurityLog, SecurityLogResult

__all__ = ["security_log"]


def security_log(
    ctx: ServiceContext, proof: ShopperProof, *, limit: int | None = None
) -> SecurityLogResult:
    """The newest lines of the account's own security log, newest first: every sign-up,
    verification, log-in and failure, lock-out, reset, change and deletion, with emails
    masked and no secret (SECURITY C4). ``limit`` defaults to the policy's
    ``security_log_size`` and may be at most 500."""
    proof = checked_shopper(proof)
    size = ctx.policies.account_policy().security_log_size if limit is None else limit
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 500:
        raise InvalidFieldError("limit", "must be between 1 and 500")
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return in_language(NotLoggedIn(), session_texts(ctx, proof, None))
    with ctx.storage.unit_of_work() as uow:
        events = tuple(uow.accounts.events(live.session.account_id, size))
    return SecurityLog(events=events)
