"""An account's orders: the history, its search, attaching an order placed with another
email, and orders that arrive for a verified address (SECURITY A4, F1, F2).

* :func:`order_history` and :func:`search_history`: every linked order, whatever its
  email, newest first, paged; the search is the guest side's (part number or category)
  or by the vehicle a line was bought for (a garage vehicle, or a year, make and model).
* :func:`attach_order` / :func:`confirm_attach`: the shopper names an order and its email
  or phone; if the pair matches, a 6-digit code goes to the order's *stored* address
  (A4) and typing it links the order (F2), with a bounded number of tries.
* :func:`join_verified_addresses`: the import calls it once, after its last order and
  before its commit, with every address of the file: their orders join the verified
  accounts of those addresses (F1), and the addresses' locks (PostgreSQL) are held only
  from then to the commit, not while the file is read.
* :func:`join_verified_accounts`: the sync calls it for each new order, in the order's
  own unit, so an order stored later with a verified account's address joins that
  account as it arrives (F1).
* :func:`follow_new_email`: an order whose email the sync changes leaves its account and
  joins the verified account of its new address, if any.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from operator import attrgetter

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.messages import AttachCodeMail, AttachOrderRequest
from orderstatus_core.model import Order
from orderstatus_core.model.account import (
    AccountToken,
    LinkedBy,
    OrderLink,
    SecurityEventKind,
    TokenPurpose,
)
from orderstatus_core.model.guest_pass import is_token_part
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.records import HistoryQuery, SearchCursor, VehicleQuery
from orderstatus_core.services._texts import in_language
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts._common import (
    LiveSession,
    ShopperProof,
    checked_shopper,
    limited_session,
    link_unlinked_orders,
    live_session,
    record,
    session_texts,
)
from orderstatus_core.services.accounts.profile import _typed_id
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.guest_pass import (
    _canonical,
    _new_code,
    _new_selector,
    _typed_code,
)
from orderstatus_core.services.lookup import (
    _contact,
    _query,
    _text,
    decode_cursor,
    encode_cursor,
)
from orderstatus_core.services.results import (
    AttachCodeSent,
    AttachConfirmResult,
    AttachRefused,
    AttachRequestResult,
    HistoryPage,
    HistoryResult,
    NotLoggedIn,
    OrderAttached,
    SearchPage,
    ShopperSearchResult,
)

__all__ = [
    "attach_order",
    "confirm_attach",
    "decide_attach",
    "follow_new_email",
    "join_verified_accounts",
    "join_verified_addresses",
    "order_history",
    "search_history",
]

_NOT_LOGGED_IN = NotLoggedIn()
_ATTACH_REFUSED = AttachRefused()


def _page_size(ctx: ServiceContext, page_size: object) -> int:
    policy = ctx.policies.account_policy()
    size = policy.history_page_size if page_size is None else page_size
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 100:
        raise InvalidFieldError("page_size", "must be between 1 and 100")
    return size


def order_history(
    ctx: ServiceContext,
    proof: ShopperProof,
    *,
    cursor: str | None = None,
    page_size: int | None = None,
) -> HistoryResult:
    """The account's orders (the *Account Activity* page): every linked order, whatever
    its email, newest first; pass ``next_cursor`` back for the next page. A malformed
    cursor or page size raises :class:`~orderstatus_core.errors.InvalidFieldError`."""
    proof = checked_shopper(proof)
    size = _page_size(ctx, page_size)
    after = decode_cursor(cursor) if cursor is not None else None
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return in_language(_NOT_LOGGED_IN, session_texts(ctx, proof, None))
    with ctx.storage.unit_of_work() as uow:
        # One extra row tells whether another page exists without a count query.
        headers = tuple(uow.accounts.linked_orders(live.session.account_id, size + 1, after))
    if len(headers) <= size:
        return HistoryPage(orders=headers, next_cursor=None)
    last = headers[size - 1]
    return HistoryPage(
        orders=headers[:size],
        next_cursor=encode_cursor(SearchCursor(placed_at=last.placed_at, number=last.number)),
    )


def search_history(
    ctx: ServiceContext,
    proof: ShopperProof,
    *,
    part_number: str | None = None,
    category: str | None = None,
    vehicle: VehicleQuery | None = None,
    vehicle_id: str | None = None,
    cursor: str | None = None,
    page_size: int | None = None,
) -> ShopperSearchResult:
    """The account's orders with a line of ``part_number``, in ``category``, or bought for
    a vehicle (one of the four), newest first, paged.

    A part number and a category match as the guest search matches them. ``vehicle`` (a
    :class:`~orderstatus_core.records.VehicleQuery`: year, make, model, optionally the
    engine) finds the lines bought for that vehicle, case and spacing folded;
    ``vehicle_id`` names a vehicle of the account's garage and finds the lines bought for
    its year, make, model and engine. An id the garage does not hold (removed, another
    account's, text that cannot be an id) finds nothing, as an unknown part number does;
    an id that is not text or longer than any id raises.
    """
    proof = checked_shopper(proof)
    query = _history_query(part_number, category, vehicle, vehicle_id)
    size = _page_size(ctx, page_size)
    after = decode_cursor(cursor) if cursor is not None else None
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return in_language(_NOT_LOGGED_IN, session_texts(ctx, proof, None))
    account_id = live.session.account_id
    with ctx.storage.unit_of_work() as uow:
        # A garage vehicle is read in the search's own unit, after the session check, so
        # a removed vehicle finds nothing and a failing storage fails the search.
        found = query if not isinstance(query, _GarageVehicle) else query.of(uow, account_id)
        if found is None:
            return SearchPage(matches=(), next_cursor=None)
        matches = tuple(uow.accounts.search_linked(account_id, found, size + 1, after))
    if len(matches) <= size:
        return SearchPage(matches=matches, next_cursor=None)
    last = matches[size - 1].header
    return SearchPage(
        matches=matches[:size],
        next_cursor=encode_cursor(SearchCursor(placed_at=last.placed_at, number=last.number)),
    )


@attrs.frozen
class _GarageVehicle:
    """A search by the garage vehicle ``vehicle_id`` (``None``: text that cannot be an id)."""

    vehicle_id: str | None

    def of(self, uow: UnitOfWork, account_id: str) -> VehicleQuery | None:
        """The query for the vehicle, or ``None`` when the account's garage lacks it."""
        for kept in uow.accounts.garage(account_id) if self.vehicle_id is not None else ():
            if kept.vehicle_id == self.vehicle_id:
                return VehicleQuery.of(kept.vehicle)
        return None


def _history_query(
    part_number: str | None,
    category: str | None,
    vehicle: VehicleQuery | None,
    vehicle_id: str | None,
) -> HistoryQuery | _GarageVehicle:
    """The one search the shopper asked for, its input checked before anything is read."""
    given = sum(term is not None for term in (part_number, category, vehicle, vehicle_id))
    if given != 1:
        raise InvalidFieldError(
            "query", "search by a part number, a category, a vehicle or a garage vehicle: one"
        )
    if vehicle_id is not None:
        return _GarageVehicle(_typed_id("vehicle_id", vehicle_id))
    if vehicle is not None:
        if not isinstance(vehicle, VehicleQuery):
            raise InvalidFieldError("vehicle", "must be a VehicleQuery (year, make, model)")
        return vehicle
    return _query(part_number, category)


def attach_order(
    ctx: ServiceContext, proof: ShopperProof, order_number: str, identifier: str
) -> AttachRequestResult:
    """Ask to attach ``order_number``, placed with another email, by its email or phone
    (``identifier``, matched as find-order matches it).

    The answer is :class:`AttachCodeSent` whether or not the pair matches (the relay
    decides, :func:`decide_attach`); on a match, a code goes to the order's stored
    address (SECURITY F2, A4). Keep ``attach_id`` for :func:`confirm_attach`. Limited per
    account and client (:class:`TryLater`).
    """
    proof = checked_shopper(proof)
    order_number, identifier = _text(order_number), _text(identifier)
    live, texts = limited_session(
        ctx, proof, "attach", attrgetter("token_per_client"), attrgetter("attach_per_account")
    )
    if not isinstance(live, LiveSession):
        return in_language(live, texts)
    account_id = live.session.account_id
    selector = _new_selector()
    number = _canonical(order_number)
    contact = _contact(identifier, ctx.policies.lookup_policy().phone_region)
    if number is not None and contact is not None:
        with write_unit(ctx) as locked:
            request = AttachOrderRequest(account_id, number, contact, selector, texts.language)
            queue(locked.uow, request, locked.now)
            locked.uow.commit()
    return in_language(AttachCodeSent(attach_id=selector), texts)


def decide_attach(ctx: ServiceContext, message_id: str, request: AttachOrderRequest) -> None:
    """Carry out an attachment request (the relay calls this), in one unit of work: on a
    match of the pair, the code is stored (only its hash) under the request's selector and
    mailed to the order's stored address; otherwise nothing. The request is marked done in
    the same transaction."""
    policy = ctx.policies.account_policy()
    code = _new_code()
    with write_unit(ctx, request.order_number, contact=request.contact) as locked:
        uow, order, now = locked.uow, locked.order, locked.now
        account = uow.accounts.get(request.account_id)
        if order is not None and account is not None and account.is_live:
            token = AccountToken.issue(
                request.selector,
                code,
                account,
                TokenPurpose.ATTACH_ORDER,
                now,
                policy.attach_code_ttl,
                payload=order.number,
            )
            uow.accounts.put_token(token)
            mail = AttachCodeMail(
                to=order.email,
                order_number=order.number,
                code=code,
                expires_at=token.expires_at,
                # The account's preference now, not the page's at the request (issue 14
                # item 7): the code goes to the order's address, for the account.
                language=account.language,
            )
            queue(uow, mail, now)
        uow.outbox.mark_sent(message_id, now)
        uow.commit()


def confirm_attach(
    ctx: ServiceContext, proof: ShopperProof, attach_id: str, code: str
) -> AttachConfirmResult:
    """Type the mailed ``code`` of the attachment ``attach_id``: the order joins the
    account (:class:`OrderAttached`). A wrong, used or expired code, too many tries, an
    unknown attachment, another account's, or an order already linked to another account
    answer :class:`AttachRefused`."""
    proof = checked_shopper(proof)
    live, texts = limited_session(ctx, proof, "attach-code", attrgetter("token_per_client"))
    if not isinstance(live, LiveSession):
        return in_language(live, texts)
    policy = ctx.policies.account_policy()
    account_id = live.session.account_id
    typed = _typed_code(code)
    if typed is None or not is_token_part(attach_id):
        return in_language(_ATTACH_REFUSED, texts)
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        token = uow.accounts.get_token(attach_id)
        if (
            token is None
            or token.purpose is not TokenPurpose.ATTACH_ORDER
            or token.account_id != account_id
        ):
            return in_language(_ATTACH_REFUSED, texts)
        tried = attrs.evolve(token, tries=uow.accounts.count_token_try(attach_id))
        account = uow.accounts.get(account_id)
        opened = (
            account is not None
            and tried.accepts(typed, account, now, max_tries=policy.attach_code_tries)
            and uow.accounts.use_token(attach_id, now)
        )
        number = token.payload
        if not opened or account is None or number is None:
            uow.commit()  # the try is counted
            return in_language(_ATTACH_REFUSED, texts)
        link = OrderLink(account_id, number, now, LinkedBy.CODE)
        if not uow.accounts.link_order(link):
            existing = uow.accounts.order_link(number)
            if existing is None or existing.account_id != account_id:
                uow.commit()
                return in_language(_ATTACH_REFUSED, texts)
        record(uow, SecurityEventKind.ORDER_ATTACHED, now, account=account, client=proof.client)
        uow.commit()
    return OrderAttached(order_number=number)


def join_verified_accounts(uow: UnitOfWork, orders: Iterable[Order], now: datetime) -> int:
    """Link each of ``orders``, just stored in ``uow``, to the active account whose
    verified address has its email key (SECURITY F1); answer how many joined. An order
    linked already, or whose address has no verified account, stays as it is. One
    :meth:`~orderstatus_core.ports.AccountStore.verified_accounts` for all of them, so an
    import's statements grow with its batches; a link is written only for an order that
    joins."""
    batch = list(orders)
    if not batch:
        return 0
    accounts = uow.accounts.verified_accounts({order.email.canonical for order in batch})
    joined = 0
    for order in batch:
        account_id = accounts.get(order.email.canonical)
        if account_id is not None:
            joined += uow.accounts.link_order(
                OrderLink(account_id, order.number, now, LinkedBy.VERIFIED_EMAIL)
            )
    return joined


def join_verified_addresses(uow: UnitOfWork, email_keys: Collection[str], now: datetime) -> int:
    """Link every order of ``email_keys`` that joined no account to the active account
    whose verified address has that key (SECURITY F1); answer how many joined.

    The import's join: called once, after the file's last order is stored in ``uow`` and
    before its commit. One :meth:`~orderstatus_core.ports.AccountStore.verified_accounts`
    for all the keys (a storage that locks per address takes every lock there, in one
    order, and holds them to the commit), then, for each address that has a verified
    account, its unlinked orders as :func:`join_orders` reads them when an address is
    verified. A verification that commits before the locks are taken is read by the
    statement after them; one that comes later waits for the commit and reads the orders:
    neither misses the other, and the locks are held only for this join and the commit,
    not while the file is read.
    """
    if not email_keys:
        return 0
    accounts = uow.accounts.verified_accounts(email_keys)
    return sum(
        link_unlinked_orders(uow, account_id, key, now)
        for key, account_id in sorted(accounts.items())
    )


def follow_new_email(uow: UnitOfWork, before: Order, after: Order, now: datetime) -> None:
    """The store changed a stored order's email (the sync): the order belongs to the
    account of its stored email (SECURITY F1). Its link, whichever way it was made, goes:
    an account's verified address or a code mailed to the old address proved control of
    an address the order no longer has, and the old holder must not see the new
    shopper's order. Then the order joins the verified account of its new address, if
    one holds it."""
    if before.email.canonical == after.email.canonical:
        return
    uow.accounts.unlink_order(after.number)
    join_verified_accounts(uow, (after,), now)
