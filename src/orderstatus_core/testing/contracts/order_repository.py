"""The conformance suite of orders: get and add, compare-and-set saves, ``recent`` and ``search``:
:class:`OrderRepositoryContract`, on the ``storage`` fixture.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import AdapterError, ConflictError, DuplicateOrderError
from orderstatus_core.model import (
    Address,
    CategoryPath,
    Money,
    Order,
    Package,
    PackedUnits,
    PartNumber,
)
from orderstatus_core.policies.cancellation import cancel_units
from orderstatus_core.ports import Storage
from orderstatus_core.records import CategoryQuery, PartNumberQuery
from orderstatus_core.testing import strategies
from orderstatus_core.testing.builders import (
    PLACED_AT,
    address,
    line,
    line_of_two,
    make_order,
    order_of_two_lines,
    package,
    usd,
)
from orderstatus_core.testing.contracts._support import (
    _DAYS3,
    _HOSTILE_KEYS,
    _PROPERTY,
    HOSTILE,
    _Boom,
    _display_forms,
    _fresh,
    _matched_lines,
    _message,
    _numbers,
    _order_with_history,
    _pending,
    _read,
    _save,
    _search,
    _store,
)
from orderstatus_core.testing.contracts.order_queries import OrderQueriesContract

__all__ = ["OrderRepositoryContract"]


class OrderRepositoryContract(OrderQueriesContract):
    """The :class:`~orderstatus_core.ports.OrderRepository` contract: add and get, compare-and-set
    saves, round trips of every field, and the queries of :class:`OrderQueriesContract`.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_an_unknown_order_number_is_none(self, storage: Storage) -> None:
        """``get`` answers ``None`` for a number nobody stored."""
        assert _read(storage, "123456789") is None

    def test_a_committed_order_is_read_back_equal(self, storage: Storage) -> None:
        """An order stored and committed is read back equal, in a new unit of work."""
        order = make_order(
            lines=[line(1, "BP-1234", quantity=3), line(2, "51.12-7", cancelled=1, quantity=2)],
            packages=[
                package("P1", [(1, 2)], shipped_after=timedelta(days=1), delivered_after=_DAYS3),
                package("P2", [(1, 1), (2, 1)]),
            ],
        )
        _store(storage, order)
        stored = _read(storage, order.number)
        assert stored == order
        assert stored is not None
        assert _display_forms(stored) == _display_forms(order)

    def test_get_for_contact_finds_an_order_by_its_email_key_or_phone(
        self, storage: Storage
    ) -> None:
        """The order comes back for its stored email key or E.164 phone, equal to ``get``."""
        order = make_order("123456789", "Jane.Doe@Example.com", "+14155552671")
        _store(storage, order)
        with storage.unit_of_work() as uow:
            assert uow.orders.get_for_contact(order.number, order.email.canonical) == order
            assert uow.orders.get_for_contact(order.number, "+14155552671") == order

    @pytest.mark.parametrize(
        ("number", "contact"),
        [
            ("123456789", "mike.doe@example.com"),  # the order exists, the email is wrong
            ("123456789", "+14155550000"),  # ... the phone is wrong
            ("123456789", "Jane.Doe@Example.com"),  # the display form is not the key
            ("123456789", ""),
            ("123456789", "jane.doe@example.com' OR '1'='1"),
            ("123456789", "jane.doe@example.com\x00"),
            ("123456789", "\ud800"),
            ("987654321", "jane.doe@example.com"),  # another order's number, Jane's key
            ("555555555", "jane.doe@example.com"),  # an unknown number
        ],
    )
    def test_get_for_contact_is_none_for_a_wrong_contact_and_an_unknown_number_alike(
        self, storage: Storage, number: str, contact: str
    ) -> None:
        """A wrong contact, an unknown number and hostile text all answer ``None``."""
        _store(storage, make_order("123456789", "Jane.Doe@Example.com", "+14155552671"))
        _store(storage, make_order("987654321", "mike@example.com", None))
        with storage.unit_of_work() as uow:
            assert uow.orders.get_for_contact(number, contact) is None

    def test_a_unit_sees_its_own_uncommitted_order(self, storage: Storage) -> None:
        """A unit of work reads back what it added before committing."""
        order = make_order()
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order)
            assert uow.orders.get(order.number) == order

    def test_an_uncommitted_order_is_invisible_to_other_units(self, storage: Storage) -> None:
        """Another unit of work sees an added order only after the commit."""
        self._needs("supports_concurrent_units")
        order = make_order()
        with storage.unit_of_work(write=True) as writer:
            writer.orders.add(order)
            with storage.unit_of_work() as reader:
                assert reader.orders.get(order.number) is None
            writer.commit()
        assert _read(storage, order.number) == order

    def test_adding_a_stored_number_raises_duplicate_order_error(self, storage: Storage) -> None:
        """A second order with a committed order's number is refused."""
        _store(storage, make_order(number="123456789"))
        with storage.unit_of_work(write=True) as uow, pytest.raises(DuplicateOrderError):
            uow.orders.add(make_order(number="123456789", email="other@example.com"))

    def test_adding_a_number_twice_in_one_unit_raises_duplicate_order_error(
        self, storage: Storage
    ) -> None:
        """The same number added twice in one unit of work is refused the second time."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="123456789"))
            with pytest.raises(DuplicateOrderError):
                uow.orders.add(make_order(number="123456789"))

    def test_a_refused_duplicate_names_its_number_and_spoils_nothing(
        self, storage: Storage
    ) -> None:
        """``DuplicateOrderError.number`` is the taken number, and the unit goes on: its
        other writes commit."""
        _store(storage, make_order(number="111111111"))
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(DuplicateOrderError) as raised:
                uow.orders.add(make_order(number="111111111", placed_at=PLACED_AT + _DAYS3))
            assert raised.value.number == "111111111"
            uow.orders.add(make_order(number="222222222"))
            uow.outbox.put(_message("M1"))
            uow.commit()
        assert _read(storage, "111111111") == make_order(number="111111111")
        assert _read(storage, "222222222") == make_order(number="222222222")
        assert _pending(storage) == 1

    def test_a_refused_duplicate_keeps_the_stored_order(self, storage: Storage) -> None:
        """After a refused duplicate the first order is still stored, unchanged."""
        first = make_order(number="123456789")
        _store(storage, first)
        with storage.unit_of_work(write=True) as uow, pytest.raises(DuplicateOrderError):
            uow.orders.add(make_order(number="123456789", email="other@example.com"))
        assert _read(storage, "123456789") == first

    def test_orders_added_together_are_read_back_equal(self, storage: Storage) -> None:
        """``add_many`` stores each order as ``add`` would: every field, lines and packages
        in their tuple order, visible after commit."""
        orders = [
            make_order(number="111111111"),
            make_order(
                number="222222222",
                email="mike@example.com",
                phone=None,
                lines=[line(2, "R-77", quantity=3), line(1, "BP-1234")],
                packages=[package("P1", [(2, 2), (1, 1)], shipped_after=timedelta(days=1))],
            ),
            _order_with_history(),
        ]
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.commit()
        for order in orders:
            assert _read(storage, order.number) == order
            stored = _read(storage, order.number)
            assert stored is not None
            assert _display_forms(stored) == _display_forms(order)

    def test_adding_no_orders_writes_nothing(self, storage: Storage) -> None:
        """An empty ``add_many`` is allowed and changes nothing."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many([])
            uow.commit()
        assert _read(storage, "123456789") is None

    @pytest.mark.parametrize(
        ("numbers", "refused"),
        [
            (["111111111", "555555555", "222222222"], "555555555"),  # stored before
            (["111111111", "222222222", "111111111"], "111111111"),  # twice in the batch
            (["111111111", "555555555", "111111111"], "555555555"),  # stored comes first
            (["111111111", "111111111", "555555555"], "111111111"),  # repeat comes first
        ],
    )
    def test_a_bulk_add_with_a_taken_number_stores_none_and_names_the_first(
        self, storage: Storage, numbers: list[str], refused: str
    ) -> None:
        """``add_many`` refuses the first order whose number is stored or came earlier in
        the batch, stores none of the batch, and the unit goes on."""
        _store(storage, make_order(number="555555555"))
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(DuplicateOrderError) as raised:
                uow.orders.add_many([make_order(number=number) for number in numbers])
            assert raised.value.number == refused
            uow.orders.add(make_order(number="333333333"))
            uow.commit()
        assert _read(storage, "111111111") is None
        assert _read(storage, "222222222") is None
        assert _read(storage, "333333333") == make_order(number="333333333")
        assert _read(storage, "555555555") == make_order(number="555555555")

    def test_a_bulk_add_sees_orders_added_earlier_in_the_unit(self, storage: Storage) -> None:
        """A number added (not yet committed) earlier in the same unit is taken too."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many([make_order(number="111111111")])
            with pytest.raises(DuplicateOrderError) as raised:
                uow.orders.add_many(
                    [make_order(number="222222222"), make_order(number="111111111")]
                )
            assert raised.value.number == "111111111"
            uow.commit()
        assert _read(storage, "111111111") == make_order(number="111111111")
        assert _read(storage, "222222222") is None

    def test_orders_added_together_roll_back_with_their_unit(self, storage: Storage) -> None:
        """A unit left without commit keeps none of the orders it added in bulk."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add_many([make_order(number="111111111"), make_order(number="222222222")])
            uow.rollback()
        assert _read(storage, "111111111") is None
        assert _read(storage, "222222222") is None

    def test_a_saved_order_is_read_back_equal_after_commit(self, storage: Storage) -> None:
        """A change saved and committed is read back equal, with its new version, in a new
        unit of work."""
        order = make_order()
        _store(storage, order)
        changed = order.changed(shipping_address=address(line1="1 Infinite Loop"))
        _save(storage, changed)
        stored = _read(storage, order.number)
        assert stored == changed
        assert stored is not None
        assert stored.version == order.version + 1
        assert _display_forms(stored) == _display_forms(changed)

    def test_saves_follow_each_other_version_by_version(self, storage: Storage) -> None:
        """Each save stores the version it was given; the next save builds on it, in the
        same unit of work or a later one."""
        order = make_order()
        _store(storage, order)
        second = order.changed(tax=usd("3.00"))
        third = second.changed(shipping=usd("0"))
        with storage.unit_of_work(write=True) as uow:
            uow.orders.save(second)
            assert uow.orders.get(order.number) == second
            uow.orders.save(third)
            uow.commit()
        fourth = third.changed(phone=None)
        _save(storage, fourth)
        stored = _read(storage, order.number)
        assert stored == fourth
        assert stored is not None
        assert stored.version == 4

    def test_an_order_added_in_a_unit_can_be_saved_in_it(self, storage: Storage) -> None:
        """``save`` sees an order added earlier in the same, uncommitted unit of work."""
        order = make_order()
        changed = order.changed(tax=usd("5.00"))
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order)
            uow.orders.save(changed)
            uow.commit()
        assert _read(storage, order.number) == changed

    def test_saving_the_same_change_twice_raises_conflict_error(self, storage: Storage) -> None:
        """The second save of one ``changed()`` order is stale and refused (SECURITY G2):
        in a later unit of work and in the same one."""
        order = make_order()
        _store(storage, order)
        changed = order.changed(tax=usd("3.00"))
        _save(storage, changed)
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.orders.save(changed)
        with storage.unit_of_work(write=True) as uow:
            again = changed.changed(tax=usd("4.00"))
            uow.orders.save(again)
            with pytest.raises(ConflictError):
                uow.orders.save(again)
        assert _read(storage, order.number) == changed

    def test_a_lost_race_raises_conflict_error_and_keeps_the_winner(self, storage: Storage) -> None:
        """Two changes built from the same read: the first save wins, the second is refused
        and stores nothing of its own."""
        order = make_order()
        _store(storage, order)
        winner = order.changed(tax=usd("3.00"))
        loser = order.changed(shipping=usd("0"), packages=[package("P1", [(1, 1)])])
        _save(storage, winner)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.orders.save(loser)
            uow.commit()
        assert _read(storage, order.number) == winner

    @pytest.mark.parametrize("version", [1, 3, 7], ids=["same", "skips-one", "far-ahead"])
    def test_saving_a_version_not_one_above_the_stored_one_raises_conflict_error(
        self, storage: Storage, version: int
    ) -> None:
        """Only ``stored.version + 1`` is accepted; the stored order stays as it was."""
        order = make_order()
        _store(storage, order)
        stale = attrs.evolve(order, version=version, tax=usd("3.00"))
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.orders.save(stale)
            uow.commit()
        assert _read(storage, order.number) == order

    def test_saving_an_unknown_number_raises_conflict_error(self, storage: Storage) -> None:
        """``save`` never creates an order: a number nobody stored is refused, whatever its
        version, and stays absent."""
        _store(storage, make_order(number="111111111"))
        for version in (1, 2):
            with storage.unit_of_work(write=True) as uow:
                with pytest.raises(ConflictError):
                    uow.orders.save(make_order(number="222222222", version=version))
                uow.commit()
        assert _read(storage, "222222222") is None

    def test_a_refused_save_does_not_spoil_its_unit(self, storage: Storage) -> None:
        """After a ``ConflictError`` the unit of work goes on: its other writes commit."""
        order = make_order(number="111111111")
        _store(storage, order)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.orders.save(order)
            uow.orders.add(make_order(number="222222222"))
            uow.outbox.put(_message("M1"))
            uow.orders.save(order.changed(tax=usd("3.00")))
            uow.commit()
        assert _read(storage, "222222222") is not None
        assert _read(storage, "111111111") == order.changed(tax=usd("3.00"))
        assert _pending(storage) == 1

    def test_a_save_is_rolled_back_with_its_unit(self, storage: Storage) -> None:
        """A save not committed (no commit, an exception, ``rollback``) leaves the stored
        order as it was; after ``rollback`` the same change can be saved again."""
        order = make_order()
        _store(storage, order)
        changed = order.changed(packages=[package("P1", [(1, 1)])])
        with storage.unit_of_work(write=True) as uow:
            uow.orders.save(changed)
            assert uow.orders.get(order.number) == changed
        assert _read(storage, order.number) == order

        def save_then_fail() -> None:
            with storage.unit_of_work(write=True) as uow:
                uow.orders.save(changed)
                raise _Boom

        with pytest.raises(_Boom):
            save_then_fail()
        assert _read(storage, order.number) == order
        with storage.unit_of_work(write=True) as uow:
            uow.orders.save(changed)
            uow.rollback()
            assert uow.orders.get(order.number) == order
            uow.orders.save(changed)
            uow.commit()
        assert _read(storage, order.number) == changed

    def test_an_uncommitted_save_is_invisible_to_other_units(self, storage: Storage) -> None:
        """Another unit of work sees the old order until the save is committed."""
        self._needs("supports_concurrent_units")
        order = make_order()
        _store(storage, order)
        changed = order.changed(tax=usd("3.00"))
        with storage.unit_of_work(write=True) as writer:
            writer.orders.save(changed)
            with storage.unit_of_work() as reader:
                assert reader.orders.get(order.number) == order
            writer.commit()
        assert _read(storage, order.number) == changed

    def test_a_read_only_unit_refuses_save(self, storage: Storage) -> None:
        """``save`` in a unit opened with ``write=False`` raises ``AdapterError``, not
        ``ConflictError``, and changes nothing."""
        order = make_order()
        _store(storage, order)
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            uow.orders.save(order.changed(tax=usd("3.00")))
        assert _read(storage, order.number) == order

    def test_a_save_can_add_a_package(self, storage: Storage) -> None:
        """A package added by a save is read back, with its units and every field."""
        order = make_order(lines=[line(1, quantity=3), line(2, "R-77", quantity=2)])
        _store(storage, order)
        opened = order.changed(
            packages=[package("P1", [(1, 2), (2, 1)], opened_at=PLACED_AT + timedelta(hours=2))]
        )
        _save(storage, opened)
        assert _read(storage, order.number) == opened
        two = opened.changed(packages=[*opened.packages, package("P2", [(1, 1)], carrier=None)])
        _save(storage, two)
        stored = _read(storage, order.number)
        assert stored == two
        assert stored is not None
        assert [p.package_id for p in stored.packages] == ["P1", "P2"]

    def test_a_save_can_ship_and_deliver_a_package(self, storage: Storage) -> None:
        """``shipped_at`` and ``delivered_at`` set by saves are read back."""
        opened = package("P1", [(1, 1)], opened_at=PLACED_AT + timedelta(hours=1))
        order = make_order(packages=[opened])
        _store(storage, order)
        shipped = order.changed(
            packages=[attrs.evolve(opened, shipped_at=PLACED_AT + timedelta(days=1))]
        )
        _save(storage, shipped)
        assert _read(storage, order.number) == shipped
        delivered = shipped.changed(
            packages=[attrs.evolve(shipped.packages[0], delivered_at=PLACED_AT + _DAYS3)]
        )
        _save(storage, delivered)
        stored = _read(storage, order.number)
        assert stored == delivered
        assert stored is not None
        assert stored.packages[0].opened_at == PLACED_AT + timedelta(hours=1)

    def test_a_save_can_cancel_units_of_a_line(self, storage: Storage) -> None:
        """A line's ``cancelled`` count changed by a save is read back."""
        order = make_order(lines=[line(1, quantity=3), line(2, "R-77", quantity=2)])
        _store(storage, order)
        cancelled = order.changed(lines=[attrs.evolve(order.lines[0], cancelled=2), order.lines[1]])
        _save(storage, cancelled)
        stored = _read(storage, order.number)
        assert stored == cancelled
        assert stored is not None
        assert stored.line(1).cancelled == 2

    def test_requests_reports_and_refunds_are_read_back_after_add_and_save(
        self, storage: Storage
    ) -> None:
        """Cancel requests, change requests, problem reports, refunds and the shipping speed
        of an order survive ``add`` and ``save`` unchanged, in their order."""
        order = _order_with_history()
        _store(storage, order)
        assert _read(storage, order.number) == order
        more = cancel_units(order, {3: 1}, PLACED_AT + timedelta(days=3)).order
        _save(storage, more)
        stored = _read(storage, order.number)
        assert stored == more
        assert stored is not None
        assert [r.state for r in stored.cancel_requests] == [r.state for r in more.cancel_requests]
        assert stored.refunds == more.refunds
        assert stored.shipping_speed is more.shipping_speed

    def test_a_save_replaces_lines_and_packages_in_their_new_order(self, storage: Storage) -> None:
        """Lines and packages added, removed and reordered by a save come back as saved, in
        the saved tuple order; nothing of the old ones is left."""
        order = make_order(
            lines=[line(1, quantity=2), line(2, "R-77"), line(3, "ZZ-9")],
            packages=[package("P1", [(1, 1)]), package("P2", [(2, 1), (1, 1)])],
        )
        _store(storage, order)
        changed = order.changed(
            lines=[line(7, "NEW-7", quantity=2), line(1, quantity=2)],
            packages=[package("P3", [(7, 2)]), package("P1", [(1, 1)], warehouse="Reno, NV")],
        )
        _save(storage, changed)
        stored = _read(storage, order.number)
        assert stored == changed
        assert stored is not None
        assert [ln.line_no for ln in stored.lines] == [7, 1]
        assert [p.package_id for p in stored.packages] == ["P3", "P1"]
        email = order.email
        assert _search(storage, email, PartNumberQuery(PartNumber("NEW-7"))) == [order.number]
        assert _search(storage, email, PartNumberQuery(PartNumber("R-77"))) == []

    def test_a_save_that_changes_the_email_moves_the_order_to_the_new_shopper(
        self, storage: Storage
    ) -> None:
        """After a save with another email, ``recent`` and ``search`` find the order under the
        new canonical email only, and ``get`` keeps the display form."""
        order = make_order(email="Jane.Doe@example.com")
        _store(storage, order)
        moved = order.changed(email=parse_email("John.Roe@Example.com"))
        _save(storage, moved)
        with storage.unit_of_work() as uow:
            assert list(uow.orders.recent("jane.doe@example.com", 10)) == []
            assert _numbers(uow.orders.recent(moved.email.canonical, 10)) == [order.number]
        query = PartNumberQuery(PartNumber("BP-1234"))
        assert _search(storage, order.email, query) == []
        assert _search(storage, moved.email, query) == [order.number]
        stored = _read(storage, order.number)
        assert stored is not None
        assert stored.email.display == moved.email.display == "John.Roe@example.com"

    @_PROPERTY
    @given(
        order=strategies.orders(),
        other=strategies.orders(),
        address=strategies.addresses(),
    )
    def test_any_change_of_any_order_is_read_back_equal(
        self, storage: Storage, order: Order, other: Order, address: Address
    ) -> None:
        """A chain of saves (the same content, a new address, then every field of another
        order) is read back equal after each commit, display forms included."""
        # Room for three more versions under the model's bound.
        order = attrs.evolve(order, number=_fresh("SV"), version=min(order.version, 2**62 - 3))
        _store(storage, order)
        same = order.changed()
        readdressed = same.changed(shipping_address=address)
        replaced = attrs.evolve(other, number=order.number, version=readdressed.version + 1)
        for change in (same, readdressed, replaced):
            _save(storage, change)
            stored = _read(storage, order.number)
            assert stored == change
            assert stored is not None
            assert _display_forms(stored) == _display_forms(change)

    def test_a_match_carries_every_matching_line_in_line_no_order(self, storage: Storage) -> None:
        """A match holds all matching lines of the order, by ``line_no``, whatever the order
        of the lines in the order itself."""
        email = parse_email("jane.doe@example.com")
        lines = [line(7, "bp-1234"), line(3, "XX-1"), line(2, "BP1234"), line(5, "BP 1234")]
        _store(storage, make_order(number="111111111", lines=lines))
        found = _matched_lines(storage, email, PartNumberQuery(PartNumber("BP1234")))
        assert found == [[2, 5, 7]]

    @_PROPERTY
    @given(order=strategies.orders())
    def test_any_order_is_read_back_equal(self, storage: Storage, order: Order) -> None:
        """Every field of every line and package survives storing, in the same order."""
        order = attrs.evolve(order, number=_fresh("RT"))
        _store(storage, order)
        stored = _read(storage, order.number)
        assert stored == order
        assert stored is not None
        assert _display_forms(stored) == _display_forms(order)

    @pytest.mark.parametrize("text", HOSTILE)
    def test_hostile_and_unicode_text_round_trips_in_every_field(
        self, storage: Storage, text: str
    ) -> None:
        """SQL metacharacters, emoji, Finnish and RTL text are stored and read back as is,
        found by ``recent`` and ``search``, and leave every table working."""
        hostile_line = line_of_two(
            1,
            part=text[:60],
            category=(text[:80], "Öljy › ja %_"),
            brand=text[:64],
            description=text,
        )
        box = Package(
            package_id="P-1_x",
            warehouse=text[:64],
            units=(PackedUnits(1, 1),),
            carrier=text[:32],
            tracking_number=text[:64],
            shipped_at=PLACED_AT + timedelta(hours=1),
        )
        email = parse_email("jäne.o'brien+%_@exämple.fi")
        subject = order_of_two_lines(
            email=email,
            lines=[hostile_line],
            packages=[box],
            shipping_address=Address(
                name=text[:100],
                line1=text[:100],
                line2=text[:100],
                city=text[:64],
                region=text[:64],
                postal_code=text[:16],
                country="FI",
            ),
        )
        _store(storage, subject)
        assert _read(storage, "100001") == subject
        with storage.unit_of_work() as uow:
            [header] = uow.orders.recent(email.canonical, 5)
            assert header.email.display == email.display
            part = PartNumberQuery(PartNumber(text[:60]))
            [match] = uow.orders.search(email.canonical, part, 5)
            assert match.lines == (hostile_line,)
            category = CategoryQuery(CategoryPath((text[:80],)))
            [match] = uow.orders.search(email.canonical, category, 5)
            assert match.lines == (hostile_line,)
        _store(storage, order_of_two_lines("100002"))
        assert _read(storage, "100002") == order_of_two_lines("100002")

    def test_every_field_round_trips_exactly(self, storage: Storage) -> None:
        """Optional fields, money scales, microseconds, huge versions and tuple orders come
        back unchanged."""
        lines = [
            line_of_two(
                3,
                "Z-9",
                unit_price=Money(Decimal("0.0001"), "USD"),
                core_charge=Money(Decimal("999999999999.9999"), "USD"),
                returnable=False,
                warranty_months=1200,
                quantity=5,
                cancelled=1,
            ),
            line_of_two(1, "A-1", unit_price=Money("1E+2", "USD"), quantity=3),
            line_of_two(2, "M-5"),
        ]
        packages = [
            Package(
                package_id="Z",
                warehouse="Reno, NV",
                units=(PackedUnits(3, 1), PackedUnits(1, 2)),
                shipped_at=PLACED_AT + timedelta(seconds=1, microseconds=1),
                delivered_at=PLACED_AT + timedelta(days=3, microseconds=999_999),
            ),
            package(
                "A",
                [(2, 2), (1, 1)],
                shipped_after=timedelta(days=1),
                delivered_after=timedelta(days=2),
            ),
            Package(package_id="pending", warehouse="Reno, NV", units=(PackedUnits(3, 2),)),
        ]
        subject = order_of_two_lines(
            "9ZZ00000000000000000000000000000",
            placed_at=PLACED_AT + timedelta(microseconds=123_457),
            lines=lines,
            packages=packages,
            phone=None,
            # Only the fields an address must have: no line2, no region.
            shipping_address=Address(name="N", line1="L", city="C", postal_code="P", country="US"),
            version=2**62,
        )
        _store(storage, subject)
        back = _read(storage, subject.number)
        assert back == subject
        assert back is not None
        assert [each.line_no for each in back.lines] == [3, 1, 2]
        assert [each.package_id for each in back.packages] == ["Z", "A", "pending"]

    def test_hostile_text_as_an_order_key_finds_nothing(self, storage: Storage) -> None:
        """Numbers and email keys that are not canonical, or that a database cannot even hold
        (NUL, a lone surrogate), find nothing and break nothing, in read and write units."""
        _store(storage, order_of_two_lines())
        part = PartNumberQuery(PartNumber("BP-1234"))
        for write in (False, True):
            with storage.unit_of_work(write=write) as uow:
                for key in _HOSTILE_KEYS:
                    assert uow.orders.get(key) is None
                    assert list(uow.orders.recent(key, 10)) == []
                    assert list(uow.orders.search(key, part, 10)) == []
        assert _read(storage, "100001") == order_of_two_lines()
