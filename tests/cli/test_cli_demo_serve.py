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
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import (
    Account,
    MailSubscription,
    OrderStatus,
    StoreMail,
    StoreMailQueued,
    UnsubscribeRefused,
    parse_email,
)
from orderstatus_core.cli import main
from orderstatus_core.cli._common import UsageError
from orderstatus_core.cli._demo_profile import DEMO_STORE_MAIL
from orderstatus_core.cli._serve import find_storefront
from orderstatus_core.testing import queued_mail
from support.accounts import token_of
from support.paths import EXAMPLES, ROOT
from support.storefront import import_storefront

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


def test_demo_serve_signs_store_mail_with_a_key_of_its_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Store mail queued in the served store carries a one-click link to it that the
    storefront answers (the topic stops), signed with a key drawn for each run: the first
    run's link is refused by the second's store."""
    storefront = import_storefront()
    links: list[str] = []

    def serve(app: Any, desk: OrderStatus, host: str, port: int) -> None:
        now = datetime.now(UTC)
        email = parse_email("jane.doe@example.com")
        account = Account("acct-serve-01", email, "active", now, verified_at=now)
        with desk.context.storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.accounts.subscribe(MailSubscription(account.account_id, "newsletter", now))
            uow.commit()
        if links:  # the link of the run before, signed with its key
            assert isinstance(desk.unsubscribe(token_of(links[0])), UnsubscribeRefused)
        queued = desk.queue_store_mail("newsletter", DEMO_STORE_MAIL)
        assert queued == StoreMailQueued(topic="newsletter", queued=1)
        (mail,) = [m for m in queued_mail(desk.context) if isinstance(m, StoreMail)]
        link = mail.unsubscribe_url
        assert link.startswith(f"http://{host}:{port}/account/unsubscribe?token=")
        # The link goes to this plain-HTTP server on the loopback address: the mail is
        # delivered to the demo's mail folder with its one-click headers, not dead-lettered.
        relayed = desk.relay_outbox()
        assert (relayed.sent, relayed.dead) == (1, 0), relayed
        (written,) = (tmp_path / "demo" / "mail").glob("*.eml")
        headers = BytesParser(policy=default).parsebytes(written.read_bytes(), headersonly=True)
        assert headers["List-Unsubscribe"] == f"<{link}>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        mail_program = app.test_client(use_cookies=False)
        answer = mail_program.post(
            link.split(str(port), 1)[1], data={"List-Unsubscribe": "One-Click"}
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        with desk.context.storage.unit_of_work() as uow:
            assert list(uow.accounts.mail_subscriptions(account.account_id)) == []
        links.append(link)

    monkeypatch.setattr(storefront, "serve", serve)
    for _run in range(2):
        assert main(["demo", "--serve", "--dir", str(tmp_path / "demo"), "--port", "8123"]) == 0
    assert len(links) == 2
    assert token_of(links[0]) != token_of(links[1])
    assert "password for this run" in capsys.readouterr().out
