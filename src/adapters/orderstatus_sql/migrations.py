"""The migration runner both SQL adapters use, and the schema version check.

Each adapter keeps its own numbered migrations (the schemas differ) and says how to open a
migration transaction, read the version and apply one migration; the rules are here, once:
one transaction per migration, the version read again inside each (so that several
processes migrating at once apply each migration exactly once), a database newer than the
code refused with :class:`~orderstatus_core.SchemaVersionError` and left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Protocol

from orderstatus_core import SchemaVersionError
from orderstatus_core.rekeying import rekey_email_keys

__all__ = ["MigrationTarget", "check_version", "migrate", "rekeyed"]


class MigrationTarget(Protocol):
    """One adapter's database, as the runner needs it."""

    def migration_transaction(self) -> AbstractContextManager[object]:
        """A transaction that holds the migration lock; committed when the block ends
        normally, rolled back otherwise."""
        ...

    def schema_version(self) -> int:
        """The version stored in the database (0 before the first migration)."""
        ...

    def apply_migration(self, target: int) -> None:
        """Apply migration ``target`` (taking version ``target - 1`` to ``target``) and
        record the new version, inside the open migration transaction."""
        ...


def check_version(url: str, version: int, expected: int) -> None:
    """Refuse a database whose schema is not ``expected`` (older or newer)."""
    if version != expected:
        raise SchemaVersionError(url, version, expected)


def migrate(target: MigrationTarget, url: str, count: int, schema_version: int) -> int:
    """Apply every pending one of ``count`` migrations, one transaction each; the version.

    A version newer than ``schema_version`` (the code's) is refused with
    :class:`SchemaVersionError`, whether it is found before or after this runner's work
    (another process may have migrated further meanwhile).
    """
    for number in range(1, count + 1):
        with target.migration_transaction():
            version = target.schema_version()
            if version > schema_version:
                raise SchemaVersionError(url, version, schema_version)
            if version < number:
                target.apply_migration(number)
    version = target.schema_version()
    if version > schema_version:
        raise SchemaVersionError(url, version, schema_version)
    return version


def rekeyed(
    orders: Iterable[tuple[str, str, str]],
    credit: Iterable[tuple[str, str, str, Decimal]],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The parameters of the two updates of the email re-keying migration (issue 9):
    ``(new key, order number)`` and ``(new holder, entry id)`` pairs; see
    :func:`orderstatus_core.rekeying.rekey_email_keys` for the arguments."""
    changes = rekey_email_keys(orders, credit)
    return (
        [(key, number) for number, key in changes.orders.items()],
        [(holder, entry_id) for entry_id, holder in changes.credit.items()],
    )
