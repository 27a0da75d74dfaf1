"""The JSON API's account half, on the ``api`` blueprint at ``/api/v1/account``.

Sign-up with a captcha (its image and audio as ``data:`` URLs in the answer, so that no
worker has to keep them), verification, setting the password, log-in answering a session
token, log-out, the account, its order history and search, re-authentication, changes of
email and password, deletion, and forgot / reset password. The session token travels as
``Authorization: Bearer``, like the guest pass: never a cookie (see :mod:`storefront.api`).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from flask import g, request
from werkzeug.wrappers import Response

from orderstatus_core import (
    AccountDeleted,
    AccountView,
    CaptchaIssued,
    CaptchaRefused,
    CheckYourMail,
    EmailChanged,
    EmailChangeRequested,
    EmailVerified,
    HistoryPage,
    LinkRefused,
    LoggedIn,
    LoggedOut,
    LogInRefused,
    NotLoggedIn,
    PasswordChanged,
    PasswordNotAccepted,
    PasswordReset,
    PasswordSet,
    ReauthenticationRequired,
    ResetRequested,
    SearchPage,
    ShopperSession,
    TryLater,
)

from .api import (
    _bad,
    _bearer,
    _body,
    _client,
    _desk,
    _json,
    _query,
    _text,
    _try_later,
    _when,
    api,
    problem,
    search_json,
)

__all__: list[str] = []

#: A password's bound here: the library refuses more than 128 code points with its reason.
_PASSWORD = 1024


def _shopper() -> ShopperSession:
    return _desk().shopper(client=_client(), session=_bearer(), language=g.language)


def _other(answer: object) -> Response:
    """The answers the account commands share."""
    match answer:
        case NotLoggedIn(message=message):
            response = problem(401, message, "/api/v1/problems/not-logged-in")
            response.headers["WWW-Authenticate"] = 'Bearer realm="account"'
            return response
        case ReauthenticationRequired(message=message):
            return problem(403, message, "/api/v1/problems/reauthentication-required")
        case PasswordNotAccepted(reason=reason, message=message):
            return problem(400, message, "/api/v1/problems/password-not-accepted", reason=reason)
        case LinkRefused(message=message):
            return problem(400, message, "/api/v1/problems/link-refused")
        case CaptchaRefused(message=message):
            return problem(400, message, "/api/v1/problems/captcha-refused")
        case LogInRefused(message=message):
            return problem(400, message, "/api/v1/problems/log-in-refused")
        case TryLater() as later:
            return _try_later(later)
        case (
            CheckYourMail(message=message)
            | ResetRequested(message=message)
            | EmailChangeRequested(message=message)
        ):
            return _json({"message": message}, 202)
        case (
            PasswordSet(message=message)
            | PasswordReset(message=message)
            | PasswordChanged(message=message)
            | EmailChanged(message=message)
            | AccountDeleted(message=message)
        ):
            return _json({"message": message})
    raise TypeError(f"unexpected answer {type(answer).__name__}")  # pragma: no cover


def _session(answer: object) -> Response:
    match answer:
        case LoggedIn(token=token, expires_at=expires_at, remember=remember):
            return _json(
                {
                    "token_type": "Bearer",
                    "token": token,
                    "expires_at": _when(expires_at),
                    "remember": remember,
                }
            )
    return _other(answer)


def _data_url(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


# --- sign-up, verification, password --------------------------------------------------------


@api.post("/account/captcha")
def new_captcha() -> Response:
    """A new challenge: its image (PNG) and audio (WAV) as ``data:`` URLs."""
    match _desk().new_captcha(client=_client()):
        case CaptchaIssued(
            challenge_id=challenge_id, expires_at=expires_at, image=image, audio=audio
        ):
            return _json(
                {
                    "challenge_id": challenge_id,
                    "expires_at": _when(expires_at),
                    "image": _data_url("image/png", image),
                    "audio": _data_url("audio/wav", audio),
                },
                201,
            )
        case TryLater() as later:
            return _try_later(later)


@api.post("/account/sign-up")
def sign_up() -> Response:
    body = _body(frozenset({"email", "challenge_id", "answer"}))
    return _other(
        _desk().sign_up(
            _text(body, "email", 254),
            challenge_id=_text(body, "challenge_id", 100),
            answer=_text(body, "answer", 32),
            client=_client(),
            language=g.language,
        )
    )


@api.post("/account/verify")
def verify_email() -> Response:
    """The mailed link's token: answers the token of the set-password step."""
    body = _body(frozenset({"token"}))
    answer = _desk().verify_email(_text(body, "token", 200), client=_client(), language=g.language)
    match answer:
        case EmailVerified(token=token, expires_at=expires_at):
            return _json({"token": token, "expires_at": _when(expires_at)})
    return _other(answer)


def _token_and_password() -> tuple[str, str]:
    body = _body(frozenset({"token", "password"}))
    return _text(body, "token", 200), _password(body)


def _password(body: Mapping[str, Any], name: str = "password") -> str:
    """A password as typed: never stripped nor folded (SECURITY B1)."""
    value = body.get(name)
    if not isinstance(value, str):
        _bad(name, "is not text")
    if len(value) > _PASSWORD:
        _bad(name, f"is longer than {_PASSWORD} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        _bad(name, "is not valid Unicode")
    return value


@api.post("/account/password")
def set_password() -> Response:
    token, password = _token_and_password()
    return _other(_desk().set_password(token, password, client=_client(), language=g.language))


@api.post("/account/forgot-password")
def forgot_password() -> Response:
    body = _body(frozenset({"email"}))
    return _other(
        _desk().forgot_password(_text(body, "email", 254), client=_client(), language=g.language)
    )


@api.post("/account/reset-password")
def reset_password() -> Response:
    token, password = _token_and_password()
    return _other(_desk().reset_password(token, password, client=_client(), language=g.language))


@api.post("/account/confirm-email")
def confirm_email() -> Response:
    body = _body(frozenset({"token"}))
    return _other(
        _desk().confirm_email_change(
            _text(body, "token", 200), client=_client(), language=g.language
        )
    )


# --- log-in, the session ---------------------------------------------------------------------


@api.post("/account/log-in")
def log_in() -> Response:
    """``remember``: keep me logged in (14 days, absolute) rather than a plain session."""
    body = _body(frozenset({"email", "password", "remember"}))
    remember = body.get("remember", False)
    if not isinstance(remember, bool):
        _bad("remember", "is not true or false")
    return _session(
        _desk().log_in(
            _text(body, "email", 254),
            _password(body),
            remember=remember,
            client=_client(),
            language=g.language,
        )
    )


@api.post("/account/log-out")
def account_log_out() -> Response:
    shopper = _shopper()
    view = shopper.view()
    if not isinstance(view, AccountView):
        return _other(view)
    match shopper.log_out():
        case LoggedOut():
            return Response(status=204)


@api.post("/account/reauthenticate")
def reauthenticate() -> Response:
    """The password again, before a change or deletion: answers a *new* session token."""
    body = _body(frozenset({"password"}))
    return _session(_shopper().reauthenticate(_password(body)))


@api.get("/account")
def account() -> Response:
    answer = _shopper().view()
    match answer:
        case AccountView() as view:
            return _json(
                {
                    "email": view.email.display,
                    "language": view.language,
                    "created_at": _when(view.created_at),
                    "verified_at": _when(view.verified_at),
                    "password_changed_at": _when(view.password_changed_at),
                    "session_expires_at": _when(view.session_expires_at),
                    "remember": view.remember,
                }
            )
    return _other(answer)


@api.get("/account/history")
def account_history() -> Response:
    query = _query(frozenset({"cursor"}))
    answer = _shopper().history(cursor=_text(query, "cursor", 200, required=False) or None)
    match answer:
        case HistoryPage(orders=orders, next_cursor=next_cursor):
            return _json(
                {
                    "orders": [
                        {"number": header.number, "placed_at": _when(header.placed_at)}
                        for header in orders
                    ],
                    "next_cursor": next_cursor,
                }
            )
    return _other(answer)


@api.get("/account/search")
def account_search() -> Response:
    query = _query(frozenset({"part_number", "category", "cursor"}))
    part_number = _text(query, "part_number", 40, required=False)
    category = _text(query, "category", 200, required=False)
    if not part_number and not category:
        _bad("part_number", "give a part number or a category")
    answer = _shopper().search(
        part_number=part_number or None,
        category=category or None,
        cursor=_text(query, "cursor", 200, required=False) or None,
    )
    match answer:
        case SearchPage() as page:
            return _json(search_json(page))
    return _other(answer)


# --- changes, deletion -------------------------------------------------------------------------


@api.post("/account/email")
def change_email() -> Response:
    body = _body(frozenset({"email"}))
    return _other(_shopper().change_email(_text(body, "email", 254)))


@api.post("/account/password/change")
def change_password() -> Response:
    body = _body(frozenset({"password"}))
    return _other(_shopper().change_password(_password(body)))


@api.delete("/account")
def delete_account() -> Response:
    if request.content_length:
        _bad("$", "a deletion takes no body")
    return _other(_shopper().delete_account())
