"""The PostgreSQL storage adapter: for stores that outgrow one machine.

``postgresql://user@host:5432/shop?schema=orderstatus&pool_max=20`` opens a pool of
connections to one database (see :meth:`PostgresStorage.from_url` for every option); run
``orderstatus migrate`` (or :meth:`PostgresStorage.migrate`) before first use. Several app
servers and relay workers can share the database: the unit-of-work rules in
:mod:`orderstatus_postgres.storage` (row and advisory locks, compare-and-set saves,
``FOR UPDATE SKIP LOCKED`` for the outbox) hold across processes and machines. The schema
is in :mod:`orderstatus_postgres.migrations`.

Needs the ``postgres`` extra (``psycopg[binary]`` and ``psycopg-pool``). Nothing connects
at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderstatus_postgres._plugin import orderstatus_register_adapters

if TYPE_CHECKING:
    from orderstatus_postgres.storage import PostgresStorage, PostgresUnitOfWork

__all__ = ["PostgresStorage", "PostgresUnitOfWork", "orderstatus_register_adapters"]


def __getattr__(name: str) -> Any:
    # psycopg is an optional dependency: import it when the storage is first asked for,
    # never when the plugin is loaded.
    if name in {"PostgresStorage", "PostgresUnitOfWork"}:
        from orderstatus_postgres import storage

        return getattr(storage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
