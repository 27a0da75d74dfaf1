"""The storefront's JSON API for tests: a store with a captcha whose answers the test
knows (and the production Argon2id hasher, which ``OrderStatus.open`` insists on), and a
shopper registered and logged in through the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from orderstatus_core import OrderStatus
from orderstatus_core.testing import RecordingCaptcha
from support.storefront import JANE, mail_texts, open_demo_store

API = "/api/v1"
PROBLEM = "application/problem+json"
PASSWORD = "correct horse battery staple"
_LINK = re.compile(r"https?://\S+?\?token=(\S+)")


def open_api_store(mail_url: str) -> OrderStatus:
    """The demo cast, with a :class:`RecordingCaptcha` for sign-up."""
    return open_demo_store(mail_url, captcha=RecordingCaptcha())


def latest_link_token(mail_dir: Path, path: str) -> str:
    """The token of the newest mailed link whose address holds ``path`` (``/verify``)."""
    for text in reversed(mail_texts(mail_dir)):
        for found in _LINK.finditer(text):
            if path in found[0]:
                return found[1]
    raise AssertionError(f"no mailed {path} link")


def solved_captcha(client: Any, desk: OrderStatus) -> dict[str, str]:
    """A new captcha through the API and its right answer."""
    issued = client.post(f"{API}/account/captcha")
    assert issued.status_code == 201, issued.get_json()
    challenge_id = issued.get_json()["challenge_id"]
    captcha = desk.context.captcha
    assert isinstance(captcha, RecordingCaptcha)
    return {"challenge_id": challenge_id, "answer": captcha.answer_for(challenge_id)}


def register(client: Any, desk: OrderStatus, mail_dir: Path, email: str = JANE) -> None:
    """Sign ``email`` up, verify it and set :data:`PASSWORD`, all through the API."""
    signed = client.post(
        f"{API}/account/sign-up", json={"email": email, **solved_captcha(client, desk)}
    )
    assert signed.status_code == 202, signed.get_json()
    desk.relay_outbox()
    verified = client.post(
        f"{API}/account/verify", json={"token": latest_link_token(mail_dir, "/verify")}
    )
    assert verified.status_code == 200, verified.get_json()
    done = client.post(
        f"{API}/account/password",
        json={"token": verified.get_json()["token"], "password": PASSWORD},
    )
    assert done.status_code == 200, done.get_json()


def session_of(client: Any, email: str = JANE, *, remember: bool = False) -> str:
    """Log ``email`` in with :data:`PASSWORD`: the session token."""
    answer = client.post(
        f"{API}/account/log-in", json={"email": email, "password": PASSWORD, "remember": remember}
    )
    assert answer.status_code == 200, answer.get_json()
    token: str = answer.get_json()["token"]
    return token


def is_problem(response: Any, status: int, kind: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status`` (and the ``type``
    ``/api/v1/problems/<kind>``); its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    if kind is not None:
        assert body["type"] == f"/api/v1/problems/{kind}"
    return body


def bearer_session(client: Any, desk: OrderStatus, mail_dir: Path) -> dict[str, str]:
    """Jane registered and logged in through the API: her session's Authorization header."""
    register(client, desk, mail_dir)
    return {"Authorization": f"Bearer {session_of(client)}"}
