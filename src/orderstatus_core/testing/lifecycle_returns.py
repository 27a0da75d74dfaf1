"""The lifecycle machine's return rules, as a mixin: returns, cores and warranty claims.

:class:`ReturnRulesMixin` walks returns through the services on both storages: a guest
asks what may come back, previews and requests a return (label or own tracking, refund to
the payment or to store credit); staff authorise or deny claims, see packages in transit,
receive, inspect and settle them; the outbox relay makes the papers (or the carrier is
down); the shopper spends store credit; days pass, so that windows close. Illegal steps
(too many units, an RMA step out of turn, a bad tracking number, too much credit) must be
refused alike. The store's rules are :data:`RETURN_RULES`.

:class:`~orderstatus_core.testing.lifecycle.LifecycleMachine` mixes it in; a machine of
your own built on the same base can leave it out, or mix in only these rules.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from orderstatus_core.errors import (
    InvalidTrackingNumberError,
)
from orderstatus_core.i18n import Catalogs
from orderstatus_core.messages import ReturnDocumentsJob
from orderstatus_core.model import Money, Order
from orderstatus_core.model.returns import (
    Fault,
    RefundMethod,
    ReturnKind,
    ReturnReason,
    RmaState,
    ShipBy,
)
from orderstatus_core.policies import returns as return_policy
from orderstatus_core.policies.returns import (
    ReturnDraft,
    ReturnOptions,
    ReturnPlan,
    cancelled_but_shipped,
)
from orderstatus_core.policies.tracking_numbers import parse_tracking_number
from orderstatus_core.services import (
    OrderReturns,
    ReturnAnswer,
    ReturnPapers,
    authorize_return,
    credit_balance,
    credit_history,
    deny_return,
    enter_return_tracking,
    inspect_return,
    mark_return_in_transit,
    order_returns,
    preview_return,
    receive_return,
    relay_outbox,
    request_return,
    return_options,
    return_papers,
    settle_return,
    spend_credit,
)
from orderstatus_core.services.returns import options_in_language
from orderstatus_core.testing._lifecycle_base import (
    _BAD_TRACKING,
    _CURRENCY,
    _END_OF_TIME,
    _GOOD_TRACKING,
    _NOTE_TEXT,
    _OPEN,
    _REASONS,
    _STAFF_STEPS,
    RETURN_RULES,
    Command,
    LifecycleBase,
    _Answer,
    _credit_refunds,
    _delivered_units,
    _labels_made,
    _read,
    _rma_package,
    _rmas,
    _some,
    _some_units,
)
from orderstatus_core.testing.fakes import (
    FailingLabelMaker,
)

__all__ = ["RETURN_RULES", "ReturnRulesMixin"]


class ReturnRulesMixin(LifecycleBase):
    """The return rules of the lifecycle machine (see the module docstring)."""

    @precondition(_some(_delivered_units))
    @rule(data=st.data())
    def request_a_return(self, data: st.DataObject) -> None:
        """A guest asks what may come back for a kind of return (mostly one with something
        to return), previews a return of some of it (label or own tracking, to the payment
        or to store credit) and requests it: the request holds the preview, one RMA package
        per destination; then it may go some steps on. Now and then the guest asks for
        more than may come back (refused with the line's first reason), sends back as
        cancelled-but-shipped units that were not (``not_cancelled``), or asks while the
        carrier is down (only a label the shopper pays for, which needs a quote, fails).
        Some requests carry an idempotency key, and are retried."""
        self._request_a_return(self._pick(data, _delivered_units), data)

    def _request_a_return(self, order: Order, data: st.DataObject) -> None:
        number = order.number
        at = self._at()  # one moment for all three, so that no window closes in between
        open_kinds = [
            kind
            for kind in ReturnKind
            if any(
                line.returnable
                for line in return_policy.return_options(order, kind, RETURN_RULES, at).lines
            )
        ]
        any_kind = not open_kinds or data.draw(st.integers(0, 5), label="any kind") == 0
        kind = data.draw(
            st.sampled_from(list(ReturnKind) if any_kind else open_kinds), label="kind"
        )
        guest = self._guest(number)
        options = self._serve(lambda ctx: return_options(ctx, guest, number, kind)).value
        assert isinstance(options, ReturnOptions)
        # The service answers the policy's options with each refusal in the guest's words.
        expected = return_policy.return_options(order, kind, RETURN_RULES, at)
        assert options == options_in_language(expected, Catalogs.builtin().translator("en"))
        returnable = {line.line_no: line.returnable for line in options.lines if line.returnable}
        reason = data.draw(st.sampled_from(_REASONS[kind]), label="reason")
        too_many = not returnable or data.draw(st.integers(0, 9), label="too many") == 0
        if too_many:
            line = data.draw(st.sampled_from(options.lines), label="line")
            units = {line.line_no: line.returnable + data.draw(st.integers(1, 2), label="more")}
            refusal: str | None = line.refusals[0].code if line.refusals else "nothing_to_return"
        else:
            units = data.draw(_some_units(returnable), label="units")
            refusal = None
            if reason is ReturnReason.CANCELLED_BUT_SHIPPED and any(
                count > cancelled_but_shipped(order, line_no) for line_no, count in units.items()
            ):
                refusal = "not_cancelled"
        draft = ReturnDraft(
            kind,
            reason,
            units,
            ship_by=data.draw(st.sampled_from(list(ShipBy)), label="ship by"),
            refund_method=data.draw(st.sampled_from(list(RefundMethod)), label="refund to"),
            language=data.draw(st.sampled_from(("en", "fi")), label="language"),
        )
        # A carrier that is down blocks only a label the shopper pays for: it has no quote.
        down = data.draw(st.integers(0, 7), label="carrier down") == 0
        if (
            down
            and refusal is None
            and draft.ship_by is ShipBy.LABEL
            and reason.fault is Fault.SHOPPER
        ):
            refusal = f"adapter:{FailingLabelMaker().reason}"
        plan = self._serve(lambda ctx: preview_return(ctx, guest, number, draft), carrier_down=down)
        assert plan.refused == refusal, f"the preview answered {plan}, expected {refusal}"
        key = self._key(data)
        answer = self._serve_order(
            order,
            lambda ctx: request_return(ctx, guest, number, draft, idempotency_key=key),
            carrier_down=down,
        )
        assert answer.refused == refusal, f"the request answered {answer}, expected {refusal}"
        if refusal is not None:
            return
        if key is not None:
            # ReturnDraft's units converter takes a mapping only: attrs.evolve cannot copy it.
            other = ReturnDraft(
                kind,
                reason,
                dict(draft.units),
                ship_by=draft.ship_by,
                refund_method=draft.refund_method,
                language=draft.language,
                comment="another",
            )
            self._retry(
                self.orders[number],
                answer,
                lambda ctx: request_return(ctx, guest, number, draft, idempotency_key=key),
                lambda ctx: request_return(ctx, guest, number, other, idempotency_key=key),
                data,
            )
        assert isinstance(plan.value, ReturnPlan)
        assert isinstance(answer.value, ReturnAnswer)
        request = answer.value.request
        assert request.preview == plan.value.preview
        assert [p.preview for p in request.packages] == [p.preview for p in plan.value.packages]
        asked: Counter[int] = Counter()
        for package in request.packages:
            for units_of_line in package.units:
                asked[units_of_line.line_no] += units_of_line.quantity
        assert asked == Counter(units), f"{request} holds other units than {units}"
        waits = kind in RETURN_RULES.policy.staff_authorize
        for package in request.packages:
            assert package.state is (RmaState.REQUESTED if waits else RmaState.AWAITING_SHIPMENT)
            self.when_requested[package.rma_number] = len(order.refunds)
        assert self.orders[number].return_request(request.return_id) == request
        self.orders_keep_their_invariants()
        then = data.draw(st.integers(0, 5), label="steps on")
        self._walk(number, request.packages[0].rma_number, then, data)

    # One RMA step each: ``order`` is the reference's copy, ``rma`` one of its packages in a
    # state that allows the step. The rules below and the walk call them.

    def _decide_claim(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        authorize = data.draw(st.integers(0, 3), label="authorise") > 0
        # A blank note is bad input (refused with InvalidFieldError), not a legal step.
        notes = st.text(_NOTE_TEXT, min_size=1, max_size=40).filter(str.strip)
        note = data.draw(st.none() | notes, label="note")
        self._at()
        command: Command
        if authorize:
            command = lambda ctx: authorize_return(ctx, number, rma)  # noqa: E731
        else:
            command = lambda ctx: deny_return(ctx, number, rma, note)  # noqa: E731
        after = self._legal_command(order, command)
        state = _rma_package(after, rma)[1].state
        assert state is (RmaState.AWAITING_SHIPMENT if authorize else RmaState.REJECTED)

    def _send(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        request, _ = _rma_package(order, rma)
        self._at()
        if request.ship_by is ShipBy.LABEL and data.draw(st.integers(0, 4), label="scan") > 0:
            after = self._legal_command(order, lambda ctx: mark_return_in_transit(ctx, number, rma))
            assert _rma_package(after, rma)[1].state is RmaState.IN_TRANSIT
            return
        typed = data.draw(
            st.sampled_from(_GOOD_TRACKING) | st.sampled_from(_BAD_TRACKING), label="tracking"
        )
        expected: str | None = None
        try:
            parsed = parse_tracking_number(typed)
        except InvalidTrackingNumberError as refusal:
            expected = f"tracking:{refusal.code}"
        else:
            if request.ship_by is ShipBy.LABEL:
                expected = "label_provided"
        guest = self._guest(number)
        answer = self._serve_order(
            order, lambda ctx: enter_return_tracking(ctx, guest, number, rma, typed)
        )
        assert answer.refused == expected, f"{typed!r}: {answer}, expected {expected}"
        if expected is None:
            package = _rma_package(self.orders[number], rma)[1]
            assert package.state is RmaState.IN_TRANSIT
            assert (package.carrier, package.tracking_number) == (parsed.carrier, parsed.number)

    def _receive(self, order: Order, rma: str) -> None:
        number = order.number
        self._at()
        after = self._legal_command(order, lambda ctx: receive_return(ctx, number, rma))
        assert _rma_package(after, rma)[1].state is RmaState.RECEIVED
        assert after.refunds == order.refunds

    def _inspect(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        request, package = _rma_package(order, rma)
        everything = data.draw(st.booleans(), label="accept everything")
        accepted = {
            u.line_no: u.quantity
            if everything
            else data.draw(st.integers(0, u.quantity), label=f"line {u.line_no} accepted")
            for u in package.units
        }
        if data.draw(st.booleans(), label="leave out the lines accepting none"):
            accepted = {line_no: count for line_no, count in accepted.items() if count}
        self._at()
        after = self._legal_command(order, lambda ctx: inspect_return(ctx, number, rma, accepted))
        inspected = _rma_package(after, rma)[1]
        assert inspected.state is (
            RmaState.INSPECTED if any(accepted.values()) else RmaState.REJECTED
        )
        assert inspected.accepted == {n: c for n, c in accepted.items() if c}
        for line in after.lines:
            back = 0 if request.kind is ReturnKind.CORE else accepted.get(line.line_no, 0)
            assert line.returned == order.line(line.line_no).returned + back

    def _settle(self, order: Order, rma: str, data: st.DataObject) -> None:
        number = order.number
        request, package = _rma_package(order, rma)
        warranty = request.kind is ReturnKind.WARRANTY
        replace = data.draw(
            st.booleans() if warranty else st.integers(0, 9).map(lambda n: n == 0), label="replace"
        )
        key = self._key(data)
        self._at()
        answer = self._serve_order(
            order,
            lambda ctx: settle_return(ctx, number, rma, replace=replace, idempotency_key=key),
        )
        if key is not None and answer.refused is None:
            self._retry(
                self.orders[number],
                answer,
                lambda ctx: settle_return(ctx, number, rma, replace=replace, idempotency_key=key),
                lambda ctx: settle_return(
                    ctx, number, rma, replace=not replace, idempotency_key=key
                ),
                data,
            )
        if replace and not warranty:
            assert answer.refused == "not_warranty", answer
            return
        assert answer.refused is None, f"a legal step was refused: {answer.refused}"
        after = self.orders[number]
        settled = _rma_package(after, rma)[1]
        if replace:
            assert settled.state is RmaState.REPLACED
            assert after.refunds == order.refunds
            return
        credit = request.refund_method is RefundMethod.STORE_CREDIT
        assert settled.state is (RmaState.CREDITED if credit else RmaState.REFUNDED)
        assert after.refunds[: len(order.refunds)] == order.refunds
        (refund,) = after.refunds[len(order.refunds) :]
        assert refund.refund_id == settled.refund_id
        # A package keeps the deposits it claimed whatever was requested since (a deposit
        # belongs to the return that claimed it first): only another refund can change
        # what it pays back.
        unchanged = len(order.refunds) == self.when_requested[rma]
        if package.fully_accepted and unchanged:
            preview = package.preview
            zero = Money.zero(after.currency)
            assert (
                refund.parts,
                refund.cores,
                refund.shipping,
                refund.tax,
                refund.label_fee or zero,
                refund.restocking_fee or zero,
            ) == (
                preview.parts,
                preview.cores,
                preview.shipping,
                preview.tax,
                preview.label_deduction,
                preview.restocking_fee,
            ), f"{rma}: refunded {refund}, previewed {preview}"
            assert refund.total == preview.total

    def _next_step(self, order: Order, rma: str, data: st.DataObject) -> None:
        """One step on from the package's state; from awaiting shipment, sent or received
        at once (the carrier's scan is optional)."""
        state = _rma_package(order, rma)[1].state
        if state is RmaState.REQUESTED:
            self._decide_claim(order, rma, data)
        elif state is RmaState.AWAITING_SHIPMENT and data.draw(st.booleans(), label="send"):
            self._send(order, rma, data)
        elif state in (RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT):
            self._receive(order, rma)
        elif state is RmaState.RECEIVED:
            self._inspect(order, rma, data)
        else:
            self._settle(order, rma, data)

    def _pick_rma(self, data: st.DataObject, *states: RmaState) -> tuple[Order, str]:
        """An order with a package in one of ``states`` (the precondition said there is
        one) and the RMA number of such a package: what every package step starts from."""
        return self._pick_one(data, lambda order: _rmas(order, *states), "rma")

    def _walk(self, number: str, rma: str, steps: int, data: st.DataObject) -> None:
        """Up to ``steps`` steps on for one package, each checked like a rule of its own."""
        for _ in range(steps):
            order = self.orders[number]
            if not _rma_package(order, rma)[1].state.open:
                return
            if data.draw(st.integers(0, 3), label="relay first") == 0:
                self._relay(carrier_down=False)
                order = self.orders[number]
            self._next_step(order, rma, data)
            self.orders_keep_their_invariants()

    @precondition(_some(lambda order: _rmas(order, *_OPEN)))
    @rule(data=st.data(), steps=st.integers(1, 5))
    def walk_a_return(self, data: st.DataObject, steps: int) -> None:
        """Take one open RMA package up to ``steps`` steps on: authorised or denied, sent
        (label scanned, or the shopper's own tracking number), received, inspected,
        settled; now and then the relay runs first."""
        order, rma = self._pick_rma(data, *_OPEN)
        self._walk(order.number, rma, steps, data)

    @precondition(_some(lambda order: _rmas(order, RmaState.REQUESTED)))
    @rule(data=st.data())
    def decide_a_claim(self, data: st.DataObject) -> None:
        """Staff authorise a package that waits for them (it may ship: papers follow) or
        deny it (rejected, with a note)."""
        order, rma = self._pick_rma(data, RmaState.REQUESTED)
        self._decide_claim(order, rma, data)

    @precondition(_some(lambda order: _rmas(order, RmaState.AWAITING_SHIPMENT)))
    @rule(data=st.data())
    def send_a_return(self, data: st.DataObject) -> None:
        """A package leaves: the carrier scans its label, or the shopper enters the tracking
        number of their own shipment (a bad one is refused as typed; one for a package that
        travels on the store's label is ``label_provided``)."""
        order, rma = self._pick_rma(data, RmaState.AWAITING_SHIPMENT)
        self._send(order, rma, data)

    @precondition(
        _some(lambda order: _rmas(order, RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT))
    )
    @rule(data=st.data())
    def receive_a_return(self, data: st.DataObject) -> None:
        """The destination receives a package (seen in transit or not); nothing is
        refunded yet."""
        order, rma = self._pick_rma(data, RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT)
        self._receive(order, rma)

    @precondition(_some(lambda order: _rmas(order, RmaState.RECEIVED)))
    @rule(data=st.data())
    def inspect_a_return(self, data: st.DataObject) -> None:
        """Inspection accepts some units of each line (a line left out accepts none):
        accepted parts count as returned; nothing accepted rejects the package."""
        order, rma = self._pick_rma(data, RmaState.RECEIVED)
        self._inspect(order, rma, data)

    @precondition(_some(lambda order: _rmas(order, RmaState.INSPECTED)))
    @rule(data=st.data())
    def settle_a_return(self, data: st.DataObject) -> None:
        """Settle an inspected package: refund it (to the payment, or to store credit as
        the shopper chose) or, for a warranty claim, replace its parts; replacing anything
        else is ``not_warranty``. A fully accepted package refunds exactly its preview
        when no other refund came in between (nor a core return claiming the deposits of
        its units)."""
        order, rma = self._pick_rma(data, RmaState.INSPECTED)
        self._settle(order, rma, data)

    @precondition(_some(lambda order: order.returns))
    @rule(data=st.data())
    def take_a_return_step_out_of_turn(self, data: st.DataObject) -> None:
        """A staff step the package's state does not allow is refused with
        ``rma_<state>``, and so is the shopper's tracking number for a package they ship
        themselves that is not waiting to be sent; an RMA number the order does not have
        is ``unknown_rma``."""
        order = self._pick(data, lambda order: order.returns)
        number = order.number
        rma = data.draw(st.sampled_from(_rmas(order)), label="rma")
        request, package = _rma_package(order, rma)
        steps = [step for step, allowed in _STAFF_STEPS.items() if package.state not in allowed]
        if (
            request.ship_by is ShipBy.OWN_TRACKING
            and package.state is not RmaState.AWAITING_SHIPMENT
        ):
            steps.append("own_tracking")
        step = data.draw(st.sampled_from(steps), label="step")
        code = f"rma_{package.state.value}"
        if data.draw(st.integers(0, 5), label="unknown") == 0:
            rma, code = f"R{number}-99", "unknown_rma"
        accepted = {u.line_no: u.quantity for u in package.units}
        guest = self._guest(number)
        commands: dict[str, Command] = {
            "own_tracking": lambda ctx: enter_return_tracking(
                ctx, guest, number, rma, _GOOD_TRACKING[0]
            ),
            "authorize": lambda ctx: authorize_return(ctx, number, rma),
            "deny": lambda ctx: deny_return(ctx, number, rma),
            "in_transit": lambda ctx: mark_return_in_transit(ctx, number, rma),
            "receive": lambda ctx: receive_return(ctx, number, rma),
            "inspect": lambda ctx: inspect_return(ctx, number, rma, accepted),
            "settle": lambda ctx: settle_return(ctx, number, rma),
        }
        self._at()
        answer = self._serve_order(order, commands[step])
        assert answer.refused == code, f"{step} of {rma}: {answer}, expected {code}"

    def _relay(self, *, carrier_down: bool) -> None:
        self.services_ran = True
        before = dict(self.orders)
        self._at()
        reports = []
        for ctx in self.contexts:
            if carrier_down:
                ctx = attrs.evolve(ctx, label_maker=FailingLabelMaker())
            runs = []
            for _ in range(4):
                report = relay_outbox(ctx)
                runs.append((report.sent, report.failed))
                if report.sent == 0:
                    break
            reports.append(runs)
        assert reports[0] == reports[1], f"the storage's relay did {reports[0]}, not {reports[1]}"
        for number, order in before.items():
            after = _read(self.reference, number)
            assert after is not None
            labelled = _labels_made(after) - _labels_made(order)
            assert after.version == order.version + labelled, f"{number}: {after.version}"
            if labelled:
                self.versions[number] += labelled
                self.earlier[number] = order
            self._agree(number)
            if carrier_down:
                continue
            # Every package that may ship has its papers now, unless its job failed before
            # and waits for its retry.
            with self.storage.unit_of_work() as uow:
                waiting = {
                    m.intent.rma_number
                    for m in uow.outbox.due(_END_OF_TIME, 1000)
                    if isinstance(m.intent, ReturnDocumentsJob) and m.intent.order_number == number
                }
                for request in after.returns:
                    for package in request.packages:
                        denied = package.state is RmaState.REJECTED and not package.inspected_at
                        if package.state is RmaState.REQUESTED or denied:
                            continue
                        assert package.rma_number in waiting or uow.documents.for_rma(
                            package.rma_number
                        ), f"{package.rma_number} has no papers after the relay ran"

    @precondition(_some(lambda order: order.returns))
    @rule(carrier_down=st.booleans())
    def relay_the_outbox(self, carrier_down: bool) -> None:
        """The outbox relay runs until nothing more is due: papers made by the label maker
        (a label recorded on its package, one save), mail sent, refunds and replacements
        published. With the carrier down the papers stay pending, to be retried; with it
        up, every package that may ship has its papers (or its job waits for its retry)."""
        self._relay(carrier_down=carrier_down)

    @precondition(_some(_delivered_units))
    @rule(days=st.sampled_from((1, 12, 29, 45, 100, 190, 400)))
    def let_days_pass(self, days: int) -> None:
        """Days pass (return windows of 30 days from shipping, core windows of 6 months,
        warranties of months from delivery close)."""
        self.now += timedelta(days=days)
        self.clock.set(self.now)

    def _credit_left(self) -> Decimal:
        spent = sum((amount.amount for _, amount in self.spends), Decimal(0))
        return _credit_refunds(self.orders.values()) - spent

    @precondition(lambda self: self._credit_left() > 0 or self.spends)
    @rule(data=st.data(), how=st.sampled_from(("part", "all", "too_much", "again")))
    def spend_store_credit(self, data: st.DataObject, how: str) -> None:
        """The shopper spends some or all of their credit at checkout; more than the balance
        is ``insufficient_credit``; a retried checkout takes nothing again."""
        left = self._credit_left()
        again = how == "again" and bool(self.spends)
        if again:
            reference, amount = data.draw(st.sampled_from(self.spends), label="checkout")
        else:
            reference = f"{self.prefix}-checkout-{next(self.serial)}"
            if how == "part" and left >= Decimal("0.02"):
                cents = data.draw(st.integers(1, int(left * 100) - 1), label="cents")
                amount = Money(Decimal(cents) / 100, _CURRENCY)
            elif how in ("part", "all") and left > 0:
                amount = Money(left, _CURRENCY)
            else:
                amount = Money(left + Decimal("0.01"), _CURRENCY)
        self._at()
        answer = self._serve(lambda ctx: spend_credit(ctx, self.holder, amount, reference))
        if again:
            assert answer == _Answer(value=False), answer
        elif amount.amount > left:
            assert answer.refused == "insufficient_credit", answer
        else:
            assert answer == _Answer(value=True), answer
            self.spends.append((reference, amount))

    @precondition(_some(lambda order: order.returns))
    @rule(data=st.data())
    def look_at_the_papers_and_the_credit(self, data: st.DataObject) -> None:
        """The guest prints an RMA package's papers again; the shopper reads their credit
        balance and history: both storages answer alike."""
        order = self._pick(data, lambda order: order.returns)
        number = order.number
        rma = data.draw(st.sampled_from(_rmas(order)), label="rma")
        self._at()
        papers = self._serve(lambda ctx: return_papers(ctx, self._guest(number), number, rma))
        assert isinstance(papers.value, ReturnPapers), papers
        listed = self._serve(lambda ctx: order_returns(ctx, self._guest(number), number))
        assert listed.value == OrderReturns(number, tuple(reversed(order.returns))), listed
        self._serve(lambda ctx: credit_balance(ctx, self.holder, _CURRENCY))
        self._serve(lambda ctx: credit_history(ctx, self.holder, 50))
