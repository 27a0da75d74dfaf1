"""The storefront's security (SECURITY H4, A1): headers, cookies, CSRF, POST-only state
changes, one not-found page, and no stack trace in any answer."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderstatus_core import AdapterError, OrderStatus
from support.storefront import (
    CARLOS_ORDER,
    DELIVERED,
    JANE,
    JANES_PHONE,
    PROCESSING,
    SECRET,
    Shopper,
    latest_code,
    without_csrf,
)

PAGES = ["/", "/search", "/order/301442518/code", "/pass?token=abc.def"]


def _pending_mail(desk: OrderStatus) -> int:
    with desk.context.storage.unit_of_work() as uow:
        return int(uow.outbox.pending_count())


def _verified(shopper: Shopper, desk: OrderStatus, mail_dir: Path, number: str) -> None:
    """Find ``number`` by Jane's phone and use the mailed code: the browser holds a pass."""
    assert shopper.find(JANES_PHONE, number).status_code == 303
    assert shopper.post(f"/order/{number}/pass").status_code == 303
    desk.relay_outbox()
    answer = shopper.post(f"/order/{number}/code", {"code": latest_code(mail_dir)})
    assert answer.status_code == 303


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_strict_headers(shopper: Shopper, path: str) -> None:
    """A CSP without script or inline style, no Referer ever, no caching, no framing."""
    response = shopper.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<script" not in html
    assert " style=" not in html
    assert "<style" not in html


def test_the_pages_have_no_inline_script_or_style(storefront: ModuleType) -> None:
    """The strict CSP holds for every template, not only the pages fetched above."""
    folder = Path(storefront.__file__).parent / "templates"
    for template in folder.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script" not in text, template.name
        assert "style=" not in text, template.name
        assert "<style" not in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name  # no event handler


def test_the_error_and_not_found_pages_send_the_headers_too(shopper: Shopper) -> None:
    response = shopper.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_cookies_are_secure_httponly_and_lax_in_production(
    storefront: ModuleType, desk: OrderStatus, mail_dir: Path
) -> None:
    """Without ``local_http``, the session and guest-pass cookies are ``Secure`` too."""
    app = storefront.create_app(desk, storefront.Settings(SECRET))
    client = app.test_client()
    shopper = Shopper(client)
    _verified(shopper, desk, mail_dir, PROCESSING)
    cookies = {cookie.key: cookie for cookie in client._cookies.values()}
    assert set(cookies) >= {"storefront_session", "guest_pass"}
    for cookie in cookies.values():
        assert cookie.secure, cookie.key
        assert cookie.http_only, cookie.key
        assert cookie.same_site == "Lax", cookie.key


def test_the_demo_drops_secure_only_on_127_0_0_1(shopper: Shopper, desk: OrderStatus) -> None:
    """``local_http`` serves plain HTTP for 127.0.0.1 and refuses every other host."""
    response = shopper.get("/", base_url="http://127.0.0.1:8000")
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    other = shopper.get("/", base_url="http://shop.example")
    assert other.status_code == 400
    assert "127.0.0.1" in other.get_data(as_text=True)


def test_a_short_secret_key_is_refused(storefront: ModuleType) -> None:
    with pytest.raises(ValueError, match="32 characters"):
        storefront.Settings("short")
    with pytest.raises(ValueError, match="32 characters"):
        storefront.Settings(12345678901234567890123456789012345)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/find", {"identifier": JANE, "order_number": DELIVERED}),
        ("/lookup", {"email": JANE}),
        ("/language", {"language": "fi"}),
        (f"/order/{PROCESSING}/cancel", {"everything": "1"}),
        (f"/order/{PROCESSING}/pass", {}),
        ("/pass", {"token": "abc.def"}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused(
    app: Any, desk: OrderStatus, path: str, fields: dict[str, str]
) -> None:
    """No token, or another session's: 400, nothing shown, nothing queued."""
    client = app.test_client()
    client.get("/")
    missing = client.post(path, data=fields)
    assert missing.status_code == 400
    assert "expired or came from another site" in missing.get_data(as_text=True)
    forged = client.post(path, data={**fields, "csrf_token": "forged-token"})
    assert forged.status_code == 400
    assert DELIVERED not in forged.get_data(as_text=True)
    assert _pending_mail(desk) == 0


def test_a_token_from_another_session_is_refused(app: Any) -> None:
    alice, mallory = Shopper(app.test_client()), Shopper(app.test_client())
    mallory.get("/")
    alice.get("/")
    alice.token = mallory.token
    assert alice.find(JANE, DELIVERED).status_code == 400


def test_a_cross_site_post_is_refused_before_the_form_is_read(
    shopper: Shopper, desk: OrderStatus
) -> None:
    """The browser's ``Sec-Fetch-Site: cross-site`` is refused even with a valid token."""
    shopper.get("/")
    answer = shopper.post("/lookup", {"email": JANE}, headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403
    assert _pending_mail(desk) == 0
    foreign = shopper.post("/lookup", {"email": JANE}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403
    assert _pending_mail(desk) == 0
    same = shopper.post("/lookup", {"email": JANE}, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200
    # This site's own forms post ``Origin: null`` (Referrer-Policy: no-referrer).
    own = shopper.post("/lookup", {"email": JANE}, headers={"Origin": "null"})
    assert own.status_code == 200
    named = shopper.post("/lookup", {"email": JANE}, headers={"Origin": "http://localhost"})
    assert named.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/find", "/lookup", "/language", f"/order/{PROCESSING}/cancel", f"/order/{PROCESSING}/pass"],
)
def test_state_changes_are_post_only(shopper: Shopper, path: str) -> None:
    response = shopper.get(path)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_every_not_found_is_the_same_page_and_status(shopper: Shopper) -> None:
    """A wrong pair, an unknown order, a malformed identifier or number, an order page
    without proof, and a page that does not exist: one page, one status (SECURITY A1)."""
    answers = [
        shopper.find(JANE, CARLOS_ORDER),
        shopper.find(JANE, "399999999"),
        shopper.find("not an email", DELIVERED),
        shopper.find(JANE, "<script>"),
        shopper.get(f"/order/{DELIVERED}"),
        shopper.get(f"/order/{CARLOS_ORDER}/returns"),
        shopper.get("/order/%3Cscript%3E"),
        shopper.get("/no/such/page"),
        shopper.get("/pass"),
    ]
    assert {answer.status_code for answer in answers} == {404}
    pages = {without_csrf(answer) for answer in answers}
    assert len(pages) == 1
    (page,) = pages
    assert "We could not find an order" in page
    assert "<script>" not in page


def test_order_look_up_answers_the_same_for_any_address(shopper: Shopper) -> None:
    known = shopper.post("/lookup", {"email": JANE})
    unknown = shopper.post("/lookup", {"email": "nobody@example.com"})
    malformed = shopper.post("/lookup", {"email": "<b>not an address</b>"})
    assert known.status_code == unknown.status_code == malformed.status_code == 200
    texts = {without_csrf(r) for r in (known, unknown, malformed)}
    assert len(texts) == 1


@pytest.mark.parametrize(
    ("command", "error", "status", "words"),
    [
        # The storage port fails: a short notice, the log has the error.
        ("find_order", AdapterError("database at 10.0.0.5 is gone: secret-detail"), 503,
         "cannot answer right now"),
        # A bug: a plain 500 page.
        ("find_order", RuntimeError("secret-detail /srv/app.py line 3"), 500,
         "Something went wrong on our side"),
    ],
)  # fmt: skip
def test_a_failure_never_shows_its_details(
    shopper: Shopper,
    desk: OrderStatus,
    monkeypatch: pytest.MonkeyPatch,
    caplog: Any,
    command: str,
    error: Exception,
    status: int,
    words: str,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    shopper.get("/")
    monkeypatch.setattr(desk, command, fail)
    response = shopper.find(JANE, DELIVERED)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "secret-detail" not in html
    assert "Traceback" not in html
    assert words in html
    assert "secret-detail" in caplog.text


def test_a_failing_mailer_never_changes_the_answer(
    shopper: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail port is down: Order Look-Up answers as ever, the mail waits (A3)."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("smtp down")

    before = shopper.post("/lookup", {"email": "nobody@example.com"})
    monkeypatch.setattr(desk.context.mailer, "send", refuse)
    after = shopper.post("/lookup", {"email": JANE})
    assert after.status_code == before.status_code == 200
    assert without_csrf(after) == without_csrf(before)
    assert desk.relay_outbox().failed >= 1
    assert _pending_mail(desk) >= 1


def test_too_many_attempts_answer_429_with_retry_after(shopper: Shopper) -> None:
    statuses = [shopper.find(JANE, f"3999999{n:02d}").status_code for n in range(40)]
    assert 429 in statuses
    assert set(statuses) <= {404, 429}
    answer = shopper.find(JANE, DELIVERED)
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) >= 1


def test_a_body_over_the_limit_is_refused(shopper: Shopper) -> None:
    answer = shopper.post("/find", {"identifier": "x" * 20_000, "order_number": DELIVERED})
    assert answer.status_code == 413
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "identifier",
    [
        "a" * 255,  # longer than any address
        "jane.doe@example.com\r\nBcc: mallory@example.com",  # header injection
        "\u202ejane@example.com",  # a right-to-left override
        "jane\x00@example.com",  # a NUL
        "' OR 1=1 --",
    ],
)
def test_hostile_input_never_breaks_a_page(shopper: Shopper, identifier: str) -> None:
    answer = shopper.find(identifier, DELIVERED)
    assert answer.status_code in (400, 404)
    html = answer.get_data(as_text=True)
    assert "Traceback" not in html
    assert "Bcc:" not in html


def test_invalid_utf8_in_a_form_is_not_a_500(shopper: Shopper) -> None:
    shopper.get("/")
    answer = shopper.client.post(
        "/find",
        data=b"csrf_token=" + shopper.token.encode() + b"&identifier=%ff%fe&order_number=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code in (400, 404)


def test_the_mail_page_exists_only_in_the_demo(
    storefront: ModuleType, desk: OrderStatus, shopper: Shopper
) -> None:
    assert shopper.get("/demo/mail").status_code == 200
    production = storefront.create_app(desk, storefront.Settings(SECRET))
    assert production.test_client().get("/demo/mail").status_code == 404


def test_the_language_switch_never_redirects_off_site(shopper: Shopper) -> None:
    for target in (
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:x",
        "/\r\nSet-Cookie: language=sv",  # header injection
        "/order/1?next=//evil.example",
    ):
        shopper.get("/")
        answer = shopper.post("/language", {"language": "fi", "next": target})
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/"
    assert shopper.post("/language", {"language": "sv", "next": "/"}).status_code == 400
