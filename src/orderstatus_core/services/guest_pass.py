"""The guest pass: a one-time code or link, mailed to the order's stored address, that lets
a guest act on that order (DOMAIN.md section 1, "Guest verification").

The flow:

1. :func:`request_guest_pass`: the guest gives the same pair as for find-order (email or
   phone, and the order number). On a match, a :class:`~orderstatus_core.messages.GuestPassMail`
   with a 6-digit code and a link goes into the outbox, to the address stored with the
   order. The answer is the same either way (SECURITY A1).
2. :func:`verify_guest_code` (the guest types the code) or :func:`verify_guest_link` (the
   guest follows the link): a :class:`GuestPassGranted` with the pass token, or one
   :class:`GuestPassRefused` for everything else.
3. The commands that change an order call :func:`pass_required` and, when it says so,
   :func:`check_guest_pass` with the token the guest presents.

Every secret is drawn here, from :mod:`secrets`, and handed to the pure model; only hashes
are stored (SECURITY D1).
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from orderstatus_core.errors import ValidationError
from orderstatus_core.messages import GuestPassMail, GuestPassRequest
from orderstatus_core.model import EmailAddress, canonical_order_number
from orderstatus_core.model.guest_pass import (
    CODE_DIGITS,
    ChallengeAttempt,
    GuestPass,
    PassChallenge,
    is_code,
)
from orderstatus_core.policies.guest_pass import pass_link
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.lookup import _contact, _identity, _text
from orderstatus_core.services.mail_language import order_mail_language
from orderstatus_core.services.proof import client_key
from orderstatus_core.services.results import (
    GuestPassGranted,
    GuestPassRefused,
    GuestPassRequested,
    GuestPassRequestResult,
    GuestPassVerifyResult,
)

__all__ = [
    "SELECTOR_BYTES",
    "VALIDATOR_BYTES",
    "check_guest_pass",
    "decide_guest_pass",
    "pass_required",
    "proven_email",
    "request_guest_pass",
    "verify_guest_code",
    "verify_guest_link",
]

#: Random bytes in a selector: 128 bits, 22 URL-safe characters. Finds the row.
SELECTOR_BYTES = 16
#: Random bytes in a validator, the secret half of a link or pass: 256 bits, 43 characters.
VALIDATOR_BYTES = 32

_REQUESTED = GuestPassRequested()
_REFUSED = GuestPassRefused()
# selector.validator, exactly as drawn below; anything else is refused before any look-up.
_TOKEN = re.compile(r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")
_MAX_TOKEN = 66
_MAX_CODE = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What a code is tried against when the order has no challenge: closed, never stored, so
# it refuses every code after the same hashing a stored one costs.
_NO_CHALLENGE = PassChallenge(
    selector="NoChallenge-000000000",
    order_number="0",
    code_hash="0" * 64,
    link_hash="0" * 64,
    issued_at=_EPOCH,
    expires_at=_EPOCH,
    tries_left=0,
    used=True,
)


def _new_selector() -> str:
    return secrets.token_urlsafe(SELECTOR_BYTES)


def _new_validator() -> str:
    return secrets.token_urlsafe(VALIDATOR_BYTES)


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _token(selector: str, validator: str) -> str:
    return f"{selector}.{validator}"


def _split_token(token: object) -> tuple[str, str] | None:
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        return None
    match = _TOKEN.fullmatch(token)
    return None if match is None else (match[1], match[2])


def _typed_code(code: object) -> str | None:
    """Six ASCII digits, allowing the ASCII spaces a shopper may type between them.

    Nothing else is forgiven: no line breaks, no other digits (``'١٢٣٤٥٦'``), no NFKC.
    """
    if not isinstance(code, str) or len(code) > _MAX_CODE:
        return None
    compact = code.replace(" ", "")
    return compact if is_code(compact) else None


def _canonical(order_number: str) -> str | None:
    try:
        return canonical_order_number(order_number)
    except ValidationError:
        return None


def request_guest_pass(
    ctx: ServiceContext,
    identifier: str,
    order_number: str,
    *,
    client: str,
    language: str | None = None,
) -> GuestPassRequestResult:
    """Mail a one-time code and link for ``order_number`` to the address stored with it.

    ``identifier`` is the guest's email or phone, matched like :func:`find_order` does. A
    :class:`~orderstatus_core.messages.GuestPassRequest` goes into the outbox for every
    well-formed pair; the relay looks the pair up when it runs and, on a match, issues the
    challenge and queues the mail of the code and link (:func:`decide_guest_pass`), which
    goes out in the same relay call.

    The answer is :class:`GuestPassRequested` whether or not the pair matches, the rate
    limiter is asked the same way (A1), and the request does the same work (A6); over a
    limit (per client, identifier and order number) it is :class:`TryLater`. A malformed
    ``client`` raises :class:`~orderstatus_core.errors.InvalidFieldError`; a storage
    failure raises.

    The answer is in ``language`` (the shopper's; English for a code with no catalog, or
    without one). The mail is in the preferred language of the verified account that holds
    the order's address or that the order joined, else in ``language``, else in the
    store's ``mail_language``
    (:func:`~orderstatus_core.services.mail_language.order_mail_language`): the relay reads
    it for a match and a miss alike, so the answer says nothing of an account.
    """
    client = client_key(client)
    texts = shopper_texts(ctx, "en" if language is None else language)
    mail_language = None if language is None else texts.language
    answer = _request_guest_pass(ctx, identifier, order_number, client, mail_language)
    return in_language(answer, texts)


def _request_guest_pass(
    ctx: ServiceContext,
    identifier: str,
    order_number: str,
    client: str,
    mail_language: str | None,
) -> GuestPassRequestResult:
    identifier, order_number = _text(identifier), _text(order_number)
    policy = ctx.policies.guest_pass_policy()
    region = ctx.policies.lookup_policy().phone_region
    now = ctx.clock.now()
    number = _canonical(order_number)
    contact = _contact(identifier, region)  # parsed once: the bucket and the request
    refused = check_limits(
        ctx.rate_limiter,
        now,
        "pass-request",
        client=(client, policy.request_per_client),
        id=(_identity(identifier, contact), policy.request_per_identifier),
        order=(number or order_number, policy.request_per_order_number),
    )
    if refused is not None:
        return refused
    if number is None or contact is None:
        return _REQUESTED
    # Every well-formed pair queues the same one message in one transaction, match or not;
    # the relay looks the pair up when it runs and decides whether a code goes out (A6).
    with write_unit(ctx) as locked:
        language = mail_language or ctx.policies.lookup_policy().mail_language
        request = GuestPassRequest(number, contact, language)
        queue(locked.uow, request, locked.now)
        locked.uow.commit()
    return _REQUESTED


def decide_guest_pass(ctx: ServiceContext, message_id: str, request: GuestPassRequest) -> None:
    """Carry out a guest-pass request (the relay calls this), in one unit of work.

    On a match of the pair, a new challenge is stored (any older one for that order stops
    working) and its :class:`~orderstatus_core.messages.GuestPassMail` is queued, to the
    order's stored address, never the typed text (SECURITY A4), with a link built from
    ``GuestPassPolicy.link_base`` only (D4); on a miss nothing is. Either way the request
    ``message_id`` is marked done in the same transaction, so a relay that runs it twice
    never mails two codes. The mail's language
    (:func:`~orderstatus_core.services.mail_language.order_mail_language`) is read on a
    miss too, by the typed pair, so that a match and a miss read alike (SECURITY A6).
    """
    policy = ctx.policies.guest_pass_policy()
    selector, code, link_validator = _new_selector(), _new_code(), _new_validator()
    with write_unit(ctx, request.order_number, contact=request.contact) as locked:
        uow, order, now = locked.uow, locked.order, locked.now
        to, number = (
            (request.contact, request.order_number)
            if order is None
            else (order.email.canonical, order.number)
        )
        language = order_mail_language(uow, to, number, request.language)
        if order is not None:
            previous = uow.passes.latest_challenge(number)
            if previous is not None and not previous.used:
                # Only the newest mail works: an older code would otherwise add its own tries.
                uow.passes.save_challenge(previous.superseded())
            challenge = PassChallenge.issue(
                selector,
                number,
                code,
                link_validator,
                now,
                policy.code_ttl,
                tries=policy.code_tries,
            )
            uow.passes.put_challenge(challenge)
            mail = GuestPassMail(
                to=order.email,
                order_number=number,
                code=code,
                link=pass_link(policy.link_base, _token(selector, link_validator)),
                expires_at=challenge.expires_at,
                language=language,
            )
            queue(uow, mail, now)
        uow.outbox.mark_sent(message_id, now)
        uow.commit()


def verify_guest_code(
    ctx: ServiceContext, order_number: str, code: str, *, client: str, language: str = "en"
) -> GuestPassVerifyResult:
    """Exchange the mailed 6-digit ``code`` for a guest pass to ``order_number``.

    Only the newest challenge of the order counts. A right code in time earns a
    :class:`GuestPassGranted` and uses the challenge up; a wrong one uses a try, and the
    last try closes it. A wrong, expired, used or closed code, an unknown order and
    malformed input all give the one :class:`GuestPassRefused`. Tries are limited per
    client and per order number (:class:`TryLater`). A refusal's message is in
    ``language`` (English for a code with no catalog).
    """
    client = client_key(client)
    texts = shopper_texts(ctx, language)
    return in_language(_verify_guest_code(ctx, order_number, code, client), texts)


def _verify_guest_code(
    ctx: ServiceContext, order_number: str, code: str, client: str
) -> GuestPassVerifyResult:
    order_number = _text(order_number)
    policy = ctx.policies.guest_pass_policy()
    now = ctx.clock.now()
    number = _canonical(order_number)
    refused = check_limits(
        ctx.rate_limiter,
        now,
        "pass-verify",
        client=(client, policy.verify_per_client),
        order=(number or order_number, policy.verify_per_order_number),
    )
    if refused is not None:
        return refused
    typed = _typed_code(code)
    if number is None or typed is None:
        return _REFUSED
    with ctx.storage.unit_of_work(write=True) as uow:
        challenge = uow.passes.latest_challenge(number)
        now = ctx.clock.now()  # after the order's lock (SECURITY G6)
        # Every check records its try, and an order with no challenge (or no order at all)
        # is tried against a closed stand-in: the same read, hash, write and commit as a
        # wrong code for a real challenge (SECURITY A6).
        before = _NO_CHALLENGE if challenge is None else challenge
        tried = uow.passes.record_try(number, "" if challenge is None else challenge.selector, now)
        issued = _settle(ctx, uow, before, before.try_code(typed, now, tried=tried), now)
    return _answer(ctx, issued)


def verify_guest_link(
    ctx: ServiceContext, token: str, *, client: str, language: str = "en"
) -> GuestPassVerifyResult:
    """Exchange the ``token`` of a followed link (its ``?token=`` value) for a guest pass.

    The same rules and answers as :func:`verify_guest_code`: the link and the code are two
    keys to one challenge, and whichever is used first uses it up.
    """
    client = client_key(client)
    texts = shopper_texts(ctx, language)
    return in_language(_verify_guest_link(ctx, token, client), texts)


def _verify_guest_link(ctx: ServiceContext, token: str, client: str) -> GuestPassVerifyResult:
    policy = ctx.policies.guest_pass_policy()
    now = ctx.clock.now()
    refused = check_limits(
        ctx.rate_limiter, now, "pass-verify", client=(client, policy.verify_per_client)
    )
    if refused is not None:
        return refused
    parts = _split_token(token)
    if parts is None:
        return _REFUSED
    selector, validator = parts
    with ctx.storage.unit_of_work(write=True) as uow:
        challenge = uow.passes.get_challenge(selector)
        if challenge is None:
            return _REFUSED
        now = ctx.clock.now()  # inside the unit, as every try reads it (SECURITY G6)
        tried = uow.passes.record_try(challenge.order_number, challenge.selector, now)
        issued = _settle(ctx, uow, challenge, challenge.try_link(validator, now, tried=tried), now)
    return _answer(ctx, issued)


def _settle(
    ctx: ServiceContext,
    uow: UnitOfWork,
    before: PassChallenge,
    attempt: ChallengeAttempt,
    now: datetime,
) -> tuple[str, GuestPass] | None:
    """Store what a try did to the challenge (a right one uses it) and, if it passed, the
    new pass; commit. The token and the pass, or ``None`` for a refused try."""
    if attempt.challenge != before:
        uow.passes.save_challenge(attempt.challenge)
    if not attempt.accepted:
        uow.commit()
        return None
    selector, validator = _new_selector(), _new_validator()
    guest_pass = GuestPass.issue(
        selector, validator, before.order_number, now, ctx.policies.guest_pass_policy().pass_ttl
    )
    uow.passes.put_pass(guest_pass)
    uow.commit()
    return _token(selector, validator), guest_pass


def _answer(ctx: ServiceContext, issued: tuple[str, GuestPass] | None) -> GuestPassVerifyResult:
    """The answer to a settled try, with the address the pass proves: the order's stored
    one, which the code went to. Read after the try's unit ended, so the check of the
    code never waits for (nor locks) the order."""
    if issued is None:
        return _REFUSED
    token, guest_pass = issued
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(guest_pass.order_number)
    if order is None:
        return _REFUSED
    return GuestPassGranted(
        token=token,
        order_number=guest_pass.order_number,
        expires_at=guest_pass.expires_at,
        email=order.email,
    )


def check_guest_pass(
    source: ServiceContext | UnitOfWork, token: str, order_number: str, now: datetime
) -> bool:
    """Whether ``token`` is a guest pass for ``order_number`` that is valid at ``now``.

    For the commands that change an order: pass the unit of work they already hold (the
    check then sees the same snapshot as the rest of the command), or a context to read
    through a unit of its own. A pass opens only the order it was earned for, any number
    of times until it expires (valid at exactly issued + TTL). Anything malformed is
    ``False``, never an exception.
    """
    parts = _split_token(token)
    number = _canonical(_text(order_number))
    if parts is None or number is None:
        return False
    selector, validator = parts
    if isinstance(source, ServiceContext):
        with source.storage.unit_of_work() as uow:
            guest_pass = uow.passes.get_pass(selector)
    else:
        guest_pass = source.passes.get_pass(selector)
    return guest_pass is not None and guest_pass.admits(validator, number, now)


def proven_email(uow: UnitOfWork, token: str, now: datetime) -> EmailAddress | None:
    """The address a guest pass proves at ``now``: the stored email of the order it was
    earned for, whose mail carried the code. ``None`` for a malformed, unknown or expired
    token (or an order no longer stored), never an exception."""
    parts = _split_token(token)
    if parts is None:
        return None
    selector, validator = parts
    guest_pass = uow.passes.get_pass(selector)
    if guest_pass is None or not guest_pass.admits(validator, guest_pass.order_number, now):
        return None
    order = uow.orders.get(guest_pass.order_number)
    return None if order is None else order.email


def pass_required(ctx: ServiceContext, action: str) -> bool:
    """Whether a guest needs a guest pass for ``action`` in this store.

    ``action`` is ``"cancel"``, ``"change"``, ``"report"`` or ``"return"``; the store's
    ``orderstatus_pass_required`` hook decides, and the default is ``True`` for all of them.
    Any other action raises :class:`~orderstatus_core.errors.InvalidFieldError` (a typo in
    the calling code must not pass silently); the policies object checks it, in one place.
    """
    return ctx.policies.pass_required(action)
