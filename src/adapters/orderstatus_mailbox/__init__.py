"""The mailbox adapter: each mail becomes an ``.eml`` file in a folder.

For development and the demo: open the files with any mail program. ``mailbox:///mail``
writes to the relative folder ``mail``; ``mailbox:////var/mail/shop`` to an absolute one
(the SQLAlchemy convention: the path starts after the third slash). ``?from=`` sets the
sender (default ``orders@localhost``).
"""

from orderstatus_mailbox.mailer import MailboxMailer, orderstatus_register_adapters

__all__ = ["MailboxMailer", "orderstatus_register_adapters"]
