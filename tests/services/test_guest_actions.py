"""A guest cancels, asks for a change, reports a problem; staff decide; refunds go out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import attrs
import pytest

from orderstatus_core import (
    ActionRefusedError,
    AddressChange,
    CancelAnswer,
    CancelState,
    ChangeAnswer,
    ChangeState,
    InvalidFieldError,
    NoValidPass,
    OrderNotFound,
    OrderStatus,
    ProblemAnswer,
    ProblemKind,
    ProblemState,
    RefundDue,
    Refused,
    SpeedChange,
    TryLater,
    ValidationError,
    hookimpl,
)
from orderstatus_core.model import Order
from orderstatus_core.model.requests import Change
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    approve_change,
    cancel_order,
    confirm_cancel,
    decline_change,
    refuse_cancel,
    relay_outbox,
    report_problem,
    request_change,
    resolve_problem,
    ship,
    start_processing,
)
from orderstatus_core.testing import FixedClock, fake_context, policies_with
from orderstatus_core.testing.builders import address, line, make_order
from support.guest_passes import earn_guest_pass

NUMBER = "123456789"
OTHER = "987654321"
JANE = "jane.doe@example.com"


@pytest.fixture
def ctx() -> ServiceContext:
    """Jane's order 123456789 (line 1: three units of 10.00; line 2: one of 5.00) and
    someone else's order 987654321."""
    context = fake_context()
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(
            make_order(NUMBER, lines=[line(1, quantity=3, price="10.00"), line(2, "RT-77")])
        )
        uow.orders.add(make_order(OTHER, email="someone@example.com"))
        uow.commit()
    return context


def _pass(ctx: ServiceContext, number: str = NUMBER, identifier: str = JANE) -> str:
    """A guest pass earned the way a shopper earns it: the mailed code, typed back."""
    return earn_guest_pass(ctx, number, identifier).token


def _events(ctx: ServiceContext) -> list[RefundDue]:
    with ctx.storage.unit_of_work() as uow:
        return [
            m.intent
            for m in uow.outbox.due(ctx.clock.now() + timedelta(days=1), 100)
            if isinstance(m.intent, RefundDue)
        ]


class _Subscriber:
    """The store's payment system: hands each ``(event_id, event)`` to ``receive``."""

    def __init__(self, receive: Callable[[tuple[str, RefundDue]], None]) -> None:
        self.receive = receive

    @hookimpl
    def orderstatus_domain_event(self, event_id: str, event: RefundDue) -> None:
        self.receive((event_id, event))


class _TrustAddressChanges:
    """A store that applies a guest's address change at once."""

    @hookimpl
    def orderstatus_auto_approve_change(self, order: Order, change: Change) -> bool:
        return isinstance(change, AddressChange)


class TestProof:
    """Mutating needs a guest pass by default (SECURITY F3)."""

    def test_a_guest_pass_lets_the_guest_cancel(self, ctx: ServiceContext) -> None:
        """With the pass for this order, the cancel goes through."""
        answer = cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 1})
        assert isinstance(answer, CancelAnswer)
        assert answer.lines[0].code == "cancelled"

    @pytest.mark.parametrize(
        "token", [None, "", "x" * 66, "forged.token", "A" * 22 + "." + "B" * 43]
    )
    def test_no_or_a_bad_pass_is_refused(self, ctx: ServiceContext, token: str | None) -> None:
        """Without a valid pass: NoValidPass, and nothing changes."""
        assert cancel_order(ctx, GuestProof(client="c", guest_pass=token), NUMBER) == NoValidPass()
        with ctx.storage.unit_of_work() as uow:
            stored = uow.orders.get(NUMBER)
        assert stored is not None
        assert stored.version == 1

    def test_the_lookup_pair_alone_is_not_enough_by_default(self, ctx: ServiceContext) -> None:
        """Knowing the email and the order number only lets a guest look."""
        assert cancel_order(ctx, GuestProof(client="c", identifier=JANE), NUMBER) == NoValidPass()

    def test_a_pass_for_one_order_does_not_open_another(self, ctx: ServiceContext) -> None:
        """A pass is scoped to the order it was earned for."""
        token = _pass(ctx)
        assert cancel_order(ctx, GuestProof(client="c", guest_pass=token), OTHER) == NoValidPass()

    def test_an_unknown_order_is_refused_like_a_wrong_pass(self, ctx: ServiceContext) -> None:
        """The refusal says nothing about whether the order exists (SECURITY A1)."""
        token = _pass(ctx)
        unknown = cancel_order(ctx, GuestProof(client="c", guest_pass=token), "555555555")
        wrong = cancel_order(ctx, GuestProof(client="c", guest_pass=token), OTHER)
        assert unknown == wrong == NoValidPass()

    def test_an_expired_pass_is_refused(self, ctx: ServiceContext) -> None:
        """A pass lives 30 minutes."""
        token = _pass(ctx)
        clock = ctx.clock
        assert isinstance(clock, FixedClock)
        clock.advance(timedelta(minutes=30, seconds=1))
        assert cancel_order(ctx, GuestProof(client="c", guest_pass=token), NUMBER) == NoValidPass()


class _PairMayCancel:
    """A store that lets the lookup pair cancel (examples/cancel_without_pass.py)."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "cancel" else None


def _relaxed() -> OrderStatus:
    desk = OrderStatus.open(storage="memory://", mail="mailbox:///mail", plugins=[_PairMayCancel()])
    with desk.context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=3)]))
        uow.commit()
    return desk


class TestRelaxedStore:
    """A store may let the lookup pair act; then find-order's limits apply."""

    def test_the_pair_cancels_when_the_store_allows_it(self) -> None:
        """Email plus order number is enough for this store's cancels."""
        desk = _relaxed()
        answer = desk.guest(client="c", identifier="JANE.DOE@example.com").cancel_order(
            NUMBER, {1: 1}
        )
        assert isinstance(answer, CancelAnswer)

    def test_a_wrong_pair_is_answered_like_find_order(self) -> None:
        """Another email answers OrderNotFound, find-order's one answer for a wrong pair."""
        desk = _relaxed()
        answer = desk.guest(client="c", identifier="mallory@example.com").cancel_order(NUMBER)
        assert answer == OrderNotFound()

    def test_pair_attempts_are_rate_limited(self) -> None:
        """Guessing pairs meets find-order's limits."""
        desk = _relaxed()
        for attempt in range(10):
            guest = desk.guest(client=f"c{attempt}", identifier=f"g{attempt}@x.org")
            assert guest.cancel_order(NUMBER) == OrderNotFound()
        limited = desk.guest(client="fresh", identifier=JANE).cancel_order(NUMBER)
        assert isinstance(limited, TryLater)

    def test_other_actions_still_need_a_pass(self) -> None:
        """The waiver is per action."""
        desk = _relaxed()
        assert (
            desk.guest(client="c", identifier=JANE).report_problem(NUMBER, "other") == NoValidPass()
        )


class TestCancelAndRefund:
    """Refunds go to the payment system as RefundDue events through the outbox."""

    def test_an_immediate_cancel_queues_a_refund_event(self, ctx: ServiceContext) -> None:
        """The refund is queued in the cancel's own transaction."""
        answer = cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 2})
        assert isinstance(answer, CancelAnswer)
        (event,) = _events(ctx)
        assert event.order_number == NUMBER
        assert event.refund == answer.refund

    def test_the_relay_publishes_refund_events_to_subscribers(self, ctx: ServiceContext) -> None:
        """The store's subscriber receives each event once, with a stable id."""
        received: list[tuple[str, RefundDue]] = []
        context = attrs.evolve(ctx, policies=policies_with(_Subscriber(received.append)))
        cancel_order(context, GuestProof(client="c", guest_pass=_pass(context)), NUMBER, {1: 1})
        relay_outbox(context)
        relay_outbox(context)
        assert [event.refund.reason for _id, event in received] == ["cancellation"]

    def test_a_failing_subscriber_keeps_the_event_pending(self, ctx: ServiceContext) -> None:
        """The payment system being down loses nothing (SECURITY G4)."""

        def down(_received: tuple[str, RefundDue]) -> None:
            raise ConnectionError("payment service unreachable")

        context = attrs.evolve(ctx, policies=policies_with(_Subscriber(down)))
        cancel_order(context, GuestProof(client="c", guest_pass=_pass(context)), NUMBER, {1: 1})
        report = relay_outbox(context)
        assert report.failed >= 1
        assert len(_events(context)) == 1

    def test_units_in_processing_wait_for_the_warehouse(self, ctx: ServiceContext) -> None:
        """A request now; confirmed later, and only then refunded."""
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3})
        answer = cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 2})
        assert isinstance(answer, CancelAnswer)
        assert (answer.lines[0].requested, answer.refund) == (2, None)
        assert _events(ctx) == []
        confirmed = confirm_cancel(ctx, NUMBER, "C1")
        assert confirmed.ledger(1).cancelled == 2
        assert [e.refund.source_id for e in _events(ctx)] == ["C1"]

    def test_a_refused_request_keeps_the_units(self, ctx: ServiceContext) -> None:
        """The warehouse may refuse; the guest sees why."""
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3})
        cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 1})
        refused = refuse_cancel(ctx, NUMBER, "C1", note="already sealed")
        assert refused.cancel_requests[0].state is CancelState.REFUSED
        assert refused.cancel_requests[0].note == "already sealed"

    @pytest.mark.parametrize(
        "units", [{1: 0}, {1: -1}, {"1": 1}, {1: True}, {1: 10**9}, [1, 2], {}]
    )
    def test_malformed_unit_selections_are_input_errors(
        self, ctx: ServiceContext, units: object
    ) -> None:
        """Only {line number: count} with sensible counts (SECURITY F4)."""
        with pytest.raises(InvalidFieldError):
            cancel_order(ctx, GuestProof(client="c", guest_pass="x"), NUMBER, units)  # type: ignore[arg-type]

    def test_cancel_and_processing_of_the_same_units_never_both_win(
        self, ctx: ServiceContext
    ) -> None:
        """Cancel all ∥ open a package with all: one wins, the ledger stays whole (G2)."""
        token = _pass(ctx)
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def cancel() -> None:
            barrier.wait()
            results["cancel"] = cancel_order(
                ctx, GuestProof(client="c", guest_pass=token), NUMBER, {1: 3}
            )

        def pack() -> None:
            barrier.wait()
            try:
                results["pack"] = start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3})
            except ActionRefusedError as error:
                results["pack"] = error.code

        threads = [threading.Thread(target=cancel), threading.Thread(target=pack)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with ctx.storage.unit_of_work() as uow:
            order = uow.orders.get(NUMBER)
        assert order is not None
        ledger = order.ledger(1)
        assert ledger.cancelled + ledger.processing == 3
        if results["pack"] == "units_unavailable":
            assert ledger.cancelled == 3  # the cancel came first
        else:
            assert ledger.processing == 3  # the package came first: a request is open
            assert [r.state for r in order.cancel_requests] == [CancelState.REQUESTED]


class TestChanges:
    """Change requests: staff decide unless the store's policy approves at once."""

    def test_a_change_waits_for_staff_by_default(self, ctx: ServiceContext) -> None:
        """Requested, then approved and applied by customer service."""
        answer = request_change(
            ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, SpeedChange("overnight")
        )
        assert isinstance(answer, ChangeAnswer)
        assert answer.request.state is ChangeState.REQUESTED
        applied = approve_change(ctx, NUMBER, answer.request.request_id)
        assert applied.shipping_speed == "overnight"

    def test_a_declined_change_changes_nothing(self, ctx: ServiceContext) -> None:
        """Declined with a note; the order keeps its address."""
        answer = request_change(
            ctx,
            GuestProof(client="c", guest_pass=_pass(ctx)),
            NUMBER,
            AddressChange(address(city="Shelbyville")),
        )
        assert isinstance(answer, ChangeAnswer)
        declined = decline_change(ctx, NUMBER, answer.request.request_id, note="fraud check")
        assert declined.shipping_address.city == "Springfield"

    def test_an_auto_approval_policy_applies_at_once(self, ctx: ServiceContext) -> None:
        """A store that trusts address changes gets them applied in the same transaction."""
        trusting = attrs.evolve(ctx, policies=policies_with(_TrustAddressChanges()))
        answer = request_change(
            trusting,
            GuestProof(client="c", guest_pass=_pass(trusting)),
            NUMBER,
            AddressChange(address(city="Shelbyville")),
        )
        assert isinstance(answer, ChangeAnswer)
        assert answer.request.state is ChangeState.APPLIED

    def test_a_change_after_processing_started_is_refused(self, ctx: ServiceContext) -> None:
        """Only units not yet in processing can change."""
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
        refused = request_change(
            ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, SpeedChange("overnight")
        )
        assert isinstance(refused, Refused)
        assert refused.reason == "in_processing"

    @pytest.mark.parametrize("change", ["ship it faster", {"speed": "overnight"}, None])
    def test_an_untyped_change_is_refused(self, ctx: ServiceContext, change: object) -> None:
        """Changes are typed values, never free-form dictionaries (SECURITY F4)."""
        with pytest.raises(InvalidFieldError):
            request_change(ctx, GuestProof(client="c", guest_pass="x"), NUMBER, change)  # type: ignore[arg-type]

    def test_an_unknown_speed_is_refused(self) -> None:
        """A speed is one of the store's."""
        with pytest.raises(ValueError, match="warp"):
            SpeedChange("warp")


class TestProblems:
    """Problem reports: opened by the guest, resolved by staff."""

    def test_a_report_is_resolved_with_a_refund(self, ctx: ServiceContext) -> None:
        """open → resolved; the refund is queued for payment."""
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
        ship(ctx, NUMBER, "P1", "UPS", "1Z1")
        answer = report_problem(
            ctx,
            GuestProof(client="c", guest_pass=_pass(ctx)),
            NUMBER,
            "damaged_in_transit",
            {1: 1},
            "Box crushed.\nPads cracked.",
        )
        assert isinstance(answer, ProblemAnswer)
        assert answer.report.state is ProblemState.OPEN
        resolved = resolve_problem(ctx, NUMBER, answer.report.report_id, "refund")
        assert resolved.problem_reports[0].state is ProblemState.RESOLVED
        assert [e.refund.reason for e in _events(ctx)] == ["problem_report"]

    @pytest.mark.parametrize(
        ("kind", "text"), [("melted", ""), ("other", "x" * 2001), ("other", "a\x00b")]
    )
    def test_bad_reports_are_refused(self, ctx: ServiceContext, kind: str, text: str) -> None:
        """Unknown kinds, over-long or control-character text are input errors."""
        token = _pass(ctx)
        with pytest.raises(ValidationError):
            report_problem(ctx, GuestProof(client="c", guest_pass=token), NUMBER, kind, None, text)

    def test_an_unknown_resolution_is_refused(self, ctx: ServiceContext) -> None:
        """Resolutions are refund, replacement, reship or carrier claim."""
        answer = report_problem(
            ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, ProblemKind.OTHER, None, ""
        )
        assert isinstance(answer, ProblemAnswer)
        with pytest.raises(InvalidFieldError):
            resolve_problem(ctx, NUMBER, answer.report.report_id, "free pizza")


class _StrictStore:
    """A store with a 24-hour cancellation window that never swaps parts."""

    @hookimpl
    def orderstatus_cancel_allowed(self, order: object, now: object) -> bool:
        from datetime import datetime

        assert isinstance(now, datetime)
        return now - order.placed_at <= timedelta(hours=24)  # type: ignore[attr-defined]

    @hookimpl
    def orderstatus_change_allowed(self, order: object, change: object) -> bool | None:
        from orderstatus_core import PartSwap

        return False if isinstance(change, PartSwap) else None

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool:
        return False


def _strict() -> tuple[OrderStatus, FixedClock]:
    clock = FixedClock()
    desk = OrderStatus.open(
        storage="memory://", mail="mailbox:///mail", plugins=[_StrictStore()], clock=clock
    )
    with desk.context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=3)]))
        uow.commit()
    return desk, clock


class TestStorePolicies:
    """The cancellation window and the offered changes are hooks with open defaults."""

    def test_a_closed_cancellation_window_refuses_with_its_code(self) -> None:
        """Inside the window a cancel works; a day later it is refused."""
        desk, clock = _strict()
        assert isinstance(
            desk.guest(client="c", identifier=JANE).cancel_order(NUMBER, {1: 1}), CancelAnswer
        )
        clock.advance(timedelta(days=1))
        refused = desk.guest(client="c", identifier=JANE).cancel_order(NUMBER, {1: 1})
        assert isinstance(refused, Refused)
        assert refused.reason == "cancel_window_closed"

    def test_a_change_the_store_does_not_offer_is_refused(self) -> None:
        """Part swaps are refused; other changes still go through."""
        from orderstatus_core import PartNumber, PartSwap

        desk, _clock = _strict()
        refused = desk.guest(client="c", identifier=JANE).request_change(
            NUMBER, PartSwap(1, PartNumber("ZZ-9"))
        )
        assert isinstance(refused, Refused)
        assert refused.reason == "change_not_offered"
        answer = desk.guest(client="c", identifier=JANE).request_change(
            NUMBER, SpeedChange("expedited")
        )
        assert isinstance(answer, ChangeAnswer)

    def test_by_default_the_window_is_open_and_every_change_offered(self) -> None:
        """The built-in answers are yes."""
        desk = OrderStatus.open(storage="memory://", mail="mailbox:///mail")
        order = make_order()
        policies = desk.context.policies
        assert policies.cancel_allowed(order, order.placed_at + timedelta(days=365))
        assert policies.change_allowed(order, SpeedChange("overnight"))


class TestTheGuestsView:
    """Requests, reports and refunds appear in the order view and its timeline."""

    def test_requests_and_refunds_are_shown_in_time_order(self, ctx: ServiceContext) -> None:
        """A cancel request, its confirmation and the refund reach the timeline in order."""
        from orderstatus_core import OrderFound
        from orderstatus_core.services import find_order

        clock = ctx.clock
        assert isinstance(clock, FixedClock)
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3})
        clock.advance(timedelta(minutes=5))
        cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 1})
        clock.advance(timedelta(minutes=5))
        confirm_cancel(ctx, NUMBER, "C1")
        found = find_order(ctx, JANE, NUMBER, client="c")
        assert isinstance(found, OrderFound)
        kinds = [entry.kind for entry in found.view.timeline]
        assert kinds[-3:] == ["cancel_requested", "cancel_confirmed", "refund"]
        (request,) = found.view.requests
        assert (request.kind, request.state) == ("cancel", "confirmed")
        assert found.view.refunded is not None

    def test_an_address_change_shows_only_its_city(self, ctx: ServiceContext) -> None:
        """The view of a change request masks the new address like the order's own."""
        from orderstatus_core import OrderFound
        from orderstatus_core.services import find_order

        new = address(name="Jane Q. Doe", line1="1 Secret Lane", city="Shelbyville")
        request_change(
            ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, AddressChange(new)
        )
        found = find_order(ctx, JANE, NUMBER, client="c")
        assert isinstance(found, OrderFound)
        assert "Secret" not in repr(found.view)
        assert found.view.requests[0].summary == "Ship to another address in Shelbyville"


class TestFollowUps:
    """What each decision leaves behind: mails, events, request ids, refusals."""

    def test_a_confirmed_cancel_that_completes_shipping_sends_the_tracking_mail(
        self, ctx: ServiceContext
    ) -> None:
        """Line 1 shipped, line 2 in a package: cancelling line 2 leaves everything shipped."""
        from orderstatus_core import TrackingMail

        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3})
        ship(ctx, NUMBER, "P1", "UPS", "1Z999AA10123456784")
        start_processing(ctx, NUMBER, "P2", "Reno, NV", {2: 1})
        answer = cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {2: 1})
        assert isinstance(answer, CancelAnswer)
        assert answer.lines[0].request_ids == ("C1",)
        confirm_cancel(ctx, NUMBER, "C1")
        with ctx.storage.unit_of_work() as uow:
            mails = [m.intent for m in uow.outbox.due(ctx.clock.now(), 100)]
        tracking = [m for m in mails if isinstance(m, TrackingMail)]
        assert [[n.package_id for n in m.packages] for m in tracking] == [["P1"]]

    def test_a_refund_needs_units_to_pay_back(self, ctx: ServiceContext) -> None:
        """A report about a package alone is settled by reship or claim, not a refund."""
        from orderstatus_core import ActionRefusedError

        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
        ship(ctx, NUMBER, "P1", "UPS", "1Z1")
        answer = report_problem(
            ctx,
            GuestProof(client="c", guest_pass=_pass(ctx)),
            NUMBER,
            "not_delivered",
            None,
            "",
            package_id="P1",
        )
        assert isinstance(answer, ProblemAnswer)
        with pytest.raises(ActionRefusedError) as refused:
            resolve_problem(ctx, NUMBER, answer.report.report_id, "refund")
        assert refused.value.code == "nothing_to_refund"
        resolve_problem(ctx, NUMBER, answer.report.report_id, "carrier_claim")

    def test_refund_events_wait_for_a_subscriber(self, ctx: ServiceContext) -> None:
        """With no payment plugin, RefundDue stays pending instead of going to nobody."""
        cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 1})
        report = relay_outbox(ctx)
        assert report.failed == 1
        assert len(_events(ctx)) == 1

    def test_one_key_on_two_orders_is_two_commands(self) -> None:
        """Idempotency keys are scoped by order: a guessable key blocks nobody else."""
        desk = OrderStatus.open(
            storage="memory://", mail="mailbox:///mail", plugins=[_PairMayCancel()]
        )
        with desk.context.storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=3)]))
            uow.orders.add(make_order(OTHER, email="someone@example.com"))
            uow.commit()
        first = desk.guest(client="a", identifier=JANE).cancel_order(
            NUMBER, {1: 1}, idempotency_key="k"
        )
        second = desk.guest(client="b", identifier="someone@example.com").cancel_order(
            OTHER, {1: 1}, idempotency_key="k"
        )
        assert isinstance(first, CancelAnswer)
        assert isinstance(second, CancelAnswer)
        assert second.order_number == OTHER
