"""The storefront's Profile pages in a real headless Chromium, walked as a shopper walks
them: log in, open the Profile from the account page, add an address and see it as the
default, add a vehicle with a wrong VIN (the error names the position) then the right
one, remove it; an address form filled in with the keyboard alone; axe-core on every
Profile page in English and Finnish. One server for the module; each page visited is
saved as a screenshot in ``tests/e2e/screenshots/`` (git-ignored)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from types import ModuleType

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from support.browser import TIMEOUT_MS, free_port, screenshot, serious_violations, submit
from support.storefront import SECRET, import_storefront
from support.storefront_api import PASSWORD, register
from support.storefront_profile import GOOD_VIN, WRONG_CHECK_VIN, Catalog, open_profile_store


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[str]:
    """The storefront on 127.0.0.1 over the demo cast, with accounts for Jane and a
    shopper for the accessibility check (registered through the API in-process)."""
    storefront: ModuleType = import_storefront()
    mail_dir = tmp_path_factory.mktemp("profile-mail")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    with open_profile_store(f"mailbox:///{mail_dir.as_posix()}", Catalog()) as desk:
        app = storefront.create_app(desk, storefront.Settings(SECRET, local_http=True))
        client = app.test_client(use_cookies=False)
        for email in ("jane.doe@example.com", "keys.only@example.com", "axe@example.com"):
            register(client, desk, mail_dir, email)
        with storefront.serve_module.running(app, port=port):
            yield f"http://127.0.0.1:{port}"


@pytest.fixture
def context(browser: Browser, shop: str) -> Iterator[BrowserContext]:
    opened = browser.new_context(base_url=shop, bypass_csp=True)
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    opened.close()


def snap(page: Page, name: str) -> None:
    screenshot(page, f"profile-{name}")


def log_in(page: Page, email: str) -> None:
    page.goto("/account/log-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    assert submit(page, "Log in") == 200
    assert page.url.endswith("/account")


def test_an_address_as_default_and_a_vehicle_after_a_wrong_vin(context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, "jane.doe@example.com")
    page.get_by_role("link", name=re.compile("Profile")).click()
    page.wait_for_url(re.compile("/account/profile$"))
    snap(page, "empty")
    page.get_by_role("link", name="Add an address").click()
    page.get_by_label("Name").fill("Jane Doe")
    page.get_by_label("Street address").fill("12 Elm Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State or region").fill("IL")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country (two letters)").fill("US")
    page.get_by_label("Make this my default address").check()
    snap(page, "address-form")
    assert submit(page, "Save the address") == 200
    saved = page.locator("#profile_addresses li").filter(has_text="12 Elm Street")
    assert "(your default address)" in saved.inner_text()
    assert "The address is saved." in page.get_by_role("status").inner_text()

    page.get_by_role("link", name="Add a vehicle").click()
    page.get_by_label("Model year").fill("2019")
    page.get_by_label("Make", exact=True).fill("Ford")
    page.get_by_label("Model", exact=True).fill("F-150")
    page.get_by_label("Engine").fill("5.0L V8")
    page.get_by_label("Nickname (optional)").fill("Truck")
    page.get_by_label("VIN (optional)").fill(WRONG_CHECK_VIN)
    assert submit(page, "Add the vehicle") == 400
    error = page.get_by_role("alert").inner_text()
    assert "Position 9 of the VIN is its check digit" in error
    snap(page, "wrong-vin")
    assert page.get_by_label("Make", exact=True).input_value() == "Ford"  # kept
    page.get_by_label("VIN (optional)").fill(GOOD_VIN)
    assert submit(page, "Add the vehicle") == 200
    car = page.locator("#profile_garage li").filter(has_text="F-150")
    assert GOOD_VIN in car.inner_text()
    snap(page, "with-vehicle")
    with page.expect_navigation():
        car.get_by_role("button", name="Remove").click()
    assert "Your garage is empty." in page.locator("#profile_garage").inner_text()
    assert "12 Elm Street" in page.locator("#profile_addresses").inner_text()


def test_an_address_with_the_keyboard_alone(context: BrowserContext) -> None:
    """Tab from the top of the form page to each field, type, Space, Enter: no mouse."""
    page = context.new_page()
    log_in(page, "keys.only@example.com")
    page.goto("/account/profile/addresses/new")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "name":
            break
    else:
        pytest.fail("Tab never reached the name field")
    typed = ["Kari Keys", "Mannerheimintie 1", "", "Helsinki", "", "00100", "FI"]
    for value in typed:
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "default"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Save the address"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focused button is visible
    with page.expect_navigation() as landing:
        page.keyboard.press("Enter")
    assert landing.value is not None
    assert landing.value.status == 200
    saved = page.locator("#profile_addresses li").filter(has_text="Mannerheimintie 1")
    assert "(your default address)" in saved.inner_text()


def test_no_profile_page_has_a_serious_accessibility_violation(
    context: BrowserContext, axe_script: str
) -> None:
    page = context.new_page()
    log_in(page, "axe@example.com")
    page.goto("/account/profile/addresses/new")
    page.get_by_label("Name").fill("Axe Checker")
    page.get_by_label("Street address").fill("1 Audit Road")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country (two letters)").fill("US")
    submit(page, "Save the address")
    page.goto("/account/profile/garage/new")
    for label, value in (("Model year", "2019"), ("Engine", "2.0L I4")):
        page.get_by_label(label).fill(value)
    page.get_by_label("Make", exact=True).fill("Ford")
    page.get_by_label("Model", exact=True).fill("Focus")
    submit(page, "Add the vehicle")
    edit = page.get_by_role("link", name="Edit").first.get_attribute("href")
    assert edit is not None
    found: dict[str, list[str]] = {}
    paths = ["/account/profile", "/account/profile/addresses/new", "/account/profile/garage/new"]
    for language in ("en", "fi"):
        for path in [*paths, edit]:
            page.goto(path)
            found[f"{language} {path}"] = serious_violations(page, axe_script)
            snap(page, f"{language}{path.replace('/', '-')}")
        page.goto("/account/profile/garage/new")
        page.get_by_label(re.compile("^(Model year|Vuosimalli)$")).fill("2019")
        page.locator("#make").fill("Ford")
        page.locator("#model").fill("Focus")
        page.locator("#engine").fill("2.0L I4")
        page.locator("#vin").fill("1M8GDM9AXKP04278")
        with page.expect_navigation():
            page.locator("form button[type=submit]").last.click()
        found[f"{language} wrong VIN"] = serious_violations(page, axe_script)
        page.goto("/account/profile")
        if language == "en":
            submit(page, "Suomeksi")
    assert {name: v for name, v in found.items() if v} == {}
