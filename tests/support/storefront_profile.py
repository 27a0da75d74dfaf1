"""The storefront's Profile for tests: a store whose profile keeps few addresses and
vehicles (so that the bounds are reached in a few requests), a vehicle catalog that fails
on demand, and the forms' values."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import AdapterError, OrderStatus, ProfilePolicy, Vehicle, hookimpl
from orderstatus_core.testing import RecordingCaptcha
from support.storefront import JANE, Shopper, open_demo_store
from support.storefront_api import PASSWORD, register

#: The key that signs :class:`SmallProfile`'s one-click unsubscribe links.
UNSUBSCRIBE_KEY = bytes(range(32))
#: The bounds of :class:`SmallProfile`.
MAX_ADDRESSES, MAX_VEHICLES = 3, 2
HOME = {
    "name": "Jane Doe",
    "line1": "12 Elm Street",
    "city": "Springfield",
    "region": "IL",
    "postal_code": "62701",
    "country": "US",
}
#: A VIN whose check digit matches (ISO 3779), and the same with another check digit.
GOOD_VIN = "1M8GDM9AXKP042788"
WRONG_CHECK_VIN = "1M8GDM9A1KP042788"
#: The make :class:`Catalog` does not list.
UNLISTED = "Nobody Motors"
PROFILE = "/account/profile"
CAR = {"year": "2019", "make": "Ford", "model": "F-150", "engine": "5.0L V8", "nickname": "Truck"}


class SmallProfile:
    """A profile of :data:`MAX_ADDRESSES` addresses and :data:`MAX_VEHICLES` vehicles,
    its unsubscribe links signed with :data:`UNSUBSCRIBE_KEY`."""

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(
            max_addresses=MAX_ADDRESSES,
            max_vehicles=MAX_VEHICLES,
            unsubscribe_key=UNSUBSCRIBE_KEY,
        )


class Catalog:
    """A store's vehicle catalog that lists every vehicle but those of the make
    :data:`UNLISTED`, or fails when ``failing``."""

    def __init__(self) -> None:
        self.failing = False

    def resolve(self, vehicle: Vehicle) -> str | None:
        if self.failing:
            raise AdapterError("the catalog at 10.0.0.7 is down: secret-detail")
        return None if vehicle.make == UNLISTED else f"CAT-{vehicle.year}"

    def close(self) -> None:
        pass


def open_profile_store(mail_url: str, catalog: Catalog, **options: Any) -> OrderStatus:
    """The demo cast, a known-answer captcha for sign-up, the small profile, ``catalog``."""
    return open_demo_store(
        mail_url,
        captcha=RecordingCaptcha(),
        plugins=[SmallProfile()],
        vehicle_catalog=catalog,
        **options,
    )


@pytest.fixture
def catalog() -> Catalog:
    """The store's vehicle catalog (set ``failing`` to make it fail)."""
    return Catalog()


@pytest.fixture
def profile_desk(mail_url: str, catalog: Catalog) -> Iterator[OrderStatus]:
    """:func:`open_profile_store` over the test's mail folder and :func:`catalog`."""
    with open_profile_store(mail_url, catalog) as opened:
        yield opened


def log_in_jane(app: Any, desk: OrderStatus, mail_dir: Path) -> Shopper:
    """Jane registered (through the API) and logged in through the log-in page."""
    register(app.test_client(use_cookies=False), desk, mail_dir)
    browser = Shopper(app.test_client())
    browser.get("/account/log-in")
    answer = browser.post("/account/log-in", {"email": JANE, "password": PASSWORD})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    browser.get("/account")  # the new session's CSRF token
    return browser


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def profile(browser: Shopper) -> str:
    response = browser.get(PROFILE)
    assert response.status_code == 200
    return text(response)


def done(browser: Shopper, path: str, fields: dict[str, str] | None = None) -> str:
    """Post a Profile form; it answers 303 to the Profile page: that page's text."""
    answer = browser.post(path, fields or {})
    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"] == PROFILE
    return profile(browser)
