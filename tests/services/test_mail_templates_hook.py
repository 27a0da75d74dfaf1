"""A store's own mail through ``orderstatus_mail_templates``: one template overridden, a
third language added, English reworded, its brand, all without forking; and the mail the
relay sends is built only from stored values and the configured base URL."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

from orderstatus_core import (
    GuestPassPolicy,
    InvalidFieldError,
    LookupPolicy,
    MailBranding,
    MailTemplateError,
    MailTemplates,
    Money,
    OutgoingMail,
    ReturnSettledMail,
    hookimpl,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.messages import OutboxMessage
from orderstatus_core.services import (
    ServiceContext,
    relay_outbox,
    request_guest_pass,
    send_order_list,
)
from orderstatus_core.testing import FixedClock, RecordingMailer, fake_context
from orderstatus_core.testing.builders import make_order
from support.paths import ROOT

STORE_MAIL = ROOT / "tests" / "support" / "store_mail"
JANE = "jane.doe@example.com"
ORDER = "123456789"
LINK_BASE = "https://osat.example.fi/tilaus/koodi"


class StoreMail:
    """A store's plugin: its own templates, catalogs and brand, first in line."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    @hookimpl
    def orderstatus_mail_templates(self) -> object:
        return self.answer


class StoreLinks:
    @hookimpl
    def orderstatus_guest_pass_policy(self) -> GuestPassPolicy:
        return GuestPassPolicy(link_base=LINK_BASE)


def _store(*plugins: object, language: str = "en") -> ServiceContext:
    ctx = fake_context(plugins=plugins, policy=LookupPolicy(mail_language=language))
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(ORDER))
        uow.commit()
    return ctx


def _sent(ctx: ServiceContext) -> OutgoingMail:
    assert isinstance(ctx.mailer, RecordingMailer)
    report = relay_outbox(ctx)
    assert report.failures == ()
    return ctx.mailer.sent[-1]


def _order_list(ctx: ServiceContext) -> OutgoingMail:
    send_order_list(ctx, JANE, client="203.0.113.9")
    return _sent(ctx)


def _guest_pass(ctx: ServiceContext) -> OutgoingMail:
    request_guest_pass(ctx, JANE, ORDER, client="203.0.113.9")
    return _sent(ctx)


FOLDERS = MailTemplates(templates=STORE_MAIL / "templates", catalogs=STORE_MAIL / "locale")


def test_a_store_template_replaces_the_core_s_of_the_same_name() -> None:
    """The store's order_list.html is used; its text part and other kinds stay the core's."""
    ctx = _store(StoreMail(FOLDERS))
    mail = _order_list(ctx)
    assert '<p class="store-own">' in mail.html
    assert f"<li>{ORDER}</li>" in mail.html
    assert "You asked for the order numbers" in mail.text
    assert "store-own" not in _guest_pass(ctx).html


def test_a_third_language_comes_from_the_store_s_catalog() -> None:
    """Swedish, which the core does not ship: translated messages in Swedish, the rest
    falling back to English, values formatted for Swedish."""
    ctx = _store(StoreMail(FOLDERS), language="sv")
    mail = _guest_pass(ctx)
    assert mail.language == "sv"
    assert mail.subject == f"Din kod för order {ORDER}"
    assert mail.text.startswith("Hej,\n")
    assert "Din kod: " in mail.text
    assert "Or open this link:" in mail.text  # not in the store's catalog: English
    assert "1 nov. 2026" in mail.text or "november 2026" in mail.text
    renderer = ctx.policies.mail_renderer()
    assert renderer.languages() == {"en", "fi", "sv"}
    settled = ReturnSettledMail(
        parse_email(JANE), ORDER, "RMA-1", "credited", Money("12.50", "EUR"), "sv"
    )
    text = renderer.render(OutboxMessage("m1", FixedClock.START, settled)).text
    assert "12,50\xa0€ har lagts till ditt butikstillgodohavande" in text


def test_a_store_catalog_rewords_a_built_in_language() -> None:
    """The store's English catalog wins over the message id; Finnish stays the core's."""
    english = _guest_pass(_store(StoreMail(FOLDERS)))
    finnish = _guest_pass(_store(StoreMail(FOLDERS), language="fi"))
    assert english.text.startswith("Hi there,\n")
    assert finnish.text.startswith("Hei,\n")


@pytest.mark.parametrize("language", ["de", "zz_ZZ", "../sv"])
def test_a_language_nobody_ships_falls_back_to_english(language: str) -> None:
    """With the store's Swedish added, German is still English."""
    mail = _guest_pass(_store(StoreMail(FOLDERS), language=language))
    assert mail.language == "en"
    assert mail.subject == f"Your code for order {ORDER}"


def test_a_loader_works_as_well_as_a_folder() -> None:
    """Templates from any jinja2 loader, here from a dict in the plugin itself."""
    loader = jinja2.DictLoader(
        {
            "mail/order_list.txt": '{% extends "mail/layout.txt" %}'
            "{% block subject %}Orders{% endblock %}"
            "{% block body %}Numbers: {{ mail.order_numbers|join(', ') }}\n{% endblock %}"
        }
    )
    mail = _order_list(_store(StoreMail(MailTemplates(templates=loader))))
    assert mail.subject == "Orders"
    assert mail.text.startswith(f"Hello,\n\nNumbers: {ORDER}\n\n-- \n")


def test_the_store_s_brand_reaches_both_parts() -> None:
    """Name, logo and colour from the hook's MailBranding."""
    branding = MailBranding("Osat Oy", "https://cdn.osat.example.fi/logo.png", "#006633")
    mail = _order_list(_store(StoreMail(MailTemplates(branding=branding))))
    assert mail.text.endswith("This mail was sent automatically by Osat Oy.\n")
    assert 'src="https://cdn.osat.example.fi/logo.png"' in mail.html
    assert "background:#006633" in mail.html


def test_the_plugin_registered_last_comes_first() -> None:
    """Two store plugins: the later one's brand wins, as with every hook."""
    first = StoreMail(MailTemplates(branding=MailBranding("First")))
    second = StoreMail(MailTemplates(branding=MailBranding("Second")))
    mail = _order_list(_store(first, second))
    assert "sent automatically by Second." in mail.text


@pytest.mark.parametrize("answer", ["templates/", {"templates": "x"}, 42])
def test_a_wrong_answer_names_the_hook(answer: object) -> None:
    """A plugin answering something else than MailTemplates fails when the store opens."""
    with pytest.raises(InvalidFieldError, match="orderstatus_mail_templates"):
        fake_context(plugins=[StoreMail(answer)])


@pytest.mark.parametrize(
    ("field", "value"),
    [("templates", "/no/such/folder"), ("catalogs", 42), ("catalogs", jinja2.DictLoader({}))],
)
def test_folders_must_exist_and_catalogs_be_folders(field: str, value: object) -> None:
    """A mistyped folder is refused when the plugin builds its answer."""
    with pytest.raises(InvalidFieldError, match=field):
        MailTemplates(**{field: value})  # type: ignore[arg-type]


def test_a_broken_store_template_fails_when_the_store_opens(tmp_path: Path) -> None:
    """A syntax error is found at start-up, not by the relay."""
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "tracking.html").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(MailTemplateError, match=r"mail/tracking\.html"):
        fake_context(plugins=[StoreMail(MailTemplates(templates=tmp_path))])


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{% block subject %}Code{% endblock %}{{ mail.pin }}", "UndefinedError"),
        ("no subject block {{ mail.code }}", "no subject block"),
        ("{% block subject %}{{ mail.code }}{% endblock %}{{ mail.code|money }}", "AttributeError"),
    ],
)
def test_a_mail_the_templates_cannot_build_fails_without_leaking(
    tmp_path: Path, template: str, error: str
) -> None:
    """A missing variable, a missing subject or a wrong value is a MailTemplateError; the
    relay reports it (it will not render on a retry) with the code hidden."""
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "guest_pass.txt").write_text(template, encoding="utf-8")
    ctx = _store(StoreMail(MailTemplates(templates=tmp_path)))
    request_guest_pass(ctx, JANE, ORDER, client="203.0.113.9")
    report = relay_outbox(ctx)
    [failure] = report.failures
    assert failure.kind == "guest_pass"
    assert failure.reason.startswith("MailTemplateError: mail/guest_pass.txt: ")
    assert error in failure.reason
    assert isinstance(ctx.mailer, RecordingMailer)
    assert ctx.mailer.sent == []


URL = re.compile(r"https?://[^\s\"'<>]+")


def test_every_link_in_a_sent_mail_is_from_the_configured_base() -> None:
    """D4: the guest-pass mail's links in both parts start with the policy's base URL
    (the logo, the one other URL, is the store's own configured image)."""
    logo = "https://cdn.osat.example.fi/logo.png"
    branding = StoreMail(MailTemplates(branding=MailBranding("Osat Oy", logo)))
    mail = _guest_pass(_store(StoreLinks(), branding))
    links = URL.findall(mail.text) + URL.findall(mail.html)
    assert links
    assert all(link.startswith(f"{LINK_BASE}?token=") or link == logo for link in links)
    assert sum(link.startswith(LINK_BASE) for link in links) == 3  # text, href, shown
