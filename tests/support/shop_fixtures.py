"""Fixtures for the command-line, sample-data and example-storefront tests (tests/cli and
tests/e2e import them into their conftest)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.sample import demo_orders
from support.paths import EXAMPLES

EXAMPLE = EXAMPLES / "wsgi_storefront.py"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """This test's SQLite database file (not created yet)."""
    return tmp_path / "orders.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    """``sqlite:///`` and the absolute path of :func:`db_path` (four slashes in all)."""
    return f"sqlite:///{db_path.resolve().as_posix()}"


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    """This test's mail folder (created by the first mail)."""
    return tmp_path / "mail"


@pytest.fixture
def mail_url(mail_dir: Path) -> str:
    """``mailbox:///`` and the absolute path of :func:`mail_dir`."""
    return f"mailbox:///{mail_dir.resolve().as_posix()}"


@pytest.fixture(scope="session")
def example() -> ModuleType:
    """``examples/wsgi_storefront.py``, imported from its file."""
    spec = importlib.util.spec_from_file_location("wsgi_storefront", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def desk(mail_url: str) -> Iterator[OrderStatus]:
    """An open store in memory with the demo cast (Jane Doe and friends), placed until now."""
    with OrderStatus.open(storage="memory://", mail=mail_url) as opened:
        records = demo_orders(datetime.now(UTC))
        opened.import_orders(json.dumps(record) for record in records)
        yield opened
