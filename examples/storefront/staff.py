"""The staff desk of the demo at ``/staff``: ship a package, receive and inspect a return,
decide a requested change, issue a discount code to an account's email, report a part back
in stock (its watchers get their alert mail). Only there when ``Settings.staff_password``
is set (otherwise every ``/staff`` address is the one not-found page).

Its login is its own: the one staff password of the settings, compared in constant time
(:func:`hmac.compare_digest`), and its own signed cookie ``staff_session`` (``HttpOnly``,
``SameSite=Strict``, ``Secure`` unless the demo's plain HTTP) that lasts eight hours and
holds a keyed digest of the password, so a new password ends every staff session. Every
POST carries the app's CSRF token. The commands are the library's staff side,
``desk.warehouse``, ``desk.customer_service``, ``desk.discounts`` and ``desk.catalog``: a
step the order's state does not allow answers 409 with the library's code, an unknown
order the not-found page, bad input 400 and a failing port 503 (the application's error
handlers)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from orderstatus_core import (
    ActionRefusedError,
    CodeIssued,
    ConflictError,
    InvalidFieldError,
    Money,
    NoSuchAccount,
    OrderNotFoundError,
    TooManyCodes,
    parse_email,
    parse_tracking_number,
)

from .texts import N_, gettext
from .web import desk, flash_and_go, not_found, page

__all__ = ["CARRIERS", "STAFF_COOKIE", "parse_units", "staff"]

staff = Blueprint("staff", __name__, url_prefix="/staff")

STAFF_COOKIE = "staff_session"
#: The carriers whose tracking numbers the library checks.
CARRIERS = ("UPS", "USPS", "FedEx", "DHL")
_MAX_AGE = 8 * 60 * 60
_SALT = "storefront.staff"
_ORDER_NUMBER = re.compile(r"[0-9A-Za-z-]{1,32}")
_SHORT_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_RMA = re.compile(r"[0-9A-Za-z_-]{1,40}")
_UNIT = re.compile(r"\s*([0-9]{1,4})\s*[:x]\s*([0-9]{1,5})\s*")
_MAX_PASSWORD = 200
_MAX_NOTE = 500
_MAX_UNITS = 50
_PERCENT = re.compile(r"[0-9]{1,3}")
_AMOUNT = re.compile(r"[0-9]{1,6}(\.[0-9]{2})?")
#: The currency of a code worth an amount (the demo store sells in dollars).
_CURRENCY = "USD"


def parse_units(text: str) -> dict[int, int]:
    """``"1:2, 3:1"`` (line number: units, a comma between) as ``{1: 2, 3: 1}``; anything
    else raises :class:`~orderstatus_core.InvalidFieldError`."""
    if not text.strip():
        return {}
    units: dict[int, int] = {}
    items = text.split(",")
    if len(items) > _MAX_UNITS:
        raise InvalidFieldError("units", "too many lines")
    for item in items:
        found = _UNIT.fullmatch(item)
        if found is None:
            raise InvalidFieldError("units", "must be line:units, a comma between")
        line_no, count = int(found[1]), int(found[2])
        if line_no in units:
            raise InvalidFieldError("units", "a line appears twice")
        units[line_no] = count
    return units


def _password() -> str | None:
    password: str | None = current_app.extensions["storefront.settings"].staff_password
    return password


def _tag(password: str) -> str:
    """A keyed digest of the password: the cookie holds this, never the password."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, password.encode(), hashlib.sha256).hexdigest()


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=_SALT)


def _logged_in(password: str) -> bool:
    cookie = request.cookies.get(STAFF_COOKIE)
    if not cookie:
        return False
    try:
        held = _signer().loads(cookie, max_age=_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(held, str) and hmac.compare_digest(held, _tag(password))


@staff.before_request
def gate() -> Response | None:
    """No password: the desk is off (404). Not logged in: the login page."""
    password = _password()
    if password is None:
        return not_found()
    if request.endpoint == "staff.log_in" or _logged_in(password):
        return None
    return redirect(url_for("staff.log_in"), code=303)


def _field(name: str, pattern: re.Pattern[str] | None = None, limit: int = 64) -> str:
    """A form field as text within ``limit`` (and ``pattern``), else a 400."""
    value = request.form.get(name, "")
    if len(value) > limit or (pattern is not None and pattern.fullmatch(value) is None):
        raise InvalidFieldError(name, "is not valid")
    return value


def _note() -> str | None:
    note = _field("note", limit=_MAX_NOTE).strip()
    if any(ord(c) < 32 and c not in "\n\t" for c in note):
        raise InvalidFieldError("note", "has control characters")
    return note or None


def _page(template: str, status: int = 200, **values: Any) -> Response:
    """A page of the desk: its forms offer the carriers."""
    return page(template, status, carriers=CARRIERS, **values)


def _done(message: str, **values: object) -> Response:
    return flash_and_go(gettext(message, **values), "staff.home")


def _refused(error: ActionRefusedError) -> Response:
    message = gettext(
        N_("The order's state does not allow this step (%(code)s): %(why)s"),
        code=error.code,
        why=str(error),
    )
    return _page("staff.html", 409, message=message)


@staff.get("/log-in")
@staff.post("/log-in")
def log_in() -> Response:
    """The staff password; right, the staff cookie and the desk."""
    if request.method == "GET":
        return _page("staff_log_in.html")
    typed = request.form.get("password", "")
    password = _password() or ""
    right = len(typed) <= _MAX_PASSWORD and hmac.compare_digest(
        typed.encode("utf-8", "surrogatepass"), password.encode("utf-8", "surrogatepass")
    )
    if not right:
        message = gettext(N_("That is not the staff password."))
        return _page("staff_log_in.html", 403, message=message)
    response = redirect(url_for("staff.home"), code=303)
    settings = current_app.extensions["storefront.settings"]
    response.set_cookie(
        STAFF_COOKIE,
        _signer().dumps(_tag(password)),
        max_age=_MAX_AGE,
        path="/staff",
        httponly=True,
        samesite="Strict",
        secure=not settings.local_http,
    )
    return response


@staff.post("/log-out")
def log_out() -> Response:
    """Forget the staff cookie in this browser."""
    response = redirect(url_for("staff.log_in"), code=303)
    response.delete_cookie(STAFF_COOKIE, path="/staff", httponly=True, samesite="Strict")
    return response


@staff.get("/")
def home() -> Response:
    """The desk's forms."""
    return _page("staff.html")


@staff.post("/ship")
def ship() -> Response:
    """Open a package with the units typed (unless it is open already), then ship it."""
    number = _field("order_number", _ORDER_NUMBER)
    package = _field("package").strip() or f"S{secrets.token_hex(4).upper()}"
    if _SHORT_ID.fullmatch(package) is None:
        raise InvalidFieldError("package", "is not valid")
    units = parse_units(_field("units", limit=400))
    carrier = _field("carrier")
    if carrier not in CARRIERS:
        raise InvalidFieldError("carrier", "is not a carrier")
    tracking = parse_tracking_number(_field("tracking_number"), carrier)
    warehouse = desk().warehouse
    try:
        if units:
            warehouse.start_processing(number, package, "staff desk", units)
        warehouse.ship(number, package, tracking.carrier, tracking.number)
    except ActionRefusedError as error:
        return _refused(error)
    return _done(
        N_("Order %(number)s: package %(package)s shipped with %(carrier)s."),
        number=number,
        package=package,
        carrier=tracking.carrier,
    )


@staff.post("/receive")
def receive() -> Response:
    """A return's package arrived."""
    number, rma = _field("order_number", _ORDER_NUMBER), _field("rma", _RMA)
    try:
        desk().warehouse.receive_return(number, rma)
    except ActionRefusedError as error:
        return _refused(error)
    return _done(N_("Order %(number)s: return %(rma)s received."), number=number, rma=rma)


@staff.post("/inspect")
def inspect() -> Response:
    """The units accepted of a received return (the rest are rejected)."""
    number, rma = _field("order_number", _ORDER_NUMBER), _field("rma", _RMA)
    accepted = parse_units(_field("accepted", limit=400))
    note = _note()
    try:
        desk().warehouse.inspect_return(number, rma, accepted, note)
    except ActionRefusedError as error:
        return _refused(error)
    return _done(N_("Order %(number)s: return %(rma)s inspected."), number=number, rma=rma)


@staff.post("/change")
def change() -> Response:
    """Accept (and carry out) or refuse a requested change."""
    number, request_id = _field("order_number", _ORDER_NUMBER), _field("request", _SHORT_ID)
    decision = _field("decision")
    note = _note()
    service = desk().customer_service
    try:
        if decision == "accept":
            service.approve_change(number, request_id)
        elif decision == "refuse":
            service.decline_change(number, request_id, note)
        else:
            raise InvalidFieldError("decision", "must be accept or refuse")
    except ActionRefusedError as error:
        return _refused(error)
    if decision == "accept":
        return _done(
            N_("Order %(number)s: change %(request)s accepted."), number=number, request=request_id
        )
    return _done(
        N_("Order %(number)s: change %(request)s refused."), number=number, request=request_id
    )


@staff.post("/discount-code")
def issue_discount_code() -> Response:
    """Issue a code worth a percent or an amount (in dollars) to the account of an email;
    the desk shows the code to pass on (the library mails nothing)."""
    email = parse_email(_field("email", limit=254).strip())
    percent, amount = _field("percent", limit=3).strip(), _field("amount", limit=9).strip()
    if bool(percent) == bool(amount):
        raise InvalidFieldError("worth", "give a percent or an amount: one")
    if percent:
        if _PERCENT.fullmatch(percent) is None:
            raise InvalidFieldError("percent", "is not a whole number")
        answer = desk().discounts.issue(email, percent=int(percent))
    else:
        if _AMOUNT.fullmatch(amount) is None:
            raise InvalidFieldError("amount", "is not an amount such as 5.00")
        answer = desk().discounts.issue(email, amount=Money(amount, _CURRENCY))
    match answer:
        case CodeIssued(code=code):
            return _done(N_("Code %(code)s issued to %(email)s."), code=code.shown, email=email)
        case TooManyCodes(limit=limit):
            message = N_("That account holds %(limit)s open codes, the most it may.")
            return _page("staff.html", 409, message=gettext(message, limit=limit))
        case NoSuchAccount():
            message = N_("No verified account has that email address.")
            return _page("staff.html", 404, message=gettext(message))


@staff.post("/back-in-stock")
def back_in_stock() -> Response:
    """The part is in stock again: each watcher's alert goes to the outbox (once)."""
    reported = desk().catalog.part_back_in_stock(_field("part_number", limit=40).strip())
    return _done(
        N_("Part %(part)s is back in stock: %(alerts)s alerts queued."),
        part=reported.part_number,
        alerts=reported.alerts,
    )


@staff.errorhandler(OrderNotFoundError)
def no_order(_error: OrderNotFoundError) -> Response:
    return not_found()


@staff.errorhandler(ConflictError)
def conflict(_error: ConflictError) -> Response:
    message = gettext(N_("Another command changed the order first. Please try again."))
    return _page("staff.html", 409, message=message)
