"""The sections of the holder's data export (issue 14 item 8), one function each.

A section reads one kind of data about the account holder from an :class:`ExportSource`
and answers it JSON-ready (dicts, lists, text, numbers, booleans, ``None``), in the
library's JSON forms (:data:`~orderstatus_core.serialization.converter`: money
``"24.99 USD"``, times ISO 8601 in UTC). :data:`SECTIONS` lists them in the document's
order; each has its fragment, under the same name, in the shipped JSON Schema
(``orderstatus_core/data/account-export.schema.json``), and a test fails when the two
lists differ. Adding a kind of data is one function here, one entry in :data:`SECTIONS`
and one property in the schema (docs/profile.md, "Your data").

What a section leaves out, whoever stored it (masking, issue 14 item 8):

* secrets and their stand-ins: the password hash, session ids and their hashes, tokens
  (links and codes, and their hashes), captcha answers; none of these is read at all;
* the storage's own counters (versions, credential epochs, failed log-ins kept on the
  row), which say nothing about the holder;
* other people's data: the library stores no staff identity; the store's notes on a
  request are written to the shopper and shown on the order page, so they are exported.

The holder's own email, addresses and phone numbers appear in full: they proved them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.model.account import Account
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.records import SearchCursor
from orderstatus_core.serialization import converter
from orderstatus_core.services.accounts.credit import credit_across, credit_holders

__all__ = ["SECTIONS", "ExportSection", "ExportSource"]

#: Linked orders read per statement while the export walks the account's history.
_ORDER_PAGE = 200
#: "Every row": the ports take a limit, and an export wants them all.
_EVERY_ROW = 2**62


@attrs.frozen
class ExportSource:
    """What a section reads from: the read unit (one snapshot for the whole document), the
    holder's live account, the hash of the session asking (to mark it among the
    sessions) and the time of the export."""

    uow: UnitOfWork
    account: Account
    session_hash: str = attrs.field(repr=False)
    now: datetime


@attrs.frozen
class ExportSection:
    """One top-level key of the export: its ``name`` and the function reading its value."""

    name: str
    read: Callable[[ExportSource], Any]


def _plain(value: object, *left_out: str) -> dict[str, Any]:
    """``value`` in the converter's JSON form, without the fields ``left_out``."""
    data: dict[str, Any] = converter.unstructure(value)
    for name in left_out:
        del data[name]
    return data


def account(source: ExportSource) -> dict[str, Any]:
    """The account: its id, email (in full), state, language and times; never the
    password hash or the storage's counters."""
    held = source.account
    return {
        "account_id": held.account_id,
        "email": held.email.display,
        "state": held.state.value,
        "language": held.language,
        "created_at": converter.unstructure(held.created_at),
        "verified_at": converter.unstructure(held.verified_at),
        "password_changed_at": converter.unstructure(held.password_changed_at),
    }


def addresses(source: ExportSource) -> list[dict[str, Any]]:
    """The saved addresses, oldest first, each with its id, whether it is the default and
    when it was saved."""
    saved = source.uow.accounts.saved_addresses(source.account.account_id)
    return [_plain(entry, "account_id") for entry in saved]


def garage(source: ExportSource) -> list[dict[str, Any]]:
    """The vehicles of the garage, oldest first, with the store's catalog id."""
    vehicles = source.uow.accounts.garage(source.account.account_id)
    return [_plain(entry, "account_id") for entry in vehicles]


def _linked_numbers(source: ExportSource) -> Iterator[str]:
    accounts, account_id = source.uow.accounts, source.account.account_id
    after: SearchCursor | None = None
    while True:
        page = accounts.linked_orders(account_id, _ORDER_PAGE, after)
        yield from (header.number for header in page)
        if len(page) < _ORDER_PAGE:
            return
        after = SearchCursor(placed_at=page[-1].placed_at, number=page[-1].number)


def orders(source: ExportSource) -> list[dict[str, Any]]:
    """Every stored order linked to the account, newest first, whole: in the import
    format (docs/import-format.md), each line with the vehicle it was bought for, with
    its requests, reports, refunds and returns, less
    the storage's version counter. An order the store deleted after linking is left out,
    as the history leaves it out."""
    stored = source.uow.orders
    found = (stored.get(number) for number in _linked_numbers(source))
    return [_plain(order, "version") for order in found if order is not None]


def store_credit(source: ExportSource) -> dict[str, Any]:
    """The store credit the account sees, as its page shows it (``credit_across`` of
    :mod:`orderstatus_core.services.accounts.credit`): across its proven addresses, its
    own and those of its linked orders (SECURITY F1, F2; a look-alike address is another holder,
    A4). The addresses' keys, the balance in each currency (by currency code) and every
    ledger entry, newest first, each with the key it is held under."""
    account_id = source.account.account_id
    held = credit_across(source.uow, account_id, _EVERY_ROW)
    return {
        "holders": credit_holders(source.uow.accounts, account_id),
        "balances": [converter.unstructure(balance) for balance in held.balances],
        "entries": [_plain(entry) for entry in held.entries],
    }


def discount_codes(source: ExportSource) -> list[dict[str, Any]]:
    """Every discount code issued to the account (not only the page's newest 50), newest
    first: the code, its worth, expiry, use (time, order reference, discount taken) or
    revocation, and where it stands at the export's time. A code is no credential (the
    account page shows it again, :mod:`~orderstatus_core.services.accounts.credit`)."""
    now = source.now
    codes = source.uow.accounts.discount_codes(source.account.account_id, _EVERY_ROW)
    return [{**_plain(code, "account_id"), "status": code.status(now).value} for code in codes]


def part_watches(source: ExportSource) -> list[dict[str, Any]]:
    """The parts the account watches for availability alerts, oldest first: the part
    number as typed and when it was watched."""
    watches = source.uow.accounts.part_watches(source.account.account_id)
    return [_plain(watch, "account_id") for watch in watches]


def mail_preferences(source: ExportSource) -> list[dict[str, Any]]:
    """The topics of store mail the account subscribed to, by topic, each with its time.
    The preferred language is in ``account``."""
    subscriptions = source.uow.accounts.mail_subscriptions(source.account.account_id)
    return [_plain(subscription, "account_id") for subscription in subscriptions]


def security_log(source: ExportSource) -> list[dict[str, Any]]:
    """The account's security log, newest first, as the holder reads it on the account
    page (SECURITY C4): emails masked, the client of each line (a failed log-in's too:
    the holder is shown who tried their account), never a secret."""
    events = source.uow.accounts.events(source.account.account_id, _EVERY_ROW)
    return [_plain(event, "account_id") for event in events]


def sessions(source: ExportSource) -> list[dict[str, Any]]:
    """The sessions that have not ended, oldest first, as metadata: times, *keep me
    logged in*, and whether it is the session that asked. Never an id or its hash."""
    listed = source.uow.sessions.open_sessions(source.account.account_id)
    return [
        {
            **_plain(session, "id_hash", "account_id", "ended_at"),
            "this_session": session.id_hash == source.session_hash,
        }
        for session in listed
    ]


#: The sections of the export, in the document's order. Each name is a property of the
#: shipped schema (``account-export.schema.json``).
SECTIONS: tuple[ExportSection, ...] = (
    ExportSection("account", account),
    ExportSection("addresses", addresses),
    ExportSection("garage", garage),
    ExportSection("orders", orders),
    ExportSection("store_credit", store_credit),
    ExportSection("discount_codes", discount_codes),
    ExportSection("part_watches", part_watches),
    ExportSection("mail_preferences", mail_preferences),
    ExportSection("security_log", security_log),
    ExportSection("sessions", sessions),
)
