"""Fakes for the ports, and a :class:`~orderstatus_core.ServiceContext` built from them.

>>> clock = FixedClock()
>>> ctx = fake_context(clock=clock)
>>> clock.advance(timedelta(minutes=5))
>>> ctx.clock.now() - FixedClock.START
datetime.timedelta(seconds=300)

The storage and rate limiter of :func:`fake_context` are the reference ``memory://``
adapters, opened through the adapter registry like any other adapter (the core never
imports an adapter by name).

>>> maker = RecordingLabelMaker(Money("7.50", "USD"))
>>> ctx = fake_context(label_maker=maker)
>>> ctx.label_maker is maker
True
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import re
import secrets
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from orderstatus_core.bootstrap import bootstrap
from orderstatus_core.errors import AdapterError, InvalidFieldError, MailDeliveryError
from orderstatus_core.labels import LabelDocument, ReturnLabel, ReturnLabelRequest
from orderstatus_core.messages import (
    AttachOrderRequest,
    GuestPassRequest,
    MailIntent,
    OrderListRequest,
    OutboxMessage,
    OutgoingMail,
    PasswordResetRequest,
    SignUpRequest,
)
from orderstatus_core.model import Money, Order, OrderLine
from orderstatus_core.model.captcha import CAPTCHA_TTL, CaptchaChallenge
from orderstatus_core.model.order import utc
from orderstatus_core.model.returns import ReturnDestination, ReturnKind, ReturnReason
from orderstatus_core.plugins import AdapterRegistry, Hooks, get_plugin_manager, hookimpl
from orderstatus_core.plugins.manager import default_policies
from orderstatus_core.policies import Bucket, LookupPolicy, Quota, RateDecision
from orderstatus_core.policies.passwords import HashCost
from orderstatus_core.policies.returns import ReturnPolicy, ReturnRefusal, ReturnRules
from orderstatus_core.ports import (
    BreachedPasswords,
    Captcha,
    Clock,
    LabelMaker,
    Mailer,
    PasswordHasher,
    RateLimiter,
    Storage,
    VehicleCatalog,
)
from orderstatus_core.services.accounts import decide_attach, decide_reset, decide_sign_up
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import decide_guest_pass
from orderstatus_core.services.lookup import decide_order_list

__all__ = [
    "CountingPasswordHasher",
    "CountingRateLimiter",
    "FailingLabelMaker",
    "FailingMailer",
    "FixedClock",
    "RecordingCaptcha",
    "RecordingLabelMaker",
    "RecordingMailer",
    "fake_context",
    "policies_with",
    "queued_mail",
]


class FixedClock:
    """A :class:`~orderstatus_core.Clock` that stands still until a test moves it.

    >>> clock = FixedClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    >>> clock.advance(timedelta(hours=1))
    >>> clock.now().hour
    13
    """

    #: Where a clock starts unless told otherwise: a fixed, ordinary moment.
    START: ClassVar[datetime] = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __init__(self, start: datetime | None = None) -> None:
        self._now = utc(self.START if start is None else start)

    def now(self) -> datetime:
        """The time the clock shows, in UTC."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (timezone-aware; backwards is allowed)."""
        self._now = utc(moment)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta`` (a negative ``delta`` moves it back)."""
        self._now = self._now + delta


class RecordingMailer:
    """A :class:`~orderstatus_core.Mailer` that keeps every mail it is given, in order."""

    def __init__(self) -> None:
        #: Every mail sent, oldest first.
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        """Keep ``mail``."""
        self.sent.append(mail)

    def sent_to(self, address: str) -> list[OutgoingMail]:
        """The mails whose recipient is exactly ``address``."""
        return [mail for mail in self.sent if mail.to == address]

    def close(self) -> None:
        """Nothing to release; the sent mail stays readable."""


class FailingMailer:
    """A :class:`~orderstatus_core.Mailer` whose server is down: every send raises.

    Counts the attempts so a test can check retries and back-off (SECURITY A3).
    """

    def __init__(self, reason: str = "the mail server is unreachable") -> None:
        self.reason = reason
        #: How many times :meth:`send` was called.
        self.calls = 0
        #: The mails it was asked to send, oldest first.
        self.attempted: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        """Count the attempt and raise :class:`~orderstatus_core.MailDeliveryError`."""
        self.calls += 1
        self.attempted.append(mail)
        raise MailDeliveryError(self.reason)

    def close(self) -> None:
        """Nothing to release."""


class CountingRateLimiter:
    """Wraps a :class:`~orderstatus_core.RateLimiter` and records every call's buckets.

    The recorded calls are what the enumeration oracle of SECURITY compares: a look-up of
    an existing and of a missing identifier must hit the limiter the same way.
    :meth:`shape` gives that comparison without the parts that *should* differ.
    """

    def __init__(self, inner: RateLimiter) -> None:
        self.inner = inner
        #: Every call, oldest first, as the tuple of its buckets.
        self.calls: list[tuple[Bucket, ...]] = []
        self._lock = threading.Lock()

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        """Record the call, then ask the wrapped limiter."""
        with self._lock:
            self.calls.append(tuple(buckets))
        return self.inner.hit(buckets, now)

    def shape(self) -> tuple[tuple[tuple[str, int, Quota], ...], ...]:
        """The calls with each key reduced to its bucket name and first-use position.

        A key written ``action:scope:digest`` (the services' form) becomes
        ``action:scope``; the digest of what was typed is replaced by the position at which
        the key first appeared, so two look-ups with different identifiers give equal shapes
        exactly when they make the same calls, hitting the same buckets in the same order,
        with the same quotas and the same pattern of repeated keys.
        """
        first_use: dict[str, int] = {}
        shape: list[tuple[tuple[str, int, Quota], ...]] = []
        for buckets in self.calls:
            call: list[tuple[str, int, Quota]] = []
            for bucket in buckets:
                position = first_use.setdefault(bucket.key, len(first_use))
                name = bucket.key.rpartition(":")[0] if ":" in bucket.key else ""
                call.append((name, position, bucket.quota))
            shape.append(tuple(call))
        return tuple(shape)

    def reset(self) -> None:
        """Forget the recorded calls (the wrapped limiter keeps its counts)."""
        with self._lock:
            self.calls.clear()

    def close(self) -> None:
        """Close the wrapped limiter."""
        self.inner.close()


_MEDIA_TYPES = {"pdf": "application/pdf", "zpl": "application/x-zpl"}


class RecordingLabelMaker:
    """A :class:`~orderstatus_core.LabelMaker` that draws nothing: every label costs ``cost``
    and every file is a few bytes naming its RMA number. Records each call.

    ``cost`` is what :meth:`quote` answers and what each label costs; give it in the
    currency of the orders under test (the returns service refuses a quote in another
    one). ``tracking_number``, when given, is the carrier number every label carries, as
    a carrier's API would report it.

    >>> from orderstatus_core.testing.builders import address
    >>> maker = RecordingLabelMaker(Money("7.50", "USD"))
    >>> request = ReturnLabelRequest(
    ...     "R123456789-1", address(), address(name="Returns"), "UPS", "Ground", 2000,
    ...     formats=("pdf", "zpl"),
    ... )
    >>> str(maker.quote(request))
    '7.50 USD'
    >>> [d.filename for d in maker.make_label(request).documents]
    ['R123456789-1-label.pdf', 'R123456789-1-label.zpl']
    >>> maker.calls
    [('quote', 'R123456789-1'), ('label', 'R123456789-1')]
    """

    def __init__(self, cost: Money | None = None, *, tracking_number: str | None = None) -> None:
        self.cost = Money("7.50", "USD") if cost is None else cost
        self.tracking_number = tracking_number
        #: Every call, oldest first, as ``(method, rma_number)``: ``quote``, ``label`` or
        #: ``instructions``.
        self.calls: list[tuple[str, str]] = []
        #: The requests of every call, in the same order as :attr:`calls`.
        self.requests: list[ReturnLabelRequest] = []

    def _record(self, method: str, request: ReturnLabelRequest) -> None:
        self.calls.append((method, request.rma_number))
        self.requests.append(request)

    def quote(self, request: ReturnLabelRequest) -> Money:
        """Record the call and answer :attr:`cost`."""
        self._record("quote", request)
        return self.cost

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        """Record the call; a label at :attr:`cost` with one small file per format."""
        self._record("label", request)
        rma = request.rma_number
        documents = tuple(
            LabelDocument(
                fmt,
                _MEDIA_TYPES.get(fmt, "application/octet-stream"),
                f"{rma}-label.{fmt}",
                f"{fmt} label {rma} {request.carrier}".encode(),
            )
            for fmt in request.formats
        )
        return ReturnLabel(
            rma_number=rma,
            carrier=request.carrier,
            service=request.service,
            cost=self.cost,
            documents=documents,
            tracking_number=self.tracking_number,
        )

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        """Record the call; a small PDF-named file in the request's language."""
        self._record("instructions", request)
        rma = request.rma_number
        text = f"instructions {rma} {request.language} {len(request.pack_lines)} line(s)"
        return LabelDocument("pdf", "application/pdf", f"{rma}-instructions.pdf", text.encode())

    def made(self, method: str) -> list[str]:
        """The RMA numbers of the calls of ``method`` (``quote``, ``label`` or
        ``instructions``), oldest first."""
        return [rma for called, rma in self.calls if called == method]

    def close(self) -> None:
        """Nothing to release; the recorded calls stay readable."""


class FailingLabelMaker:
    """A :class:`~orderstatus_core.LabelMaker` whose carrier is down: every call raises
    :class:`~orderstatus_core.AdapterError`, quotes included (so a return on a label the
    shopper pays for cannot be previewed or requested). Records the attempts."""

    def __init__(self, reason: str = "the carrier is unreachable") -> None:
        self.reason = reason
        #: Every attempted call, oldest first, as ``(method, rma_number)``.
        self.calls: list[tuple[str, str]] = []

    def _fail(self, method: str, request: ReturnLabelRequest) -> AdapterError:
        self.calls.append((method, request.rma_number))
        return AdapterError(self.reason)

    def quote(self, request: ReturnLabelRequest) -> Money:
        """Record the attempt and raise."""
        raise self._fail("quote", request)

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        """Record the attempt and raise."""
        raise self._fail("label", request)

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        """Record the attempt and raise."""
        raise self._fail("instructions", request)

    def close(self) -> None:
        """Nothing to release."""


class RecordingCaptcha:
    """A :class:`~orderstatus_core.Captcha` whose answers a test knows: the ``n``-th
    challenge it issues is answered by ``ANSWER<n>`` (``ANSWER1``, ``ANSWER2`` ...), also
    given by :meth:`answer_for`. It draws nothing (the media are a few bytes naming the
    challenge) and checks answers exactly as a drawn captcha does, through
    :meth:`CaptchaChallenge.accepts <orderstatus_core.CaptchaChallenge.accepts>`.
    Records every challenge issued and every check.

    >>> captcha = RecordingCaptcha()
    >>> challenge = captcha.issue(FixedClock.START)
    >>> captcha.answer_for(challenge.challenge_id)
    'ANSWER1'
    >>> captcha.check(challenge, "answer1"), captcha.check(challenge, "ANSWER2")
    (True, False)
    >>> captcha.checks == [(challenge.challenge_id, True), (challenge.challenge_id, False)]
    True
    """

    def __init__(self, ttl: timedelta = CAPTCHA_TTL) -> None:
        self.ttl = ttl
        #: Every challenge issued, oldest first, media included.
        self.issued: list[CaptchaChallenge] = []
        #: Every check, oldest first, as ``(challenge_id, accepted)``.
        self.checks: list[tuple[str, bool]] = []
        self._answers: dict[str, str] = {}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()

    def issue(self, now: datetime) -> CaptchaChallenge:
        """A challenge whose answer is ``ANSWER<n>``, with a random 128-bit id."""
        now = utc(now)  # a naive time raises before an answer is used up
        challenge_id = secrets.token_urlsafe(16)
        with self._lock:
            answer = f"ANSWER{next(self._serial)}"
            challenge = CaptchaChallenge.issue(
                challenge_id,
                answer,
                now,
                self.ttl,
                image=f"image {challenge_id}".encode(),
                audio=f"audio {challenge_id}".encode(),
            )
            self._answers[challenge_id] = answer
            self.issued.append(challenge)
        return challenge

    def answer_for(self, challenge_id: str) -> str:
        """The answer of the challenge ``challenge_id`` this captcha issued
        (:class:`KeyError` for another)."""
        return self._answers[challenge_id]

    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        """Record the check; whether ``answer`` is the challenge's answer."""
        if not isinstance(challenge, CaptchaChallenge):
            raise InvalidFieldError(
                "challenge", f"must be a CaptchaChallenge, not {type(challenge).__name__}"
            )
        accepted = challenge.accepts(answer)
        with self._lock:
            self.checks.append((challenge.challenge_id, accepted))
        return accepted

    def close(self) -> None:
        """Nothing to release; the records stay readable."""


_COUNTING_HASH = re.compile(r"counting\$v=([0-9]{1,4})\$([0-9a-f]{32})\$([0-9a-f]{64})")


class CountingPasswordHasher:
    """A cheap :class:`~orderstatus_core.PasswordHasher` that counts its work, for tests
    of SECURITY A2 (Django's ``CountingMD5PasswordHasher`` idea): a log-in attempt must
    hash exactly once, for a known and an unknown email alike. Count calls, not time.

    Hashes are salted SHA-256 (``counting$v=1$<salt>$<digest>``): correct, but a
    microsecond each, and :attr:`cost` fails the production check. ``version`` stands for
    the parameters: a hash made under another version verifies and needs a rehash.

    >>> hasher = CountingPasswordHasher()
    >>> stored = hasher.hash("correct horse battery staple")
    >>> hasher.verify(stored, "correct horse battery staple"), hasher.verify(stored, "wrong")
    (True, False)
    >>> hasher.calls, hasher.work
    (['hash', 'verify', 'verify'], 3)
    >>> CountingPasswordHasher(version=2).needs_rehash(stored)
    True
    """

    def __init__(self, *, version: int = 1) -> None:
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 9999:
            raise InvalidFieldError("version", "must be a whole number from 0 to 9999")
        self.version = version
        #: Every ``hash`` and ``verify`` call, oldest first, by name; a ``verify`` that
        #: answers ``False`` at once for an unreadable hash is counted too.
        self.calls: list[str] = []
        self._lock = threading.Lock()

    @property
    def cost(self) -> HashCost:
        """Not Argon2id: a production store refuses this hasher."""
        return HashCost("counting-sha256", memory_kib=0, time_cost=1, parallelism=1)

    @property
    def work(self) -> int:
        """How many times a password was hashed or verified so far."""
        return len(self.calls)

    def count(self, name: str) -> int:
        """How many calls of ``name`` (``"hash"`` or ``"verify"``) were made."""
        return self.calls.count(name)

    def reset(self) -> None:
        """Forget the recorded calls."""
        with self._lock:
            self.calls.clear()

    def _record(self, name: str) -> None:
        with self._lock:
            self.calls.append(name)

    def hash(self, password: str) -> str:
        """Record the call; a salted SHA-256 of ``password``."""
        self._record("hash")
        if not isinstance(password, str):
            raise InvalidFieldError("password", f"must be text, not {type(password).__name__}")
        salt = secrets.token_hex(16)
        return f"counting$v={self.version}${salt}${_counting_digest(salt, password)}"

    def verify(self, stored: str, password: object) -> bool:
        """Record the call; whether ``password`` matches ``stored`` (any version)."""
        self._record("verify")
        found = _COUNTING_HASH.fullmatch(stored) if isinstance(stored, str) else None
        if found is None or not isinstance(password, str):
            return False
        try:
            digest = _counting_digest(found[2], password)
        except InvalidFieldError:
            return False
        return hmac.compare_digest(digest, found[3])

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made under another version, or is unreadable. Not
        recorded: it hashes nothing."""
        found = _COUNTING_HASH.fullmatch(stored) if isinstance(stored, str) else None
        return found is None or int(found[1]) != self.version

    def close(self) -> None:
        """Nothing to release; the recorded calls stay readable."""


def _counting_digest(salt: str, password: str) -> str:
    try:
        encoded = password.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidFieldError("password", "is not valid Unicode text") from None
    return hashlib.sha256(salt.encode() + b"\x00" + encoded).hexdigest()


@functools.cache
def _registry() -> AdapterRegistry:
    # Built once per process: loading the installed plugins is the slow part.
    return Hooks(get_plugin_manager()).adapter_registry()


class _GivenLookup:
    """The lookup policy given to :func:`fake_context`, as a plugin, so that it reaches the
    services through the same hook (and check) as a store's."""

    def __init__(self, lookup: LookupPolicy) -> None:
        self.lookup = lookup

    @hookimpl(tryfirst=True)
    def orderstatus_lookup_policy(self) -> LookupPolicy:
        return self.lookup


class _GivenReturns:
    """The return rules given to :func:`fake_context`, as a plugin: the policy and each of
    the window, refusal and routing functions the rules hold."""

    def __init__(self, rules: ReturnRules) -> None:
        self.rules = rules

    @hookimpl(tryfirst=True)
    def orderstatus_return_policy(self) -> ReturnPolicy:
        return self.rules.policy

    @hookimpl(tryfirst=True)
    def orderstatus_return_window(self, order: Order, line: OrderLine) -> int | None:
        days = self.rules.window_days
        return None if days is None else days(order, line)

    @hookimpl(tryfirst=True)
    def orderstatus_return_refusal(
        self, order: Order, line: OrderLine, kind: ReturnKind
    ) -> ReturnRefusal | None:
        return self.rules.refusal_for(order, line, kind)

    @hookimpl(tryfirst=True)
    def orderstatus_return_destination(
        self, order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
    ) -> ReturnDestination | None:
        route = self.rules.route
        return None if route is None else route(order, line, reason, shipped_from)


def policies_with(*plugins: object) -> Hooks:
    """The built-in policies with store ``plugins`` registered over them, for a test that
    changes one rule of a context it already has::

        ctx = attrs.evolve(ctx, policies=policies_with(NoGuestPass()))

    The plugins' answers pass through the same hooks and checks as a store's.
    """
    if not plugins:
        return default_policies()
    return Hooks(get_plugin_manager(load_entrypoints=False, plugins=plugins))


def fake_context(
    storage: Storage | None = None,
    *,
    mailer: Mailer | None = None,
    rate_limiter: RateLimiter | None = None,
    clock: Clock | None = None,
    policy: LookupPolicy | None = None,
    label_maker: LabelMaker | None = None,
    returns: ReturnRules | None = None,
    plugins: Iterable[object] = (),
    captcha: Captcha | None = None,
    password_hasher: PasswordHasher | None = None,
    breached_passwords: BreachedPasswords | None = None,
    vehicle_catalog: VehicleCatalog | None = None,
) -> ServiceContext:
    """A :class:`~orderstatus_core.ServiceContext` for tests; give only what matters.

    Built by the same composition root as :meth:`OrderStatus.open
    <orderstatus_core.OrderStatus.open>`. Defaults: a new, migrated ``memory://`` storage,
    a :class:`RecordingMailer`, a ``memory://`` rate limiter, a :class:`FixedClock` at
    :attr:`FixedClock.START`, a :class:`RecordingLabelMaker` quoting 7.50 USD, a
    :class:`RecordingCaptcha`, a :class:`CountingPasswordHasher`, no breached-password
    check, the default vehicle catalog and the built-in plugin's policies. ``policy`` (the
    lookup policy), ``returns`` and ``plugins`` (store plugins with ``@hookimpl`` answers)
    change the policies through the hooks, exactly as a store's plugin would. For a store
    without a label maker, ``attrs.evolve(ctx, label_maker=None)``.

    >>> ctx = fake_context()
    >>> ctx.mailer.sent
    []
    >>> ctx.label_maker.calls
    []
    >>> class NoPassForCancels:
    ...     @hookimpl
    ...     def orderstatus_pass_required(self, action):
    ...         return action != "cancel"
    >>> fake_context(plugins=[NoPassForCancels()]).policies.pass_required("cancel")
    False
    """
    given = [*plugins]
    if policy is not None:
        given.append(_GivenLookup(policy))
    if returns is not None:
        given.append(_GivenReturns(returns))
    policies = policies_with(*given)
    policies.check_policies()
    ctx = bootstrap(
        storage="memory://" if storage is None else storage,
        mail=RecordingMailer() if mailer is None else mailer,
        rate_limits="memory://" if rate_limiter is None else rate_limiter,
        labels=RecordingLabelMaker() if label_maker is None else label_maker,
        captcha=RecordingCaptcha() if captcha is None else captcha,
        password_hasher=CountingPasswordHasher() if password_hasher is None else password_hasher,
        breached_passwords=breached_passwords,
        vehicle_catalog=vehicle_catalog,
        clock=FixedClock() if clock is None else clock,
        policies=policies,
        registry=_registry(),
    )
    if storage is None:
        ctx.storage.migrate()
    return ctx


_FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


def queued_mail(ctx: ServiceContext) -> list[MailIntent]:
    """The mail waiting in the outbox, oldest first, once every queued request (Order
    Look-Up, guest pass, sign-up, reset, order attachment) has been decided as the relay
    decides them; nothing is sent.

    For tests that read a mailed code or list without running the whole relay::

        request_guest_pass(ctx, "jane@example.com", "123456789", client="test")
        [mail] = queued_mail(ctx)  # a GuestPassMail, when the pair matched
    """
    for message in _due(ctx):
        request = message.intent
        if isinstance(request, OrderListRequest):
            decide_order_list(ctx, message.message_id, request)
        elif isinstance(request, GuestPassRequest):
            decide_guest_pass(ctx, message.message_id, request)
        elif isinstance(request, SignUpRequest):
            decide_sign_up(ctx, message.message_id, request)
        elif isinstance(request, PasswordResetRequest):
            decide_reset(ctx, message.message_id, request)
        elif isinstance(request, AttachOrderRequest):
            decide_attach(ctx, message.message_id, request)
    return [m.intent for m in _due(ctx) if isinstance(m.intent, MailIntent)]


def _due(ctx: ServiceContext) -> list[OutboxMessage]:
    with ctx.storage.unit_of_work() as uow:
        return list(uow.outbox.due(_FOREVER, 10_000))
