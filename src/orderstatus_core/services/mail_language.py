"""The language of an order's mail: one rule for every mail about an order (issue 14 item 7).

An order's mail (the tracking mail, the Order Look-Up list, the guest-pass code, a return's
papers and its steps) goes to the address stored with the order. When that address belongs
to a shopper's account, the shopper has said which language they read, and the mail
follows that preference; a page's language is only the choice of the moment, made
perhaps on a shared or foreign computer. The page's own answer stays in the page's
language, so what a guest sees never depends on, nor reveals, whether an account holds
the address (SECURITY A1).
"""

from __future__ import annotations

from orderstatus_core.model import EmailAddress
from orderstatus_core.ports import UnitOfWork

__all__ = ["order_mail_language"]


def order_mail_language(
    uow: UnitOfWork, to: EmailAddress | str, order_number: str | None, otherwise: str
) -> str:
    """The language of a mail about ``order_number`` (``None`` for a mail about an
    address's orders, as Order Look-Up's) to ``to`` (the stored address, or its key).

    The preferred language of the live, verified account whose email is ``to``; else of
    the live, verified account the order joined (attached with a code, or an account
    whose email changed since); else ``otherwise``: the language the shopper's page named
    when it asked, or the store's ``LookupPolicy.mail_language``. An unverified or
    deleted account's language is never used.

    Read in ``uow``, the unit that queues the mail: never stale, never an extra unit, and a
    storage failure fails the whole unit, so nothing is queued. One read
    (:meth:`~orderstatus_core.ports.AccountStore.preferred_language`), which takes no lock.
    """
    key = to.canonical if isinstance(to, EmailAddress) else to
    return uow.accounts.preferred_language(key, order_number) or otherwise
