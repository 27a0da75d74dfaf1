"""Every Python example in README.md and docs/*.md runs (issue 9 item 17).

A page's examples run in order in one namespace, in an empty working folder, as a reader
who types them into one session would run them. The reader has followed Getting started:
the folder holds ``orders.jsonl`` (from ``orderstatus sample``), and a page that does not
open its own store finds ``desk``, a migrated SQLite store, and ``request_ip``, the client
address a storefront passes. The repository's ``examples/`` folder is importable, as the
pages that name its plugins assume. A test function that an example
defines (``def test_...():``) is called, as pytest would.

A deliberate fragment (a hook body, a step that needs a server or a carrier account) is
marked just above its fence with ``<!-- skip: next "why it cannot run here" -->``: Sybil
skips it, and the reason shows in the Markdown source.
"""

from __future__ import annotations

import builtins
import inspect
import re
import unittest
from collections.abc import Iterator
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.myst import PythonCodeBlockParser, SkipParser

from orderstatus_core import OrderStatus
from orderstatus_core.cli import main as orderstatus

ROOT = Path(__file__).parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
READER = Sybil(parsers=[PythonCodeBlockParser(), SkipParser()])
SKIP_MARK = re.compile(r"<!--\s*skip:\s*(?P<rest>[^>]*?)\s*-->")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


@pytest.fixture
def reader_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderStatus]:
    """The working folder and the store of a reader who followed Getting started."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(ROOT / "examples")
    assert orderstatus(["sample", "--orders", "20", "-o", "orders.jsonl"]) == 0
    with OrderStatus.open(storage="sqlite:///orders.db", mail="mailbox:///mail") as desk:
        desk.migrate()
        yield desk


def _run_new_tests(namespace: dict[str, object], done: set[str]) -> None:
    """Call each argument-free ``test_...`` function the last example defined."""
    # Sybil takes the builtins out of the namespace after each example; the functions an
    # example defined use the namespace as their globals and need them back.
    namespace.setdefault("__builtins__", builtins)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and name not in done and inspect.isfunction(value):
            done.add(name)
            value()


@pytest.fixture
def opened_desks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[OrderStatus]]:
    """Every store an example opens with ``OrderStatus.open``, closed after the test, as a
    program's end closes them (an example that opens one need not show the close)."""
    opened: list[OrderStatus] = []
    real_open = OrderStatus.open.__func__  # type: ignore[attr-defined]

    def recording_open(cls: type[OrderStatus], *args: object, **kwargs: object) -> OrderStatus:
        desk: OrderStatus = real_open(cls, *args, **kwargs)
        opened.append(desk)
        return desk

    monkeypatch.setattr(OrderStatus, "open", classmethod(recording_open))
    yield opened
    for desk in opened:
        desk.close()


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_python_example_on_the_page_runs(
    page: Path, reader_desk: OrderStatus, opened_desks: list[OrderStatus]
) -> None:
    """The page's Python examples run in order, except those marked as fragments."""
    document = READER.parse(page)
    document.namespace.update(desk=reader_desk, request_ip="203.0.113.7")
    tests_run: set[str] = set()
    for example in document:
        try:
            example.evaluate()
        except unittest.SkipTest:
            continue
        _run_new_tests(document.namespace, tests_run)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_skipped_example_says_why(page: Path) -> None:
    """A skip mark names its reason, so a broken example cannot hide behind a bare skip."""
    bare = [
        match.group(0)
        for match in SKIP_MARK.finditer(page.read_text(encoding="utf-8"))
        if not re.fullmatch(r'next\s+"[^"]+"', match.group("rest"))
    ]
    assert bare == []
