from __future__ import annotations

from typing import TYPE_CHECKING

from orderstatus_core import AdapterError, AdapterRegistry, hookimpl

if TYPE_CHECKING:
    from orderstatus_postgres.storage import PostgresStorage

__all__ = ["open_storage", "orderstatus_register_adapters"]


def open_storage(url: str) -> PostgresStorage:
    """Open a ``postgresql://`` storage, importing psycopg only now.

    Every installed plugin is loaded whenever a store opens; a store on SQLite must not need
    psycopg for that.
    """
    try:
        from orderstatus_postgres.storage import PostgresStorage
    except ImportError as error:
        raise AdapterError(
            "postgresql:// storage needs psycopg: pip install 'orderstatus-core[postgres]'"
        ) from error
    return PostgresStorage.from_url(url)


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``postgresql://`` (and ``postgres://``) storage."""
    registry.add_storage("postgresql", open_storage)
    registry.add_storage("postgres", open_storage)
