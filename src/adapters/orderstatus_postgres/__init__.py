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

from orderstatus_postgres.storage import (
    PostgresStorage,
    PostgresUnitOfWork,
    orderstatus_register_adapters,
)

__all__ = ["PostgresStorage", "PostgresUnitOfWork", "orderstatus_register_adapters"]
