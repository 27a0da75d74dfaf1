"""Idempotency keys on mutating commands (SECURITY G5).

A client that cannot tell whether its command went through (a timeout, a double click)
sends it again with the same key. Inside the command's own write unit the key is looked
up first: a stored reply with the same *fingerprint* (a hash of the command and its input)
is returned as it was the first time, without running the command again; the same key
with other input is :class:`~orderstatus_core.errors.IdempotencyKeyReusedError`. A first run
stores its reply in the same transaction as its change, so a rolled-back command leaves no
key behind. Replies are kept for :data:`REPLY_LIFETIME`; an older key counts as new.

Storages that serialize writers (SQLite's ``BEGIN IMMEDIATE``, the memory reference) make a
concurrent duplicate wait for the first and then replay its reply.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from orderstatus_core.errors import IdempotencyKeyReusedError, InvalidFieldError
from orderstatus_core.policies.retention import REPLY_LIFETIME
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.records import IdempotentReply
from orderstatus_core.serialization import converter

__all__ = ["REPLY_LIFETIME", "checked_key", "fingerprint", "once", "remember", "replay"]

T = TypeVar("T")

# Printable ASCII, as an HTTP Idempotency-Key header carries; a UUID fits easily.
_KEY = re.compile(r"[\x21-\x7e]{1,100}")


def checked_key(key: object) -> str | None:
    """``key`` if it is ``None`` or 1 to 100 printable ASCII characters; else refused."""
    if key is None:
        return None
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidFieldError("idempotency_key", "must be 1 to 100 printable ASCII characters")
    return key


def fingerprint(command: str, **arguments: Any) -> str:
    """A stable hash of a command and its input."""
    data = json.dumps(
        {"command": command, "arguments": converter.unstructure(arguments)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def replay(uow: UnitOfWork, key: str, print_: str, now: datetime, answer: type[T]) -> T | None:
    """The reply first given for ``key``, or ``None`` when the key is new (or expired)."""
    stored = uow.idempotency.get(key)
    if stored is None or now - stored.created_at > REPLY_LIFETIME:
        return None
    if stored.fingerprint != print_:
        raise IdempotencyKeyReusedError(key)
    result: T = converter.structure(json.loads(stored.reply), answer)
    return result


def remember(uow: UnitOfWork, key: str, print_: str, reply: object, now: datetime) -> None:
    """Keep ``reply`` under ``key`` in the command's own transaction."""
    document = json.dumps(converter.unstructure(reply), separators=(",", ":"))
    uow.idempotency.put(
        IdempotentReply(key=key, fingerprint=print_, reply=document, created_at=now)
    )


def once(
    uow: UnitOfWork,
    key: str | None,
    now: datetime,
    answer: type[T],
    run: Callable[[], T],
    command: str,
    **arguments: Any,
) -> T:
    """Run ``run`` in ``uow`` unless ``key`` already has a reply for the same input.

    Without a key the command simply runs. The caller commits ``uow`` afterwards either
    way (a replay changes nothing, so its commit is empty).
    """
    if key is None:
        return run()
    # Keys are scoped by order: one guest's key never blocks a command on another order,
    # however guessable it is; on one order, the same key for other input is an error.
    scoped = f"{arguments.get('order', '')}/{key}"
    print_ = fingerprint(command, **arguments)
    earlier = replay(uow, scoped, print_, now, answer)
    if earlier is not None:
        return earlier
    result = run()
    remember(uow, scoped, print_, result, now)
    return result
