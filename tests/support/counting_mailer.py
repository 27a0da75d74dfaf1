"""A mail adapter and a relay policy that the relay worker tests install as a real plugin
(an ``orderstatus`` entry point), so that ``orderstatus relay --watch`` processes load them
the way a store's plugin is loaded.

``counting:///FOLDER`` delivers each mail through the mailbox adapter into a folder of its
own process and then renames the file to a name of its own: every delivery stays a file, so
a test counts copies (the mailbox adapter alone overwrites a duplicate). A random pause of up
to 40 ms after each write widens the moment between sending and marking sent, where a kill
makes a duplicate.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from orderstatus_core import AdapterRegistry, OutgoingMail, RelayPolicy, hookimpl
from orderstatus_mailbox import MailboxMailer


class CountingMailer:
    """Keeps one ``.eml`` file per delivery under ``FOLDER/<pid>/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / str(os.getpid())
        self._mailbox = MailboxMailer(self.folder)

    @classmethod
    def from_url(cls, url: str) -> CountingMailer:
        """``counting:////absolute/folder``."""
        return cls(Path(unquote(urlsplit(url).path)))

    def send(self, mail: OutgoingMail) -> None:
        """Write the mail, then give the file a name no other delivery has."""
        self._mailbox.send(mail)
        written = self._mailbox.path_of(mail.message_id)
        written.rename(written.with_name(f"{mail.message_id}.{uuid.uuid4().hex}.eml"))
        time.sleep(random.uniform(0, 0.04))

    def close(self) -> None:
        """Nothing to release."""


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """Offer ``counting://``."""
    registry.add_mailer("counting", CountingMailer.from_url)


class ShortLease:
    """A relay policy whose lease ends after one second, so that a killed worker's
    messages are taken again quickly (the default lease is five minutes)."""

    @hookimpl
    def orderstatus_relay_policy(self) -> RelayPolicy:
        return RelayPolicy(lease=timedelta(seconds=1))


#: The instance the ``short_lease`` entry point names.
SHORT_LEASE = ShortLease()
