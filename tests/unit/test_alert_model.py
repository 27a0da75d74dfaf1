"""The availability alert's values: a watcher carries the account's language, checked as
the account's is (issue 14 item 7: the alert follows the account's preferred language)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orderstatus_core import InvalidFieldError, PartNumber, parse_email
from orderstatus_core.model.alerts import PartWatch, PartWatcher

WATCH = PartWatch("acct-0001", PartNumber("BP-1234"), datetime(2026, 12, 1, tzinfo=UTC))
JANE = parse_email("jane@example.com")


def test_a_watcher_carries_the_accounts_language() -> None:
    """The language is the watcher's, not the watch's (a watch keeps none)."""
    assert PartWatcher(WATCH, JANE, "fi").language == "fi"
    assert "language" not in {field.name for field in PartWatch.__attrs_attrs__}


@pytest.mark.parametrize(
    "language", ["", "EN", "fi\n", "ｆｉ", "en'; DROP TABLE accounts;--", "e" * 300, 7, None]
)
def test_a_watcher_refuses_what_is_no_language(language: object) -> None:
    """Empty, upper case, a newline, fullwidth look-alikes, injection text, too long or
    not text: a typed error naming the field."""
    with pytest.raises(InvalidFieldError, match="@ language"):
        PartWatcher(WATCH, JANE, language)  # type: ignore[arg-type]
