"""The race ground: one SQLite file per test, raced on by processes and by threads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.race_workers import Race


@pytest.fixture(params=["processes", "threads"])
def race(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Race]:
    """A fresh race ground, once with processes and once with threads."""
    ground = Race(tmp_path, request.param)
    yield ground
    ground.close()
