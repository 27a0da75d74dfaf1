"""Account Activity searched by vehicle through Flask's test client: a garage vehicle
from the select, or a typed year, make and model; in Finnish; bad input (a year that is
not one, two searches at once, injection text) is the 400 page; a failing storage 503."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from orderstatus_core import AdapterError, OrderStatus, Vehicle
from support.storefront import Shopper
from support.storefront_profile import CAR, PROFILE, done, log_in_jane, text

ACTIVITY = "/account/activity"
#: Jane's brake order of six weeks ago: its pads are bought for her truck (:data:`CAR`).
FOR_THE_TRUCK = "301442518"
_VEHICLE_OPTION = re.compile(r'<option value="([A-Za-z0-9_-]*)"')


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    """The demo cast with a catalog; the pads of :data:`FOR_THE_TRUCK` are for the truck
    (the import format carries no vehicle: the store's own line is changed)."""
    truck = Vehicle(2019, "Ford", "F-150", "5.0L V8")
    with profile_desk.context.storage.unit_of_work(write=True) as uow:
        stored = uow.orders.get(FOR_THE_TRUCK)
        assert stored is not None
        lines = (attrs.evolve(stored.lines[0], vehicle=truck), *stored.lines[1:])
        uow.orders.save(attrs.evolve(stored, lines=lines, version=stored.version + 1))
        uow.commit()
    return profile_desk


@pytest.fixture
def jane(app: Any, desk: OrderStatus, mail_dir: Path) -> Shopper:
    return log_in_jane(app, desk, mail_dir)


def found(browser: Shopper, query: str) -> list[str]:
    response = browser.get(f"{ACTIVITY}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.findall(r"<tr><td>(\d+)</td>", text(response))


def test_the_garage_select_finds_the_orders_bought_for_the_vehicle(jane: Shopper) -> None:
    assert "<select" not in text(jane.get(ACTIVITY))  # an empty garage offers no select
    page = done(jane, f"{PROFILE}/garage", CAR)
    (vehicle_id,) = re.findall(r'action="/account/profile/garage/([A-Za-z0-9_-]+)/remove"', page)
    activity = text(jane.get(ACTIVITY))
    assert _VEHICLE_OPTION.findall(activity) == ["", vehicle_id]  # "": no garage search
    assert "Truck: 2019 Ford F-150, 5.0L V8" in activity
    assert found(jane, f"vehicle_id={vehicle_id}") == [FOR_THE_TRUCK]
    assert found(jane, "vehicle_id=not-hers") == []  # finds nothing, as an unknown part


def test_a_typed_year_make_and_model_find_the_orders(jane: Shopper) -> None:
    assert found(jane, "year=2019&make=ford&model=f-150") == [FOR_THE_TRUCK]
    assert found(jane, "year=2020&make=Ford&model=F-150") == []
    page = text(jane.get(f"{ACTIVITY}?year=2019&make=Ford&model=F-150"))
    assert 'value="F-150"' in page  # the form keeps what was typed
    assert "Show every order" in page


def test_the_vehicle_search_in_finnish(jane: Shopper) -> None:
    jane.client.set_cookie("language", "fi")
    page = text(jane.get(f"{ACTIVITY}?year=2019&make=Ford&model=F-150"))
    assert "Tai ajoneuvo" in page
    assert "Vuosimalli" in page


@pytest.mark.parametrize(
    "query",
    [
        "year=19&make=Ford&model=F-150",  # not a year
        "year=abcd&make=Ford&model=F-150",
        "year=2019&make=&model=F-150",  # a make is needed
        "year=2019&make=Ford&model=F-150&part_number=BP-1234",  # two searches at once
        "year=2019&make=%3Cscript%3E%00&model=F-150",  # a control character
    ],
)
def test_bad_vehicle_input_is_the_400_page(jane: Shopper, query: str) -> None:
    answer = jane.get(f"{ACTIVITY}?{query}")
    assert answer.status_code == 400
    assert "<script>" not in answer.get_data(as_text=True)


def test_injection_text_finds_nothing(jane: Shopper) -> None:
    assert found(jane, "year=2019&make=Ford' OR '1'='1&model=F-150") == []


def test_without_a_session_the_vehicle_search_sends_to_log_in(shopper: Shopper) -> None:
    answer = shopper.get(f"{ACTIVITY}?year=2019&make=Ford&model=F-150")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account/log-in"


def test_a_failing_storage_answers_503(
    jane: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    answer = jane.get(f"{ACTIVITY}?year=2019&make=Ford&model=F-150")
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)
