"""The Profile's settings sections at ``/account/profile``: store credit (the balance per
currency and its history) and discount codes (code, worth, expiry, used or not),
availability alerts (the watched parts, remove one, *tell me when it is back* by part
number), mail preferences (a checkbox per topic of store mail) and the account's
language, and *Download my data*.

Each section is a :class:`~storefront.web.Section` of the Profile page
(:data:`SETTINGS_SECTIONS`, listed after the addresses and the garage by
:data:`storefront.profile.SECTIONS`). Every change is a POST with the CSRF token that
answers a redirect (303) to the Profile page with a notice; bad input (a part number that
cannot be one, an unknown topic or language) is the 400 page and changes nothing.

**Language.** The pages' words are in the language cookie's language (the switch in the
header, set to the account's language at log-in). Choosing the account's language here
sets the account's preference (the library's mail follows it) *and* the cookie, so the
pages follow at once; the header's switch still changes this browser's pages only
(docs/profile.md "Language": the page's choice first, else the account's).

**The data download** needs the password typed within the last minutes, as deleting the
account does: without it the shopper types it on the same password page, comes back to
the Profile and presses the button again. The document is sent as an attachment with
``Cache-Control: no-store`` (every page of this storefront has it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, g, request
from werkzeug.wrappers import Response

from orderstatus_core import (
    DataExport,
    InvalidFieldError,
    LanguageChanged,
    MailPreferences,
    NotLoggedIn,
    PartNotWatched,
    PartWatched,
    ProfilePage,
    ReauthenticationRequired,
    TryLater,
    WatchListFull,
    WatchRemoved,
)

from . import texts
from .texts import N_, gettext
from .web import (
    Section,
    field,
    flash_and_go,
    keep_language,
    not_found,
    reauthenticate_page,
    shopper,
    to_log_in,
    try_later,
)

__all__ = ["CODE_STATUSES", "LANGUAGE_NAMES", "SETTINGS_SECTIONS", "TOPICS", "settings"]

#: The settings' routes, under the Profile's path (the Profile page itself is
#: ``profile.home``).
settings = Blueprint("profile_settings", __name__, url_prefix="/account/profile")

#: The store-mail topics of the core's policy in the shopper's words (a topic a store adds
#: is shown by its name).
TOPICS: Mapping[str, str] = {
    "newsletter": N_("The newsletter"),
    "offers": N_("Offers and sales"),
}
#: Each offered language in its own words (never translated: a shopper finds their own).
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "fi": "suomi"}
#: Where a discount code stands (``CodeStatus``) in the shopper's words.
CODE_STATUSES: Mapping[str, str] = {
    "open": N_("Not used yet"),
    "used": N_("Used"),
    "expired": N_("Expired"),
    "revoked": N_("Withdrawn"),
}
#: The longest part number a watch form takes (the library checks the rest).
_PART_NUMBER_LIMIT = 40


def _credit(whole: ProfilePage) -> Mapping[str, Any]:
    codes = whole.discount_codes.codes
    return {"credit": whole.store_credit, "codes": codes, "statuses": CODE_STATUSES}


def _mail_and_language(whole: ProfilePage) -> Mapping[str, Any]:
    return {
        "preferences": whole.mail_preferences,
        "topic_words": TOPICS,
        "account_language": whole.language,
        "languages": LANGUAGE_NAMES,
    }


#: The settings' sections of the Profile page, in order.
SETTINGS_SECTIONS: tuple[Section, ...] = (
    Section(N_("Store credit and discount codes"), "profile_credit.html", _credit),
    Section(
        N_("Availability alerts"),
        "profile_alerts.html",
        lambda whole: {"watches": whole.part_watches.watches},
    ),
    Section(N_("Mail and language"), "profile_mail.html", _mail_and_language),
    Section(N_("Your data"), "profile_data.html", lambda _whole: {}),  # a button only
)


def _done(message: str) -> Response:
    return flash_and_go(message, "profile.home")


# --- availability alerts ---------------------------------------------------------------------


@settings.post("/alerts")
def watch_part() -> Response:
    """*Tell me when it is back*: watch the typed part number."""
    match shopper().watch_part(field("part_number", _PART_NUMBER_LIMIT)):
        case PartWatched(part_number=part, already=already):
            if already:
                return _done(gettext(N_("You are already watching %(part)s."), part=part))
            message = N_("We will mail you when %(part)s is back in stock.")
            return _done(gettext(message, part=part))
        case WatchListFull(limit=limit):
            message = N_("You can watch at most %(limit)s parts: remove one first.")
            return _done(gettext(message, limit=limit))
        case NotLoggedIn():
            return to_log_in()


@settings.post("/alerts/remove")
def unwatch_part() -> Response:
    match shopper().unwatch_part(field("part_number", _PART_NUMBER_LIMIT)):
        case WatchRemoved(part_number=part):
            return _done(gettext(N_("You no longer watch %(part)s."), part=part))
        case PartNotWatched():
            return not_found()
        case NotLoggedIn():
            return to_log_in()


# --- mail preferences and language -----------------------------------------------------------


@settings.post("/mail")
def set_mail_preferences() -> Response:
    """The topics' checkboxes: a checked one subscribes, an unchecked one stops (a topic
    the store does not have is the library's ``UnknownMailTopicError``: the 400 page)."""
    checked = request.form.getlist("topic")
    signed_in = shopper()
    match signed_in.mail_preferences():
        case MailPreferences(topics=topics):
            pass
        case NotLoggedIn():
            return to_log_in()
    wanted = {topic: topic in checked for topic in topics}
    # A checked topic the store does not offer goes to the library, which refuses it
    # (UnknownMailTopicError) before anything is written.
    wanted |= {topic[:64]: True for topic in checked if topic not in topics}
    match signed_in.set_mail_preferences(wanted):
        case MailPreferences():
            return _done(gettext(N_("Your mail preferences are saved.")))
        case NotLoggedIn():
            return to_log_in()


@settings.post("/language")
def set_language() -> Response:
    chosen = field("language", 8)
    if chosen not in texts.LANGUAGES:
        raise InvalidFieldError("language", "is not offered")
    match shopper().set_language(chosen):
        case LanguageChanged(language=language):
            g.language = language  # the notice in the language just chosen
            response = _done(gettext(N_("Your language is saved.")))
            return keep_language(response, language)
        case NotLoggedIn():
            return to_log_in()


# --- the data download -----------------------------------------------------------------------


@settings.post("/export")
def download_data() -> Response:
    match shopper().export_data():
        case DataExport() as export:
            response = Response(export.document, mimetype=export.media_type)
            response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
        case ReauthenticationRequired(message=message):
            return reauthenticate_page("export", message)
        case TryLater() as later:
            return try_later(later)
        case NotLoggedIn():
            return to_log_in()
