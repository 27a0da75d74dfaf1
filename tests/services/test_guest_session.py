"""The guest session: one proof value, every outcome a value, the pass views and searches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from orderstatus_core import (
    AdapterError,
    CancelAnswer,
    EmailAddress,
    GuestSession,
    InvalidFieldError,
    NoValidPass,
    OrderFound,
    OrderNotFound,
    OrderStatus,
    Refused,
    ReturnDraft,
    SearchPage,
    SpeedChange,
    TryLater,
    ValidationError,
    hookimpl,
    parse_email,
)
from orderstatus_core.policies.limits import Bucket, RateDecision
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.services import (
    GuestPassGranted,
    GuestProof,
    ServiceContext,
    start_processing,
)
from orderstatus_core.services.idempotency import fingerprint
from orderstatus_core.testing import FixedClock, RecordingMailer, fake_context
from orderstatus_core.testing.builders import line, make_order
from support.guest_passes import earn_guest_pass

NUMBER = "123456789"
SECOND = "123456790"
OTHER = "987654321"
JANE = "jane.doe@example.com"
JANE_PHONE = "+1 415 555 0100"
UNKNOWN = "555555555"
HOSTILE_PASSES = [
    "",
    "x" * 10_000,
    "forged.token",
    "A" * 22 + "." + "B" * 43,
    "A" * 22 + "." + "B" * 42 + "\u0661",
    "' OR 1=1 --",
    "\ud800" * 30,
    "tok\x00en",
]


@pytest.fixture
def ctx() -> ServiceContext:
    """Jane's orders 123456789 and 123456790 (both with a brake pad) and someone else's
    987654321 with the same part."""
    context = fake_context()
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(
            make_order(
                NUMBER,
                phone=JANE_PHONE,
                lines=[line(1, "BP-1234", quantity=3, price="10.00"), line(2, "RT-77")],
            )
        )
        uow.orders.add(make_order(SECOND, lines=[line(1, "BP-1234")]))
        uow.orders.add(make_order(OTHER, email="someone@example.com", lines=[line(1, "BP-1234")]))
        uow.commit()
    return context


def _granted(ctx: ServiceContext, number: str = NUMBER, identifier: str = JANE) -> GuestPassGranted:
    return earn_guest_pass(ctx, number, identifier)


def _guest(ctx: ServiceContext, guest_pass: Any = None, identifier: Any = None) -> GuestSession:
    return GuestSession(ctx, GuestProof("c", guest_pass, identifier))


def _version(ctx: ServiceContext, number: str = NUMBER) -> int:
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(number)
    assert order is not None
    return order.version


class TestTheProofValue:
    """One value carries the proof; it is checked once, where it is built."""

    def test_the_facade_builds_a_session_from_keywords(self) -> None:
        """``desk.guest`` answers a session holding exactly the proof it was given."""
        with OrderStatus.open(storage="memory://", mail=RecordingMailer()) as desk:
            guest = desk.guest(client="203.0.113.9", guest_pass="t", identifier=JANE)
            assert isinstance(guest, GuestSession)
            assert guest.proof == GuestProof("203.0.113.9", "t", JANE)

    def test_repr_leaves_out_the_pass_the_identifier_and_the_context(
        self, ctx: ServiceContext
    ) -> None:
        """Neither the token nor the typed email reaches a log line (SECURITY C4)."""
        token = _granted(ctx).token
        text = repr(_guest(ctx, token, JANE))
        assert token not in text
        assert JANE not in text
        assert "ServiceContext" not in text

    @pytest.mark.parametrize("client", ["", "x" * 201, None, 42, b"203.0.113.9"])
    def test_a_malformed_client_is_refused_when_the_proof_is_built(self, client: Any) -> None:
        """Bad input raises at once, before any command reads a thing."""
        with pytest.raises(InvalidFieldError) as refused:
            GuestProof(client)
        assert refused.value.field == "client"

    def test_a_service_refuses_anything_but_a_proof(self, ctx: ServiceContext) -> None:
        """A dict of loose arguments is no proof."""
        from orderstatus_core.services import cancel_order, view_order

        with pytest.raises(InvalidFieldError):
            cancel_order(ctx, {"client": "c"}, NUMBER)  # type: ignore[arg-type]
        with pytest.raises(InvalidFieldError):
            view_order(ctx, "c", NUMBER)  # type: ignore[arg-type]


def _every_action(guest: GuestSession, number: str) -> dict[str, Callable[[], object]]:
    draft = ReturnDraft("return", "does_not_fit", {1: 1})
    return {
        "view_order": lambda: guest.view_order(number),
        "cancel_order": lambda: guest.cancel_order(number),
        "request_change": lambda: guest.request_change(number, SpeedChange("expedited")),
        "report_problem": lambda: guest.report_problem(number, "other", text="hello"),
        "return_options": lambda: guest.return_options(number),
        "order_returns": lambda: guest.order_returns(number),
        "preview_return": lambda: guest.preview_return(number, draft),
        "request_return": lambda: guest.request_return(number, draft),
        "enter_return_tracking": lambda: guest.enter_return_tracking(
            number, "R1-1", "1Z999AA10123456784"
        ),
        "return_papers": lambda: guest.return_papers(number, "R1-1"),
    }


class TestNoValidPass:
    """Without a pass that opens the order, every action answers the one NoValidPass."""

    @pytest.mark.parametrize("token", [None, *HOSTILE_PASSES, 12345, ["a"]])
    def test_every_action_answers_no_valid_pass_for_a_bad_pass(
        self, ctx: ServiceContext, token: Any
    ) -> None:
        """No pass, a forged, over-long, non-ASCII, injected or wrongly typed one: a value,
        not an exception, and the order does not change."""
        for name, action in _every_action(_guest(ctx, token), NUMBER).items():
            assert action() == NoValidPass(), name
        assert _version(ctx) == 1

    def test_a_pass_for_another_order_answers_alike_for_an_order_and_none(
        self, ctx: ServiceContext
    ) -> None:
        """Another customer's order and an unknown number get the same answer (A1)."""
        guest = _guest(ctx, _granted(ctx).token)
        for name in _every_action(guest, OTHER):
            other = _every_action(guest, OTHER)[name]()
            unknown = _every_action(guest, UNKNOWN)[name]()
            assert other == unknown == NoValidPass(), name

    def test_the_look_up_pair_alone_only_views(self, ctx: ServiceContext) -> None:
        """By default the pair views the order (masked) and acts on nothing."""
        guest = _guest(ctx, identifier=JANE)
        answers = {name: action() for name, action in _every_action(guest, NUMBER).items()}
        assert isinstance(answers.pop("view_order"), OrderFound)
        assert set(answers.values()) == {NoValidPass()}

    def test_an_expired_pass_answers_no_valid_pass(self, ctx: ServiceContext) -> None:
        """A pass is valid at exactly issued + TTL and not a second later (D3)."""
        granted = _granted(ctx)
        clock = ctx.clock
        assert isinstance(clock, FixedClock)
        clock.set(granted.expires_at)
        assert isinstance(_guest(ctx, granted.token).view_order(NUMBER), OrderFound)
        clock.advance(timedelta(seconds=1))
        guest = _guest(ctx, granted.token)
        assert guest.view_order(NUMBER) == NoValidPass()
        assert guest.search_orders(part_number="BP-1234") == NoValidPass()


class TestViewOrder:
    """The missing call: view the order with a pass, without the typed email or phone."""

    def test_the_pass_shows_the_masked_order(self, ctx: ServiceContext) -> None:
        """The same masked view find-order gives for the pair."""
        token = _granted(ctx).token
        answer = _guest(ctx, token).view_order("123-456-789")
        found = _guest(ctx, identifier=JANE).view_order(NUMBER)
        assert isinstance(answer, OrderFound)
        assert answer == found

    def test_without_a_pass_the_pair_is_find_order(self, ctx: ServiceContext) -> None:
        """A wrong pair is find-order's OrderNotFound, rate-limited like it."""
        guest = _guest(ctx, identifier="mallory@example.com")
        assert guest.view_order(NUMBER) == OrderNotFound()
        answers = {_guest(ctx, identifier=f"g{n}@x.org").view_order(NUMBER) for n in range(12)}
        assert any(isinstance(a, TryLater) for a in answers)

    @pytest.mark.parametrize("number", ["", "x" * 5_000, "1' OR '1'='1", "١٢٣٤٥٦٧٨٩", None])
    def test_a_malformed_order_number_answers_like_a_wrong_one(
        self, ctx: ServiceContext, number: Any
    ) -> None:
        """Bad text in the order number is no error: it opens nothing."""
        assert _guest(ctx, _granted(ctx).token).view_order(number) == NoValidPass()


class TestSearchWithAPass:
    """A pass proves the email its code was mailed to; the guest searches that email."""

    def test_the_granted_pass_says_which_email_it_proved(self, ctx: ServiceContext) -> None:
        """The order's stored address, and not in repr."""
        granted = _granted(ctx, identifier=JANE_PHONE)
        assert granted.email == parse_email(JANE)
        assert JANE not in repr(granted)

    def test_a_guest_who_came_by_phone_finds_their_orders(self, ctx: ServiceContext) -> None:
        """Both of Jane's orders with the part, none of the stranger's."""
        token = _granted(ctx, identifier=JANE_PHONE).token
        page = _guest(ctx, token).search_orders(part_number="bp 12.34")
        assert isinstance(page, SearchPage)
        assert sorted(m.header.number for m in page.matches) == [NUMBER, SECOND]

    def test_the_pages_follow_the_cursor(self, ctx: ServiceContext) -> None:
        """``next_cursor`` and ``page_size`` work as in the verified-email search."""
        guest = _guest(ctx, _granted(ctx).token)
        first = guest.search_orders(part_number="BP-1234", page_size=1)
        assert isinstance(first, SearchPage)
        assert first.next_cursor is not None
        second = guest.search_orders(part_number="BP-1234", cursor=first.next_cursor)
        assert isinstance(second, SearchPage)
        assert second.next_cursor is None
        assert {m.header.number for m in first.matches + second.matches} == {NUMBER, SECOND}

    def test_the_pair_proves_no_email(self, ctx: ServiceContext) -> None:
        """Anyone who knows an email can type it: the pair searches nothing."""
        assert _guest(ctx, identifier=JANE).search_orders(part_number="BP-1234") == NoValidPass()

    @pytest.mark.parametrize(
        "query", [{}, {"part_number": "BP-1234", "category": "Brake"}, {"part_number": "x" * 500}]
    )
    def test_a_bad_query_raises_even_with_a_pass(
        self, ctx: ServiceContext, query: dict[str, Any]
    ) -> None:
        """Bad input is an exception, as in every search."""
        with pytest.raises(ValidationError):
            _guest(ctx, _granted(ctx).token).search_orders(**query)


class TestRefusedIsAValue:
    """A refusal by the order's state is a value with a reason code, and stores nothing."""

    def test_a_refused_change_answers_its_reason(self, ctx: ServiceContext) -> None:
        """The warehouse started: ``in_processing``, and the order stays as it was."""
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
        before = _version(ctx)
        answer = _guest(ctx, _granted(ctx).token).request_change(NUMBER, SpeedChange("overnight"))
        assert isinstance(answer, Refused)
        assert answer.reason == "in_processing"
        assert answer.message
        assert _version(ctx) == before

    def test_a_replayed_refusal_answers_the_same_value(self, ctx: ServiceContext) -> None:
        """A refused command keeps no key: its repeat is decided again, to the same value."""
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
        guest = _guest(ctx, _granted(ctx).token)
        first = guest.request_change(NUMBER, SpeedChange("overnight"), idempotency_key="k1")
        again = guest.request_change(NUMBER, SpeedChange("overnight"), idempotency_key="k1")
        assert isinstance(first, Refused)
        assert first == again

    def test_a_replayed_answer_is_the_same_value(self, ctx: ServiceContext) -> None:
        """A success comes back equal, under the command's one name."""
        guest = _guest(ctx, _granted(ctx).token)
        first = guest.cancel_order(NUMBER, {1: 1}, idempotency_key="k2")
        again = guest.cancel_order(NUMBER, {1: 1}, idempotency_key="k2")
        assert isinstance(first, CancelAnswer)
        assert first == again
        with ctx.storage.unit_of_work() as uow:
            stored = uow.idempotency.get(f"{NUMBER}/k2")
        assert stored is not None
        assert stored.fingerprint == fingerprint("cancel_order", order=NUMBER, units={1: 1})

    def test_an_unknown_rma_is_refused(self, ctx: ServiceContext) -> None:
        """The papers of an RMA the order does not have: ``unknown_rma``."""
        answer = _guest(ctx, _granted(ctx).token).return_papers(NUMBER, "R1-1")
        assert isinstance(answer, Refused)
        assert answer.reason == "unknown_rma"


class _DownStorage:
    """A storage whose every unit of work fails, as a lost database connection does."""

    url = "down://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> UnitOfWork:
        raise AdapterError("the database is down")

    def migrate(self) -> int:
        return 1

    def close(self) -> None:
        return None


class _DownLimiter:
    """A rate limiter whose server is down."""

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        raise AdapterError("the rate limiter is down")

    def close(self) -> None:
        return None


class TestFailingPorts:
    """A failing port is a failure, not an outcome: it raises, never answers a value."""

    def test_a_failing_storage_raises_from_every_action(self, ctx: ServiceContext) -> None:
        token = _granted(ctx).token
        down = fake_context(_DownStorage())
        guest = _guest(down, token)
        for action in _every_action(guest, NUMBER).values():
            with pytest.raises(AdapterError, match="down"):
                action()
        with pytest.raises(AdapterError):
            guest.search_orders(part_number="BP-1234")

    def test_a_failing_rate_limiter_raises_from_a_pair_view(self) -> None:
        ctx = fake_context(rate_limiter=_DownLimiter())
        with pytest.raises(AdapterError):
            _guest(ctx, identifier=JANE).view_order(NUMBER)


class _PairMayCancel:
    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "cancel" else None


def test_a_failing_rate_limiter_raises_from_a_pair_command() -> None:
    """Where the store lets the pair cancel, a limiter that is down raises AdapterError."""
    with OrderStatus.open(
        storage="memory://",
        mail=RecordingMailer(),
        rate_limits=_DownLimiter(),
        plugins=[_PairMayCancel()],
    ) as desk:
        with desk.context.storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(NUMBER))
            uow.commit()
        with pytest.raises(AdapterError):
            desk.guest(client="c", identifier=JANE).cancel_order(NUMBER)


def test_the_granted_email_is_an_email_address(ctx: ServiceContext) -> None:
    """Typed, so a storefront passes it on as a verified address."""
    assert isinstance(_granted(ctx).email, EmailAddress)
