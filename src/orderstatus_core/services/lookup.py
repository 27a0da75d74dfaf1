"""The read-only guest features: find an order, Order Look-Up, search."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from orderstatus_core.contacts import email_key, phone_key
from orderstatus_core.errors import InvalidFieldError, ValidationError
from orderstatus_core.i18n import Translator
from orderstatus_core.messages import OrderListMail, OrderListRequest
from orderstatus_core.model import (
    CategoryPath,
    EmailAddress,
    PartNumber,
    canonical_order_number,
    restorer,
)
from orderstatus_core.model.display import Texts
from orderstatus_core.policies import masked_order_view
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.records import (
    CategoryQuery,
    OrderMatch,
    PartNumberQuery,
    SearchCursor,
    SearchQuery,
)
from orderstatus_core.services._limits import LimitsPlan, PlanOf, check_limits
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.mail_language import order_mail_language
from orderstatus_core.services.proof import client_key
from orderstatus_core.services.results import (
    FindOrderResult,
    OrderFound,
    OrderListRequested,
    OrderListResult,
    OrderNotFound,
    SearchPage,
    TryLater,
)

__all__ = [
    "decide_order_list",
    "decode_cursor",
    "encode_cursor",
    "find_order",
    "pair_limits",
    "search_orders",
    "send_order_list",
]

_NOT_FOUND = OrderNotFound()
_LIST_REQUESTED = OrderListRequested()
_CURSOR = re.compile(r"([0-9]{1,19})-([A-Z0-9]{1,32})")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _contact(identifier: str, region: str) -> str | None:
    """The stored key an order's contact is found by: the email key or the E.164 phone."""
    return email_key(identifier) if "@" in identifier else phone_key(identifier, region)


def _text(value: object) -> str:
    # A wrong type is a malformed identifier: the same answer as an unknown one.
    return value if isinstance(value, str) else ""


def find_order(
    ctx: ServiceContext, identifier: str, order_number: str, *, client: str, language: str = "en"
) -> FindOrderResult:
    """Find an order by email **or** phone plus its order number.

    A wrong pair, an unknown order and a malformed identifier all give the same
    :class:`OrderNotFound` (SECURITY A1). Attempts are limited per ``client`` (the caller's
    IP address or session), per identifier and per order number (SECURITY C1); over a limit
    the answer is :class:`TryLater`, whatever the pair. Every text of the answer is in
    ``language`` (``fi``, ``en-US``; English for a code with no catalog).
    """
    client = client_key(client)
    texts = shopper_texts(ctx, language)
    return in_language(_find_order(ctx, identifier, order_number, client, texts), texts)


def _find_order(
    ctx: ServiceContext, identifier: str, order_number: str, client: str, texts: Texts
) -> FindOrderResult:
    identifier, order_number = _text(identifier), _text(order_number)
    policies = ctx.policies
    now = ctx.clock.now()
    try:
        number: str | None = canonical_order_number(order_number)
    except ValidationError:
        number = None
    # The identifier is parsed once: its key finds the order and its bucket is counted.
    contact = _contact(identifier, policies.lookup_policy().phone_region)
    refused = pair_limits(ctx, now, client, _identity(identifier, contact), number or order_number)
    if refused is not None:
        return refused
    if number is None or contact is None:
        return _NOT_FOUND
    # One look-up by the pair: a wrong contact for an existing order and an unknown order
    # run the same statement and read nothing more (SECURITY A6). That one read is its own
    # snapshot, so the unit says so: no transaction around it (read_once).
    with ctx.storage.unit_of_work(read_once=True) as uow:
        order = uow.orders.get_for_contact(number, contact)
    if order is None:
        return _NOT_FOUND
    return OrderFound(masked_order_view(order, policies.tracking_url, texts))


def pair_limits(
    ctx: ServiceContext, now: datetime, client: str, identity: str, order_number: str
) -> TryLater | None:
    """Count one attempt with a look-up pair: per client, identifier and order number.

    ``identity`` is the identifier's bucket key (:func:`_identity`). Find-order and every
    action a store lets the pair do share these buckets, so the pair's guessing budget is
    one, whichever door it is tried through (SECURITY C1).
    """
    plan = _find_plan(ctx.policies.lookup_policy())
    return plan.check(ctx.rate_limiter, now, client, identity, order_number)


def _pair_plan(policy: LookupPolicy) -> LimitsPlan:
    """The look-up pair's buckets under ``policy``: the keys ``check_limits(..., "find",
    client=..., id=..., order=...)`` names, so the stored counts go on counting."""
    return LimitsPlan(
        "find",
        (
            ("client", policy.find_per_client),
            ("id", policy.find_per_identifier),
            ("order", policy.find_per_order_number),
        ),
    )


#: The pair's plan of the lookup policy in force, worked out again only when the policy
#: object changes (find-order counts three buckets on every call).
_find_plan: PlanOf[LookupPolicy] = PlanOf(_pair_plan)


def _identity(identifier: str, contact: str | None) -> str:
    """The key that a rate-limit bucket counts for ``identifier``: its ``contact`` key
    (:func:`_contact`, computed once by the caller), or the bare text if it has none."""
    return contact if contact is not None else identifier.strip().casefold()


def _same_mailbox(stored: EmailAddress, to: EmailAddress) -> bool:
    """Whether ``stored`` is the mailbox ``to``, by keys computed afresh from both stored
    addresses: a key column written by an older rule, or a storage adapter that folds
    more than :func:`email_key`, must still never put an order in another mailbox's mail
    (SECURITY A4)."""
    return email_key(stored.display) == email_key(to.display)


def send_order_list(
    ctx: ServiceContext, email: str, *, client: str, language: str | None = None
) -> OrderListResult:
    """Order Look-Up: mail the most recent order numbers of ``email`` to its stored address.

    An :class:`~orderstatus_core.messages.OrderListRequest` goes into the outbox for every
    well-formed address; the relay reads the orders when it runs and queues their mail to
    the address stored with the newest one, never to the typed text, listing only the orders
    placed with that very address (SECURITY A4), or nothing (:func:`decide_order_list`); the
    mail goes out in the same relay call. The answer and the work are the same whether or
    not any order exists, and a failing mail adapter cannot change them (A1, A3, A6).

    The answer is in ``language`` (the shopper's; English for a code with no catalog, or
    without one). The mail is in the preferred language of the verified account that holds
    the address, else in ``language``, else in the store's ``mail_language``
    (:func:`~orderstatus_core.services.mail_language.order_mail_language`): the relay reads
    it for customers and strangers alike, so the answer says nothing of an account.
    """
    client = client_key(client)
    texts = shopper_texts(ctx, "en" if language is None else language)
    return in_language(_send_order_list(ctx, email, client, language, texts), texts)


def _send_order_list(
    ctx: ServiceContext, email: str, client: str, language: str | None, texts: Translator
) -> OrderListResult:
    typed = _text(email)
    policy = ctx.policies.lookup_policy()
    now = ctx.clock.now()
    key = email_key(typed)
    refused = check_limits(
        ctx.rate_limiter,
        now,
        "order-list",
        client=(client, policy.order_list_per_client),
        email=(key or typed.casefold(), policy.order_list_per_email),
    )
    if refused is not None:
        return refused
    if key is None:
        return _LIST_REQUESTED
    # Every well-formed address queues the same one message in one transaction, whether or
    # not it has orders; the relay decides later whether anyone is mailed (SECURITY A6).
    with write_unit(ctx) as locked:
        mail_language = policy.mail_language if language is None else texts.language
        request = OrderListRequest(email_key=key, language=mail_language)
        queue(locked.uow, request, locked.now)
        locked.uow.commit()
    return _LIST_REQUESTED


def decide_order_list(ctx: ServiceContext, message_id: str, request: OrderListRequest) -> None:
    """Carry out an Order Look-Up request (the relay calls this), in one unit of work: queue
    the mail of its address's newest order numbers, to the address stored with the newest
    order (SECURITY A4), or nothing when it has none, and mark the request ``message_id``
    done in the same transaction. The orders are read now, so the list is current; so is
    the mail's language, the address's account's if it has one, read whether or not any
    order exists (the same reads for a customer and a stranger, SECURITY A6)."""
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        recent = uow.orders.recent(request.email_key, ctx.policies.lookup_policy().order_list_size)
        language = order_mail_language(uow, request.email_key, None, request.language)
        if recent:
            to = recent[0].email
            mail = OrderListMail(
                to=to,
                order_numbers=tuple(h.number for h in recent if _same_mailbox(h.email, to)),
                language=language,
            )
            queue(uow, mail, now)
        uow.outbox.mark_sent(message_id, now)
        uow.commit()


def encode_cursor(cursor: SearchCursor) -> str:
    """An opaque-looking, URL-safe page token."""
    micros = (cursor.placed_at - _EPOCH) // _MICROSECOND  # exact; a float timestamp is not
    return f"{micros}-{cursor.number}"


def decode_cursor(token: str) -> SearchCursor:
    """The cursor that :func:`encode_cursor` wrote; :class:`InvalidFieldError` otherwise."""
    match = _CURSOR.fullmatch(token) if isinstance(token, str) else None
    if match is None:
        raise InvalidFieldError("cursor", "is not a page token from this search")
    micros, number = match.groups()
    try:
        placed_at = _EPOCH + int(micros) * _MICROSECOND
    except OverflowError:
        raise InvalidFieldError("cursor", "is not a page token from this search") from None
    return SearchCursor(placed_at=placed_at, number=number)


#: How many typed search terms keep their parsed query (a few hundred categories and the
#: hot part numbers of a shop; longer texts are parsed every time).
_PARSED_QUERIES = 2048
_PARSED_LENGTH = 200


def _query(part_number: str | None, category: str | None) -> SearchQuery:
    if (part_number is None) == (category is None):
        raise InvalidFieldError("query", "search by a part number or by a category, not both")
    text = category if part_number is None else part_number
    if type(text) is str and len(text) <= _PARSED_LENGTH:
        return _parsed_query(part_number is not None, text)
    return _parse_query(part_number, category)


@functools.lru_cache(maxsize=_PARSED_QUERIES)
def _parsed_query(by_part: bool, text: str) -> SearchQuery:
    """The query of a typed term, parsed once: a query is an immutable value worked out
    from the text alone (not from stored data, so it can never be stale), and parsing a
    category costs about a tenth of a search. Refused text raises each time (an exception
    is never cached), with the same error."""
    return _parse_query(text, None) if by_part else _parse_query(None, text)


def _parse_query(part_number: str | None, category: str | None) -> SearchQuery:
    if part_number is not None:
        try:
            return PartNumberQuery(PartNumber(part_number))
        except ValidationError as error:
            raise error.at("part_number") from None
    return CategoryQuery(CategoryPath(category))


def search_orders(
    ctx: ServiceContext,
    verified_email: EmailAddress,
    *,
    part_number: str | None = None,
    category: str | None = None,
    cursor: str | None = None,
    page_size: int | None = None,
) -> SearchPage:
    """Orders of ``verified_email`` with a line of ``part_number`` or in ``category``.

    The caller must have verified the email (an account or a guest pass); this function
    trusts it. Part numbers match ignoring case, spaces, dashes and dots; a category finds
    its children too. Newest first; pass ``next_cursor`` back for the next page.
    """
    if not isinstance(verified_email, EmailAddress):
        raise InvalidFieldError("verified_email", "must be an EmailAddress")
    query = _query(part_number, category)
    policy = ctx.policies.lookup_policy()  # once: its page sizes are read together
    size = policy.search_page_size if page_size is None else page_size
    if (
        not isinstance(size, int)
        or isinstance(size, bool)
        or not 1 <= size <= policy.max_search_page_size
    ):
        raise InvalidFieldError("page_size", f"must be between 1 and {policy.max_search_page_size}")
    after = decode_cursor(cursor) if cursor is not None else None
    with ctx.storage.unit_of_work(read_once=True) as uow:
        # One read, one snapshot; one extra row tells whether another page exists without
        # a count query.
        matches = tuple(uow.orders.search(verified_email.canonical, query, size + 1, after))
    page = _page()
    if len(matches) <= size:
        return page(matches, None)
    last = matches[size - 1].header
    return page(
        matches[:size],
        encode_cursor(SearchCursor(placed_at=last.placed_at, number=last.number)),
    )


@functools.cache
def _page() -> Callable[[tuple[OrderMatch, ...], str | None], SearchPage]:
    """How a :class:`SearchPage` is built: by its generated restorer, straight into its
    slots. The page holds the storage's matches and a cursor this module encoded, and the
    class has no validator, converter or default for attrs' ``__init__`` to run (a test
    pins that), so ``__init__`` would only store the two fields, at twice the cost.
    Generated at the first search, not at import."""
    return restorer(SearchPage)
