"""The storefront's account pages in a real headless Chromium, walked as a shopper walks
them: sign up by solving the drawn captcha through its test hook (``on_issue``, never by
weakening it), verify from the link in the mailed ``.eml``, set a password, log in with
keep-me-logged-in, see the synced orders in Account Activity, log out. Then axe-core on
every account page in English and Finnish. One server for the module; each page visited
is saved as a screenshot in ``tests/e2e/screenshots/`` (git-ignored)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from playwright.sync_api import Browser, Page

from orderstatus_core import AccountPolicy, OrderStatus
from support.browser import TIMEOUT_MS, free_port, screenshot, serious_violations, submit
from support.storefront import (
    DELIVERED,
    FRESH,
    JANE,
    PASSWORD,
    SECRET,
    import_storefront,
    mail_texts,
    open_account_store,
)

pytest.importorskip("captcha", reason="the drawn captcha needs the captcha extra")
from orderstatus_captcha import DrawnCaptcha

_VERIFY = re.compile(r"(http://127\.0\.0\.1:\d+/account/verify\?token=[\w.\-]+)")


class Shop:
    """The served storefront, its store, mail folder and the captcha's answers."""

    def __init__(
        self, url: str, desk: OrderStatus, mail_dir: Path, answers: dict[str, str]
    ) -> None:
        self.url = url
        self.desk = desk
        self.mail_dir = mail_dir
        self.answers = answers


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Shop]:
    """The storefront on 127.0.0.1 over the demo cast, with the drawn captcha whose test
    hook records each answer, and mailed links that lead to this server."""
    storefront: ModuleType = import_storefront()
    mail_dir = tmp_path_factory.mktemp("account-mail")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    answers: dict[str, str] = {}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    captcha = DrawnCaptcha(on_issue=answers.__setitem__)
    policy = AccountPolicy(link_base=f"{base}/account")
    with open_account_store(f"mailbox:///{mail_dir.as_posix()}", captcha, policy=policy) as desk:
        app = storefront.create_app(
            desk, storefront.Settings(SECRET, local_http=True, demo_mail=mail_dir)
        )
        with storefront.serve_module.running(app, port=port):
            yield Shop(base, desk, mail_dir, answers)


def snap(page: Page, name: str) -> None:
    screenshot(page, f"account-{name}")


def _sign_up(page: Page, shop: Shop, email: str) -> None:
    """Sign up with the captcha solved through the hook, and follow the mailed link."""
    page.goto("/account/sign-up")
    first = page.locator("input[name=challenge_id]").input_value()
    page.get_by_label("Email address").fill(email)
    assert submit(page, "New image") == 200  # a new challenge; the typed address stays
    challenge = page.locator("input[name=challenge_id]").input_value()
    assert challenge != first
    assert page.get_by_label("Email address").input_value() == email
    image = page.get_by_role("img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")  # a drawn PNG
    audio = page.request.get(
        page.get_by_role("link", name=re.compile("Listen")).get_attribute("href") or ""
    )
    assert audio.status == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.body()[:4] == b"RIFF"
    page.get_by_label("The characters in the picture").fill(shop.answers[challenge])
    snap(page, "sign-up")
    assert submit(page, "Create my account") == 200
    assert page.url.endswith("/account/check-mail")
    snap(page, "check-mail")
    shop.desk.relay_outbox()
    links = [found for text in mail_texts(shop.mail_dir) for found in _VERIFY.findall(text)]
    assert links, "no verification mail"
    page.goto(links[-1])
    snap(page, "verify")
    assert submit(page, "Verify my address") == 200
    page.get_by_label(re.compile("New password")).fill(PASSWORD)
    snap(page, "set-password")
    assert submit(page, "Save the password") == 200
    assert page.url.endswith("/account/log-in")


def _log_in(page: Page, email: str, remember: bool) -> None:
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    if remember:
        page.get_by_label(re.compile("Keep me logged in")).check()
    snap(page, "log-in")
    assert submit(page, "Log in") == 200
    assert page.url.endswith("/account")


def test_sign_up_verify_log_in_see_the_orders_and_log_out(browser: Browser, shop: Shop) -> None:
    context = browser.new_context(base_url=shop.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        _sign_up(page, shop, JANE)
        _log_in(page, JANE, remember=True)
        snap(page, "account")
        (session,) = [c for c in context.cookies() if c["name"] == "account_session"]
        assert session["httpOnly"]
        assert session["sameSite"] == "Lax"
        assert session["expires"] > time.time() + 13 * 86400  # kept: 14 days
        page.get_by_role("link", name=re.compile("Account Activity")).click()
        page.wait_for_url(re.compile("/account/activity"))
        body = page.inner_text("main")
        assert FRESH in body  # Jane's orders joined once her address was verified
        snap(page, "activity")
        page.get_by_label("Part number").fill("bp 12.34")
        assert submit(page, "Search") == 200
        assert DELIVERED in page.inner_text("main")
        snap(page, "activity-search")
        page.goto("/account/security")
        assert "Logged in" in page.inner_text("main")
        snap(page, "security-log")
        page.goto("/account")
        assert submit(page, "Log out") == 200
        assert page.url.endswith("/account/log-in")
        assert not [c for c in context.cookies() if c["name"] == "account_session"]
        page.goto("/account/activity")
        assert page.url.endswith("/account/log-in")  # the session ended
    finally:
        context.close()


def test_no_account_page_has_a_serious_accessibility_violation(
    browser: Browser, shop: Shop, axe_script: str
) -> None:
    """axe-core on every account page, in English and Finnish (injected past the CSP with
    ``bypass_csp``; the pages run no script)."""
    context = browser.new_context(base_url=shop.url, bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    found: dict[str, list[str]] = {}
    pages = ["", "/activity", "/security", "/attach", "/email", "/password", "/delete"]
    try:
        for path in ("/sign-up", "/log-in", "/forgot", "/check-mail", "/verify?token=x.y"):
            page.goto(f"/account{path}")
            found[path] = serious_violations(page, axe_script)
        _sign_up(page, shop, "axe.checker@example.com")
        _log_in(page, "axe.checker@example.com", remember=False)
        for path in pages:
            page.goto(f"/account{path}")
            found[path or "/"] = serious_violations(page, axe_script)
        page.goto("/account")
        submit(page, "Suomeksi")
        for path in pages:
            page.goto(f"/account{path}")
            found[f"fi {path}"] = serious_violations(page, axe_script)
            snap(page, f"fi{path.replace('/', '-') or '-account'}")
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}
