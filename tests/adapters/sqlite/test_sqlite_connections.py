"""Opening by URL, per-connection settings, thread-local connections, and close()."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orderstatus_core import AdapterError, InvalidFieldError, InvalidUrlError
from orderstatus_sqlite import SqliteStorage
from support.sqlite_orders import order


def pragma(storage: SqliteStorage, name: str) -> object:
    with storage.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        return connection.execute(f"PRAGMA {name}").fetchone()[0]


def test_every_connection_uses_wal_foreign_keys_a_busy_timeout_and_normal_sync(
    sqlite_storage: SqliteStorage,
) -> None:
    """SECURITY G3: WAL, busy_timeout 5000 ms, foreign_keys on, synchronous NORMAL."""
    assert pragma(sqlite_storage, "journal_mode") == "wal"
    assert pragma(sqlite_storage, "foreign_keys") == 1
    assert pragma(sqlite_storage, "busy_timeout") == 5000
    assert pragma(sqlite_storage, "synchronous") == 1  # NORMAL


def test_connections_of_other_threads_get_the_same_settings(
    sqlite_storage: SqliteStorage,
) -> None:
    """A thread's first unit opens its own connection, configured like the first."""
    seen: list[object] = []

    def read() -> None:
        seen.extend(pragma(sqlite_storage, name) for name in ("journal_mode", "foreign_keys"))

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    assert seen == ["wal", 1]


def test_the_busy_timeout_is_configurable_in_the_url(db_path: Path) -> None:
    """?busy_timeout=MILLISECONDS sets PRAGMA busy_timeout."""
    storage = SqliteStorage.from_url(f"sqlite:///{db_path}?busy_timeout=250")
    storage.migrate()
    assert pragma(storage, "busy_timeout") == 250
    storage.close()


def test_a_foreign_key_violation_is_refused(sqlite_storage: SqliteStorage) -> None:
    """Foreign keys are enforced: a line of an unknown order cannot be written."""
    with sqlite_storage.unit_of_work(write=True) as uow:
        connection = uow._connection
        assert connection is not None
        with pytest.raises(Exception, match="FOREIGN KEY"):
            connection.execute(
                "INSERT INTO package_units VALUES ('NOPE', 0, 0, 1, 1)",
            )


def test_a_relative_url_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqlite:///orders.db is ./orders.db, resolved when the storage is opened."""
    monkeypatch.chdir(tmp_path)
    storage = SqliteStorage.from_url("sqlite:///orders.db")
    monkeypatch.chdir(Path("/"))
    storage.migrate()
    storage.close()
    assert (tmp_path / "orders.db").exists()
    assert storage.url == "sqlite:///orders.db"


def test_an_absolute_url_path_has_four_slashes(tmp_path: Path) -> None:
    """sqlite:////abs/path.db is the absolute path /abs/path.db."""
    path = tmp_path / "abs.db"
    url = "sqlite:///" + str(path)
    assert url.startswith("sqlite:////")
    storage = SqliteStorage.from_url(url)
    storage.migrate()
    storage.close()
    assert path.exists()
    assert storage.url == url


def test_a_memory_database_is_private_and_shared_by_the_threads_of_its_storage() -> None:
    """sqlite:///:memory: is one database for all threads of one storage, and no other."""
    first = SqliteStorage.from_url("sqlite:///:memory:")
    second = SqliteStorage.from_url("sqlite:///:memory:")
    first.migrate()
    second.migrate()
    with first.unit_of_work(write=True) as uow:
        uow.orders.add(order())
        uow.commit()
    found: list[object] = []

    def read() -> None:
        with first.unit_of_work() as uow:
            found.append(uow.orders.get("100001"))

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    assert found == [order()]
    with second.unit_of_work() as uow:
        assert uow.orders.get("100001") is None
    first.close()
    second.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql:///orders",
        "sqlite://host/orders.db",
        "sqlite:///orders.db?busy_timeout=soon",
        "sqlite:///orders.db?busy_timeout=%C2%B2",  # "²" is a digit to str.isdigit()
        "sqlite:///orders.db?busy_timeout=%D9%A3",  # an Arabic-Indic three, to int() 3
        "sqlite:///orders.db?busy_timeout=",
        "sqlite:///orders.db?busy_timeout=-1",
        "sqlite:///orders.db?busy_timeout=12345678",
        "sqlite:///orders.db?busy_timeout=0;PRAGMA%20writable_schema=1",
        "sqlite:///orders.db?cache=shared",
        "sqlite:///orders.db?mmap_size=268435456",  # not offered: see _connect()
        "sqlite",
    ],
)
def test_a_malformed_url_is_refused(url: str) -> None:
    """A URL this adapter cannot open is refused at once, not a surprise later."""
    with pytest.raises(InvalidUrlError):
        SqliteStorage.from_url(url)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("busy_timeout_ms", -1),
        ("busy_timeout_ms", 3_600_001),
        ("busy_timeout_ms", True),
        ("busy_timeout_ms", "5000"),
        ("busy_timeout_ms", 5000.0),
        ("begin_retries", 101),
        ("begin_retries", False),
    ],
)
def test_a_bad_setting_is_refused_when_the_storage_is_made(
    db_path: Path, option: str, value: object
) -> None:
    """Each setting is a whole number in its range; a bool is not one."""
    with pytest.raises(InvalidFieldError):
        SqliteStorage(db_path, **{option: value})  # type: ignore[arg-type]


def test_a_closed_storage_refuses_use(sqlite_storage: SqliteStorage) -> None:
    """After close(), units of work and migrate() raise AdapterError."""
    sqlite_storage.close()
    with pytest.raises(AdapterError, match="closed"):
        sqlite_storage.unit_of_work()
    with pytest.raises(AdapterError, match="closed"):
        sqlite_storage.migrate()
    sqlite_storage.close()  # idempotent


def test_a_unit_open_across_close_fails_with_adapter_error(sqlite_storage: SqliteStorage) -> None:
    """Closing under an open unit makes its next statement an AdapterError."""
    with sqlite_storage.unit_of_work() as uow:
        sqlite_storage.close()
        with pytest.raises(AdapterError):
            uow.orders.get("100001")


def test_close_closes_the_connections_of_every_thread(sqlite_storage: SqliteStorage) -> None:
    """Connections opened by other threads are tracked and closed too."""

    def read() -> None:
        with sqlite_storage.unit_of_work() as uow:
            uow.orders.get("100001")

    workers = [threading.Thread(target=read) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    connections = [handle.connection for handle in sqlite_storage._handles]
    assert connections
    sqlite_storage.close()
    for connection in connections:
        with pytest.raises(Exception, match="closed database"):
            connection.execute("SELECT 1")


def test_connections_of_ended_threads_are_closed_when_a_new_one_opens(
    sqlite_storage: SqliteStorage,
) -> None:
    """A thread-per-request server does not leak one open file per request."""

    def read() -> None:
        with sqlite_storage.unit_of_work() as uow:
            uow.orders.get("100001")

    for _ in range(5):
        worker = threading.Thread(target=read)
        worker.start()
        worker.join()
    assert len(sqlite_storage._handles) <= 2


def test_a_memory_database_refuses_to_nest_a_write_unit_on_one_thread() -> None:
    """memdb locking would make the inner unit wait for the outer one: refused at once."""
    storage = SqliteStorage.from_url("sqlite:///:memory:")
    storage.migrate()
    with storage.unit_of_work(write=True), pytest.raises(AdapterError, match="same thread"):
        storage.unit_of_work().__enter__()
    with storage.unit_of_work(), storage.unit_of_work() as inner:  # two readers nest
        assert inner.orders.get("100001") is None
    with storage.unit_of_work(write=True) as uow:  # nothing was left claimed
        uow.orders.add(order())
        uow.commit()
    storage.close()
