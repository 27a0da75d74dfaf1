"""The account half of the OpenAPI document (``/account/...``): sign-up, the mailed
links' tokens, log-in, the session, history and search, changes and deletion. Its schemas
are in :mod:`storefront.openapi`'s components; :data:`ACCOUNT_PATHS` is merged into its
paths.
"""

from __future__ import annotations

from typing import Any

from .openapi_parts import (
    BODY_ERRORS,
    SEARCH,
    SESSION,
    VEHICLE_SEARCH,
    json_request,
    json_response,
    responses,
    text,
)

__all__ = ["ACCOUNT_PATHS", "account_post", "with_session"]


def account_post(
    summary: str, body: str | None, ok: str, answer: dict[str, Any], *errors: str
) -> dict[str, Any]:
    """A POST of the account half; ``body`` None: it takes none."""
    operation: dict[str, Any] = {"summary": summary}
    if body is not None:
        operation["requestBody"] = json_request(body)
        errors = (*BODY_ERRORS, *errors)
    operation["responses"] = responses(ok, answer, *errors)
    return operation


def with_session(operation: dict[str, Any]) -> dict[str, Any]:
    return {**operation, "security": SESSION}


_MESSAGE_202 = json_response("The same answer for every address.", "Message")
_MESSAGE_200 = json_response("Done.", "Message")
ACCOUNT_PATHS: dict[str, Any] = {
    "/account/captcha": {
        "post": account_post(
            "A new sign-up captcha: image and audio as data: URLs",
            None,
            "201",
            json_response("The challenge.", "Captcha"),
            "TryLater",
        )
    },
    "/account/sign-up": {
        "post": account_post(
            "Sign up with the solved captcha: a verification link is mailed",
            "SignUp",
            "202",
            _MESSAGE_202,
            "TryLater",
        )
    },
    "/account/verify": {
        "post": account_post(
            "Verify the email with the mailed link's token",
            "Token",
            "200",
            json_response("The set-password step's token.", "Verified"),
            "TryLater",
        )
    },
    "/account/password": {
        "post": account_post(
            "Set the password with the verification step's token",
            "TokenAndPassword",
            "200",
            _MESSAGE_200,
            "TryLater",
        )
    },
    "/account/forgot-password": {
        "post": account_post("Mail a reset link", "Email", "202", _MESSAGE_202, "TryLater")
    },
    "/account/reset-password": {
        "post": account_post(
            "Set a new password with the reset link's token",
            "TokenAndPassword",
            "200",
            _MESSAGE_200,
            "TryLater",
        )
    },
    "/account/confirm-email": {
        "post": account_post(
            "Confirm a new email with the link mailed to it",
            "Token",
            "200",
            _MESSAGE_200,
            "TryLater",
        )
    },
    "/account/log-in": {
        "post": account_post(
            "Log in: a session token, to send as a Bearer token",
            "LogIn",
            "200",
            json_response("The session.", "Session"),
            "TryLater",
        )
    },
    "/account/log-out": {
        "post": with_session(
            account_post(
                "End the session on the server",
                None,
                "204",
                {"description": "Logged out."},
                "NotLoggedIn",
            )
        )
    },
    "/account/reauthenticate": {
        "post": with_session(
            account_post(
                "Type the password again: a new session token",
                "Password",
                "200",
                json_response("The new session.", "Session"),
                "NotLoggedIn",
                "TryLater",
            )
        )
    },
    "/account": {
        "get": {
            "summary": "The account",
            "security": SESSION,
            "responses": responses("200", json_response("The account.", "Account"), "NotLoggedIn"),
        },
        "delete": {
            "summary": "Delete the account (after re-authentication)",
            "security": SESSION,
            "responses": responses(
                "200", _MESSAGE_200, "BadRequest", "NotLoggedIn", "Reauthenticate"
            ),
        },
    },
    "/account/history": {
        "get": {
            "summary": "Every order of the account, newest first",
            "security": SESSION,
            "parameters": [{"name": "cursor", "in": "query", "schema": text(200)}],
            "responses": responses(
                "200", json_response("A page of orders.", "History"), "BadRequest", "NotLoggedIn"
            ),
        }
    },
    "/account/search": {
        "get": {
            "summary": "Search the account's orders by part number, category or vehicle (one)",
            "security": SESSION,
            "parameters": [*SEARCH, *VEHICLE_SEARCH],
            "responses": responses(
                "200",
                json_response("A page of matching orders.", "SearchPage"),
                "BadRequest",
                "NotLoggedIn",
            ),
        }
    },
    "/account/email": {
        "post": with_session(
            account_post(
                "Change the email (after re-authentication): a link to the new address",
                "Email",
                "202",
                json_response("A link is on its way.", "Message"),
                "NotLoggedIn",
                "Reauthenticate",
                "TryLater",
            )
        )
    },
    "/account/password/change": {
        "post": with_session(
            account_post(
                "Change the password (after re-authentication)",
                "Password",
                "200",
                _MESSAGE_200,
                "NotLoggedIn",
                "Reauthenticate",
            )
        )
    },
}
