"""The example storefront (examples/storefront) for tests: importing it, a store with the
demo cast and a label maker, and a test client that reads a page's CSRF token and posts
its forms as a browser would."""

from __future__ import annotations

import email
import email.policy
import importlib
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.sample import demo_orders, demo_walkthrough_orders
from support.paths import EXAMPLES

JANE = "jane.doe@example.com"
JANES_PHONE = "(415) 273-9164"
#: Delivered six weeks ago, two packages.
DELIVERED = "301442518"
#: In processing: an alternator in a package not yet shipped, wipers and plugs shipped.
PROCESSING = "301977206"
#: Placed this morning: nothing in processing, everything may be cancelled.
FRESH = "302105733"
#: Delivered last week: returnable.
RETURNABLE = "301990352"
#: Another shopper's order.
CARLOS_ORDER = "301820664"
LABEL_COST = "labels://?cost=7.50%20USD"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def import_storefront() -> ModuleType:
    """``examples/storefront`` as the package ``storefront``."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    return importlib.import_module("storefront")


@pytest.fixture(scope="session")
def storefront() -> ModuleType:
    """The storefront package."""
    return import_storefront()


def open_demo_store(mail_url: str, storage: str = "memory://", **options: Any) -> OrderStatus:
    """A store with the demo cast and the walkthrough's orders, placed until now."""
    desk = OrderStatus.open(storage=storage, mail=mail_url, labels=LABEL_COST, **options)
    desk.migrate()
    now = datetime.now(UTC)
    records = [*demo_orders(now), *demo_walkthrough_orders(now)]
    desk.import_orders(json.dumps(record) for record in records)
    return desk


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]


def without_csrf(page: Any) -> str:
    """A page's HTML (a response or its text) with every CSRF token cut out.

    Two answers that must be "the same page" still differ in their tokens: a token is signed
    with the second it was made in, so two requests that straddle a second differ.
    """
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return _TOKEN.sub("", html)


class Shopper:
    """A Flask test client that posts forms with the token of the page it last read."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **options: Any) -> Any:
        response = self.client.get(path, **options)
        if response.mimetype == "text/html":
            text = response.get_data(as_text=True)
            if 'name="csrf_token"' in text:
                self.token = csrf_token(text)
        return response

    def post(self, path: str, data: dict[str, str] | None = None, **options: Any) -> Any:
        if not self.token:
            self.get("/")
        fields = {"csrf_token": self.token, **(data or {})}
        response = self.client.post(path, data=fields, **options)
        text = response.get_data(as_text=True)
        if 'name="csrf_token"' in text:
            self.token = csrf_token(text)
        return response

    def find(self, identifier: str, number: str) -> Any:
        return self.post("/find", {"identifier": identifier, "order_number": number})


def mail_texts(mail_dir: Path) -> list[str]:
    """The plain-text parts of the mail in ``mail_dir``, newest last."""
    mails = sorted(mail_dir.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    texts = []
    for path in mails:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        texts.append(str(body.get_content()))  # type: ignore[attr-defined]
    return texts


def latest_code(mail_dir: Path) -> str:
    """The 6-digit code of the newest guest-pass mail in ``mail_dir``."""
    for text in reversed(mail_texts(mail_dir)):
        found = re.search(r"\b(\d{6})\b", text)
        if found:
            return found[1]
    raise AssertionError("no guest-pass mail")


#: The demo cast's address with an account to make (Jane's orders join it once verified).
ACCOUNT_BASE = "http://127.0.0.1/account"
PASSWORD = "brake pads for the old red wagon"
_ACCOUNT_LINK = re.compile(r"https?://\S+/account/(verify|reset|confirm-email)\?token=([\w.\-]+)")


def open_account_store(
    mail_url: str, captcha: Any, storage: str = "memory://", policy: Any = None, **options: Any
) -> OrderStatus:
    """The demo store with accounts: ``captcha`` (the test's hook, a ``RecordingCaptcha``
    or the drawn one with ``on_issue``), the default Argon2id hasher, and mailed account
    links to ``/account`` of this storefront (or ``policy``, an ``AccountPolicy``)."""
    storefront = import_storefront()
    plugin = storefront.account_plugin(ACCOUNT_BASE)
    if policy is not None:
        plugin.policy = policy
    plugins = [plugin]
    return open_demo_store(mail_url, storage, captcha=captcha, plugins=plugins, **options)


def account_link(mail_dir: Path, page: str) -> str:
    """The path and query of the newest mailed ``/account/<page>`` link."""
    for text in reversed(mail_texts(mail_dir)):
        for found in _ACCOUNT_LINK.finditer(text):
            if found[1] == page:
                return f"/account/{page}?token={found[2]}"
    raise AssertionError(f"no mail with an /account/{page} link")
