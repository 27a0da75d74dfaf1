"""What the outbox carries: mail intents, requests the relay decides on, label work, and
the envelope around each (:class:`OutboxMessage`), plus :class:`OutgoingMail`, the rendered
mail a :class:`~orderstatus_core.ports.Mailer` sends.

Each union is tagged by its class name (the converter writes ``kind``); a field marked
:data:`SECRET` is emptied once its message is delivered (SECURITY D5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, cast

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.events import DomainEvent
from orderstatus_core.model import (
    EmailAddress,
    Money,
)

__all__ = [
    "SECRET",
    "WATCHER_ORDINAL_DIGITS",
    "AccountMail",
    "AccountVerificationMail",
    "AlreadyRegisteredMail",
    "AttachCodeMail",
    "AttachOrderRequest",
    "EmailChangeMail",
    "EmailChangeNotice",
    "GuestPassMail",
    "GuestPassRequest",
    "MailIntent",
    "MailRequest",
    "OrderListMail",
    "OrderListRequest",
    "OutboxItem",
    "OutboxMessage",
    "OutgoingMail",
    "PartBackInStockMail",
    "PasswordResetMail",
    "PasswordResetRequest",
    "ReturnDocumentsJob",
    "ReturnLabelMail",
    "ReturnReceivedMail",
    "ReturnSettledMail",
    "ShipmentNotice",
    "SignUpRequest",
    "StoreMail",
    "TrackingMail",
    "WatcherMail",
    "secret_fields",
    "secrets_of",
    "without_secrets",
]


_SECRET_KEY = "orderstatus_secret"  # noqa: S105 - a metadata key, not a password

#: Field metadata marking a secret text of an outbox item (a one-time code, a link's token):
#: ``code: str = attrs.field(repr=False, metadata=SECRET)``. The field's declaration is the
#: one place that says so; :func:`without_secrets` empties such fields once the message is
#: delivered (SECURITY D5), and the relay hides their values in error texts.
SECRET: Mapping[str, bool] = MappingProxyType({_SECRET_KEY: True})


@attrs.frozen
class OrderListMail:
    """Order Look-Up: mail the most recent order numbers to the address stored with them."""

    to: EmailAddress
    order_numbers: tuple[str, ...]
    language: str = "en"


@attrs.frozen
class ShipmentNotice:
    """One package of a tracking mail."""

    package_id: str
    carrier: str
    tracking_number: str
    tracking_url: str | None = None


@attrs.frozen
class TrackingMail:
    """The last package of an order has shipped: every package with its tracking number."""

    to: EmailAddress
    order_number: str
    packages: tuple[ShipmentNotice, ...]
    language: str = "en"


@attrs.frozen
class GuestPassMail:
    """A guest asked to act on an order: the one-time code and link, to the stored address.

    ``to`` is the address stored with the order, never what the guest typed (SECURITY A4).
    ``link`` was built from the store's configured base URL (SECURITY D4). The code and the
    link are left out of ``repr`` so that a log line never carries them, and are emptied
    from the outbox once the mail is delivered (:data:`SECRET`).
    """

    to: EmailAddress
    order_number: str
    code: str = attrs.field(repr=False, metadata=SECRET)
    link: str = attrs.field(repr=False, metadata=SECRET)
    expires_at: datetime
    language: str = "en"


@attrs.frozen
class ReturnLabelMail:
    """A return's papers are ready: the RMA numbers, and whether a label is waiting.

    The shopper prints them from the Order Status page (the storefront serves them from
    :attr:`UnitOfWork.documents`); the mail says what to do and by when.
    """

    to: EmailAddress
    order_number: str
    rma_numbers: tuple[str, ...]
    with_label: bool
    ship_by: datetime
    language: str = "en"


@attrs.frozen
class ReturnReceivedMail:
    """The store received a return package (the refund follows its inspection)."""

    to: EmailAddress
    order_number: str
    rma_number: str
    language: str = "en"


@attrs.frozen
class ReturnSettledMail:
    """A return package was settled: ``outcome`` is ``refunded``, ``credited`` (to store
    credit), ``replaced`` or ``rejected``; ``amount`` what goes back (zero for the last two)."""

    to: EmailAddress
    order_number: str
    rma_number: str
    outcome: str
    amount: Money
    language: str = "en"


@attrs.frozen
class AccountVerificationMail:
    """A sign-up: the link that verifies the address and lets the shopper set a password.

    ``link`` was built from the account policy's ``link_base`` (SECURITY D4); it is left
    out of ``repr`` and emptied once delivered (:data:`SECRET`, D5).
    """

    to: EmailAddress
    link: str = attrs.field(repr=False, metadata=SECRET)
    expires_at: datetime
    language: str = "en"


@attrs.frozen
class AlreadyRegisteredMail:
    """A sign-up with an address that has an account: instead of a second account, this
    notice goes to the account's stored address (SECURITY A5). It carries no secret; the
    holder logs in, or asks for a reset on the log-in page."""

    to: EmailAddress
    language: str = "en"


@attrs.frozen
class PasswordResetMail:
    """Forgot password: the reset link, to the account's stored address (SECURITY A4)."""

    to: EmailAddress
    link: str = attrs.field(repr=False, metadata=SECRET)
    expires_at: datetime
    language: str = "en"


@attrs.frozen
class EmailChangeMail:
    """A change of email: the link that confirms the *new* address; the change takes effect
    only when it is followed."""

    to: EmailAddress
    link: str = attrs.field(repr=False, metadata=SECRET)
    expires_at: datetime
    language: str = "en"


@attrs.frozen
class EmailChangeNotice:
    """A change of email was asked for: the notice to the *old* address, with the new one
    masked (``n•••@example.com``), so that a holder who did not ask can act."""

    to: EmailAddress
    new_email: str
    language: str = "en"


@attrs.frozen
class AttachCodeMail:
    """The code that attaches ``order_number`` to an account, to the order's stored
    address (SECURITY F2, A4)."""

    to: EmailAddress
    order_number: str
    code: str = attrs.field(repr=False, metadata=SECRET)
    expires_at: datetime
    language: str = "en"


@attrs.frozen
class PartBackInStockMail:
    """An availability alert: ``part_number`` (as the shopper watched it) is back in stock,
    to the account's current address. ``link`` is the account's alerts page, built from
    the account policy's ``link_base`` (SECURITY D4); it carries no token, so nothing here
    is secret."""

    to: EmailAddress
    part_number: str
    link: str
    language: str = "en"


#: How many hex digits of a :class:`WatcherMail`'s message ids are the watcher's ordinal;
#: the rest, the report's random prefix.
WATCHER_ORDINAL_DIGITS: Final = 8
_ID_PREFIX = re.compile(r"[0-9a-f]{24}")  # 24 + 8 = the 32 hex digits of every message id
_MEMBER = re.compile(r"[a-z][a-z_]{0,39}")


def _id_prefix(_instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _ID_PREFIX.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be 24 lower-case hex digits")


def _member(_instance: object, attribute: Any, value: Any) -> None:
    # A member name goes into a storage's JSON path ('$.to'): a plain name needs no quoting.
    if not isinstance(value, str) or not _MEMBER.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be a lower-case name")


def _read_only(template: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(template))


@attrs.frozen
class WatcherMail:
    """The :class:`PartBackInStockMail` a report of a part back in stock queues for each
    watcher, less what the storage fills in from the watcher: what the core hands
    :meth:`~orderstatus_core.ports.AccountStore.queue_part_alerts`, so that a SQL storage
    writes every alert of the report in one statement without bringing a watcher into
    Python (bench/RESULTS.md, availability alerts).

    ``template`` is the mail's outbox document as the core's serialization writes it
    (:func:`~orderstatus_core.serialization.dump_intent`: ``kind``, ``link``), without the
    three members named by ``email_member`` (the account's email as typed, ``to``),
    ``part_member`` (the watch's part number as typed) and ``language_member`` (the
    account's preferred language). A storage stores ``template`` with those three members
    set, as text, for each watcher (:meth:`document`).

    The message id of the ``n``-th watcher (from 1, in the port's order) is
    :meth:`message_id`: ``id_prefix``, 24 random hex digits drawn for this report, then
    ``n`` in :data:`WATCHER_ORDINAL_DIGITS` hex digits; 32 hex digits as every message id
    (SECURITY G4), none guessable from another report's.

    >>> mail = WatcherMail({"kind": "part_back_in_stock", "link": "https://s/a"}, "ab" * 12)
    >>> mail.message_id(26)
    'abababababababababababab0000001a'
    >>> mail.document("Jane@Example.com", "BP-1234", "fi")["to"]
    'Jane@Example.com'
    """

    template: Mapping[str, Any] = attrs.field(converter=_read_only)
    id_prefix: str = attrs.field(validator=_id_prefix, repr=False)
    email_member: str = attrs.field(default="to", validator=_member)
    part_member: str = attrs.field(default="part_number", validator=_member)
    language_member: str = attrs.field(default="language", validator=_member)

    @property
    def kind(self) -> str:
        """The ``kind`` tag of the alerts (the outbox's ``kind`` column)."""
        return str(self.template["kind"])

    def message_id(self, ordinal: int) -> str:
        """The message id of the ``ordinal``-th watcher (from 1)."""
        return f"{self.id_prefix}{ordinal:0{WATCHER_ORDINAL_DIGITS}x}"

    def document(self, email: str, part_number: str, language: str) -> dict[str, Any]:
        """The outbox document of one watcher's alert: the template with the three members
        set (what a SQL storage's ``json_set`` writes)."""
        document = dict(self.template)
        document[self.email_member] = email
        document[self.part_member] = part_number
        document[self.language_member] = language
        return document


@attrs.frozen
class StoreMail:
    """Store mail of one topic (a newsletter, an offer) to an account that subscribed to
    it, rendered from the store's own template ``mail/store/<template>.txt`` and ``.html``.

    ``unsubscribe_url`` is the account's one-click link for the topic: it becomes the
    ``List-Unsubscribe`` / ``List-Unsubscribe-Post`` headers (RFC 8058) and the template
    shows it. It is left out of ``repr`` and emptied once delivered (:data:`SECRET`, D5).
    """

    to: EmailAddress
    topic: str
    template: str
    unsubscribe_url: str = attrs.field(repr=False, metadata=SECRET)
    language: str = "en"


#: The mail of the account features.
AccountMail = (
    AccountVerificationMail
    | AlreadyRegisteredMail
    | PasswordResetMail
    | EmailChangeMail
    | EmailChangeNotice
    | AttachCodeMail
    | PartBackInStockMail
)

#: A mail the core wants sent, before it is rendered (a tagged union by ``kind``).
MailIntent = (
    OrderListMail
    | TrackingMail
    | GuestPassMail
    | ReturnLabelMail
    | ReturnReceivedMail
    | ReturnSettledMail
    | AccountVerificationMail
    | AlreadyRegisteredMail
    | PasswordResetMail
    | EmailChangeMail
    | EmailChangeNotice
    | AttachCodeMail
    | PartBackInStockMail
    | StoreMail
)


@attrs.frozen
class ReturnDocumentsJob:
    """Work for the relay: make the label (when ``with_label``) and the instructions of one
    RMA package through the :class:`LabelMaker`, keep them, and mail the shopper.

    Queued in the same transaction as the return (SECURITY G4), so a return never exists
    without its papers on the way, and a failing label maker only delays them.
    """

    order_number: str
    return_id: str
    rma_number: str
    with_label: bool


@attrs.frozen
class OrderListRequest:
    """Order Look-Up, queued for the relay, which decides whether a mail goes out.

    ``email_key`` is the canonical key of the typed address. When the relay runs, it reads
    that shopper's newest orders and mails their numbers (an :class:`OrderListMail`) to the
    address stored with the newest one; with no orders it sends nothing. Queued for every
    well-formed address, so a customer's request and a stranger's do the same work
    (SECURITY A6).
    """

    email_key: str
    language: str = "en"


@attrs.frozen
class GuestPassRequest:
    """A guest-pass request, queued for the relay, which decides whether a code goes out.

    ``contact`` is the email key or E.164 phone the guest typed with ``order_number``.
    When the relay runs, it looks the pair up; on a match it issues the challenge and mails
    the code and link (a :class:`GuestPassMail`, never stored) to the order's stored
    address; otherwise it sends nothing. Queued for every well-formed pair, so a match and
    a miss do the same work (SECURITY A6).
    """

    order_number: str
    contact: str
    language: str = "en"


@attrs.frozen
class SignUpRequest:
    """A sign-up whose captcha was solved, queued for the relay, which decides what is
    mailed: for a new address, the account and its verification link; for an address
    with an account, the "already registered" notice (SECURITY A5). Queued alike for
    both, so the sign-up does the same work either way (A6)."""

    email: EmailAddress
    language: str = "en"


@attrs.frozen
class PasswordResetRequest:
    """Forgot password, queued for the relay, which mails a reset link when an active
    account holds ``account_email_key`` (the typed address's key) and nothing otherwise
    (SECURITY A1, A6)."""

    account_email_key: str
    language: str = "en"


@attrs.frozen
class AttachOrderRequest:
    """A logged-in shopper asks to attach an order placed with another email: the relay
    looks the pair (``order_number`` and ``contact``, an email key or E.164 phone) up and,
    on a match, issues the code under ``selector`` and mails it to the order's stored
    address (SECURITY F2). The shopper's page holds ``selector`` to confirm the code."""

    account_id: str
    order_number: str
    contact: str
    selector: str
    language: str = "en"


#: Work the relay decides on when it runs: whether a look-up or pass request mails anyone.
MailRequest = (
    OrderListRequest | GuestPassRequest | SignUpRequest | PasswordResetRequest | AttachOrderRequest
)

#: What the outbox carries: mail to render and send, an event to publish, label work, or
#: a request whose mail the relay decides on.
OutboxItem = MailIntent | DomainEvent | ReturnDocumentsJob | MailRequest


_SECRET_FIELDS: dict[type[OutboxItem], tuple[str, ...]] = {}


def secret_fields(kind: type[OutboxItem]) -> tuple[str, ...]:
    """The names of the :data:`SECRET` fields of an outbox item class (``()`` for most).

    >>> secret_fields(GuestPassMail), secret_fields(OrderListMail)
    (('code', 'link'), ())
    """
    names = _SECRET_FIELDS.get(kind)
    if names is None:  # read once per class: the relay asks for every message it handles
        names = tuple(f.name for f in attrs.fields(kind) if f.metadata.get(_SECRET_KEY))
        _SECRET_FIELDS[kind] = names
    return names


def _secret_fields(item: OutboxItem) -> tuple[str, ...]:
    return secret_fields(type(item))


def secrets_of(item: OutboxItem) -> tuple[str, ...]:
    """The non-empty values of ``item``'s :data:`SECRET` fields, to keep out of any text
    that outlives delivery (an error kept in the outbox, a line a relay prints)."""
    values = (getattr(item, name) for name in _secret_fields(item))
    return tuple(value for value in values if isinstance(value, str) and value)


def without_secrets(item: OutboxItem) -> OutboxItem:
    """``item`` with each :data:`SECRET` field emptied (``""``): what a delivered message
    keeps for its audit, with its kind, recipient and times (SECURITY D5).

    >>> from datetime import UTC
    >>> from orderstatus_core.contacts import parse_email
    >>> mail = GuestPassMail(parse_email("jane@example.com"), "123456789", "481516",
    ...     "https://shop.example/pass?token=abc", datetime(2026, 11, 1, tzinfo=UTC))
    >>> (without_secrets(mail).code, without_secrets(mail).link)
    ('', '')
    """
    names = _secret_fields(item)
    if not names:
        return item
    # evolve() cannot check keywords against a union of classes: each name is a field.
    emptied: OutboxItem = attrs.evolve(cast(Any, item), **dict.fromkeys(names, ""))
    return emptied


@attrs.frozen
class OutboxMessage:
    """A mail or event written in the same transaction as the change that caused it.

    ``message_id`` is stable across retries, so a receiver can drop duplicates of an
    at-least-once delivery (SECURITY G4). ``sent_at`` is when it was delivered, set only by
    :meth:`Outbox.mark_sent` (a message put is unsent); a sent message keeps its kind,
    recipient, times and id for its audit, never its :data:`SECRET` fields. ``dead_at`` is
    when it became a dead letter, set only by :meth:`Outbox.mark_dead`: a dead letter is never
    due, and keeps its whole item, secrets included, so that a retry sends the same mail.
    """

    message_id: str
    created_at: datetime
    intent: OutboxItem
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    dead_at: datetime | None = None


@attrs.frozen
class OutgoingMail:
    """A rendered mail, ready for the :class:`Mailer`: a plain-text part and, when
    ``html`` is not empty, an HTML alternative of the same content.

    ``unsubscribe_url``, when not empty, is the HTTPS link that unsubscribes the recipient
    from this kind of mail in one click: it becomes the ``List-Unsubscribe`` and
    ``List-Unsubscribe-Post`` headers (RFC 8058) that mail programs show as an unsubscribe
    button. Transactional mail (order lists, codes, tracking, returns) leaves it empty.
    :func:`~orderstatus_core.compose_message` turns the whole into the message sent.
    """

    message_id: str
    to: str
    subject: str
    text: str
    language: str = "en"
    html: str = ""
    unsubscribe_url: str = ""
