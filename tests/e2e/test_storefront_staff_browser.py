"""The storefront's staff desk in headless Chromium: log in with the staff password, ship
a package of a fresh order, then the guest's order page shows it with its tracking number.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import ModuleType

import pytest
from playwright.sync_api import Browser, Page
from test_storefront_browser import Shop, find, snap, submit

from support.browser import TIMEOUT_MS, serious_violations
from support.storefront import FRESH, JANE, SECRET, import_storefront, open_demo_store

STAFF_PASSWORD = "staff-desk-password-for-the-browser"
UPS = "1Z999AA10123456784"


@pytest.fixture(scope="module")
def staff_shop(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Shop]:
    """The storefront with its staff desk on a free port of 127.0.0.1."""
    storefront: ModuleType = import_storefront()
    mail_dir = tmp_path_factory.mktemp("staff-mail")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with open_demo_store(f"mailbox:///{mail_dir.as_posix()}") as desk:
        settings = storefront.Settings(
            SECRET, local_http=True, demo_mail=mail_dir, staff_password=STAFF_PASSWORD
        )
        app = storefront.create_app(desk, settings)
        with storefront.serve_module.running(app) as server:
            yield Shop(f"http://127.0.0.1:{server.server_port}", desk, mail_dir)


@pytest.fixture
def page(browser: Browser, staff_shop: Shop) -> Iterator[Page]:
    context = browser.new_context(base_url=staff_shop.url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_ship_at_the_staff_desk_then_the_guest_sees_the_package(page: Page) -> None:
    page.goto("/staff/")
    assert page.url.endswith("/staff/log-in")
    page.get_by_label("Staff password").fill("not the password")
    assert submit(page, "Log in") == 403
    page.get_by_label("Staff password").fill(STAFF_PASSWORD)
    assert submit(page, "Log in") == 200
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["staff_session"]["httpOnly"]
    assert cookies["staff_session"]["sameSite"] == "Strict"
    snap(page, "staff-desk")
    form = page.locator("form", has=page.get_by_role("button", name="Ship", exact=True))
    form.get_by_label("Order number").fill(FRESH)
    form.get_by_label("Lines and units for a new package").fill("1:1")
    form.get_by_label("Carrier").select_option("UPS")
    form.get_by_label("Tracking number").fill(UPS)
    assert submit(page, "Ship") == 200
    assert "shipped with UPS" in page.inner_text(".notice")
    assert find(page, JANE, FRESH) == 200
    assert UPS in page.inner_text("body")
    snap(page, "staff-shipped-guest-order")


def test_the_staff_pages_pass_the_accessibility_check(
    browser: Browser, staff_shop: Shop, axe_script: str
) -> None:
    context = browser.new_context(base_url=staff_shop.url, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto("/staff/log-in")
        assert serious_violations(page, axe_script) == []
        page.get_by_label("Staff password").fill(STAFF_PASSWORD)
        assert submit(page, "Log in") == 200
        assert serious_violations(page, axe_script) == []
    finally:
        context.close()
