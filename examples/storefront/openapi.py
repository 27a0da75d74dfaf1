"""The OpenAPI 3.1 document of the JSON API (``/api/v1/openapi.json``), kept by hand.

Kept beside :mod:`storefront.api` and checked against it by the tests: every route of the
blueprint is here and every path here is a route, the document validates with
openapi-spec-validator, and schemathesis fuzzes the app from it (no 5xx, every answer as
documented). Change both in one commit.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DOCUMENT"]

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _text(limit: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit, **extra}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _record(**properties: Any) -> Any:
    """A closed object whose every property is required."""
    return _object(properties)


def _object(
    properties: dict[str, Any], *, required: list[str] | None = None, closed: bool = True
) -> Any:
    """An object of ``properties``, all required unless ``required`` names some; closed
    (no other property) unless ``closed`` is false."""
    names = list(properties) if required is None else required
    schema: dict[str, Any] = {"type": "object", "required": names, "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    return schema


_WHEN = {"type": "string", "format": "date-time"}
_STRING = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 1, "maximum": 99_999}
_PROBLEM = {"application/problem+json": {"schema": _ref("Problem")}}


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": _PROBLEM}


_RESPONSES: dict[str, Any] = {
    "BadRequest": _problem("The input is not valid: ``field`` names the first bad one."),
    "NotFound": _problem("No such order, pair, pass, RMA or file: always the same answer."),
    "NoValidPass": {
        "description": "The command needs the order's guest pass as a Bearer token.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": _PROBLEM,
    },
    "Refused": _problem("The store refuses the command: ``reason`` says why, in a code."),
    "TooLarge": _problem("The body is larger than the API takes."),
    "NotJson": _problem("The body is not sent as application/json."),
    "TryLater": {
        "description": "Too many attempts: try again after ``Retry-After`` seconds.",
        "headers": {"Retry-After": {"required": True, "schema": {"type": "string"}}},
        "content": _PROBLEM,
    },
    "Unavailable": _problem("A port of the store (storage, mail) is failing."),
    "KeyReused": _problem("The Idempotency-Key was used with another request."),
    "NotLoggedIn": {
        "description": "No valid session: log in and send its token as a Bearer token.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": _PROBLEM,
    },
    "Reauthenticate": _problem("Type the password again first (``/account/reauthenticate``)."),
}


def _responses(ok: str, answer: dict[str, Any], *errors: str) -> dict[str, Any]:
    out = {ok: answer, "503": {"$ref": "#/components/responses/Unavailable"}}
    codes = {
        "BadRequest": "400",
        "NoValidPass": "401",
        "NotFound": "404",
        "Refused": "409",
        "TooLarge": "413",
        "NotLoggedIn": "401",
        "Reauthenticate": "403",
        "NotJson": "415",
        "KeyReused": "422",
        "TryLater": "429",
    }
    for name in errors:
        out[codes[name]] = {"$ref": "#/components/responses/" + name}
    return out


#: What every POST with a JSON body may answer besides its own errors.
_BODY_ERRORS = ("BadRequest", "TooLarge", "NotJson")


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


_NUMBER = {
    "name": "order_number",
    "in": "path",
    "required": True,
    "schema": _text(32, pattern="^[0-9A-Za-z-]{1,32}$"),
}
_RMA = {
    "name": "rma_number",
    "in": "path",
    "required": True,
    "schema": _text(40, pattern="^[0-9A-Za-z-]{1,40}$"),
}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retried request with the same key does the work once.",
    "schema": _text(100, pattern="^[A-Za-z0-9_-]{8,100}$"),
}
#: A search's query: a part number or a category, and the cursor of the next page.
_SEARCH = [
    {"name": "part_number", "in": "query", "schema": _text(40)},
    {"name": "category", "in": "query", "schema": _text(200)},
    {"name": "cursor", "in": "query", "schema": _text(200)},
]
_PASS: list[dict[str, list[str]]] = [{"guestPass": []}]
_SESSION: list[dict[str, list[str]]] = [{"session": []}]


def _command(
    summary: str, body: str, ok: str, answer: dict[str, Any], *errors: str
) -> dict[str, Any]:
    """A guest command on one order: a body, the pass, an optional idempotency key."""
    return {
        "summary": summary,
        "security": _PASS,
        "parameters": [_NUMBER, _IDEMPOTENCY],
        "requestBody": _body(body),
        "responses": _responses(
            ok,
            answer,
            *_BODY_ERRORS,
            "NoValidPass",
            "NotFound",
            "Refused",
            "KeyReused",
            "TryLater",
            *errors,
        ),
    }


_MONEY = _object(
    {"amount": {"type": "string"}, "currency": {"type": "string"}},
)
_UNITS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 100,
    "items": _object({"line_no": _COUNT, "quantity": _COUNT}),
}
_PREVIEW = _object(
    {
        name: _ref("Money")
        for name in ("parts", "cores", "shipping", "tax", "label_deduction", "restocking_fee")
    },
    required=["parts", "cores", "shipping", "tax", "label_deduction", "restocking_fee"],
)
_RETURN_KINDS = ["return", "core", "warranty"]
_REASONS = [
    "wrong_part_shipped",
    "damaged_in_shipping",
    "defective",
    "missing_pieces",
    "cancelled_but_shipped",
    "ordered_wrong_part",
    "no_longer_needed",
    "does_not_fit",
    "core",
]
_PROBLEM_KINDS = [
    "missing_item",
    "damaged_in_transit",
    "wrong_part",
    "defective",
    "not_delivered",
    "tracking_not_updating",
    "other",
]

_SCHEMAS: dict[str, Any] = {
    "Problem": _object(
        {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string", "description": "The bad field's path (400)."},
            "reason": {"type": "string", "description": "The refusal's code (409)."},
        },
        required=["type", "title", "status", "detail"],
        closed=False,
    ),
    "Money": _MONEY,
    "Units": _UNITS,
    "FindOrder": _object(
        {
            "identifier": _text(254, description="The order's email or phone number."),
            "order_number": _text(32),
        },
    ),
    "OrderList": _object({"email": _text(254)}),
    "AskForPass": _object({"identifier": _text(254)}),
    "Code": _object({"code": _text(20)}),
    "LinkToken": _object({"token": _text(200)}),
    "Message": _object({"message": {"type": "string"}}),
    "GuestPass": _object(
        {
            "token_type": {"const": "Bearer"},
            "token": {"type": "string"},
            "order_number": {"type": "string"},
            "expires_at": _WHEN,
        },
    ),
    "OrderAnswer": _object({"order": _ref("Order")}),
    "Order": _object(
        {
            "number": {"type": "string"},
            "placed_at": _WHEN,
            "status": {"type": "string"},
            "status_text": {"type": "string"},
            "email": {"type": "string", "description": "Masked: J•••@example.com."},
            "phone": _nullable({"type": "string"}),
            "ship_to": _object(
                {
                    "name": {"type": "string"},
                    "street": {"type": "string"},
                    "city": {"type": "string"},
                    "region": _nullable({"type": "string"}),
                    "postal_code": {"type": "string"},
                    "country": {"type": "string"},
                },
            ),
            "lines": {"type": "array", "items": _ref("Line")},
            "packages": {"type": "array", "items": _ref("Package")},
            "subtotal": _ref("Money"),
            "core_charges": _ref("Money"),
            "shipping": _ref("Money"),
            "tax": _ref("Money"),
            "total": _ref("Money"),
            "refunded": _nullable(_ref("Money")),
            "requests": {
                "type": "array",
                "items": _object(
                    {
                        "kind": {"enum": ["cancel", "change", "problem"]},
                        "request_id": {"type": "string"},
                        "state": {"type": "string"},
                        "state_text": {"type": "string"},
                        "summary": {"type": "string"},
                        "requested_at": _WHEN,
                        "decided_at": _nullable(_WHEN),
                        "note": _nullable({"type": "string"}),
                    },
                ),
            },
            "timeline": {
                "type": "array",
                "items": _object(
                    {"at": _WHEN, "kind": {"type": "string"}, "text": {"type": "string"}},
                ),
            },
        },
    ),
    "Line": _object(
        {
            "line_no": {"type": "integer"},
            "part_number": {"type": "string"},
            "brand": {"type": "string"},
            "category": {"type": "string"},
            "description": {"type": "string"},
            "quantity": {"type": "integer"},
            "unit_price": _ref("Money"),
            "core_charge": _ref("Money"),
            "returnable": {"type": "boolean"},
            "warranty_months": {"type": "integer"},
            "units": _object(
                {
                    name: {"type": "integer", "minimum": 0}
                    for name in (
                        "ordered",
                        "cancelled",
                        "processing",
                        "shipped",
                        "delivered",
                        "returned",
                    )
                },
                required=["ordered", "cancelled", "processing", "shipped", "delivered", "returned"],
            ),
        },
    ),
    "Package": _object(
        {
            "package_id": {"type": "string"},
            "warehouse": {"type": "string"},
            "carrier": _nullable({"type": "string"}),
            "tracking_number": _nullable({"type": "string"}),
            "tracking_url": _nullable({"type": "string"}),
            "shipped_at": _nullable(_WHEN),
            "delivered_at": _nullable(_WHEN),
            "state_text": {"type": "string"},
            "units": _UNITS | {"minItems": 0},
        },
    ),
    "SearchPage": _object(
        {
            "matches": {
                "type": "array",
                "items": _object(
                    {
                        "number": {"type": "string"},
                        "placed_at": _WHEN,
                        "lines": {
                            "type": "array",
                            "items": _object(
                                {
                                    "line_no": {"type": "integer"},
                                    "part_number": {"type": "string"},
                                    "category": {"type": "string"},
                                    "description": {"type": "string"},
                                    "quantity": {"type": "integer"},
                                },
                            ),
                        },
                    },
                ),
            },
            "next_cursor": _nullable({"type": "string"}),
        },
    ),
    "Cancel": {
        "oneOf": [
            _object({"everything": {"const": True}}),
            _object({"units": _ref("Units")}),
        ]
    },
    "CancelAnswer": _object(
        {
            "order_number": {"type": "string"},
            "lines": {
                "type": "array",
                "items": _object(
                    {
                        "line_no": {"type": "integer"},
                        "cancelled": {"type": "integer"},
                        "requested": {"type": "integer"},
                        "refused": {"type": "integer"},
                        "code": {"type": "string"},
                    },
                ),
            },
            "refund": _nullable(_ref("Money")),
        },
    ),
    "Change": {
        "oneOf": [
            _object(
                {
                    "kind": {"const": "speed"},
                    "speed": {"enum": ["standard", "expedited", "overnight"]},
                },
            ),
            _object(
                {"kind": {"const": "quantity"}, "line_no": _COUNT, "quantity": _COUNT},
            ),
            _object({"kind": {"const": "remove"}, "line_no": _COUNT}),
            _object(
                {"kind": {"const": "swap"}, "line_no": _COUNT, "part_number": _text(40)},
            ),
            _object(
                {
                    "kind": {"const": "address"},
                    "name": _text(100),
                    "line1": _text(100),
                    "line2": _text(100),
                    "city": _text(64),
                    "region": _text(64),
                    "postal_code": _text(16),
                    "country": _text(2),
                },
                required=["kind", "name", "line1", "city", "postal_code", "country"],
            ),
        ]
    },
    "ChangeAnswer": _record(
        order_number=_STRING, request_id=_STRING, state=_STRING, requested_at=_WHEN
    ),
    "ProblemReport": _object(
        {
            "kind": {"enum": _PROBLEM_KINDS},
            "units": _ref("Units"),
            "text": _text(2000),
            "package_id": _text(40),
        },
        required=["kind", "text"],
    ),
    "ProblemAnswer": _record(
        order_number=_STRING, report_id=_STRING, state=_STRING, reported_at=_WHEN
    ),
    "ReturnOptions": _object(
        {
            "order_number": {"type": "string"},
            "kind": {"enum": _RETURN_KINDS},
            "lines": {
                "type": "array",
                "items": _object(
                    {
                        "line_no": {"type": "integer"},
                        "part_number": {"type": "string"},
                        "description": {"type": "string"},
                        "returnable": {"type": "integer", "minimum": 0},
                        "until": _nullable(_WHEN),
                        "refusals": {
                            "type": "array",
                            "items": _object(
                                {
                                    "code": {"type": "string"},
                                    "message": {"type": "string"},
                                    "quantity": {"type": "integer"},
                                },
                            ),
                        },
                    },
                ),
            },
        },
    ),
    "ReturnDraft": _object(
        {
            "kind": {"enum": _RETURN_KINDS},
            "reason": {"enum": _REASONS},
            "units": _ref("Units"),
            "ship_by": {"enum": ["label", "own_tracking"]},
            "refund_method": {"enum": ["original_payment", "store_credit"]},
            "comment": _text(500),
        },
        required=["reason", "units"],
    ),
    "ReturnPlan": _object(
        {
            "order_number": {"type": "string"},
            "packages": {
                "type": "array",
                "items": _object(
                    {
                        "destination": {"type": "string"},
                        "units": _ref("Units"),
                        "preview": _PREVIEW,
                        "label_quote": _nullable(_ref("Money")),
                    },
                ),
            },
        },
    ),
    "Return": _object(
        {
            "return_id": {"type": "string"},
            "kind": {"enum": _RETURN_KINDS},
            "reason": {"enum": _REASONS},
            "ship_by": {"enum": ["label", "own_tracking"]},
            "refund_method": {"enum": ["original_payment", "store_credit"]},
            "requested_at": _WHEN,
            "comment": _nullable({"type": "string"}),
            "packages": {
                "type": "array",
                "items": _object(
                    {
                        "rma_number": {"type": "string"},
                        "state": {"type": "string"},
                        "destination": {"type": "string"},
                        "units": _ref("Units"),
                        "preview": _PREVIEW,
                        "label_quote": _nullable(_ref("Money")),
                        "carrier": _nullable({"type": "string"}),
                        "tracking_number": _nullable({"type": "string"}),
                        "shipped_at": _nullable(_WHEN),
                        "received_at": _nullable(_WHEN),
                        "settled_at": _nullable(_WHEN),
                    },
                ),
            },
        },
    ),
    "ReturnAnswer": _object({"order_number": {"type": "string"}, "return": _ref("Return")}),
    "OrderReturns": _object(
        {
            "order_number": {"type": "string"},
            "returns": {"type": "array", "items": _ref("Return")},
            "papers": {
                "type": "object",
                "description": "The file names of each RMA's papers, by RMA number.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
    "Tracking": _object({"tracking_number": _text(40)}),
    "Captcha": _object(
        {
            "challenge_id": {"type": "string"},
            "expires_at": _WHEN,
            "image": {"type": "string", "description": "A data: URL of the PNG image."},
            "audio": {"type": "string", "description": "A data: URL of the WAV audio."},
        },
    ),
    "SignUp": _object(
        {"email": _text(254), "challenge_id": _text(100), "answer": _text(32)},
    ),
    "Email": _object({"email": _text(254)}),
    "Token": _object({"token": _text(200)}),
    "Password": _object({"password": _text(1024)}),
    "TokenAndPassword": _object({"token": _text(200), "password": _text(1024)}),
    "LogIn": _object(
        {"email": _text(254), "password": _text(1024), "remember": {"type": "boolean"}},
        required=["email", "password"],
    ),
    "Verified": _object({"token": {"type": "string"}, "expires_at": _WHEN}),
    "Session": _object(
        {
            "token_type": {"const": "Bearer"},
            "token": {"type": "string"},
            "expires_at": _WHEN,
            "remember": {"type": "boolean"},
        },
    ),
    "Account": _object(
        {
            "email": {"type": "string"},
            "language": {"type": "string"},
            "created_at": _WHEN,
            "verified_at": _nullable(_WHEN),
            "password_changed_at": _nullable(_WHEN),
            "session_expires_at": _WHEN,
            "remember": {"type": "boolean"},
        },
    ),
    "History": _object(
        {
            "orders": {
                "type": "array",
                "items": _object({"number": {"type": "string"}, "placed_at": _WHEN}),
            },
            "next_cursor": _nullable({"type": "string"}),
        },
    ),
}


def _account_post(
    summary: str, body: str | None, ok: str, answer: dict[str, Any], *errors: str
) -> dict[str, Any]:
    """A POST of the account half; ``body`` None: it takes none."""
    operation: dict[str, Any] = {"summary": summary}
    if body is not None:
        operation["requestBody"] = _body(body)
        errors = (*_BODY_ERRORS, *errors)
    operation["responses"] = _responses(ok, answer, *errors)
    return operation


def _with_session(operation: dict[str, Any]) -> dict[str, Any]:
    return {**operation, "security": _SESSION}


_MESSAGE_202 = _answer("The same answer for every address.", "Message")
_MESSAGE_200 = _answer("Done.", "Message")
_ACCOUNT_PATHS: dict[str, Any] = {
    "/account/captcha": {
        "post": _account_post(
            "A new sign-up captcha: image and audio as data: URLs",
            None,
            "201",
            _answer("The challenge.", "Captcha"),
            "TryLater",
        )
    },
    "/account/sign-up": {
        "post": _account_post(
            "Sign up with the solved captcha: a verification link is mailed",
            "SignUp",
            "202",
            _MESSAGE_202,
            "TryLater",
        )
    },
    "/account/verify": {
        "post": _account_post(
            "Verify the email with the mailed link's token",
            "Token",
            "200",
            _answer("The set-password step's token.", "Verified"),
            "TryLater",
        )
    },
    "/account/password": {
        "post": _account_post(
            "Set the password with the verification step's token",
            "TokenAndPassword",
            "200",
            _MESSAGE_200,
            "TryLater",
        )
    },
    "/account/forgot-password": {
        "post": _account_post("Mail a reset link", "Email", "202", _MESSAGE_202, "TryLater")
    },
    "/account/reset-password": {
        "post": _account_post(
            "Set a new password with the reset link's token",
            "TokenAndPassword",
            "200",
            _MESSAGE_200,
            "TryLater",
        )
    },
    "/account/confirm-email": {
        "post": _account_post(
            "Confirm a new email with the link mailed to it",
            "Token",
            "200",
            _MESSAGE_200,
            "TryLater",
        )
    },
    "/account/log-in": {
        "post": _account_post(
            "Log in: a session token, to send as a Bearer token",
            "LogIn",
            "200",
            _answer("The session.", "Session"),
            "TryLater",
        )
    },
    "/account/log-out": {
        "post": _with_session(
            _account_post(
                "End the session on the server",
                None,
                "204",
                {"description": "Logged out."},
                "NotLoggedIn",
            )
        )
    },
    "/account/reauthenticate": {
        "post": _with_session(
            _account_post(
                "Type the password again: a new session token",
                "Password",
                "200",
                _answer("The new session.", "Session"),
                "NotLoggedIn",
                "TryLater",
            )
        )
    },
    "/account": {
        "get": {
            "summary": "The account",
            "security": _SESSION,
            "responses": _responses("200", _answer("The account.", "Account"), "NotLoggedIn"),
        },
        "delete": {
            "summary": "Delete the account (after re-authentication)",
            "security": _SESSION,
            "responses": _responses(
                "200", _MESSAGE_200, "BadRequest", "NotLoggedIn", "Reauthenticate"
            ),
        },
    },
    "/account/history": {
        "get": {
            "summary": "Every order of the account, newest first",
            "security": _SESSION,
            "parameters": [{"name": "cursor", "in": "query", "schema": _text(200)}],
            "responses": _responses(
                "200", _answer("A page of orders.", "History"), "BadRequest", "NotLoggedIn"
            ),
        }
    },
    "/account/search": {
        "get": {
            "summary": "Search the account's orders by part number or category",
            "security": _SESSION,
            "parameters": _SEARCH,
            "responses": _responses(
                "200",
                _answer("A page of matching orders.", "SearchPage"),
                "BadRequest",
                "NotLoggedIn",
            ),
        }
    },
    "/account/email": {
        "post": _with_session(
            _account_post(
                "Change the email (after re-authentication): a link to the new address",
                "Email",
                "202",
                _answer("A link is on its way.", "Message"),
                "NotLoggedIn",
                "Reauthenticate",
                "TryLater",
            )
        )
    },
    "/account/password/change": {
        "post": _with_session(
            _account_post(
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


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Order Status & Returns (example storefront)",
        "version": "1.0.0",
        "description": (
            "The guest half of the Order Status & Returns area for headless storefronts and "
            "mobile apps. Errors are RFC 9457 problem details; every not-found is the same "
            "404; a guest pass is a Bearer token, never a cookie. See docs/storefront.md."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {
            "guestPass": {
                "type": "http",
                "scheme": "bearer",
                "description": "The token a verified code or link answers.",
            },
            "session": {
                "type": "http",
                "scheme": "bearer",
                "description": "The token a log-in or re-authentication answers.",
            },
        },
        "schemas": _SCHEMAS,
        "responses": _RESPONSES,
    },
    "paths": {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/orders/find": {
            "post": {
                "summary": "Find an order by its email or phone and its number",
                "requestBody": _body("FindOrder"),
                "responses": _responses(
                    "200",
                    _answer("The order, personal data masked.", "OrderAnswer"),
                    *_BODY_ERRORS,
                    "NotFound",
                    "TryLater",
                ),
            }
        },
        "/order-list": {
            "post": {
                "summary": "Order Look-Up: mail the latest order numbers to the stored address",
                "requestBody": _body("OrderList"),
                "responses": _responses(
                    "202",
                    _answer("The same answer whether or not there are orders.", "Message"),
                    *_BODY_ERRORS,
                    "TryLater",
                ),
            }
        },
        "/search": {
            "get": {
                "summary": "Search the pass holder's orders by part number or category",
                "security": _PASS,
                "parameters": _SEARCH,
                "responses": _responses(
                    "200",
                    _answer("A page of matching orders.", "SearchPage"),
                    "BadRequest",
                    "NoValidPass",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}": {
            "get": {
                "summary": "The order, for the holder of its guest pass",
                "security": _PASS,
                "parameters": [_NUMBER],
                "responses": _responses(
                    "200", _answer("The order.", "OrderAnswer"), "NotFound", "TryLater"
                ),
            }
        },
        "/orders/{order_number}/pass": {
            "post": {
                "summary": "Mail a guest pass (a code and a link) to the order's address",
                "parameters": [_NUMBER],
                "requestBody": _body("AskForPass"),
                "responses": _responses(
                    "202",
                    _answer("The same answer whether or not the pair matches.", "Message"),
                    *_BODY_ERRORS,
                    "NotFound",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/pass/code": {
            "post": {
                "summary": "Trade the mailed code for a guest pass",
                "parameters": [_NUMBER],
                "requestBody": _body("Code"),
                "responses": _responses(
                    "200",
                    _answer("The guest pass, to send as a Bearer token.", "GuestPass"),
                    *_BODY_ERRORS,
                    "NotFound",
                    "TryLater",
                ),
            }
        },
        "/pass/link": {
            "post": {
                "summary": "Trade the mailed link's token for a guest pass",
                "requestBody": _body("LinkToken"),
                "responses": _responses(
                    "200",
                    _answer("The guest pass, to send as a Bearer token.", "GuestPass"),
                    *_BODY_ERRORS,
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/cancel": {
            "post": _command(
                "Cancel units (or everything): what is not yet in processing at once",
                "Cancel",
                "200",
                _answer("What happened to each line.", "CancelAnswer"),
            )
        },
        "/orders/{order_number}/change": {
            "post": _command(
                "Ask for a change: speed, quantity, a line removed, a part swapped, address",
                "Change",
                "201",
                _answer("The change request, recorded.", "ChangeAnswer"),
            )
        },
        "/orders/{order_number}/problem": {
            "post": _command(
                "Report a problem with the order",
                "ProblemReport",
                "201",
                _answer("The report, recorded.", "ProblemAnswer"),
            )
        },
        "/orders/{order_number}/returns/options": {
            "get": {
                "summary": "What may be returned, per line, with each refusal's reason",
                "security": _PASS,
                "parameters": [
                    _NUMBER,
                    {"name": "kind", "in": "query", "schema": {"enum": _RETURN_KINDS}},
                ],
                "responses": _responses(
                    "200",
                    _answer("The returnable units.", "ReturnOptions"),
                    "BadRequest",
                    "NoValidPass",
                    "NotFound",
                    "Refused",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/returns/preview": {
            "post": {
                "summary": "The packages and refund a return would make, before committing",
                "security": _PASS,
                "parameters": [_NUMBER],
                "requestBody": _body("ReturnDraft"),
                "responses": _responses(
                    "200",
                    _answer("The plan.", "ReturnPlan"),
                    *_BODY_ERRORS,
                    "NoValidPass",
                    "NotFound",
                    "Refused",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/returns": {
            "get": {
                "summary": "The order's returns, with the file names of their papers",
                "security": _PASS,
                "parameters": [_NUMBER],
                "responses": _responses(
                    "200",
                    _answer("The returns.", "OrderReturns"),
                    "NoValidPass",
                    "NotFound",
                    "Refused",
                    "TryLater",
                ),
            },
            "post": _command(
                "Request a return: one RMA package per destination",
                "ReturnDraft",
                "201",
                _answer("The return, recorded.", "ReturnAnswer"),
            ),
        },
        "/orders/{order_number}/returns/{rma_number}/papers/{filename}": {
            "get": {
                "summary": "Download a label (PDF, ZPL) or the box's instructions",
                "security": _PASS,
                "parameters": [
                    _NUMBER,
                    _RMA,
                    {
                        "name": "filename",
                        "in": "path",
                        "required": True,
                        "schema": _text(120, pattern="^[A-Za-z0-9._-]{1,120}$"),
                    },
                ],
                "responses": _responses(
                    "200",
                    {
                        "description": "The file, as an attachment.",
                        "content": {
                            "application/pdf": {"schema": {}},
                            "application/x-zpl": {"schema": {}},
                        },
                    },
                    "NoValidPass",
                    "NotFound",
                    "Refused",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/returns/{rma_number}/tracking": {
            "post": {
                "summary": "Enter the tracking number of a box shipped at one's own cost",
                "security": _PASS,
                "parameters": [_NUMBER, _RMA, _IDEMPOTENCY],
                "requestBody": _body("Tracking"),
                "responses": _responses(
                    "200",
                    _answer("The return, with the tracking number.", "ReturnAnswer"),
                    *_BODY_ERRORS,
                    "NoValidPass",
                    "NotFound",
                    "Refused",
                    "KeyReused",
                    "TryLater",
                ),
            }
        },
        **_ACCOUNT_PATHS,
    },
}
