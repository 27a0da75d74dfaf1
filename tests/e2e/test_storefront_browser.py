"""The example storefront (examples/storefront) in a real headless Chromium, walked as a
shopper walks it: every form filled in and submitted, codes read from the mailed ``.eml``,
the label downloaded. One server per module on a free port of 127.0.0.1 (the demo's plain
HTTP settings); each test has a fresh browser context and its own order, so the tests do
not depend on each other's order. Each page visited is saved as a screenshot in
``tests/e2e/screenshots/`` (git-ignored) for a person to review."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Browser, Page

from orderstatus_core import OrderStatus
from support.browser import TIMEOUT_MS, serious_violations
from support.storefront import (
    DELIVERED,
    FRESH,
    JANE,
    JANES_PHONE,
    PROCESSING,
    RETURNABLE,
    SECRET,
    import_storefront,
    latest_code,
    open_demo_store,
)

SCREENSHOTS = Path(__file__).parent / "screenshots"


class Shop:
    """The storefront served for this module: its address, store and mail folder."""

    def __init__(self, url: str, desk: OrderStatus, mail_dir: Path) -> None:
        self.url = url
        self.desk = desk
        self.mail_dir = mail_dir


@pytest.fixture(scope="module")
def storefront() -> ModuleType:
    return import_storefront()


@pytest.fixture(scope="module")
def shop(
    storefront: ModuleType, tmp_path_factory: pytest.TempPathFactory, chromium: str
) -> Iterator[Shop]:
    """The storefront on a free port of 127.0.0.1 over the demo cast (in memory)."""
    mail_dir = tmp_path_factory.mktemp("storefront-mail")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log in the output
    with open_demo_store(f"mailbox:///{mail_dir.as_posix()}") as desk:
        app = storefront.create_app(
            desk, storefront.Settings(SECRET, local_http=True, demo_mail=mail_dir)
        )
        with storefront.serve_module.running(app) as server:
            yield Shop(f"http://127.0.0.1:{server.server_port}", desk, mail_dir)


@pytest.fixture
def page(browser: Browser, shop: Shop) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies from another test)."""
    context = browser.new_context(base_url=shop.url, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def snap(page: Page, name: str) -> None:
    """A full-page screenshot for review (CI keeps the folder as output)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def submit(page: Page, button: str) -> int:
    """Click the button named ``button`` and wait for the page it leads to; its status."""
    with page.expect_navigation() as landing:
        page.get_by_role("button", name=button).click()
    response = landing.value
    assert response is not None
    return response.status


def find(page: Page, identifier: str, number: str) -> int:
    page.goto("/")
    page.get_by_label("Email address or phone number").fill(identifier)
    page.get_by_label("Order number").fill(number)
    return submit(page, "Find my order")


def verify(page: Page, shop: Shop, identifier: str, number: str) -> None:
    """Find the order, ask for a code, read it from the newest ``.eml``, type it."""
    assert find(page, identifier, number) == 200
    assert submit(page, "Email me a code") == 200
    assert "we have sent a code" in page.inner_text(".notice")
    shop.desk.relay_outbox()
    page.get_by_label(re.compile("6-digit code")).fill(latest_code(shop.mail_dir))
    assert submit(page, "Confirm") == 200
    assert page.url.endswith(f"/order/{number}")


def test_find_an_order_by_phone(page: Page, shop: Shop) -> None:
    assert find(page, JANES_PHONE, PROCESSING) == 200
    body = page.inner_text("body")
    assert f"Order {PROCESSING}" in body
    assert "in warehouse processing" in body
    assert "J•••@example.com" in body
    tracking = page.get_by_role("link", name="794611111118")
    assert tracking.get_attribute("href", timeout=TIMEOUT_MS).startswith("https://")  # type: ignore[union-attr]
    snap(page, "order-by-phone")


def test_cancel_a_unit_with_the_mailed_code(page: Page, shop: Shop) -> None:
    verify(page, shop, JANES_PHONE, FRESH)
    snap(page, "order-verified")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["guest_pass"]["httpOnly"]
    assert cookies["guest_pass"]["sameSite"] == "Lax"
    page.get_by_label("Units of line 1").fill("1")
    assert submit(page, "Cancel the chosen units") == 200
    assert "line 1: cancelled" in page.inner_text("body")
    with shop.desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(FRESH)
    assert order is not None
    assert order.ledgers[1].cancelled == 1
    snap(page, "order-cancelled")


def test_make_a_return_and_download_its_label(page: Page, shop: Shop) -> None:
    verify(page, shop, JANE, RETURNABLE)
    page.get_by_role("link", name="Return parts").click()
    page.get_by_label("Units of line 1").fill("1")
    page.get_by_label("Why").select_option("no_longer_needed")
    snap(page, "return-options")
    assert submit(page, "See the refund") == 200
    assert "Total refund" in page.inner_text("body")
    snap(page, "return-preview")
    assert submit(page, "Return these parts") == 200
    assert "Your return is recorded" in page.inner_text(".notice")
    shop.desk.relay_outbox()  # the relay makes the label and the instructions
    page.reload()
    snap(page, "returns")
    pdf = page.get_by_role("link", name=re.compile(r"label\.pdf$"))
    with page.expect_download() as arriving:
        pdf.click()
    download = arriving.value
    path = download.path()
    assert path is not None
    assert Path(path).read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")
    zpl = page.get_by_role("link", name=re.compile(r"\.zpl$")).first
    with page.expect_download() as arriving:
        zpl.click()
    zpl_path = arriving.value.path()
    assert zpl_path is not None
    assert Path(zpl_path).read_bytes().lstrip().startswith(b"^XA")


def test_find_an_order_with_the_keyboard_alone(page: Page, shop: Shop) -> None:
    """Tab from the top of the page to each field, type, Enter: no mouse."""
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "identifier":
            break
    else:
        pytest.fail("Tab never reached the email or phone field")
    page.keyboard.type(JANE)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "order_number"
    page.keyboard.type(DELIVERED)
    with page.expect_navigation() as landing:
        page.keyboard.press("Enter")
    assert landing.value is not None
    assert landing.value.status == 200
    assert f"Order {DELIVERED}" in page.inner_text("h1")
    # The focused element is always visible: the style sheet outlines it.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_every_guest_page_in_both_languages(page: Page, shop: Shop) -> None:
    """Each remaining page opens (a screenshot of each), then the switch turns it Finnish."""
    page.goto("/")
    snap(page, "home")
    page.get_by_label("Email address", exact=True).fill(JANE)
    assert submit(page, "Send order list") == 200
    snap(page, "order-look-up")
    assert find(page, JANE, "399999999") == 404
    assert "We could not find an order" in page.inner_text(".notice")
    snap(page, "not-found")
    verify(page, shop, JANE, DELIVERED)
    for link, name in (
        ("Request a change", "change"),
        ("Report a problem", "problem"),
        ("Your returns and labels", "returns-empty"),
        ("Search your orders", "search"),
    ):
        page.goto(f"/order/{DELIVERED}")
        page.get_by_role("link", name=link).click()
        snap(page, name)
    page.get_by_label("Part number").fill("bp 12.34")
    page.get_by_role("button", name="Search").click()
    assert f"Order {DELIVERED}" in page.inner_text("main")
    snap(page, "search-results")
    page.goto("/demo/mail")
    assert "Your code for order" in page.inner_text("main")
    snap(page, "demo-mail")
    page.goto(f"/order/{DELIVERED}")
    assert submit(page, "Suomeksi") == 200
    assert page.url.endswith(f"/order/{DELIVERED}")
    body = page.inner_text("body")
    assert f"Tilaus {DELIVERED}" in body
    assert "toimitettu" in body
    assert page.evaluate("document.documentElement.lang") == "fi"
    snap(page, "order-fi")


def test_a_form_on_another_site_is_refused(page: Page, shop: Shop) -> None:
    """Another site's page posting to the shop: its ``Origin`` (or ``Sec-Fetch-Site:
    cross-site``) is refused with 403 before the form is read."""
    evil = "http://evil.example/"
    attack = (
        f'<!doctype html><form method="post" action="{shop.url}/lookup">'
        f'<input name="email" value="{JANE}"><button type="submit">Win</button></form>'
    )
    page.route(evil, lambda route: route.fulfill(content_type="text/html", body=attack))
    page.goto(evil)
    assert submit(page, "Win") == 403
    assert "Please use the forms on this site." in page.inner_text(".notice")


def test_no_page_has_a_serious_accessibility_violation(
    browser: Browser, shop: Shop, axe_script: str
) -> None:
    """axe-core on every guest page, in English and Finnish: no serious or critical
    violation. The check's script is injected past the CSP (``bypass_csp``); the pages
    themselves run none."""
    context = browser.new_context(base_url=shop.url, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(name: str) -> None:
        found[name] = serious_violations(page, axe_script)

    try:
        # The check itself finds what it must: a button without a name is critical.
        page.route(shop.url + "/checker", lambda route: route.fulfill(
            content_type="text/html",
            body='<!doctype html><html lang="en"><title>t</title><button></button></html>',
        ))  # fmt: skip
        page.goto("/checker")
        assert any("button-name" in v for v in serious_violations(page, axe_script))
        page.goto("/")
        check("home")
        find(page, JANE, "399999999")
        check("not-found")
        verify(page, shop, JANES_PHONE, PROCESSING)
        check("order")
        for path in ("change", "problem", "return", "returns"):
            page.goto(f"/order/{PROCESSING}/{path}")
            check(path)
        page.goto(f"/order/{PROCESSING}/code")
        check("code")
        page.goto("/search?part_number=bp1234")
        check("search")
        page.goto("/demo/mail")
        check("mail")
        page.goto(f"/order/{PROCESSING}")
        submit(page, "Suomeksi")
        check("order-fi")
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
