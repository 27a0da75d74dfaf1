"""The Profile's settings in a real headless Chromium: Jane watches a part, staff report
it back in stock at the desk, the alert mail is in the mailbox as an ``.eml``; she sets
her account's language to Finnish and sees the Profile in Finnish; she downloads her
data; axe-core on the Profile (every section), Account Activity with its vehicle search,
the unsubscribe page and the staff desk, in English and Finnish. One server for the
module; each page visited is saved as a screenshot (git-ignored)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Browser, BrowserContext
from test_storefront_profile_browser import context, log_in

from support.browser import free_port, screenshot, serious_violations, submit
from support.storefront import SECRET, import_storefront
from support.storefront_api import register
from support.storefront_profile import Catalog, open_profile_store

__all__ = ["context"]

STAFF_PASSWORD = "staff-desk-password-for-the-settings"
_MAIL: list[Path] = []


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[str]:
    """The storefront with its staff desk, accounts for Jane and the accessibility check,
    the mail relayed to a mailbox folder."""
    storefront: ModuleType = import_storefront()
    mail_dir = tmp_path_factory.mktemp("settings-mail")
    _MAIL[:] = [mail_dir]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    with open_profile_store(f"mailbox:///{mail_dir.as_posix()}", Catalog()) as desk:
        settings = storefront.Settings(
            SECRET, local_http=True, demo_mail=mail_dir, staff_password=STAFF_PASSWORD
        )
        app = storefront.create_app(desk, settings)
        client = app.test_client(use_cookies=False)
        for email in ("jane.doe@example.com", "axe@example.com"):
            register(client, desk, mail_dir, email)
        with (
            storefront.serve_module.running(app, port=port),
            storefront.serve_module.relaying(desk, every=0.2),
        ):
            yield f"http://127.0.0.1:{port}"


def _alert_mail() -> list[str]:
    return [
        path.read_text(errors="replace")
        for path in _MAIL[0].rglob("*.eml")
        if "BP-1234" in path.read_text(errors="replace")
    ]


def test_watch_staff_report_back_in_stock_finnish_and_the_data_download(
    context: BrowserContext, browser: Browser, shop: str
) -> None:
    page = context.new_page()
    log_in(page, "jane.doe@example.com")
    page.goto("/account/profile")
    page.get_by_label("Tell me when this part is back in stock (part number)").fill("BP-1234")
    assert submit(page, "Watch the part") == 200
    assert "BP-1234" in page.locator("#profile_alerts").inner_text()
    screenshot(page, "settings-watching")

    desk = browser.new_context(base_url=shop)
    clerk = desk.new_page()
    clerk.goto("/staff/log-in")
    clerk.get_by_label("Staff password").fill(STAFF_PASSWORD)
    submit(clerk, "Log in")
    clerk.get_by_label("Part number").last.fill("BP-1234")
    assert submit(clerk, "Mail the watchers") == 200
    assert "1 alerts queued" in clerk.get_by_role("status").inner_text()
    screenshot(clerk, "settings-staff-back-in-stock")
    desk.close()
    for _ in range(50):  # the relay beside the server delivers within a second
        if _alert_mail():
            break
        page.wait_for_timeout(100)
    assert len(_alert_mail()) == 1

    page.goto("/account/profile")
    assert "You watch no parts." in page.locator("#profile_alerts").inner_text()
    page.get_by_label("The language of your mail and pages").select_option("fi")
    assert submit(page, "Save the language") == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Profiili"
    assert "Kielesi on tallennettu." in page.get_by_role("status").inner_text()
    screenshot(page, "settings-finnish")

    with page.expect_download() as waiting:
        page.get_by_role("button", name="Lataa tietoni").click()
    download = waiting.value
    assert download.suggested_filename.startswith("account-data-")
    document = json.loads(Path(download.path()).read_text())
    assert "jane.doe@example.com" in json.dumps(document)


def test_the_new_pages_pass_the_accessibility_check(
    context: BrowserContext, axe_script: str
) -> None:
    page = context.new_page()
    log_in(page, "axe@example.com")
    page.goto("/account/profile")
    page.get_by_label("Tell me when this part is back in stock (part number)").fill("BP-1234")
    submit(page, "Watch the part")
    found: dict[str, list[str]] = {}
    paths = [
        "/account/profile",
        "/account/activity?year=2019&make=Ford&model=F-150",
        "/account/unsubscribe?token=not-a-real-token",
    ]
    for language in ("en", "fi"):
        for path in paths:
            page.goto(path)
            found[f"{language} {path}"] = serious_violations(page, axe_script)
            screenshot(page, f"settings-{language}{path.split('?')[0].replace('/', '-')}")
        if language == "en":
            page.goto("/account/profile")
            submit(page, "Suomeksi")
    page.goto("/staff/log-in")
    page.locator("#password").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    found["staff desk"] = serious_violations(page, axe_script)
    assert {name: v for name, v in found.items() if v} == {}
