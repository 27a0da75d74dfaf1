"""Store mail an account asked for, and the one-click link that stops it (DOMAIN.md
section 2, issue 14 item 6, RFC 8058, SECURITY D).

* a :class:`MailSubscription`: an account asked for the store's mail of one *topic*
  (``newsletter``, ``offers``: the profile policy's ``mail_topics``); no subscription, no
  such mail (opt-in). Order and security mail are not topics: they always go out;
* an *unsubscribe token* (:func:`unsubscribe_token`): the account id, the topic and an
  HMAC-SHA256 of both under the store's secret key. It unsubscribes that account from
  that topic and does nothing else; it is not stored anywhere, so it needs no purge, and
  nobody without the key can make one (:func:`read_unsubscribe_token`).

The token names the account, never its address, so it keeps working after the shopper
changes their email: the link of a newsletter mailed to the old address still stops that
newsletter (all it can do). Deleting the account makes it do nothing.

Pure values and functions: the key and the time arrive as arguments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.errors import FieldTooLongError, InvalidFieldError
from orderstatus_core.model._checks import utc
from orderstatus_core.model.account import _account_id

__all__ = [
    "MIN_UNSUBSCRIBE_KEY",
    "TOPIC_PATTERN",
    "MailSubscription",
    "check_topic",
    "read_unsubscribe_token",
    "unsubscribe_token",
]

#: The shortest secret key an unsubscribe link is signed with: 32 bytes (256 bits).
MIN_UNSUBSCRIBE_KEY = 32
#: What a topic's name is: a lower-case ASCII letter, then up to 31 of a-z, 0-9 and ``-``.
TOPIC_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,31}")
_MAX_TOPIC_TEXT = 64
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# account id . topic . 43 characters of URL-safe base64 (256 bits, unpadded).
_TOKEN = re.compile(r"([A-Za-z0-9_-]{8,64})\.([a-z][a-z0-9-]{0,31})\.([A-Za-z0-9_-]{43})")
_MAX_TOKEN = 160
_LABEL = b"orderstatus unsubscribe\x00"


def check_topic(topic: object, field: str = "topic") -> str:
    """``topic`` if it is a mail topic's name: a lower-case ASCII letter, then up to 31
    lower-case letters, digits or ``-``. Whether the store has it is the policy's to say.

    >>> check_topic("newsletter")
    'newsletter'
    """
    if not isinstance(topic, str):
        raise InvalidFieldError(field, f"must be text, not {type(topic).__name__}")
    if len(topic) > _MAX_TOPIC_TEXT:
        raise FieldTooLongError(field, f"must be at most {_MAX_TOPIC_TEXT} characters")
    if not TOPIC_PATTERN.fullmatch(topic):
        raise InvalidFieldError(field, "must be a topic name: a-z, then up to 31 of a-z, 0-9 and -")
    return topic


def _topic(_instance: object, attribute: Any, value: Any) -> None:
    check_topic(value, attribute.name)


@attrs.frozen
class MailSubscription:
    """The account ``account_id`` asked, at ``subscribed_at``, for the store's mail of
    ``topic``."""

    account_id: str = attrs.field(validator=_account_id)
    topic: str = attrs.field(validator=_topic)
    subscribed_at: datetime = attrs.field(converter=utc)


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes) or len(key) < MIN_UNSUBSCRIBE_KEY:
        raise InvalidFieldError(
            "unsubscribe_key", f"must be at least {MIN_UNSUBSCRIBE_KEY} random bytes"
        )
    return key


def _mac(key: bytes, account_id: str, topic: str) -> str:
    data = _LABEL + account_id.encode() + b"\x00" + topic.encode()
    digest = hmac.new(key, data, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def unsubscribe_token(key: bytes, account_id: str, topic: str) -> str:
    """The token that unsubscribes ``account_id`` from ``topic``: both in clear and their
    HMAC-SHA256 under ``key`` (the store's secret, at least 32 bytes).

    >>> token = unsubscribe_token(b"k" * 32, "acct-0001", "newsletter")
    >>> token.startswith("acct-0001.newsletter.") and len(token.rsplit(".", 1)[1])
    43
    """
    if not isinstance(account_id, str) or not _ACCOUNT_ID.fullmatch(account_id):
        raise InvalidFieldError("account_id", "must be 8 to 64 letters, digits, - or _")
    topic = check_topic(topic)
    return f"{account_id}.{topic}.{_mac(_check_key(key), account_id, topic)}"


def read_unsubscribe_token(key: bytes, token: object) -> tuple[str, str] | None:
    """The account id and topic ``token`` was made for under ``key``, or ``None`` for
    anything else: not text, too long, malformed, or a signature that does not match
    (compared in constant time).

    >>> key = b"k" * 32
    >>> read_unsubscribe_token(key, unsubscribe_token(key, "acct-0001", "offers"))
    ('acct-0001', 'offers')
    >>> read_unsubscribe_token(key, "acct-0001.offers." + "A" * 43) is None
    True
    """
    key = _check_key(key)
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        return None
    parts = _TOKEN.fullmatch(token)
    if parts is None:
        return None
    account_id, topic, mac = parts.groups()
    if not hmac.compare_digest(mac, _mac(key, account_id, topic)):
        return None
    return account_id, topic
