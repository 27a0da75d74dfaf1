"""Recomputing stored email keys after the key rule changed, for storage migrations.

Before issue 9 was fixed, :func:`~orderstatus_core.email_key` folded the local
part with NFKC and ``casefold()``, so lookalike mailboxes (``ｍｉｋｅ@`` and ``mike@``,
``straße@`` and ``strasse@``) shared a key (issue 9, SECURITY A4). A storage adapter that
keeps keys (an order's ``email_key`` column, a credit entry's ``holder``) recomputes them
once, in a migration, with :func:`rekey_email_keys`; the bundled SQL adapters do.

Order keys are exact: each is computed afresh from the order's stored address. A credit
entry of a refund (``refund:<order>:<refund id>``) belongs to that order's address. Any
other entry (credit spent at checkout) only names the old, shared key; if one address
had that key, it is that address's. If several did, the ledger cannot tell whose it was,
so each such entry goes, in ledger order, to the one with the largest running balance in
its currency (ties: the smaller key): every balance stays non-negative whenever one of the
addresses could have paid it alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import attrs

from orderstatus_core.contacts import email_key

__all__ = ["NewEmailKeys", "rekey_email_keys"]


@attrs.frozen
class NewEmailKeys:
    """What changes: the new key of each order, and the new holder of each credit entry,
    whose stored key differs from the one the current rule gives."""

    #: Order number to its new email key.
    orders: dict[str, str]
    #: Credit entry id to its new holder.
    credit: dict[str, str]


def rekey_email_keys(
    orders: Iterable[tuple[str, str, str]],
    credit: Iterable[tuple[str, str, str, Decimal]],
) -> NewEmailKeys:
    """The keys to store instead of the old ones.

    ``orders`` are ``(number, stored address, stored key)``; ``credit`` is the ledger in
    the order it was appended, as ``(entry id, holder, currency, amount)``. Both may be
    limited to the keys that an address with a character beyond ASCII has: an ASCII
    address's key never changed, so only those keys' orders and entries can move (pass
    every order and entry of such a key, ASCII addresses included).

    >>> changes = rekey_email_keys(
    ...     [("1", "straße@example.com", "strasse@example.com"),
    ...      ("2", "strasse@example.com", "strasse@example.com")],
    ...     [("refund:1:R1", "strasse@example.com", "USD", Decimal("5"))],
    ... )
    >>> changes.orders, changes.credit
    ({'1': 'straße@example.com'}, {'refund:1:R1': 'straße@example.com'})
    """
    key_of_order: dict[str, str] = {}
    shared_by: dict[str, set[str]] = {}
    changed_orders: dict[str, str] = {}
    for number, address, old in orders:
        new = email_key(address) or old  # a stored address always has a key; keep it if not
        key_of_order[number] = new
        shared_by.setdefault(old, set()).add(new)
        if new != old:
            changed_orders[number] = new
    balances: dict[tuple[str, str], Decimal] = {}
    changed_credit: dict[str, str] = {}
    for entry_id, old, currency, amount in credit:
        kind, _, rest = entry_id.partition(":")
        order_number = rest.partition(":")[0] if kind == "refund" else ""
        if order_number in key_of_order:
            holder = key_of_order[order_number]
        else:
            candidates = shared_by.get(old) or {old}
            holder = max(sorted(candidates), key=lambda k: balances.get((k, currency), 0))
        balances[holder, currency] = balances.get((holder, currency), Decimal(0)) + amount
        if holder != old:
            changed_credit[entry_id] = holder
    return NewEmailKeys(orders=changed_orders, credit=changed_credit)
