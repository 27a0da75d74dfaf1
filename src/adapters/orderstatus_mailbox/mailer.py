from __future__ import annotations

import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from orderstatus_core import (
    AdapterRegistry,
    InvalidUrlError,
    MailDeliveryError,
    OutgoingMail,
    compose_message,
    hookimpl,
)

__all__ = ["MailboxMailer", "orderstatus_register_adapters"]

#: The hidden folder inside the mail folder where each mail is written before it is renamed
#: into place (the Maildir idea): a writer killed mid-write leaves its file there, never
#: beside the mail, where a reader would take it for a message.
WRITING_FOLDER = ".writing"
#: A file in the writing folder older than this belongs to a writer that died: no write
#: takes this long, and a younger one may be another relay's mail in flight.
STALE_AFTER_SECONDS = 3600.0
# What versions before the writing folder left beside the mail when killed mid-write
# (``tempfile``'s ``tmp`` + 8 random characters + ``.tmp``).
_OLD_LEFTOVER = re.compile(r"tmp[a-z0-9_]{8}\.tmp")


class MailboxMailer:
    """Writes each :class:`OutgoingMail` to ``<folder>/<message_id>.eml``.

    The same message sent twice overwrites one file: duplicates of an at-least-once
    delivery disappear by themselves. Files appear whole: each is written and flushed to
    disk in :data:`WRITING_FOLDER`, then renamed into the folder. Each send deletes files
    that killed writers left in the writing folder more than :data:`STALE_AFTER_SECONDS`
    ago; the first send of a mailer also deletes what older versions left in the folder.
    """

    def __init__(self, folder: str | os.PathLike[str], sender: str = "orders@localhost") -> None:
        self.folder = Path(folder)
        self.sender = sender
        self._swept_old_leftovers = False

    @classmethod
    def from_url(cls, url: str) -> MailboxMailer:
        """``mailbox:///relative/folder`` or ``mailbox:////absolute/folder``, ``?from=``."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        folder = path[1:] if path.startswith("/") else path
        if not folder:
            raise InvalidUrlError("a mailbox URL names a folder: mailbox:///mail")
        sender = parse_qs(parts.query).get("from", ["orders@localhost"])[0]
        return cls(folder, sender)

    def path_of(self, message_id: str) -> Path:
        """Where the mail with ``message_id`` is (or will be) written."""
        return self.folder / f"{message_id}.eml"

    def close(self) -> None:
        """Nothing to release: each send opens and closes its own file."""

    def send(self, mail: OutgoingMail) -> None:
        """Write ``mail`` as an RFC 5322 file built by
        :func:`~orderstatus_core.compose_message` (which refuses unsafe headers with
        :class:`~orderstatus_core.MailRejectedError`); raise :class:`MailDeliveryError` when
        the file cannot be written."""
        composed = compose_message(mail, self.sender, date=datetime.now(UTC))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # compose_message checked the id: safe as a file name.
            self._write(mail.message_id, composed.data)
        except OSError as error:
            raise MailDeliveryError(f"cannot write to {self.folder}: {error}") from error

    def _write(self, message_id: str, data: bytes) -> None:
        writing = self.folder / WRITING_FOLDER
        writing.mkdir(parents=True, exist_ok=True)
        self._sweep(writing)
        handle, name = tempfile.mkstemp(dir=writing, prefix=f"{message_id}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                # On disk before the rename: a power cut never leaves an empty .eml.
                os.fsync(file.fileno())
            os.replace(name, self.path_of(message_id))
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def _sweep(self, writing: Path) -> None:
        """Delete stale files of killed writers (only stale ones: a young file may be
        another relay's mail being written right now)."""
        leftovers = list(writing.iterdir())
        if not self._swept_old_leftovers:
            leftovers += [p for p in self.folder.iterdir() if _OLD_LEFTOVER.fullmatch(p.name)]
            self._swept_old_leftovers = True
        oldest_kept = time.time() - STALE_AFTER_SECONDS
        for path in leftovers:
            try:
                if path.is_file() and path.stat().st_mtime < oldest_kept:
                    path.unlink()
            except FileNotFoundError:  # another relay swept it first
                continue


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``mailbox://`` mail."""
    registry.add_mailer("mailbox", MailboxMailer.from_url)
