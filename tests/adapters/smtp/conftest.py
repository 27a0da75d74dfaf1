"""Certificates for the SMTP tests: a throwaway CA (trustme) and a server certificate for
127.0.0.1, plus a second CA that the mailer does not trust."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from support.smtp_server import server_context


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """The CA the mailer is told to trust (``cafile``)."""
    return trustme.CA()


@pytest.fixture(scope="session")
def cafile(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The trusted CA's certificate as a PEM file."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(Path(path))


@pytest.fixture(scope="session")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """The server side of TLS, with a certificate for 127.0.0.1 and localhost."""
    return server_context(ca.issue_cert("127.0.0.1", "localhost").configure_cert)


@pytest.fixture(scope="session")
def stranger_tls() -> ssl.SSLContext:
    """A server certificate for 127.0.0.1 from a CA nobody trusts."""
    return server_context(trustme.CA().issue_cert("127.0.0.1").configure_cert)
