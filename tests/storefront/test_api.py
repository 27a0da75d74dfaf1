"""The storefront's JSON API (``/api/v1``) through Flask's test client: each endpoint's
journey, its bad input, the same 404 for every not-found, the guest pass as a Bearer
token, and a failing port answered as a 503 problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import AdapterError, ConflictError, OrderStatus
from support.storefront import (
    CARLOS_ORDER,
    DELIVERED,
    FRESH,
    JANE,
    JANES_PHONE,
    PROCESSING,
    RETURNABLE,
    latest_code,
    mail_texts,
)
from support.storefront_api import is_problem

API = "/api/v1"


@pytest.fixture
def client(app: Any) -> Any:
    """A client of the API: no cookies kept, no CSRF token, as a mobile app."""
    return app.test_client(use_cookies=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def guest_pass(client: Any, desk: OrderStatus, mail_dir: Path, number: str) -> str:
    """Ask for a code by Jane's email, read it from the mail, trade it for a pass."""
    asked = client.post(f"{API}/orders/{number}/pass", json={"identifier": JANE})
    assert asked.status_code == 202
    desk.relay_outbox()
    granted = client.post(f"{API}/orders/{number}/pass/code", json={"code": latest_code(mail_dir)})
    assert granted.status_code == 200
    token: str = granted.get_json()["token"]
    return token


@pytest.fixture
def returnable_pass(client: Any, desk: OrderStatus, mail_dir: Path) -> dict[str, str]:
    """The Authorization header of a pass for the returnable order."""
    return bearer(guest_pass(client, desk, mail_dir, RETURNABLE))


# --- find, look up ------------------------------------------------------------------------


def test_find_by_phone_answers_the_masked_order(client: Any) -> None:
    """Find by phone and number: the order as JSON, email, phone and address masked."""
    answer = client.post(
        f"{API}/orders/find", json={"identifier": JANES_PHONE, "order_number": PROCESSING}
    )
    assert answer.status_code == 200
    order = answer.get_json()["order"]
    assert order["number"] == PROCESSING
    assert order["email"] == "J•••@example.com"
    assert JANE not in answer.get_data(as_text=True)
    assert order["lines"][0]["units"]["ordered"] >= 1
    assert any(p["tracking_url"] for p in order["packages"])
    assert order["timeline"][0]["kind"] == "placed"
    assert answer.headers.get("Set-Cookie") is None


def test_every_not_found_is_the_same_problem(client: Any) -> None:
    """Unknown order, another shopper's order, a malformed number, an unknown path and an
    order without its pass: one 404, word for word (SECURITY A1)."""
    answers = [
        client.post(f"{API}/orders/find", json={"identifier": JANE, "order_number": "399999999"}),
        client.post(f"{API}/orders/find", json={"identifier": JANE, "order_number": CARLOS_ORDER}),
        client.get(f"{API}/orders/no%20such"),
        client.get(f"{API}/orders/{DELIVERED}"),
        client.get(f"{API}/no-such-thing"),
    ]
    bodies = [is_problem(answer, 404) for answer in answers]
    assert all(body == bodies[0] for body in bodies)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/orders//cancel"),
        ("post", "/orders//change"),
        ("get", "/orders//returns/options"),
        ("post", "/orders//pass"),
        ("get", "/orders//"),
    ],
)
def test_an_empty_order_number_is_the_same_not_found(client: Any, method: str, path: str) -> None:
    """An empty path segment is no route: the one 404 problem, never a 405 from a
    neighbouring route that merged slashes would have matched (schemathesis found it)."""
    answer = getattr(client, method)(f"{API}{path}", json={"all": True})
    missing = client.get(f"{API}/no-such-thing")
    assert is_problem(answer, 404) == is_problem(missing, 404)


def test_order_look_up_answers_the_same_for_any_address(client: Any) -> None:
    """Order Look-Up: 202 and the same message for a customer and a stranger (A1)."""
    known = client.post(f"{API}/order-list", json={"email": JANE})
    unknown = client.post(f"{API}/order-list", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()


def test_too_many_attempts_answer_429_with_retry_after(client: Any) -> None:
    """A rate limit answers 429, a problem with ``Retry-After``."""
    statuses = [
        client.post(
            f"{API}/orders/find", json={"identifier": JANE, "order_number": f"3999999{n:02d}"}
        ).status_code
        for n in range(40)
    ]
    assert set(statuses) <= {404, 429}
    answer = client.post(f"{API}/orders/find", json={"identifier": JANE, "order_number": DELIVERED})
    assert is_problem(answer, 429)["type"].endswith("try-later")
    assert int(answer.headers["Retry-After"]) >= 1


# --- the guest pass ---------------------------------------------------------------------------


def test_a_mailed_code_becomes_a_bearer_pass(
    client: Any, desk: OrderStatus, mail_dir: Path
) -> None:
    """The code answers a Bearer token; with it the order shows without the typed pair."""
    token = guest_pass(client, desk, mail_dir, DELIVERED)
    shown = client.get(f"{API}/orders/{DELIVERED}", headers=bearer(token))
    assert shown.status_code == 200
    assert shown.get_json()["order"]["number"] == DELIVERED
    # The pass is this order's only.
    assert client.get(f"{API}/orders/{PROCESSING}", headers=bearer(token)).status_code == 404


def test_a_wrong_code_is_refused(client: Any, desk: OrderStatus) -> None:
    """A wrong code is a 400 problem of its own type, never a pass."""
    client.post(f"{API}/orders/{DELIVERED}/pass", json={"identifier": JANE})
    desk.relay_outbox()
    refused = client.post(f"{API}/orders/{DELIVERED}/pass/code", json={"code": "000000"})
    assert is_problem(refused, 400)["type"].endswith("pass-refused")


def test_the_mailed_link_token_becomes_a_pass(
    client: Any, desk: OrderStatus, mail_dir: Path
) -> None:
    """The token of the mailed link, posted, answers a pass like the code."""
    client.post(f"{API}/orders/{DELIVERED}/pass", json={"identifier": JANES_PHONE})
    desk.relay_outbox()
    link = next(line for line in mail_texts(mail_dir)[-1].splitlines() if "token=" in line).strip()
    token = link.split("token=", 1)[1]
    granted = client.post(f"{API}/pass/link", json={"token": token})
    assert granted.status_code == 200
    assert granted.get_json()["order_number"] == DELIVERED
    assert granted.get_json()["token_type"] == "Bearer"
    assert is_problem(client.post(f"{API}/pass/link", json={"token": token}), 400)


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer \x00", "Basic abc", "bearer abc", "Bearer " + "a" * 201, "Bearer a b"],
)
def test_a_malformed_authorization_is_no_pass(client: Any, header: str) -> None:
    """A malformed Authorization header is no pass: the command needs one (401)."""
    answer = client.post(
        f"{API}/orders/{FRESH}/cancel", json={"everything": True}, headers={"Authorization": header}
    )
    assert is_problem(answer, 401)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_pass_is_never_a_cookie_and_no_csrf_token_is_needed(
    app: Any, desk: OrderStatus, mail_dir: Path
) -> None:
    """A client with cookies posts without a CSRF token, and no answer sets a cookie: the
    API is exempt from CSRF because its proof is a header a browser never adds itself."""
    client = app.test_client()
    token = guest_pass(client, desk, mail_dir, FRESH)
    answer = client.post(f"{API}/orders/{FRESH}/cancel", json={"everything": True})
    assert answer.status_code == 401  # the cookie jar holds nothing that proves anything
    assert client.get_cookie("guest_pass") is None
    done = client.post(
        f"{API}/orders/{FRESH}/cancel", json={"everything": True}, headers=bearer(token)
    )
    assert done.status_code == 200
    assert done.headers.get("Set-Cookie") is None


# --- cancel, change, problem --------------------------------------------------------------------


def test_cancel_everything_with_the_pass(client: Any, desk: OrderStatus, mail_dir: Path) -> None:
    """Cancelling everything of a fresh order cancels each line at once."""
    headers = bearer(guest_pass(client, desk, mail_dir, FRESH))
    answer = client.post(f"{API}/orders/{FRESH}/cancel", json={"everything": True}, headers=headers)
    assert answer.status_code == 200
    assert {line["code"] for line in answer.get_json()["lines"]} == {"cancelled"}


def test_cancel_units_with_an_idempotency_key_does_the_work_once(
    client: Any, desk: OrderStatus, mail_dir: Path
) -> None:
    """The same ``Idempotency-Key`` twice answers the first result again."""
    headers = bearer(guest_pass(client, desk, mail_dir, FRESH)) | {
        "Idempotency-Key": "key-0123456789"
    }
    body = {"units": [{"line_no": 1, "quantity": 1}]}
    first = client.post(f"{API}/orders/{FRESH}/cancel", json=body, headers=headers)
    again = client.post(f"{API}/orders/{FRESH}/cancel", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()


def test_a_command_without_a_pass_answers_401(client: Any) -> None:
    """Without a pass a command is a 401 problem, whether or not the order exists."""
    real = client.post(f"{API}/orders/{FRESH}/cancel", json={"everything": True})
    missing = client.post(f"{API}/orders/399999999/cancel", json={"everything": True})
    assert is_problem(real, 401) == is_problem(missing, 401)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "speed", "speed": "overnight"},
        {"kind": "remove", "line_no": 2},
        {
            "kind": "address",
            "name": "Jane Doe",
            "line1": "1 Main St",
            "city": "Oakland",
            "region": "CA",
            "postal_code": "94607",
            "country": "us",
        },
    ],
)
def test_a_change_request_is_recorded(
    client: Any, desk: OrderStatus, mail_dir: Path, change: dict[str, Any]
) -> None:
    """Each kind of change a fresh order allows is recorded as a request (201)."""
    headers = bearer(guest_pass(client, desk, mail_dir, FRESH))
    answer = client.post(f"{API}/orders/{FRESH}/change", json=change, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["request_id"]


def test_a_problem_report_is_recorded(client: Any, desk: OrderStatus, mail_dir: Path) -> None:
    """A problem with units of a delivered order is recorded (201)."""
    headers = bearer(guest_pass(client, desk, mail_dir, DELIVERED))
    answer = client.post(
        f"{API}/orders/{DELIVERED}/problem",
        json={"kind": "defective", "units": [{"line_no": 1, "quantity": 1}], "text": "Noisy.\n"},
        headers=headers,
    )
    assert answer.status_code == 201
    assert answer.get_json()["report_id"]


@pytest.mark.parametrize(
    ("number", "change"),
    [
        (DELIVERED, {"kind": "remove", "line_no": 1}),  # delivered: too late
        (FRESH, {"kind": "quantity", "line_no": 1, "quantity": 2}),  # only fewer units
    ],
)
def test_a_refused_command_is_a_409_with_its_reason(
    client: Any, desk: OrderStatus, mail_dir: Path, number: str, change: dict[str, Any]
) -> None:
    """A command the store refuses answers 409 with the refusal's code in ``reason``."""
    headers = bearer(guest_pass(client, desk, mail_dir, number))
    answer = client.post(f"{API}/orders/{number}/change", json=change, headers=headers)
    body = is_problem(answer, 409)
    assert body["reason"]


# --- returns ------------------------------------------------------------------------------------


def test_a_return_from_options_to_the_label_download(
    client: Any, desk: OrderStatus, returnable_pass: dict[str, str]
) -> None:
    """Options, preview, request, the list with its papers, and the PDF label."""
    base = f"{API}/orders/{RETURNABLE}/returns"
    options = client.get(f"{base}/options", headers=returnable_pass).get_json()
    line = next(line for line in options["lines"] if line["returnable"])
    draft = {"reason": "defective", "units": [{"line_no": line["line_no"], "quantity": 1}]}
    plan = client.post(f"{base}/preview", json=draft, headers=returnable_pass)
    assert plan.status_code == 200
    assert plan.get_json()["packages"][0]["preview"]["parts"]["currency"] == "USD"
    made = client.post(base, json=draft, headers=returnable_pass)
    assert made.status_code == 201
    rma = made.get_json()["return"]["packages"][0]["rma_number"]
    desk.relay_outbox()
    listed = client.get(base, headers=returnable_pass).get_json()
    files = listed["papers"][rma]
    pdf = next(name for name in files if name.endswith(".pdf"))
    download = client.get(f"{base}/{rma}/papers/{pdf}", headers=returnable_pass)
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]
    missing = client.get(f"{base}/{rma}/papers/nothing.pdf", headers=returnable_pass)
    assert is_problem(missing, 404)
    assert is_problem(client.get(f"{base}/{rma}/papers/{pdf}"), 401)


def test_own_tracking_is_saved(client: Any, returnable_pass: dict[str, str]) -> None:
    """A return shipped at one's own cost takes a valid tracking number; a bad one is 400."""
    base = f"{API}/orders/{RETURNABLE}/returns"
    draft = {
        "reason": "defective",
        "units": [{"line_no": 1, "quantity": 1}],
        "ship_by": "own_tracking",
        "refund_method": "store_credit",
    }
    made = client.post(base, json=draft, headers=returnable_pass)
    assert made.status_code == 201
    rma = made.get_json()["return"]["packages"][0]["rma_number"]
    bad = client.post(
        f"{base}/{rma}/tracking", json={"tracking_number": "1Z999"}, headers=returnable_pass
    )
    assert is_problem(bad, 400)
    saved = client.post(
        f"{base}/{rma}/tracking",
        json={"tracking_number": "1Z999AA10123456784"},
        headers=returnable_pass,
    )
    assert saved.status_code == 200
    assert saved.get_json()["return"]["packages"][0]["tracking_number"] == "1Z999AA10123456784"


# --- search ---------------------------------------------------------------------------------------


def test_search_by_part_number_with_a_pass(client: Any, returnable_pass: dict[str, str]) -> None:
    """A pass holder searches the orders of the pass's address by part number."""
    found = client.get(f"{API}/search?part_number=K060923", headers=returnable_pass)
    assert found.status_code == 200
    assert RETURNABLE in {match["number"] for match in found.get_json()["matches"]}


def test_search_needs_a_pass(client: Any) -> None:
    assert is_problem(client.get(f"{API}/search?part_number=K060923"), 401)


# --- bad input ------------------------------------------------------------------------------------

FIND = f"{API}/orders/find"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identifier": "a" * 255, "order_number": DELIVERED}, "identifier"),  # too long
        ({"identifier": JANE, "order_number": "3" * 33}, "order_number"),
        ({"identifier": 415, "order_number": DELIVERED}, "identifier"),  # wrong type
        ({"identifier": JANE, "order_number": None}, "order_number"),
        ({"identifier": [JANE], "order_number": DELIVERED}, "identifier"),
        ({"identifier": JANE}, "order_number"),  # missing
        ({"identifier": JANE, "order_number": DELIVERED, "admin": True}, "admin"),  # unknown
        ({"identifier": "\ud800@example.com", "order_number": DELIVERED}, "identifier"),
        ({"identifier": "jane@example.com\r\nBcc: x@y.z", "order_number": DELIVERED}, "identifier"),
        ({"identifier": "jane\x00@example.com", "order_number": DELIVERED}, "identifier"),
    ],
)
def test_bad_fields_are_a_400_naming_the_field(
    client: Any, body: dict[str, Any], field: str
) -> None:
    """Too long, wrong type, missing, unknown, a lone surrogate, CR/LF, NUL: 400, ``field``."""
    problem = is_problem(client.post(FIND, json=body), 400)
    assert problem["field"] == field


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe{}", b"{not json", b"[1, 2]", b'"text"', b"", b"[" * 5000 + b"]" * 5000],
)
def test_a_body_that_is_not_a_json_object_is_a_400(client: Any, raw: bytes) -> None:
    """Invalid UTF-8, broken JSON, not an object, nested too deep: 400, never a 500."""
    is_problem(client.post(FIND, data=raw, content_type="application/json"), 400)


def test_a_body_that_is_not_json_is_a_415(client: Any) -> None:
    answer = client.post(FIND, data={"identifier": JANE, "order_number": DELIVERED})
    assert is_problem(answer, 415)


def test_a_body_over_the_limit_is_a_413(client: Any) -> None:
    answer = client.post(FIND, json={"identifier": "x" * 20_000, "order_number": DELIVERED})
    assert is_problem(answer, 413)


@pytest.mark.parametrize(
    "identifier", ["' OR 1=1 --", "jane.doe@example.com' --", "\u202ejane@example.com", "%00"]
)
def test_injection_finds_nothing(client: Any, identifier: str) -> None:
    """SQL-like and direction-override text is an ordinary miss (400 or the same 404)."""
    answer = client.post(FIND, json={"identifier": identifier, "order_number": DELIVERED})
    assert answer.status_code in (400, 404)
    assert is_problem(answer, answer.status_code)


@pytest.mark.parametrize(
    "units",
    [
        [],
        [{"line_no": 1}],
        [{"line_no": 1, "quantity": 0}],
        [{"line_no": 1, "quantity": True}],
        [{"line_no": "1", "quantity": 1}],
        [{"line_no": 1, "quantity": 10**6}],
        [{"line_no": 1, "quantity": 1}, {"line_no": 1, "quantity": 1}],
        [{"line_no": 1, "quantity": 1, "price": 0}],
        [{"line_no": n, "quantity": 1} for n in range(1, 102)],
        "1:1",
    ],
)
def test_bad_units_are_a_400(client: Any, returnable_pass: dict[str, str], units: Any) -> None:
    """Units are a short list of distinct lines with whole counts; nothing else binds."""
    answer = client.post(
        f"{API}/orders/{RETURNABLE}/returns/preview",
        json={"reason": "defective", "units": units},
        headers=returnable_pass,
    )
    assert is_problem(answer, 400)["field"].startswith("units")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "speed", "speed": "teleport"},
        {"kind": "status", "state": "refunded"},
        {"kind": "speed", "speed": "overnight", "price": "0"},
        {"kind": "swap", "line_no": 1, "part_number": "^XA^FDx^XZ" * 10},
        {
            "kind": "address",
            "name": "J",
            "line1": "1",
            "city": "C",
            "postal_code": "1",
            "country": "USA",
        },
    ],
)
def test_a_bad_change_is_a_400(
    client: Any, desk: OrderStatus, mail_dir: Path, body: dict[str, Any]
) -> None:
    """An unknown kind or choice, a field of another kind, an oversize part number: 400."""
    headers = bearer(guest_pass(client, desk, mail_dir, FRESH))
    assert is_problem(client.post(f"{API}/orders/{FRESH}/change", json=body, headers=headers), 400)


def test_bad_query_parameters_are_a_400(client: Any, returnable_pass: dict[str, str]) -> None:
    for path in (
        f"{API}/search?part_number=K&admin=1",
        f"{API}/search",
        f"{API}/search?part_number=" + "x" * 41,
        f"{API}/orders/{RETURNABLE}/returns/options?kind=",
        f"{API}/orders/{RETURNABLE}/returns/options?kind=refund",
    ):
        assert is_problem(client.get(path, headers=returnable_pass), 400), path


def test_a_bad_idempotency_key_is_a_400(client: Any, desk: OrderStatus, mail_dir: Path) -> None:
    headers = bearer(guest_pass(client, desk, mail_dir, FRESH)) | {"Idempotency-Key": "k y"}
    answer = client.post(f"{API}/orders/{FRESH}/cancel", json={"everything": True}, headers=headers)
    assert is_problem(answer, 400)["field"] == "Idempotency-Key"


def test_a_wrong_method_is_a_405_problem_with_allow(client: Any) -> None:
    answer = client.delete(f"{API}/order-list")
    assert is_problem(answer, 405)
    assert "POST" in answer.headers["Allow"]


def test_a_cross_site_browser_post_is_a_403_problem(client: Any) -> None:
    """The app's guard refuses a post another site's page makes, here as a problem."""
    answer = client.post(
        f"{API}/order-list", json={"email": JANE}, headers={"Origin": "https://evil.example"}
    )
    assert is_problem(answer, 403)


def test_the_api_sends_the_strict_headers(client: Any) -> None:
    answer = client.get(f"{API}/openapi.json")
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]


# --- failing ports ------------------------------------------------------------------------------

_DRAFT = {"reason": "defective", "units": [{"line_no": 1, "quantity": 1}]}
_UPS = "1Z999AA10123456784"
_LINK = "gYQCeee1O96l92c5KD1IsQ.jSys6BfIJ2Y2NJS7kwzaSnCt7Iz9OpdzWhLdU1Lo3hw"  # well formed
ENDPOINTS = [
    ("post", "/orders/find", {"identifier": JANE, "order_number": DELIVERED}),
    ("post", "/order-list", {"email": JANE}),
    ("get", "/search?part_number=K060923", None),
    ("get", f"/orders/{RETURNABLE}", None),
    ("post", f"/orders/{RETURNABLE}/pass", {"identifier": JANE}),
    ("post", f"/orders/{RETURNABLE}/pass/code", {"code": "123456"}),
    ("post", "/pass/link", {"token": _LINK}),
    ("post", f"/orders/{RETURNABLE}/cancel", {"everything": True}),
    ("post", f"/orders/{RETURNABLE}/change", {"kind": "speed", "speed": "overnight"}),
    ("post", f"/orders/{RETURNABLE}/problem", {"kind": "other", "text": "x"}),
    ("get", f"/orders/{RETURNABLE}/returns/options", None),
    ("post", f"/orders/{RETURNABLE}/returns/preview", _DRAFT),
    ("post", f"/orders/{RETURNABLE}/returns", _DRAFT),
    ("get", f"/orders/{RETURNABLE}/returns", None),
    ("get", f"/orders/{RETURNABLE}/returns/R1-1/papers/label.pdf", None),
    ("post", f"/orders/{RETURNABLE}/returns/R1-1/tracking", {"tracking_number": _UPS}),
]  # fmt: skip


#: The storage fails under every endpoint; the rate limiter under those it guards (a
#: command with a guest pass is not rate limited: the pass is).
FAILURES = [("storage", *endpoint) for endpoint in ENDPOINTS] + [
    ("rate_limiter", *endpoint) for endpoint in ENDPOINTS[:2] + ENDPOINTS[4:7]
]


@pytest.mark.parametrize(("port", "method", "path", "body"), FAILURES)
def test_a_failing_port_is_a_503_problem_without_details(
    client: Any,
    desk: OrderStatus,
    returnable_pass: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    port: str,
) -> None:
    """The storage or the rate limiter fails: every endpoint answers 503, the details go
    to the log only."""

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("database at 10.0.0.5 is gone: secret-detail")

    attribute = {"storage": "unit_of_work", "rate_limiter": "hit"}[port]
    monkeypatch.setattr(getattr(desk.context, port), attribute, fail)
    answer = getattr(client, method)(API + path, json=body, headers=returnable_pass)
    assert is_problem(answer, 503)
    assert "secret-detail" not in answer.get_data(as_text=True)
    assert "secret-detail" in caplog.text


def test_a_failing_mailer_never_changes_the_answer(
    client: Any, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail port is down: Order Look-Up and the pass request answer as ever (A3)."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("smtp down")

    before = client.post(f"{API}/order-list", json={"email": JANE})
    monkeypatch.setattr(desk.context.mailer, "send", refuse)
    after = client.post(f"{API}/order-list", json={"email": JANE})
    assert after.status_code == before.status_code == 202
    assert after.get_json() == before.get_json()
    assert desk.relay_outbox().failed >= 1


def test_a_bug_is_a_500_problem_without_details(
    client: Any, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret-detail /srv/app.py line 3")

    monkeypatch.setattr(desk, "find_order", fail)
    answer = client.post(FIND, json={"identifier": JANE, "order_number": DELIVERED})
    assert is_problem(answer, 500)
    assert "secret-detail" not in answer.get_data(as_text=True)
    assert "secret-detail" in caplog.text


def test_an_idempotency_key_reused_for_other_input_is_a_422(
    client: Any, desk: OrderStatus, mail_dir: Path
) -> None:
    """The same key with another body: 422 naming the header, nothing done twice."""
    headers = bearer(guest_pass(client, desk, mail_dir, FRESH)) | {"Idempotency-Key": "k-12345678"}
    first = client.post(
        f"{API}/orders/{FRESH}/cancel",
        json={"units": [{"line_no": 1, "quantity": 1}]},
        headers=headers,
    )
    assert first.status_code == 200
    other = client.post(
        f"{API}/orders/{FRESH}/cancel",
        json={"units": [{"line_no": 2, "quantity": 1}]},
        headers=headers,
    )
    assert is_problem(other, 422)["field"] == "Idempotency-Key"


def test_a_lost_race_is_a_409_problem(
    client: Any, desk: OrderStatus, returnable_pass: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conflict the library could not retry away answers 409, never a 500."""

    def lose(*_args: object, **_kwargs: object) -> None:
        raise ConflictError("order 301990352 changed")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", lose)
    answer = client.get(f"{API}/orders/{RETURNABLE}/returns", headers=returnable_pass)
    assert is_problem(answer, 409)["type"].endswith("conflict")
    assert "301990352 changed" not in answer.get_data(as_text=True)
