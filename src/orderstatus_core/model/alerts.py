"""Availability alerts (DOMAIN.md section 2, issue 14 item 5): a logged-in shopper watches a
part that is out of stock, and is mailed once when the store reports it back in stock.

A :class:`PartWatch` is an account watching a part number, compared by the part number's
key (:func:`~orderstatus_core.model.part_number_key`), as an order line's part is: one
watch per account and part.

A watch fires once: reporting the part back in stock takes (deletes) every watch of it and
queues one mail per watcher in the same unit of work, so a second report finds none. A
shopper who wants to hear of the next time watches the part again.

Pure values, like the rest of the model: the service reads the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model._checks import utc
from orderstatus_core.model.account import _account_id
from orderstatus_core.model.identifiers import PartNumber

__all__ = ["PartWatch"]


def _part_number(_instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, PartNumber):
        raise InvalidFieldError(attribute.name, "must be a PartNumber")


@attrs.frozen
class PartWatch:
    """An account watching ``part_number`` since ``watched_at``. The watch keeps no
    language: the alert is written in the account's preferred language when the part is
    reported back in stock (docs/profile.md "Language").

    >>> from datetime import UTC, datetime
    >>> watch = PartWatch("acct-0001", PartNumber("BP-1234"), datetime(2026, 12, 1, tzinfo=UTC))
    >>> watch.part_key
    'bp1234'
    """

    account_id: str = attrs.field(validator=_account_id)
    part_number: PartNumber = attrs.field(validator=_part_number)
    watched_at: datetime = attrs.field(converter=utc)

    @property
    def part_key(self) -> str:
        """The part number's key: two watches of one account with the same key are one."""
        return self.part_number.canonical
