"""The SQLite outbox's rows: the one JSON encoder of stored documents, and a report failing
part way (an alert refused, or the watches' delete after the alerts) that leaves nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core import AdapterError, OrderStatus
from orderstatus_core.messages import (
    OutboxMessage,
)
from orderstatus_core.serialization import dump_intent
from orderstatus_core.services.effects import watcher_mail
from orderstatus_core.testing import FixedClock, fake_context, strategies
from orderstatus_sqlite import SqliteStorage, _rows
from support.accounts import CLIENT, log_in, register

T0 = FixedClock().now()
LINK = "https://shop.example/account/alerts"
_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _dumps(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(document=_DOCUMENTS)
def test_a_document_is_the_text_json_dumps_writes(document: Any) -> None:
    """Any JSON-ready value (any unicode, lone surrogates and quotes included, NaN and
    infinities as ``json.dumps`` writes them) is the same compact text."""
    assert _rows._json(document) == _dumps(document)


@settings(max_examples=50, deadline=None)
@given(message=strategies.outbox_messages())
def test_every_outbox_payload_is_the_text_json_dumps_writes(message: OutboxMessage) -> None:
    data = dump_intent(message.intent)
    assert _rows.payload(message.intent) == _dumps(data)
    assert json.loads(_rows.payload(message.intent)) == data


def test_without_the_c_encoder_the_text_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    encode = _rows._compact_json()
    document = {"to": "Jüri@example.fi", "quote": '"\\', "n": [1, 2.5, None, True]}
    assert encode(document) == _rows._json(document) == _dumps(document)


@pytest.mark.parametrize("with_c", [True, False])
def test_what_is_not_json_is_refused(monkeypatch: pytest.MonkeyPatch, with_c: bool) -> None:
    if not with_c:
        monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    encode = _rows._compact_json()
    for value in ({"at": T0}, {1j}, {"x": object()}):
        with pytest.raises(TypeError, match="not JSON serializable"):
            encode(value)


def _watched(tmp_path: Path, watchers: int) -> tuple[Path, SqliteStorage, Any]:
    """A SQLite store where ``watchers`` verified accounts watch ``BP-1234``."""
    path = tmp_path / "alerts.db"
    storage = SqliteStorage.from_url(f"sqlite:///{path}")
    storage.migrate()
    ctx = fake_context(storage)
    for n in range(watchers):
        email = f"watcher{n}@example.com"
        register(ctx, email)
        assert isinstance(ctx.clock, FixedClock)
        ctx.clock.advance(timedelta(seconds=1))  # the helper reads the newest mail
        session = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, email).token)
        session.watch_part("BP-1234")
    return path, storage, ctx


def _kept_and_queued(path: Path, trigger: str) -> tuple[int, int]:
    """The watches kept and the alerts queued, read raw; ``trigger`` dropped after."""
    with sqlite3.connect(path) as connection:
        kept = connection.execute("SELECT count(*) FROM part_watches").fetchone()[0]
        queued = connection.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'part_back_in_stock'"
        ).fetchone()[0]
        connection.execute(f"DROP TRIGGER {trigger}")
    connection.close()
    return kept, queued


def test_sqlite_failing_part_way_through_the_alerts_commits_nothing(tmp_path: Path) -> None:
    """SECURITY G1: when SQLite refuses the second row of a report's batch (the first is
    written), the report raises, no mail is queued and every watch is kept; the next
    report mails each watcher once."""
    path, storage, ctx = _watched(tmp_path, 3)
    with sqlite3.connect(path) as connection:
        connection.execute(
            """CREATE TRIGGER alerts_fail BEFORE INSERT ON outbox
            WHEN NEW.kind = 'part_back_in_stock' AND EXISTS (
                SELECT 1 FROM outbox WHERE kind = 'part_back_in_stock')
            BEGIN SELECT RAISE(ABORT, 'disk full'); END"""
        )
    connection.close()
    desk = OrderStatus(ctx)
    with pytest.raises(AdapterError, match="disk full"):
        desk.catalog.part_back_in_stock("BP-1234")
    assert _kept_and_queued(path, "alerts_fail") == (3, 0)
    assert desk.catalog.part_back_in_stock("BP-1234").alerts == 3
    assert desk.catalog.part_back_in_stock("BP-1234").alerts == 0
    storage.close()


def test_sqlite_failing_to_delete_the_watches_after_the_alerts_commits_nothing(
    tmp_path: Path,
) -> None:
    """SECURITY G1: when the report's alerts are written and SQLite then refuses to delete
    the watches, the unit is poisoned: the report raises, no mail is queued and every
    watch is kept; the next report mails each watcher once."""
    path, storage, ctx = _watched(tmp_path, 2)
    with sqlite3.connect(path) as connection:
        connection.execute(
            """CREATE TRIGGER watches_stay BEFORE DELETE ON part_watches
            BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"""
        )
    connection.close()
    with storage.unit_of_work(write=True) as uow:
        with pytest.raises(AdapterError, match="disk I/O error"):
            uow.accounts.queue_part_alerts("bp1234", watcher_mail(LINK), lambda: T0)
        with pytest.raises(AdapterError, match="rolled back"):
            uow.commit()  # a caller that went on anyway commits nothing
    desk = OrderStatus(ctx)
    with pytest.raises(AdapterError, match="disk I/O error"):
        desk.catalog.part_back_in_stock("BP-1234")
    assert _kept_and_queued(path, "watches_stay") == (2, 0)
    assert desk.catalog.part_back_in_stock("BP-1234").alerts == 2
    assert desk.catalog.part_back_in_stock("BP-1234").alerts == 0
    storage.close()
