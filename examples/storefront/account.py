"""The account pages: sign-up with a captcha, the mailed links (verify, reset, confirm a new
email), log-in with *keep me logged in*, log-out, Account Activity, attaching a past order,
changes of email and password, deletion and the security log.

The shopper's proof is one cookie, ``account_session``: the token of
:class:`~orderstatus_core.LoggedIn` and nothing else, ``HttpOnly``, ``SameSite=Lax``,
``Secure`` unless the demo serves plain HTTP on 127.0.0.1, with a ``Max-Age`` only when
the shopper asked to be kept logged in. Each request builds a
:class:`~orderstatus_core.ShopperSession` from it; every outcome is matched as on the
guest pages, and a page without a live session sends the shopper to log in.

A mailed link's page (``/account/verify``, ``/reset``, ``/confirm-email``) only shows a
button that posts the token: a mail scanner that follows links never uses one up.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from orderstatus_core import (
    AccountDeleted,
    AccountView,
    AttachCodeSent,
    AttachRefused,
    CaptchaIssued,
    CaptchaRefused,
    CheckYourMail,
    EmailChanged,
    EmailChangeRequested,
    EmailVerified,
    Garage,
    HistoryPage,
    InvalidFieldError,
    LinkRefused,
    LoggedIn,
    LogInRefused,
    NotLoggedIn,
    OrderAttached,
    PasswordChanged,
    PasswordNotAccepted,
    PasswordReset,
    PasswordSet,
    ReauthenticationRequired,
    ResetRequested,
    SearchPage,
    SecurityLog,
    SignedIn,
    TryLater,
    VehicleQuery,
)

from . import texts
from .texts import N_, gettext
from .web import (
    SESSION_COOKIE,
    client,
    desk,
    field,
    flash_and_go,
    keep_language,
    not_found,
    page,
    reauthenticate_page,
    shopper,
    to_log_in,
    try_later,
)

__all__ = ["SESSION_COOKIE", "CaptchaMedia", "account"]

account = Blueprint("account", __name__, url_prefix="/account")

_TOKEN_LIMIT = 200
_PASSWORD_LIMIT = 512  # the library refuses more than 128 code points with its own words
_CHALLENGE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

#: The security log's kinds in the shopper's words.
EVENTS = {
    "signed_up": N_("Signed up"),
    "sign_up_repeated": N_("Someone tried to sign up again with this address"),
    "email_verified": N_("Email address verified"),
    "logged_in": N_("Logged in"),
    "login_failed": N_("Failed log-in"),
    "locked_out": N_("Locked after too many failed log-ins"),
    "logged_out": N_("Logged out"),
    "reauthenticated": N_("Password confirmed"),
    "password_set": N_("Password set"),
    "reset_requested": N_("Password reset asked for"),
    "password_reset": N_("Password reset"),
    "password_changed": N_("Password changed"),
    "email_change_requested": N_("Change of email address asked for"),
    "email_changed": N_("Email address changed"),
    "order_attached": N_("Order attached"),
    "account_deleted": N_("Account deleted"),
}


class CaptchaMedia:
    """The issued captchas' image and audio, kept until the challenge expires so that the
    sign-up page can load them from ``/account/captcha/<id>.png`` and ``.wav`` (the CSP
    allows no ``data:`` address). The library stores no media (only the answer's hash),
    so the page holds them: at most ``max_bytes`` in all (a drawn challenge is about
    160 KB, most of it the WAV), the oldest dropped first, a used one dropped at once, so
    a flood of new images never grows the process past the bound. In one process only:
    behind several workers, route a client to one worker or keep these in a shared cache."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._media: OrderedDict[str, tuple[datetime, bytes, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def keep(self, issued: CaptchaIssued) -> None:
        """Keep ``issued``'s media until it expires (the oldest make room)."""
        with self._lock:
            self._forget(issued.challenge_id)
            self._media[issued.challenge_id] = (issued.expires_at, issued.image, issued.audio)
            self._bytes += len(issued.image) + len(issued.audio)
            while self._bytes > self.max_bytes and self._media:
                self._forget(next(iter(self._media)))

    def get(self, challenge_id: str, now: datetime) -> tuple[bytes, bytes] | None:
        """The image and audio of a live challenge, or ``None``."""
        with self._lock:
            kept = self._media.get(challenge_id)
            if kept is None:
                return None
            if kept[0] < now:
                self._forget(challenge_id)
                return None
            return kept[1], kept[2]

    def drop(self, challenge_id: str) -> None:
        """Forget a challenge (it was answered)."""
        with self._lock:
            self._forget(challenge_id)

    def _forget(self, challenge_id: str) -> None:
        kept = self._media.pop(challenge_id, None)
        if kept is not None:
            self._bytes -= len(kept[1]) + len(kept[2])

    def __len__(self) -> int:
        return len(self._media)

    @property
    def size(self) -> int:
        """The bytes kept now."""
        return self._bytes


@account.record_once
def _setup(state: Any) -> None:
    state.app.extensions["storefront.captcha_media"] = CaptchaMedia()


def _media() -> CaptchaMedia:
    media: CaptchaMedia = current_app.extensions["storefront.captcha_media"]
    return media


def _secure() -> bool:
    return not current_app.extensions["storefront.settings"].local_http


def _set_session(response: Response, logged: LoggedIn) -> Response:
    """The session cookie: only the token; ``Max-Age`` only with *keep me logged in*."""
    max_age = None
    if logged.remember:
        max_age = max(0, int((logged.expires_at - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        logged.token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=_secure(),
    )
    return response


def _end_session(response: Response) -> Response:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="Lax", secure=_secure()
    )
    return response


def _token() -> str:
    return field("token", _TOKEN_LIMIT)


def _password(name: str = "password") -> str:
    """A password as typed: never stripped or folded (SECURITY B1)."""
    value = request.form.get(name, "")
    if len(value) > _PASSWORD_LIMIT:
        raise InvalidFieldError(name, f"longer than {_PASSWORD_LIMIT} characters")
    return value


def _linkpage(title: str, action: str, button: str) -> Response:
    """A mailed link's landing page: a button posts the token (nothing is used up here)."""
    token = request.args.get("token", "")
    if not token or len(token) > _TOKEN_LIMIT:
        return not_found()
    return page("account_link.html", title=title, action=action, button=button, token=token)


def _notice(title: str, message: str, status: int = 200) -> Response:
    return page("notice.html", status, title=title, message=message)


# --- sign-up and the captcha ------------------------------------------------------------------


def _sign_uppage(status: int = 200, message: str | None = None, email: str = "") -> Response:
    match desk().new_captcha(client=client()):
        case CaptchaIssued() as issued:
            _media().keep(issued)
            return page(
                "sign_up.html",
                status,
                challenge_id=issued.challenge_id,
                message=message,
                email=email,
            )
        case TryLater() as later:
            return try_later(later)


@account.get("/sign-up")
def sign_up_form() -> Response:
    return _sign_uppage()


@account.post("/sign-up/new-image")
def new_image() -> Response:
    """*New image*: a new challenge (the library limits how often), the email kept."""
    _media().drop(field("challenge_id", 64))
    return _sign_uppage(email=field("email"))


@account.get("/captcha/<challenge_id>.<kind>")
def captcha_media(challenge_id: str, kind: str) -> Response:
    """The image (PNG) or the audio (WAV) of a live challenge, never cached."""
    if kind not in ("png", "wav") or not set(challenge_id) <= _CHALLENGE_CHARS:
        return not_found()
    kept = _media().get(challenge_id[:64], datetime.now(UTC))
    if kept is None:
        return not_found()
    image, audio = kept
    if kind == "png":
        return Response(image, mimetype="image/png")
    response = Response(audio, mimetype="audio/wav")
    response.headers["Content-Disposition"] = 'inline; filename="captcha.wav"'
    # The browser's own player shows the WAV: it needs media from this site, nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; media-src 'self'"
    return response


@account.post("/sign-up")
def sign_up() -> Response:
    email = field("email")
    challenge_id = field("challenge_id", 64)
    answer = desk().sign_up(
        email,
        challenge_id=challenge_id,
        answer=field("answer", 32),
        client=client(),
        language=g.language,
    )
    _media().drop(challenge_id)  # answered once, right or wrong
    match answer:
        case CheckYourMail(message=message):
            return flash_and_go(message, "account.check_mail")
        case CaptchaRefused(message=message):
            return _sign_uppage(400, message, email)
        case TryLater() as later:
            return try_later(later)


@account.get("/check-mail")
def check_mail() -> Response:
    return page("check_mail.html")


# --- verification and the password ----------------------------------------------------------


@account.get("/verify")
def verify_link() -> Response:
    return _linkpage(N_("Verify your email address"), "account.verify", N_("Verify my address"))


@account.post("/verify")
def verify() -> Response:
    match desk().verify_email(_token(), client=client(), language=g.language):
        case EmailVerified(token=token):
            # The set-password token stays in the form, never in an address (D4).
            return page("set_password.html", token=token, action="account.set_password")
        case LinkRefused(message=message):
            return _notice(N_("Verify your email address"), message, 400)
        case TryLater() as later:
            return try_later(later)


@account.post("/set-password")
def set_password() -> Response:
    token = _token()
    answer = desk().set_password(token, _password(), client=client(), language=g.language)
    match answer:
        case PasswordSet(message=message):
            return flash_and_go(message, "account.log_in_form")
        case PasswordNotAccepted(message=message):
            return page(
                "set_password.html",
                400,
                token=token,
                action="account.set_password",
                message=message,
            )
        case LinkRefused(message=message):
            return _notice(N_("Choose a password"), message, 400)
        case TryLater() as later:
            return try_later(later)


# --- log in, log out -------------------------------------------------------------------------


@account.get("/log-in")
def log_in_form() -> Response:
    return page("log_in.html")


@account.post("/log-in")
def log_in() -> Response:
    email = field("email")
    remember = request.form.get("remember") == "1"
    answer = desk().log_in(
        email, _password(), remember=remember, client=client(), language=g.language
    )
    match answer:
        case LoggedIn() as logged:
            # A new CSRF token for the new session (as Django rotates it at log-in).
            session.pop("csrf_token", None)
            response = _set_session(redirect(url_for("account.home"), code=303), logged)
            who = desk().shopper(client=client(), session=logged.token).check()
            if isinstance(who, SignedIn) and who.language in texts.LANGUAGES:
                # The account's language is the pages' language from now on (the switch
                # still changes it for this browser).
                response = keep_language(response, who.language)
            return response
        case LogInRefused(message=message):
            return page("log_in.html", 400, message=message, email=email)
        case TryLater() as later:
            return try_later(later)


@account.post("/log-out")
def log_out() -> Response:
    shopper().log_out()  # LoggedOut also when the session had ended already
    session.pop("csrf_token", None)
    response = flash_and_go(gettext(N_("You are logged out.")), "account.log_in_form")
    return _end_session(response)


# --- forgot password, reset ------------------------------------------------------------------


@account.get("/forgot")
def forgot_form() -> Response:
    return page("forgot.html")


@account.post("/forgot")
def forgot() -> Response:
    match desk().forgot_password(field("email"), client=client(), language=g.language):
        case ResetRequested(message=message):
            return _notice(N_("Forgot your password?"), message)
        case TryLater() as later:
            return try_later(later)


@account.get("/reset")
def reset_form() -> Response:
    token = request.args.get("token", "")
    if not token or len(token) > _TOKEN_LIMIT:
        return not_found()
    return page("set_password.html", token=token, action="account.reset")


@account.post("/reset")
def reset() -> Response:
    token = _token()
    answer = desk().reset_password(token, _password(), client=client(), language=g.language)
    match answer:
        case PasswordReset(message=message):
            return _end_session(flash_and_go(message, "account.log_in_form"))
        case PasswordNotAccepted(message=message):
            return page(
                "set_password.html", 400, token=token, action="account.reset", message=message
            )
        case LinkRefused(message=message):
            return _notice(N_("Choose a password"), message, 400)
        case TryLater() as later:
            return try_later(later)


@account.get("/confirm-email")
def confirm_email_link() -> Response:
    return _linkpage(
        N_("Confirm your new email address"), "account.confirm_email", N_("Confirm the new address")
    )


@account.post("/confirm-email")
def confirm_email() -> Response:
    match desk().confirm_email_change(_token(), client=client(), language=g.language):
        case EmailChanged(message=message):
            return flash_and_go(message, "account.home")
        case LinkRefused(message=message):
            return _notice(N_("Confirm your new email address"), message, 400)
        case TryLater() as later:
            return try_later(later)


# --- the account, Account Activity, the security log -------------------------------------------


@account.get("")
def home() -> Response:
    match shopper().view():
        case AccountView() as shown:
            return page("account.html", account=shown)
        case NotLoggedIn():
            return to_log_in()


#: A model year as the Activity search takes it: four digits (the library checks the range).
_YEAR_TYPED = re.compile(r"[0-9]{4}")


def _vehicle_query(year: str, make: str, model: str) -> VehicleQuery | None:
    """The typed year, make and model as a search by vehicle (``None``: none typed); a
    year that is not four digits or a refused name raises the library's
    ``ValidationError`` (the 400 page)."""
    if not (year or make or model):
        return None
    if not _YEAR_TYPED.fullmatch(year):
        raise InvalidFieldError("year", "is not a year of four digits")
    return VehicleQuery(int(year), make, model)


@account.get("/activity")
def activity() -> Response:
    """The account's orders newest first, paged, or those with a part number, in a
    category, or bought for a vehicle (a garage vehicle, or a typed year, make and
    model)."""
    terms = {
        "part_number": request.args.get("part_number", "")[:40].strip(),
        "category": request.args.get("category", "")[:200].strip(),
        "vehicle_id": request.args.get("vehicle_id", "")[:64].strip(),
        "year": request.args.get("year", "")[:4].strip(),
        "make": request.args.get("make", "")[:40].strip(),
        "model": request.args.get("model", "")[:60].strip(),
    }
    cursor = request.args.get("cursor", "")[:200] or None
    signed_in = shopper()
    match signed_in.garage():
        case Garage(vehicles=vehicles):
            pass
        case NotLoggedIn():
            return to_log_in()
    vehicle = _vehicle_query(terms["year"], terms["make"], terms["model"])
    found: HistoryPage | SearchPage | NotLoggedIn
    if any(terms.values()):
        found = signed_in.search(
            part_number=terms["part_number"] or None,
            category=terms["category"] or None,
            vehicle=vehicle,
            vehicle_id=terms["vehicle_id"] or None,
            cursor=cursor,
        )
    else:
        found = signed_in.history(cursor=cursor)
    match found:
        case HistoryPage(orders=orders, next_cursor=next_cursor):
            headers = list(orders)
            matches = None
        case SearchPage(matches=found_matches, next_cursor=next_cursor):
            headers = [match_.header for match_ in found_matches]
            matches = {match_.header.number: match_.lines for match_ in found_matches}
        case NotLoggedIn():
            return to_log_in()
    return page(
        "activity.html",
        orders=headers,
        matches=matches,
        next_cursor=next_cursor,
        terms=terms,
        searched={name: value for name, value in terms.items() if value},
        vehicles=vehicles,
    )


@account.get("/security")
def security() -> Response:
    match shopper().security_log():
        case SecurityLog(events=events):
            return page("security_log.html", events=events, event_words=EVENTS)
        case NotLoggedIn():
            return to_log_in()


# --- attach a past order ------------------------------------------------------------------------


@account.get("/attach")
def attach_form() -> Response:
    return _signed_in_form("attach.html")


@account.post("/attach")
def attach() -> Response:
    answer = shopper().attach_order(field("order_number", 32), field("identifier"))
    match answer:
        case AttachCodeSent(attach_id=attach_id, message=message):
            return page("attach_code.html", attach_id=attach_id, message=message)
        case NotLoggedIn():
            return to_log_in()
        case TryLater() as later:
            return try_later(later)


@account.post("/attach/confirm")
def confirm_attach() -> Response:
    attach_id = field("attach_id", 100)
    match shopper().confirm_attach(attach_id, field("code", 20)):
        case OrderAttached(order_number=number):
            message = gettext(N_("Order %(number)s is now in your account."), number=number)
            return flash_and_go(message, "account.activity")
        case AttachRefused(message=message):
            return page("attach_code.html", 400, attach_id=attach_id, message=message)
        case NotLoggedIn():
            return to_log_in()
        case TryLater() as later:
            return try_later(later)


# --- changes that need the password again --------------------------------------------------------

#: The pages that may ask for the password again, and where the shopper goes back to.
_AFTER_REAUTH = {
    "email": "account.email_form",
    "password": "account.password_form",
    "delete": "account.delete_form",
    # The data download (storefront.profile_settings) is a button on the Profile page.
    "export": "profile.home",
}


def _signed_in_form(template: str) -> Response:
    """A form that needs only *someone logged in*: the lean session check."""
    match shopper().check():
        case SignedIn():
            return page(template)
        case NotLoggedIn():
            return to_log_in()


@account.post("/reauthenticate")
def reauthenticate() -> Response:
    then = field("then", 16)
    if then not in _AFTER_REAUTH:
        raise InvalidFieldError("then", "is not a page that asks for the password")
    match shopper().reauthenticate(_password()):
        case LoggedIn() as logged:
            message = gettext(N_("Thank you. Please send the form again."))
            return _set_session(flash_and_go(message, _AFTER_REAUTH[then]), logged)
        case LogInRefused(message=message):
            return reauthenticate_page(then, message)
        case NotLoggedIn():
            return to_log_in()
        case TryLater() as later:
            return try_later(later)


@account.get("/email")
def email_form() -> Response:
    match shopper().view():  # the page shows the address now
        case AccountView() as shown:
            return page("change_email.html", account=shown)
        case NotLoggedIn():
            return to_log_in()


@account.post("/email")
def change_email() -> Response:
    match shopper().change_email(field("email")):
        case EmailChangeRequested(message=message):
            return flash_and_go(message, "account.home")
        case ReauthenticationRequired(message=message):
            return reauthenticate_page("email", message)
        case NotLoggedIn():
            return to_log_in()
        case TryLater() as later:
            return try_later(later)


@account.get("/password")
def password_form() -> Response:
    return _signed_in_form("change_password.html")


@account.post("/password")
def change_password() -> Response:
    match shopper().change_password(_password()):
        case PasswordChanged(message=message):
            return flash_and_go(message, "account.home")
        case PasswordNotAccepted(message=message):
            return page("change_password.html", 400, message=message)
        case ReauthenticationRequired(message=message):
            return reauthenticate_page("password", message)
        case NotLoggedIn():
            return to_log_in()


@account.get("/delete")
def delete_form() -> Response:
    return _signed_in_form("delete_account.html")


@account.post("/delete")
def delete_account() -> Response:
    match shopper().delete_account():
        case AccountDeleted(message=message):
            session.pop("csrf_token", None)
            return _end_session(flash_and_go(message, "guest.home"))
        case ReauthenticationRequired(message=message):
            return reauthenticate_page("delete", message)
        case NotLoggedIn():
            return to_log_in()
