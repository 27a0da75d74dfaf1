"""The purge: delete what is no longer needed, as long after as the retention policy says."""

from __future__ import annotations

from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import PurgeReport

__all__ = ["purge"]


def purge(ctx: ServiceContext) -> PurgeReport:
    """Delete delivered outbox messages, expired guest-pass challenges and passes, expired
    account tokens, sessions and captcha challenges (SECURITY D5), and idempotent replies
    older than ``ctx.policies.retention_policy()`` allows, and the counts of failed log-ins
    below the lock whose last failure is older than the account policy's
    ``failure_memory``, in one transaction.

    What is still needed stays, whatever the policy: a message not yet delivered, a
    challenge or pass until it expires, a reply while its key may replay it (24 h), a count
    of failed log-ins at the lock until its recovery (SECURITY C2).
    """
    with ctx.storage.unit_of_work(write=True) as uow:
        # The time is read inside the unit, after the write lock (SECURITY G6).
        now = ctx.clock.now()
        keep = ctx.policies.retention_policy()
        expired = now - keep.expired_passes
        accounts = ctx.policies.account_policy()
        idle = accounts.idle_timeout
        report = PurgeReport(
            sent_messages=uow.outbox.purge_sent(now - keep.sent_messages),
            challenges=uow.passes.purge_challenges(expired),
            passes=uow.passes.purge_passes(expired),
            idempotent_replies=uow.idempotency.purge(now - keep.idempotent_replies),
            account_tokens=uow.accounts.purge_tokens(expired),
            # A plain session idle past its time-out logs nobody in again either.
            sessions=uow.sessions.purge(expired, expired - idle),
            captchas=uow.captchas.purge(expired),
            # A count at the lock stays until its recovery (SECURITY C2).
            failed_logins=uow.accounts.forget_failed_logins(
                now - accounts.failure_memory, accounts.max_failed_logins
            ),
        )
        uow.commit()
    return report
