"""The parts the OpenAPI document is built of (:mod:`storefront.openapi`): schema
builders, the shared answers and problems, the security requirements.

Each part of the document (the guest half in :mod:`storefront.openapi`, the account in
:mod:`storefront.openapi_account`, the profile in :mod:`storefront.openapi_profile`)
builds its paths from these, so that one answer is written once.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ADDRESS_FIELDS",
    "ADDRESS_REQUIRED",
    "BODY_ERRORS",
    "COUNT",
    "PASS",
    "PROBLEM",
    "RESPONSES",
    "SEARCH",
    "SESSION",
    "STRING",
    "VEHICLE_SEARCH",
    "WHEN",
    "json_request",
    "json_response",
    "nullable",
    "problem_response",
    "record",
    "ref",
    "responses",
    "schema_object",
    "text",
]

_REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def text(limit: int, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit, **extra}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def record(**properties: Any) -> Any:
    """A closed object whose every property is required."""
    return schema_object(properties)


def schema_object(
    properties: dict[str, Any], *, required: list[str] | None = None, closed: bool = True
) -> Any:
    """An object of ``properties``, all required unless ``required`` names some; closed
    (no other property) unless ``closed`` is false."""
    names = list(properties) if required is None else required
    schema: dict[str, Any] = {"type": "object", "required": names, "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    return schema


WHEN = {"type": "string", "format": "date-time"}
STRING = {"type": "string"}
COUNT = {"type": "integer", "minimum": 1, "maximum": 99_999}
PROBLEM = {"application/problem+json": {"schema": ref("Problem")}}


def json_response(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM}


RESPONSES: dict[str, Any] = {
    "BadRequest": problem_response("The input is not valid: ``field`` names the first bad one."),
    "NotFound": problem_response("No such order, pair, pass, RMA or file: always the same answer."),
    "NoValidPass": {
        "description": "The command needs the order's guest pass as a Bearer token.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": PROBLEM,
    },
    "Refused": problem_response("The store refuses the command: ``reason`` says why, in a code."),
    "TooLarge": problem_response("The body is larger than the API takes."),
    "NotJson": problem_response("The body is not sent as application/json."),
    "TryLater": {
        "description": "Too many attempts: try again after ``Retry-After`` seconds.",
        "headers": {"Retry-After": {"required": True, "schema": {"type": "string"}}},
        "content": PROBLEM,
    },
    "Unavailable": problem_response("A port of the store (storage, mail) is failing."),
    "KeyReused": problem_response("The Idempotency-Key was used with another request."),
    "NotLoggedIn": {
        "description": "No valid session: log in and send its token as a Bearer token.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": PROBLEM,
    },
    "ProfileRefused": problem_response(
        "Nothing changed: the same address is saved already (``address_id`` names it), the "
        "address book, the garage or the watch list is full (``limit``), or the store's "
        "catalog lists no such vehicle."
    ),
    "Reauthenticate": problem_response(
        "Type the password again first (``/account/reauthenticate``)."
    ),
}


def responses(ok: str, answer: dict[str, Any], *errors: str) -> dict[str, Any]:
    out = {ok: answer, "503": {"$ref": "#/components/responses/Unavailable"}}
    codes = {
        "BadRequest": "400",
        "NoValidPass": "401",
        "NotFound": "404",
        "Refused": "409",
        "ProfileRefused": "409",
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
BODY_ERRORS = ("BadRequest", "TooLarge", "NotJson")


def json_request(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


#: A search's query: a part number or a category, and the cursor of the next page.
SEARCH = [
    {"name": "part_number", "in": "query", "schema": text(40)},
    {"name": "category", "in": "query", "schema": text(200)},
    {"name": "cursor", "in": "query", "schema": text(200)},
]
#: The account search's vehicle: a garage vehicle's id, or a year, make, model (and engine).
VEHICLE_SEARCH = [
    {"name": "vehicle_id", "in": "query", "schema": text(64)},
    {"name": "year", "in": "query", "schema": text(4)},
    {"name": "make", "in": "query", "schema": text(40)},
    {"name": "model", "in": "query", "schema": text(60)},
    {"name": "engine", "in": "query", "schema": text(60)},
]
PASS: list[dict[str, list[str]]] = [{"guestPass": []}]
SESSION: list[dict[str, list[str]]] = [{"session": []}]


#: An address's fields as a request sends them (``line2`` and ``region`` optional).
ADDRESS_FIELDS = {
    "name": text(100),
    "line1": text(100),
    "line2": text(100),
    "city": text(64),
    "region": text(64),
    "postal_code": text(16),
    "country": text(2, description="ISO 3166-1 alpha-2, such as US or FI."),
}
ADDRESS_REQUIRED = ["name", "line1", "city", "postal_code", "country"]
