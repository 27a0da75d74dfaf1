"""The Profile pages of the example storefront through Flask's test client: saved
addresses (add, default, edit, remove, a past order's address saved with one button) and
the garage (a refused VIN naming its position, add, remove), in English and Finnish; then
the bounds, not-found, no session, CSRF, POST-only, headers, hostile input and failing
ports."""

from __future__ import annotations

import html
import importlib
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderstatus_core import AdapterError, OrderStatus, ShopperSession
from support.storefront import SECRET, Shopper, without_csrf
from support.storefront_api import PASSWORD, register
from support.storefront_profile import (
    CAR,
    GOOD_VIN,
    HOME,
    MAX_ADDRESSES,
    MAX_VEHICLES,
    PROFILE,
    UNLISTED,
    WRONG_CHECK_VIN,
    Catalog,
    done,
    log_in_jane,
    profile,
    text,
)

_ADDRESS_ID = re.compile(r'action="/account/profile/addresses/([A-Za-z0-9_-]+)/remove"')
_VEHICLE_ID = re.compile(r'action="/account/profile/garage/([A-Za-z0-9_-]+)/remove"')
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    """The demo cast with a known-answer captcha, a small profile and a catalog."""
    return profile_desk


@pytest.fixture
def jane(app: Any, desk: OrderStatus, mail_dir: Path) -> Shopper:
    """Jane registered (through the API) and logged in through the log-in page."""
    return log_in_jane(app, desk, mail_dir)


def saved_ids(page: str) -> list[str]:
    return _ADDRESS_ID.findall(page)


def default_address(page: str) -> str:
    found = re.search(r'<p id="address-[^"]+">([^<]*) <strong>\(your default address\)', page)
    assert found is not None, "no default address shown"
    return found[1]


# --- saved addresses -------------------------------------------------------------------------


def test_the_account_page_links_to_the_profile(jane: Shopper) -> None:
    assert f'href="{PROFILE}"' in text(jane.get("/account"))
    page = profile(jane)
    assert "You have no saved addresses yet." in page
    assert "Your garage is empty." in page


def test_add_an_address_as_the_default_edit_choose_another_and_remove(jane: Shopper) -> None:
    page = done(jane, f"{PROFILE}/addresses", {**HOME, "default": "1"})
    assert "The address is saved." in page
    assert default_address(page).startswith("Jane Doe, 12 Elm Street, 62701 Springfield, IL")
    (home,) = saved_ids(page)
    form = text(jane.get(f"{PROFILE}/addresses/{home}"))
    assert 'value="12 Elm Street"' in form  # the edit form is filled in
    page = done(jane, f"{PROFILE}/addresses/{home}", {**HOME, "line1": "14 Elm Street"})
    assert "The address is changed." in page
    assert "14 Elm Street" in default_address(page)  # it stays the default
    work = {**HOME, "line1": "200 Industrial Way", "line2": "Dock 4"}
    page = done(jane, f"{PROFILE}/addresses", work)
    assert "14 Elm Street" in default_address(page)  # not asked to be the default
    other = next(i for i in saved_ids(page) if i != home)
    page = done(jane, f"{PROFILE}/addresses/{other}/default")
    assert "This is now your default address." in page
    assert "200 Industrial Way, Dock 4" in default_address(page)
    page = done(jane, f"{PROFILE}/addresses/{other}/remove")
    assert "The address is removed." in page
    assert saved_ids(page) == [home]
    assert "(your default address)" not in page  # the default was removed


def test_a_past_orders_address_is_saved_with_one_button(jane: Shopper) -> None:
    """Jane's orders joined her account: their addresses are offered, each with a button
    that posts it as it is; saved, it is offered no more."""
    page = profile(jane)
    offered = page.split("Addresses of your past orders", 1)[1]
    first_form = offered.split("</form>", 1)[0]
    fields = dict(_HIDDEN.findall(first_form))
    assert fields.pop("csrf_token")
    assert set(fields) == {"name", "line1", "line2", "city", "region", "postal_code", "country"}
    page = done(jane, f"{PROFILE}/addresses", fields)
    assert len(saved_ids(page)) == 1
    rest = page.split("Addresses of your past orders", 1)
    assert len(rest) == 1 or fields["line1"] not in rest[1]


def test_the_same_address_typed_otherwise_is_saved_once(jane: Shopper) -> None:
    done(jane, f"{PROFILE}/addresses", HOME)
    shouted = {**HOME, "name": "JANE  DOE", "city": " springfield", "postal_code": "627 01"}
    page = done(jane, f"{PROFILE}/addresses", shouted)
    assert "You have saved this address already." in page
    assert len(saved_ids(page)) == 1
    fullwidth = {**HOME, "line1": "１２ Ｅｌｍ Street"}  # a look-alike stays another address
    assert len(saved_ids(done(jane, f"{PROFILE}/addresses", fullwidth))) == 2


def test_the_address_book_is_bounded(jane: Shopper) -> None:
    for n in range(MAX_ADDRESSES):
        done(jane, f"{PROFILE}/addresses", {**HOME, "line1": f"{n + 1} Elm Street"})
    page = done(jane, f"{PROFILE}/addresses", {**HOME, "line1": "99 Elm Street"})
    assert f"You can save at most {MAX_ADDRESSES} addresses: remove one first." in page
    assert len(saved_ids(page)) == MAX_ADDRESSES
    assert "99 Elm Street" not in page


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"name": "x" * 101}, "Name"),
        ({"country": "USA"}, "Country (two letters)"),
        ({"country": "U1"}, "Country (two letters)"),
        ({"postal_code": ""}, "Postal code"),
        ({"city": "Spring\x00field"}, "City"),
        ({"line1": "\u202e12 Elm"}, "Street address"),
    ],
)
def test_a_bad_address_is_the_form_again_naming_the_field(
    jane: Shopper, fields: dict[str, str], named: str
) -> None:
    answer = jane.post(f"{PROFILE}/addresses", {**HOME, **fields})
    assert answer.status_code == 400
    assert f"Please check this field: {named}." in text(answer)
    assert saved_ids(profile(jane)) == []


def test_injection_text_is_kept_as_text(jane: Shopper) -> None:
    """Markup and SQL in an address are an address's text: stored as typed, shown
    escaped."""
    hostile = {**HOME, "name": "<script>alert(1)</script>", "line1": "1'); DROP TABLE x;--"}
    done(jane, f"{PROFILE}/addresses", hostile)
    raw = jane.get(PROFILE).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "1'); DROP TABLE x;--" in html.unescape(raw)


def test_invalid_utf8_in_the_form_is_not_a_server_error(jane: Shopper) -> None:
    body = f"csrf_token={jane.token}&name=%FF%FE&line1=1&city=x&postal_code=1&country=US"
    answer = jane.client.post(
        f"{PROFILE}/addresses", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code in (303, 400)
    assert answer.status_code != 500


# --- the garage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vin", "message"),
    [
        (WRONG_CHECK_VIN, "Position 9 of the VIN is its check digit"),
        ("1MIGDM9AXKP042788", "Position 3 of the VIN holds a character a VIN never has"),
        ("1M8GDM9AXKP04278", "A VIN has 17 characters; this one has 16."),
        ("1M8GDM9AXKP04278\u0410", "Position 17 of the VIN holds a character"),  # Cyrillic А
        ("１M8GDM9AXKP042788", "Position 1 of the VIN holds a character"),  # fullwidth 1
    ],
)
def test_a_wrong_vin_is_the_form_again_naming_the_position(
    jane: Shopper, vin: str, message: str
) -> None:
    answer = jane.post(f"{PROFILE}/garage", {**CAR, "vin": vin})
    assert answer.status_code == 400
    page = text(answer)
    assert message in page
    assert 'value="F-150"' in page  # what was typed stays
    assert "Your garage is empty." in profile(jane)


def test_a_wrong_vin_is_named_in_finnish(jane: Shopper) -> None:
    jane.post("/language", {"language": "fi", "next": PROFILE})
    answer = jane.post(f"{PROFILE}/garage", {**CAR, "vin": WRONG_CHECK_VIN})
    assert answer.status_code == 400
    assert "Valmistenumeron kohta 9 on sen tarkistusmerkki" in text(answer)
    page = profile(jane)
    assert "Tallennetut osoitteet" in page
    assert "Tallisi on tyhjä." in page


def test_add_a_vehicle_with_its_vin_and_remove_it(jane: Shopper) -> None:
    page = done(jane, f"{PROFILE}/garage", {**CAR, "vin": GOOD_VIN.lower()})
    assert "The vehicle is in your garage." in page
    assert "<strong>Truck</strong>: 2019 Ford F-150, 5.0L V8" in page
    assert f"VIN {GOOD_VIN}" in page  # read as upper case
    (vehicle,) = _VEHICLE_ID.findall(page)
    page = done(jane, f"{PROFILE}/garage/{vehicle}/remove")
    assert "The vehicle is out of your garage." in page
    assert "Your garage is empty." in page


def test_a_vehicle_without_vin_and_the_garage_bound(jane: Shopper) -> None:
    for n in range(MAX_VEHICLES):
        done(jane, f"{PROFILE}/garage", {**CAR, "year": str(2010 + n), "nickname": ""})
    page = done(jane, f"{PROFILE}/garage", CAR)
    assert f"Your garage holds at most {MAX_VEHICLES} vehicles: remove one first." in page
    assert len(_VEHICLE_ID.findall(page)) == MAX_VEHICLES


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"year": "19"}, "Model year"),
        ({"year": "1700"}, "Model year"),
        ({"year": "２０１９"}, "Model year"),
        ({"make": ""}, "Make"),
        ({"model": "m" * 61}, "Model"),
        ({"nickname": "n" * 41}, "Nickname (optional)"),
    ],
)
def test_a_bad_vehicle_is_the_form_again_naming_the_field(
    jane: Shopper, fields: dict[str, str], named: str
) -> None:
    answer = jane.post(f"{PROFILE}/garage", {**CAR, **fields})
    assert answer.status_code == 400
    assert f"Please check this field: {named}." in text(answer)


def test_a_vehicle_the_catalog_does_not_list(jane: Shopper) -> None:
    answer = jane.post(f"{PROFILE}/garage", {**CAR, "make": UNLISTED})
    assert answer.status_code == 400
    assert "Our catalog lists no such vehicle." in text(answer)


# --- not found, no session, the forms' protections -----------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"{PROFILE}/addresses/abcdefghijklmnop",  # well formed, not Jane's
        f"{PROFILE}/addresses/{'a' * 65}",
        f"{PROFILE}/addresses/a%20b",
        f"{PROFILE}/nothing-here",
    ],
)
def test_an_address_jane_does_not_keep_is_the_one_not_found_page(jane: Shopper, path: str) -> None:
    """The same page and status as any other not-found (SECURITY A1)."""
    reference = jane.get("/no-such-page")
    answer = jane.get(path)
    assert answer.status_code == reference.status_code == 404
    assert without_csrf(answer) == without_csrf(reference)


@pytest.mark.parametrize(
    "path",
    [
        f"{PROFILE}/addresses/abcdefghijklmnop",
        f"{PROFILE}/addresses/abcdefghijklmnop/default",
        f"{PROFILE}/addresses/abcdefghijklmnop/remove",
        f"{PROFILE}/garage/abcdefghijklmnop/remove",
        f"{PROFILE}/garage/{'a' * 65}/remove",
    ],
)
def test_a_change_to_what_jane_does_not_keep_is_not_found(jane: Shopper, path: str) -> None:
    fields = HOME if path.endswith("abcdefghijklmnop") else {}
    assert jane.post(path, fields).status_code == 404


def test_another_accounts_address_is_not_found(
    app: Any, desk: OrderStatus, mail_dir: Path, jane: Shopper
) -> None:
    page = done(jane, f"{PROFILE}/addresses", HOME)
    (home,) = saved_ids(page)
    register(app.test_client(use_cookies=False), desk, mail_dir, "carlos.ruiz@example.net")
    carlos = Shopper(app.test_client())
    carlos.get("/account/log-in")
    logged = carlos.post(
        "/account/log-in", {"email": "carlos.ruiz@example.net", "password": PASSWORD}
    )
    assert logged.status_code == 303
    carlos.get("/account")
    assert carlos.get(f"{PROFILE}/addresses/{home}").status_code == 404
    assert carlos.post(f"{PROFILE}/addresses/{home}/remove").status_code == 404
    assert saved_ids(profile(jane)) == [home]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", PROFILE),
        ("get", f"{PROFILE}/addresses/new"),
        ("get", f"{PROFILE}/garage/new"),
        ("post", f"{PROFILE}/addresses"),
        ("post", f"{PROFILE}/garage"),
        ("post", f"{PROFILE}/addresses/abcdefghijklmnop/remove"),
    ],
)
def test_without_a_session_the_shopper_is_sent_to_log_in(
    shopper: Shopper, method: str, path: str
) -> None:
    fields = {**HOME, **CAR}
    answer = shopper.get(path) if method == "get" else shopper.post(path, fields)
    if path.endswith("/new"):  # an empty form needs no session; saving it does
        assert answer.status_code == 200
        return
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account/log-in"


@pytest.mark.parametrize(
    "path",
    [
        f"{PROFILE}/addresses/abcdefghijklmnop/remove",
        f"{PROFILE}/addresses/abcdefghijklmnop/default",
        f"{PROFILE}/garage/abcdefghijklmnop/remove",
        f"{PROFILE}/garage",
    ],
)
def test_changes_are_post_only(jane: Shopper, path: str) -> None:
    answer = jane.get(path)
    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]


def test_a_post_without_the_csrf_token_changes_nothing(jane: Shopper) -> None:
    answer = jane.client.post(f"{PROFILE}/addresses", data=HOME)
    assert answer.status_code == 400
    assert saved_ids(profile(jane)) == []


def test_the_profile_pages_send_the_strict_headers(jane: Shopper) -> None:
    for path in (PROFILE, f"{PROFILE}/addresses/new", f"{PROFILE}/garage/new"):
        answer = jane.get(path)
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "script-src" not in answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
        assert "<script" not in answer.get_data(as_text=True)


# --- failing ports ---------------------------------------------------------------------------


def test_a_failing_catalog_answers_503_and_changes_nothing(jane: Shopper, catalog: Catalog) -> None:
    catalog.failing = True
    answer = jane.post(f"{PROFILE}/garage", CAR)
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)
    catalog.failing = False
    assert "Your garage is empty." in profile(jane)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", PROFILE), ("post", f"{PROFILE}/addresses"), ("post", f"{PROFILE}/garage")],
)
def test_a_failing_storage_answers_503_without_detail(
    jane: Shopper,
    desk: OrderStatus,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    answer = jane.get(path) if method == "get" else jane.post(path, {**HOME, **CAR})
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)


def test_the_profile_page_shows_each_section_in_order(jane: Shopper) -> None:
    """The Profile page is its blueprint's list of sections (more come as entries)."""
    sections = importlib.import_module("storefront.profile").SECTIONS
    page = profile(jane)
    headings = re.findall(r'<h2 id="([a-z_]+)-title">', page)
    assert headings == [section.template.removesuffix(".html") for section in sections]


@pytest.mark.parametrize(
    "alone",
    ["addresses", "garage", "store_credit", "discount_codes", "part_watches", "mail_preferences"],
)
def test_the_profile_page_reads_everything_in_one_call(
    jane: Shopper, monkeypatch: pytest.MonkeyPatch, alone: str
) -> None:
    """The page is one ``shopper.profile()`` (one session check): no section calls its
    list alone, so a list's own call failing does not touch the page."""
    calls: list[str] = []
    real = ShopperSession.profile

    def counted(self: ShopperSession) -> object:
        calls.append("profile")
        return real.__get__(self, ShopperSession)()

    def refused(self: ShopperSession, *arguments: object, **options: object) -> object:
        raise AssertionError(f"the page called {alone}() alone")

    monkeypatch.setattr(ShopperSession, "profile", counted)
    monkeypatch.setattr(ShopperSession, alone, refused)
    assert 'id="profile_garage-title"' in profile(jane)
    assert calls == ["profile"]


@pytest.fixture
def app(storefront: ModuleType, desk: OrderStatus, mail_dir: Path) -> Any:
    return storefront.create_app(
        desk, storefront.Settings(SECRET, local_http=True, demo_mail=mail_dir)
    )
