"""SECURITY G2, G3 and G6 end to end: guests, the warehouse and customer service racing on one
SQLite file, from several processes (each with its own ``OrderStatus``) and from several
threads sharing one.

Every round is a fresh order and every party waits at a barrier, so the commands hit the
order together; which one wins varies from round to round. Whatever the order, the stored
order must be one a serial run could have produced, the loser must hear it as a refusal
(``ActionRefusedError``) or a ``ConflictError``, and no ``database is locked`` may escape.
"""

from __future__ import annotations

from collections import Counter

from orderstatus_core import CancelState, ChangeState, LineRemoval, RefundDue
from support.race_workers import (
    UNITS,
    Race,
    check_no_escapes,
    guest_pass,
    pending_intents,
    stored,
    tracking_mails,
)

ROUNDS = 6
#: Rounds of the races over the time a command records (e, f): the loser must wait for
#: the winner's lock within a few milliseconds of the barrier, so it takes more rounds.
TIME_ROUNDS = 24
SHIPPERS = 4
LOSSES = ("refused", "conflict")


def refunds_of(race: Race, number: str) -> list[RefundDue]:
    return [
        intent
        for intent in pending_intents(race.desk)
        if isinstance(intent, RefundDue) and intent.order_number == number
    ]


def test_cancel_races_start_processing(race: Race) -> None:
    """(a) A guest cancels every unit of a line while the warehouse opens a package with
    them: either all are cancelled (and the package is refused) or all are in processing
    (and the cancel became a request); never both in full."""
    numbers = race.orders(ROUNDS)
    outcomes = race.run(["cancel", "open"], numbers)
    check_no_escapes(outcomes)
    winners: Counter[str] = Counter()
    for round_no, number in enumerate(numbers):
        cancel, opened = outcomes[("cancel", round_no)], outcomes[("open", round_no)]
        order = stored(race.desk, number)
        ledger = order.ledger(1)
        assert ledger.cancelled + ledger.processing == ledger.ordered == UNITS
        assert ledger.shipped == 0
        cancelled_in_full = cancel == ("ok", f"line1:cancelled:{UNITS}/0/0")
        assert not (cancelled_in_full and opened[0] == "ok"), (cancel, opened)
        if opened[0] == "ok":
            winners["warehouse"] += 1
            assert ledger.processing == UNITS
            assert cancel in (("ok", f"line1:cancel_requested:0/{UNITS}/0"),) or (
                cancel[0] == "conflict"
            ), cancel
            requested = [r.quantity for r in order.cancel_requests if r.open]
            assert requested == ([UNITS] if cancel[0] == "ok" else [])
            assert refunds_of(race, number) == []  # nothing refunded until confirmed
        else:
            winners["guest"] += 1
            assert opened[0] in LOSSES, opened
            assert opened[0] == "conflict" or opened[1] == "units_unavailable"
            assert cancelled_in_full, cancel
            assert ledger.cancelled == UNITS
            assert order.packages == ()
            assert len(refunds_of(race, number)) == 1
    print(f"\n(a) {race.mode}: {dict(winners)}")


def test_cancel_in_processing_races_the_shipment(race: Race) -> None:
    """(b) The units are in a package. A guest cancels them, the warehouse ships the
    package, and a clerk confirms (two rounds in four) or refuses the cancel request as soon
    as it appears. The request ends confirmed, refused or shipped anyway (never open), and
    no unit is both cancelled and shipped."""
    numbers = race.orders(2 * ROUNDS)
    for number in numbers:
        race.desk.warehouse.start_processing(number, "P1", "Reno, NV", {1: UNITS})
    outcomes = race.run(["cancel", "ship", "clerk"], numbers)
    check_no_escapes(outcomes)
    endings: Counter[str] = Counter()
    for round_no, number in enumerate(numbers):
        cancel, shipped, clerk = (
            outcomes[(role, round_no)] for role in ("cancel", "ship", "clerk")
        )
        order = stored(race.desk, number)
        ledger = order.ledger(1)
        states = [r.state for r in order.cancel_requests]
        assert not (ledger.cancelled and ledger.shipped), (ledger, cancel, shipped, clerk)
        assert CancelState.REQUESTED not in states, states
        assert len(states) <= 1
        decided_before_asked = [
            r for r in order.cancel_requests if r.decided_at and r.decided_at < r.requested_at
        ]
        assert decided_before_asked == [], (cancel, shipped, clerk)
        refunds = refunds_of(race, number)
        if states == [CancelState.CONFIRMED]:
            endings["confirmed"] += 1
            assert clerk[0] == "ok"
            assert ledger.cancelled == UNITS
            assert ledger.shipped == 0
            assert shipped[0] in LOSSES, shipped  # the package was emptied first
            assert shipped[0] == "conflict" or shipped[1] == "unknown_package"
            assert len(refunds) == 1
            assert tracking_mails(race.desk, number) == 0
        else:
            assert shipped[0] == "ok", (shipped, states)
            assert ledger.shipped == UNITS
            assert ledger.cancelled == 0
            assert refunds == []
            if states == [CancelState.REFUSED]:
                endings["refused"] += 1
                assert clerk[0] == "ok"
            elif states == [CancelState.SHIPPED_ANYWAY]:
                endings["shipped_anyway"] += 1
                assert clerk[0] in ("idle", *LOSSES), clerk
            else:  # the shipment came before the cancel: nothing left to cancel
                endings["shipped_first"] += 1
                assert states == []
                assert cancel in (("ok", f"line1:already_shipped:0/0/{UNITS}"),) or (
                    cancel[0] == "conflict"
                ), cancel
    print(f"\n(b) {race.mode}: {dict(endings)}")


def test_a_change_races_start_processing(race: Race) -> None:
    """(c) A guest asks for fewer units (the store auto-approves, so it applies at once)
    while the warehouse opens a package with all of them: exactly one wins."""
    numbers = race.orders(ROUNDS)
    outcomes = race.run(["change", "open"], numbers)
    check_no_escapes(outcomes)
    winners: Counter[str] = Counter()
    for round_no, number in enumerate(numbers):
        change, opened = outcomes[("change", round_no)], outcomes[("open", round_no)]
        assert [change[0], opened[0]].count("ok") == 1, (change, opened)
        order = stored(race.desk, number)
        ledger = order.ledger(1)
        if change[0] == "ok":
            winners["change"] += 1
            assert change == ("ok", "CH1:applied")
            assert opened[0] == "conflict" or opened == ("refused", "units_unavailable")
            assert (ledger.ordered, ledger.cancelled, ledger.processing) == (UNITS, UNITS - 1, 0)
            assert [r.state for r in order.change_requests] == [ChangeState.APPLIED]
            assert len(refunds_of(race, number)) == 1
        else:
            winners["warehouse"] += 1
            assert change[0] == "conflict" or change == ("refused", "in_processing")
            assert (ledger.cancelled, ledger.processing) == (0, UNITS)
            assert order.change_requests == ()  # a refused command stores nothing
            assert refunds_of(race, number) == []
    print(f"\n(c) {race.mode}: {dict(winners)}")


def test_a_staff_approval_races_start_processing(race: Race) -> None:
    """(c, staff side) Customer service approves and applies a guest's recorded line removal
    while the warehouse opens a package with the line: exactly one wins; the loser's change
    stays requested."""
    numbers = race.orders(ROUNDS)
    for number in numbers:
        token = guest_pass(race.desk, number)
        race.desk.guest(client="setup", guest_pass=token).request_change(number, LineRemoval(1))
    outcomes = race.run(["approve", "open"], numbers)
    check_no_escapes(outcomes)
    for round_no, number in enumerate(numbers):
        approved, opened = outcomes[("approve", round_no)], outcomes[("open", round_no)]
        assert [approved[0], opened[0]].count("ok") == 1, (approved, opened)
        order = stored(race.desk, number)
        ledger = order.ledger(1)
        (request,) = order.change_requests
        if approved[0] == "ok":
            assert request.state is ChangeState.APPLIED
            assert (ledger.cancelled, ledger.processing) == (UNITS, 0)
        else:
            assert approved[0] == "conflict" or approved == ("refused", "in_processing")
            assert request.state is ChangeState.REQUESTED
            assert (ledger.cancelled, ledger.processing) == (0, UNITS)


def test_many_ship_the_same_package(race: Race) -> None:
    """(d) Several warehouse clients ship the same (last) package at once: exactly one
    ships it, the others are refused, and exactly one tracking mail is queued."""
    numbers = race.orders(ROUNDS)
    for number in numbers:
        race.desk.warehouse.start_processing(number, "P1", "Reno, NV", {1: UNITS, 2: 1})
    shippers = [f"ship{index}" for index in range(SHIPPERS)]
    outcomes = race.run(shippers, numbers)
    check_no_escapes(outcomes)
    for round_no, number in enumerate(numbers):
        results = [outcomes[(shipper, round_no)] for shipper in shippers]
        assert [kind for kind, _ in results].count("ok") == 1, results
        for kind, detail in results:
            assert kind == "ok" or kind == "conflict" or detail == "already_shipped", results
        (winner,) = [s for s, (kind, _) in zip(shippers, results, strict=True) if kind == "ok"]
        order = stored(race.desk, number)
        (package,) = order.packages
        assert package.shipped_at is not None
        assert package.tracking_number == f"1Z{round_no:06d}{winner[-1]}X"
        assert order.ledger(1).shipped == UNITS
        assert tracking_mails(race.desk, number) == 1


def test_a_cancel_request_races_the_shipment(race: Race) -> None:
    """(e) A guest cancels units in processing while the warehouse ships their package:
    either the shipment comes first (nothing left to cancel) or the request is shipped
    anyway, decided after it was asked even when the shipment waited for it (SECURITY G6)."""
    numbers = race.orders(TIME_ROUNDS)
    for number in numbers:
        race.desk.warehouse.start_processing(number, "P1", "Reno, NV", {1: UNITS})
    outcomes = race.run(["cancel", "ship"], numbers)
    check_no_escapes(outcomes)
    endings: Counter[str] = Counter()
    for round_no, number in enumerate(numbers):
        cancel, shipped = outcomes[("cancel", round_no)], outcomes[("ship", round_no)]
        assert shipped[0] == "ok", shipped
        order = stored(race.desk, number)
        requests = order.cancel_requests
        if cancel == ("ok", f"line1:cancel_requested:0/{UNITS}/0"):
            endings["shipped_anyway"] += 1
            (request,) = requests
            assert request.state is CancelState.SHIPPED_ANYWAY
            assert request.decided_at is not None
            assert request.decided_at >= request.requested_at, "decided before asked"
        else:
            endings["shipped_first"] += 1
            assert requests == ()
            assert cancel[0] == "conflict" or cancel[1].startswith("line1:already_shipped"), cancel
    print(f"\n(e) {race.mode}: {dict(endings)}")


def test_a_delivery_races_the_shipment(race: Race) -> None:
    """(f) The carrier reports a package delivered, again and again, while the warehouse
    ships it: the delivery is recorded after the shipment; never refused as
    ``before_shipping`` because it read its time before it waited (SECURITY G6)."""
    numbers = race.orders(TIME_ROUNDS)
    for number in numbers:
        race.desk.warehouse.start_processing(number, "P1", "Reno, NV", {1: UNITS, 2: 1})
    outcomes = race.run(["ship", "courier"], numbers)
    check_no_escapes(outcomes)
    for round_no, number in enumerate(numbers):
        shipped, delivered = outcomes[("ship", round_no)], outcomes[("courier", round_no)]
        assert shipped[0] == "ok", shipped
        assert delivered[0] == "ok", delivered
        (package,) = stored(race.desk, number).packages
        assert package.shipped_at is not None
        assert package.delivered_at is not None
        assert package.delivered_at >= package.shipped_at
