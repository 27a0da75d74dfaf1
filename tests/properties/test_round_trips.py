"""The one converter: everything it writes, it reads back equal."""

from __future__ import annotations

import json

from hypothesis import given

from orderstatus_core import Money, Order, OutboxMessage
from orderstatus_core.messages import MailIntent, secret_fields
from orderstatus_core.serialization import (
    carries_secrets,
    converter,
    dump_intent,
    intent_kind,
    load_intent,
)
from orderstatus_core.testing import strategies as ost


def _display_forms(order: Order) -> tuple[object, ...]:
    return (
        order.email.display,
        order.phone,
        tuple((line.part_number.display, line.category.segments) for line in order.lines),
    )


@given(ost.orders())
def test_an_order_survives_unstructure_and_structure(order: Order) -> None:
    """``structure(unstructure(order))`` is the same order, display forms included."""
    again = converter.structure(converter.unstructure(order), Order)
    assert again == order
    assert _display_forms(again) == _display_forms(order)


@given(ost.orders())
def test_an_order_survives_json_text(order: Order) -> None:
    """The unstructured form is plain JSON: through ``json`` text and back it is equal."""
    text = json.dumps(converter.unstructure(order), ensure_ascii=False)
    assert converter.structure(json.loads(text), Order) == order


@given(ost.order_list_mails())
def test_a_mail_intent_survives_dump_and_load(intent: MailIntent) -> None:
    """``load_intent(dump_intent(intent))`` is the same intent, through JSON text too."""
    again = load_intent(json.loads(json.dumps(dump_intent(intent))))
    assert again == intent
    assert again.to.display == intent.to.display


@given(ost.outbox_messages())
def test_an_outbox_message_survives_unstructure_and_structure(message: OutboxMessage) -> None:
    """Outbox messages, as a document store would keep them, come back equal."""
    assert converter.structure(converter.unstructure(message), OutboxMessage) == message


@given(ost.outbox_messages())
def test_a_kind_carries_secrets_exactly_when_its_items_have_secret_fields(
    message: OutboxMessage,
) -> None:
    """A storage may mark an item sent without reading it back only when its kind has no
    secret for delivery to empty (SECURITY D5)."""
    intent = message.intent
    assert carries_secrets(intent_kind(intent)) == bool(secret_fields(type(intent)))


def test_an_unknown_kind_is_taken_to_carry_secrets() -> None:
    """A tag no item has gets the careful way: read back and emptied."""
    assert carries_secrets("no_such_kind")


@given(ost.currencies().flatmap(ost.money))
def test_money_keeps_its_amount_and_its_written_form(money: Money) -> None:
    """Money comes back equal and written the same: ``"24.90 EUR"`` stays ``24.90``."""
    again = converter.structure(converter.unstructure(money), Money)
    assert again == money
    assert str(again) == str(money)
