"""The storefront's JSON API at ``/api/v1/`` for headless storefronts and mobile apps.

The guest half of the area: find an order, Order Look-Up, the guest pass, the order's
actions (cancel, change, problem), returns and search. Each view calls one library command
and answers every outcome in one ``match`` over its values, as the guest pages do.

A guest pass travels as ``Authorization: Bearer <token>``, never as a cookie: a browser
never attaches it to a request by itself, so a cross-site request cannot use it and the
blueprint is exempt from the CSRF check (see docs/storefront.md, "The JSON API").

JSON in and out: every body is a JSON object whose fields are checked here (unknown fields
refused, every text bounded and valid Unicode, every count an integer in range), and every
error is an RFC 9457 problem (``application/problem+json``). Every not-found, whatever the
reason, is the same 404 problem (SECURITY A1); a rate limit answers 429 with
``Retry-After``; a failing port answers 503. The OpenAPI 3.1 document, kept by hand beside
this module in :mod:`storefront.openapi`, is served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

from flask import Blueprint, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from orderstatus_core import (
    AdapterError,
    AddressChange,
    CancelAnswer,
    ChangeAnswer,
    ConflictError,
    GuestPassGranted,
    GuestPassRefused,
    GuestPassRequested,
    GuestSession,
    IdempotencyKeyReusedError,
    LineRemoval,
    Money,
    NoValidPass,
    OrderFound,
    OrderListRequested,
    OrderNotFound,
    OrderReturns,
    OrderView,
    PartNumber,
    PartSwap,
    ProblemAnswer,
    ProblemKind,
    QuantityChange,
    RefundMethod,
    RefundPreview,
    Refused,
    ReturnAnswer,
    ReturnDraft,
    ReturnKind,
    ReturnOptions,
    ReturnPapers,
    ReturnPlan,
    ReturnReason,
    ReturnRequest,
    ReturnUnits,
    SearchPage,
    ShipBy,
    ShippingSpeed,
    SpeedChange,
    TryLater,
    ValidationError,
)

from .api_web import (
    Answer,
    abort_not_found,
    bad_field,
    bearer_token,
    http_problem,
    iso_time,
    json_address,
    json_answer,
    json_body,
    json_query,
    not_found_problem,
    problem,
    text_field,
    try_later_problem,
)
from .guest import download
from .openapi import DOCUMENT
from .web import client, desk

__all__ = [
    "PREFIX",
    "api",
    "money_json",
    "openapi_document",
    "order_json",
    "search_json",
]

_log = logging.getLogger(__name__)

PREFIX = "/api/v1"
api = Blueprint("api", __name__, url_prefix=PREFIX)

_ORDER_NUMBER = re.compile(r"[0-9A-Za-z-]{1,32}")
_RMA = re.compile(r"[0-9A-Za-z-]{1,40}")
_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,120}")
_IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")
_MAX_COUNT = 99_999
_MAX_LINES = 100

_E = TypeVar("_E", ReturnKind, ReturnReason, ShipBy, RefundMethod, ProblemKind, ShippingSpeed)

# --- problems (RFC 9457) ----------------------------------------------------------------


def _no_pass(answer: NoValidPass) -> Response:
    response = problem(401, answer.message, "/api/v1/problems/no-valid-pass")
    response.headers["WWW-Authenticate"] = 'Bearer realm="orders"'
    return response


def _other(answer: object) -> Response:
    """The answers every guest command may give besides its own value."""
    match answer:
        case Refused(reason=reason, message=message):
            return problem(409, message, "/api/v1/problems/refused", reason=reason)
        case NoValidPass() as missing:
            return _no_pass(missing)
        case OrderNotFound():
            return not_found_problem()
        case TryLater() as later:
            return try_later_problem(later)
    raise TypeError(f"unexpected answer {type(answer).__name__}")  # pragma: no cover


@api.errorhandler(Answer)
def _answer(error: Answer) -> Response:
    return error.response


@api.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> Response:
    field = error.field or "$"
    return problem(400, f"{error.message} @ {field}", "/api/v1/problems/invalid-field", field=field)


@api.errorhandler(IdempotencyKeyReusedError)
def _key_reused(_error: IdempotencyKeyReusedError) -> Response:
    # The IETF Idempotency-Key draft's answer: the key was used with another request.
    return problem(
        422,
        "This Idempotency-Key was used for another request.",
        "/api/v1/problems/idempotency-key-reused",
        field="Idempotency-Key",
    )


@api.errorhandler(ConflictError)
def _conflict(_error: ConflictError) -> Response:
    # The order changed under the command more often than its retries allow.
    return problem(
        409,
        "The order changed at the same time. Please load it again and retry.",
        "/api/v1/problems/conflict",
    )


@api.errorhandler(AdapterError)
def _store_down(error: AdapterError) -> Response:
    _log.error("the store could not answer: %s", error)
    return problem(503, "The store cannot answer right now. Please try again in a minute.")


@api.errorhandler(HTTPException)
def _http(error: HTTPException) -> Response:
    return http_problem(error)


@api.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    # The details go to the server's log, never to the client.
    _log.exception("unexpected error on %s", request.path, exc_info=error)
    return problem(500, "Something went wrong on our side. Please try again.")


# --- input ---------------------------------------------------------------------------------


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_COUNT:
        bad_field(name, f"is not a whole number from 1 to {_MAX_COUNT}")
    return value


def _units(body: Mapping[str, Any], *, required: bool) -> dict[int, int]:
    """``units``: a list of ``{"line_no": n, "quantity": q}``, each line once."""
    value = body.get("units")
    if value is None and not required:
        return {}
    if not isinstance(value, list) or not value or len(value) > _MAX_LINES:
        bad_field("units", f"is not a list of 1 to {_MAX_LINES} lines")
    chosen: dict[int, int] = {}
    for index, item in enumerate(value):
        where = f"units[{index}]"
        if not isinstance(item, dict) or set(item) != {"line_no", "quantity"}:
            bad_field(where, "is not {line_no, quantity}")
        line_no = _count(item["line_no"], f"{where}.line_no")
        if line_no in chosen:
            bad_field(where, "names a line twice")
        chosen[line_no] = _count(item["quantity"], f"{where}.quantity")
    return chosen


def _choice(body: Mapping[str, Any], name: str, enum: type[_E], default: _E | None = None) -> _E:
    if default is not None and name not in body:
        return default
    raw = text_field(body, name, 32)
    try:
        return enum(raw)
    except ValueError:
        bad_field(name, "is not one of " + ", ".join(member.value for member in enum))


def _number(order_number: str) -> str:
    if not _ORDER_NUMBER.fullmatch(order_number):
        abort_not_found()
    return order_number


def _rma(rma_number: str) -> str:
    if not _RMA.fullmatch(rma_number):
        abort_not_found()
    return rma_number


def _idempotency_key() -> str | None:
    """The ``Idempotency-Key`` header: a retried request does the work once."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        bad_field("Idempotency-Key", "is not 8 to 100 letters, digits, - or _")
    return key


def money_json(value: Money | None) -> dict[str, str] | None:
    """Money as JSON: the amount as a decimal string and the currency (``null``: none)."""
    return None if value is None else {"amount": str(value.amount), "currency": value.currency}


def _guest(identifier: str | None = None) -> GuestSession:
    return desk().guest(
        client=client(), guest_pass=bearer_token(), identifier=identifier, language=g.language
    )


# --- output --------------------------------------------------------------------------------


def order_json(view: OrderView) -> dict[str, Any]:
    """An order as the Order Status page shows it, personal data masked."""
    address = view.ship_to
    return {
        "number": view.number,
        "placed_at": iso_time(view.placed_at),
        "status": view.status.value,
        "status_text": view.status_text,
        "email": view.email,
        "phone": view.phone,
        "ship_to": {
            "name": address.name,
            "street": address.street,
            "city": address.city,
            "region": address.region,
            "postal_code": address.postal_code,
            "country": address.country,
        },
        "lines": [
            {
                "line_no": line.line_no,
                "part_number": line.part_number,
                "brand": line.brand,
                "category": line.category,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": money_json(line.unit_price),
                "core_charge": money_json(line.core_charge),
                "returnable": line.returnable,
                "warranty_months": line.warranty_months,
                "units": {
                    "ordered": line.ledger.ordered,
                    "cancelled": line.ledger.cancelled,
                    "processing": line.ledger.processing,
                    "shipped": line.ledger.shipped,
                    "delivered": line.ledger.delivered,
                    "returned": line.ledger.returned,
                },
            }
            for line in view.lines
        ],
        "packages": [
            {
                "package_id": package.package_id,
                "warehouse": package.warehouse,
                "carrier": package.carrier,
                "tracking_number": package.tracking_number,
                "tracking_url": package.tracking_url,
                "shipped_at": iso_time(package.shipped_at),
                "delivered_at": iso_time(package.delivered_at),
                "state_text": package.state_text,
                "units": [{"line_no": n, "quantity": q} for n, q in package.units],
            }
            for package in view.packages
        ],
        "subtotal": money_json(view.subtotal),
        "core_charges": money_json(view.core_charges),
        "shipping": money_json(view.shipping),
        "tax": money_json(view.tax),
        "total": money_json(view.total),
        "refunded": money_json(view.refunded),
        "requests": [
            {
                "kind": asked.kind,
                "request_id": asked.request_id,
                "state": asked.state,
                "state_text": asked.state_text,
                "summary": asked.summary,
                "requested_at": iso_time(asked.requested_at),
                "decided_at": iso_time(asked.decided_at),
                "note": asked.note,
            }
            for asked in view.requests
        ],
        "timeline": [
            {"at": iso_time(entry.at), "kind": entry.kind, "text": entry.text}
            for entry in view.timeline
        ],
    }


def _preview(preview: RefundPreview) -> dict[str, Any]:
    return {
        name: money_json(getattr(preview, name))
        for name in ("parts", "cores", "shipping", "tax", "label_deduction", "restocking_fee")
    }


def _return_units(units: tuple[ReturnUnits, ...]) -> list[dict[str, Any]]:
    return [{"line_no": u.line_no, "quantity": u.quantity} for u in units]


def _return_json(recorded: ReturnRequest) -> dict[str, Any]:
    return {
        "return_id": recorded.return_id,
        "kind": recorded.kind.value,
        "reason": recorded.reason.value,
        "ship_by": recorded.ship_by.value,
        "refund_method": recorded.refund_method.value,
        "requested_at": iso_time(recorded.requested_at),
        "comment": recorded.comment,
        "packages": [
            {
                "rma_number": package.rma_number,
                "state": package.state.value,
                "destination": package.destination.name,
                "units": _return_units(package.units),
                "preview": _preview(package.preview),
                "label_quote": money_json(package.label_quote),
                "carrier": package.carrier,
                "tracking_number": package.tracking_number,
                "shipped_at": iso_time(package.shipped_at),
                "received_at": iso_time(package.received_at),
                "settled_at": iso_time(package.settled_at),
            }
            for package in recorded.packages
        ],
    }


# --- the document ----------------------------------------------------------------------------


@cache
def openapi_document() -> str:
    """The OpenAPI 3.1 document of this blueprint (:mod:`storefront.openapi`), as JSON."""
    return json.dumps(DOCUMENT)


@api.get("/openapi.json")
def openapi() -> Response:
    return Response(openapi_document(), mimetype="application/json")


# --- find, look up, search ---------------------------------------------------------------------


@api.post("/orders/find")
def find() -> Response:
    body = json_body(frozenset({"identifier", "order_number"}))
    identifier = text_field(body, "identifier", 254)
    number = text_field(body, "order_number", 32)
    match desk().find_order(identifier, number, client=client(), language=g.language):
        case OrderFound(view=view):
            return json_answer({"order": order_json(view)})
        case OrderNotFound():
            return not_found_problem()
        case TryLater() as later:
            return try_later_problem(later)


@api.post("/order-list")
def order_list() -> Response:
    body = json_body(frozenset({"email"}))
    answer = desk().send_order_list(
        text_field(body, "email", 254), client=client(), language=g.language
    )
    match answer:
        case OrderListRequested(message=message):
            return json_answer({"message": message}, 202)
        case TryLater() as later:
            return try_later_problem(later)


def search_json(page: SearchPage) -> dict[str, Any]:
    """A page of search results (the guest's and the account's search)."""
    return {
        "matches": [
            {
                "number": found.header.number,
                "placed_at": iso_time(found.header.placed_at),
                "lines": [
                    {
                        "line_no": line.line_no,
                        "part_number": line.part_number.display,
                        "category": str(line.category),
                        "description": line.description,
                        "quantity": line.quantity,
                    }
                    for line in found.lines
                ],
            }
            for found in page.matches
        ],
        "next_cursor": page.next_cursor,
    }


@api.get("/search")
def search() -> Response:
    query = json_query(frozenset({"part_number", "category", "cursor"}))
    part_number = text_field(query, "part_number", 40, required=False)
    category = text_field(query, "category", 200, required=False)
    cursor = text_field(query, "cursor", 200, required=False) or None
    if not part_number and not category:
        bad_field("part_number", "give a part number or a category")
    answer = _guest().search_orders(
        part_number=part_number or None, category=category or None, cursor=cursor
    )
    match answer:
        case SearchPage() as page:
            return json_answer(search_json(page))
    return _other(answer)


# --- the order and the guest pass -------------------------------------------------------------


@api.get("/orders/<order_number>")
def order(order_number: str) -> Response:
    """The order, for the holder of its guest pass (``find`` answers it to the typed pair)."""
    match _guest().view_order(_number(order_number)):
        case OrderFound(view=view):
            return json_answer({"order": order_json(view)})
        case OrderNotFound() | NoValidPass():
            return not_found_problem()
        case TryLater() as later:
            return try_later_problem(later)


@api.post("/orders/<order_number>/pass")
def ask_for_pass(order_number: str) -> Response:
    number = _number(order_number)
    body = json_body(frozenset({"identifier"}))
    answer = desk().request_guest_pass(
        text_field(body, "identifier", 254), number, client=client(), language=g.language
    )
    match answer:
        case GuestPassRequested(message=message):
            return json_answer({"message": message}, 202)
        case TryLater() as later:
            return try_later_problem(later)


def _granted(answer: object) -> Response:
    match answer:
        case GuestPassGranted(token=token, order_number=number, expires_at=expires_at):
            return json_answer(
                {
                    "token_type": "Bearer",
                    "token": token,
                    "order_number": number,
                    "expires_at": iso_time(expires_at),
                }
            )
        case GuestPassRefused(message=message):
            return problem(400, message, "/api/v1/problems/pass-refused")
        case TryLater() as later:
            return try_later_problem(later)
    raise TypeError(f"unexpected answer {type(answer).__name__}")  # pragma: no cover


@api.post("/orders/<order_number>/pass/code")
def verify_code(order_number: str) -> Response:
    number = _number(order_number)
    body = json_body(frozenset({"code"}))
    return _granted(
        desk().verify_guest_code(
            number, text_field(body, "code", 20), client=client(), language=g.language
        )
    )


@api.post("/pass/link")
def verify_link() -> Response:
    body = json_body(frozenset({"token"}))
    return _granted(
        desk().verify_guest_link(
            text_field(body, "token", 200), client=client(), language=g.language
        )
    )


# --- cancel, change, problem --------------------------------------------------------------------


@api.post("/orders/<order_number>/cancel")
def cancel(order_number: str) -> Response:
    """``{"everything": true}`` or ``{"units": [...]}``."""
    number = _number(order_number)
    body = json_body(frozenset({"everything", "units"}))
    everything = body.get("everything", False)
    if not isinstance(everything, bool):
        bad_field("everything", "is not true or false")
    if everything == ("units" in body):
        bad_field("units", "give either everything: true or the units")
    units = None if everything else _units(body, required=True)
    answer = _guest().cancel_order(number, units, idempotency_key=_idempotency_key())
    match answer:
        case CancelAnswer(lines=lines, refund=refund):
            return json_answer(
                {
                    "order_number": number,
                    "lines": [
                        {
                            "line_no": x.line_no,
                            "cancelled": x.cancelled,
                            "requested": x.requested,
                            "refused": x.refused,
                            "code": x.code,
                        }
                        for x in lines
                    ],
                    "refund": None if refund is None else money_json(refund.total),
                }
            )
    return _other(answer)


_CHANGE_FIELDS = {
    "speed": frozenset({"kind", "speed"}),
    "quantity": frozenset({"kind", "line_no", "quantity"}),
    "remove": frozenset({"kind", "line_no"}),
    "swap": frozenset({"kind", "line_no", "part_number"}),
    "address": frozenset(
        {"kind", "name", "line1", "line2", "city", "region", "postal_code", "country"}
    ),
}


def _change(
    body: Mapping[str, Any],
) -> SpeedChange | QuantityChange | LineRemoval | PartSwap | AddressChange:
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in _CHANGE_FIELDS:
        bad_field("kind", "is not one of " + ", ".join(_CHANGE_FIELDS))
    unknown = sorted(set(body) - _CHANGE_FIELDS[kind])
    if unknown:
        bad_field(unknown[0][:40], f"is not a field of a {kind} change")
    match kind:
        case "speed":
            return SpeedChange(_choice(body, "speed", ShippingSpeed))
        case "quantity":
            return QuantityChange(
                _count(body.get("line_no"), "line_no"), _count(body.get("quantity"), "quantity")
            )
        case "remove":
            return LineRemoval(_count(body.get("line_no"), "line_no"))
        case "swap":
            return PartSwap(
                _count(body.get("line_no"), "line_no"),
                PartNumber(text_field(body, "part_number", 40)),
            )
    return AddressChange(json_address(body))


@api.post("/orders/<order_number>/change")
def change(order_number: str) -> Response:
    number = _number(order_number)
    body = json_body(frozenset().union(*_CHANGE_FIELDS.values()))
    try:
        wanted = _change(body)
    except ValidationError:
        raise
    except ValueError as error:  # a value object that refuses what it was given
        bad_field("change", str(error)[:80])
    answer = _guest().request_change(number, wanted, idempotency_key=_idempotency_key())
    match answer:
        case ChangeAnswer(request=asked):
            return json_answer(
                {
                    "order_number": number,
                    "request_id": asked.request_id,
                    "state": asked.state.value,
                    "requested_at": iso_time(asked.requested_at),
                },
                201,
            )
    return _other(answer)


@api.post("/orders/<order_number>/problem")
def report_problem(order_number: str) -> Response:
    number = _number(order_number)
    body = json_body(frozenset({"kind", "units", "text", "package_id"}))
    kind = _choice(body, "kind", ProblemKind)
    units = _units(body, required=False) or None
    text = text_field(body, "text", 2000)
    package = text_field(body, "package_id", 40, required=False) or None
    answer = _guest().report_problem(
        number, kind, units, text, package_id=package, idempotency_key=_idempotency_key()
    )
    match answer:
        case ProblemAnswer(report=report):
            return json_answer(
                {
                    "order_number": number,
                    "report_id": report.report_id,
                    "state": report.state.value,
                    "reported_at": iso_time(report.reported_at),
                },
                201,
            )
    return _other(answer)


# --- returns ------------------------------------------------------------------------------------


@api.get("/orders/<order_number>/returns/options")
def return_options(order_number: str) -> Response:
    number = _number(order_number)
    kind = _choice(json_query(frozenset({"kind"})), "kind", ReturnKind, ReturnKind.RETURN)
    answer = _guest().return_options(number, kind)
    match answer:
        case ReturnOptions(lines=lines):
            return json_answer(
                {
                    "order_number": number,
                    "kind": kind.value,
                    "lines": [
                        {
                            "line_no": line.line_no,
                            "part_number": line.part_number,
                            "description": line.description,
                            "returnable": line.returnable,
                            "until": iso_time(line.until),
                            "refusals": [
                                {"code": r.code, "message": r.message, "quantity": r.quantity}
                                for r in line.refusals
                            ],
                        }
                        for line in lines
                    ],
                }
            )
    return _other(answer)


_DRAFT_FIELDS = frozenset({"kind", "reason", "units", "ship_by", "refund_method", "comment"})


def _draft() -> ReturnDraft:
    body = json_body(_DRAFT_FIELDS)
    return ReturnDraft(
        kind=_choice(body, "kind", ReturnKind, ReturnKind.RETURN),
        reason=_choice(body, "reason", ReturnReason),
        units=_units(body, required=True),
        ship_by=_choice(body, "ship_by", ShipBy, ShipBy.LABEL),
        refund_method=_choice(body, "refund_method", RefundMethod, RefundMethod.ORIGINAL_PAYMENT),
        language=g.language,
        comment=text_field(body, "comment", 500, required=False) or None,
    )


@api.post("/orders/<order_number>/returns/preview")
def preview_return(order_number: str) -> Response:
    number = _number(order_number)
    answer = _guest().preview_return(number, _draft())
    match answer:
        case ReturnPlan(packages=packages):
            return json_answer(
                {
                    "order_number": number,
                    "packages": [
                        {
                            "destination": package.destination.name,
                            "units": _return_units(package.units),
                            "preview": _preview(package.preview),
                            "label_quote": money_json(package.label_quote),
                        }
                        for package in packages
                    ],
                }
            )
    return _other(answer)


@api.post("/orders/<order_number>/returns")
def request_return(order_number: str) -> Response:
    number = _number(order_number)
    draft = _draft()
    answer = _guest().request_return(number, draft, idempotency_key=_idempotency_key())
    match answer:
        case ReturnAnswer(request=recorded):
            return json_answer({"order_number": number, "return": _return_json(recorded)}, 201)
    return _other(answer)


@api.get("/orders/<order_number>/returns")
def order_returns(order_number: str) -> Response:
    number = _number(order_number)
    guest_session = _guest()
    answer = guest_session.order_returns(number)
    match answer:
        case OrderReturns(returns=listed):
            papers: dict[str, list[str]] = {}
            for recorded in listed:
                for package in recorded.packages:
                    kept = guest_session.return_papers(number, package.rma_number)
                    if isinstance(kept, ReturnPapers):
                        papers[package.rma_number] = [d.document.filename for d in kept.documents]
            return json_answer(
                {
                    "order_number": number,
                    "returns": [_return_json(recorded) for recorded in listed],
                    "papers": papers,
                }
            )
    return _other(answer)


@api.get("/orders/<order_number>/returns/<rma_number>/papers/<filename>")
def paper(order_number: str, rma_number: str, filename: str) -> Response:
    """A label (PDF or ZPL) or the box's instructions, as a download."""
    number, rma = _number(order_number), _rma(rma_number)
    if not _FILENAME.fullmatch(filename):
        return not_found_problem()
    answer = _guest().return_papers(number, rma)
    match answer:
        case ReturnPapers() as papers:
            return download(papers, filename) or not_found_problem()
        case Refused():
            return not_found_problem()
    return _other(answer)


@api.post("/orders/<order_number>/returns/<rma_number>/tracking")
def own_tracking(order_number: str, rma_number: str) -> Response:
    number, rma = _number(order_number), _rma(rma_number)
    body = json_body(frozenset({"tracking_number"}))
    answer = _guest().enter_return_tracking(
        number, rma, text_field(body, "tracking_number", 40), idempotency_key=_idempotency_key()
    )
    match answer:
        case ReturnAnswer(request=recorded):
            return json_answer({"order_number": number, "return": _return_json(recorded)})
    return _other(answer)


# The account half registers its routes on the same blueprint.
from . import api_account, api_profile, api_settings  # noqa: E402, F401
