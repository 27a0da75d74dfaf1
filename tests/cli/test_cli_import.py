"""``orderstatus import``: all or nothing, a bad record named by line and field path."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.cli import main
from orderstatus_core.sample import generate_orders
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, statements


def records(count: int, seed: int) -> list[dict[str, Any]]:
    return list(generate_orders(count, 5, seed))


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def encoded(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def stored(db_url: str, numbers: list[str]) -> list[str]:
    """Which of ``numbers`` the database holds."""
    # The mailer is never used here; opening it writes nothing.
    with (
        OrderStatus.open(storage=db_url, mail="mailbox:///unused") as desk,
        desk.context.storage.unit_of_work() as uow,
    ):
        return [n for n in numbers if uow.orders.get(n) is not None]


def user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture
def migrated(db_url: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["migrate", "--storage", db_url]) == 0
    capsys.readouterr()
    return db_url


def test_import_of_a_good_file(
    tmp_path: Path, migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = records(40, seed=1)
    path = write_lines(tmp_path / "orders.jsonl", [encoded(r) for r in orders])

    assert main(["import", str(path), "--storage", migrated]) == 0

    captured = capsys.readouterr()
    assert captured.out.startswith("Imported 40 orders from ")
    assert "orders/s" in captured.out
    assert "\r" not in captured.err  # no progress bar when stderr is not a terminal
    numbers = [r["number"] for r in orders]
    assert stored(migrated, numbers) == numbers


def test_import_from_stdin(
    migrated: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = records(3, seed=2)
    data = b"".join(encoded(r) + b"\n" for r in orders)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    assert main(["import", "-", "--storage", migrated]) == 0

    assert "Imported 3 orders from <stdin>" in capsys.readouterr().out
    assert len(stored(migrated, [r["number"] for r in orders])) == 3


def test_progress_bar_on_a_terminal(
    tmp_path: Path,
    migrated: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_lines(tmp_path / "orders.jsonl", [encoded(r) for r in records(1200, seed=3)])
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)

    assert main(["import", str(path), "--storage", migrated]) == 0

    err = capsys.readouterr().err
    assert "\r" in err
    assert "orders/s" in err
    assert "%" in err  # the file's size is known: a percentage by bytes read


def bad_negative_quantity(good: list[bytes]) -> tuple[list[bytes], str]:
    record = json.loads(good[1])
    record["lines"][0]["quantity"] = -2
    return [good[0], encoded(record), good[2]], "line 2: must not be negative @ $.lines[0].quantity"


def bad_json(good: list[bytes]) -> tuple[list[bytes], str]:
    return [good[0], good[1], good[2][:-7], good[3]], "line 3: is not valid JSON"


def bad_unknown_field(good: list[bytes]) -> tuple[list[bytes], str]:
    record = json.loads(good[1])
    record["colour"] = "red"
    return [good[0], encoded(record), good[2]], "line 2: unknown field(s) colour @ $"


def bad_encoding(good: list[bytes]) -> tuple[list[bytes], str]:
    latin1 = good[2].replace(b'"currency"', b'"currency\xe9"')
    return [good[0], good[1], latin1, good[3]], "line 3: is not UTF-8"


def bad_length(good: list[bytes]) -> tuple[list[bytes], str]:
    huge = b'{"number": "' + b"1" * (1 << 20) + b'"}'
    return [good[0], huge, good[2]], "line 2: the record is longer than"


@pytest.mark.parametrize(
    "spoil",
    [bad_json, bad_negative_quantity, bad_unknown_field, bad_encoding, bad_length],
    ids=["malformed-json", "negative-quantity", "unknown-field", "not-utf8", "too-long"],
)
def test_a_bad_record_fails_the_whole_import(
    tmp_path: Path, migrated: str, capsys: pytest.CaptureFixture[str], spoil: Any
) -> None:
    earlier = records(5, seed=10)
    first = write_lines(tmp_path / "earlier.jsonl", [encoded(r) for r in earlier])
    assert main(["import", str(first), "--storage", migrated]) == 0
    capsys.readouterr()

    orders = records(4, seed=11)
    lines, expected = spoil([encoded(r) for r in orders])
    path = write_lines(tmp_path / "bad.jsonl", lines)

    assert main(["import", str(path), "--storage", migrated]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert expected in captured.err
    assert "nothing was imported" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err
    # None of the file's orders is stored, and the earlier import is untouched.
    assert stored(migrated, [r["number"] for r in orders]) == []
    assert len(stored(migrated, [r["number"] for r in earlier])) == 5


def test_importing_the_same_file_twice_names_the_duplicate(
    tmp_path: Path, migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_lines(tmp_path / "orders.jsonl", [encoded(r) for r in records(3, seed=4)])
    assert main(["import", str(path), "--storage", migrated]) == 0
    assert main(["import", str(path), "--storage", migrated]) == 1
    assert "line 1: order " in capsys.readouterr().err


def test_a_missing_file_is_a_one_line_failure(
    tmp_path: Path, migrated: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(tmp_path / "nope.jsonl"), "--storage", migrated]) == 1
    err = capsys.readouterr().err
    assert err.startswith("orderstatus import: ")
    assert "nope.jsonl" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("existing", [False, True], ids=["no-file", "empty-file"])
def test_import_into_a_store_without_a_schema_migrates_it_first(
    tmp_path: Path, db_path: Path, db_url: str, capsys: pytest.CaptureFixture[str], existing: bool
) -> None:
    """A newcomer's import into a new (or empty, never migrated) file creates the schema,
    says so, and imports."""
    if existing:
        db_path.touch()
    orders = records(3, seed=5)
    path = write_lines(tmp_path / "orders.jsonl", [encoded(r) for r in orders])

    assert main(["import", str(path), "--storage", db_url]) == 0

    out = capsys.readouterr().out
    assert f"had no schema: created version {SCHEMA_VERSION}" in out
    assert "Imported 3 orders" in out
    assert user_version(db_path) == SCHEMA_VERSION
    assert len(stored(db_url, [r["number"] for r in orders])) == 3


def test_import_into_an_older_schema_is_refused_and_leaves_it_alone(
    tmp_path: Path, db_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older schema is upgraded only by `orderstatus migrate`, never by an import."""
    with closing(sqlite3.connect(db_path)) as connection:
        for statement in statements(MIGRATIONS[0]):
            connection.execute(statement)
        connection.commit()
    path = write_lines(tmp_path / "orders.jsonl", [encoded(r) for r in records(3, seed=6)])

    assert main(["import", str(path), "--storage", db_url]) == 1

    err = capsys.readouterr().err
    assert f"has schema version 1, this library needs {SCHEMA_VERSION}" in err
    assert "run `orderstatus migrate`" in err
    assert user_version(db_path) == 1


def test_a_missing_input_file_creates_no_store(
    tmp_path: Path, db_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The input is opened before the store: a typo in its name leaves no database behind."""
    assert main(["import", str(tmp_path / "nope.jsonl"), "--storage", db_url]) == 1
    assert "nope.jsonl" in capsys.readouterr().err
    assert not db_path.exists()
