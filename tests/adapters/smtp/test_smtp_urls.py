"""smtp:// and smtps:// URLs: what they open, what they refuse, and no password shown."""

from __future__ import annotations

import ssl
from urllib.parse import quote

import pytest

import orderstatus_smtp
from orderstatus_core import AdapterRegistry, InvalidUrlError, OutgoingMail
from orderstatus_smtp import SmtpMailer
from support.smtp_server import PASSWORD, USER, ScriptedHandler, check_login, smtp_server

SENDER = quote("Parts Shop <orders@shop.example>", safe="")


def test_the_plugin_offers_both_schemes() -> None:
    """The registry hook adds smtp:// and smtps://."""
    registry = AdapterRegistry()
    orderstatus_smtp.orderstatus_register_adapters(registry)
    assert registry.mailer_schemes() == ["smtp", "smtps"]
    mailer = registry.open_mailer("smtps://mail.example?from=orders@shop.example")
    assert isinstance(mailer, SmtpMailer)


@pytest.mark.parametrize(
    ("url", "security", "port"),
    [
        ("smtp://mail.example?from=o@shop.example", "starttls", 587),
        ("smtp://mail.example:2525/?from=o@shop.example", "starttls", 2525),
        ("smtps://mail.example?from=o@shop.example", "tls", 465),
        ("SMTP://mail.example?from=o@shop.example&starttls=off", None, None),
        ("smtp://127.0.0.1?from=o@shop.example&starttls=off", "none", 25),
        ("smtp://[::1]:2525?from=o@shop.example&starttls=OFF", "none", 2525),
    ],
)
def test_scheme_and_port_defaults(url: str, security: str | None, port: int | None) -> None:
    """STARTTLS on 587 by default, TLS on 465 for smtps://, clear text only to loopback."""
    if security is None:
        with pytest.raises(InvalidUrlError, match="clear text"):
            SmtpMailer.from_url(url)
        return
    mailer = SmtpMailer.from_url(url)
    assert (mailer.security, mailer.port) == (security, port)


def test_every_option_is_read() -> None:
    """from (percent-decoded), timeout, domain and helo arrive as given."""
    mailer = SmtpMailer.from_url(
        f"smtp://mail.example?from={SENDER}&timeout=2.5&domain=shop.example&helo=app1.shop.example"
    )
    assert (mailer.sender, mailer.timeout, mailer.domain) == (
        "Parts Shop <orders@shop.example>",
        2.5,
        "shop.example",
    )


def test_a_percent_encoded_password_logs_in(server_tls: ssl.SSLContext, cafile: str) -> None:
    """User and password are percent-decoded: ``@ : / ? # %`` in a password work."""
    handler = ScriptedHandler()
    with smtp_server(
        handler, tls_context=server_tls, authenticator=check_login, auth_required=True
    ) as controller:
        url = (
            f"smtp://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:"
            f"{controller.port}?from=orders@shop.example&cafile={quote(cafile, safe='')}"
        )
        mailer = SmtpMailer.from_url(url)
        mailer.send(OutgoingMail("m1", "jane@example.com", "Hi", "Hi\n"))
        mailer.close()
        assert PASSWORD not in mailer.url
        assert mailer.url == f"smtp://{USER}:***@127.0.0.1:{controller.port}"
    assert len(handler.received) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("smtp://mail.example", "names its sender"),
        ("smtp://mail.example?from=", "names its sender"),
        ("smtp://?from=o@shop.example", "not an smtp://host"),
        ("imap://mail.example?from=o@shop.example", "not an smtp://host"),
        ("smtp://mail.example:99999?from=o@shop.example", "not an SMTP URL"),
        ("smtp://mail.example:port?from=o@shop.example", "not an SMTP URL"),
        ("smtp://mail.example/inbox?from=o@shop.example", "no path"),
        ("smtp://mail.example?from=o@shop.example&tls=yes", "unknown SMTP option 'tls'"),
        ("smtp://mail.example?from=o@shop.example&from=x@evil.example", "given twice"),
        ("smtp://mail.example?from=o@shop.example&timeout=abc", "number of seconds"),
        ("smtp://mail.example?from=o@shop.example&timeout=0", "above 0"),
        ("smtp://mail.example?from=o@shop.example&timeout=-1", "above 0"),
        ("smtp://mail.example?from=o@shop.example&timeout=nan", "above 0"),
        ("smtp://mail.example?from=o@shop.example&timeout=inf", "above 0"),
        ("smtp://mail.example?from=o@shop.example&starttls=maybe", "on or off"),
        ("smtps://127.0.0.1?from=o@shop.example&starttls=off", "on or off"),
        ("smtp://mail.example?from=o@shop.example&cafile=/no/such/ca.pem", "CA file"),
        ("smtp://mail.example?from=o@shop.example&dkim_key=/k.pem", "DKIM needs"),
        ("smtp://:pw@mail.example?from=o@shop.example", "needs a user"),
        ("smtp://mail.example?from=o@shop.example&x=%0d%0a", "unknown SMTP option"),
    ],
)
def test_a_bad_url_is_refused_with_a_reason(url: str, message: str) -> None:
    """Typos and unsafe choices fail when the store opens, not at the first mail."""
    with pytest.raises(InvalidUrlError, match=message):
        SmtpMailer.from_url(url)


@pytest.mark.parametrize(
    "url",
    [
        f"smtp://{USER}:{quote(PASSWORD, safe='')}@mail.example/inbox?from=o@shop.example",
        f"smtp://u:{quote(PASSWORD, safe='')}@mail.example:99999?from=o@shop.example",
        f"smtp://u:{quote(PASSWORD, safe='')}@mail.example?from=o@shop.example&bad=1",
        f"smtp://u:{quote(PASSWORD, safe='')}@mail.example",
        f"smtp://u:{quote(PASSWORD, safe='')}@mail.example?from=o@shop.example&timeout=x",
    ],
)
def test_a_refused_url_does_not_show_its_password(url: str) -> None:
    """The error names the URL with ``***`` for the password, raw or percent-encoded."""
    with pytest.raises(InvalidUrlError) as raised:
        SmtpMailer.from_url(url)
    text = f"{raised.value} {raised.value!r}"
    assert "secret" not in text
    assert ":***@" in text


def test_clear_text_is_refused_for_a_host_off_this_machine() -> None:
    """``security="none"`` to a remote host would send the password in clear: refused."""
    with pytest.raises(InvalidUrlError, match="only for a server on this machine"):
        SmtpMailer("mail.example", sender="o@shop.example", security="none")
