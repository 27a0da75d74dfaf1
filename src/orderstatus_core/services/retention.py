"""The purge: delete what is no longer needed, as long after as the retention policy says."""

from __future__ import annotations

from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import PurgeReport

__all__ = ["purge"]


def purge(ctx: ServiceContext) -> PurgeReport:
    """Delete delivered outbox messages, expired guest-pass challenges and passes, and
    idempotent replies older than ``ctx.policies.retention_policy()`` allows, in one transaction.

    What is still needed stays, whatever the policy: a message not yet delivered, a
    challenge or pass until it expires, a reply while its key may replay it (24 h).
    """
    with ctx.storage.unit_of_work(write=True) as uow:
        # The time is read inside the unit, after the write lock (SECURITY G6).
        now = ctx.clock.now()
        keep = ctx.policies.retention_policy()
        report = PurgeReport(
            sent_messages=uow.outbox.purge_sent(now - keep.sent_messages),
            challenges=uow.passes.purge_challenges(now - keep.expired_passes),
            passes=uow.passes.purge_passes(now - keep.expired_passes),
            idempotent_replies=uow.idempotency.purge(now - keep.idempotent_replies),
        )
        uow.commit()
    return report
