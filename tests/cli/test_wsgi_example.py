"""The example storefront (examples/wsgi_storefront.py), driven in-process through WSGI."""

from __future__ import annotations

import ast
import email
import email.policy
import io
import re
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest

import orderstatus_core
from orderstatus_core import OrderStatus

JANE = "jane.doe@example.com"
JANES_ORDER = "301442518"
CARLOS_ORDER = "301820664"
UNKNOWN_ORDER = "399999999"


class Response:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.code = int(status.split()[0])
        self.headers = dict(headers)
        self.text = body.decode("utf-8")
        self.errors = ""


def call(
    app: Any,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    *,
    extra: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    data = body if body is not None else urlencode(form or {}).encode("utf-8")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "REMOTE_ADDR": "203.0.113.7",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": io.StringIO(),
    }
    environ.update(extra or {})
    setup_testing_defaults(environ)
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started.append((status, headers))
        return lambda _data: None

    chunks = b"".join(app(environ, start_response))
    status, headers = started[0]
    response = Response(status, headers, chunks)
    response.errors = environ["wsgi.errors"].getvalue()
    return response


def find(app: Any, identifier: str, number: str) -> Response:
    return call(app, "POST", "/order", {"identifier": identifier, "order_number": number})


def test_the_example_uses_only_the_public_api(example: ModuleType) -> None:
    tree = ast.parse(Path(example.__file__ or "").read_text("utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and "orderstatus" in node.module:
            assert node.module == "orderstatus_core"
            imported.update(alias.name for alias in node.names)
        if isinstance(node, ast.Import):
            assert not any("orderstatus" in alias.name for alias in node.names)
    assert imported
    assert imported <= set(orderstatus_core.__all__)


def test_home_page_has_both_forms(example: ModuleType, desk: OrderStatus) -> None:
    response = call(example.make_app(desk), "GET", "/")
    assert response.code == 200
    assert 'action="/order"' in response.text
    assert 'action="/lookup"' in response.text
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_a_found_order_renders_masked(example: ModuleType, desk: OrderStatus) -> None:
    response = find(example.make_app(desk), "JANE.DOE@Example.COM", JANES_ORDER)
    assert response.code == 200
    page = response.text
    assert f"Order {JANES_ORDER}" in page
    assert "BP-1234" in page
    assert "Brake &amp; Wheel Hub › Brake Pad" in page
    assert 'href="https://www.ups.com/track?tracknum=1ZA9430E0312345671"' in page
    assert 'rel="noreferrer noopener"' in page
    assert "delivered" in page
    assert "J•••@example.com" in page
    assert "1187 Valencia" not in page
    assert "+14152739164" not in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_find_by_phone(example: ModuleType, desk: OrderStatus) -> None:
    response = find(example.make_app(desk), "(415) 273-9164", "301977206")
    assert response.code == 200
    assert "in warehouse processing" in response.text


def test_wrong_pair_and_unknown_order_render_the_same_page(
    example: ModuleType, desk: OrderStatus
) -> None:
    app = example.make_app(desk)
    wrong_pair = find(app, JANE, CARLOS_ORDER)
    unknown = find(app, JANE, UNKNOWN_ORDER)
    assert wrong_pair.status == unknown.status == "200 OK"
    assert wrong_pair.headers == unknown.headers
    # The pages differ only by the order number the shopper typed, echoed into the form.
    assert CARLOS_ORDER in wrong_pair.text
    assert wrong_pair.text.replace(CARLOS_ORDER, "N") == unknown.text.replace(UNKNOWN_ORDER, "N")
    assert "We could not find an order" in unknown.text


def test_html_in_the_form_is_escaped(example: ModuleType, desk: OrderStatus) -> None:
    app = example.make_app(desk)
    attack = '"><script>alert(1)</script>'
    response = find(app, attack + "@example.com", attack)
    assert response.code == 200
    assert "<script>alert(1)</script>" not in response.text
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    look_up = call(app, "POST", "/lookup", {"email": attack})
    assert "<script>alert" not in look_up.text


def test_order_look_up_queues_mail_and_answers_the_same(
    example: ModuleType, desk: OrderStatus, mail_dir: Path
) -> None:
    app = example.make_app(desk)
    known = call(app, "POST", "/lookup", {"email": JANE})
    unknown = call(app, "POST", "/lookup", {"email": "nobody@example.com"})
    assert known.code == unknown.code == 200
    assert known.text.replace(JANE, "E") == unknown.text.replace("nobody@example.com", "E")
    with desk.context.storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 2  # both queued alike; the relay decides
    assert not mail_dir.exists()  # relayed later, never inside the request


def test_state_changes_are_post_only(example: ModuleType, desk: OrderStatus) -> None:
    app = example.make_app(desk)
    for path in ("/order", "/lookup"):
        response = call(app, "GET", path)
        assert response.code == 405
        assert response.headers["Allow"] == "POST"
    assert call(app, "POST", "/").code == 405
    assert call(app, "GET", "/nothing-here").code == 404


REFUSED, ALLOWED = 403, 200


@pytest.mark.parametrize(
    ("headers", "answer"),
    [
        ({"HTTP_ORIGIN": "https://evil.example"}, REFUSED),
        ({"HTTP_ORIGIN": "null"}, REFUSED),
        ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"}, REFUSED),
        ({"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "http://shop.127.0.0.1"}, REFUSED),
        ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "null"}, REFUSED),
        ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "http://127.0.0.1"}, REFUSED),
        ({"HTTP_SEC_FETCH_SITE": "none"}, REFUSED),
        ({"HTTP_ORIGIN": "http://127.0.0.1"}, ALLOWED),
        ({"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "http://127.0.0.1"}, ALLOWED),
        # A no-referrer page (a guest-pass link's landing page) posts Origin: null.
        ({"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "null"}, ALLOWED),
        ({}, ALLOWED),  # not a browser: it cannot ride on a shopper's session
    ],
)
def test_only_this_sites_pages_and_non_browsers_may_post(
    example: ModuleType, desk: OrderStatus, headers: dict[str, str], answer: int
) -> None:
    """A POST made by another site's page, or one that cannot say where it comes from, is
    refused, and never shows the order; this site's pages and non-browsers may post."""
    form = {"identifier": JANE, "order_number": JANES_ORDER}
    response = call(example.make_app(desk), "POST", "/order", form, extra=headers)
    assert response.code == answer
    assert (f"Order {JANES_ORDER}" in response.text) is (answer == ALLOWED)


def test_oversized_and_odd_bodies(example: ModuleType, desk: OrderStatus) -> None:
    app = example.make_app(desk)
    assert call(app, "POST", "/order", body=b"x=" + b"1" * 10_000).code == 413
    wrong_type = call(app, "POST", "/order", {"a": "b"}, extra={"CONTENT_TYPE": "text/plain"})
    assert wrong_type.code == 415
    assert call(app, "POST", "/order", body=b"identifier=%ff%fe").code == 400


def test_rate_limit_per_client(example: ModuleType, desk: OrderStatus) -> None:
    app = example.make_app(desk)
    answers = [find(app, f"shopper{i}@example.com", f"1000000{i:02d}") for i in range(25)]
    limited = [a for a in answers if a.code == 429]
    assert limited
    assert int(limited[0].headers["Retry-After"]) >= 1


def test_errors_never_reach_the_browser(
    example: ModuleType, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret connection string postgres://admin:hunter2@db")

    monkeypatch.setattr(desk, "find_order", explode)
    response = find(example.make_app(desk), JANE, JANES_ORDER)
    assert response.code == 500
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" in response.errors  # the details go to the server's log
    assert response.headers["Referrer-Policy"] == "same-origin"


# --- the guest pass and the session ------------------------------------------------------------


def _mailed_code(desk: OrderStatus, mail_dir: Path) -> str:
    """The code of the newest guest-pass mail, as the shopper reads it in their mailbox."""
    desk.relay_outbox()
    newest = max(mail_dir.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    message = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    code = re.search(r"\b(\d{6})\b", body.get_content())
    assert code is not None
    return code[1]


def _cookie(response: Response) -> str:
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    return set_cookie.split(";")[0]


def test_a_guest_earns_a_pass_and_cancels_with_it(
    example: ModuleType, desk: OrderStatus, mail_dir: Path
) -> None:
    """Find, ask for a code, type it (the pass becomes a cookie), cancel with the cookie."""
    app = example.make_app(desk)
    found = find(app, JANE, JANES_ORDER)
    assert 'action="/pass"' in found.text
    asked = call(app, "POST", "/pass", {"identifier": JANE, "order_number": JANES_ORDER})
    assert asked.code == 200
    assert 'action="/verify"' in asked.text
    code = _mailed_code(desk, mail_dir)
    verified = call(app, "POST", "/verify", {"order_number": JANES_ORDER, "code": code})
    assert verified.code == 200
    assert f"Order {JANES_ORDER}" in verified.text
    assert 'action="/cancel"' in verified.text
    cookie = _cookie(verified)
    cancelled = call(
        app, "POST", "/cancel", {"order_number": JANES_ORDER}, extra={"HTTP_COOKIE": cookie}
    )
    assert cancelled.code == 200
    assert f"Order {JANES_ORDER}" in cancelled.text
    assert "line 1:" in cancelled.text


@pytest.mark.parametrize(
    "cookie",
    [None, "guest_pass=forged.token", "guest_pass=" + "A" * 22 + "." + "B" * 43, 'guest_pass="'],
)
def test_a_cancel_without_a_valid_pass_offers_the_forms(
    example: ModuleType, desk: OrderStatus, cookie: str | None
) -> None:
    """No cookie, a forged one or a broken header: the same page, and nothing changes."""
    app = example.make_app(desk)
    extra = {} if cookie is None else {"HTTP_COOKIE": cookie}
    answer = call(app, "POST", "/cancel", {"order_number": JANES_ORDER}, extra=extra)
    assert answer.code == 200
    assert "request a guest pass" in answer.text
    assert 'action="/order"' in answer.text
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(JANES_ORDER)
    assert order is not None
    assert not order.cancel_requests
    assert all(ledger.cancelled == 0 for ledger in map(order.ledger, (1,)))


def test_a_wrong_code_is_refused_and_sets_no_cookie(example: ModuleType, desk: OrderStatus) -> None:
    """One answer for a wrong code; the code form again, escaped."""
    app = example.make_app(desk)
    answer = call(app, "POST", "/verify", {"order_number": "<b>1</b>", "code": "000000"})
    assert answer.code == 200
    assert "Set-Cookie" not in answer.headers
    assert "<b>1</b>" not in answer.text
    assert "&lt;b&gt;1&lt;/b&gt;" in answer.text
