"""The namespaces of the adapter's advisory locks: one set per schema.

PostgreSQL's advisory locks belong to the database, not to a schema: two stores in two
schemas of one database (``?schema=``) that used the same keys would wait on each other's
orders, replies, balances and addresses, and could deadlock: an import of one store holds
the low slots of its addresses and waits for a higher one, which a unit of another store
holds while it asks for a low one (seen in CI: two test workers, each on a schema of its
own). So each lock's first key, its namespace, is the schema's own.

The default path (no ``?schema=``) keeps the namespaces the adapter has always used. A
named schema's are derived from its name with BLAKE2b (stable across processes and
releases, unlike ``hash()``); processes running the adapter from before this change do not
see them, so on a named schema stop those before the new ones serve (docs/deploying.md,
"PostgreSQL: one database for every server").
"""

from __future__ import annotations

import hashlib
from typing import Final, NamedTuple

__all__ = ["DEFAULT_PATH", "LockSpace", "lock_space"]


class LockSpace(NamedTuple):
    """The first key of each kind of two-key advisory lock a store takes."""

    #: An order number, before a write unit reads the order (or its guest-pass challenge).
    order: int
    #: An idempotency key, before a write unit reads its reply.
    reply: int
    #: A holder's store-credit balance in one currency.
    credit: int
    #: One of the 1,024 slots of email keys (an account's address, an import's join).
    account_email: int


#: The namespaces of the default path: "OST\x01" to "OST\x04", as the adapter always used.
DEFAULT_PATH: Final = LockSpace(0x4F535401, 0x4F535402, 0x4F535403, 0x4F535404)


def _namespace(schema: str, kind: str) -> int:
    digest = hashlib.blake2b(
        f"{schema}\x00{kind}".encode(), digest_size=4, person=b"orderstatus-lock"
    ).digest()
    # 31 bits: a non-negative int4, which pg_locks shows as the same number in classid.
    return int.from_bytes(digest, "big") & 0x7FFF_FFFF


def lock_space(schema: str | None) -> LockSpace:
    """The lock namespaces of the store on ``schema`` (``None``: the default path).

    >>> lock_space(None) == DEFAULT_PATH
    True
    >>> lock_space("shop_a") != lock_space("shop_b")
    True
    """
    if schema is None:
        return DEFAULT_PATH
    return LockSpace(*(_namespace(schema, kind) for kind in LockSpace._fields))
