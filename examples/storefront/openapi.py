"""The OpenAPI 3.1 document of the JSON API (``/api/v1/openapi.json``), kept by hand.

Kept beside :mod:`storefront.api` and checked against it by the tests: every route of the
blueprint is here and every path here is a route, the document validates with
openapi-spec-validator, and schemathesis fuzzes the app from it (no 5xx, every answer as
documented). Change both in one commit.
"""

from __future__ import annotations

from typing import Any

from .openapi_account import ACCOUNT_PATHS
from .openapi_parts import (
    ADDRESS_FIELDS,
    ADDRESS_REQUIRED,
    BODY_ERRORS,
    COUNT,
    PASS,
    RESPONSES,
    SEARCH,
    STRING,
    WHEN,
    json_request,
    json_response,
    nullable,
    record,
    ref,
    responses,
    schema_object,
    text,
)
from .openapi_profile import PROFILE_PATHS, PROFILE_SCHEMAS
from .openapi_settings import SETTINGS_PATHS, SETTINGS_SCHEMAS

__all__ = ["DOCUMENT"]

_NUMBER = {
    "name": "order_number",
    "in": "path",
    "required": True,
    "schema": text(32, pattern="^[0-9A-Za-z-]{1,32}$"),
}
_RMA = {
    "name": "rma_number",
    "in": "path",
    "required": True,
    "schema": text(40, pattern="^[0-9A-Za-z-]{1,40}$"),
}
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retried request with the same key does the work once.",
    "schema": text(100, pattern="^[A-Za-z0-9_-]{8,100}$"),
}


def _command(
    summary: str, body: str, ok: str, answer: dict[str, Any], *errors: str
) -> dict[str, Any]:
    """A guest command on one order: a body, the pass, an optional idempotency key."""
    return {
        "summary": summary,
        "security": PASS,
        "parameters": [_NUMBER, _IDEMPOTENCY],
        "requestBody": json_request(body),
        "responses": responses(
            ok,
            answer,
            *BODY_ERRORS,
            "NoValidPass",
            "NotFound",
            "Refused",
            "KeyReused",
            "TryLater",
            *errors,
        ),
    }


_MONEY = schema_object(
    {"amount": {"type": "string"}, "currency": {"type": "string"}},
)
_UNITS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 100,
    "items": schema_object({"line_no": COUNT, "quantity": COUNT}),
}
_PREVIEW = schema_object(
    {
        name: ref("Money")
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
    "Problem": schema_object(
        {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string", "description": "The bad field's path (400)."},
            "reason": {"type": "string", "description": "The refusal's code (409)."},
            "position": {
                "anyOf": [{"type": "integer"}, {"type": "null"}],
                "description": "A refused VIN's first wrong position (null: its length).",
            },
            "address_id": {"type": "string", "description": "The address saved already."},
            "limit": {"type": "integer", "description": "A full address book's or garage's."},
        },
        required=["type", "title", "status", "detail"],
        closed=False,
    ),
    "Money": _MONEY,
    "Units": _UNITS,
    "FindOrder": schema_object(
        {
            "identifier": text(254, description="The order's email or phone number."),
            "order_number": text(32),
        },
    ),
    "OrderList": schema_object({"email": text(254)}),
    "AskForPass": schema_object({"identifier": text(254)}),
    "Code": schema_object({"code": text(20)}),
    "LinkToken": schema_object({"token": text(200)}),
    "Message": schema_object({"message": {"type": "string"}}),
    "GuestPass": schema_object(
        {
            "token_type": {"const": "Bearer"},
            "token": {"type": "string"},
            "order_number": {"type": "string"},
            "expires_at": WHEN,
        },
    ),
    "OrderAnswer": schema_object({"order": ref("Order")}),
    "Order": schema_object(
        {
            "number": {"type": "string"},
            "placed_at": WHEN,
            "status": {"type": "string"},
            "status_text": {"type": "string"},
            "email": {"type": "string", "description": "Masked: J•••@example.com."},
            "phone": nullable({"type": "string"}),
            "ship_to": schema_object(
                {
                    "name": {"type": "string"},
                    "street": {"type": "string"},
                    "city": {"type": "string"},
                    "region": nullable({"type": "string"}),
                    "postal_code": {"type": "string"},
                    "country": {"type": "string"},
                },
            ),
            "lines": {"type": "array", "items": ref("Line")},
            "packages": {"type": "array", "items": ref("Package")},
            "subtotal": ref("Money"),
            "core_charges": ref("Money"),
            "shipping": ref("Money"),
            "tax": ref("Money"),
            "total": ref("Money"),
            "refunded": nullable(ref("Money")),
            "requests": {
                "type": "array",
                "items": schema_object(
                    {
                        "kind": {"enum": ["cancel", "change", "problem"]},
                        "request_id": {"type": "string"},
                        "state": {"type": "string"},
                        "state_text": {"type": "string"},
                        "summary": {"type": "string"},
                        "requested_at": WHEN,
                        "decided_at": nullable(WHEN),
                        "note": nullable({"type": "string"}),
                    },
                ),
            },
            "timeline": {
                "type": "array",
                "items": schema_object(
                    {"at": WHEN, "kind": {"type": "string"}, "text": {"type": "string"}},
                ),
            },
        },
    ),
    "Line": schema_object(
        {
            "line_no": {"type": "integer"},
            "part_number": {"type": "string"},
            "brand": {"type": "string"},
            "category": {"type": "string"},
            "description": {"type": "string"},
            "quantity": {"type": "integer"},
            "unit_price": ref("Money"),
            "core_charge": ref("Money"),
            "returnable": {"type": "boolean"},
            "warranty_months": {"type": "integer"},
            "units": schema_object(
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
    "Package": schema_object(
        {
            "package_id": {"type": "string"},
            "warehouse": {"type": "string"},
            "carrier": nullable({"type": "string"}),
            "tracking_number": nullable({"type": "string"}),
            "tracking_url": nullable({"type": "string"}),
            "shipped_at": nullable(WHEN),
            "delivered_at": nullable(WHEN),
            "state_text": {"type": "string"},
            "units": _UNITS | {"minItems": 0},
        },
    ),
    "SearchPage": schema_object(
        {
            "matches": {
                "type": "array",
                "items": schema_object(
                    {
                        "number": {"type": "string"},
                        "placed_at": WHEN,
                        "lines": {
                            "type": "array",
                            "items": schema_object(
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
            "next_cursor": nullable({"type": "string"}),
        },
    ),
    "Cancel": {
        "oneOf": [
            schema_object({"everything": {"const": True}}),
            schema_object({"units": ref("Units")}),
        ]
    },
    "CancelAnswer": schema_object(
        {
            "order_number": {"type": "string"},
            "lines": {
                "type": "array",
                "items": schema_object(
                    {
                        "line_no": {"type": "integer"},
                        "cancelled": {"type": "integer"},
                        "requested": {"type": "integer"},
                        "refused": {"type": "integer"},
                        "code": {"type": "string"},
                    },
                ),
            },
            "refund": nullable(ref("Money")),
        },
    ),
    "Change": {
        "oneOf": [
            schema_object(
                {
                    "kind": {"const": "speed"},
                    "speed": {"enum": ["standard", "expedited", "overnight"]},
                },
            ),
            schema_object(
                {"kind": {"const": "quantity"}, "line_no": COUNT, "quantity": COUNT},
            ),
            schema_object({"kind": {"const": "remove"}, "line_no": COUNT}),
            schema_object(
                {"kind": {"const": "swap"}, "line_no": COUNT, "part_number": text(40)},
            ),
            schema_object(
                {"kind": {"const": "address"}, **ADDRESS_FIELDS},
                required=["kind", *ADDRESS_REQUIRED],
            ),
        ]
    },
    "ChangeAnswer": record(order_number=STRING, request_id=STRING, state=STRING, requested_at=WHEN),
    "ProblemReport": schema_object(
        {
            "kind": {"enum": _PROBLEM_KINDS},
            "units": ref("Units"),
            "text": text(2000),
            "package_id": text(40),
        },
        required=["kind", "text"],
    ),
    "ProblemAnswer": record(order_number=STRING, report_id=STRING, state=STRING, reported_at=WHEN),
    "ReturnOptions": schema_object(
        {
            "order_number": {"type": "string"},
            "kind": {"enum": _RETURN_KINDS},
            "lines": {
                "type": "array",
                "items": schema_object(
                    {
                        "line_no": {"type": "integer"},
                        "part_number": {"type": "string"},
                        "description": {"type": "string"},
                        "returnable": {"type": "integer", "minimum": 0},
                        "until": nullable(WHEN),
                        "refusals": {
                            "type": "array",
                            "items": schema_object(
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
    "ReturnDraft": schema_object(
        {
            "kind": {"enum": _RETURN_KINDS},
            "reason": {"enum": _REASONS},
            "units": ref("Units"),
            "ship_by": {"enum": ["label", "own_tracking"]},
            "refund_method": {"enum": ["original_payment", "store_credit"]},
            "comment": text(500),
        },
        required=["reason", "units"],
    ),
    "ReturnPlan": schema_object(
        {
            "order_number": {"type": "string"},
            "packages": {
                "type": "array",
                "items": schema_object(
                    {
                        "destination": {"type": "string"},
                        "units": ref("Units"),
                        "preview": _PREVIEW,
                        "label_quote": nullable(ref("Money")),
                    },
                ),
            },
        },
    ),
    "Return": schema_object(
        {
            "return_id": {"type": "string"},
            "kind": {"enum": _RETURN_KINDS},
            "reason": {"enum": _REASONS},
            "ship_by": {"enum": ["label", "own_tracking"]},
            "refund_method": {"enum": ["original_payment", "store_credit"]},
            "requested_at": WHEN,
            "comment": nullable({"type": "string"}),
            "packages": {
                "type": "array",
                "items": schema_object(
                    {
                        "rma_number": {"type": "string"},
                        "state": {"type": "string"},
                        "destination": {"type": "string"},
                        "units": ref("Units"),
                        "preview": _PREVIEW,
                        "label_quote": nullable(ref("Money")),
                        "carrier": nullable({"type": "string"}),
                        "tracking_number": nullable({"type": "string"}),
                        "shipped_at": nullable(WHEN),
                        "received_at": nullable(WHEN),
                        "settled_at": nullable(WHEN),
                    },
                ),
            },
        },
    ),
    "ReturnAnswer": schema_object({"order_number": {"type": "string"}, "return": ref("Return")}),
    "OrderReturns": schema_object(
        {
            "order_number": {"type": "string"},
            "returns": {"type": "array", "items": ref("Return")},
            "papers": {
                "type": "object",
                "description": "The file names of each RMA's papers, by RMA number.",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    ),
    "Tracking": schema_object({"tracking_number": text(40)}),
    "Captcha": schema_object(
        {
            "challenge_id": {"type": "string"},
            "expires_at": WHEN,
            "image": {"type": "string", "description": "A data: URL of the PNG image."},
            "audio": {"type": "string", "description": "A data: URL of the WAV audio."},
        },
    ),
    "SignUp": schema_object(
        {"email": text(254), "challenge_id": text(100), "answer": text(32)},
    ),
    "Email": schema_object({"email": text(254)}),
    "Token": schema_object({"token": text(200)}),
    "Password": schema_object({"password": text(1024)}),
    "TokenAndPassword": schema_object({"token": text(200), "password": text(1024)}),
    "LogIn": schema_object(
        {"email": text(254), "password": text(1024), "remember": {"type": "boolean"}},
        required=["email", "password"],
    ),
    "Verified": schema_object({"token": {"type": "string"}, "expires_at": WHEN}),
    "Session": schema_object(
        {
            "token_type": {"const": "Bearer"},
            "token": {"type": "string"},
            "expires_at": WHEN,
            "remember": {"type": "boolean"},
        },
    ),
    "Account": schema_object(
        {
            "email": {"type": "string"},
            "language": {"type": "string"},
            "created_at": WHEN,
            "verified_at": nullable(WHEN),
            "password_changed_at": nullable(WHEN),
            "session_expires_at": WHEN,
            "remember": {"type": "boolean"},
        },
    ),
    "History": schema_object(
        {
            "orders": {
                "type": "array",
                "items": schema_object({"number": {"type": "string"}, "placed_at": WHEN}),
            },
            "next_cursor": nullable({"type": "string"}),
        },
    ),
}


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Order Status & Returns (example storefront)",
        "version": "1.0.0",
        "description": (
            "The Order Status & Returns area (guest, account, profile) for headless "
            "storefronts and mobile apps. Errors are RFC 9457 problem details; every "
            "not-found is the same 404; a guest pass and a session are Bearer tokens, never "
            "cookies. See docs/storefront.md."
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
        "schemas": {**_SCHEMAS, **PROFILE_SCHEMAS, **SETTINGS_SCHEMAS},
        "responses": RESPONSES,
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
                "requestBody": json_request("FindOrder"),
                "responses": responses(
                    "200",
                    json_response("The order, personal data masked.", "OrderAnswer"),
                    *BODY_ERRORS,
                    "NotFound",
                    "TryLater",
                ),
            }
        },
        "/order-list": {
            "post": {
                "summary": "Order Look-Up: mail the latest order numbers to the stored address",
                "requestBody": json_request("OrderList"),
                "responses": responses(
                    "202",
                    json_response("The same answer whether or not there are orders.", "Message"),
                    *BODY_ERRORS,
                    "TryLater",
                ),
            }
        },
        "/search": {
            "get": {
                "summary": "Search the pass holder's orders by part number or category",
                "security": PASS,
                "parameters": SEARCH,
                "responses": responses(
                    "200",
                    json_response("A page of matching orders.", "SearchPage"),
                    "BadRequest",
                    "NoValidPass",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}": {
            "get": {
                "summary": "The order, for the holder of its guest pass",
                "security": PASS,
                "parameters": [_NUMBER],
                "responses": responses(
                    "200", json_response("The order.", "OrderAnswer"), "NotFound", "TryLater"
                ),
            }
        },
        "/orders/{order_number}/pass": {
            "post": {
                "summary": "Mail a guest pass (a code and a link) to the order's address",
                "parameters": [_NUMBER],
                "requestBody": json_request("AskForPass"),
                "responses": responses(
                    "202",
                    json_response("The same answer whether or not the pair matches.", "Message"),
                    *BODY_ERRORS,
                    "NotFound",
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/pass/code": {
            "post": {
                "summary": "Trade the mailed code for a guest pass",
                "parameters": [_NUMBER],
                "requestBody": json_request("Code"),
                "responses": responses(
                    "200",
                    json_response("The guest pass, to send as a Bearer token.", "GuestPass"),
                    *BODY_ERRORS,
                    "NotFound",
                    "TryLater",
                ),
            }
        },
        "/pass/link": {
            "post": {
                "summary": "Trade the mailed link's token for a guest pass",
                "requestBody": json_request("LinkToken"),
                "responses": responses(
                    "200",
                    json_response("The guest pass, to send as a Bearer token.", "GuestPass"),
                    *BODY_ERRORS,
                    "TryLater",
                ),
            }
        },
        "/orders/{order_number}/cancel": {
            "post": _command(
                "Cancel units (or everything): what is not yet in processing at once",
                "Cancel",
                "200",
                json_response("What happened to each line.", "CancelAnswer"),
            )
        },
        "/orders/{order_number}/change": {
            "post": _command(
                "Ask for a change: speed, quantity, a line removed, a part swapped, address",
                "Change",
                "201",
                json_response("The change request, recorded.", "ChangeAnswer"),
            )
        },
        "/orders/{order_number}/problem": {
            "post": _command(
                "Report a problem with the order",
                "ProblemReport",
                "201",
                json_response("The report, recorded.", "ProblemAnswer"),
            )
        },
        "/orders/{order_number}/returns/options": {
            "get": {
                "summary": "What may be returned, per line, with each refusal's reason",
                "security": PASS,
                "parameters": [
                    _NUMBER,
                    {"name": "kind", "in": "query", "schema": {"enum": _RETURN_KINDS}},
                ],
                "responses": responses(
                    "200",
                    json_response("The returnable units.", "ReturnOptions"),
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
                "security": PASS,
                "parameters": [_NUMBER],
                "requestBody": json_request("ReturnDraft"),
                "responses": responses(
                    "200",
                    json_response("The plan.", "ReturnPlan"),
                    *BODY_ERRORS,
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
                "security": PASS,
                "parameters": [_NUMBER],
                "responses": responses(
                    "200",
                    json_response("The returns.", "OrderReturns"),
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
                json_response("The return, recorded.", "ReturnAnswer"),
            ),
        },
        "/orders/{order_number}/returns/{rma_number}/papers/{filename}": {
            "get": {
                "summary": "Download a label (PDF, ZPL) or the box's instructions",
                "security": PASS,
                "parameters": [
                    _NUMBER,
                    _RMA,
                    {
                        "name": "filename",
                        "in": "path",
                        "required": True,
                        "schema": text(120, pattern="^[A-Za-z0-9._-]{1,120}$"),
                    },
                ],
                "responses": responses(
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
                "security": PASS,
                "parameters": [_NUMBER, _RMA, _IDEMPOTENCY],
                "requestBody": json_request("Tracking"),
                "responses": responses(
                    "200",
                    json_response("The return, with the tracking number.", "ReturnAnswer"),
                    *BODY_ERRORS,
                    "NoValidPass",
                    "NotFound",
                    "Refused",
                    "KeyReused",
                    "TryLater",
                ),
            }
        },
        **ACCOUNT_PATHS,
        **PROFILE_PATHS,
        **SETTINGS_PATHS,
    },
}
