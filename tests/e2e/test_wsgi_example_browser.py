"""The example storefront (examples/wsgi_storefront.py) in a real headless Chromium.

The WSGI tests set request headers themselves; a browser sends what its own rules say
(``Origin``, ``Sec-Fetch-Site``, after the page's referrer policy), so only a browser shows
whether a shopper can use the forms at all. The app is served by ``wsgiref`` on an
ephemeral port of 127.0.0.1, and every form is filled in and submitted as a shopper would.

Debian's ``chromium`` is driven through Playwright (``playwright install`` is never needed).
Without it the tests are skipped, saying why, except under ``CI=true``, where a missing
browser fails them: CI must never pass by skipping.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from playwright.sync_api import Browser, Page, Request

from orderstatus_core import OrderStatus
from support.browser import TIMEOUT_MS

JANE = "jane.doe@example.com"
JANES_ORDER = "301442518"
JANES_PHONE = "(415) 273-9164"
PHONE_ORDER = "301977206"
CARLOS_ORDER = "301820664"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the access log out of the test output."""


@pytest.fixture
def shop(example: ModuleType, desk: OrderStatus) -> Iterator[str]:
    """The example served on an ephemeral port of 127.0.0.1; its address."""
    server: WSGIServer = make_server(
        "127.0.0.1", 0, example.make_app(desk), handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies, no cache from another test)."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def submit(page: Page, form: str, fields: dict[str, str]) -> int:
    """Fill ``fields`` into the form posting to ``form`` and click its button, as a shopper
    does; the status of the page the browser lands on."""
    selector = f'form[action="{form}"]'
    for name, value in fields.items():
        page.fill(f'{selector} [name="{name}"]', value)
    with page.expect_navigation() as landing:
        page.click(f"{selector} button[type=submit]")
    response = landing.value
    assert response is not None
    return response.status


def test_find_order_by_email_shows_the_order(page: Page, shop: str) -> None:
    """Find-order by email in a browser lands on the masked order."""
    page.goto(shop + "/")
    status = submit(page, "/order", {"identifier": JANE, "order_number": JANES_ORDER})
    assert status == 200
    assert page.title() == "Your order"
    text = page.inner_text("body")
    assert f"Order {JANES_ORDER}" in text
    assert "J•••@example.com" in text
    assert "delivered" in text
    # The view's own texts, shown as they are: money written by Babel for the browser's
    # language (US English: the sign first, the currency's decimals).
    assert re.search(r"total \$\d[\d,]*\.\d{2}\b", text)
    assert "-$0.00" not in text


def test_a_finnish_browser_reads_the_order_in_finnish(browser: Browser, shop: str) -> None:
    """The browser's ``Accept-Language`` (``fi-FI``) reaches the library: the order's
    states and money read as Finnish, and so does the not-found notice."""
    context = browser.new_context(locale="fi-FI")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(shop + "/")
        assert submit(page, "/order", {"identifier": JANE, "order_number": JANES_ORDER}) == 200
        text = page.inner_text("body")
        assert "toimitettu" in text
        assert re.search(r"total \d[\d\s]*,\d{2}\s\$", text)
        page.goto(shop + "/")
        submit(page, "/order", {"identifier": JANE, "order_number": CARLOS_ORDER})
        assert "Emme löytäneet tilausta" in page.inner_text(".notice")
    finally:
        context.close()


def test_find_order_by_phone_shows_the_order(page: Page, shop: str) -> None:
    """Find-order by phone number in a browser lands on the order in processing."""
    page.goto(shop + "/")
    status = submit(page, "/order", {"identifier": JANES_PHONE, "order_number": PHONE_ORDER})
    assert status == 200
    assert f"Order {PHONE_ORDER}" in page.inner_text("body")
    assert "in warehouse processing" in page.inner_text("body")


def test_the_not_found_page_forms_work_too(page: Page, shop: str) -> None:
    """A wrong pair shows the not-found notice with the forms refilled; posting again from
    that page (an answer page, not the home page) finds the order."""
    page.goto(shop + "/")
    status = submit(page, "/order", {"identifier": JANE, "order_number": CARLOS_ORDER})
    assert status == 200
    assert "We could not find an order" in page.inner_text(".notice")
    assert page.input_value('form[action="/order"] [name="identifier"]') == JANE
    status = submit(page, "/order", {"order_number": JANES_ORDER})
    assert status == 200
    assert f"Order {JANES_ORDER}" in page.inner_text("body")


def test_order_look_up_queues_one_mail(page: Page, shop: str, desk: OrderStatus) -> None:
    """Order Look-Up in a browser answers with its notice and queues the mail."""
    page.goto(shop + "/")
    status = submit(page, "/lookup", {"email": JANE})
    assert status == 200
    assert page.title() == "Order Look-Up"
    assert "email" in page.inner_text(".notice").lower()
    with desk.context.storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 1


def test_the_browser_posts_with_this_sites_origin(page: Page, shop: str) -> None:
    """Every form post the pages make carries this site's Origin, never ``null``."""
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    page.goto(shop + "/")
    submit(page, "/order", {"identifier": JANE, "order_number": CARLOS_ORDER})
    submit(page, "/lookup", {"email": JANE})
    assert [post.url for post in posts] == [shop + "/order", shop + "/lookup"]
    assert {post.headers.get("origin") for post in posts} == {shop}


def test_a_form_on_another_site_is_refused(page: Page, shop: str, desk: OrderStatus) -> None:
    """A page of another site that posts to the shop (here with ``no-referrer``, so the
    browser sends ``Origin: null``) gets 403, never the order, and queues no mail."""
    evil = "http://evil.example/"
    attack = (
        '<!doctype html><meta name="referrer" content="no-referrer">'
        f'<form method="post" action="{shop}/order">'
        f'<input name="identifier" value="{JANE}">'
        f'<input name="order_number" value="{JANES_ORDER}">'
        '<button type="submit">Win a prize</button></form>'
        f'<form method="post" action="{shop}/lookup"><input name="email" value="{JANE}">'
        '<button type="submit">Win another</button></form>'
    )
    page.route(evil, lambda route: route.fulfill(content_type="text/html", body=attack))
    for form in ("/order", "/lookup"):
        page.goto(evil)
        assert submit(page, f"{shop}{form}", {}) == 403
        assert JANES_ORDER not in page.content()
        assert "Please use the form on this site." in page.inner_text(".notice")
    with desk.context.storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 0


def test_a_guest_cancels_with_the_mailed_code(
    page: Page, shop: str, desk: OrderStatus, mail_dir: Path
) -> None:
    """Find the order in processing, ask for a code, type it from the mail, cancel: the
    guest pass travels as an HttpOnly cookie the browser sends back on the cancel's post."""
    page.goto(shop + "/")
    submit(page, "/order", {"identifier": JANES_PHONE, "order_number": PHONE_ORDER})
    assert submit(page, "/pass", {}) == 200
    desk.relay_outbox()
    (mail,) = mail_dir.glob("*.eml")
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    code = re.search(r"\b(\d{6})\b", body.get_content())
    assert code is not None
    assert submit(page, "/verify", {"code": code[1]}) == 200
    assert f"Order {PHONE_ORDER}" in page.inner_text("body")
    (cookie,) = page.context.cookies()
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    assert submit(page, "/cancel", {}) == 200
    assert "line 1:" in page.inner_text(".notice")
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(PHONE_ORDER)
    assert order is not None
    assert order.version > 1
