"""The JSON API's profile through Flask's test client: the address book (saved and past
orders' addresses), add, edit, default, remove; the garage with a VIN refused at its
position, add, remove; their problems (the same address, full, not in the catalog, not
found, no session), bad input and failing ports."""

from __future__ import annotations

from typing import Any

import pytest

from orderstatus_core import AdapterError, OrderStatus
from support.storefront_api import API, is_problem
from support.storefront_profile import (
    GOOD_VIN,
    HOME,
    MAX_ADDRESSES,
    MAX_VEHICLES,
    UNLISTED,
    WRONG_CHECK_VIN,
    Catalog,
)

ADDRESSES = f"{API}/account/addresses"
GARAGE = f"{API}/account/garage"
CAR = {"year": 2019, "make": "Ford", "model": "F-150", "engine": "5.0L V8", "nickname": "Truck"}


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    """The demo cast with a known-answer captcha, a small profile and a catalog."""
    return profile_desk


def book(client: Any, session: dict[str, str]) -> dict[str, Any]:
    answer = client.get(ADDRESSES, headers=session)
    assert answer.status_code == 200
    found: dict[str, Any] = answer.get_json()
    return found


def add(client: Any, session: dict[str, str], **fields: Any) -> str:
    answer = client.post(ADDRESSES, json={**HOME, **fields}, headers=session)
    assert answer.status_code == 201, answer.get_json()
    address_id: str = answer.get_json()["address_id"]
    return address_id


# --- saved addresses -------------------------------------------------------------------------


def test_the_book_offers_the_past_orders_addresses(client: Any, session: dict[str, str]) -> None:
    """Jane's orders joined her account: their addresses, each once, nothing saved yet."""
    found = book(client, session)
    assert found["saved"] == []
    assert found["from_orders"]
    keys = {(a["line1"].casefold(), a["postal_code"]) for a in found["from_orders"]}
    assert len(keys) == len(found["from_orders"])
    reused = found["from_orders"][0]
    body = {name: value for name, value in reused.items() if value is not None}
    saved = client.post(ADDRESSES, json=body, headers=session)
    assert saved.status_code == 201
    assert reused not in book(client, session)["from_orders"]


def test_add_default_edit_choose_and_remove(client: Any, session: dict[str, str]) -> None:
    home = add(client, session, default=True)
    work = add(client, session, line1="200 Industrial Way", line2="Dock 4")
    saved = {entry["address_id"]: entry for entry in book(client, session)["saved"]}
    assert saved[home]["default"]
    assert not saved[work]["default"]
    assert saved[work]["address"]["line2"] == "Dock 4"
    assert saved[home]["address"]["region"] == "IL"
    edited = client.put(
        f"{ADDRESSES}/{home}", json={**HOME, "line1": "14 Elm Street"}, headers=session
    )
    assert edited.status_code == 200
    assert edited.get_json() == {"address_id": home}
    chosen = client.post(f"{ADDRESSES}/{work}/default", headers=session)
    assert chosen.get_json() == {"address_id": work}
    saved = {entry["address_id"]: entry for entry in book(client, session)["saved"]}
    assert saved[work]["default"]
    assert not saved[home]["default"]
    assert saved[home]["address"]["line1"] == "14 Elm Street"
    assert client.delete(f"{ADDRESSES}/{work}", headers=session).status_code == 204
    assert [e["address_id"] for e in book(client, session)["saved"]] == [home]
    is_problem(client.delete(f"{ADDRESSES}/{work}", headers=session), 404)


def test_the_same_address_and_a_full_book_are_409_problems(
    client: Any, session: dict[str, str]
) -> None:
    home = add(client, session)
    again = client.post(
        ADDRESSES, json={**HOME, "name": "JANE  DOE", "postal_code": "627 01"}, headers=session
    )
    assert is_problem(again, 409, "address-already-saved")["address_id"] == home
    for n in range(MAX_ADDRESSES - 1):
        add(client, session, line1=f"{n + 20} Elm Street")
    full = client.post(ADDRESSES, json={**HOME, "line1": "99 Elm Street"}, headers=session)
    assert is_problem(full, 409, "address-book-full")["limit"] == MAX_ADDRESSES
    assert len(book(client, session)["saved"]) == MAX_ADDRESSES


def test_an_edit_into_another_saved_address_is_refused(
    client: Any, session: dict[str, str]
) -> None:
    home = add(client, session)
    work = add(client, session, line1="200 Industrial Way")
    same = client.put(f"{ADDRESSES}/{work}", json=HOME, headers=session)
    assert is_problem(same, 409, "address-already-saved")["address_id"] == home


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**HOME, "name": "x" * 101}, "name"),
        ({**HOME, "country": "USA"}, "country"),
        ({**HOME, "country": 1}, "country"),
        ({**HOME, "city": "Spring\x00field"}, "city"),
        ({**HOME, "line1": "12 Elm\ud800"}, "line1"),
        ({**HOME, "default": "yes"}, "default"),
        ({**HOME, "account_id": "someone-else"}, "account_id"),  # no mass assignment (F4)
        ({k: v for k, v in HOME.items() if k != "city"}, "city"),
    ],
)
def test_bad_address_input_is_a_400_problem_and_saves_nothing(
    client: Any, session: dict[str, str], body: dict[str, Any], field: str
) -> None:
    answer = client.post(ADDRESSES, json=body, headers=session)
    assert is_problem(answer, 400)["field"] == field
    assert book(client, session)["saved"] == []


def test_injection_text_is_an_address_as_typed(client: Any, session: dict[str, str]) -> None:
    hostile = {"name": "<script>alert(1)</script>", "line1": "1'); DROP TABLE x;--"}
    add(client, session, **hostile)
    (saved,) = book(client, session)["saved"]
    assert saved["address"]["name"] == hostile["name"]
    assert saved["address"]["line1"] == hostile["line1"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", f"{ADDRESSES}/abcdefghijklmnop"),
        ("delete", f"{ADDRESSES}/abcdefghijklmnop"),
        ("post", f"{ADDRESSES}/abcdefghijklmnop/default"),
        ("delete", f"{ADDRESSES}/{'a' * 65}"),
        ("delete", f"{ADDRESSES}/a%20b"),
        ("delete", f"{GARAGE}/abcdefghijklmnop"),
        ("delete", f"{GARAGE}/{'v' * 65}"),
    ],
)
def test_what_the_account_does_not_keep_is_the_one_404(
    client: Any, session: dict[str, str], method: str, path: str
) -> None:
    options: dict[str, Any] = {"headers": session}
    if method == "put":
        options["json"] = HOME
    answer = getattr(client, method)(path, **options)
    body = is_problem(answer, 404)
    assert body == is_problem(client.get(f"{API}/no-such-route"), 404)


def test_a_deletion_takes_no_body(client: Any, session: dict[str, str]) -> None:
    home = add(client, session)
    answer = client.delete(f"{ADDRESSES}/{home}", json={"x": 1}, headers=session)
    assert is_problem(answer, 400)["field"] == "$"
    assert len(book(client, session)["saved"]) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ADDRESSES),
        ("post", ADDRESSES),
        ("delete", f"{ADDRESSES}/abcdefghijklmnop"),
        ("get", GARAGE),
        ("post", GARAGE),
    ],
)
def test_without_a_session_every_profile_call_is_401(client: Any, method: str, path: str) -> None:
    options: dict[str, Any] = {"headers": {"Authorization": "Bearer not-a-session"}}
    if method == "post":
        options["json"] = HOME if path == ADDRESSES else CAR
    answer = getattr(client, method)(path, **options)
    is_problem(answer, 401, "not-logged-in")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


# --- the garage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vin", "position"),
    [
        (WRONG_CHECK_VIN, 9),
        ("1MIGDM9AXKP042788", 3),
        ("1M8GDM9AXKP04278\u0410", 17),
        ("1M8GDM9AXKP04278", None),
    ],
)
def test_a_wrong_vin_is_a_problem_naming_the_position(
    client: Any, session: dict[str, str], vin: str, position: int | None
) -> None:
    answer = client.post(GARAGE, json={**CAR, "vin": vin}, headers=session)
    body = is_problem(answer, 400, "invalid-vin")
    assert body["position"] == position
    assert body["field"] == "vin"
    if position is not None:
        assert f"position {position}" in body["detail"]
    assert client.get(GARAGE, headers=session).get_json() == {"vehicles": []}


def test_add_a_vehicle_list_and_remove(client: Any, session: dict[str, str]) -> None:
    added = client.post(GARAGE, json={**CAR, "vin": GOOD_VIN.lower()}, headers=session)
    assert added.status_code == 201
    vehicle_id = added.get_json()["vehicle_id"]
    assert added.get_json()["catalog_id"] == "CAT-2019"
    (kept,) = client.get(GARAGE, headers=session).get_json()["vehicles"]
    assert kept["vehicle_id"] == vehicle_id
    assert kept["vin"] == GOOD_VIN
    assert (kept["year"], kept["make"], kept["nickname"]) == (2019, "Ford", "Truck")
    assert client.delete(f"{GARAGE}/{vehicle_id}", headers=session).status_code == 204
    assert client.get(GARAGE, headers=session).get_json() == {"vehicles": []}


def test_a_full_garage_and_an_unlisted_vehicle_are_409_problems(
    client: Any, session: dict[str, str]
) -> None:
    unlisted = client.post(GARAGE, json={**CAR, "make": UNLISTED}, headers=session)
    is_problem(unlisted, 409, "vehicle-not-in-catalog")
    for n in range(MAX_VEHICLES):
        added = client.post(GARAGE, json={**CAR, "year": 2000 + n}, headers=session)
        assert added.status_code == 201
    full = client.post(GARAGE, json=CAR, headers=session)
    assert is_problem(full, 409, "garage-full")["limit"] == MAX_VEHICLES


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CAR, "year": "2019"}, "year"),
        ({**CAR, "year": True}, "year"),
        ({**CAR, "year": 1885}, "year"),
        ({**CAR, "make": "m" * 41}, "make"),
        ({**CAR, "model": None}, "model"),
        ({**CAR, "vin": 17}, "vin"),
        ({**CAR, "catalog_id": "FREE-PARTS"}, "catalog_id"),  # the catalog's to say (F4)
    ],
)
def test_bad_vehicle_input_is_a_400_problem(
    client: Any, session: dict[str, str], body: dict[str, Any], field: str
) -> None:
    answer = client.post(GARAGE, json=body, headers=session)
    assert is_problem(answer, 400)["field"] == field
    assert client.get(GARAGE, headers=session).get_json() == {"vehicles": []}


# --- failing ports ---------------------------------------------------------------------------


def test_a_failing_catalog_is_a_503_problem_and_changes_nothing(
    client: Any, session: dict[str, str], catalog: Catalog
) -> None:
    catalog.failing = True
    answer = client.post(GARAGE, json=CAR, headers=session)
    body = is_problem(answer, 503)
    assert "secret-detail" not in body["detail"]
    assert client.get(GARAGE, headers=session).get_json() == {"vehicles": []}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("get", ADDRESSES, None), ("post", ADDRESSES, HOME), ("get", GARAGE, None)],
)
def test_a_failing_storage_is_a_503_problem(
    client: Any,
    session: dict[str, str],
    desk: OrderStatus,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("database is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    options: dict[str, Any] = {"headers": session}
    if body is not None:
        options["json"] = body
    answer = getattr(client, method)(path, **options)
    assert "secret-detail" not in is_problem(answer, 503)["detail"]
