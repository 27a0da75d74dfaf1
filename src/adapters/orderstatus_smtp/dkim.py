"""DKIM signing (RFC 6376) of outgoing mail with ``dkimpy``, installed by the ``dkim`` extra."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

from orderstatus_core import AdapterError, InvalidUrlError, MailDeliveryError

__all__ = ["SIGNED_HEADERS", "DkimSigner"]

#: The headers each signature covers. RFC 8058 asks for both List-Unsubscribe headers to be
#: signed; a header listed but absent is signed as absent, so nobody can add it later.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Language",
    "Auto-Submitted",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# One message to sign when the signer is made, so a bad key fails when the store opens,
# not at its first mail.
_PROBE = b"From: probe@example.com\r\nSubject: probe\r\n\r\nprobe\r\n"


def _dkimpy() -> ModuleType:
    try:
        import dkim
    except ImportError:
        raise AdapterError(
            "DKIM signing needs dkimpy: pip install 'orderstatus-core[dkim]'"
        ) from None
    module: ModuleType = dkim
    return module


class DkimSigner:
    """Adds a ``DKIM-Signature`` (rsa-sha256 or ed25519-sha256, relaxed/simple) for
    ``selector._domainkey.domain`` to each message.

    ``private_key`` is the PEM (RSA, PKCS#1 or PKCS#8) or the base64 Ed25519 key dkimpy
    reads; publish its public half in DNS at ``selector._domainkey.domain``. For DMARC the
    domain must be the sender's domain or a parent of it.
    """

    def __init__(self, private_key: bytes, selector: str, domain: str) -> None:
        for field, value in (("dkim_selector", selector), ("dkim_domain", domain)):
            if not isinstance(value, str) or len(value) > 253 or not _NAME.fullmatch(value):
                raise InvalidUrlError(f"{field} must be a DNS name, not {value!r:.80}")
        self.selector = selector
        self.domain = domain.lower()
        self._key = private_key
        self._dkim = _dkimpy()
        self._algorithm = b"ed25519-sha256" if b"PRIVATE KEY" not in private_key else None
        try:
            self.sign(_PROBE)
        except MailDeliveryError as error:
            raise InvalidUrlError(f"the DKIM key does not sign: {error}") from None

    @classmethod
    def from_file(cls, path: Path, selector: str, domain: str) -> DkimSigner:
        """A signer with the private key read from ``path``."""
        try:
            key = path.read_bytes()
        except OSError as error:
            raise InvalidUrlError(f"cannot read the DKIM key {path}: {error}") from None
        return cls(key, selector, domain)

    def __repr__(self) -> str:
        return f"DkimSigner(selector={self.selector!r}, domain={self.domain!r})"

    def sign(self, message: bytes) -> bytes:
        """``message`` (CRLF line ends) with its ``DKIM-Signature`` header in front."""
        options = {} if self._algorithm is None else {"signature_algorithm": self._algorithm}
        try:
            signature: bytes = self._dkim.sign(
                message,
                self.selector.encode("ascii"),
                self.domain.encode("ascii"),
                self._key,
                include_headers=[name.lower().encode("ascii") for name in SIGNED_HEADERS],
                **options,
            )
        except (self._dkim.DKIMException, ValueError, TypeError) as error:
            # Never the key itself: dkimpy's errors name what failed, not the key's bytes.
            raise MailDeliveryError(f"DKIM signing failed: {type(error).__name__}") from None
        return signature + message
