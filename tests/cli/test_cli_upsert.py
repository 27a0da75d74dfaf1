"""``orderstatus import --upsert``: a sync feed, one order at a time, refusals named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orderstatus_core import Order, OrderStatus
from orderstatus_core.cli import main
from orderstatus_core.testing.builders import line, make_order
from support.feeds import record_of, store_view

ORDER = make_order("100000001", lines=[line(1, quantity=2), line(2, "RT-77")])
OTHER = make_order("100000002", email="someone@example.com")


def _write(path: Path, *records: str) -> str:
    path.write_text("".join(record + "\n" for record in records), encoding="utf-8")
    return str(path)


def _stored(db_url: str, number: str) -> Order | None:
    with (
        OrderStatus.open(storage=db_url, mail="mailbox:///unused") as desk,
        desk.context.storage.unit_of_work() as uow,
    ):
        return uow.orders.get(number)


def test_a_feed_creates_then_updates_then_leaves_unchanged(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """New numbers are created (the schema too), a changed record updates, a repeat is a no-op."""
    feed = _write(tmp_path / "a.jsonl", record_of(ORDER), record_of(OTHER))
    assert main(["import", "--upsert", feed, "--storage", db_url]) == 0
    assert "2 created, 0 updated, 0 unchanged, 0 refused" in capsys.readouterr().out

    feed = _write(tmp_path / "b.jsonl", record_of(ORDER, tax="3.00 USD"), record_of(OTHER))
    assert main(["import", "--upsert", feed, "--storage", db_url]) == 0
    assert "0 created, 1 updated, 1 unchanged, 0 refused" in capsys.readouterr().out
    stored = _stored(db_url, ORDER.number)
    assert stored is not None
    assert (str(stored.tax.amount), stored.version) == ("3.00", 2)


def test_refused_records_are_named_on_stderr_and_the_rest_are_stored(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1 when any record was refused; each refusal is one line with its reason."""
    _write(tmp_path / "a.jsonl", record_of(ORDER))
    assert main(["import", "--upsert", str(tmp_path / "a.jsonl"), "--storage", db_url]) == 0
    capsys.readouterr()
    data = store_view(ORDER)
    text = json.dumps(data).replace(" USD", " EUR").replace('"USD"', '"EUR"')
    feed = _write(tmp_path / "b.jsonl", text, "{oops", record_of(OTHER))

    assert main(["import", "--upsert", feed, "--storage", db_url]) == 1

    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert errors[0].startswith(f"orderstatus import: {feed}: line 1: order 100000001: ")
    assert "currency_changed" in errors[0]
    assert errors[0].endswith("@ $.currency")
    assert errors[1].startswith(f"orderstatus import: {feed}: line 2: is not valid JSON")
    assert "1 created, 0 updated, 0 unchanged, 2 refused" in captured.out
    assert _stored(db_url, OTHER.number) is not None


def test_an_unreadable_file_stops_with_the_records_before_it_stored(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not UTF-8: exit 1, saying the earlier records were stored."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(record_of(ORDER).encode() + b"\n\xff\n")

    assert main(["import", "--upsert", str(path), "--storage", db_url]) == 1

    err = capsys.readouterr().err
    assert "line 2: is not UTF-8" in err
    assert "the records before it were stored" in err
    assert _stored(db_url, ORDER.number) is not None


def test_the_flag_is_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    """``orderstatus import --help`` documents --upsert."""
    assert main(["import", "--help"]) == 0
    assert "--upsert" in capsys.readouterr().out
