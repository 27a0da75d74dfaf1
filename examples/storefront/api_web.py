"""What every part of the JSON API does with a request (its guest, account and profile
halves): RFC 9457 problems, the one 404, a checked JSON body and query, bounded text
fields, the Bearer token, times and JSON answers.

One way to do each of these: :mod:`storefront.api`, :mod:`storefront.api_account` and
:mod:`storefront.api_profile` import them from here. A helper that finds bad input raises
:class:`Answer` with the finished problem; the blueprint's error handler answers it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NoReturn

from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from orderstatus_core import Address, TryLater

__all__ = [
    "PROBLEM_JSON",
    "Answer",
    "abort_not_found",
    "bad_field",
    "bearer_token",
    "http_problem",
    "iso_time",
    "json_address",
    "json_answer",
    "json_body",
    "json_query",
    "no_body",
    "not_found_problem",
    "problem",
    "text_field",
    "try_later_problem",
    "typed_text",
]

PROBLEM_JSON = "application/problem+json"
_BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/=-]{1,200})")
#: Control characters refused in every text field (a problem's text may hold line breaks).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_TITLES = {
    400: "Bad request",
    401: "A guest pass is needed",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Idempotency-Key reused",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


# --- problems (RFC 9457) ----------------------------------------------------------------


def problem(status: int, detail: str, kind: str = "about:blank", **extra: Any) -> Response:
    """A problem details answer: ``type``, ``title``, ``status``, ``detail`` and any
    extension members (``reason``, ``field``, ``position``)."""
    body = {
        "type": kind,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


class Answer(Exception):
    """Carries a finished answer out of a helper (bad input, not found)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def not_found_problem() -> Response:
    """The one 404 for every not-found: no such route, order, pair, pass, RMA, file,
    saved address or vehicle (SECURITY A1)."""
    return problem(404, "There is no such order, or the details do not match.")


def abort_not_found() -> NoReturn:
    raise Answer(not_found_problem())


def bad_field(field: str, detail: str) -> NoReturn:
    """Refuse the request: 400, ``field`` naming the bad input."""
    raise Answer(problem(400, f"{detail} @ {field}", "/api/v1/problems/invalid-field", field=field))


def try_later_problem(answer: TryLater) -> Response:
    """A rate limit's answer: 429 with ``Retry-After``."""
    response = problem(429, answer.message, "/api/v1/problems/try-later")
    response.headers["Retry-After"] = str(answer.retry_after_seconds)
    return response


def http_problem(error: HTTPException) -> Response:
    """An HTTP error (no such route, wrong method, too large) as a problem; the
    application's handler calls this for every path under ``/api/``."""
    status = error.code or 400
    if status == 404:
        return not_found_problem()
    response = problem(status, error.description or _TITLES.get(status, "Error"))
    if status == 405:
        response.headers.extend([(k, v) for k, v in error.get_headers() if k == "Allow"])
    return response


# --- input ---------------------------------------------------------------------------------


def json_body(allowed: frozenset[str]) -> dict[str, Any]:
    """The request's JSON object, with no field but ``allowed``."""
    if request.mimetype != "application/json":
        raise Answer(problem(415, "Send a JSON object as application/json."))
    try:
        value = json.loads(request.get_data(cache=False).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        bad_field("$", "is not JSON in UTF-8")
    if not isinstance(value, dict):
        bad_field("$", "is not a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        bad_field(unknown[0][:40], "is not a field of this request")
    return value


def no_body() -> None:
    """Refuse a body where the request takes none (a deletion)."""
    if request.content_length:
        bad_field("$", "this request takes no body")


def json_query(allowed: frozenset[str]) -> Mapping[str, str]:
    """The query string, with no parameter but ``allowed``."""
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        bad_field(unknown[0][:40], "is not a parameter of this request")
    return request.args


def typed_text(body: Mapping[str, Any], name: str, limit: int) -> str:
    """A text field as typed (never stripped: a password): a JSON string of at most
    ``limit`` characters, valid Unicode (no lone surrogate)."""
    value = body.get(name)
    if not isinstance(value, str):
        bad_field(name, "is not text")
    if len(value) > limit:
        bad_field(name, f"is longer than {limit} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        bad_field(name, "is not valid Unicode")
    return value


def text_field(body: Mapping[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    """A text field: :func:`typed_text` without a control character, stripped; blank when
    optional and absent."""
    if body.get(name) is None:
        if required:
            bad_field(name, "is required")
        return ""
    value = typed_text(body, name, limit)
    if _CONTROL.search(value) or (name != "text" and ("\n" in value or "\r" in value)):
        bad_field(name, "holds a control character")
    return value.strip()


def json_address(body: Mapping[str, Any]) -> Address:
    """The address of a body's address fields (``name``, ``line1``, ``line2``, ``city``,
    ``region``, ``postal_code``, ``country``), validated as an order's shipping address
    is; bad input raises the library's ``ValidationError``."""
    return Address(
        name=text_field(body, "name", 100),
        line1=text_field(body, "line1", 100),
        line2=text_field(body, "line2", 100, required=False) or None,
        city=text_field(body, "city", 64),
        region=text_field(body, "region", 64, required=False) or None,
        postal_code=text_field(body, "postal_code", 16),
        country=text_field(body, "country", 2).upper(),
    )


def bearer_token() -> str | None:
    """The token of ``Authorization: Bearer`` (a guest pass or a session); a malformed
    header is no token."""
    found = _BEARER.fullmatch(request.headers.get("Authorization", ""))
    return found[1] if found else None


# --- output --------------------------------------------------------------------------------


def iso_time(value: datetime | None) -> str | None:
    """A time as ISO 8601 (``null`` for none)."""
    return None if value is None else value.isoformat()


def json_answer(value: Mapping[str, Any], status: int = 200) -> Response:
    """``value`` as an ``application/json`` answer."""
    return Response(json.dumps(value), status=status, mimetype="application/json")
