"""The guest session: one value holding a guest's proof, with every order action on it.

A storefront builds one per request from what the shopper's browser sent (their IP address,
the guest-pass cookie, and the email or phone they typed, if any) and calls the page's
action on it::

    guest = desk.guest(client=request_ip, guest_pass=cookie_or_none)
    match guest.cancel_order("123456789"):
        case CancelAnswer() as answer: ...
        case Refused(reason=reason): ...
        case NoValidPass() | OrderNotFound(): ...
        case TryLater(retry_after_seconds=seconds): ...

Every action answers a closed union of values; only bad input (the
:class:`~orderstatus_core.errors.ValidationError` tree) and failures
(:class:`~orderstatus_core.errors.AdapterError`,
:class:`~orderstatus_core.errors.ConflictError` after retries) raise.
"""

from __future__ import annotations

import attrs

from orderstatus_core.policies import masked_order_view
from orderstatus_core.services import actions, returns
from orderstatus_core.services._bind import GuestCommand
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import _canonical, check_guest_pass, proven_email
from orderstatus_core.services.lookup import _text, find_order, search_orders
from orderstatus_core.services.proof import GuestProof, checked_proof
from orderstatus_core.services.results import (
    GuestSearchResult,
    NoValidPass,
    OrderFound,
    OrderNotFound,
    ViewResult,
)

__all__ = ["GuestSession", "search_proven_orders", "view_order"]

_NO_PASS = NoValidPass()
_NOT_FOUND = OrderNotFound()


def view_order(ctx: ServiceContext, proof: GuestProof, order_number: str) -> ViewResult:
    """The order (masked view), for a guest whose pass opens it: a storefront no longer
    keeps the typed email or phone to show the order again.

    Without a pass that opens the order, the look-up pair answers as
    :func:`~orderstatus_core.services.find_order` does (rate-limited, :class:`OrderNotFound`
    for a wrong pair); with neither, :class:`NoValidPass`, whether or not the order exists
    (SECURITY A1).
    """
    proof = checked_proof(proof)
    texts = shopper_texts(ctx, proof.language)
    if proof.guest_pass is not None:
        number = _canonical(_text(order_number))
        with ctx.storage.unit_of_work() as uow:
            now = ctx.clock.now()
            opened = number is not None and check_guest_pass(uow, proof.guest_pass, number, now)
            order = uow.orders.get(number) if opened and number is not None else None
        if opened:
            if order is None:
                return in_language(_NOT_FOUND, texts)
            return OrderFound(masked_order_view(order, ctx.policies.tracking_url, texts))
    if isinstance(proof.identifier, str):
        return find_order(
            ctx, proof.identifier, order_number, client=proof.client, language=proof.language
        )
    return in_language(_NO_PASS, texts)


def search_proven_orders(
    ctx: ServiceContext,
    proof: GuestProof,
    *,
    part_number: str | None = None,
    category: str | None = None,
    cursor: str | None = None,
    page_size: int | None = None,
) -> GuestSearchResult:
    """Search the orders of the email a guest pass proved (the order's stored address, to
    which the code was mailed), by part number or category, as
    :func:`~orderstatus_core.services.search_orders` does for a verified email.

    So a guest who came in by phone can find their other orders. Without a valid pass,
    :class:`NoValidPass` (a look-up pair proves no email: anyone who knows it may type it).
    """
    proof = checked_proof(proof)
    email = None
    if proof.guest_pass is not None:
        with ctx.storage.unit_of_work() as uow:
            email = proven_email(uow, proof.guest_pass, ctx.clock.now())
    if email is None:
        return in_language(_NO_PASS, shopper_texts(ctx, proof.language))
    return search_orders(
        ctx, email, part_number=part_number, category=category, cursor=cursor, page_size=page_size
    )


@attrs.frozen
class GuestSession:
    """A guest's proof (``desk.guest(client=..., guest_pass=..., identifier=...)``) with the
    order actions a storefront page offers them.

    Cheap to build: make one per request. An ``idempotency_key`` belongs to one command,
    so the commands that change an order take it per call. Each method is the service
    function of the same name (:func:`.services.cancel_order` ...) with the session's
    context and proof given; every one answers a closed union of values. The context and
    the proof's secrets are left out of ``repr`` (SECURITY C4).
    """

    context: ServiceContext = attrs.field(repr=False, eq=False)
    proof: GuestProof

    #: The order, masked as on the find-order page: see :func:`view_order`.
    view_order = GuestCommand(view_order)
    #: Search the orders of the email the guest pass proved: see :func:`search_proven_orders`.
    search_orders = GuestCommand(search_proven_orders)
    #: Cancel units, or everything left: see :func:`.services.cancel_order`.
    cancel_order = GuestCommand(actions.cancel_order)
    #: Ask for a typed change to an order: see :func:`.services.request_change`.
    request_change = GuestCommand(actions.request_change)
    #: Report a problem with units or a package: see :func:`.services.report_problem`.
    report_problem = GuestCommand(actions.report_problem)
    #: What may come back of each line, and why not the rest.
    return_options = GuestCommand(returns.return_options)
    #: The order's returns and where each RMA package stands.
    order_returns = GuestCommand(returns.order_returns)
    #: The refund preview of a return, before the shopper commits.
    preview_return = GuestCommand(returns.preview_return)
    #: Record a return: one RMA package per destination, papers by mail.
    request_return = GuestCommand(returns.request_return)
    #: The shopper's own tracking number for an RMA package (checked first).
    enter_return_tracking = GuestCommand(returns.enter_return_tracking)
    #: The label and instructions of an RMA package, to print.
    return_papers = GuestCommand(returns.return_papers)
