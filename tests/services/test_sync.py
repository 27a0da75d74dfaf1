"""Order sync: the store's order system upserts orders; the library's own records stand."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    CancelState,
    ImportRecordError,
    InvalidFieldError,
    Order,
    OrderFound,
    OrderNotFound,
    ReturnAnswer,
    ReturnDraft,
    TrackingMail,
    UpsertRefusal,
)
from orderstatus_core.messages import GuestPassMail
from orderstatus_core.model.requests import AddressChange
from orderstatus_core.policies.sync import SYNC_REASONS
from orderstatus_core.ports import Storage
from orderstatus_core.services import (
    GuestPassGranted,
    GuestProof,
    ServiceContext,
    cancel_order,
    find_order,
    import_orders,
    read_json_lines,
    request_change,
    request_guest_pass,
    request_return,
    start_processing,
    upsert_orders,
    verify_guest_code,
)
from orderstatus_core.testing import FixedClock, fake_context, queued_mail
from orderstatus_core.testing.builders import address, line, make_order, package
from orderstatus_sqlite import SqliteStorage
from support.feeds import record_of, store_view
from support.guest_passes import earn_guest_pass

NUMBER = "123456789"
JANE = "jane.doe@example.com"
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _order(**overrides: Any) -> Order:
    """Line 1: three units of 10.00, two of them shipped and delivered in P1; line 2: one
    unit of 5.00, not packed."""
    fields: dict[str, Any] = {
        "lines": [line(1, quantity=3, price="10.00"), line(2, "RT-77", price="5.00")],
        "packages": [
            package(
                "P1", [(1, 2)], shipped_after=timedelta(days=1), delivered_after=timedelta(days=3)
            )
        ],
    }
    fields.update(overrides)
    return make_order(NUMBER, **fields)


ORIGINAL = _order()


@pytest.fixture
def ctx() -> ServiceContext:
    """A store holding :data:`ORIGINAL`, stored by an upsert."""
    context = fake_context(clock=FixedClock(NOW))
    assert upsert_orders(context, [record_of(ORIGINAL)]).created == (NUMBER,)
    return context


def _stored(ctx: ServiceContext, number: str = NUMBER) -> Order:
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(number)
    assert order is not None
    return order


def _outbox(ctx: ServiceContext) -> list[object]:
    with ctx.storage.unit_of_work() as uow:
        return [m.intent for m in uow.outbox.due(ctx.clock.now() + timedelta(days=400), 1000)]


def _pass(ctx: ServiceContext, identifier: str = JANE) -> str:
    return earn_guest_pass(ctx, NUMBER, identifier).token


def _lines(*changed: dict[str, Any]) -> list[dict[str, Any]]:
    """The original record's lines, each updated by the matching dict (by position)."""
    lines: list[dict[str, Any]] = store_view(ORIGINAL)["lines"]
    return [
        {**old, **new} for old, new in zip(lines, [*changed, *([{}] * len(lines))], strict=False)
    ]


def _refused(ctx: ServiceContext, record: str) -> UpsertRefusal:
    before = _stored(ctx)
    outbox = _outbox(ctx)
    report = upsert_orders(ctx, [record])
    assert report.created == report.updated == report.unchanged == ()
    assert _stored(ctx) == before, "a refused update stores nothing"
    assert _outbox(ctx) == outbox, "a refused update queues nothing"
    [refusal] = report.refused
    return refusal


class TestCreateAndUpdate:
    """A new number is stored as import stores it; a known one is merged."""

    def test_a_new_order_is_created_as_import_would_store_it(self, ctx: ServiceContext) -> None:
        """The record of an unknown number is stored as given."""
        assert _stored(ctx) == ORIGINAL

    def test_the_same_record_again_writes_nothing(self, ctx: ServiceContext) -> None:
        """Idempotent: no new version, no outbox message, reported as unchanged."""
        outbox = _outbox(ctx)
        report = upsert_orders(ctx, [record_of(ORIGINAL)])
        assert report.unchanged == (NUMBER,)
        assert _stored(ctx).version == 1
        assert _outbox(ctx) == outbox

    def test_a_store_owned_change_is_stored_with_the_next_version(
        self, ctx: ServiceContext
    ) -> None:
        """A corrected price of an untouched line, a new line and new shipping charges apply."""
        added = {**store_view(ORIGINAL)["lines"][1], "line_no": 3, "part_number": "OF-9"}
        record = record_of(
            ORIGINAL, lines=[*_lines({}, {"unit_price": "4.50 USD"}), added], shipping="4.00 USD"
        )
        assert upsert_orders(ctx, [record]).updated == (NUMBER,)
        order = _stored(ctx)
        assert order.version == 2
        assert str(order.line(2).unit_price.amount) == "4.50"
        assert order.line(3).part_number.display == "OF-9"
        assert upsert_orders(ctx, [record]).unchanged == (NUMBER,)

    def test_each_record_is_reported_in_feed_order(self, ctx: ServiceContext) -> None:
        """Created, updated, unchanged and refused records are each listed once."""
        other = make_order("987654321", email="someone@example.com")
        feed = [
            record_of(other),
            record_of(ORIGINAL, tax="3.00 USD"),
            record_of(ORIGINAL, tax="3.00 USD"),
            record_of(ORIGINAL, currency="EUR"),
        ]
        report = upsert_orders(ctx, feed)
        assert (report.created, report.updated, report.unchanged) == (
            ("987654321",),
            (NUMBER,),
            (NUMBER,),
        )
        assert [(r.line, r.reason) for r in report.refused] == [(4, "invalid_record")]
        assert report.count == 4

    def test_a_stale_record_keeps_the_library_s_counts(self, ctx: ServiceContext) -> None:
        """The store does not know about a guest's cancel: its old record cancels nothing back."""
        answer = cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {2: 1})
        assert answer is not None
        after_cancel = _stored(ctx)
        assert after_cancel.line(2).cancelled == 1
        assert upsert_orders(ctx, [record_of(ORIGINAL)]).unchanged == (NUMBER,)
        assert _stored(ctx) == after_cancel

    def test_library_fields_in_a_record_never_overwrite_the_library_s(
        self, ctx: ServiceContext
    ) -> None:
        """``cancelled``, ``returned``, requests and refunds in a record are ignored on update."""
        data = store_view(ORIGINAL)
        data["lines"][1]["cancelled"] = 1
        data["shipping_speed"] = "overnight"
        data["version"] = 7
        assert upsert_orders(ctx, [json.dumps(data)]).unchanged == (NUMBER,)
        assert _stored(ctx) == ORIGINAL


class TestPackages:
    """The store's warehouse adds packages and tracking; shipment history only grows."""

    def test_the_warehouse_ships_the_rest_and_the_tracking_mail_goes_once(
        self, ctx: ServiceContext
    ) -> None:
        """Shipping the last units by upsert queues the tracking mail, once."""
        shipped = package(
            "P2",
            [(1, 1), (2, 1)],
            shipped_after=timedelta(days=5),
            tracking_number="1Z999AA10123456785",
        )
        record = record_of(
            ORIGINAL,
            packages=[
                *store_view(ORIGINAL)["packages"],
                store_view(_order(packages=[shipped]))["packages"][0],
            ],
        )
        assert upsert_orders(ctx, [record]).updated == (NUMBER,)
        assert upsert_orders(ctx, [record]).unchanged == (NUMBER,)
        mails = [m for m in _outbox(ctx) if isinstance(m, TrackingMail)]
        assert len(mails) == 1
        assert {p.package_id for p in mails[0].packages} == {"P1", "P2"}

    def test_a_package_left_out_of_the_record_is_kept(self, ctx: ServiceContext) -> None:
        """A record without packages (an order system that does not track them) removes none."""
        assert upsert_orders(ctx, [record_of(ORIGINAL, packages=[])]).unchanged == (NUMBER,)
        assert _stored(ctx).packages == ORIGINAL.packages

    def test_a_record_without_shipment_times_does_not_unship(self, ctx: ServiceContext) -> None:
        """A stale record of a package (not yet shipped) leaves the stored times as they are."""
        data = store_view(ORIGINAL)
        data["packages"][0].update(shipped_at=None, delivered_at=None)
        assert upsert_orders(ctx, [json.dumps(data)]).unchanged == (NUMBER,)

    def test_tracking_can_be_corrected(self, ctx: ServiceContext) -> None:
        """Carrier and tracking number of a stored package follow the record."""
        data = store_view(ORIGINAL)
        data["packages"][0]["tracking_number"] = "1Z999AA10123456799"
        assert upsert_orders(ctx, [json.dumps(data)]).updated == (NUMBER,)
        assert _stored(ctx).package("P1").tracking_number == "1Z999AA10123456799"

    def test_a_shipment_time_cannot_be_rewritten(self, ctx: ServiceContext) -> None:
        """Refused: package_history, naming the field."""
        data = store_view(ORIGINAL)
        data["packages"][0]["shipped_at"] = "2026-11-02T11:00:00Z"
        refusal = _refused(ctx, json.dumps(data))
        assert (refusal.reason, refusal.field) == ("package_history", "$.packages[0].shipped_at")

    def test_shipping_a_package_with_an_open_cancel_settles_it_as_shipped_anyway(
        self, ctx: ServiceContext
    ) -> None:
        """The guest keeps the free return, as when the library's warehouse ships it."""
        start_processing(ctx, NUMBER, "P2", "Reno, NV", {2: 1})
        answer = cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {2: 1})
        assert answer is not None
        data = store_view(_stored(ctx))
        data["packages"][1].update(
            carrier="UPS", tracking_number="1Z999AA10123456785", shipped_at="2026-11-10T12:30:00Z"
        )
        assert upsert_orders(ctx, [json.dumps(data)]).updated == (NUMBER,)
        [request] = _stored(ctx).cancel_requests
        assert request.state is CancelState.SHIPPED_ANYWAY
        assert request.decided_at == NOW


class TestRefusals:
    """An update that contradicts the library's records is refused with a reason code."""

    def test_the_currency_never_changes(self, ctx: ServiceContext) -> None:
        """Refused: currency_changed (every amount in EUR, so the record itself is valid)."""
        data = store_view(ORIGINAL)
        text = json.dumps(data).replace(" USD", " EUR").replace('"USD"', '"EUR"')
        assert _refused(ctx, text).reason == "currency_changed"

    def test_the_address_cannot_change_after_a_package_shipped(self, ctx: ServiceContext) -> None:
        """Refused: address_after_shipment."""
        moved = store_view(_order(shipping_address=address(line1="1 Other St")))["shipping_address"]
        refusal = _refused(ctx, record_of(ORIGINAL, shipping_address=moved))
        assert (refusal.reason, refusal.field) == ("address_after_shipment", "$.shipping_address")

    def test_the_address_follows_the_store_before_shipping(self) -> None:
        """With nothing shipped, a new address is stored."""
        ctx = fake_context(clock=FixedClock(NOW))
        fresh = _order(packages=[])
        upsert_orders(ctx, [record_of(fresh)])
        moved = _order(packages=[], shipping_address=address(line1="1 Other St"))
        assert upsert_orders(ctx, [record_of(moved)]).updated == (NUMBER,)
        assert _stored(ctx).shipping_address.line1 == "1 Other St"

    def test_a_guest_s_address_change_request_locks_the_address(self) -> None:
        """Refused: address_locked, so a stale record cannot undo what the guest asked."""
        ctx = fake_context(clock=FixedClock(NOW))
        upsert_orders(ctx, [record_of(_order(packages=[]))])
        request_change(
            ctx,
            GuestProof(client="c", guest_pass=_pass(ctx)),
            NUMBER,
            AddressChange(address(line1="9 Guest Rd")),
        )
        moved = _order(packages=[], shipping_address=address(line1="1 Other St"))
        assert _refused(ctx, record_of(moved)).reason == "address_locked"

    def test_a_line_with_an_open_return_cannot_be_removed(self, ctx: ServiceContext) -> None:
        """Refused: line_in_use (the issue's own example)."""
        draft = ReturnDraft(kind="return", reason="does_not_fit", units={1: 1})
        assert isinstance(
            request_return(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, draft),
            ReturnAnswer,
        )
        refusal = _refused(ctx, record_of(ORIGINAL, lines=_lines()[1:], packages=[]))
        assert (refusal.reason, refusal.field) == ("line_in_use", "$.lines")
        assert "line 1" in refusal.message

    def test_an_untouched_line_can_be_removed(self, ctx: ServiceContext) -> None:
        """Line 2 has nothing packed, cancelled or requested: the store may drop it."""
        assert upsert_orders(ctx, [record_of(ORIGINAL, lines=_lines()[:1])]).updated == (NUMBER,)
        assert [line.line_no for line in _stored(ctx).lines] == [1]

    def test_a_quantity_below_what_is_accounted_for_is_refused(self, ctx: ServiceContext) -> None:
        """Refused: quantity_below_used (two units of line 1 shipped)."""
        refusal = _refused(ctx, record_of(ORIGINAL, lines=_lines({"quantity": 1}), packages=[]))
        assert (refusal.reason, refusal.field) == ("quantity_below_used", "$.lines[0].quantity")

    def test_a_shipped_line_s_part_cannot_change(self, ctx: ServiceContext) -> None:
        """Refused: part_locked."""
        refusal = _refused(ctx, record_of(ORIGINAL, lines=_lines({"part_number": "BP-9999"})))
        assert (refusal.reason, refusal.field) == ("part_locked", "$.lines[0].part_number")

    def test_a_refunded_line_s_price_cannot_change(self, ctx: ServiceContext) -> None:
        """Refused: price_locked, for the line and for the order's shipping and tax."""
        cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {2: 1})
        refusal = _refused(ctx, record_of(ORIGINAL, lines=_lines({}, {"unit_price": "4.00 USD"})))
        assert (refusal.reason, refusal.field) == ("price_locked", "$.lines[1].unit_price")
        assert _refused(ctx, record_of(ORIGINAL, tax="1.00 USD")).reason == "price_locked"

    def test_an_update_breaking_an_order_rule_is_refused_as_invalid(
        self, ctx: ServiceContext
    ) -> None:
        """A new package of the units a guest cancelled meanwhile breaks the ledger."""
        cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {1: 1})
        late = store_view(_order(packages=[package("P2", [(1, 1)])]))["packages"][0]
        refusal = _refused(
            ctx, record_of(ORIGINAL, packages=[*store_view(ORIGINAL)["packages"], late])
        )
        assert refusal.reason == "invalid"
        assert refusal.field.startswith("$.lines")

    def test_every_reason_has_a_sentence(self) -> None:
        """A front-end can show each code; the table in the docs lists the same codes."""
        assert all(text.strip() for text in SYNC_REASONS.values())


class TestContact:
    """The store owns the email and phone; the look-up keys follow (SECURITY A4, A6)."""

    def test_a_new_email_re_keys_the_order(self, ctx: ServiceContext) -> None:
        """Found by the new address, no longer by the old one."""
        assert upsert_orders(ctx, [record_of(ORIGINAL, email="jane@new.example")]).updated == (
            NUMBER,
        )
        assert isinstance(find_order(ctx, "jane@new.example", NUMBER, client="c"), OrderFound)
        assert isinstance(find_order(ctx, JANE, NUMBER, client="c2"), OrderNotFound)

    def test_on_sqlite_the_stored_look_up_key_follows_too(self, tmp_path: Path) -> None:
        """The SQLite adapter keeps an email_key column: the upsert's save updates it."""
        storage = SqliteStorage.from_url(f"sqlite:///{(tmp_path / 'orders.db').as_posix()}")
        try:
            storage.migrate()
            ctx = fake_context(storage, clock=FixedClock(NOW))
            upsert_orders(ctx, [record_of(ORIGINAL)])
            upsert_orders(ctx, [record_of(ORIGINAL, email="Jane@New.example")])
            assert isinstance(find_order(ctx, "jane@new.example", NUMBER, client="c"), OrderFound)
            assert isinstance(find_order(ctx, JANE, NUMBER, client="c2"), OrderNotFound)
        finally:
            storage.close()

    def test_a_new_phone_finds_the_order_and_the_old_one_does_not(
        self, ctx: ServiceContext
    ) -> None:
        """The phone is the store's too."""
        assert upsert_orders(ctx, [record_of(ORIGINAL, phone="+14155552672")]).updated == (NUMBER,)
        assert isinstance(find_order(ctx, "+14155552672", NUMBER, client="c"), OrderFound)
        assert isinstance(find_order(ctx, "+14155552671", NUMBER, client="c2"), OrderNotFound)

    def test_a_code_mailed_to_the_old_address_no_longer_opens_the_order(
        self, ctx: ServiceContext
    ) -> None:
        """The open challenge closes with the email change."""
        request_guest_pass(ctx, JANE, NUMBER, client="c")
        [mail] = [m for m in queued_mail(ctx) if isinstance(m, GuestPassMail)]
        upsert_orders(ctx, [record_of(ORIGINAL, email="jane@new.example")])
        assert not isinstance(
            verify_guest_code(ctx, NUMBER, mail.code, client="c"), GuestPassGranted
        )


class TestBadInput:
    """A bad record is refused as import refuses it; bad arguments are errors."""

    @pytest.mark.parametrize(
        ("text", "field"),
        [
            ("{not json", "$"),
            ("[1, 2]", "$"),
            (record_of(ORIGINAL, number="1; DROP TABLE orders;--"), "$.number"),
            (
                record_of(ORIGINAL, lines=_lines({"description": "pads \u202e sdrawkcab"})),
                "$.lines[0].description",
            ),
            (record_of(ORIGINAL, lines=_lines({"brand": "x" * 65})), "$.lines[0].brand"),
            (record_of(ORIGINAL, lines=_lines({"quantity": 0})), "$.lines[0].quantity"),
            (record_of(ORIGINAL, shiping="1.00 USD"), "$"),
        ],
    )
    def test_a_malformed_record_is_refused_with_the_import_s_text(
        self, ctx: ServiceContext, text: str, field: str
    ) -> None:
        """Reported as invalid_record with the import's own error text; the feed goes on."""
        with pytest.raises(ImportRecordError) as caught:
            import_orders(fake_context(), [text])
        other = record_of(make_order("987654321", email="someone@example.com"))
        report = upsert_orders(ctx, [text, other])
        [refusal] = report.refused
        assert refusal == UpsertRefusal(1, None, "invalid_record", field, str(caught.value))
        assert report.created == ("987654321",)
        assert _stored(ctx) == ORIGINAL

    def test_an_unreadable_stream_stops_after_storing_what_came_before(self) -> None:
        """Not UTF-8: ImportRecordError; the records before it are stored (one unit each)."""
        ctx = fake_context(clock=FixedClock(NOW))
        stream = io.BytesIO(record_of(ORIGINAL).encode() + b"\n\xff\xfe\n")
        with pytest.raises(ImportRecordError, match="line 2"):
            upsert_orders(ctx, read_json_lines(stream))
        assert _stored(ctx) == ORIGINAL

    @pytest.mark.parametrize("lines", ["one string", b"bytes", 42, None])
    def test_lines_must_be_an_iterable_of_text(self, lines: Any) -> None:
        """One string, bytes or a number is refused before anything is read."""
        with pytest.raises(InvalidFieldError):
            upsert_orders(fake_context(), lines)

    def test_progress_must_be_callable(self) -> None:
        """A progress that cannot be called is refused."""
        with pytest.raises(InvalidFieldError):
            upsert_orders(fake_context(), [], progress=5)  # type: ignore[arg-type]

    def test_progress_hears_the_count_at_the_end(self, ctx: ServiceContext) -> None:
        """Once at the end with every record counted, refused ones too."""
        heard: list[int] = []
        upsert_orders(ctx, [record_of(ORIGINAL), "", "{bad"], progress=heard.append)
        assert heard == [2]


class _FailingSaves:
    """A storage whose order saves fail, as a disk that filled up."""

    def __init__(self, inner: Storage) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        return _FailingUnit(self._inner.unit_of_work(write=write, read_once=read_once))


@attrs.define
class _FailingUnit:
    inner: Any

    def __enter__(self) -> Any:
        uow = self.inner.__enter__()
        return _Wrapped(uow)

    def __exit__(self, *exc: object) -> Any:
        return self.inner.__exit__(*exc)


@attrs.define
class _Wrapped:
    uow: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self.uow, name)

    @property
    def orders(self) -> Any:
        return _Orders(self.uow.orders)


@attrs.define
class _Orders:
    inner: Any

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def save(self, order: Order) -> None:
        raise AdapterError("disk full")


def test_a_storage_failure_is_an_error_and_stores_nothing_of_that_order() -> None:
    """The adapter's error reaches the caller; the order keeps its stored version."""
    ctx = fake_context(clock=FixedClock(NOW))
    upsert_orders(ctx, [record_of(ORIGINAL)])
    failing = attrs.evolve(ctx, storage=_FailingSaves(ctx.storage))
    with pytest.raises(AdapterError):
        upsert_orders(failing, [record_of(ORIGINAL, tax="3.00 USD")])
    assert _stored(ctx) == ORIGINAL


def test_the_clock_is_read_after_the_lock(ctx: ServiceContext) -> None:
    """A shipped-anyway decision carries the time of the upsert, never an earlier one."""
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(hours=1))
    start_processing(ctx, NUMBER, "P2", "Reno, NV", {2: 1})
    cancel_order(ctx, GuestProof(client="c", guest_pass=_pass(ctx)), NUMBER, {2: 1})
    ctx.clock.advance(timedelta(hours=1))
    data = store_view(_stored(ctx))
    data["packages"][1].update(shipped_at="2026-11-10T13:30:00Z")
    upsert_orders(ctx, [json.dumps(data)])
    [request] = _stored(ctx).cancel_requests
    assert request.decided_at == NOW + timedelta(hours=2)
