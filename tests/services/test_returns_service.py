"""Returns through the services: the guest pass, papers made by the relay, mail at each
step, refunds to payment or store credit in the same transaction, and each port failing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    IdempotencyKeyReusedError,
    InsufficientCreditError,
    InvalidFieldError,
    InvalidTrackingNumberError,
    LabelDocument,
    Money,
    NoValidPass,
    RefundDue,
    Refused,
    ReplacementDue,
    ReturnAnswer,
    ReturnDocumentsJob,
    ReturnDraft,
    ReturnLabel,
    ReturnLabelMail,
    ReturnLabelRequest,
    ReturnOptions,
    ReturnPapers,
    ReturnPlan,
    ReturnReceivedMail,
    ReturnSettledMail,
    RmaState,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.messages import OutboxItem
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    authorize_return,
    credit_balance,
    credit_history,
    enter_return_tracking,
    inspect_return,
    mark_return_in_transit,
    preview_return,
    receive_return,
    relay_outbox,
    request_return,
    return_options,
    return_papers,
    settle_return,
    spend_credit,
)
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import line, make_order, package, usd
from support.guest_passes import earn_guest_pass

NUMBER = "123456789"
OTHER = "987654321"
JANE = "jane.doe@example.com"
LABEL_COST = usd("7.50")
UPS = "1Z999AA10123456784"


class Labels:
    """A label maker that records its calls and can be told to fail."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.failing: Exception | None = None

    def _check(self) -> None:
        if self.failing is not None:
            raise self.failing

    def quote(self, request: ReturnLabelRequest) -> Money:
        self._check()
        return LABEL_COST

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        self._check()
        self.made.append(request.rma_number)
        documents = tuple(
            LabelDocument(f, "application/pdf", f"{request.rma_number}.{f}", b"%" + f.encode())
            for f in request.formats
        )
        return ReturnLabel(request.rma_number, "UPS", "Ground", LABEL_COST, documents)

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        self._check()
        name = f"{request.rma_number}-instructions.pdf"
        return LabelDocument("pdf", "application/pdf", name, b"%PDF " + request.language.encode())


@pytest.fixture
def labels() -> Labels:
    return Labels()


@pytest.fixture
def ctx(labels: Labels) -> ServiceContext:
    """Jane's order 123456789, delivered five days ago: line 1 two brake pads at 24.99 with
    a 10.00 core, line 2 an alternator at 150.00 with a 12-month warranty."""
    clock = FixedClock()
    context = attrs.evolve(fake_context(clock=clock), label_maker=labels)
    placed = clock.now() - timedelta(days=10)
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(
            make_order(
                NUMBER,
                placed_at=placed,
                lines=[
                    line(1, quantity=2, core="10"),
                    line(2, "ALT-9", price="150", warranty_months=12),
                ],
                packages=[
                    package(
                        "P1",
                        [(1, 2), (2, 1)],
                        placed_at=placed,
                        shipped_after=timedelta(days=1),
                        delivered_after=timedelta(days=5),
                    )
                ],
            )
        )
        uow.orders.add(make_order(OTHER, email="someone@example.com"))
        uow.commit()
    return context


def _pass(ctx: ServiceContext, number: str = NUMBER) -> str:
    identifier = JANE if number == NUMBER else "someone@example.com"
    return earn_guest_pass(ctx, number, identifier).token


def _pending(ctx: ServiceContext) -> list[OutboxItem]:
    with ctx.storage.unit_of_work() as uow:
        return [m.intent for m in uow.outbox.due(ctx.clock.now() + timedelta(days=400), 1000)]


def _relay(ctx: ServiceContext) -> None:
    """Run the relay until nothing more is due now (papers, then their mail)."""
    for _ in range(5):
        if relay_outbox(ctx).sent == 0:
            return


def _request(ctx: ServiceContext, token: str, **fields: Any) -> ReturnAnswer:
    draft_fields: dict[str, Any] = {"kind": "return", "reason": "does_not_fit", "units": {1: 1}}
    draft_fields.update(fields)
    answer = request_return(
        ctx, GuestProof(client="c", guest_pass=token), NUMBER, ReturnDraft(**draft_fields)
    )
    assert isinstance(answer, ReturnAnswer)
    return answer


def _stored_package(ctx: ServiceContext, rma: str) -> Any:
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    request, index = order.rma(rma)
    return request.packages[index]


class TestGuestPass:
    """Every return step needs the guest pass by default (issue item 11, SECURITY F3)."""

    def test_each_step_is_refused_without_a_pass(self, ctx: ServiceContext) -> None:
        draft = ReturnDraft("return", "does_not_fit", {1: 1})
        steps: list[Callable[[], object]] = [
            lambda: return_options(ctx, GuestProof(client="c", identifier=JANE), NUMBER),
            lambda: preview_return(ctx, GuestProof(client="c", identifier=JANE), NUMBER, draft),
            lambda: request_return(ctx, GuestProof(client="c", identifier=JANE), NUMBER, draft),
            lambda: enter_return_tracking(
                ctx, GuestProof(client="c", identifier=JANE), NUMBER, "R1-1", UPS
            ),
            lambda: return_papers(
                ctx, GuestProof(client="c", guest_pass="forged.token"), NUMBER, "R1-1"
            ),
        ]
        for step in steps:
            assert step() == NoValidPass()
        assert not any(isinstance(i, ReturnDocumentsJob) for i in _pending(ctx))

    def test_a_pass_for_another_order_opens_no_return(self, ctx: ServiceContext) -> None:
        assert (
            return_options(ctx, GuestProof(client="c", guest_pass=_pass(ctx, OTHER)), NUMBER)
            == NoValidPass()
        )


class TestLabelledReturn:
    def test_options_preview_and_request(self, ctx: ServiceContext) -> None:
        token = _pass(ctx)
        options = return_options(ctx, GuestProof(client="c", guest_pass=token), NUMBER, "return")
        assert isinstance(options, ReturnOptions)
        assert [line.returnable for line in options.lines] == [2, 1]
        draft = ReturnDraft("return", "does_not_fit", {1: 1})
        plan = preview_return(ctx, GuestProof(client="c", guest_pass=token), NUMBER, draft)
        assert isinstance(plan, ReturnPlan)
        assert plan.preview.label_deduction == LABEL_COST
        answer = _request(ctx, token)
        assert answer.request.preview == plan.preview
        assert answer.request.packages[0].rma_number == f"R{NUMBER}-1"
        jobs = [i for i in _pending(ctx) if isinstance(i, ReturnDocumentsJob)]
        assert [(j.rma_number, j.with_label) for j in jobs] == [(f"R{NUMBER}-1", True)]

    def test_the_relay_makes_the_papers_and_mails_once(
        self, ctx: ServiceContext, labels: Labels
    ) -> None:
        token = _pass(ctx)
        rma = _request(ctx, token).request.packages[0].rma_number
        _relay(ctx)
        papers = return_papers(ctx, GuestProof(client="c", guest_pass=token), NUMBER, rma)
        assert isinstance(papers, ReturnPapers)
        names = [d.document.filename for d in papers.documents]
        assert names == [f"{rma}.pdf", f"{rma}.zpl", f"{rma}-instructions.pdf"]
        assert _stored_package(ctx, rma).label_cost == LABEL_COST
        mails = [m for m in ctx.mailer.sent if "return papers" in m.subject]  # type: ignore[attr-defined]
        assert len(mails) == 1
        assert "Print the label" in mails[0].text
        # At-least-once delivery: running the same job again buys no second label.
        from orderstatus_core.services import make_return_papers

        make_return_papers(ctx, ReturnDocumentsJob(NUMBER, "x", rma, True))
        assert labels.made == [rma]
        assert sum(isinstance(i, ReturnLabelMail) for i in _pending(ctx)) == 0

    def test_received_inspected_refunded_with_mail_at_each_step(self, ctx: ServiceContext) -> None:
        answer = _request(ctx, _pass(ctx), units={1: 2})
        rma = answer.request.packages[0].rma_number
        _relay(ctx)
        mark_return_in_transit(ctx, NUMBER, rma)
        receive_return(ctx, NUMBER, rma)
        assert any(isinstance(i, ReturnReceivedMail) for i in _pending(ctx))
        assert not any(isinstance(i, RefundDue) for i in _pending(ctx))  # received, not refunded
        inspect_return(ctx, NUMBER, rma, {1: 2})
        order = settle_return(ctx, NUMBER, rma)
        refunds = [i for i in _pending(ctx) if isinstance(i, RefundDue)]
        assert len(refunds) == 1
        assert refunds[0].refund.total == answer.request.preview.total
        settled = [i for i in _pending(ctx) if isinstance(i, ReturnSettledMail)]
        assert [(m.outcome, m.amount) for m in settled] == [("refunded", refunds[0].refund.total)]
        assert order.ledger(1).returned == 2
        _relay(ctx)
        subjects = [m.subject for m in ctx.mailer.sent]  # type: ignore[attr-defined]
        assert f"We received your return {rma}" in subjects
        assert f"Your return {rma} is settled" in subjects

    def test_papers_and_mail_follow_the_shoppers_language(self, ctx: ServiceContext) -> None:
        token = _pass(ctx)
        rma = _request(ctx, token, language="fi").request.packages[0].rma_number
        _relay(ctx)
        papers = return_papers(ctx, GuestProof(client="c", guest_pass=token), NUMBER, rma)
        assert isinstance(papers, ReturnPapers)
        assert papers.documents[-1].document.content == b"%PDF fi"
        assert any("Palautuksesi paperit" in m.subject for m in ctx.mailer.sent)  # type: ignore[attr-defined]

    def test_a_repeated_key_answers_the_first_return(self, ctx: ServiceContext) -> None:
        token = _pass(ctx)
        draft = ReturnDraft("return", "does_not_fit", {1: 1})
        first = request_return(
            ctx, GuestProof(client="c", guest_pass=token), NUMBER, draft, idempotency_key="k1"
        )
        again = request_return(
            ctx, GuestProof(client="c", guest_pass=token), NUMBER, draft, idempotency_key="k1"
        )
        assert first == again
        with pytest.raises(IdempotencyKeyReusedError):
            request_return(
                ctx,
                GuestProof(client="c", guest_pass=token),
                NUMBER,
                attrs.evolve(draft, units={1: 2}),
                idempotency_key="k1",
            )
        assert sum(isinstance(i, ReturnDocumentsJob) for i in _pending(ctx)) == 1

    def test_more_than_may_come_back_is_refused_with_a_code(self, ctx: ServiceContext) -> None:
        token = _pass(ctx)
        _request(ctx, token, units={1: 2})
        draft = ReturnDraft("return", "does_not_fit", {1: 1})
        refused = request_return(ctx, GuestProof(client="c", guest_pass=token), NUMBER, draft)
        assert refused == Refused("in_open_return", refused.message)


class TestOwnTracking:
    def test_the_shoppers_tracking_number_puts_the_package_in_transit(
        self, ctx: ServiceContext, labels: Labels
    ) -> None:
        token = _pass(ctx)
        answer = _request(ctx, token, ship_by="own_tracking")
        rma = answer.request.packages[0].rma_number
        assert answer.request.preview.label_deduction == usd("0")
        _relay(ctx)
        assert labels.made == []  # instructions only
        moved = enter_return_tracking(
            ctx, GuestProof(client="c", guest_pass=token), NUMBER, rma, "1z 999 aa1 01 2345 6784"
        )
        assert isinstance(moved, ReturnAnswer)
        package = moved.request.package(rma)
        assert (package.state, package.carrier, package.tracking_number) == (
            RmaState.IN_TRANSIT,
            "UPS",
            UPS,
        )

    @pytest.mark.parametrize(
        "text",
        [
            "1Z999AA10123456785",  # wrong check digit
            "",
            "x" * 500,
            "1Z999AA1012345678\x00",
            "1Z999AA10123456784'; DROP TABLE orders;--",
            "^XA^FDhi^FS^XZ",
            "１Z999AA10123456784",  # a fullwidth digit
        ],
    )
    def test_a_bad_tracking_number_is_refused_clearly(self, ctx: ServiceContext, text: str) -> None:
        token = _pass(ctx)
        rma = _request(ctx, token, ship_by="own_tracking").request.packages[0].rma_number
        with pytest.raises(InvalidTrackingNumberError):
            enter_return_tracking(ctx, GuestProof(client="c", guest_pass=token), NUMBER, rma, text)
        assert _stored_package(ctx, rma).state is RmaState.AWAITING_SHIPMENT


class TestStoreCredit:
    def _credited(self, ctx: ServiceContext) -> Money:
        answer = _request(ctx, _pass(ctx), reason="defective", refund_method="store_credit")
        rma = answer.request.packages[0].rma_number
        receive_return(ctx, NUMBER, rma)
        inspect_return(ctx, NUMBER, rma, {1: 1})
        settle_return(ctx, NUMBER, rma, idempotency_key="settle-1")
        settle_return(ctx, NUMBER, rma, idempotency_key="settle-1")  # a retried click
        return answer.request.preview.total

    def test_a_refund_taken_as_credit_is_one_ledger_entry(self, ctx: ServiceContext) -> None:
        total = self._credited(ctx)
        jane = parse_email(JANE)
        assert credit_balance(ctx, jane, "USD") == total
        history = credit_history(ctx, jane)
        assert [e.amount for e in history] == [total]
        assert history[0].entry_id.startswith(f"refund:{NUMBER}:")
        assert not any(isinstance(i, RefundDue) for i in _pending(ctx))
        settled = [i for i in _pending(ctx) if isinstance(i, ReturnSettledMail)]
        assert [m.outcome for m in settled] == ["credited"]

    def test_credit_is_spent_once_and_never_below_zero(self, ctx: ServiceContext) -> None:
        total = self._credited(ctx)
        jane = parse_email(JANE)
        assert spend_credit(ctx, jane, usd("10"), "checkout-1")
        assert not spend_credit(ctx, jane, usd("10"), "checkout-1")
        with pytest.raises(InsufficientCreditError):
            spend_credit(ctx, jane, total, "checkout-2")
        assert credit_balance(ctx, jane, "USD") == total - usd("10")

    @pytest.mark.parametrize(
        "amount", [usd("0"), usd("-5"), 5, "5 USD", None, Money("5", "EUR").amount]
    )
    def test_a_bad_amount_is_refused(self, ctx: ServiceContext, amount: Any) -> None:
        with pytest.raises(InvalidFieldError):
            spend_credit(ctx, parse_email(JANE), amount, "checkout-1")

    def test_credit_needs_a_verified_address_and_a_sane_reference(
        self, ctx: ServiceContext
    ) -> None:
        with pytest.raises(InvalidFieldError):
            credit_balance(ctx, JANE, "USD")  # type: ignore[arg-type]
        for reference in ("", "x" * 200, "a\nb", "ref with spaces"):
            with pytest.raises(InvalidFieldError):
                spend_credit(ctx, parse_email(JANE), usd("1"), reference)


class TestWarranty:
    def test_a_claim_is_authorised_then_replaced(self, ctx: ServiceContext) -> None:
        assert isinstance(ctx.clock, FixedClock)
        ctx.clock.advance(timedelta(days=40))
        answer = _request(ctx, _pass(ctx), kind="warranty", reason="defective", units={2: 1})
        rma = answer.request.packages[0].rma_number
        assert answer.request.packages[0].state is RmaState.REQUESTED
        assert not any(isinstance(i, ReturnDocumentsJob) for i in _pending(ctx))
        authorize_return(ctx, NUMBER, rma)
        assert any(isinstance(i, ReturnDocumentsJob) for i in _pending(ctx))
        receive_return(ctx, NUMBER, rma)
        inspect_return(ctx, NUMBER, rma, {2: 1})
        settle_return(ctx, NUMBER, rma, replace=True)
        events = [i for i in _pending(ctx) if isinstance(i, ReplacementDue)]
        assert events == [ReplacementDue(NUMBER, rma, ((2, 1),))]
        assert not any(isinstance(i, RefundDue) for i in _pending(ctx))


class TestPortFailures:
    def test_a_failing_label_maker_keeps_the_papers_pending(
        self, ctx: ServiceContext, labels: Labels
    ) -> None:
        rma = _request(ctx, _pass(ctx)).request.packages[0].rma_number
        labels.failing = AdapterError("carrier down")
        report = relay_outbox(ctx)
        assert report.failed >= 1
        assert _stored_package(ctx, rma).label_made_at is None
        assert any(isinstance(i, ReturnDocumentsJob) for i in _pending(ctx))
        labels.failing = None
        assert isinstance(ctx.clock, FixedClock)
        ctx.clock.advance(timedelta(hours=1))
        _relay(ctx)
        assert _stored_package(ctx, rma).label_cost == LABEL_COST

    def test_no_label_maker_leaves_papers_pending(self, ctx: ServiceContext) -> None:
        token = _pass(ctx)
        _request(ctx, token, ship_by="own_tracking")
        bare = attrs.evolve(ctx, label_maker=None)
        assert relay_outbox(bare).failed >= 1
        with pytest.raises(AdapterError):
            preview_return(
                bare,
                GuestProof(client="c", guest_pass=token),
                NUMBER,
                ReturnDraft("return", "does_not_fit", {1: 1}),
            )

    def test_a_failing_quote_records_nothing(self, ctx: ServiceContext, labels: Labels) -> None:
        token = _pass(ctx)
        labels.failing = AdapterError("no quote")
        with pytest.raises(AdapterError):
            _request(ctx, token)
        assert _stored_package_count(ctx) == 0
        assert not any(isinstance(i, ReturnDocumentsJob) for i in _pending(ctx))

    def test_a_quote_in_another_currency_is_an_adapter_error(
        self, ctx: ServiceContext, labels: Labels
    ) -> None:
        labels.quote = lambda request: Money("5", "EUR")  # type: ignore[method-assign]
        with pytest.raises(AdapterError):
            _request(ctx, _pass(ctx))

    def test_a_failing_mailer_keeps_return_mail_pending(self, ctx: ServiceContext) -> None:
        from orderstatus_core.testing import FailingMailer

        failing = attrs.evolve(ctx, mailer=FailingMailer())
        _request(ctx, _pass(ctx))
        relay_outbox(failing)  # papers made: mail queued
        relay_outbox(failing)
        assert any(isinstance(i, ReturnLabelMail) for i in _pending(ctx))


def _stored_package_count(ctx: ServiceContext) -> int:
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(NUMBER)
    assert order is not None
    return sum(len(r.packages) for r in order.returns)


def test_a_draft_of_the_wrong_type_is_refused(ctx: ServiceContext) -> None:
    token = _pass(ctx)
    with pytest.raises(InvalidFieldError):
        request_return(ctx, GuestProof(client="c", guest_pass=token), NUMBER, {"kind": "return"})  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        return_options(ctx, GuestProof(client="c", guest_pass=token), NUMBER, "exchange")


def test_the_order_returns_list_newest_first(ctx: ServiceContext) -> None:
    from orderstatus_core.services import OrderReturns, order_returns

    token = _pass(ctx)
    first = _request(ctx, token, units={1: 1})
    second = _request(ctx, token, units={2: 1}, ship_by="own_tracking")
    listed = order_returns(ctx, GuestProof(client="c", guest_pass=token), NUMBER)
    assert isinstance(listed, OrderReturns)
    assert [r.return_id for r in listed.returns] == [
        second.request.return_id,
        first.request.return_id,
    ]
    assert order_returns(ctx, GuestProof(client="c", identifier=JANE), NUMBER) == NoValidPass()


def test_a_free_return_needs_no_quote(ctx: ServiceContext, labels: Labels) -> None:
    """A carrier that is down never blocks a return the store pays for."""
    labels.failing = AdapterError("carrier down")
    answer = _request(ctx, _pass(ctx), reason="wrong_part_shipped")
    assert answer.request.packages[0].label_quote is None
    assert answer.request.preview.label_deduction == usd("0")


def test_a_label_priced_in_another_currency_keeps_the_job_pending(
    ctx: ServiceContext, labels: Labels
) -> None:
    rma = _request(ctx, _pass(ctx)).request.packages[0].rma_number
    real = labels.make_label

    def euro_label(request: ReturnLabelRequest) -> ReturnLabel:
        return attrs.evolve(real(request), cost=Money("7.50", "EUR"))

    labels.make_label = euro_label  # type: ignore[method-assign]
    assert relay_outbox(ctx).failed >= 1
    assert _stored_package(ctx, rma).label_made_at is None


@pytest.mark.parametrize(
    "filename", ["../etc/passwd", "/srv/x.pdf", "a/b.pdf", "..", ".hidden", "x" * 101, "a\x00b", ""]
)
def test_a_label_document_name_is_never_a_path(filename: str) -> None:
    """A storefront (and the demo) saves papers under their filename: a label maker cannot
    make it write elsewhere."""
    with pytest.raises(InvalidFieldError):
        LabelDocument("pdf", "application/pdf", filename, b"%PDF")


@pytest.mark.parametrize(
    "fields",
    [
        {"format": "png"},
        {"content": "text, not bytes"},
        {"media_type": "x" * 65},
    ],
)
def test_a_bad_label_document_is_refused(fields: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "format": "pdf",
        "media_type": "application/pdf",
        "filename": "R1-1-label.pdf",
        "content": b"%PDF",
    }
    values.update(fields)
    with pytest.raises((InvalidFieldError, TypeError, ValueError)):
        LabelDocument(**values)
