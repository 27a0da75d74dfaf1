"""DKIM: mail signed by the SMTP adapter verifies with dkimpy against the public key."""

from __future__ import annotations

import base64
import re
import ssl
from pathlib import Path
from urllib.parse import quote

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from orderstatus_core import InvalidUrlError, OutgoingMail
from orderstatus_smtp import DkimSigner, SmtpMailer
from support.smtp_server import ScriptedHandler, smtp_server

SELECTOR, DOMAIN = "mail2026", "shop.example"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key_file(key: rsa.RSAPrivateKey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The private key as PKCS#8 PEM, as a store keeps it."""
    path = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def _dns(key: rsa.RSAPrivateKey) -> dict[bytes, bytes]:
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    return {f"{SELECTOR}._domainkey.{DOMAIN}.".encode(): record}


def _verifies(message: bytes, key: rsa.RSAPrivateKey) -> bool:
    records = _dns(key)
    return bool(dkim.verify(message, dnsfunc=lambda name, timeout=5: records.get(name)))


@pytest.fixture(scope="module")
def signed(
    key_file: Path, server_tls: ssl.SSLContext, cafile: str
) -> tuple[bytes, ScriptedHandler]:
    """What the server received from a mailer opened with the dkim_* URL options."""
    handler = ScriptedHandler()
    with smtp_server(handler, tls_context=server_tls) as controller:
        mailer = SmtpMailer.from_url(
            f"smtp://127.0.0.1:{controller.port}?from=orders@{DOMAIN}"
            f"&cafile={quote(cafile, safe='')}&dkim_key={quote(str(key_file), safe='')}"
            f"&dkim_selector={SELECTOR}&dkim_domain={DOMAIN}"
        )
        mailer.send(
            OutgoingMail(
                "d1",
                "jörg@bücher.de",
                "Hälytys: jarrupalat",
                "Hei\n",
                language="fi",
                html="<p>Hei</p>\n",
                unsubscribe_url="https://shop.example/u?t=1",
            )
        )
        mailer.close()
    return handler.received[0].content, handler


def test_a_signed_mail_verifies_against_the_published_key(
    signed: tuple[bytes, ScriptedHandler], key: rsa.RSAPrivateKey
) -> None:
    """The message the server received carries a DKIM-Signature that verifies."""
    message, _handler = signed
    assert message.startswith(b"DKIM-Signature:")
    assert _verifies(message, key)


def test_the_signature_covers_the_unsubscribe_headers(
    signed: tuple[bytes, ScriptedHandler],
) -> None:
    """RFC 8058 asks for both List-Unsubscribe headers to be signed."""
    message, _handler = signed
    header = message.split(b"\r\n\r\n", 1)[0].decode()
    signed_names = re.search(r"h=([^;]+);", " ".join(header.split()))
    assert signed_names is not None
    names = {name.strip().lower() for name in signed_names.group(1).split(":")}
    assert {"from", "subject", "message-id", "list-unsubscribe", "list-unsubscribe-post"} <= names


@pytest.mark.parametrize(
    ("old", "new"),
    [(b"Subject: ", b"Subject: RE: "), (b"<p>Hei</p>", b"<p>Moi</p>")],
)
def test_a_changed_header_or_body_no_longer_verifies(
    signed: tuple[bytes, ScriptedHandler], key: rsa.RSAPrivateKey, old: bytes, new: bytes
) -> None:
    """The check can fail: a subject or body altered in transit breaks the signature."""
    message, _handler = signed
    assert old in message
    assert not _verifies(message.replace(old, new, 1), key)


def test_another_key_does_not_verify(signed: tuple[bytes, ScriptedHandler]) -> None:
    """A signature verifies only against its own public key."""
    message, _handler = signed
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not _verifies(message, stranger)


@pytest.mark.parametrize(
    ("key_bytes", "selector", "domain", "message"),
    [
        (b"not a key", SELECTOR, DOMAIN, "does not sign"),
        (None, "bad selector", DOMAIN, "DNS name"),
        (None, SELECTOR, "shop.example\r\nX: 1", "DNS name"),
        (None, SELECTOR, "", "DNS name"),
    ],
)
def test_a_bad_key_selector_or_domain_is_refused_when_opened(
    key_file: Path, key_bytes: bytes | None, selector: str, domain: str, message: str
) -> None:
    """A key that cannot sign, or a selector or domain that is not a DNS name, fails when
    the store opens, not at its first mail."""
    with pytest.raises(InvalidUrlError, match=message):
        DkimSigner(key_file.read_bytes() if key_bytes is None else key_bytes, selector, domain)


def test_a_missing_key_file_is_refused(tmp_path: Path) -> None:
    """An unreadable key path is an InvalidUrlError naming the path."""
    with pytest.raises(InvalidUrlError, match="cannot read the DKIM key"):
        DkimSigner.from_file(tmp_path / "missing.pem", SELECTOR, DOMAIN)
