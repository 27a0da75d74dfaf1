"""SECURITY A1: nothing a guest does tells whether an order or a customer exists.

The oracle of SECURITY.md: each entry point is called with an existing and a missing
identifier; the answers must be equal, and so must the way the rate limiter is asked.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orderstatus_core import (
    GuestAccessError,
    Hooks,
    OrderListRequested,
    OrderNotFound,
    ReturnDraft,
    email_key,
    get_plugin_manager,
    hookimpl,
    phone_key,
)
from orderstatus_core.model import canonical_order_number
from orderstatus_core.services import (
    ServiceContext,
    enter_return_tracking,
    find_order,
    preview_return,
    request_return,
    return_options,
    return_papers,
    send_order_list,
)
from orderstatus_core.testing import CountingRateLimiter, RecordingMailer, fake_context
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.strategies import email_texts, hostile_text, order_numbers
from orderstatus_memory import MemoryRateLimiter

JANE = "Jane.Doe@example.com"
JANE_PHONE = "+14155552671"

identifiers = st.one_of(
    email_texts(),
    hostile_text(),
    st.text(max_size=300),
    st.sampled_from(["(415) 555-0000", "+358 40 1234567", "", " ", "@", "jane.doe@example"]),
)
numbers = st.one_of(order_numbers(), st.text(max_size=40), hostile_text())


def _context(with_order: str | None) -> tuple[ServiceContext, CountingRateLimiter]:
    limiter = CountingRateLimiter(MemoryRateLimiter())
    ctx = fake_context(rate_limiter=limiter)
    if with_order is not None:
        with ctx.storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(with_order, email=JANE, phone=JANE_PHONE))
            uow.commit()
    return ctx, limiter


def _is_janes(identifier: str) -> bool:
    return email_key(identifier) == email_key(JANE) or phone_key(identifier) == JANE_PHONE


@given(identifier=identifiers, number=numbers)
def test_a_wrong_pair_answers_like_a_missing_order(identifier: str, number: str) -> None:
    """Jane's order under that number, or no order at all: the same answer, the same limits."""
    assume(not _is_janes(identifier))
    try:
        canonical = canonical_order_number(number)
    except ValueError:
        canonical = "123456789"
    existing, existing_limiter = _context(with_order=canonical)
    missing, missing_limiter = _context(with_order=None)

    answer_existing = find_order(existing, identifier, number, client="203.0.113.9")
    answer_missing = find_order(missing, identifier, number, client="203.0.113.9")

    assert answer_existing == answer_missing == OrderNotFound()
    assert existing_limiter.calls == missing_limiter.calls


@given(typed=st.one_of(email_texts(), hostile_text()))
def test_order_look_up_answers_alike_for_customers_and_strangers(typed: str) -> None:
    """A customer's email and any other text: same answer, same limiter calls, no mail now."""
    stranger, stranger_limiter = _context(with_order=None)
    customer, customer_limiter = _context(with_order="123456789")

    answer_customer = send_order_list(customer, JANE, client="203.0.113.9")
    answer_stranger = send_order_list(stranger, typed, client="203.0.113.9")

    assert answer_customer == answer_stranger == OrderListRequested()
    assert customer_limiter.shape() == stranger_limiter.shape()
    # Delivery happens later in the relay; the request itself never touches the mail port.
    for ctx in (customer, stranger):
        assert isinstance(ctx.mailer, RecordingMailer)
        assert ctx.mailer.sent == []


def test_the_limit_answer_does_not_depend_on_existence() -> None:
    """Over the limit, a customer and a stranger both get ``TryLater`` with the same wait."""
    customer, _ = _context(with_order="123456789")
    stranger, _ = _context(with_order=None)
    answers = []
    for ctx in (customer, stranger):
        for attempt in range(10):
            find_order(ctx, JANE, f"{attempt}", client=f"c{attempt}")
        answers.append(find_order(ctx, JANE, "123456789", client="fresh"))
    assert answers[0] == answers[1]


class _WaivePassForReturns:
    """A store that lets the look-up pair alone start returns: the pair's refusal must still
    not tell an existing order from a missing one."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "return" else None


@given(identifier=identifiers, number=numbers, token=st.one_of(st.none(), hostile_text()))
def test_return_steps_refuse_a_stranger_alike(
    identifier: str, number: str, token: str | None
) -> None:
    """Every return entry point: Jane's order or none, a wrong pair or a bad pass gets the
    same GuestAccessError message and the same limiter calls."""
    assume(not _is_janes(identifier))
    try:
        canonical = canonical_order_number(number)
    except ValueError:
        canonical = "123456789"
    draft = ReturnDraft("return", "does_not_fit", {1: 1})
    steps: dict[str, Callable[..., object]] = {
        "options": lambda ctx, **proof: return_options(ctx, number, **proof),
        "preview": lambda ctx, **proof: preview_return(ctx, number, draft, **proof),
        "request": lambda ctx, **proof: request_return(ctx, number, draft, **proof),
        "tracking": lambda ctx, **proof: enter_return_tracking(
            ctx, number, "R1-1", "1Z999AA10123456784", **proof
        ),
        "papers": lambda ctx, **proof: return_papers(ctx, number, "R1-1", **proof),
    }
    hooks = Hooks(get_plugin_manager(plugins=[_WaivePassForReturns()]))
    for name, step in steps.items():
        messages = []
        shapes = []
        for with_order in (canonical, None):
            ctx, limiter = _context(with_order)
            ctx = attrs.evolve(ctx, pass_required=hooks.pass_required)
            with pytest.raises(GuestAccessError) as refused:
                step(ctx, client="203.0.113.9", identifier=identifier, guest_pass=token)
            messages.append(str(refused.value))
            shapes.append(limiter.calls)
        assert messages[0] == messages[1], name
        assert shapes[0] == shapes[1], name
