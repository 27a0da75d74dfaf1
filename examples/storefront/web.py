"""What every page blueprint does with a request (guest, account, profile, staff): the
store, the client's address, a bounded form field, a page, a notice and a redirect, the
one not-found page, *try later*, and the logged-in shopper's session.

One way to do each of these: a blueprint imports them from here, never from another
blueprint. The JSON API's counterparts (problems instead of pages) are in
:mod:`storefront.api_web`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import attrs
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from orderstatus_core import (
    Address,
    InvalidFieldError,
    OrderStatus,
    ProfilePage,
    ShopperSession,
    TryLater,
)

from .texts import LANGUAGE_COOKIE, N_, gettext

__all__ = [
    "SESSION_COOKIE",
    "Section",
    "client",
    "desk",
    "field",
    "flash_and_go",
    "form_address",
    "keep_language",
    "not_found",
    "not_found_abort",
    "page",
    "reauthenticate_page",
    "shopper",
    "to_log_in",
    "try_later",
]

#: The cookie of a logged-in shopper: the token of ``LoggedIn`` and nothing else.
SESSION_COOKIE = "account_session"


def desk() -> OrderStatus:
    """The store the application was created over."""
    opened: OrderStatus = current_app.extensions["orderstatus"]
    return opened


def client() -> str:
    """The rate limits' key: the address the connection came from (behind a proxy, let a
    trusted-proxy middleware such as werkzeug's ProxyFix set it; never a raw header)."""
    return request.remote_addr or "unknown"


def field(name: str, limit: int = 254) -> str:
    """A form field as text, at most ``limit`` characters (a longer one is refused)."""
    value = request.form.get(name, "")
    if len(value) > limit:
        raise InvalidFieldError(name, f"longer than {limit} characters")
    return value.strip()


def form_address() -> Address:
    """The address of a form's address fields (``templates/_address_fields.html``),
    validated as an order's shipping address is; bad input raises the library's
    ``ValidationError`` (``field`` names the field)."""
    return Address(
        name=field("name", 100),
        line1=field("line1", 100),
        line2=field("line2", 100) or None,
        city=field("city", 64),
        region=field("region", 64) or None,
        postal_code=field("postal_code", 16),
        country=field("country", 2).upper(),
    )


def page(template: str, status: int = 200, **values: Any) -> Response:
    """``template`` rendered as an HTML page; ``form_key`` is a fresh idempotency key for
    the page's forms (a double submit does the work once)."""
    values.setdefault("form_key", secrets.token_urlsafe(16))
    return Response(render_template(template, **values), status=status, mimetype="text/html")


def flash_and_go(message: str, endpoint: str, **values: Any) -> Response:
    """Show ``message`` on the next page, the one of ``endpoint`` (303: a reload of it
    posts nothing again)."""
    flash(message)
    return redirect(url_for(endpoint, **values), code=303)


def reauthenticate_page(then: str, message: str) -> Response:
    """The password form of a change that needs a recent password (SECURITY E4): it
    posts to ``account.reauthenticate``, which sends the shopper back to the page named
    by ``then`` (a key of ``account._AFTER_REAUTH``) to send the form again."""
    return page("reauthenticate.html", then=then, message=message)


def keep_language(response: Response, language: str) -> Response:
    """``response`` with the language cookie set to ``language`` for a year (the pages'
    words follow it; ``Secure`` unless the demo serves plain HTTP on 127.0.0.1)."""
    local = current_app.extensions["storefront.settings"].local_http
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=not local,
    )
    return response


def not_found() -> Response:
    """The one page for every not-found (no such page, order, pair, pass, address or
    vehicle): same words, same status (SECURITY A1)."""
    return page("not_found.html", 404, next_path="/")


def not_found_abort() -> NoReturn:
    abort(not_found())


def try_later(answer: TryLater) -> Response:
    """A rate limit's answer: 429 with ``Retry-After`` and the library's words."""
    response = page("notice.html", 429, title=N_("Try later"), message=answer.message)
    response.headers["Retry-After"] = str(answer.retry_after_seconds)
    return response


def shopper() -> ShopperSession:
    """The shopper of the session cookie (a session the library finds no longer live
    answers ``NotLoggedIn`` to every command)."""
    return desk().shopper(
        client=client(), session=request.cookies.get(SESSION_COOKIE) or None, language=g.language
    )


def to_log_in() -> Response:
    """A page that needs a live session, without one: to the log-in page."""
    return flash_and_go(gettext(N_("Please log in first.")), "account.log_in_form")


@attrs.frozen
class Section:
    """A part of the Profile page: its heading, its template (in ``templates/``) and
    the values its template shows, taken from the page read in one library call
    (``shopper.profile()``, a :class:`~orderstatus_core.ProfilePage`)."""

    title: str
    template: str
    values: Callable[[ProfilePage], Mapping[str, Any]]
