"""``orderstatus demo --serve``: the demo data served by the example storefront."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from orderstatus_core.cli import main
from orderstatus_core.cli._common import UsageError
from orderstatus_core.cli._serve import find_storefront
from support.paths import EXAMPLES, ROOT

pytest.importorskip("flask", reason="the storefront extra (Flask) is not installed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _log_in_at_the_staff_desk(server: subprocess.Popen[str], base: str) -> str:
    """Read the printed lines up to the staff desk's password (all printed before the
    server answered) and log in with it; the lines read."""
    assert server.stdout is not None
    printed = ""
    while "password for this run" not in printed:
        line = server.stdout.readline()
        assert line, "no staff password printed"
        printed += line
    found = re.search(r"password for this run: (\S+)\)", printed)
    assert found is not None
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with browser.open(base + "/staff/log-in", timeout=5) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode("utf-8"))
    assert token is not None
    for password, status in (("not-the-staff-password", 403), (found[1], 200)):
        form = urllib.parse.urlencode({"csrf_token": token[1], "password": password}).encode()
        try:
            with browser.open(base + "/staff/log-in", data=form, timeout=5) as desk:
                answered, html = desk.status, desk.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            answered, html = error.code, ""
        assert answered == status
    assert "Ship a package" in html
    return printed


def test_demo_serve_builds_the_data_and_serves_the_storefront(tmp_path: Path) -> None:
    port = _free_port()
    folder = tmp_path / "demo"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orderstatus_core.cli",
            "demo",
            "--serve",
            "--port",
            str(port),
            "--dir",
            str(folder),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, home = _get(base + "/")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the storefront did not answer in 60 s"
                time.sleep(0.2)
        assert status == 200
        assert "Find an order" in home
        assert 'href="/demo/mail"' in home
        status, mail = _get(base + "/demo/mail")
        assert status == 200
        assert "No mail yet." in mail
        assert _get(base + "/order/301442518")[0] == 404  # no proof: the one not-found page
        status, sign_up = _get(base + "/account/sign-up")  # the captcha and hasher are set
        assert status == 200
        image = re.search(r'src="(/account/captcha/[\w-]+\.png)"', sign_up)
        assert image is not None
        with urllib.request.urlopen(base + image[1], timeout=5) as png:  # noqa: S310 - 127.0.0.1
            assert png.headers["Content-Type"] == "image/png"
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"
        assert _get(base + "/account")[0] == 200  # not logged in: the log-in page
        assert (folder / "orders.db").is_file()
        assert (folder / "mail").is_dir()
        printed = _log_in_at_the_staff_desk(server, base)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    # Not communicate(): it would miss what readline() above buffered already.
    assert server.stdout is not None
    assert server.stderr is not None
    out, err = printed + server.stdout.read(), server.stderr.read()
    server.stdout.close()
    server.stderr.close()
    assert server.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out
    assert f"http://127.0.0.1:{port}/account/sign-up" in out
    assert f"http://127.0.0.1:{port}/staff  (password for this run: " in out
    assert "Traceback" not in err


@pytest.mark.parametrize("port", ["0", "65536", "http", "80; rm -rf /"])
def test_demo_serve_refuses_a_bad_port(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--serve", "--port", port]) == 2
    assert "port" in capsys.readouterr().err


def test_the_storefront_is_found_in_a_clone_and_nowhere_else(tmp_path: Path) -> None:
    assert find_storefront(tmp_path, EXAMPLES) == EXAMPLES
    assert find_storefront() == EXAMPLES  # an editable install finds its clone's examples
    with pytest.raises(UsageError, match="root of a clone"):
        find_storefront(tmp_path)
