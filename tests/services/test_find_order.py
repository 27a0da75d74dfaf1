"""Find an order: email or phone plus order number, masked view, one not-found answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderstatus_core import (
    AdapterError,
    InvalidFieldError,
    OrderFound,
    OrderNotFound,
    OrderState,
    TryLater,
)
from orderstatus_core.ports import Storage
from orderstatus_core.services import ServiceContext, find_order
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import line, make_order, package
from orderstatus_core.testing.fakes import RecordingMailer
from support.phone_parses import count_phone_parses

DAY = timedelta(days=1)


@pytest.fixture
def ctx() -> ServiceContext:
    """A context holding Jane's order 123456789: two lines, one shipped package."""
    context = fake_context()
    order = make_order(
        lines=[line(1, "BP-1234", quantity=2), line(2, "RT-77", quantity=1)],
        packages=[package("P1", [(1, 2)], shipped_after=DAY)],
    )
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(order)
        uow.commit()
    return context


def test_an_email_in_another_case_finds_the_order(ctx: ServiceContext) -> None:
    """Emails compare in canonical form."""
    result = find_order(ctx, "JANE.DOE@EXAMPLE.COM", "123456789", client="203.0.113.9")
    assert isinstance(result, OrderFound)
    assert result.view.number == "123456789"
    assert result.view.status is OrderState.PARTIALLY_SHIPPED


def test_a_phone_number_in_national_form_finds_the_order(ctx: ServiceContext) -> None:
    """Phones compare in E.164, read in the store's region."""
    result = find_order(ctx, "(415) 555-2671", "123-456-789", client="203.0.113.9")
    assert isinstance(result, OrderFound)


@pytest.mark.parametrize(
    ("identifier", "found", "full_parses"),
    [
        ("(415) 555-2671", True, 0),
        ("(415) 555-0000", False, 0),
        ("415  555  2671", True, 1),
        ("not a phone", False, 1),
    ],
)
def test_a_phone_number_is_parsed_once_per_call(
    ctx: ServiceContext,
    monkeypatch: pytest.MonkeyPatch,
    identifier: str,
    found: bool,
    full_parses: int,
) -> None:
    """The typed phone is parsed once at most, and a common US shape not at all (see
    test_phone_keys): its key both finds the order and is the rate-limit bucket counted,
    whether it matches, misses or is no number at all."""
    parsed = count_phone_parses(monkeypatch)
    result = find_order(ctx, identifier, "123456789", client="203.0.113.9")
    assert isinstance(result, OrderFound) is found
    assert parsed == [identifier] * full_parses


def test_the_view_masks_personal_data(ctx: ServiceContext) -> None:
    """Address, phone and email are partly hidden from an unverified guest (SECURITY F3)."""
    result = find_order(ctx, "jane.doe@example.com", "123456789", client="c")
    assert isinstance(result, OrderFound)
    view = result.view
    assert "Evergreen" not in repr(view)
    assert "Jane Doe" not in repr(view)
    assert view.ship_to.city == "Springfield"
    assert (view.ship_to.name, view.ship_to.street, view.ship_to.postal_code) == (
        "J••• D•••",
        "•••",
        "62•••",
    )
    assert view.phone == "+•••71"
    assert view.email == "J•••@example.com"


def test_the_view_shows_lines_packages_tracking_and_timeline(ctx: ServiceContext) -> None:
    """Lines carry their ledger; packages their tracking URL; the timeline is in order."""
    result = find_order(ctx, "jane.doe@example.com", "123456789", client="c")
    assert isinstance(result, OrderFound)
    view = result.view
    assert [(lv.part_number, lv.ledger.shipped) for lv in view.lines] == [
        ("BP-1234", 2),
        ("RT-77", 0),
    ]
    assert view.packages[0].tracking_url == (
        "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    )
    assert [entry.kind for entry in view.timeline] == ["placed", "shipped"]


@pytest.mark.parametrize(
    ("identifier", "number"),
    [
        ("someone.else@example.com", "123456789"),  # wrong pair
        ("jane.doe@example.com", "999999999"),  # unknown order
        ("not an email", "123456789"),  # malformed identifier
        ("jane.doe@example.com", "12#456"),  # malformed order number
        ("(415) 555-0000", "123456789"),  # another phone
        ("", ""),
        ("jаne.doe@example.com", "123456789"),  # Cyrillic а, a confusable
    ],
)
def test_every_failure_gives_the_same_not_found_answer(
    ctx: ServiceContext, identifier: str, number: str
) -> None:
    """A wrong pair, an unknown order and malformed input are indistinguishable (A1)."""
    assert find_order(ctx, identifier, number, client="c") == OrderNotFound()


def test_wrong_types_are_a_malformed_identifier(ctx: ServiceContext) -> None:
    """A non-string from a careless front-end gives the same not-found answer."""
    assert find_order(ctx, None, 123456789, client="c") == OrderNotFound()  # type: ignore[arg-type]


@pytest.mark.parametrize("client", ["", "x" * 201, None])
def test_the_client_key_is_required(ctx: ServiceContext, client: object) -> None:
    """The caller must say who is asking, so that limits can apply."""
    with pytest.raises(InvalidFieldError):
        find_order(ctx, "jane.doe@example.com", "123456789", client=client)  # type: ignore[arg-type]


def test_attempts_per_identifier_are_limited(ctx: ServiceContext) -> None:
    """The 11th attempt in 5 minutes for one email says when to retry (SECURITY C1)."""
    for attempt in range(10):
        find_order(ctx, "JANE.DOE@example.com", f"{attempt}", client=f"client-{attempt}")
    result = find_order(ctx, "jane.doe@example.com", "123456789", client="fresh")
    assert isinstance(result, TryLater)
    assert 0 < result.retry_after_seconds <= 300


def test_attempts_per_order_number_are_limited(ctx: ServiceContext) -> None:
    """Guessing emails for one order number is limited too."""
    for attempt in range(10):
        find_order(ctx, f"guess{attempt}@example.com", "123-456-789", client=f"c{attempt}")
    assert isinstance(find_order(ctx, "jane.doe@example.com", "123456789", client="x"), TryLater)


def test_attempts_per_client_are_limited(ctx: ServiceContext) -> None:
    """One client cannot sweep many identifiers quickly."""
    for attempt in range(20):
        find_order(ctx, f"guess{attempt}@example.com", f"{attempt}", client="203.0.113.9")
    assert isinstance(
        find_order(ctx, "jane.doe@example.com", "123456789", client="203.0.113.9"), TryLater
    )
    assert isinstance(
        find_order(ctx, "jane.doe@example.com", "123456789", client="other"), OrderFound
    )


def test_the_limit_lifts_when_time_passes(ctx: ServiceContext) -> None:
    """After ``retry_after_seconds`` the next attempt is allowed."""
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    for attempt in range(11):
        result = find_order(ctx, "jane.doe@example.com", f"{attempt}", client=f"c{attempt}")
    assert isinstance(result, TryLater)
    clock.advance(timedelta(seconds=result.retry_after_seconds))
    assert isinstance(find_order(ctx, "jane.doe@example.com", "123456789", client="z"), OrderFound)


class _BrokenStorage:
    url = "broken://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> object:
        raise AdapterError("the database is unreachable")

    def migrate(self) -> int:
        return 1

    def close(self) -> None:
        pass


def test_a_storage_failure_is_an_error_not_a_not_found_answer() -> None:
    """An outage must not pass for 'no such order': the caller sees the adapter error."""
    broken: Storage = _BrokenStorage()  # type: ignore[assignment]
    ctx = fake_context(broken, mailer=RecordingMailer())
    with pytest.raises(AdapterError):
        find_order(ctx, "jane.doe@example.com", "123456789", client="c")


class _BrokenLimiter:
    def hit(self, *_args: object) -> object:
        raise AdapterError("redis is down")


def test_a_rate_limiter_failure_is_an_error(ctx: ServiceContext) -> None:
    """Without its limiter, find-order refuses to run rather than run unlimited."""
    broken = fake_context(ctx.storage, rate_limiter=_BrokenLimiter())  # type: ignore[arg-type]
    with pytest.raises(AdapterError):
        find_order(broken, "jane.doe@example.com", "123456789", client="c")
