"""The JSON API's profile settings on the ``api`` blueprint, with the account's Bearer
session (:mod:`storefront.api_account`): store credit and discount codes (read), the
part watches (list, watch, stop), mail preferences (read, change), the account's language,
the data export, and the one-click unsubscribe link (no session: its token is the
authority).

The same commands as the Profile's settings sections (:mod:`storefront.profile_settings`).
A refusal is an RFC 9457 problem: a full watch list 409 (``limit``), a part not watched the
one 404, an unknown topic or language 400, the export without a recent password 403 and
too many exports 429; a forged unsubscribe token 400.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.wrappers import Response

from orderstatus_core import (
    AccountCredit,
    DataExport,
    DiscountCodes,
    LanguageChanged,
    MailPreferences,
    PartNotWatched,
    PartWatched,
    PartWatches,
    Unsubscribed,
    UnsubscribeRefused,
    WatchListFull,
    WatchRemoved,
)

from .api import api, money_json
from .api_account import answer_account, shopper
from .api_web import (
    bad_field,
    iso_time,
    json_answer,
    json_body,
    json_query,
    no_body,
    not_found_problem,
    problem,
    text_field,
)
from .unsubscribe import ONE_CLICK, TOKEN_LIMIT
from .web import desk

__all__: list[str] = []

_PART_NUMBER_LIMIT = 40
_MAX_TOPICS = 50


@api.get("/account/credit")
def store_credit() -> Response:
    answer = shopper().store_credit()
    match answer:
        case AccountCredit(balances=balances, entries=entries):
            return json_answer(
                {
                    "balances": [money_json(balance) for balance in balances],
                    "entries": [
                        {
                            "amount": money_json(entry.amount),
                            "at": iso_time(entry.at),
                            "reference": entry.reference,
                        }
                        for entry in entries
                    ],
                }
            )
    return answer_account(answer)


@api.get("/account/discount-codes")
def discount_codes() -> Response:
    answer = shopper().discount_codes()
    match answer:
        case DiscountCodes(codes=codes):
            return json_answer(
                {
                    "codes": [
                        {
                            "code": listed.code.shown,
                            "percent": listed.code.percent,
                            "amount": money_json(listed.code.amount),
                            "expires_at": iso_time(listed.code.expires_at),
                            "status": str(listed.status),
                        }
                        for listed in codes
                    ]
                }
            )
    return answer_account(answer)


def _watches_json(watches: PartWatches) -> dict[str, Any]:
    return {
        "watches": [
            {"part_number": str(watch.part_number), "watched_at": iso_time(watch.watched_at)}
            for watch in watches.watches
        ]
    }


@api.get("/account/part-watches")
def part_watches() -> Response:
    answer = shopper().part_watches()
    match answer:
        case PartWatches() as watches:
            return json_answer(_watches_json(watches))
    return answer_account(answer)


@api.post("/account/part-watches")
def watch_part() -> Response:
    body = json_body(frozenset({"part_number"}))
    answer = shopper().watch_part(text_field(body, "part_number", _PART_NUMBER_LIMIT))
    match answer:
        case PartWatched(part_number=part, already=already):
            return json_answer({"part_number": part, "already": already}, 201)
        case WatchListFull(limit=limit):
            detail = "The watch list is full: stop watching a part first."
            return problem(409, detail, "/api/v1/problems/watch-list-full", limit=limit)
    return answer_account(answer)


@api.delete("/account/part-watches/<part_number>")
def unwatch_part(part_number: str) -> Response:
    no_body()
    if len(part_number) > _PART_NUMBER_LIMIT:
        return not_found_problem()
    answer = shopper().unwatch_part(part_number)
    match answer:
        case WatchRemoved():
            return Response(status=204)
        case PartNotWatched():
            return not_found_problem()
    return answer_account(answer)


def _preferences_json(preferences: MailPreferences) -> dict[str, Any]:
    return {"subscribed": list(preferences.subscribed), "topics": list(preferences.topics)}


@api.get("/account/mail-preferences")
def mail_preferences() -> Response:
    answer = shopper().mail_preferences()
    match answer:
        case MailPreferences() as preferences:
            return json_answer(_preferences_json(preferences))
    return answer_account(answer)


@api.put("/account/mail-preferences")
def set_mail_preferences() -> Response:
    """``{"topics": {"newsletter": true}}``: a topic not named stays as it was."""
    topics = json_body(frozenset({"topics"})).get("topics")
    if not isinstance(topics, dict) or not topics or len(topics) > _MAX_TOPICS:
        bad_field("topics", f"is not an object of 1 to {_MAX_TOPICS} topics")
    answer = shopper().set_mail_preferences(topics)
    match answer:
        case MailPreferences() as preferences:
            return json_answer(_preferences_json(preferences))
    return answer_account(answer)


@api.put("/account/language")
def set_language() -> Response:
    body = json_body(frozenset({"language"}))
    answer = shopper().set_language(text_field(body, "language", 16))
    match answer:
        case LanguageChanged(language=language):
            return json_answer({"language": language})
    return answer_account(answer)


@api.post("/account/export")
def export_data() -> Response:
    """Everything stored about the account holder, as a download (needs a recent
    password: ``/account/reauthenticate`` first)."""
    no_body()
    answer = shopper().export_data()
    match answer:
        case DataExport() as export:
            response = Response(export.document, mimetype=export.media_type)
            response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
    return answer_account(answer)


@api.post("/unsubscribe")
def unsubscribe() -> Response:
    """The one-click link's POST (RFC 8058), for a storefront that serves its pages
    elsewhere: ``?token=`` and ``List-Unsubscribe=One-Click`` as a form body."""
    token = text_field(json_query(frozenset({"token"})), "token", TOKEN_LIMIT)
    if request.form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
        bad_field(ONE_CLICK[0], "must be One-Click (RFC 8058)")
    match desk().unsubscribe(token):
        case Unsubscribed(topic=topic):
            return json_answer({"topic": topic})
        case UnsubscribeRefused():
            detail = "This link does not work; nothing changed."
            return problem(400, detail, "/api/v1/problems/unsubscribe-refused")
