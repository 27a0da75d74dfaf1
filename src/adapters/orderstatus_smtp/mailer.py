from __future__ import annotations

import ipaddress
import math
import smtplib
import ssl
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, NoReturn
from urllib.parse import parse_qsl, unquote, urlsplit

from orderstatus_core import (
    AdapterRegistry,
    InvalidUrlError,
    MailDeliveryError,
    MailRejectedError,
    OutgoingMail,
    compose_message,
    hookimpl,
)
from orderstatus_smtp.dkim import DkimSigner

__all__ = [
    "DEFAULT_TIMEOUT",
    "IDLE_LIMIT",
    "Security",
    "SmtpMailer",
    "orderstatus_register_adapters",
]

#: How ``SmtpMailer`` protects the connection: ``"starttls"`` upgrades a plain connection
#: and refuses to go on without it, ``"tls"`` is TLS from the first byte (``smtps://``),
#: ``"none"`` is clear text, allowed only to a server on this machine.
Security = Literal["starttls", "tls", "none"]

#: Seconds each connect, command and reply may take before the send fails (and is retried).
DEFAULT_TIMEOUT = 30.0
#: A connection unused for longer than this is closed and a new one opened: servers drop
#: idle clients after a few minutes (RFC 5321 §4.5.3.2), sometimes without a word, and a
#: dead connection would cost a whole timeout to notice.
IDLE_LIMIT = 60.0
_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_OPTIONS = {"from", "timeout", "starttls", "cafile", "domain", "helo"}
_DKIM_OPTIONS = ("dkim_key", "dkim_selector", "dkim_domain")
# Replies about the session rather than the message (RFC 4954: authentication required,
# too weak, failed, encryption required): the store's configuration is wrong, and every
# mail would get the same answer. Retrying keeps the mail until it is fixed.
_SESSION_REFUSALS = frozenset({530, 534, 535, 538})


def _redacted(url: str) -> str:
    """``url`` with the password of its user info replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    query_at = authority.find("?")
    if query_at >= 0:  # smtp://host?from=... has no path: the query follows the host
        authority, tail, slash = authority[:query_at], authority[query_at:] + slash + tail, ""
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.partition(':')[0]}:***@{host}"
    return f"{scheme}{sep}{authority}{slash}{tail}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpMailer:
    """Delivers each :class:`~orderstatus_core.OutgoingMail` to an SMTP server, as built by
    :func:`~orderstatus_core.compose_message`.

    **TLS** with certificate and host-name verification always on
    (``ssl.create_default_context``; ``cafile`` trusts a private CA instead of the system's).
    ``security="starttls"`` (the default) refuses to send when the server does not offer
    STARTTLS; ``"none"`` is accepted only for a server on this machine. **AUTH** when a
    ``user`` is given. The password is never in :attr:`url`, ``repr`` or an error's text.

    **One connection for a batch**: the relay sends many mails one after another; the
    mailer keeps its connection open between them, opens a new one when the server dropped
    it or it lay idle longer than :data:`IDLE_LIMIT`, and closes it in :meth:`close`.
    A connection lost in the middle of a mail fails that mail; the next one reconnects.
    A mailer may be shared by threads: sends take turns on its one connection (a lock).
    Give each worker process or thread its own mailer to send in parallel.

    **Errors**: :class:`~orderstatus_core.MailRejectedError` (the relay dead-letters the
    mail) for a 5xx reply to the sender, the recipient or the message, for mail that
    cannot be composed, and for an international address the server cannot take (no
    SMTPUTF8); :class:`~orderstatus_core.MailDeliveryError` (retried later) for 4xx
    replies, a refused greeting or login (whatever the code: every mail would get it), a
    server without STARTTLS, a certificate that does not verify, timeouts and lost
    connections.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        sender: str,
        user: str = "",
        password: str = "",
        security: Security = "starttls",
        timeout: float = DEFAULT_TIMEOUT,
        cafile: str | None = None,
        domain: str | None = None,
        helo: str | None = None,
        dkim: DkimSigner | None = None,
    ) -> None:
        if security not in _PORTS:
            raise InvalidUrlError(f"security must be starttls, tls or none, not {security!r}")
        if security == "none" and not _is_loopback(host):
            raise InvalidUrlError(
                f"mail to {host} would travel in clear text: starttls=off is only for a "
                "server on this machine (localhost, 127.0.0.1, ::1)"
            )
        if isinstance(timeout, bool) or not (0 < timeout <= 3600 and math.isfinite(timeout)):
            raise InvalidUrlError("timeout must be a number of seconds above 0, at most 3600")
        if password and not user:
            raise InvalidUrlError("a password needs a user")
        self.host = host
        self.port = port if port is not None else _PORTS[security]
        self.sender = sender
        self.user = user
        self.security: Security = security
        self.timeout = float(timeout)
        self.domain = domain
        self.dkim = dkim
        self._password = password
        self._helo = helo
        self._tls = self._tls_context(cafile)
        self._where = f"the SMTP server {host}:{self.port}"
        self._connection: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()
        scheme = "smtps" if security == "tls" else "smtp"
        account = f"{user}:***@" if password else f"{user}@" if user else ""
        self._url = f"{scheme}://{account}{host}:{self.port}"

    @staticmethod
    def _tls_context(cafile: str | None) -> ssl.SSLContext:
        try:
            # Verification and host-name checks on; only the trusted CAs change.
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as error:
            raise InvalidUrlError(f"cannot read the CA file {cafile}: {error}") from None

    @classmethod
    def from_url(cls, url: str) -> SmtpMailer:
        """``smtp://[user[:password]@]host[:port]?from=ADDRESS[&option=...]`` (STARTTLS,
        port 587) or ``smtps://...`` (TLS from the start, port 465). Percent-encode ``@``,
        ``:``, ``/``, ``?`` and ``%`` in the user and password. Options:

        ``from`` (required)
            the sender, ``orders@shop.example`` or ``Parts Shop <orders@shop.example>``
            (percent-encoded).
        ``timeout=SECONDS``
            per connect, command and reply (default :data:`DEFAULT_TIMEOUT`).
        ``starttls=off``
            clear text, for a development server on this machine only.
        ``cafile=PATH``
            trust this CA bundle instead of the system's (a private CA).
        ``domain=NAME``
            the right side of every ``Message-ID`` (default: the sender's domain).
        ``helo=NAME``
            the name this client gives in ``EHLO`` (default: this machine's).
        ``dkim_key=PATH&dkim_selector=S&dkim_domain=D``
            sign each mail with DKIM (the ``dkim`` extra); all three or none.

        Raises :class:`~orderstatus_core.InvalidUrlError`, naming the URL without its
        password, for anything else.
        """
        safe = _redacted(url)
        try:
            parts = urlsplit(url)
            port = parts.port
            pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
        except ValueError as error:
            raise InvalidUrlError(f"not an SMTP URL: {safe} ({error})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps") or not parts.hostname:
            raise InvalidUrlError(f"not an smtp://host or smtps://host URL: {safe}")
        if parts.path not in ("", "/") or parts.fragment:
            raise InvalidUrlError(f"an SMTP URL has no path: {safe}")
        options: dict[str, str] = {}
        for name, value in pairs:
            if name not in _OPTIONS and name not in _DKIM_OPTIONS:
                known = ", ".join(sorted(_OPTIONS | set(_DKIM_OPTIONS)))
                raise InvalidUrlError(f"unknown SMTP option {name!r} (known: {known}): {safe}")
            if name in options:
                raise InvalidUrlError(f"SMTP option {name!r} given twice: {safe}")
            options[name] = value
        if not options.get("from"):
            raise InvalidUrlError(f"an SMTP URL names its sender: ?from=orders@...: {safe}")
        security: Security = "tls" if scheme == "smtps" else "starttls"
        starttls = options.get("starttls", "on").lower()
        if starttls not in ("on", "off") or (starttls == "off" and scheme == "smtps"):
            raise InvalidUrlError(f"starttls is on or off, and only for smtp://: {safe}")
        if starttls == "off":
            security = "none"
        try:
            timeout = float(options.get("timeout", DEFAULT_TIMEOUT))
        except ValueError:
            raise InvalidUrlError(f"timeout is a number of seconds: {safe}") from None
        return cls(
            parts.hostname,
            port,
            sender=options["from"],
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            security=security,
            timeout=timeout,
            cafile=options.get("cafile"),
            domain=options.get("domain"),
            helo=options.get("helo"),
            dkim=_dkim_from(options, safe),
        )

    @property
    def url(self) -> str:
        """Where mail goes, as a URL without the password (``smtp://user:***@host:587``)."""
        return self._url

    def __repr__(self) -> str:
        return f"SmtpMailer({self._url!r})"

    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` through the open connection (opening one when needed), or raise
        :class:`~orderstatus_core.MailRejectedError` (permanent) or
        :class:`~orderstatus_core.MailDeliveryError` (retry later); see the class."""
        composed = compose_message(mail, self.sender, date=datetime.now(UTC), domain=self.domain)
        data = composed.data
        if self.dkim is not None:
            data = self.dkim.sign(data)
        with self._lock:
            # RFC 6531: an international address needs SMTPUTF8; other mail is 7-bit,
            # which every server accepts.
            self._transact(composed.sender, composed.recipient, data, composed.smtputf8)

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open. Sending again reopens."""
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is None:
                return
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the server went first; nothing is lost by not saying goodbye
            finally:
                connection.close()

    # --- one mail transaction ------------------------------------------------------------

    def _transact(self, sender: str, recipient: str, data: bytes, international: bool) -> None:
        connection = self._mail_from(sender, international)
        reply: bytes | str
        try:
            code, reply = connection.rcpt(recipient)
            self._expect(connection, "RCPT TO", code, reply, (250, 251))
            try:
                code, reply = connection.data(data)
            except smtplib.SMTPDataError as error:  # DATA itself refused, before the body
                code, reply = error.smtp_code, error.smtp_error
            self._expect(connection, "DATA", code, reply, (250,))
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            # Mid-transaction: whether the server kept the mail is unknown. The relay sends
            # it again later with the same Message-ID (SECURITY G4).
            self._drop()
            self._lost(error, "sending the mail")
        self._last_used = time.monotonic()

    def _mail_from(self, sender: str, international: bool) -> smtplib.SMTP:
        """An open connection on which ``MAIL FROM`` was accepted."""
        if self._connection and time.monotonic() - self._last_used > IDLE_LIMIT:
            self._drop()
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        # A kept connection may have been closed by the server since the last mail. Nothing
        # of this mail is sent before MAIL FROM is accepted, so a new connection may try
        # once more; a new connection that fails is a failure.
        for fresh in (self._connection is None, True):
            connection = self._connection or self._connect()
            if international and not connection.has_extn("smtputf8"):
                raise MailRejectedError(
                    f"{self._where} does not accept international addresses (no SMTPUTF8)"
                )
            try:
                code, reply = connection.mail(sender, options)
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self._drop()
                if fresh:
                    self._lost(error, "sending the mail")
                continue
            if code == 421 and not fresh:
                self._drop()
                continue
            self._expect(connection, "MAIL FROM", code, reply, (250,))
            return connection
        raise AssertionError("the second round always uses a new connection")

    def _expect(
        self,
        connection: smtplib.SMTP,
        step: str,
        code: int,
        reply: bytes | str,
        accepted: tuple[int, ...],
    ) -> None:
        if code in accepted:
            return
        text = self._scrub(reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)
        said = f"{self._where} answered {step} with {code} {text}"
        if code == 421:  # closing the channel: the connection is gone
            self._drop()
        else:
            self._reset(connection)
        if 500 <= code <= 599 and code not in _SESSION_REFUSALS:
            raise MailRejectedError(said)
        raise MailDeliveryError(said)

    def _reset(self, connection: smtplib.SMTP) -> None:
        """Leave the connection ready for the next mail (RSET), or drop it."""
        try:
            code, _reply = connection.rset()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self._drop()

    def _lost(self, error: BaseException, doing: str) -> NoReturn:
        # smtplib turns a read timeout into SMTPServerDisconnected; the timeout is its context.
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            raise MailDeliveryError(
                f"{self._where} did not answer within {self.timeout:g} s ({doing})"
            ) from None
        raise MailDeliveryError(
            f"lost the connection to {self._where} ({doing}): {self._scrub(str(error))}"
        ) from None

    # --- the connection ------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        """A new connection, greeted, on TLS (unless ``none``) and logged in."""
        try:
            if self.security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=self._helo,
                    timeout=self.timeout,
                    context=self._tls,
                )
            else:
                connection = smtplib.SMTP(
                    self.host, self.port, local_hostname=self._helo, timeout=self.timeout
                )
        except smtplib.SMTPConnectError as error:
            self._refused("the greeting", error)
        except ssl.SSLCertVerificationError as error:
            self._untrusted(error)
        except OSError as error:
            self._lost(error, "connecting")
        try:
            self._start_session(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        self._last_used = time.monotonic()
        return connection

    def _start_session(self, connection: smtplib.SMTP) -> None:
        try:
            connection.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                if not connection.has_extn("starttls"):
                    raise MailDeliveryError(
                        f"{self._where} does not offer STARTTLS: not sending in clear text "
                        "(starttls=off is only for a server on this machine)"
                    )
                connection.starttls(context=self._tls)
                connection.ehlo()
            if self.user:
                if not connection.has_extn("auth"):
                    raise MailDeliveryError(f"{self._where} does not offer AUTH")
                connection.login(self.user, self._password)
        except smtplib.SMTPAuthenticationError as error:
            self._refused("the login", error)
        except smtplib.SMTPResponseException as error:
            self._refused("the session", error)
        except ssl.SSLCertVerificationError as error:
            self._untrusted(error)
        except smtplib.SMTPException as error:  # no common AUTH mechanism, and the like
            raise MailDeliveryError(f"{self._where}: {self._scrub(str(error))}") from None
        except OSError as error:
            self._lost(error, "connecting")

    def _refused(self, step: str, error: smtplib.SMTPResponseException) -> NoReturn:
        reply = error.smtp_error
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        # Whatever the code: a refused greeting or login refuses every mail alike, so the
        # mail waits for the server or the configuration to be fixed.
        raise MailDeliveryError(
            f"{self._where} refused {step}: {error.smtp_code} {self._scrub(text)}"
        ) from None

    def _untrusted(self, error: ssl.SSLCertVerificationError) -> NoReturn:
        raise MailDeliveryError(
            f"the certificate of {self._where} does not verify: {error.verify_message}"
        ) from None

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _scrub(self, text: str) -> str:
        """A server's reply with the password taken out, should the server echo it."""
        text = " ".join(text.split())
        return text.replace(self._password, "***") if self._password else text


def _dkim_from(options: dict[str, str], safe_url: str) -> DkimSigner | None:
    given = [name for name in _DKIM_OPTIONS if options.get(name)]
    if not given:
        return None
    if len(given) != len(_DKIM_OPTIONS):
        raise InvalidUrlError(f"DKIM needs dkim_key, dkim_selector and dkim_domain: {safe_url}")
    return DkimSigner.from_file(
        Path(options["dkim_key"]), options["dkim_selector"], options["dkim_domain"]
    )


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``smtp://`` and ``smtps://`` mail."""
    registry.add_mailer("smtp", SmtpMailer.from_url)
    registry.add_mailer("smtps", SmtpMailer.from_url)
