"""Turning mail intents into mail: a plain-text and an HTML part, in the shopper's language.

Each mail kind has two Jinja2 templates in ``orderstatus_core/templates/mail/``,
``<kind>.txt`` and ``<kind>.html`` (``order_list``, ``guest_pass``, ``tracking``,
``return_label``, ``return_received``, ``return_settled``, and the account mail:
``account_verification``, ``already_registered``, ``password_reset``, ``email_change``,
``email_change_notice``, ``attach_code``, ``part_back_in_stock``), framed by ``layout.txt`` and
``layout.html``. Their words are gettext messages of the one domain (:mod:`orderstatus_core.i18n`),
translated by the ``.po`` catalogs; money and dates go through Babel filters (``money``,
``date``, ``datetime``, ``join_list``). The subject is the text template's ``subject`` block.

A store changes any template, its brand or a language's words, or adds a language, with the
``orderstatus_mail_templates`` hook: each answer is a :class:`MailTemplates`, whose folders
are searched before the core's own.

Rendering happens at delivery time in the relay, so a template fix reaches mail still
waiting in the outbox. HTML is autoescaped, text is not; an undefined variable fails loudly
(``StrictUndefined``). Every failure is a :class:`~orderstatus_core.errors.MailTemplateError`,
which rendering again cannot cure. Headers are built by the mail adapter; the subject uses
only stored values such as order numbers, and a subject with a line break is refused
(SECURITY H1).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import attrs
import jinja2
import jinja2.bccache
import jinja2.ext

from orderstatus_core.errors import CatalogError, InvalidFieldError, MailTemplateError
from orderstatus_core.i18n import Catalogs, Translator, builtin_catalog_folder
from orderstatus_core.messages import (
    AccountVerificationMail,
    AlreadyRegisteredMail,
    AttachCodeMail,
    EmailChangeMail,
    EmailChangeNotice,
    GuestPassMail,
    MailIntent,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    PartBackInStockMail,
    PasswordResetMail,
    ReturnLabelMail,
    ReturnReceivedMail,
    ReturnSettledMail,
    StoreMail,
    TrackingMail,
)

__all__ = ["MailBranding", "MailRenderer", "MailTemplates", "mail_template_name"]

_KINDS: Mapping[type[object], str] = {
    OrderListMail: "order_list",
    GuestPassMail: "guest_pass",
    TrackingMail: "tracking",
    ReturnLabelMail: "return_label",
    ReturnReceivedMail: "return_received",
    ReturnSettledMail: "return_settled",
    AccountVerificationMail: "account_verification",
    AlreadyRegisteredMail: "already_registered",
    PasswordResetMail: "password_reset",
    EmailChangeMail: "email_change",
    EmailChangeNotice: "email_change_notice",
    AttachCodeMail: "attach_code",
    PartBackInStockMail: "part_back_in_stock",
}
_OUTCOMES = frozenset({"refunded", "credited", "replaced", "rejected"})
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# Anything that could end a header line or hide in one (SECURITY H1).
_NOT_IN_SUBJECT = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")
_MAX_STORE_NAME = 100
_MAX_URL = 2000


def mail_template_name(intent: MailIntent, part: str) -> str:
    """The template a mail is rendered from: ``mail/<kind>.txt`` or ``mail/<kind>.html``;
    a :class:`~orderstatus_core.messages.StoreMail`'s is the store's own
    ``mail/store/<template>.txt`` or ``.html``.

    >>> from orderstatus_core.contacts import parse_email
    >>> mail_template_name(ReturnReceivedMail(parse_email("a@b.example"), "1", "R1"), "html")
    'mail/return_received.html'
    """
    if isinstance(intent, StoreMail):
        return f"mail/store/{intent.template}.{part}"
    return f"mail/{_KINDS[type(intent)]}.{part}"


def _store_name(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise InvalidFieldError(attribute.name, "must be printable text on one line")
    if len(value) > _MAX_STORE_NAME:
        raise InvalidFieldError(attribute.name, f"must be at most {_MAX_STORE_NAME} characters")


def _logo_url(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    # An image a mail program fetches: https only, and nothing that could leave the
    # attribute it is written into (the template escapes it too).
    if not isinstance(value, str):
        raise InvalidFieldError(attribute.name, "must be text")
    if value and (
        not value.startswith("https://")
        or len(value) > _MAX_URL
        or any(c.isspace() or c in "\"'<>\\`" or not c.isprintable() for c in value)
    ):
        raise InvalidFieldError(attribute.name, "must be an https:// URL without spaces")


def _colour(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    # It goes into a style attribute, where escaping is not enough: only #rrggbb.
    if not isinstance(value, str) or not _COLOUR.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be a colour written #rrggbb")


@attrs.frozen
class MailBranding:
    """What makes the mail look like the store's: the name in the header and signature,
    an optional logo (an ``https://`` image URL, shown instead of the name in HTML) and
    the colour of the header bar and links.

    >>> MailBranding(store_name="Parts & Pieces", accent_colour="#aa3300").store_name
    'Parts & Pieces'
    """

    store_name: str = attrs.field(default="Example Parts", validator=_store_name)
    logo_url: str = attrs.field(default="", validator=_logo_url)
    accent_colour: str = attrs.field(default="#1a4d8f", validator=_colour)


def _template_source(value: object) -> Traversable | jinja2.BaseLoader | None:
    if isinstance(value, jinja2.BaseLoader):
        return value
    return _catalog_folder(value, "templates")


def _catalog_folder(value: object, field: str = "catalogs") -> Traversable | None:
    if value is None or isinstance(value, Traversable):
        return value
    if isinstance(value, str | os.PathLike):
        return Path(value)
    raise InvalidFieldError(field, f"must be a folder, not {type(value).__name__}")


def _exists(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Traversable) and not value.is_dir():
        raise InvalidFieldError(attribute.name, f"{value} is not a folder")


@attrs.frozen
class MailTemplates:
    """What a plugin adds to the mail, as the answer of ``orderstatus_mail_templates``.

    ``templates`` is a folder (or any ``jinja2`` loader) whose ``mail/<kind>.txt`` and
    ``mail/<kind>.html`` files replace the core's of the same name; ``catalogs`` a folder of
    ``<language>/LC_MESSAGES/orderstatus.po`` files, whose messages replace the core's and
    whose languages are added to them; ``branding`` the store's name, logo and colour. Each
    is optional; answers of plugins registered later are searched first, the core's last.

    >>> MailTemplates(branding=MailBranding(store_name="Parts & Pieces")).templates is None
    True
    """

    templates: Traversable | jinja2.BaseLoader | None = attrs.field(
        default=None, converter=_template_source, validator=_exists
    )
    catalogs: Traversable | None = attrs.field(
        default=None, converter=_catalog_folder, validator=_exists
    )
    branding: MailBranding | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(attrs.validators.instance_of(MailBranding)),
    )

    @classmethod
    def builtin(cls) -> MailTemplates:
        """The core's own templates and catalogs, with the default branding."""
        return cls(
            templates=jinja2.PackageLoader("orderstatus_core", "templates"),
            catalogs=builtin_catalog_folder(),
            branding=MailBranding(),
        )


class MailRenderer:
    """Renders outbox mail from the templates and catalogs of ``sources``, first one first.

    Built once per store (``Hooks.mail_renderer``) and shared by threads: a language's
    environment and catalogs are read on first use and kept.
    """

    def __init__(self, sources: Iterable[MailTemplates]) -> None:
        sources = tuple(sources)
        if not sources:
            raise InvalidFieldError("sources", "needs at least the core's MailTemplates")
        loaders = [_loader(source.templates) for source in sources if source.templates]
        self._loader = jinja2.ChoiceLoader(loaders)
        self.branding = next(
            (source.branding for source in sources if source.branding), MailBranding()
        )
        try:
            self.catalogs = Catalogs(source.catalogs for source in sources if source.catalogs)
        except CatalogError as error:
            raise MailTemplateError(str(error)) from error
        self._environments: dict[str, jinja2.Environment] = {}
        self._lock = threading.Lock()

    @classmethod
    def builtin(cls) -> MailRenderer:
        """The core's templates and catalogs alone, shared (tests and tools use it)."""
        return _builtin_renderer()

    def languages(self) -> frozenset[str]:
        """The languages a mail can be written in; any other gets English."""
        return self.catalogs.languages()

    def render(self, message: OutboxMessage) -> OutgoingMail:
        """The subject, text and HTML of an outbox message's mail, in its language.

        Raises :class:`~orderstatus_core.errors.MailTemplateError` when it cannot be
        rendered, and ``TypeError`` for an outbox item that is not a mail.
        """
        intent = message.intent
        if not isinstance(intent, MailIntent):
            raise TypeError(f"a {type(intent).__name__} is not a mail")
        if isinstance(intent, ReturnSettledMail) and intent.outcome not in _OUTCOMES:
            raise MailTemplateError(
                f"unknown return outcome {intent.outcome!r:.40}", mail_template_name(intent, "txt")
            )
        translator = self._translator(intent.language)
        environment = self._environment(translator)
        values: dict[str, Any] = {
            "mail": intent,
            "branding": self.branding,
            "language": translator.language,
        }
        text_name = mail_template_name(intent, "txt")
        try:
            text_template = environment.get_template(text_name)
            values["subject"] = _subject(text_template, values)
            text = text_template.render(values)
            html = environment.get_template(mail_template_name(intent, "html")).render(values)
        except MailTemplateError:
            raise
        except jinja2.TemplateError as error:
            name = getattr(error, "name", None) or text_name
            raise MailTemplateError(f"{type(error).__name__}: {error.message}", name) from error
        except Exception as error:
            # Rendering reads nothing but the mail and the loaded files: whatever fails
            # (a filter given a wrong value, a translation's placeholder) fails again on
            # every retry, so it is a template error too, and the relay gives up at once.
            raise MailTemplateError(f"{type(error).__name__}: {error}", text_name) from error
        return OutgoingMail(
            message_id=message.message_id,
            to=intent.to.display,
            subject=values["subject"],
            text=text,
            language=translator.language,
            html=html,
            unsubscribe_url=intent.unsubscribe_url if isinstance(intent, StoreMail) else "",
        )

    def check_store_mail(self, template: str) -> None:
        """Compile the store's ``mail/store/<template>.txt`` and ``.html`` now (queueing
        store mail does, so that a missing or broken template fails the call rather than
        every mail in the relay); raises :class:`~orderstatus_core.errors.MailTemplateError`."""
        environment = self._environment(self._translator("en"))
        for part in ("txt", "html"):
            name = f"mail/store/{template}.{part}"
            try:
                environment.get_template(name)
            except jinja2.TemplateError as error:
                message = getattr(error, "message", None) or str(error)
                raise MailTemplateError(f"{type(error).__name__}: {message}", name) from error

    def check(self) -> None:
        """Read every catalog and compile every mail template now, so that a store's
        broken file fails at start-up rather than in the relay."""
        translators = [self._translator(language) for language in sorted(self.languages())]
        # Templates are the same in every language: compiling them once finds their errors.
        environment = self._environment(translators[0])
        for kind in _KINDS.values():
            for part in ("txt", "html"):
                name = f"mail/{kind}.{part}"
                try:
                    environment.get_template(name)
                except jinja2.TemplateError as error:
                    raise MailTemplateError(
                        f"{type(error).__name__}: {error.message}", name
                    ) from error

    def _translator(self, language: str) -> Translator:
        try:
            return self.catalogs.translator(language)
        except CatalogError as error:
            raise MailTemplateError(str(error)) from error

    def _environment(self, translator: Translator) -> jinja2.Environment:
        key = str(translator.locale)
        environment = self._environments.get(key)
        if environment is None:
            with self._lock:
                environment = self._environments.get(key)
                if environment is None:
                    environment = _environment(self._loader, translator)
                    self._environments[key] = environment
        return environment


def _loader(templates: Traversable | jinja2.BaseLoader) -> jinja2.BaseLoader:
    if isinstance(templates, jinja2.BaseLoader):
        return templates
    return jinja2.FileSystemLoader(str(templates))


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every renderer of the process.

    Each store opened (and each test context) builds its own renderer; without this each
    would compile the same templates again (about 80 ms). A template is found by its name
    and file and used only while its source's checksum matches, and every environment is
    made by :func:`_environment` with the same compile settings, so sharing is safe.
    """

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        kept = self._kept.get(bucket.key)
        if kept is not None:
            bucket.bytecode_from_string(kept)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._kept[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def _environment(loader: jinja2.BaseLoader, translator: Translator) -> jinja2.Environment:
    # Not sandboxed: a store's templates are its own code, as trusted as its plugins.
    environment = jinja2.Environment(
        loader=loader,
        extensions=[jinja2.ext.i18n],
        # Escaping by the template's name: HTML parts escape every value, text parts none.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A store's edited template reaches mail after a restart, not mid-run: no stat
        # of every template on every mail.
        auto_reload=False,
        bytecode_cache=_COMPILED,
    )
    # `trimmed` lets a message run over lines in a template and still be one clean msgid;
    # babel.cfg extracts with the same setting.
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        translator.gettext, translator.ngettext, newstyle=True
    )
    environment.filters.update(
        money=translator.money,
        date=translator.date,
        datetime=translator.datetime,
        number=translator.number,
        join_list=translator.list,
    )
    return environment


def _subject(template: jinja2.Template, values: Mapping[str, Any]) -> str:
    block = template.blocks.get("subject")
    if block is None:
        raise MailTemplateError("has no subject block", template.name)
    subject = "".join(block(template.new_context(dict(values)))).strip()
    if not subject or _NOT_IN_SUBJECT.search(subject):
        # Only stored values reach a subject, but a header is no place to find out one
        # was not: refuse, and the relay makes it a dead letter.
        raise MailTemplateError("the subject is empty or has a line break", template.name)
    return subject


@functools.cache
def _builtin_renderer() -> MailRenderer:
    return MailRenderer([MailTemplates.builtin()])
