"""Fixtures for the command-line, sample-data and example-storefront tests."""

from __future__ import annotations

from pathlib import Path

import pytest


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
