"""The application factory: settings, security headers, language, errors, blueprints.

``create_app(desk, settings)`` builds a Flask application over an open
:class:`~orderstatus_core.OrderStatus`. The guest pages (the ``guest`` blueprint), the
account pages (``account``), the Profile (``profile``, its settings sections
``profile_settings``), the one-click unsubscribe link (``mail_links``), the staff desk
(``staff``) and the JSON API (``api``) are registered here and share everything below:
the settings, the CSRF protection, the headers, the language and the error pages. Their
request helpers are in :mod:`storefront.web` (the API's in :mod:`storefront.api_web`).
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import attrs
from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]
from jinja2 import select_autoescape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from orderstatus_core import AdapterError, OrderStatus, ValidationError

from . import texts
from .web import not_found

__all__ = ["LOCAL_HOSTS", "Settings", "create_app"]

_log = logging.getLogger(__name__)

#: The endpoints other sites may post to: the one-click unsubscribe link (a webmail
#: posts it from its own site; the link's token is the authority).
_CROSS_SITE_POSTS = frozenset({"mail_links.unsubscribe"})

#: The hosts under which ``Settings.local_http`` may serve without ``Secure`` cookies.
LOCAL_HOSTS = ("127.0.0.1", "localhost")

#: No script at all, style and images from this site only, forms post here only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # A guest-pass link's landing page has its token in the address: no page ever sends
    # a Referer (the CSRF token, SameSite=Lax and Sec-Fetch-Site stand in for it).
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@attrs.frozen
class Settings:
    """What the storefront needs besides the store.

    ``secret_key`` signs the session cookie (which holds the CSRF token, the language and
    the typed email or phone of a found order): at least 32 characters, kept secret, the
    same on every worker. ``local_http`` serves plain ``http://127.0.0.1`` for the demo:
    cookies lose ``Secure`` (a browser would not send them back over HTTP) and every
    request to another host is refused. ``demo_mail`` is the demo's ``.eml`` folder, shown
    at ``/demo/mail``; never set it in production. ``max_form_bytes`` bounds a request body.
    ``staff_password`` opens the staff desk at ``/staff`` (16 to 200 characters); without
    it the desk is off and every ``/staff`` address is the not-found page.
    """

    secret_key: str = attrs.field(repr=False)
    local_http: bool = False
    demo_mail: Path | None = None
    max_form_bytes: int = 16 * 1024
    staff_password: str | None = attrs.field(default=None, repr=False)

    @staff_password.validator
    def _check_staff_password(self, _attribute: object, value: object) -> None:
        if value is not None and (not isinstance(value, str) or not 16 <= len(value) <= 200):
            raise ValueError("staff_password must be text of 16 to 200 characters, or None")

    @secret_key.validator
    def _check_key(self, _attribute: object, value: object) -> None:
        if not isinstance(value, str) or len(value) < 32:
            raise ValueError("secret_key must be text of at least 32 characters")

    @classmethod
    def for_demo(cls, demo_mail: Path | None = None, staff_password: str | None = None) -> Settings:
        """Plain HTTP on 127.0.0.1 with a fresh random key (sessions end with the process)."""
        return cls(
            secrets.token_urlsafe(32),
            local_http=True,
            demo_mail=demo_mail,
            staff_password=staff_password,
        )


def create_app(desk: OrderStatus, settings: Settings) -> Flask:
    """The storefront over ``desk`` (opened and migrated by the caller, who closes it)."""
    app = Flask(__name__)
    # An empty path segment is no route: merged (werkzeug's default), ``/orders//cancel``
    # matched ``/orders/<number>`` with the number "cancel" and answered 405, not the one
    # not-found page or problem (found by schemathesis with an empty order number).
    app.url_map.merge_slashes = False
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_form_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_form_bytes,
        MAX_FORM_PARTS=64,
        SESSION_COOKIE_NAME="storefront_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.local_http,
        PREFERRED_URL_SCHEME="http" if settings.local_http else "https",
        # Flask-WTF's HTTPS check compares the Referer with the host; these pages send
        # none (Referrer-Policy: no-referrer), so the token, SameSite=Lax and the
        # Sec-Fetch-Site check below do that work instead.
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=None,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        DEMO_MAIL=settings.demo_mail is not None,
    )
    app.extensions["orderstatus"] = desk
    app.extensions["storefront.settings"] = settings
    app.jinja_options = {**app.jinja_options, "autoescape": select_autoescape(default=True)}
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        texts.gettext, texts.ngettext, newstyle=True
    )
    # The guards run first: a foreign post is refused before the CSRF check reads the form.
    _install_guards(app, settings)
    csrf = CSRFProtect(app)

    from .account import account
    from .api import api
    from .guest import guest
    from .profile import profile
    from .profile_settings import settings as profile_settings
    from .staff import staff
    from .unsubscribe import mail_links

    app.register_blueprint(guest)
    app.register_blueprint(account)
    app.register_blueprint(profile)
    app.register_blueprint(profile_settings)
    # Mail programs post the one-click link with no token of ours (RFC 8058): the link's
    # own token is the authority.
    csrf.exempt(mail_links)
    app.register_blueprint(mail_links)
    app.register_blueprint(staff)
    # The API's guest pass is an Authorization header, which a browser never sends by
    # itself: a cross-site request cannot carry it, so CSRF tokens have nothing to protect.
    csrf.exempt(api)
    app.register_blueprint(api)
    _install_errors(app)
    return app


def _install_guards(app: Flask, settings: Settings) -> None:
    @app.before_request
    def guard() -> Response | None:
        if settings.local_http and (request.host.rsplit(":", 1)[0] not in LOCAL_HOSTS):
            return _error(400, texts.N_("This demo answers on 127.0.0.1 only."))
        if request.method == "POST" and request.endpoint not in _CROSS_SITE_POSTS:
            # The browser says where a post comes from (current browsers always do):
            # only this site's own pages may post; the CSRF token is checked after this.
            # With no-referrer, this site's own forms post ``Origin: null``; another
            # site's name is refused (behind a proxy, let ProxyFix set scheme and host).
            site = request.headers.get("Sec-Fetch-Site")
            origin = request.headers.get("Origin")
            foreign = origin not in (None, "null", f"{request.scheme}://{request.host}")
            if foreign or (site is not None and site not in ("same-origin", "none")):
                return _error(403, texts.N_("Please use the forms on this site."))
        g.language = texts.choose_language(
            request.cookies.get(texts.LANGUAGE_COOKIE), request.accept_languages
        )
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            # Every page may show an order, a code or a notice about one.
            response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
        return response


def _error(status: int, message: str) -> Response:
    """An error page: the message in the shopper's language, never a stack trace (under
    ``/api/``, the same as a problem details answer)."""
    if _is_api():
        from .api_web import problem

        return problem(status, message)
    language = getattr(g, "language", None) or texts.choose_language(
        request.cookies.get(texts.LANGUAGE_COOKIE), request.accept_languages
    )
    g.language = language
    body = render_template("error.html", message=texts.translate(language, message))
    return Response(body, status=status, mimetype="text/html")


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _install_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(_error_value: CSRFError) -> Response:
        return _error(
            400,
            texts.N_(
                "This form has expired or came from another site. Please load the page again."
            ),
        )

    @app.errorhandler(ValidationError)
    def bad_input(_error_value: ValidationError) -> Response:
        return _error(400, texts.N_("Please check what you typed: some of it is not valid."))

    @app.errorhandler(AdapterError)
    def store_down(error: AdapterError) -> Response:
        _log.error("the store could not answer: %s", error)
        return _error(
            503, texts.N_("The store cannot answer right now. Please try again in a minute.")
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if _is_api():
            from .api_web import http_problem

            return http_problem(error)
        if error.code == 404:
            return not_found()
        messages = {
            405: texts.N_("Please use the forms on this site."),
            413: texts.N_("That is more than the form can hold."),
        }
        message = messages.get(error.code or 400, texts.N_("Bad request."))
        response = _error(error.code or 400, message)
        if error.code == 405 and isinstance(error, HTTPException):
            allowed = error.get_headers()
            response.headers.extend([(k, v) for k, v in allowed if k == "Allow"])
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        # The details go to the server's log, never to the browser.
        _log.exception("unexpected error on %s", request.path, exc_info=error)
        return _error(500, texts.N_("Something went wrong on our side. Please try again."))
