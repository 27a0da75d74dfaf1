"""One headless Chromium per test session for the browser tests (tests/e2e): Debian's
``chromium`` driven through Playwright (``executable_path``: ``playwright install`` is never
needed). Without it the tests are skipped, saying why, except under ``CI=true``, where a
missing browser fails them: CI must never pass by skipping."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

__all__ = ["CHROMIUM_ARGS", "TIMEOUT_MS", "browser", "chromium", "playwright"]

# Headless, and nothing the browser would fetch or start on its own (updates, sync,
# field trials): the tests see only the requests the pages make.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; skip (or, under CI=true, fail) when it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not on PATH"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true needs it (.ci/run installs it)", pytrace=False)
        pytest.skip(f"{reason}; install it (apt-get install chromium) to run the browser tests")
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, once per session."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium: str) -> Iterator[Browser]:
    """One headless Chromium per session, shared by every browser test module; Playwright
    gives it a fresh, throwaway profile and each test a fresh context."""
    launched = playwright.chromium.launch(
        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()
