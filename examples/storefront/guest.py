"""The guest pages: find an order, Order Look-Up, the guest pass, the order's actions,
returns and search. Each view calls one library command and answers every outcome in one
``match`` over its values; bad input and a failing port raise, and the application's error
handlers answer those (400, 503) without a stack trace.

The guest's proof travels in two cookies, both ``HttpOnly`` and ``SameSite=Lax``: the
signed session (the email or phone typed with the order number, so the order page can be
shown again after the redirect) and ``guest_pass`` (the token of a guest pass, once the
mailed code or link was used). Every state change is a POST with a CSRF token; each
answer redirects (303) to a page that can be reloaded.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from orderstatus_core import (
    AddressChange,
    CancelAnswer,
    Catalogs,
    ChangeAnswer,
    GuestPassGranted,
    GuestPassRefused,
    GuestPassRequested,
    GuestSession,
    InvalidFieldError,
    LineRemoval,
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
    Refused,
    ReturnAnswer,
    ReturnDraft,
    ReturnKind,
    ReturnOptions,
    ReturnPapers,
    ReturnPlan,
    ReturnReason,
    SearchPage,
    ShipBy,
    ShippingSpeed,
    SpeedChange,
    TryLater,
)

from . import texts
from .texts import N_, gettext
from .web import (
    client,
    desk,
    field,
    flash_and_go,
    form_address,
    keep_language,
    not_found,
    not_found_abort,
    page,
    try_later,
)

__all__ = ["PASS_COOKIE", "download", "guest", "moment", "money", "words"]

guest = Blueprint("guest", __name__)

PASS_COOKIE = "guest_pass"  # noqa: S105 - the cookie's name, not a secret
_ORDER_NUMBER = re.compile(r"[0-9A-Za-z-]{1,32}")
_RMA = re.compile(r"[0-9A-Za-z-]{1,40}")
_FILENAME = re.compile(r"[A-Za-z0-9._-]{1,120}")
_COUNT = re.compile(r"[0-9]{1,5}")
_LOCAL_PATH = re.compile(r"/[A-Za-z0-9/_.-]{0,199}")
_CATALOGS = Catalogs.builtin()

#: The reasons a shopper may pick for each kind of return, with their words.
REASONS: Mapping[ReturnKind, tuple[ReturnReason, ...]] = {
    ReturnKind.RETURN: (
        ReturnReason.WRONG_PART_SHIPPED,
        ReturnReason.DAMAGED_IN_SHIPPING,
        ReturnReason.DEFECTIVE,
        ReturnReason.MISSING_PIECES,
        ReturnReason.ORDERED_WRONG_PART,
        ReturnReason.NO_LONGER_NEEDED,
        ReturnReason.DOES_NOT_FIT,
    ),
    ReturnKind.CORE: (ReturnReason.CORE,),
    ReturnKind.WARRANTY: (ReturnReason.DEFECTIVE,),
}
WORDS: Mapping[str, str] = {
    # Return kinds, reasons, ways to ship and refund, problem kinds, speeds.
    "return": N_("Return"),
    "core": N_("Core return"),
    "warranty": N_("Warranty claim"),
    "wrong_part_shipped": N_("You sent the wrong part"),
    "damaged_in_shipping": N_("Damaged in shipping"),
    "defective": N_("Defective"),
    "missing_pieces": N_("Missing pieces"),
    "ordered_wrong_part": N_("I ordered the wrong part"),
    "no_longer_needed": N_("No longer needed"),
    "does_not_fit": N_("Does not fit my vehicle"),
    "label": N_("Print the store's label"),
    "own_tracking": N_("I ship it myself and enter the tracking number"),
    "original_payment": N_("Refund to my payment"),
    "store_credit": N_("Store credit"),
    "missing_item": N_("An item is missing"),
    "damaged_in_transit": N_("Damaged in transit"),
    "wrong_part": N_("Wrong part received"),
    "not_delivered": N_("Package not delivered"),
    "tracking_not_updating": N_("Tracking is not updating"),
    "other": N_("Something else"),
    "standard": N_("Standard"),
    "expedited": N_("Expedited"),
    "overnight": N_("Overnight"),
    "cancelled": N_("cancelled"),
    "cancel_requested": N_("cancel requested: the warehouse decides"),
    "already_shipped": N_("already shipped: return it instead"),
    "nothing_to_cancel": N_("nothing left to cancel"),
    "requested": N_("waiting for the store"),
    "awaiting_shipment": N_("waiting for you to ship it"),
    "in_transit": N_("on its way back"),
    "received": N_("received"),
    "inspected": N_("inspected"),
    "refunded": N_("refunded"),
    "credited": N_("refunded as store credit"),
    "replaced": N_("replaced"),
    "rejected": N_("rejected"),
    "approved": N_("approved"),
    "declined": N_("declined"),
    "applied": N_("approved and done"),
}


def words(code: str) -> str:
    """The shopper's words for a code of the library (``store_credit``), or the code."""
    return gettext(WORDS[code]) if code in WORDS else code.replace("_", " ")


# --- small helpers ------------------------------------------------------------------------


def _guest(identifier: str | None = None) -> GuestSession:
    return desk().guest(
        client=client(),
        guest_pass=request.cookies.get(PASS_COOKIE) or None,
        identifier=identifier,
        language=g.language,
    )


def _number(order_number: str) -> str:
    if not _ORDER_NUMBER.fullmatch(order_number):
        not_found_abort()
    return order_number


def _units(lines: Iterable[int]) -> dict[int, int]:
    """``units-<line>`` fields: how many units of each line the shopper chose (0 or blank:
    none)."""
    chosen: dict[int, int] = {}
    for line_no in lines:
        raw = field(f"units-{line_no}", 5) or "0"
        if not _COUNT.fullmatch(raw):
            raise InvalidFieldError(f"units-{line_no}", "is not a count")
        if int(raw):
            chosen[line_no] = int(raw)
    return chosen


def _idempotency_key() -> str | None:
    """The key the form was rendered with: a double submit does the work once."""
    key = field("idempotency_key", 100)
    if key and not re.fullmatch(r"[A-Za-z0-9_-]{8,100}", key):
        raise InvalidFieldError("idempotency_key", "is malformed")
    return key or None


def money(amount: Any) -> str:
    """Money as the shopper's locale writes it."""
    return _CATALOGS.translator(g.language).money(amount)


def moment(value: datetime) -> str:
    """A date and time as the shopper's locale writes it."""
    return _CATALOGS.translator(g.language).datetime(value)


@guest.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"money": money, "moment": moment, "words": words, "languages": texts.LANGUAGES}


# --- no pass ------------------------------------------------------------------------------------


def _no_pass(order_number: str) -> Response:
    """A command that needs a guest pass the browser does not hold: offer to mail one."""
    message = gettext(N_("Please confirm it is your order first: we email you a code."))
    return flash_and_go(message, "guest.order", order_number=order_number)


# --- find, look up ----------------------------------------------------------------------------


@guest.get("/")
def home() -> Response:
    return page("home.html")


@guest.post("/find")
def find() -> Response:
    identifier = field("identifier")
    number = field("order_number", 32)
    match desk().find_order(identifier, number, client=client(), language=g.language):
        case OrderFound(view=view):
            session["found"] = [view.number, identifier]
            return redirect(url_for("guest.order", order_number=view.number), code=303)
        case OrderNotFound():
            return not_found()
        case TryLater() as later:
            return try_later(later)


@guest.post("/lookup")
def look_up() -> Response:
    answer = desk().send_order_list(field("email"), client=client(), language=g.language)
    match answer:
        case OrderListRequested(message=message):
            return page("notice.html", title=N_("Order Look-Up"), message=message)
        case TryLater() as later:
            return try_later(later)


@guest.post("/language")
def language() -> Response:
    chosen = field("language", 8)
    if chosen not in texts.LANGUAGES:
        raise InvalidFieldError("language", "is not offered")
    back = field("next", 200)
    if not _LOCAL_PATH.fullmatch(back) or back.startswith("//"):
        back = url_for("guest.home")  # only a path of this site, never another address
    return keep_language(redirect(back, code=303), chosen)


# --- the order and the guest pass -------------------------------------------------------------


def _typed_identifier(number: str) -> str | None:
    found = session.get("found")
    if isinstance(found, list) and len(found) == 2 and found[0] == number:
        return str(found[1])
    return None


def _has_pass(number: str) -> bool:
    token = request.cookies.get(PASS_COOKIE)
    return bool(token) and desk().check_guest_pass(str(token), number)


def _view(number: str) -> OrderView | Response:
    match _guest(_typed_identifier(number)).view_order(number):
        case OrderFound(view=view):
            return view
        case OrderNotFound() | NoValidPass():
            return not_found()
        case TryLater() as later:
            return try_later(later)


@guest.get("/order/<order_number>")
def order(order_number: str) -> Response:
    number = _number(order_number)
    view = _view(number)
    if isinstance(view, Response):
        return view
    return page("order.html", order=view, verified=_has_pass(view.number))


@guest.post("/order/<order_number>/pass")
def ask_for_pass(order_number: str) -> Response:
    number = _number(order_number)
    identifier = _typed_identifier(number)
    if identifier is None:
        return not_found()
    answer = desk().request_guest_pass(identifier, number, client=client(), language=g.language)
    match answer:
        case GuestPassRequested(message=message):
            return flash_and_go(message, "guest.code", order_number=number)
        case TryLater() as later:
            return try_later(later)


@guest.get("/order/<order_number>/code")
def code(order_number: str) -> Response:
    return page("code.html", order_number=_number(order_number))


def _granted(granted: GuestPassGranted) -> Response:
    response = redirect(url_for("guest.order", order_number=granted.order_number), code=303)
    seconds = max(0, int((granted.expires_at - datetime.now(UTC)).total_seconds()))
    settings = current_app.extensions["storefront.settings"]
    response.set_cookie(
        PASS_COOKIE,
        granted.token,
        max_age=seconds,
        httponly=True,
        samesite="Lax",
        secure=not settings.local_http,
    )
    session.pop("found", None)  # the pass proves more than the typed pair
    flash(gettext(N_("Thank you: you can now change, cancel or return this order.")))
    return response


@guest.post("/order/<order_number>/code")
def verify_code(order_number: str) -> Response:
    number = _number(order_number)
    answer = desk().verify_guest_code(
        number, field("code", 20), client=client(), language=g.language
    )
    match answer:
        case GuestPassGranted() as granted:
            return _granted(granted)
        case GuestPassRefused(message=message):
            return page("code.html", 400, order_number=number, message=message)
        case TryLater() as later:
            return try_later(later)


@guest.get("/pass")
def pass_link() -> Response:
    """The mailed link lands here: a button posts its token, so that a mail scanner that
    follows links never uses it up."""
    token = request.args.get("token", "")
    if not token or len(token) > 200:
        return not_found()
    return page("pass_link.html", token=token)


@guest.post("/pass")
def verify_link() -> Response:
    answer = desk().verify_guest_link(field("token", 200), client=client(), language=g.language)
    match answer:
        case GuestPassGranted() as granted:
            return _granted(granted)
        case GuestPassRefused(message=message):
            return page("notice.html", 400, title=N_("Guest pass"), message=message)
        case TryLater() as later:
            return try_later(later)


# --- cancel, change, problem --------------------------------------------------------------------


def _refused_or_missing(answer: object, number: str) -> Response:
    match answer:
        case Refused(message=message):
            return flash_and_go(message, "guest.order", order_number=number)
        case NoValidPass() if request.method == "POST":
            return _no_pass(number)
        case NoValidPass() | OrderNotFound():
            return not_found()
        case TryLater() as later:
            return try_later(later)
    raise TypeError(f"unexpected answer {type(answer).__name__}")  # pragma: no cover


@guest.post("/order/<order_number>/cancel")
def cancel(order_number: str) -> Response:
    number = _number(order_number)
    everything = request.form.get("everything") == "1"
    units = None
    if not everything:
        view = _view(number)
        if isinstance(view, Response):
            return view
        units = _units(line.line_no for line in view.lines)
        if not units:
            return flash_and_go(
                gettext(N_("Choose at least one unit to cancel.")),
                "guest.order",
                order_number=number,
            )
    answer = _guest().cancel_order(number, units, idempotency_key=_idempotency_key())
    match answer:
        case CancelAnswer(lines=lines):
            done = "; ".join(
                gettext(N_("line %(line)s: %(what)s"), line=x.line_no, what=words(x.code))
                for x in lines
            )
            return flash_and_go(
                done or gettext(N_("Nothing was left to cancel.")),
                "guest.order",
                order_number=number,
            )
    return _refused_or_missing(answer, number)


def _order_form(order_number: str, template: str, **values: Any) -> Response:
    """A form page about the order (its lines and packages), or the not-found page."""
    view = _view(_number(order_number))
    if isinstance(view, Response):
        return view
    return page(template, order=view, **values)


@guest.get("/order/<order_number>/change")
def change_form(order_number: str) -> Response:
    return _order_form(order_number, "change.html", speeds=list(ShippingSpeed))


def _change(kind: str) -> SpeedChange | QuantityChange | LineRemoval | PartSwap | AddressChange:
    match kind:
        case "speed":
            return SpeedChange(ShippingSpeed(field("speed", 16)))
        case "quantity":
            return QuantityChange(_line_no(), _count("quantity"))
        case "remove":
            return LineRemoval(_line_no())
        case "swap":
            return PartSwap(_line_no(), PartNumber(field("part_number", 40)))
        case "address":
            return AddressChange(form_address())
    raise InvalidFieldError("kind", "is not a change this page offers")


def _count(name: str) -> int:
    raw = field(name, 5)
    if not _COUNT.fullmatch(raw) or not int(raw):
        raise InvalidFieldError(name, "is not a count")
    return int(raw)


def _line_no() -> int:
    return _count("line_no")


@guest.post("/order/<order_number>/change")
def change(order_number: str) -> Response:
    number = _number(order_number)
    try:
        wanted = _change(field("kind", 16))
    except ValueError as error:  # an enum that does not know the value, or a bad field
        raise InvalidFieldError("change", str(error)[:80]) from None
    answer = _guest().request_change(number, wanted, idempotency_key=_idempotency_key())
    match answer:
        case ChangeAnswer(request=asked):
            message = gettext(
                N_("Your change request is recorded: %(state)s."), state=words(asked.state.value)
            )
            return flash_and_go(message, "guest.order", order_number=number)
    return _refused_or_missing(answer, number)


@guest.get("/order/<order_number>/problem")
def problem_form(order_number: str) -> Response:
    return _order_form(order_number, "problem.html", kinds=list(ProblemKind))


@guest.post("/order/<order_number>/problem")
def problem(order_number: str) -> Response:
    number = _number(order_number)
    view = _view(number)
    if isinstance(view, Response):
        return view
    try:
        kind = ProblemKind(field("kind", 32))
    except ValueError:
        raise InvalidFieldError("kind", "is not a kind of problem") from None
    package = field("package_id", 40) or None
    if package is not None and package not in {p.package_id for p in view.packages}:
        raise InvalidFieldError("package_id", "is not a package of this order")
    answer = _guest().report_problem(
        number,
        kind,
        _units(line.line_no for line in view.lines) or None,
        field("text", 2000),
        package_id=package,
        idempotency_key=_idempotency_key(),
    )
    match answer:
        case ProblemAnswer(report=report):
            message = gettext(N_("Thank you: problem %(id)s is reported."), id=report.report_id)
            return flash_and_go(message, "guest.order", order_number=number)
    return _refused_or_missing(answer, number)


# --- returns ------------------------------------------------------------------------------------


def _kind() -> ReturnKind:
    raw = (request.form.get("kind") or request.args.get("kind") or "return")[:16]
    try:
        return ReturnKind(raw)
    except ValueError:
        raise InvalidFieldError("kind", "is return, core or warranty") from None


@guest.get("/order/<order_number>/return")
def return_form(order_number: str) -> Response:
    number = _number(order_number)
    kind = _kind()
    answer = _guest().return_options(number, kind)
    match answer:
        case ReturnOptions() as options:
            return page(
                "return.html",
                options=options,
                kind=kind,
                kinds=list(ReturnKind),
                reasons=REASONS[kind],
                ship_by=list(ShipBy),
                refund_methods=list(RefundMethod),
            )
    return _refused_or_missing(answer, number)


def _draft() -> ReturnDraft:
    kind = _kind()
    try:
        reason = ReturnReason(field("reason", 32))
        ship_by = ShipBy(field("ship_by", 16) or "label")
        refund_method = RefundMethod(field("refund_method", 20) or "original_payment")
    except ValueError:
        raise InvalidFieldError("return", "unknown choice") from None
    lines = sorted(
        int(name.removeprefix("units-"))
        for name in request.form
        if name.startswith("units-") and _COUNT.fullmatch(name.removeprefix("units-"))
    )
    units = _units(lines[:100])
    if not units:
        raise InvalidFieldError("units", "choose at least one unit")
    return ReturnDraft(
        kind=kind,
        reason=reason,
        units=units,
        ship_by=ship_by,
        refund_method=refund_method,
        language=g.language,
        comment=field("comment", 500) or None,
    )


@guest.post("/order/<order_number>/return/preview")
def preview(order_number: str) -> Response:
    number = _number(order_number)
    draft = _draft()
    answer = _guest().preview_return(number, draft)
    match answer:
        case ReturnPlan() as plan:
            return page("preview.html", plan=plan, draft=draft, units=dict(draft.units))
    return _refused_or_missing(answer, number)


@guest.post("/order/<order_number>/return")
def make_return(order_number: str) -> Response:
    number = _number(order_number)
    answer = _guest().request_return(number, _draft(), idempotency_key=_idempotency_key())
    match answer:
        case ReturnAnswer(request=recorded):
            rmas = ", ".join(p.rma_number for p in recorded.packages)
            message = gettext(
                N_("Your return is recorded: %(rmas)s. The papers are on their way by mail."),
                rmas=rmas,
            )
            return flash_and_go(message, "guest.returns", order_number=number)
    return _refused_or_missing(answer, number)


@guest.get("/order/<order_number>/returns")
def returns(order_number: str) -> Response:
    number = _number(order_number)
    guest_session = _guest()
    answer = guest_session.order_returns(number)
    match answer:
        case OrderReturns() as listed:
            papers: dict[str, tuple[str, ...]] = {}
            for request_ in listed.returns:
                for package in request_.packages:
                    kept = guest_session.return_papers(number, package.rma_number)
                    if isinstance(kept, ReturnPapers):
                        papers[package.rma_number] = tuple(
                            d.document.filename for d in kept.documents
                        )
            return page("returns.html", returns=listed, papers=papers, order_number=number)
    return _refused_or_missing(answer, number)


@guest.get("/order/<order_number>/returns/<rma_number>/<filename>")
def paper(order_number: str, rma_number: str, filename: str) -> Response:
    number = _number(order_number)
    if not _RMA.fullmatch(rma_number) or not _FILENAME.fullmatch(filename):
        return not_found()
    answer = _guest().return_papers(number, rma_number)
    match answer:
        case ReturnPapers() as papers:
            return download(papers, filename) or not_found()
        case Refused():
            return not_found()
    return _refused_or_missing(answer, number)


def download(papers: ReturnPapers, filename: str) -> Response | None:
    """The paper named ``filename`` as an attachment (``None`` if there is none); the
    API's download answers with it too."""
    for kept in papers.documents:
        if kept.document.filename == filename:
            document = kept.document
            response = Response(document.content, mimetype=document.media_type)
            response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
            return response
    return None


@guest.post("/order/<order_number>/returns/<rma_number>/tracking")
def own_tracking(order_number: str, rma_number: str) -> Response:
    number = _number(order_number)
    if not _RMA.fullmatch(rma_number):
        return not_found()
    answer = _guest().enter_return_tracking(
        number, rma_number, field("tracking_number", 40), idempotency_key=_idempotency_key()
    )
    match answer:
        case ReturnAnswer():
            message = gettext(
                N_("Thank you: the tracking number of %(rma)s is saved."), rma=rma_number
            )
            return flash_and_go(message, "guest.returns", order_number=number)
    return _refused_or_missing(answer, number)


_SEARCH_NEEDS_PASS = N_(
    "Search needs a guest pass: find one of your orders and confirm it with the mailed code first."
)

# --- search ---------------------------------------------------------------------------------------


@guest.get("/search")
def search() -> Response:
    part_number = request.args.get("part_number", "")[:40].strip()
    category = request.args.get("category", "")[:200].strip()
    cursor = request.args.get("cursor", "")[:200] or None
    if not part_number and not category:
        return page("search.html", page=None, part_number="", category="")
    answer = _guest().search_orders(
        part_number=part_number or None, category=category or None, cursor=cursor
    )
    match answer:
        case SearchPage() as found:
            return page("search.html", page=found, part_number=part_number, category=category)
        case NoValidPass():
            return page(
                "notice.html",
                403,
                title=N_("Search your orders"),
                message=gettext(_SEARCH_NEEDS_PASS),
            )


# --- the demo's mail -------------------------------------------------------------------------

_URL = re.compile(r"https?://[^\s<>\"']+")


def _linked(text: str) -> Markup:
    """Escaped text with its http(s) addresses as links (the mail's own links)."""
    out, last = [], 0
    for match_ in _URL.finditer(text):
        out.append(escape(text[last : match_.start()]))
        url = match_.group(0)
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match_.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@guest.get("/demo/mail")
def demo_mail() -> Response:
    """The demo's "sent" mail, newest first (only when ``Settings.demo_mail`` is set)."""
    folder: Path | None = current_app.extensions["storefront.settings"].demo_mail
    if folder is None:
        return not_found()
    mails = []
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for path in files[:50]:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        mails.append(
            {
                "name": path.name,
                "to": str(message.get("To", "")),
                "subject": str(message.get("Subject", "")),
                "date": str(message.get("Date", "")),
                "body": _linked(str(text)),
            }
        )
    return page("mail.html", mails=mails)
