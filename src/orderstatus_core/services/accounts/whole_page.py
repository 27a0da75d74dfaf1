"""The whole Profile page in one call (issue 14 items 1-7 and 11): the address book, the
garage, the store credit, the discount codes, the part watches, the mail preferences and
the account's language.

A page that called each list's command would check the session once per list, each in
units of its own; :func:`profile_page` checks it once (:func:`check_session
<orderstatus_core.services.accounts.login.check_session>`, the lean per-request check,
which also answers the account's language) and reads every list in one read unit, each
with the same function its own command uses, so each part is the answer that command
gives (the one way to build each list).
"""

from __future__ import annotations

from orderstatus_core.services.accounts._common import ShopperProof, checked_shopper
from orderstatus_core.services.accounts.alerts import read_part_watches
from orderstatus_core.services.accounts.credit import (
    LISTED_ENTRIES,
    credit_across,
    read_discount_codes,
)
from orderstatus_core.services.accounts.login import check_session
from orderstatus_core.services.accounts.mail_preferences import read_mail_preferences
from orderstatus_core.services.accounts.profile import read_address_book, read_garage
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.profile_results import ProfilePage, ProfilePageResult
from orderstatus_core.services.results import NotLoggedIn

__all__ = ["profile_page"]


def profile_page(ctx: ServiceContext, proof: ShopperProof) -> ProfilePageResult:
    """Everything the Profile page shows (:class:`ProfilePage`), or :class:`NotLoggedIn`:
    one session check, then one read unit with the address book (as ``addresses()``), the
    garage (``garage()``), the store credit with its newest 50 entries
    (``store_credit()``), the discount codes (``discount_codes()``), the part watches
    (``part_watches()``), the mail preferences (``mail_preferences()``) and the account's
    preferred language (``check()``'s).

    The lists are one snapshot of the account (one unit), where separate calls each see
    their own; for an account nobody changes in between, each part equals that call's
    answer.
    """
    proof = checked_shopper(proof)
    signed_in = check_session(ctx, proof)
    if isinstance(signed_in, NotLoggedIn):
        return signed_in
    account_id = signed_in.account_id
    policy = ctx.policies.profile_policy()
    with ctx.storage.unit_of_work() as uow:
        store = uow.accounts
        return ProfilePage(
            addresses=read_address_book(store, account_id, policy.reuse_from_orders),
            garage=read_garage(store, account_id),
            store_credit=credit_across(uow, account_id, LISTED_ENTRIES),
            discount_codes=read_discount_codes(ctx, uow, account_id),
            part_watches=read_part_watches(store, account_id),
            mail_preferences=read_mail_preferences(store, account_id, policy.mail_topics),
            language=signed_in.language,
        )
