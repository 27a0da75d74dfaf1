"""The SMTP adapter: outbox mail delivered to a mail server with the standard library.

``smtp://user:password@mail.example:587?from=orders@shop.example`` sends over STARTTLS
(required), ``smtps://...`` over TLS from the first byte (port 465); see
:meth:`SmtpMailer.from_url` for every option and :doc:`/mail` for the guide.
"""

from orderstatus_smtp.dkim import DkimSigner
from orderstatus_smtp.mailer import (
    DEFAULT_TIMEOUT,
    IDLE_LIMIT,
    Security,
    SmtpMailer,
    orderstatus_register_adapters,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDLE_LIMIT",
    "DkimSigner",
    "Security",
    "SmtpMailer",
    "orderstatus_register_adapters",
]
