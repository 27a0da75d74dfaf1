"""An Order Status page on nothing but the standard library (WSGI, ``wsgiref``).

A storefront's front-end in one file, built only on the public names of
``orderstatus_core`` (its ``__all__``)::

    orderstatus demo                       # creates orderstatus-demo/orders.db
    python examples/wsgi_storefront.py --storage sqlite:///orderstatus-demo/orders.db

then open http://127.0.0.1:8000/ and find order 301442518 with ``jane.doe@example.com``
(or the phone ``(415) 273-9164``). Order Look-Up mail and guest-pass codes land in
``orderstatus-demo/mail/``: ask for a code on the order's page, type it, and cancel what
has not shipped yet.

Each handler of a guest page answers every outcome with one ``match`` over the library's
values (found, not found, try later, refused with a reason code, no valid guest pass),
never a ``try``: the guest's proof travels as one session,
``desk.guest(client=..., guest_pass=...)``.

What it shows a front-end must do around the library:

* every value that reaches the page goes through :func:`html.escape`;
* state changes (Order Look-Up queues a mail) and look-ups are POST only, with a small
  request-body limit and a same-origin check (below);
* ``Referrer-Policy: same-origin``, ``Cache-Control: no-store`` and a strict
  Content-Security-Policy;
* the rate-limit key is the client's address (``REMOTE_ADDR``);
* an unexpected error is logged to the server's error stream and the browser gets a
  plain 500 page, never a stack trace;
* mail is relayed by a background thread, never inside the request, so that neither the
  answer nor its timing depends on whether an order exists.

Behind a reverse proxy, put the proxy's idea of the client address into ``REMOTE_ADDR``
(for example with a trusted-proxy middleware); never trust a raw ``X-Forwarded-For``.

Cross-site posts are refused by what the browser itself says about where a POST comes
from, so the pages need no CSRF token (the one cookie, the guest pass, is ``HttpOnly`` and
``SameSite=Lax``, and a cross-site POST is refused before it is read):

* ``Sec-Fetch-Site`` decides when the browser sends it (current browsers do, on HTTPS and
  on localhost): only ``same-origin`` passes. A page cannot forge it.
* Without it, ``Origin`` must name this site. ``Origin: null`` is refused: it is what a
  browser posts from a sandboxed frame, and from any page served with
  ``Referrer-Policy: no-referrer`` (the Fetch standard). That is why these pages send
  ``same-origin``: no other site ever gets a ``Referer`` from them, yet their own forms
  post with their ``Origin``. (With ``no-referrer`` every form here answered 403 in a
  real browser.)
* A request with neither header is not from a browser (curl, a script); it cannot ride on
  a shopper's session, so it passes.

A page whose address holds a secret, such as a guest-pass link's landing page
(``?token=...``), must send ``Referrer-Policy: no-referrer`` all the same (SECURITY H4).
Its form then posts ``Origin: null`` and passes only on ``Sec-Fetch-Site``; so exchange
the token on that one POST and redirect (303) to pages without a secret in the address.
"""

from __future__ import annotations

import argparse
import html
import threading
import traceback
from collections.abc import Iterable
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from orderstatus_core import (
    CancelAnswer,
    GuestPassGranted,
    GuestPassRefused,
    GuestPassRequested,
    GuestSession,
    NoValidPass,
    OrderFound,
    OrderListRequested,
    OrderNotFound,
    OrderStatus,
    OrderView,
    PackageView,
    Refused,
    TryLater,
)

__all__ = ["main", "make_app"]

MAX_BODY = 4096  # bytes: two short form fields never need more
PASS_COOKIE = "guest_pass"  # noqa: S105 - the cookie's name, not a secret
_FORM_TYPE = "application/x-www-form-urlencoded"

SECURITY_HEADERS = [
    # Every page here has a form and no secret in its address (see the module docstring):
    # other sites get no Referer, this site's own form posts carry their Origin.
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
]

_STATUS_TEXT = {
    200: "200 OK",
    400: "400 Bad Request",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    413: "413 Content Too Large",
    415: "415 Unsupported Media Type",
    429: "429 Too Many Requests",
    500: "500 Internal Server Error",
}

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
form { border: 1px solid #ccc; padding: 1rem; border-radius: 6px; margin: 1rem 0; }
label { display: block; margin: .4rem 0; } input { padding: .3rem; width: 18rem; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd;
       padding: .35rem; text-align: left; vertical-align: top; }
.notice { background: #fff4d6; padding: .7rem 1rem; border-radius: 6px; }
.muted { color: #666; font-size: .9em; }
"""


def e(value: object) -> str:
    """HTML-escape anything for text and attribute values alike."""
    return html.escape(str(value), quote=True)


# --- pages ---------------------------------------------------------------------------------


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>Order Status &amp; Returns</h1>{body}</body></html>"
    )


def _forms(identifier: str = "", order_number: str = "", email: str = "") -> str:
    return (
        '<h2>Find an order</h2><form method="post" action="/order">'
        '<label>Email address or phone number <input name="identifier" required '
        f'maxlength="254" autocomplete="email" value="{e(identifier)}"></label>'
        '<label>Order number <input name="order_number" required maxlength="32" '
        f'inputmode="numeric" value="{e(order_number)}"></label>'
        '<button type="submit">Find my order</button></form>'
        '<h2>Order Look-Up</h2><form method="post" action="/lookup">'
        "<p class=muted>Forgot your order number? We will email your most recent order "
        "numbers to the address they were placed with.</p>"
        '<label>Email address <input name="email" type="email" required maxlength="254" '
        f'autocomplete="email" value="{e(email)}"></label>'
        '<button type="submit">Send order list</button></form>'
    )


def _tracking_link(package: PackageView) -> str:
    number = e(package.tracking_number or "")
    url = package.tracking_url
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{e(url)}" rel="noreferrer noopener" target="_blank">{number}</a>'
    return number


def _order_html(view: OrderView) -> str:
    # Every text below comes ready from the view (masked address, quantities, money, dates).
    rows = []
    for line in view.lines:
        core = f"<br><span class=muted>core charge {e(line.core_charge_text)}</span>"
        rows.append(
            f"<tr><td>{e(line.part_number)}</td><td>{e(line.brand)}<br>"
            f"<span class=muted>{e(line.category)}</span></td><td>{e(line.description)}</td>"
            f"<td>{e(line.quantity)}</td><td>{e(line.unit_price_text)}"
            f"{core if line.core_charge.amount else ''}</td><td>{e(line.quantity_text)}</td></tr>"
        )
    packages = [
        f"<tr><td>{e(package.package_id)}</td><td>{e(package.warehouse)}</td>"
        f"<td>{e(package.carrier or '')} {_tracking_link(package)}</td>"
        f"<td>{e(package.state_text)}</td><td>{e(package.units_text)}</td></tr>"
        for package in view.packages
    ]
    timeline = "".join(f"<li>{e(entry.when_text)}: {e(entry.text)}</li>" for entry in view.timeline)
    return (
        f"<h2>Order {e(view.number)}</h2>"
        f"<p>Placed {e(view.placed_text)} · Status: <strong>{e(view.status_text)}</strong></p>"
        f"<p class=muted>{e(view.email)}{' · ' + e(view.phone) if view.phone else ''}<br>"
        f"Ship to {e(view.ship_to.text)}</p>"
        "<table><tr><th>Part</th><th>Brand</th><th>Description</th><th>Qty</th>"
        f"<th>Price</th><th>Where</th></tr>{''.join(rows)}</table>"
        + (
            "<h2>Packages</h2><table><tr><th>Package</th><th>From</th><th>Tracking</th>"
            f"<th>State</th><th>Units</th></tr>{''.join(packages)}</table>"
            if packages
            else ""
        )
        + f"<p>Subtotal {e(view.subtotal_text)} · cores {e(view.core_charges_text)} · shipping "
        f"{e(view.shipping_text)} · tax {e(view.tax_text)} · "
        f"<strong>total {e(view.total_text)}</strong></p>"
        f"<h2>Timeline</h2><ul>{timeline}</ul>"
    )


def _pass_form(identifier: str, order_number: str) -> str:
    return (
        '<h2>Cancel or return</h2><form method="post" action="/pass">'
        "<p class=muted>To change this order, confirm it is yours: we email a code to the "
        "address on the order.</p>"
        f'<input type="hidden" name="identifier" value="{e(identifier)}">'
        f'<input type="hidden" name="order_number" value="{e(order_number)}">'
        '<button type="submit">Email me a code</button></form>'
    )


def _code_form(order_number: str) -> str:
    return (
        '<h2>Your code</h2><form method="post" action="/verify">'
        f'<input type="hidden" name="order_number" value="{e(order_number)}">'
        '<label>The 6-digit code from the mail <input name="code" required maxlength="20" '
        'inputmode="numeric" autocomplete="one-time-code"></label>'
        '<button type="submit">Confirm</button></form>'
    )


def _cancel_form(order_number: str) -> str:
    return (
        '<form method="post" action="/cancel">'
        f'<input type="hidden" name="order_number" value="{e(order_number)}">'
        "<p class=muted>Cancel everything that has not shipped; units the warehouse is "
        "packing become a request it decides.</p>"
        '<button type="submit">Cancel what has not shipped</button></form>'
    )


def _notice(message: str) -> str:
    return f'<p class="notice">{e(message)}</p>'


Answer = tuple[int, str, list[tuple[str, str]]]


def _try_later(answer: TryLater, body: str) -> Answer:
    retry = [("Retry-After", str(answer.retry_after_seconds))]
    return 429, _page("Try later", _notice(answer.message) + body), retry


def _guest_page(guest: GuestSession, order_number: str, notice: str = "") -> Answer:
    """The order as its guest pass shows it, with the actions the pass allows."""
    match guest.view_order(order_number):
        case OrderFound(view=view):
            return (
                200,
                _page("Your order", notice + _order_html(view) + _cancel_form(view.number)),
                [],
            )
        case NoValidPass(message=message) | OrderNotFound(message=message):
            return 200, _page("Order Status", notice + _notice(message) + _forms()), []
        case TryLater() as later:
            return _try_later(later, _forms())


def _pass_cookie(granted: GuestPassGranted, now: datetime, secure: bool) -> tuple[str, str]:
    seconds = max(0, int((granted.expires_at - now).total_seconds()))
    flags = "; Secure" if secure else ""
    return (
        "Set-Cookie",
        f"{PASS_COOKIE}={granted.token}; Path=/; Max-Age={seconds}; HttpOnly; SameSite=Lax" + flags,
    )


def _cookie_pass(environ: WSGIEnvironment) -> str | None:
    try:
        jar = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
    except CookieError:
        return None
    morsel = jar.get(PASS_COOKIE)
    return None if morsel is None else morsel.value


# --- the application -------------------------------------------------------------------------


class _Refused(Exception):
    """A request the page turns down with ``status`` and a short, safe message."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


def _language(environ: WSGIEnvironment) -> str:
    """The shopper's first language from the browser's ``Accept-Language`` (``fi-FI,fi;q=0.9``).

    The library's texts (the order, its refusals) follow it, English for a language it has
    no catalog for; this page's own few words stay English.
    """
    header = str(environ.get("HTTP_ACCEPT_LANGUAGE") or "")
    return header.split(",")[0].split(";")[0].strip()[:35] or "en"


def _read_form(environ: WSGIEnvironment) -> dict[str, str]:
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    if content_type != _FORM_TYPE:
        raise _Refused(415, "Please submit the form.")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _Refused(400, "Bad request.") from None
    if length < 0 or length > MAX_BODY:
        raise _Refused(413, "That is more than the form can hold.")
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=10, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "Bad request.") from None
    return {name: values[0] for name, values in fields.items()}


def _same_origin(environ: WSGIEnvironment) -> bool:
    """Whether a POST comes from this site's own pages: ``Sec-Fetch-Site`` when the browser
    sends it, else ``Origin`` (``null`` refused); neither means not a browser."""
    site = environ.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return bool(site == "same-origin")
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return True  # not a browser, or an old one: nothing to compare
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    return bool(origin == f"{environ.get('wsgi.url_scheme', 'http')}://{host}")


def make_app(desk: OrderStatus) -> WSGIApplication:
    """The Order Status page as a WSGI application over an open :class:`OrderStatus`."""

    def respond(
        start_response: StartResponse,
        status: int,
        body: str,
        extra: Iterable[tuple[str, str]] = (),
    ) -> list[bytes]:
        data = body.encode("utf-8")
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(data))),
            *SECURITY_HEADERS,
            *extra,
        ]
        start_response(_STATUS_TEXT[status], headers)
        return [data]

    def find(form: dict[str, str], client: str, environ: WSGIEnvironment) -> Answer:
        identifier = form.get("identifier", "")
        number = form.get("order_number", "")
        match desk.find_order(identifier, number, client=client, language=_language(environ)):
            case OrderFound(view=view):
                body = _order_html(view) + _pass_form(identifier, number)
                return 200, _page("Your order", body), []
            case TryLater() as later:
                return _try_later(later, _forms(identifier, number))
            case OrderNotFound(message=message):
                return 200, _page("Order Status", _notice(message) + _forms(identifier, number)), []

    def look_up(form: dict[str, str], client: str, environ: WSGIEnvironment) -> Answer:
        email = form.get("email", "")
        match desk.send_order_list(email, client=client, language=_language(environ)):
            case TryLater() as later:
                return _try_later(later, _forms(email=email))
            case OrderListRequested(message=message):
                return 200, _page("Order Look-Up", _notice(message) + _forms(email=email)), []

    def ask_for_pass(form: dict[str, str], client: str, environ: WSGIEnvironment) -> Answer:
        identifier = form.get("identifier", "")
        number = form.get("order_number", "")
        language = _language(environ)
        match desk.request_guest_pass(identifier, number, client=client, language=language):
            case GuestPassRequested(message=message):
                return 200, _page("Your code", _notice(message) + _code_form(number)), []
            case TryLater() as later:
                return _try_later(later, _forms(identifier, number))

    def verify(form: dict[str, str], client: str, environ: WSGIEnvironment) -> Answer:
        number = form.get("order_number", "")
        language = _language(environ)
        match desk.verify_guest_code(
            number, form.get("code", ""), client=client, language=language
        ):
            case GuestPassGranted() as granted:
                guest = desk.guest(client=client, guest_pass=granted.token, language=language)
                status, body, extra = _guest_page(guest, granted.order_number)
                secure = environ.get("wsgi.url_scheme") == "https"
                cookie = _pass_cookie(granted, desk.context.clock.now(), secure)
                return status, body, [*extra, cookie]
            case GuestPassRefused(message=message):
                return 200, _page("Your code", _notice(message) + _code_form(number)), []
            case TryLater() as later:
                return _try_later(later, _code_form(number))

    def cancel(form: dict[str, str], client: str, environ: WSGIEnvironment) -> Answer:
        number = form.get("order_number", "")
        guest = desk.guest(
            client=client, guest_pass=_cookie_pass(environ), language=_language(environ)
        )
        match guest.cancel_order(number):
            case CancelAnswer(lines=lines):
                done = "; ".join(f"line {x.line_no}: {x.code.replace('_', ' ')}" for x in lines)
                return _guest_page(guest, number, _notice(done or "Nothing was left to cancel."))
            case Refused(message=message):
                return _guest_page(guest, number, _notice(message))
            case NoValidPass(message=message) | OrderNotFound(message=message):
                return 200, _page("Order Status", _notice(message) + _forms()), []
            case TryLater() as later:
                return _try_later(later, _forms())

    routes = {
        "/order": find,
        "/lookup": look_up,
        "/pass": ask_for_pass,
        "/verify": verify,
        "/cancel": cancel,
    }

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/":
                if method != "GET":
                    raise _Refused(405, "Use the forms.", [("Allow", "GET")])
                return respond(start_response, 200, _page("Order Status", _forms()))
            handler = routes.get(path)
            if handler is None:
                raise _Refused(404, "There is no such page.")
            if method != "POST":
                raise _Refused(405, "Use the forms.", [("Allow", "POST")])
            if not _same_origin(environ):
                raise _Refused(403, "Please use the form on this site.")
            form = _read_form(environ)
            client = str(environ.get("REMOTE_ADDR") or "unknown")
            status, body, extra = handler(form, client, environ)
            return respond(start_response, status, body, extra)
        except _Refused as refused:
            page = _page("Order Status", f'<p class="notice">{e(refused.message)}</p>')
            return respond(start_response, refused.status, page, refused.headers)
        except Exception:
            # The details go to the server's log, never to the browser.
            environ["wsgi.errors"].write(traceback.format_exc())
            page = _page("Error", "<p>Something went wrong on our side. Please try again.</p>")
            return respond(start_response, 500, page)

    return app


# --- running it ------------------------------------------------------------------------------


def _relay_forever(desk: OrderStatus, stop: threading.Event, every: float = 2.0) -> None:
    while not stop.wait(every):
        try:
            desk.relay_outbox()
        except Exception:  # keep relaying; the failure is logged and retried
            traceback.print_exc()


def main(argv: list[str] | None = None) -> None:
    """Serve the Order Status page with ``wsgiref`` (development only, single threaded)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--storage", default="sqlite:///orderstatus-demo/orders.db")
    parser.add_argument("--mail", default="mailbox:///orderstatus-demo/mail")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with OrderStatus.open(storage=args.storage, mail=args.mail) as desk:
        stop = threading.Event()
        relay = threading.Thread(target=_relay_forever, args=(desk, stop), daemon=True)
        relay.start()
        with make_server(args.host, args.port, make_app(desk)) as server:
            print(f"Order Status page on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                stop.set()
                relay.join(timeout=5)


if __name__ == "__main__":
    main()
