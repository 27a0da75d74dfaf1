"""Fixtures of the example storefront's tests: a store with the demo cast and its mail
folder, the app over it (plain HTTP on 127.0.0.1 as in the demo, or the production
settings), and a shopper that posts its forms with their CSRF tokens."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderstatus_core import OrderStatus
from support.shop_fixtures import mail_dir, mail_url
from support.storefront import SECRET, Shopper, open_demo_store, storefront
from support.storefront_api import bearer_session
from support.storefront_profile import catalog, profile_desk

__all__ = [
    "app",
    "catalog",
    "client",
    "desk",
    "mail_dir",
    "mail_url",
    "profile_desk",
    "session",
    "shopper",
    "storefront",
]


@pytest.fixture
def desk(mail_url: str) -> Iterator[OrderStatus]:
    """The demo cast in memory, with a label maker."""
    with open_demo_store(mail_url) as opened:
        yield opened


@pytest.fixture
def app(storefront: ModuleType, desk: OrderStatus, mail_dir: Path) -> Any:
    """The storefront as the demo serves it (plain HTTP on 127.0.0.1)."""
    settings = storefront.Settings(SECRET, local_http=True, demo_mail=mail_dir)
    return storefront.create_app(desk, settings)


@pytest.fixture
def client(storefront: ModuleType, desk: OrderStatus) -> Any:
    """A JSON client of the API over ``desk`` (no cookies: the API takes Bearer tokens)."""
    app = storefront.create_app(desk, storefront.Settings(SECRET, local_http=True))
    return app.test_client(use_cookies=False)


@pytest.fixture
def session(client: Any, desk: OrderStatus, mail_dir: Path) -> dict[str, str]:
    """Jane registered and logged in through the API: her session's Authorization header
    (``desk`` must have a known-answer captcha, as ``open_api_store``'s)."""
    return bearer_session(client, desk, mail_dir)


@pytest.fixture
def shopper(app: Any) -> Shopper:
    """A browser-like client of :func:`app`."""
    return Shopper(app.test_client())
