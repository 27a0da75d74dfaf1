"""The JSON API's account half through Flask's test client: sign-up with the captcha,
verification, password, log-in with a Bearer session, the account, history and search,
re-authentication, changes and deletion, and their bad input and failing ports."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderstatus_core import AdapterError, OrderStatus
from support.storefront import DELIVERED, JANE, SECRET, open_demo_store
from support.storefront_api import (
    API,
    PASSWORD,
    is_problem,
    latest_link_token,
    open_api_store,
    solved_captcha,
)


@pytest.fixture
def desk(mail_url: str) -> Iterator[OrderStatus]:
    """The demo cast with a known-answer captcha."""
    with open_api_store(mail_url) as opened:
        yield opened


def test_the_captcha_comes_as_data_urls(client: Any) -> None:
    """The image and the audio are data: URLs, so no worker has to keep them."""
    issued = client.post(f"{API}/account/captcha").get_json()
    assert issued["image"].startswith("data:image/png;base64,")
    assert issued["audio"].startswith("data:audio/wav;base64,")
    image = base64.b64decode(issued["image"].partition(",")[2])
    assert issued["challenge_id"].encode() in image  # RecordingCaptcha names it


def test_sign_up_to_history(client: Any, desk: OrderStatus, session: dict[str, str]) -> None:
    """Registered and logged in: the account, and Jane's orders joined on verification."""
    account = client.get(f"{API}/account", headers=session)
    assert account.status_code == 200
    assert account.get_json()["email"] == JANE
    history = client.get(f"{API}/account/history", headers=session).get_json()
    assert DELIVERED in {order["number"] for order in history["orders"]}
    found = client.get(f"{API}/account/search?part_number=K060923", headers=session)
    assert found.status_code == 200
    assert found.get_json()["matches"]


def test_a_wrong_captcha_is_refused(client: Any, desk: OrderStatus) -> None:
    solved = solved_captcha(client, desk) | {"answer": "WRONG"}
    answer = client.post(f"{API}/account/sign-up", json={"email": JANE, **solved})
    assert is_problem(answer, 400)["type"].endswith("captcha-refused")


def test_a_wrong_password_and_an_unknown_email_answer_alike(
    client: Any, session: dict[str, str]
) -> None:
    """One refusal for a wrong password and an unknown address (A1)."""
    wrong = client.post(f"{API}/account/log-in", json={"email": JANE, "password": "x" * 20})
    unknown = client.post(
        f"{API}/account/log-in", json={"email": "nobody@example.com", "password": "x" * 20}
    )
    assert is_problem(wrong, 400) == is_problem(unknown, 400)


def test_log_out_ends_the_session(client: Any, session: dict[str, str]) -> None:
    assert client.post(f"{API}/account/log-out", headers=session).status_code == 204
    after = client.get(f"{API}/account", headers=session)
    assert is_problem(after, 401)["type"].endswith("not-logged-in")
    assert after.headers["WWW-Authenticate"].startswith("Bearer")


def test_changes_need_the_password_again(client: Any, session: dict[str, str]) -> None:
    """Changing the password after re-authentication: a new token; the old one is dead
    once the password changes (SECURITY E3, E4)."""
    # Just logged in: within the re-authentication window.
    fresh = client.post(f"{API}/account/reauthenticate", json={"password": PASSWORD})
    assert is_problem(fresh, 401)  # no session sent
    again = client.post(
        f"{API}/account/reauthenticate", json={"password": PASSWORD}, headers=session
    )
    assert again.status_code == 200
    headers = {"Authorization": f"Bearer {again.get_json()['token']}"}
    changed = client.post(
        f"{API}/account/password/change",
        json={"password": "another long passphrase here"},
        headers=headers,
    )
    assert changed.status_code == 200
    assert is_problem(client.get(f"{API}/account", headers=session), 401)


def test_a_weak_password_is_refused_with_its_reason(
    client: Any, desk: OrderStatus, mail_dir: Path
) -> None:
    client.post(
        f"{API}/account/sign-up",
        json={"email": "new@example.com", **solved_captcha(client, desk)},
    )
    desk.relay_outbox()
    verified = client.post(
        f"{API}/account/verify", json={"token": latest_link_token(mail_dir, "/verify")}
    ).get_json()
    short = client.post(
        f"{API}/account/password", json={"token": verified["token"], "password": "short"}
    )
    assert is_problem(short, 400)["reason"]


def test_delete_and_change_email(client: Any, session: dict[str, str]) -> None:
    moved = client.post(
        f"{API}/account/email", json={"email": "jane2@example.com"}, headers=session
    )
    assert moved.status_code == 202
    deleted = client.delete(f"{API}/account", headers=session)
    assert deleted.status_code == 200
    assert is_problem(client.get(f"{API}/account/history", headers=session), 401)


def test_forgot_password_answers_the_same_for_any_address(client: Any) -> None:
    known = client.post(f"{API}/account/forgot-password", json={"email": JANE})
    unknown = client.post(f"{API}/account/forgot-password", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/account/log-in", {"email": JANE, "password": "x" * 1025}, "password"),
        ("/account/log-in", {"email": JANE, "password": 12345}, "password"),
        ("/account/log-in", {"email": JANE, "password": PASSWORD, "remember": "yes"}, "remember"),
        ("/account/log-in", {"email": JANE, "password": "\udc80" * 15}, "password"),
        ("/account/log-in", {"email": JANE, "password": PASSWORD, "role": "admin"}, "role"),
        (
            "/account/sign-up",
            {"email": "a@b.c\r\nBcc: x@y.z", "challenge_id": "x", "answer": "y"},
            "email",
        ),
        ("/account/sign-up", {"email": "a" * 255, "challenge_id": "x", "answer": "y"}, "email"),
        ("/account/verify", {"token": ["x"]}, "token"),
        ("/account/password", {"token": "x" * 201, "password": PASSWORD}, "token"),
    ],
)
def test_bad_account_input_is_a_400(
    client: Any, path: str, body: dict[str, Any], field: str
) -> None:
    assert is_problem(client.post(API + path, json=body), 400)["field"] == field


def test_history_refuses_unknown_parameters(client: Any, session: dict[str, str]) -> None:
    answer = client.get(f"{API}/account/history?page_size=1000", headers=session)
    assert is_problem(answer, 400)["field"] == "page_size"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/account/captcha", None),
        ("post", "/account/log-in", {"email": JANE, "password": PASSWORD}),
        ("get", "/account", None),
        ("get", "/account/history", None),
        ("post", "/account/forgot-password", {"email": JANE}),
    ],
)
def test_a_failing_storage_is_a_503_problem(
    client: Any,
    desk: OrderStatus,
    session: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("database is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    answer = getattr(client, method)(API + path, json=body, headers=session)
    assert is_problem(answer, 503)
    assert "secret-detail" not in answer.get_data(as_text=True)


def test_a_store_without_a_captcha_answers_503(storefront: ModuleType, mail_url: str) -> None:
    """Sign-up needs a captcha port: a store opened without one answers a 503 problem."""
    with open_demo_store(mail_url) as bare:
        app = storefront.create_app(bare, storefront.Settings(SECRET, local_http=True))
        client = app.test_client(use_cookies=False)
        assert is_problem(client.post(f"{API}/account/captcha"), 503)
        body = {"email": JANE, "challenge_id": "x", "answer": "y"}
        assert is_problem(client.post(f"{API}/account/sign-up", json=body), 503)
