"""The adapter is installed as a plugin: OrderStatus.open(storage="sqlite:///...") just works."""

from __future__ import annotations

import json
from pathlib import Path

from orderstatus_core import OrderFound, OrderStatus, get_plugin_manager
from orderstatus_core.plugins import Hooks
from orderstatus_core.serialization import converter
from orderstatus_sqlite import SqliteStorage
from orderstatus_sqlite.migrations import SCHEMA_VERSION
from support.sqlite_orders import order


def test_the_sqlite_scheme_is_registered_by_the_entry_point() -> None:
    """The installed plugin offers sqlite:// storage, opened by SqliteStorage.from_url."""
    registry = Hooks(get_plugin_manager()).adapter_registry()
    assert "sqlite" in registry.storage_schemes()
    storage = registry.open_storage("sqlite:///:memory:")
    assert isinstance(storage, SqliteStorage)
    storage.close()


def test_a_store_runs_on_sqlite_from_import_to_mail(tmp_path: Path) -> None:
    """Open by URL, migrate, import, find an order, and mail the order list."""
    database = tmp_path / "orders.db"
    maildir = tmp_path / "mail"
    record = json.dumps(converter.unstructure(order()), ensure_ascii=False)
    with OrderStatus.open(
        storage="sqlite:///" + str(database), mail="mailbox:///" + str(maildir)
    ) as desk:
        assert desk.migrate() == SCHEMA_VERSION
        assert desk.import_orders([record]).imported == 1
        found = desk.find_order("JANE@example.com", "100001", client="203.0.113.7")
        assert isinstance(found, OrderFound)
        desk.send_order_list("jane@example.com", client="203.0.113.7")
        assert desk.relay_outbox().sent == 1
    assert len(list(maildir.glob("*.eml"))) == 1
    assert database.exists()
