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

from flask import g
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
    SignedIn,
    TryLater,
    VehicleQuery,
)

from .api import api, search_json
from .api_web import (
    bad_field,
    bearer_token,
    iso_time,
    json_answer,
    json_body,
    json_query,
    no_body,
    problem,
    text_field,
    try_later_problem,
    typed_text,
)
from .web import client, desk

__all__ = ["answer_account", "shopper"]

#: A password's bound here: the library refuses more than 128 code points with its reason.
_PASSWORD = 1024


def shopper() -> ShopperSession:
    """The shopper of the request's Bearer session."""
    return desk().shopper(client=client(), session=bearer_token(), language=g.language)


def answer_account(answer: object) -> Response:
    """The answers the account commands share (``NotLoggedIn``: 401, ...)."""
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
            return try_later_problem(later)
        case (
            CheckYourMail(message=message)
            | ResetRequested(message=message)
            | EmailChangeRequested(message=message)
        ):
            return json_answer({"message": message}, 202)
        case (
            PasswordSet(message=message)
            | PasswordReset(message=message)
            | PasswordChanged(message=message)
            | EmailChanged(message=message)
            | AccountDeleted(message=message)
        ):
            return json_answer({"message": message})
    raise TypeError(f"unexpected answer {type(answer).__name__}")  # pragma: no cover


def _session(answer: object) -> Response:
    match answer:
        case LoggedIn(token=token, expires_at=expires_at, remember=remember):
            return json_answer(
                {
                    "token_type": "Bearer",
                    "token": token,
                    "expires_at": iso_time(expires_at),
                    "remember": remember,
                }
            )
    return answer_account(answer)


def _data_url(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


# --- sign-up, verification, password --------------------------------------------------------


@api.post("/account/captcha")
def new_captcha() -> Response:
    """A new challenge: its image (PNG) and audio (WAV) as ``data:`` URLs."""
    match desk().new_captcha(client=client()):
        case CaptchaIssued(
            challenge_id=challenge_id, expires_at=expires_at, image=image, audio=audio
        ):
            return json_answer(
                {
                    "challenge_id": challenge_id,
                    "expires_at": iso_time(expires_at),
                    "image": _data_url("image/png", image),
                    "audio": _data_url("audio/wav", audio),
                },
                201,
            )
        case TryLater() as later:
            return try_later_problem(later)


@api.post("/account/sign-up")
def sign_up() -> Response:
    body = json_body(frozenset({"email", "challenge_id", "answer"}))
    return answer_account(
        desk().sign_up(
            text_field(body, "email", 254),
            challenge_id=text_field(body, "challenge_id", 100),
            answer=text_field(body, "answer", 32),
            client=client(),
            language=g.language,
        )
    )


@api.post("/account/verify")
def verify_email() -> Response:
    """The mailed link's token: answers the token of the set-password step."""
    body = json_body(frozenset({"token"}))
    answer = desk().verify_email(
        text_field(body, "token", 200), client=client(), language=g.language
    )
    match answer:
        case EmailVerified(token=token, expires_at=expires_at):
            return json_answer({"token": token, "expires_at": iso_time(expires_at)})
    return answer_account(answer)


def _token_and_password() -> tuple[str, str]:
    body = json_body(frozenset({"token", "password"}))
    return text_field(body, "token", 200), _password(body)


def _password(body: Mapping[str, Any], name: str = "password") -> str:
    """A password as typed: never stripped nor folded (SECURITY B1)."""
    return typed_text(body, name, _PASSWORD)


@api.post("/account/password")
def set_password() -> Response:
    token, password = _token_and_password()
    answer = desk().set_password(token, password, client=client(), language=g.language)
    return answer_account(answer)


@api.post("/account/forgot-password")
def forgot_password() -> Response:
    body = json_body(frozenset({"email"}))
    return answer_account(
        desk().forgot_password(text_field(body, "email", 254), client=client(), language=g.language)
    )


@api.post("/account/reset-password")
def reset_password() -> Response:
    token, password = _token_and_password()
    answer = desk().reset_password(token, password, client=client(), language=g.language)
    return answer_account(answer)


@api.post("/account/confirm-email")
def confirm_email() -> Response:
    body = json_body(frozenset({"token"}))
    return answer_account(
        desk().confirm_email_change(
            text_field(body, "token", 200), client=client(), language=g.language
        )
    )


# --- log-in, the session ---------------------------------------------------------------------


@api.post("/account/log-in")
def log_in() -> Response:
    """``remember``: keep me logged in (14 days, absolute) rather than a plain session."""
    body = json_body(frozenset({"email", "password", "remember"}))
    remember = body.get("remember", False)
    if not isinstance(remember, bool):
        bad_field("remember", "is not true or false")
    return _session(
        desk().log_in(
            text_field(body, "email", 254),
            _password(body),
            remember=remember,
            client=client(),
            language=g.language,
        )
    )


@api.post("/account/log-out")
def account_log_out() -> Response:
    signed_in = shopper()
    who = signed_in.check()
    if not isinstance(who, SignedIn):
        return answer_account(who)
    match signed_in.log_out():
        case LoggedOut():
            return Response(status=204)


@api.post("/account/reauthenticate")
def reauthenticate() -> Response:
    """The password again, before a change or deletion: answers a *new* session token."""
    body = json_body(frozenset({"password"}))
    return _session(shopper().reauthenticate(_password(body)))


@api.get("/account")
def account() -> Response:
    answer = shopper().view()
    match answer:
        case AccountView() as view:
            return json_answer(
                {
                    "email": view.email.display,
                    "language": view.language,
                    "created_at": iso_time(view.created_at),
                    "verified_at": iso_time(view.verified_at),
                    "password_changed_at": iso_time(view.password_changed_at),
                    "session_expires_at": iso_time(view.session_expires_at),
                    "remember": view.remember,
                }
            )
    return answer_account(answer)


@api.get("/account/history")
def account_history() -> Response:
    query = json_query(frozenset({"cursor"}))
    answer = shopper().history(cursor=text_field(query, "cursor", 200, required=False) or None)
    match answer:
        case HistoryPage(orders=orders, next_cursor=next_cursor):
            return json_answer(
                {
                    "orders": [
                        {"number": header.number, "placed_at": iso_time(header.placed_at)}
                        for header in orders
                    ],
                    "next_cursor": next_cursor,
                }
            )
    return answer_account(answer)


_SEARCH_TERMS = frozenset(
    {"part_number", "category", "vehicle_id", "cursor", "year", "make", "model", "engine"}
)


def _vehicle(query: Mapping[str, str]) -> VehicleQuery | None:
    """The query's vehicle (year, make, model, optionally the engine), or ``None``."""
    year = text_field(query, "year", 4, required=False)
    make = text_field(query, "make", 40, required=False)
    model = text_field(query, "model", 60, required=False)
    engine = text_field(query, "engine", 60, required=False)
    if not (year or make or model or engine):
        return None
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        bad_field("year", "a model year of four digits")
    return VehicleQuery(int(year), make, model, engine or None)


@api.get("/account/search")
def account_search() -> Response:
    """The account's orders by part number, category, garage vehicle or vehicle: one."""
    query = json_query(_SEARCH_TERMS)
    part_number = text_field(query, "part_number", 40, required=False)
    category = text_field(query, "category", 200, required=False)
    vehicle_id = text_field(query, "vehicle_id", 64, required=False)
    vehicle = _vehicle(query)
    if not (part_number or category or vehicle_id or vehicle):
        bad_field("part_number", "give a part number, a category, a vehicle_id or a vehicle")
    answer = shopper().search(
        part_number=part_number or None,
        category=category or None,
        vehicle=vehicle,
        vehicle_id=vehicle_id or None,
        cursor=text_field(query, "cursor", 200, required=False) or None,
    )
    match answer:
        case SearchPage() as page:
            return json_answer(search_json(page))
    return answer_account(answer)


# --- changes, deletion -------------------------------------------------------------------------


@api.post("/account/email")
def change_email() -> Response:
    body = json_body(frozenset({"email"}))
    return answer_account(shopper().change_email(text_field(body, "email", 254)))


@api.post("/account/password/change")
def change_password() -> Response:
    body = json_body(frozenset({"password"}))
    return answer_account(shopper().change_password(_password(body)))


@api.delete("/account")
def delete_account() -> Response:
    no_body()
    return answer_account(shopper().delete_account())
