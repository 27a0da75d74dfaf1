"""The SQLite storage adapter: the embedded default, standard library only.

``sqlite:///orders.db`` opens (or creates) ``orders.db``; run ``orderstatus migrate`` (or
:meth:`SqliteStorage.migrate`) before first use. See :mod:`orderstatus_sqlite.storage`
for the transaction and connection rules and :mod:`orderstatus_sqlite.migrations` for
the schema.
"""

from orderstatus_sqlite.storage import (
    SqliteStorage,
    SqliteUnitOfWork,
    orderstatus_register_adapters,
)

__all__ = ["SqliteStorage", "SqliteUnitOfWork", "orderstatus_register_adapters"]
