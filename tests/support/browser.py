"""One headless Chromium per test session for the browser tests (tests/e2e): Debian's
``chromium`` driven through Playwright (``executable_path``: ``playwright install`` is never
needed). Without it the tests are skipped, saying why, except under ``CI=true``, where a
missing browser fails them: CI must never pass by skipping."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

__all__ = [
    "AXE_CORE",
    "CHROMIUM_ARGS",
    "SCREENSHOTS",
    "TIMEOUT_MS",
    "axe_script",
    "browser",
    "chromium",
    "free_port",
    "playwright",
    "screenshot",
    "serious_violations",
    "submit",
]

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


#: The accessibility checker, from the npm registry (``npm pack``; never committed).
AXE_CORE = "axe-core@4.14.1"


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core's ``axe.min.js``: from ``$AXE_CORE_JS`` if set, else ``npm pack`` of
    :data:`AXE_CORE` into a temporary folder. Without npm (or the registry) the
    accessibility check is skipped, saying why: it is optional (issue 15)."""
    given = os.environ.get("AXE_CORE_JS")
    if given:
        return Path(given).read_text(encoding="utf-8")
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not on PATH; the axe-core accessibility check needs it")
    folder = tmp_path_factory.mktemp("axe-core")
    packed = subprocess.run(
        [npm, "pack", AXE_CORE, "--silent"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    tarballs = list(folder.glob("axe-core-*.tgz"))
    if packed.returncode != 0 or not tarballs:
        pytest.skip(f"npm pack {AXE_CORE} failed: {packed.stderr.strip()[:200]}")
    with tarfile.open(tarballs[0]) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode("utf-8")


def serious_violations(page: Page, axe_script: str) -> list[str]:
    """axe-core's serious and critical violations on ``page``, one line each (the script is
    injected: open the page's context with ``bypass_csp=True``)."""
    page.add_script_tag(content=axe_script)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


#: Where the browser tests save each page they visit (git-ignored; CI keeps it as output).
SCREENSHOTS = Path(__file__).parents[1] / "e2e" / "screenshots"


def free_port() -> int:
    """A free TCP port of 127.0.0.1 for a test's server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def screenshot(page: Page, name: str) -> None:
    """A full-page screenshot of ``page`` as ``SCREENSHOTS/<name>.png``, for review."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def submit(page: Page, button: str) -> int:
    """Click the button named exactly ``button`` and wait for the page it leads to; its
    status."""
    with page.expect_navigation() as landing:
        page.get_by_role("button", name=button, exact=True).click()
    response = landing.value
    assert response is not None
    return response.status
