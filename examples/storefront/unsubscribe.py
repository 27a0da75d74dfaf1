"""The one-click unsubscribe link of store mail (RFC 8058) at
``/account/unsubscribe?token=...``, the path the library's links use
(``{AccountPolicy.link_base}/unsubscribe``, and ``link_base`` is this storefront's
``/account``, as for the verification and reset links).

A mail program POSTs to the link with ``List-Unsubscribe=One-Click`` in the body, with
no log-in and no CSRF token: the token in the link is the whole authority (it can stop one
topic for one account and nothing else), so this route is exempt from the CSRF check and
from the same-site guard (a webmail's POST comes from another site). A GET, which mail
scanners follow, changes nothing: it shows a page with the same POST as a button.
"""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from orderstatus_core import InvalidFieldError, Unsubscribed, UnsubscribeRefused

from .texts import N_, gettext
from .web import desk, page

__all__ = ["ONE_CLICK", "TOKEN_LIMIT", "TOPIC_WORDS", "mail_links"]

mail_links = Blueprint("mail_links", __name__, url_prefix="/account")

#: The body field and value of an RFC 8058 one-click POST.
ONE_CLICK = ("List-Unsubscribe", "One-Click")
#: The longest token the link carries (the library refuses longer ones too).
TOKEN_LIMIT = 2000
#: The core policy's topics in the shopper's words (a store's own topic by its name).
TOPIC_WORDS = {"newsletter": N_("the newsletter"), "offers": N_("offers and sales")}


def _token() -> str:
    token = request.args.get("token", "")
    if not token or len(token) > TOKEN_LIMIT:
        raise InvalidFieldError("token", "is not an unsubscribe link's")
    return token


@mail_links.get("/unsubscribe")
def confirm() -> Response:
    """The page behind the link: what it does, and the button that does it."""
    return page("unsubscribe.html", token=_token(), one_click=ONE_CLICK)


@mail_links.post("/unsubscribe")
def unsubscribe() -> Response:
    token = _token()
    if request.form.get(ONE_CLICK[0]) != ONE_CLICK[1]:
        raise InvalidFieldError(ONE_CLICK[0], "must be One-Click (RFC 8058)")
    match desk().unsubscribe(token):
        case Unsubscribed(topic=topic):
            words = gettext(TOPIC_WORDS[topic]) if topic in TOPIC_WORDS else topic
            message = gettext(N_("You will get no more mail about %(topic)s."), topic=words)
            return page("notice.html", title=N_("Unsubscribed"), message=message)
        case UnsubscribeRefused():
            message = gettext(N_("This link does not work. Your mail preferences are unchanged."))
            return page("notice.html", 400, title=N_("Unsubscribe"), message=message)
