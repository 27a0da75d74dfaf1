"""The storefront's own words in English and Finnish, and the shopper's language.

The library answers in the shopper's language by itself (``language=`` on every call); this
small catalog holds only the pages' own words (headings, labels, buttons). Templates call
``_()`` (Jinja's i18n extension, new style: values are escaped), the Python code
:func:`gettext`; :func:`N_` marks a text to translate later. ``tests/storefront`` checks
that every marked text has a Finnish translation.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, has_request_context

__all__ = [
    "FINNISH",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "N_",
    "choose_language",
    "gettext",
    "ngettext",
    "translate",
]

#: The languages the pages offer (those of the library's own catalogs).
LANGUAGES = ("en", "fi")
#: The cookie that keeps the shopper's choice of language.
LANGUAGE_COOKIE = "language"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker's name
    """Mark ``message`` for translation; it is translated where it is shown."""
    return message


def choose_language(chosen: str | None, accepted: object) -> str:
    """The shopper's choice (the cookie), else the browser's best offered language."""
    if chosen in LANGUAGES:
        return str(chosen)
    best_match = getattr(accepted, "best_match", None)
    best = best_match(LANGUAGES) if best_match is not None else None
    return best if best in LANGUAGES else "en"


def translate(language: str, message: str, **values: object) -> str:
    """``message`` in ``language`` (English when the catalog lacks it), ``%(name)s``
    filled from ``values``."""
    text = FINNISH.get(message, message) if language == "fi" else message
    return text % values if values else text


def gettext(message: str, **values: object) -> str:
    """``message`` in the request's language."""
    language = g.get("language", "en") if has_request_context() else "en"
    return translate(language, message, **values)


def ngettext(singular: str, plural: str, count: int, **values: object) -> str:
    """The singular or plural of a message in the request's language."""
    values.setdefault("num", count)
    return gettext(singular if count == 1 else plural, **values)


def marked(names: Iterable[str]) -> list[str]:
    """The texts among ``names`` that have no Finnish translation (for the tests)."""
    return [name for name in names if name not in FINNISH]


FINNISH: dict[str, str] = {}
