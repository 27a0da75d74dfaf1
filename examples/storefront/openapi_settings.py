"""The profile settings' part of the OpenAPI document (``/account/credit``,
``/account/discount-codes``, ``/account/part-watches``, ``/account/mail-preferences``,
``/account/language``, ``/account/export``, ``/unsubscribe``): its schemas
(:data:`SETTINGS_SCHEMAS`) and paths (:data:`SETTINGS_PATHS`), as
:mod:`storefront.api_settings` answers them."""

from __future__ import annotations

from typing import Any

from .openapi_parts import (
    BODY_ERRORS,
    SESSION,
    STRING,
    WHEN,
    json_request,
    json_response,
    nullable,
    ref,
    responses,
    schema_object,
    text,
)

__all__ = ["SETTINGS_PATHS", "SETTINGS_SCHEMAS"]

_TEXTS = {"type": "array", "items": STRING}

SETTINGS_SCHEMAS: dict[str, Any] = {
    "AccountCredit": schema_object(
        {
            "balances": {"type": "array", "items": ref("Money")},
            "entries": {
                "type": "array",
                "description": "Newest first.",
                "items": schema_object({"amount": ref("Money"), "at": WHEN, "reference": STRING}),
            },
        }
    ),
    "DiscountCodes": schema_object(
        {
            "codes": {
                "type": "array",
                "description": "Newest first; used, expired and withdrawn ones included.",
                "items": schema_object(
                    {
                        "code": STRING,
                        "percent": nullable({"type": "integer"}),
                        "amount": nullable(ref("Money")),
                        "expires_at": WHEN,
                        "status": {"enum": ["open", "used", "expired", "revoked"]},
                    }
                ),
            }
        }
    ),
    "PartWatches": schema_object(
        {
            "watches": {
                "type": "array",
                "items": schema_object({"part_number": STRING, "watched_at": WHEN}),
            }
        }
    ),
    "NewPartWatch": schema_object({"part_number": text(40)}),
    "PartWatched": schema_object(
        {
            "part_number": STRING,
            "already": {"type": "boolean", "description": "It was watched already."},
        }
    ),
    "MailPreferences": schema_object({"subscribed": _TEXTS, "topics": _TEXTS}),
    "MailTopics": schema_object(
        {
            "topics": {
                "type": "object",
                "description": "Topic: subscribed or not; a topic not named stays as it was.",
                "minProperties": 1,
                "maxProperties": 50,
                "additionalProperties": {"type": "boolean"},
            }
        }
    ),
    "Language": schema_object({"language": text(16, description="``en`` or ``fi``.")}),
    "Unsubscribed": schema_object({"topic": STRING}),
}

_SESSION_GET = {"security": SESSION}

SETTINGS_PATHS: dict[str, Any] = {
    "/account/credit": {
        "get": {
            **_SESSION_GET,
            "summary": "Store credit: the balance per currency and its history",
            "responses": responses(
                "200", json_response("The credit.", "AccountCredit"), "NotLoggedIn"
            ),
        }
    },
    "/account/discount-codes": {
        "get": {
            **_SESSION_GET,
            "summary": "The account's discount codes, newest first",
            "responses": responses(
                "200", json_response("The codes.", "DiscountCodes"), "NotLoggedIn"
            ),
        }
    },
    "/account/part-watches": {
        "get": {
            **_SESSION_GET,
            "summary": "The parts watched until they are back in stock",
            "responses": responses(
                "200", json_response("The watches.", "PartWatches"), "NotLoggedIn"
            ),
        },
        "post": {
            **_SESSION_GET,
            "summary": "Tell me when it is back: watch a part",
            "requestBody": json_request("NewPartWatch"),
            "responses": responses(
                "201",
                json_response("Watched.", "PartWatched"),
                *BODY_ERRORS,
                "NotLoggedIn",
                "ProfileRefused",
            ),
        },
    },
    "/account/part-watches/{part_number}": {
        "delete": {
            **_SESSION_GET,
            "summary": "Stop watching a part",
            "parameters": [
                {
                    "name": "part_number",
                    "in": "path",
                    "required": True,
                    "schema": text(40, minLength=1),
                }
            ],
            "responses": responses(
                "204",
                {"description": "Not watched any more."},
                "BadRequest",
                "NotLoggedIn",
                "NotFound",
            ),
        }
    },
    "/account/mail-preferences": {
        "get": {
            **_SESSION_GET,
            "summary": "The topics of store mail and those subscribed",
            "responses": responses(
                "200", json_response("The preferences.", "MailPreferences"), "NotLoggedIn"
            ),
        },
        "put": {
            **_SESSION_GET,
            "summary": "Subscribe to or stop topics of store mail",
            "requestBody": json_request("MailTopics"),
            "responses": responses(
                "200",
                json_response("The preferences now.", "MailPreferences"),
                *BODY_ERRORS,
                "NotLoggedIn",
            ),
        },
    },
    "/account/language": {
        "put": {
            **_SESSION_GET,
            "summary": "The account's preferred language (its mail and answers)",
            "requestBody": json_request("Language"),
            "responses": responses(
                "200", json_response("Changed.", "Language"), *BODY_ERRORS, "NotLoggedIn"
            ),
        }
    },
    "/account/export": {
        "post": {
            **_SESSION_GET,
            "summary": "Everything stored about the account holder, as a download",
            "responses": responses(
                "200",
                {
                    "description": "The JSON document, as an attachment.",
                    "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "BadRequest",
                "NotLoggedIn",
                "Reauthenticate",
                "TryLater",
            ),
        }
    },
    "/unsubscribe": {
        "post": {
            "summary": "The one-click unsubscribe link of store mail (RFC 8058; no session)",
            "parameters": [
                {"name": "token", "in": "query", "required": True, "schema": text(2000)}
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": schema_object(
                            {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}
                        )
                    }
                },
            },
            "responses": responses(
                "200", json_response("Unsubscribed from the topic.", "Unsubscribed"), "BadRequest"
            ),
        }
    },
}
