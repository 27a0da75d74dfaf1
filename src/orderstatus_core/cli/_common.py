"""What every command shares: the default URLs, the usage error, opening the store, and
an error as one line on stderr."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from orderstatus_core.app import OrderStatus
from orderstatus_core.errors import InvalidUrlError, UnknownAdapterError
from orderstatus_core.ports import Captcha

__all__ = [
    "DEFAULT_MAIL",
    "DEFAULT_STORAGE",
    "PROG",
    "UsageError",
    "file_url",
    "open_store",
    "report_error",
]

#: The command's name, in its usage lines and at the start of each error line.
PROG = "orderstatus"
#: Where commands keep orders unless ``--storage`` says otherwise.
DEFAULT_STORAGE = "sqlite:///orders.db"
#: Where commands write mail unless ``--mail`` says otherwise: ``.eml`` files in ``./mail``.
DEFAULT_MAIL = "mailbox:///mail"


class UsageError(Exception):
    """A command line that names something unusable (a malformed or unknown URL)."""


def report_error(command: str, message: str) -> None:
    """Say on stderr, on one line, why ``command`` failed: the exit status says the rest, and
    a shell script or log reader sees no traceback."""
    text = " ".join(str(message).split())  # one line, whatever the message holds
    print(f"{PROG} {command}: {text}", file=sys.stderr)


def open_store(
    storage: str,
    mail: str,
    plugins: Sequence[object] = (),
    labels: str | None = None,
    captcha: str | Captcha | None = None,
) -> OrderStatus:
    """Open the store; a malformed or unknown URL is a usage error."""
    try:
        return OrderStatus.open(
            storage=storage, mail=mail, labels=labels, plugins=plugins, captcha=captcha
        )
    except UnknownAdapterError as error:
        raise UsageError(str(error)) from None
    except InvalidUrlError as error:
        raise UsageError(f"bad URL: {error}") from None


def file_url(scheme: str, path: Path) -> str:
    """``scheme:///`` + the absolute path: ``sqlite:////tmp/demo/orders.db``."""
    return f"{scheme}:///{quote(path.resolve().as_posix())}"
