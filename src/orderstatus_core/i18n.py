"""The shopper's language: gettext catalogs and Babel formatting, for any layer.

One gettext domain, :data:`DOMAIN`, holds every text a shopper reads. Its catalogs are the
``.po`` files in ``<folder>/<language>/LC_MESSAGES/orderstatus.po``: the core's own folder
(``orderstatus_core/locale``, English and Finnish) and any folder a store's plugin adds
through ``orderstatus_mail_templates``, which is asked first.

The ``.po`` files are read at run time (:func:`babel.messages.pofile.read_po`), once per
language and process, instead of being compiled to ``.mo`` at build time: a store's own
folder and an editable install then work with no build step, the wheel ships exactly the
files a translator edits, and reading the few hundred messages costs about a millisecond.
Fuzzy entries are left out, as ``msgfmt`` would.

A :class:`Translator` is what a layer is given: ``gettext`` for texts, and ``money``,
``date``, ``datetime`` and ``number`` for values, all for one locale. Nothing here formats
by hand: ``Money("12.50", "EUR")`` is ``12,50 €`` in Finnish and ``€12.50`` in English.

>>> from decimal import ROUND_HALF_UP, Decimal
>>> from orderstatus_core.model import Money
>>> finnish = Catalogs.builtin().translator("fi")
>>> finnish.money(Money("12.50", "EUR")).replace("\\xa0", " ")
'12,50 €'
>>> Catalogs.builtin().translator("en_US").money(Money("12.50", "USD"))
'$12.50'
>>> Catalogs.builtin().translator("xx").language  # no catalog: English
'en'
"""

from __future__ import annotations

import functools
import gettext
import io
import itertools
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import attrs
from babel import Locale, UnknownLocaleError, dates, lists, localedata, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from orderstatus_core.errors import CatalogError
from orderstatus_core.model import Money

__all__ = ["DEFAULT_LANGUAGE", "DOMAIN", "Catalogs", "Translator"]

#: The one gettext domain: every catalog file is ``<language>/LC_MESSAGES/orderstatus.po``.
DOMAIN = "orderstatus"

#: The language of the message ids, and of every text whose language has no catalog.
DEFAULT_LANGUAGE = "en"

# A language code as a stored intent carries it: ``fi``, ``en_US``, ``pt_BR`` (``-`` is taken
# for ``_``). It becomes part of a file path, so nothing else ever reaches the file system.
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")


@attrs.frozen(eq=False)
class Translator:
    """The texts and the formats of one language.

    ``language`` is the catalog's language (``fi``); ``locale`` the Babel locale values are
    formatted for, which may be more precise (``en_GB`` formats dates the British way and
    reads the ``en`` catalog).
    """

    language: str
    locale: Locale
    translations: gettext.NullTranslations = attrs.field(repr=False)

    def gettext(self, message: str) -> str:
        """``message`` (an English message id) in this language."""
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of ``singular`` / ``plural`` for ``count``, in this language."""
        return self.translations.ngettext(singular, plural, count)

    def money(self, amount: Money) -> str:
        """``amount`` with its currency, as this locale writes it (``12,50 €``, ``$12.50``).

        Rounded half up to the currency's ISO 4217 decimals (``¥1,500``, ``BHD 1.250``), for
        display only; an amount that rounds to nothing is never ``-0.00``.
        """
        places = numbers.get_currency_precision(amount.currency)
        shown = amount.amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if shown == 0:
            shown = abs(shown)  # a negative amount that rounds to zero is zero: never "-0.00"
        return numbers.format_currency(shown, amount.currency, locale=self.locale)

    def number(self, value: int | Decimal) -> str:
        """A number with this locale's digit grouping and decimal sign (``1 234,5``)."""
        return numbers.format_decimal(value, locale=self.locale)

    def date(self, value: date) -> str:
        """A day, written out (``November 1, 2026``, ``1. marraskuuta 2026``).

        A ``datetime`` is taken as its day in UTC, the time zone every stored time is in.
        """
        day = value.astimezone(UTC).date() if isinstance(value, datetime) else value
        return dates.format_date(day, "long", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """A moment with its date, time and time zone (UTC), as this locale writes them."""
        return dates.format_datetime(value, "long", tzinfo=UTC, locale=self.locale)

    def list(self, items: Sequence[str]) -> str:
        """``items`` as one phrase: ``A, B, and C`` in English, ``A, B ja C`` in Finnish."""
        return lists.format_list(list(items), locale=self.locale) if items else ""


def _as_folders(folders: Iterable[object]) -> tuple[Traversable, ...]:
    return tuple(_as_folder(folder) for folder in folders)


def _as_folder(folder: object) -> Traversable:
    if isinstance(folder, str):
        folder = Path(folder)
    if not isinstance(folder, Traversable):
        raise CatalogError(f"a catalog folder must be a path, not {type(folder).__name__}")
    if not folder.is_dir():
        raise CatalogError(f"the catalog folder {folder} does not exist")
    return folder


@attrs.frozen(eq=False)
class Catalogs:
    """The catalog folders of the one domain, the first folder's messages winning.

    Each folder holds ``<language>/LC_MESSAGES/orderstatus.po``. A message missing from a
    store's folder comes from the next one, and in the end from the message id (English).
    :meth:`translator` builds a language's :class:`Translator` once and keeps it.
    """

    folders: tuple[Traversable, ...] = attrs.field(converter=_as_folders)
    _kept: dict[str, Translator] = attrs.field(factory=dict, init=False, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)
    _languages: list[frozenset[str]] = attrs.field(factory=list, init=False, repr=False)

    @classmethod
    def builtin(cls) -> Catalogs:
        """The core's own catalogs (English and Finnish), shared by every caller."""
        return _builtin_catalogs()

    def languages(self) -> frozenset[str]:
        """Every language with a catalog in some folder, plus :data:`DEFAULT_LANGUAGE`."""
        found = {DEFAULT_LANGUAGE}
        for folder in self.folders:
            if folder.is_dir():
                found.update(
                    entry.name
                    for entry in folder.iterdir()
                    if _LANGUAGE.fullmatch(entry.name) and _catalog_file(folder, entry.name)
                )
        return frozenset(found)

    def translator(self, language: str) -> Translator:
        """The translator for ``language`` (``fi``, ``en_GB``, ``fi-FI``).

        The catalog is the language's own, else that of its base language (``en`` for
        ``en_GB``), else English; values are formatted for the requested locale when Babel
        knows it and it shares the catalog's language. Anything that is not a language code
        gets English. A catalog that cannot be read raises
        :class:`~orderstatus_core.errors.CatalogError`.
        """
        requested = language.replace("-", "_") if isinstance(language, str) else ""
        kept = self._kept.get(requested)
        if kept is not None:
            return kept
        with self._lock:
            kept = self._kept.get(requested)
            if kept is None:
                kept = self._build(requested)
                self._kept[requested] = kept
        return kept

    def for_shopper(self, language: str) -> Translator:
        """The translator for the language a shopper's request names (``fi``, ``en-US``).

        The text is untrusted, so it never grows what is kept beyond what exists: a
        language with a catalog, or a locale Babel knows whose language has one, gets its
        own translator; anything else (``xx``, ``fi_ZZ``, a kilobyte of noise) gets its
        base language's or English. Never an error for a malformed value.
        """
        kept = self._kept.get(language) if isinstance(language, str) else None
        if kept is not None:  # a code asked before: every request pays one dict look-up
            return kept
        requested = language.replace("-", "_") if isinstance(language, str) else ""
        if not _LANGUAGE.fullmatch(requested):
            return self.translator(DEFAULT_LANGUAGE)
        base = requested.split("_")[0]
        known = self._known_languages()
        if requested in known or (base in known and localedata.exists(requested)):
            return self.translator(requested)
        return self.translator(base if base in known else DEFAULT_LANGUAGE)

    def _known_languages(self) -> frozenset[str]:
        known = self._languages
        if not known:
            known.append(self.languages())  # a race only computes it twice
        return known[0]

    def _build(self, requested: str) -> Translator:
        if not _LANGUAGE.fullmatch(requested):
            requested = DEFAULT_LANGUAGE
        base = requested.split("_")[0]
        for candidate in dict.fromkeys((requested, base)):
            chain = self._chain(candidate)
            if chain is not None:
                return Translator(candidate, _locale(requested, candidate), chain)
        if base == DEFAULT_LANGUAGE:  # English with no catalog: the message ids themselves
            return Translator(base, _locale(requested, base), gettext.NullTranslations())
        return self.translator(DEFAULT_LANGUAGE)

    def _chain(self, language: str) -> gettext.NullTranslations | None:
        found = [_read(folder, language) for folder in self.folders]
        chain = [translations for translations in found if translations is not None]
        if not chain:
            return None
        for earlier, later in itertools.pairwise(chain):
            earlier.add_fallback(later)
        return chain[0]


def _catalog_file(folder: Traversable, language: str) -> Traversable | None:
    file = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    return file if file.is_file() else None


def _read(folder: Traversable, language: str) -> Translations | None:
    file = _catalog_file(folder, language)
    if file is None:
        return None
    try:
        with file.open("rb") as po:
            catalog = read_po(po, locale=language, domain=DOMAIN, abort_invalid=True)
        # A translation whose placeholders differ from its id's would fail (or drop a
        # value) in the middle of a mail: refuse the catalog when it is read instead.
        for message, errors in catalog.check():
            if errors and not message.fuzzy:
                raise CatalogError(f"{file}: {message.id!r:.60}: {errors[0]}")
        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)
    except CatalogError:
        raise
    except Exception as error:  # any parse failure: the catalog cannot be used as it is
        raise CatalogError(f"cannot read the catalog {file}: {error}") from error
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _locale(requested: str, language: str) -> Locale:
    # The requested locale formats values only when it shares the catalog's language: a
    # Finnish text with American dates would read oddly.
    names = (requested, language) if requested.split("_")[0] == language else (language,)
    for name in (*names, DEFAULT_LANGUAGE):
        try:
            return Locale.parse(name)
        except (UnknownLocaleError, ValueError):
            continue
    raise CatalogError(f"Babel has no locale data for {DEFAULT_LANGUAGE}")


def builtin_catalog_folder() -> Traversable:
    """The folder of the core's own catalogs, inside the installed package."""
    return resources.files("orderstatus_core") / "locale"


@functools.cache
def _builtin_catalogs() -> Catalogs:
    # Built on first use, not at import: nothing here touches the file system before asked.
    return Catalogs((builtin_catalog_folder(),))
