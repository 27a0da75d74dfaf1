"""Every export is valid against the shipped JSON Schema (draft 2020-12), over accounts
Hypothesis draws (addresses, cars, orders and credit of any script) and over the account
state machine's runs; the orders and addresses in it read back, through the library's
converter, as the very values stored (issue 14 item 8)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from jsonschema import Draft202012Validator

from orderstatus_core import (
    Account,
    AccountSession,
    DataExport,
    Order,
    OrderStatus,
    SavedAddress,
    Vehicle,
    export_schema,
)
from orderstatus_core.model.account import LinkedBy, OrderLink
from orderstatus_core.model.address import Address
from orderstatus_core.model.profile import GarageVehicle, address_key
from orderstatus_core.records import CreditEntry
from orderstatus_core.serialization import converter
from orderstatus_core.services.accounts.export import EXPORT_SCHEMA_VERSION
from orderstatus_core.testing import fake_context, strategies
from orderstatus_core.testing.accounts import AccountMachine, account_lifecycle_of
from orderstatus_memory import MemoryStorage

VALIDATOR = Draft202012Validator(export_schema())
SESSION_ID = "S" * 43
_FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_the_schema_itself_is_valid_draft_2020_12() -> None:
    """The shipped schema passes the draft 2020-12 meta-schema."""
    Draft202012Validator.check_schema(export_schema())


@st.composite
def _holders(
    draw: st.DrawFn,
) -> tuple[Account, list[Address], list[Vehicle], list[Order], list[Any]]:
    email = draw(strategies.emails())
    start = fake_context().clock.now()
    account = Account.sign_up("acct-export-01", email, start).verified(start)
    account = account.with_password("argon2$" + "0" * 40, start)
    places = draw(st.lists(strategies.addresses(), max_size=3, unique_by=address_key))
    cars = draw(st.lists(strategies.vehicles(), max_size=3))
    numbers = st.sampled_from([f"90000{n}" for n in range(10)])
    bought = draw(
        st.lists(strategies.orders(numbers=numbers, max_lines=2), max_size=3, unique_by=_number)
    )
    amounts = draw(st.lists(strategies.money("USD").filter(lambda m: m.amount > 0), max_size=3))
    return account, places, cars, bought, amounts


def _number(order: Order) -> str:
    return order.number


def _stored(holder: tuple[Account, list[Address], list[Vehicle], list[Order], list[Any]]) -> Any:
    account, places, cars, bought, amounts = holder
    ctx = fake_context(MemoryStorage())
    now = ctx.clock.now()
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.accounts.add(account)
        for n, place in enumerate(places):
            saved = SavedAddress(account.account_id, f"address-{n:04d}", place, n == 0, now)
            uow.accounts.put_address(saved)
        for n, car in enumerate(cars):
            garage = GarageVehicle(account.account_id, f"vehicle-{n:04d}", car, "plausible", now)
            uow.accounts.put_vehicle(garage)
        for order in bought:
            uow.orders.add(order)
            link = OrderLink(account.account_id, order.number, now, LinkedBy.VERIFIED_EMAIL)
            uow.accounts.link_order(link)
        for n, amount in enumerate(amounts):
            entry = CreditEntry(f"gift:{n}", account.email_key, amount, now, f"gift {n}")
            uow.credit.append(entry)
        session = AccountSession.start(
            SESSION_ID, account.account_id, now, remember=True, lifetime=timedelta(days=1)
        )
        uow.sessions.put(session)
        uow.commit()
    return ctx


@_FEW
@given(holder=_holders())
def test_any_holders_export_is_valid_and_reads_back_as_stored(
    holder: tuple[Account, list[Address], list[Vehicle], list[Order], list[Any]],
) -> None:
    """Valid against the schema; every order (with its version put back) and every saved
    address structure back equal to what was stored, the orders newest first."""
    account, places, cars, bought, amounts = holder
    ctx = _stored(holder)
    answer = OrderStatus(ctx).shopper(client="203.0.113.9", session=SESSION_ID).export_data()
    assert isinstance(answer, DataExport), answer
    document = json.loads(answer.document.decode("utf-8"))
    VALIDATOR.validate(document)
    assert document["account"]["email"] == account.email.display
    exported_places = [converter.structure(s["address"], Address) for s in document["addresses"]]
    assert exported_places == places
    assert [converter.structure(v["vehicle"], Vehicle) for v in document["garage"]] == cars
    by_number = {order.number: order for order in bought}
    read_back = [
        converter.structure({**data, "version": by_number[data["number"]].version}, Order)
        for data in document["orders"]
    ]
    newest_first = sorted(bought, key=lambda o: (o.placed_at, o.number), reverse=True)
    assert read_back == newest_first
    assert len(document["store_credit"]["entries"]) == len(amounts)


@pytest.mark.slow
def test_the_account_machine_exports_valid_documents() -> None:
    """The account state machine, every export it makes checked against the schema."""
    storage = MemoryStorage()
    storage.migrate()
    machine = account_lifecycle_of(storage, check_document=VALIDATOR.validate)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    storage.close()


def test_the_machines_export_steps_check_the_document() -> None:
    """A fixed run through the machine's own steps (an address, a car, an order, then the
    download, before and after five minutes): its check sees each document, and a
    document short of a section fails the machine."""
    storage = MemoryStorage()
    storage.migrate()
    seen: list[dict[str, Any]] = []

    def check(document: Any) -> None:
        VALIDATOR.validate(document)
        seen.append(document)

    machine = account_lifecycle_of(storage, check_document=check)()
    machine.start(registered=True, remember=False)
    machine.save_an_address(pick=0, street=1, retyped=False, default=True)
    machine.add_a_vehicle(pick=0)
    machine.import_an_order(with_other=False, for_the_car=True)
    machine.export_the_data(pick=0)
    machine.the_storage_holds_what_the_model_says()
    machine.time_passes(seconds=301)
    machine.export_the_data(pick=0)  # ReauthenticationRequired: nothing to check
    assert [(len(d["addresses"]), len(d["garage"]), len(d["orders"])) for d in seen] == [(1, 1, 1)]
    machine.teardown()
    storage.close()


def test_the_machines_default_check_wants_every_section() -> None:
    """Without a validator the machine still refuses a document missing a section or of
    another version."""
    complete = dict.fromkeys(export_schema()["required"]) | {"schema": EXPORT_SCHEMA_VERSION}
    AccountMachine.check_document(complete)
    for broken in ({**complete, "schema": 1}, {k: v for k, v in complete.items() if k != "garage"}):
        with pytest.raises(AssertionError):
            AccountMachine.check_document(broken)
