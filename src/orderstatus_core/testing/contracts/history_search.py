"""The conformance suite of an account's history search by vehicle:
``AccountStore.search_linked`` with a :class:`~orderstatus_core.records.VehicleQuery`.

Part of :class:`~orderstatus_core.testing.contracts.AccountStoreContract`. Every answer is
checked against the query's own rule (:meth:`VehicleQuery.matches
<orderstatus_core.records.VehicleQuery.matches>`): year, make and model, and the engine
when the query names one, each folded for case and spacing only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.model import Order, OrderLine, Vehicle
from orderstatus_core.model.account import LinkedBy, OrderLink
from orderstatus_core.ports import Storage
from orderstatus_core.records import OrderMatch, SearchCursor, VehicleQuery
from orderstatus_core.testing import strategies
from orderstatus_core.testing.builders import PLACED_AT, line, make_order
from orderstatus_core.testing.contracts._support import (
    _PROPERTY,
    HOSTILE,
    T0,
    StorageSuite,
    _fresh,
    _numbers,
    _store,
)

__all__ = ["HistorySearchContract"]

_V8 = Vehicle(2019, "Ford", "F-150", "5.0L V8")
_V6 = Vehicle(2019, "FORD", " f-150", "3.5l  V6")
_OLDER = Vehicle(2018, "Ford", "F-150", "5.0L V8")
_LONGER_MODEL = Vehicle(2019, "Ford", "F-1500", "5.0L V8")
_FULLWIDTH = Vehicle(2019, "Ｆｏｒｄ", "F-150", "5.0L V8")


def _bought_for(number: str, hours: int, *vehicles: Vehicle | None) -> Order:
    """Order ``number`` placed ``hours`` after the builders' time, one line per vehicle
    (``None``: a line bought for no vehicle in particular)."""
    lines: list[OrderLine] = [
        line(line_no, f"BP-{line_no}", vehicle=vehicle)
        for line_no, vehicle in enumerate(vehicles, start=1)
    ]
    return make_order(
        number, "jane@example.com", placed_at=PLACED_AT + timedelta(hours=hours), lines=lines
    )


def _linked(storage: Storage, account_id: str, *orders: Order) -> None:
    _store(storage, *orders)
    with storage.unit_of_work(write=True) as uow:
        for order in orders:
            uow.accounts.link_order(OrderLink(account_id, order.number, T0, LinkedBy.CODE))
        uow.commit()


def _search(
    storage: Storage,
    query: VehicleQuery,
    account_id: str = "acct-0001",
    limit: int = 10,
    after: SearchCursor | None = None,
) -> list[OrderMatch]:
    with storage.unit_of_work() as uow:
        return list(uow.accounts.search_linked(account_id, query, limit, after))


def _lines(found: list[OrderMatch]) -> list[tuple[str, list[int]]]:
    return [(match.header.number, [ln.line_no for ln in match.lines]) for match in found]


class HistorySearchContract(StorageSuite):
    """An account's history searched by the vehicle its lines were bought for: every
    engine of a year, make and model, or one engine; case and spacing folded, nothing
    else; only linked orders, newest first, each with its matching lines in line order.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_a_year_make_and_model_finds_each_engine_and_one_engine_only_its_own(
        self, storage: Storage
    ) -> None:
        """Without an engine every engine of the year, make and model matches; with one,
        only that engine; lines of other years, models or no vehicle never do."""
        _linked(
            storage,
            "acct-0001",
            _bought_for("500001", 1, _V8, None, _OLDER),
            _bought_for("500002", 2, _LONGER_MODEL, _V6),
            _bought_for("500003", 3, None),
            _bought_for("500004", 4, _OLDER),
        )
        any_engine = VehicleQuery(2019, "ford", "F-150")
        assert _lines(_search(storage, any_engine)) == [("500002", [2]), ("500001", [1])]
        one_engine = VehicleQuery(2019, " FORD ", "f-150", "5.0l  v8")
        assert _lines(_search(storage, one_engine)) == [("500001", [1])]
        assert _lines(_search(storage, VehicleQuery.of(_V6))) == [("500002", [2])]
        found = _search(storage, one_engine)
        assert found[0].lines[0].vehicle == _V8

    def test_only_case_and_spacing_are_folded(self, storage: Storage) -> None:
        """``F150`` is not ``F-150``, a fullwidth make is another make, an engine that is
        the start of another is not it, and a model that starts another is not it."""
        _linked(storage, "acct-0001", _bought_for("510001", 1, _V8, _FULLWIDTH, _LONGER_MODEL))
        assert _search(storage, VehicleQuery(2019, "Ford", "F150")) == []
        assert _search(storage, VehicleQuery(2019, "Ford", "F-150", "5.0L")) == []
        assert _lines(_search(storage, VehicleQuery(2019, "Ford", "F-150"))) == [("510001", [1])]
        assert _lines(_search(storage, VehicleQuery.of(_FULLWIDTH))) == [("510001", [2])]

    def test_only_the_accounts_linked_orders_are_searched(self, storage: Storage) -> None:
        """An order of the same vehicle linked to another account, or to none, is never
        found."""
        _linked(storage, "acct-0001", _bought_for("520001", 1, _V8))
        _linked(storage, "acct-0002", _bought_for("520002", 2, _V8))
        _store(storage, _bought_for("520003", 3, _V8))
        assert _numbers(_search(storage, VehicleQuery.of(_V8))) == ["520001"]
        assert _numbers(_search(storage, VehicleQuery.of(_V8), "acct-0002")) == ["520002"]
        assert _search(storage, VehicleQuery.of(_V8), "acct-0003") == []

    def test_vehicle_pages_cover_every_match_once_newest_first(self, storage: Storage) -> None:
        """``limit`` and ``after`` page the matches as the other searches page them."""
        orders = [_bought_for(f"53000{n}", n, _V8 if n % 2 else _V6) for n in range(1, 8)]
        _linked(storage, "acct-0001", *orders)
        query = VehicleQuery(2019, "Ford", "F-150")
        seen: list[str] = []
        after: SearchCursor | None = None
        while True:
            page = _search(storage, query, limit=3, after=after)
            seen += _numbers(page)
            if len(page) < 3:
                break
            after = SearchCursor(page[-1].header.placed_at, page[-1].header.number)
        assert seen == [order.number for order in reversed(orders)]

    def test_hostile_vehicle_text_is_matched_as_text(self, storage: Storage) -> None:
        """Names that are SQL or pattern syntax find only a line bought for exactly them."""
        hostile = [Vehicle(2019, text[:40], text, text) for text in HOSTILE]
        _linked(storage, "acct-0001", _bought_for("540001", 1, _V8, *hostile))
        for line_no, vehicle in enumerate(hostile, start=2):
            found = _search(storage, VehicleQuery(vehicle.year, vehicle.make, vehicle.model))
            assert _lines(found) == [("540001", [line_no])], vehicle
        assert _search(storage, VehicleQuery(2019, "%", "%")) == []

    @_PROPERTY
    @given(
        stored=strategies.line_vehicles(),
        other=strategies.line_vehicles(),
        same=st.booleans(),
        with_engine=st.booleans(),
        data=st.data(),
    )
    def test_a_search_matches_exactly_what_its_rule_says(
        self,
        storage: Storage,
        stored: Vehicle,
        other: Vehicle,
        same: bool,
        with_engine: bool,
        data: st.DataObject,
    ) -> None:
        """Any vehicle of any script is found by a query for it (retyped in other case),
        and a query for another vehicle finds it exactly when the rule says it matches."""
        target = stored if same else other
        cases: tuple[Callable[[str], str], ...] = (str, str.upper, str.lower, str.title)
        retype = data.draw(st.sampled_from(cases))
        # Case mapping may lengthen a text (ß is SS): a retyped make past the bound is
        # left as it was.
        make = retype(target.make) if len(retype(target.make)) <= 40 else target.make
        query = VehicleQuery(
            target.year, make, target.model, target.engine if with_engine else None
        )
        number = _fresh("55")
        account_id = f"acct-{number}"
        _linked(storage, account_id, _bought_for(number, 1, stored))
        found = _numbers(_search(storage, query, account_id))
        assert found == ([number] if query.matches(stored) else []), (query, stored)
        if same and retype is str:
            assert found == [number]
