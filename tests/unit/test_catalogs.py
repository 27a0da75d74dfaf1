"""The gettext catalogs: in sync with the templates and code, Finnish complete, shipped
inside the package, and read strictly."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from orderstatus_core.errors import CatalogError
from orderstatus_core.i18n import DOMAIN, Catalogs
from orderstatus_core.mail import MailRenderer
from orderstatus_core.model import Money
from support.paths import ROOT

LOCALE = ROOT / "src" / "orderstatus_core" / "locale"
KINDS = ("order_list", "guest_pass", "tracking", "return_label", "return_received")


def _catalog(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The message ids ``pybabel extract`` finds with the repository's babel.cfg, run
    exactly as docs/mail-templates.md tells a maintainer to run it."""
    pot = tmp_path_factory.mktemp("extract") / f"{DOMAIN}.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
    command += ["-o", str(pot), "--no-location", "--omit-header", "src"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=120)
    with pot.open("rb") as file:
        return read_po(file)


def _ids(catalog: Catalog) -> set[object]:
    return {message.id for message in catalog if message.id}


def test_extraction_finds_the_mail_texts(extracted: Catalog) -> None:
    """The sync checks below compare against something: the templates' messages."""
    assert "Your recent order numbers" in _ids(extracted)
    assert len(_ids(extracted)) >= 25


def test_extraction_covers_the_labels_adapter(extracted: Catalog) -> None:
    """babel.cfg names the labels adapter as well as the core: the words a shopper prints on
    the label and the instructions are in the same catalogs as the mail."""
    ids = _ids(extracted)
    assert {"RETURN", "Return authorization (RMA)", "What voids the return"} <= ids
    assert {"Ship with %(carrier)s (%(service)s), %(weight)s."} <= ids


def _python_texts() -> set[str]:
    """Every shopper text the Python sources mark: view words, refusals, fixed answers."""
    from orderstatus_core.model import display
    from orderstatus_core.policies import refusals
    from orderstatus_core.services import results

    answers = (
        results.OrderNotFound(),
        results.NoValidPass(),
        results.OrderListRequested(),
        results.GuestPassRequested(),
        results.GuestPassRefused(),
    )
    return {
        *display.STATES.values(),
        *display.PROBLEM_KINDS.values(),
        *display.SPEEDS.values(),
        *refusals.REFUSALS.values(),
        refusals.RMA_STATE_REFUSAL,
        results.TryLater.__attrs_attrs__.message.default,
        *(answer.message for answer in answers),
    }


def test_extraction_finds_the_python_sources_texts(extracted: Catalog) -> None:
    """The views', refusals' and answers' texts are marked (``N_``) where babel.cfg
    extracts them, so the sync checks below cover them as they cover the mail's."""
    assert _python_texts() <= _ids(extracted)


@pytest.mark.parametrize("language", ["en", "fi"])
def test_each_catalog_has_exactly_the_extracted_messages(extracted: Catalog, language: str) -> None:
    """No message missing from a catalog, none left over after its text changed:
    run ``pybabel update`` (docs/mail-templates.md) when this fails."""
    assert _ids(_catalog(language)) == _ids(extracted)


def test_every_finnish_message_is_translated_and_not_fuzzy() -> None:
    """Each id, each plural form, has a non-empty Finnish text that a reviewer accepted."""
    untranslated = []
    for message in _catalog("fi"):
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(form and form.strip() for form in forms):
            untranslated.append(message.id)
    assert untranslated == []


def test_the_finnish_texts_keep_every_placeholder() -> None:
    """A translation that drops or renames ``%(order)s`` would fail at render time."""
    for message in _catalog("fi"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_placeholders(ids[-1]))
        for form in forms:
            assert set(_placeholders(form)) == wanted, message.id


def _placeholders(text: str) -> list[str]:
    return [part.split(")")[0] for part in text.split("%(")[1:]]


def test_templates_and_catalogs_ship_inside_the_package() -> None:
    """Found through importlib.resources, as an installed wheel finds them."""
    package = resources.files("orderstatus_core")
    for kind in (*KINDS, "return_settled", "layout"):
        for part in ("txt", "html"):
            assert (package / "templates" / "mail" / f"{kind}.{part}").is_file()
    for language in ("en", "fi"):
        assert (package / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    assert MailRenderer.builtin().languages() == {"en", "fi"}


def test_the_wheel_takes_the_package_folder_whole() -> None:
    """hatchling ships every file under a listed package folder that git does not ignore:
    the package is listed, and neither .po nor template files are ignored."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"src/orderstatus_core",' in pyproject
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert not {"*.po", "*.html", "*.txt", "locale/", "templates/"} & set(ignored)


# --- the translator -----------------------------------------------------------------------


def test_a_translator_formats_money_numbers_dates_and_lists() -> None:
    """What any layer gets from :meth:`Catalogs.translator`, formatted by Babel."""
    finnish = Catalogs.builtin().translator("fi")
    english = Catalogs.builtin().translator("en_US")
    assert finnish.money(Money("12.50", "EUR")) == "12,50\xa0€"
    assert english.money(Money("12.50", "USD")) == "$12.50"
    assert finnish.number(Decimal("1234.5")) == "1\xa0234,5"
    assert english.number(1234) == "1,234"
    assert finnish.date(date(2026, 11, 15)) == "15. marraskuuta 2026"
    assert english.date(datetime(2026, 11, 15, 23, 0, tzinfo=UTC)) == "November 15, 2026"
    assert finnish.list(["A", "B", "C"]) == "A, B ja C"
    assert english.list([]) == ""
    assert finnish.gettext("Hello,") == "Hei,"
    assert english.gettext("Hello,") == "Hello,"


def test_a_translator_is_built_once_per_language() -> None:
    """The catalogs are read on first use and kept."""
    catalogs = Catalogs.builtin()
    assert catalogs.translator("fi") is catalogs.translator("fi")


def test_a_fuzzy_translation_is_not_used(tmp_path: Path) -> None:
    """As ``msgfmt`` does: a fuzzy entry still waits for a reviewer, so the id is shown."""
    _write_po(tmp_path, "sv", '#, fuzzy\nmsgid "Hello,"\nmsgstr "Hej,"\n')
    assert Catalogs([tmp_path]).translator("sv").gettext("Hello,") == "Hello,"


@pytest.mark.parametrize(
    "body",
    [
        "not a catalog line\n",
        'msgid "Hello,"\n',  # no msgstr
        'msgid "Your code: %(code)s"\nmsgstr "Din kod: %(kod)s"\n',  # a renamed placeholder
        b'msgid "Hello,"\nmsgstr "\xff\xfe"\n',  # not UTF-8, which the header declares
    ],
)
def test_a_broken_catalog_is_a_catalog_error(tmp_path: Path, body: str | bytes) -> None:
    """A store's broken .po file is named in a clear error, never half read."""
    _write_po(tmp_path, "sv", body)
    with pytest.raises(CatalogError, match=r"orderstatus\.po"):
        Catalogs([tmp_path]).translator("sv")


@pytest.mark.parametrize("folder", ["/no/such/folder", 42])
def test_a_catalog_folder_must_exist(folder: object) -> None:
    """A mistyped folder fails when the catalogs are built, not at the first mail."""
    with pytest.raises(CatalogError, match="folder"):
        Catalogs([folder])


def _write_po(folder: Path, language: str, body: str | bytes) -> None:
    path = folder / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    path.parent.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    path.write_bytes(header.encode() + (body if isinstance(body, bytes) else body.encode()))
