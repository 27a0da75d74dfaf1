"""The warehouse side: open a package, ship it, deliver it; mail when the last one ships."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from orderstatus_core import (
    ActionRefusedError,
    ConflictError,
    FieldTooLongError,
    InvalidFieldError,
    OrderFound,
    OrderNotFoundError,
    OrderState,
    TrackingMail,
)
from orderstatus_core.services import (
    ServiceContext,
    find_order,
    mark_delivered,
    relay_outbox,
    ship,
    start_processing,
)
from orderstatus_core.testing import FixedClock, RecordingMailer, fake_context
from orderstatus_core.testing.builders import line, make_order

NUMBER = "123456789"


@pytest.fixture
def ctx() -> ServiceContext:
    """Jane's order: line 1 of three units, line 2 of one, nothing processed yet."""
    context = fake_context()
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, quantity=3), line(2, "RT-77")]))
        uow.commit()
    return context


def _queued(ctx: ServiceContext) -> list[object]:
    with ctx.storage.unit_of_work() as uow:
        return [message.intent for message in uow.outbox.due(ctx.clock.now(), 100)]


def _advance(ctx: ServiceContext, hours: int = 1) -> None:
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=hours))


def test_opening_a_package_puts_its_units_in_processing(ctx: ServiceContext) -> None:
    """Units in an open package are *in processing*; the version goes up by one."""
    order = start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 2})
    assert (order.ledger(1).processing, order.ledger(1).awaiting) == (2, 1)
    assert order.status is OrderState.PROCESSING
    assert order.version == 2


def test_units_already_in_a_package_cannot_go_in_another(ctx: ServiceContext) -> None:
    """Three units ordered, two packed: a second package of two is refused."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 2})
    with pytest.raises(ActionRefusedError) as refused:
        start_processing(ctx, NUMBER, "P2", "Columbus, OH", {1: 2})
    assert refused.value.code == "units_unavailable"


@pytest.mark.parametrize(
    ("units", "code"),
    [({}, "empty_package"), ({9: 1}, "unknown_line"), ({1: 4}, "units_unavailable")],
)
def test_impossible_packages_are_refused_with_a_reason(
    ctx: ServiceContext, units: dict[int, int], code: str
) -> None:
    """Each refusal carries a machine-readable code."""
    with pytest.raises(ActionRefusedError) as refused:
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", units)
    assert refused.value.code == code


def test_a_package_id_is_used_once_per_order(ctx: ServiceContext) -> None:
    """Two packages of one order never share an id."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
    with pytest.raises(ActionRefusedError, match="already has a package P1"):
        start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})


def test_shipping_and_delivering_follow_each_other(ctx: ServiceContext) -> None:
    """Open, ship, deliver: the ledger and status follow."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
    _advance(ctx)
    shipped = ship(ctx, NUMBER, "P1", "UPS", "1Z999AA10123456784")
    assert shipped.status is OrderState.SHIPPED
    _advance(ctx, 30)
    delivered = mark_delivered(ctx, NUMBER, "P1")
    assert delivered.status is OrderState.DELIVERED
    assert delivered.version == 4


def test_a_package_ships_once(ctx: ServiceContext) -> None:
    """Shipping a shipped package is refused."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
    ship(ctx, NUMBER, "P1", "UPS", "1Z1")
    with pytest.raises(ActionRefusedError) as refused:
        ship(ctx, NUMBER, "P1", "FedEx", "7")
    assert refused.value.code == "already_shipped"


def test_only_a_shipped_package_is_delivered_and_only_once(ctx: ServiceContext) -> None:
    """Delivery needs a shipment first and happens once."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
    with pytest.raises(ActionRefusedError) as refused:
        mark_delivered(ctx, NUMBER, "P1")
    assert refused.value.code == "not_shipped"
    ship(ctx, NUMBER, "P1", "UPS", "1Z1")
    mark_delivered(ctx, NUMBER, "P1")
    with pytest.raises(ActionRefusedError) as again:
        mark_delivered(ctx, NUMBER, "P1")
    assert again.value.code == "already_delivered"


def test_an_unknown_package_is_refused(ctx: ServiceContext) -> None:
    """Steps name packages of this order only."""
    with pytest.raises(ActionRefusedError) as refused:
        ship(ctx, NUMBER, "NOPE", "UPS", "1Z1")
    assert refused.value.code == "unknown_package"


@pytest.mark.parametrize("number", ["999999999", "12#4", "", "x" * 100])
def test_an_unknown_or_malformed_order_number_is_order_not_found(
    ctx: ServiceContext, number: str
) -> None:
    """Staff commands say plainly that the order is not there."""
    with pytest.raises(OrderNotFoundError):
        ship(ctx, number, "P1", "UPS", "1Z1")


@pytest.mark.parametrize(
    ("carrier", "tracking", "error"),
    [
        ("UPS\r\nBcc: x@evil.example", "1Z1", InvalidFieldError),
        ("UPS", "1Z\x00", InvalidFieldError),
        ("U" * 33, "1Z1", FieldTooLongError),
        ("UPS", "9" * 65, FieldTooLongError),
    ],
)
def test_hostile_carrier_and_tracking_text_is_refused(
    ctx: ServiceContext, carrier: str, tracking: str, error: type[Exception]
) -> None:
    """Staff input is validated like a stranger's (SECURITY H3) and nothing is saved."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 1})
    with pytest.raises(error):
        ship(ctx, NUMBER, "P1", carrier, tracking)
    with ctx.storage.unit_of_work() as uow:
        stored = uow.orders.get(NUMBER)
    assert stored is not None
    assert stored.package("P1").shipped_at is None


def test_the_tracking_mail_waits_for_the_last_package(ctx: ServiceContext) -> None:
    """Two packages: no mail after the first ships, one mail listing both after the second."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3})
    start_processing(ctx, NUMBER, "P2", "Reno, NV", {2: 1})
    ship(ctx, NUMBER, "P1", "UPS", "1Z999AA10123456784")
    assert _queued(ctx) == []
    ship(ctx, NUMBER, "P2", "USPS", "9400111899223197428490")
    (mail,) = _queued(ctx)
    assert isinstance(mail, TrackingMail)
    assert mail.to.display == "Jane.Doe@example.com"
    assert [(n.package_id, n.carrier) for n in mail.packages] == [("P1", "UPS"), ("P2", "USPS")]
    assert mail.packages[0].tracking_url == "https://www.ups.com/track?tracknum=1Z999AA10123456784"


def test_the_tracking_mail_is_rendered_and_delivered(ctx: ServiceContext) -> None:
    """The relay delivers it with every tracking number in the text."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
    ship(ctx, NUMBER, "P1", "FedEx", "123456789012")
    relay_outbox(ctx)
    assert isinstance(ctx.mailer, RecordingMailer)
    (sent,) = ctx.mailer.sent
    assert sent.subject == f"Your order {NUMBER} has shipped"
    assert "FedEx 123456789012" in sent.text


def test_the_timeline_shows_each_step_in_order(ctx: ServiceContext) -> None:
    """placed, processing, shipped, delivered: in time order in the guest's view."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
    _advance(ctx)
    ship(ctx, NUMBER, "P1", "UPS", "1Z1")
    _advance(ctx, 48)
    mark_delivered(ctx, NUMBER, "P1")
    found = find_order(ctx, "jane.doe@example.com", NUMBER, client="c")
    assert isinstance(found, OrderFound)
    assert [entry.kind for entry in found.view.timeline] == [
        "placed",
        "processing",
        "shipped",
        "delivered",
    ]


class _StaleSave:
    """A storage whose saves always lose the race."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.inner = ctx.storage
        self.url = "stale://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> object:
        unit = self.inner.unit_of_work(write=write, read_once=read_once)

        class _Orders:
            def __init__(self, real: object) -> None:
                self.real = real

            def get(self, number: str) -> object:
                return self.real.get(number)  # type: ignore[attr-defined]

            def save(self, _order: object) -> None:
                raise ConflictError("another command saved first")

        class _Unit:
            def __enter__(self) -> object:
                entered = unit.__enter__()
                self.orders = _Orders(entered.orders)
                self.outbox = entered.outbox
                return self

            def __exit__(self, *exc: object) -> None:
                unit.__exit__(*exc)  # type: ignore[arg-type]

            def commit(self) -> None:
                unit.commit()

        return _Unit()

    def migrate(self) -> int:
        return 1

    def close(self) -> None:
        pass


def test_a_lost_race_raises_conflict_and_queues_no_mail(ctx: ServiceContext) -> None:
    """ConflictError reaches the caller; the tracking mail is not queued (G1, G2)."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
    stale = fake_context(_StaleSave(ctx))  # type: ignore[arg-type]
    with pytest.raises(ConflictError):
        ship(stale, NUMBER, "P1", "UPS", "1Z1")
    assert _queued(ctx) == []


def test_threads_shipping_one_package_ship_it_once(ctx: ServiceContext) -> None:
    """Eight threads ship P1 at once: exactly one succeeds, seven are refused, one mail."""
    start_processing(ctx, NUMBER, "P1", "Columbus, OH", {1: 3, 2: 1})
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        barrier.wait()
        try:
            ship(ctx, NUMBER, "P1", "UPS", f"1Z{index}")
            result = "shipped"
        except ActionRefusedError as error:
            result = error.code
        except ConflictError:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("shipped") == 1
    assert len(_queued(ctx)) == 1


def test_the_tracking_mail_survives_storage_as_json() -> None:
    """Outbox adapters store intents as JSON; the tracking mail comes back equal."""
    from orderstatus_core import ShipmentNotice, parse_email
    from orderstatus_core.serialization import dump_intent, load_intent

    mail = TrackingMail(
        to=parse_email("Jörg@exämple.com"),
        order_number=NUMBER,
        packages=(ShipmentNotice("P1", "UPS", "1Z1", None), ShipmentNotice("P2", "DHL", "42")),
        language="fi",
    )
    data = dump_intent(mail)
    assert data["kind"] == "tracking"
    assert load_intent(data) == mail
