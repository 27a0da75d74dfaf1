"""The account pages of the example storefront, journey by journey, through Flask's test
client: sign-up by solving the captcha through its test hook (``RecordingCaptcha``), the
mailed links, log-in with keep-me-logged-in, Account Activity, attach, the changes that
need the password again, deletion and the security log; then the cookies, CSRF, hostile
input and failing ports."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from orderstatus_core import AccountPolicy, AdapterError, CaptchaIssued, OrderStatus
from orderstatus_core.testing import FixedClock, RecordingCaptcha
from support.storefront import (
    ACCOUNT_BASE,
    CARLOS_ORDER,
    DELIVERED,
    FRESH,
    JANE,
    PASSWORD,
    SECRET,
    Shopper,
    account_link,
    latest_code,
    open_account_store,
    without_csrf,
)

CARLOS = "carlos.ruiz@example.net"
_HIDDEN_TOKEN = re.compile(r'name="token" value="([^"]+)"')


class Accounts:
    """The store with accounts, its captcha's hook, its clock and the app over it."""

    def __init__(self, desk: OrderStatus, captcha: RecordingCaptcha, clock: FixedClock) -> None:
        self.desk = desk
        self.captcha = captcha
        self.clock = clock


@pytest.fixture
def accounts(mail_url: str) -> Iterator[Accounts]:
    captcha, clock = RecordingCaptcha(), FixedClock(datetime.now(UTC))
    policy = AccountPolicy(link_base=ACCOUNT_BASE, history_page_size=4)
    with open_account_store(mail_url, captcha, policy=policy, clock=clock) as desk:
        yield Accounts(desk, captcha, clock)


@pytest.fixture
def site(storefront: ModuleType, accounts: Accounts, mail_dir: Path) -> Any:
    return storefront.create_app(
        accounts.desk, storefront.Settings(SECRET, local_http=True, demo_mail=mail_dir)
    )


@pytest.fixture
def browser(site: Any) -> Shopper:
    return Shopper(site.test_client())


def cookies(response: Any) -> dict[str, SimpleCookie]:
    """The response's ``Set-Cookie`` headers by cookie name."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        found.update(dict.fromkeys(cookie, cookie))
    return found


def sign_up(browser: Shopper, accounts: Accounts, email: str = JANE) -> Any:
    """Load the sign-up page and answer its captcha rightly."""
    assert browser.get("/account/sign-up").status_code == 200
    challenge = accounts.captcha.issued[-1].challenge_id
    answer = accounts.captcha.answer_for(challenge)
    fields = {"email": email, "challenge_id": challenge, "answer": answer}
    return browser.post("/account/sign-up", fields)


def register(browser: Shopper, accounts: Accounts, mail_dir: Path, email: str = JANE) -> None:
    """Sign up, follow the mailed link's button, set the password."""
    assert sign_up(browser, accounts, email).headers["Location"] == "/account/check-mail"
    accounts.desk.relay_outbox()
    link = account_link(mail_dir, "verify")
    assert browser.get(link).status_code == 200
    verified = browser.post("/account/verify", {"token": link.partition("token=")[2]})
    assert verified.status_code == 200
    token = _HIDDEN_TOKEN.search(verified.get_data(as_text=True))
    assert token is not None
    done = browser.post("/account/set-password", {"token": token[1], "password": PASSWORD})
    assert done.headers["Location"] == "/account/log-in"
    browser.get(done.headers["Location"])  # the page shows (and uses up) the notice


def log_in(browser: Shopper, email: str = JANE, remember: bool = False) -> Any:
    fields = {"email": email, "password": PASSWORD}
    if remember:
        fields["remember"] = "1"
    answer = browser.post("/account/log-in", fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    browser.get(answer.headers["Location"])  # a new CSRF token comes with the session
    return answer


def every_order(browser: Shopper) -> list[str]:
    """The order numbers of Account Activity, every page followed."""
    numbers: list[str] = []
    path: str | None = "/account/activity"
    while path is not None:
        html = browser.get(path).get_data(as_text=True)
        numbers += re.findall(r"<tr><td>(\d+)</td>", html)
        more = re.search(r'href="(/account/activity\?cursor=[^"]+)"', html)
        path = more[1].replace("&amp;", "&") if more else None
    return numbers


def _without_attach_id(response: Any) -> str:
    html = without_csrf(response)
    return re.sub(r'name="attach_id" value="[^"]*"', "", html)


@pytest.fixture
def jane(browser: Shopper, accounts: Accounts, mail_dir: Path) -> Shopper:
    """Jane, signed up and logged in (without keep-me-logged-in)."""
    register(browser, accounts, mail_dir)
    log_in(browser)
    return browser


# --- sign-up, verification, log-in ------------------------------------------------------------


def test_sign_up_shows_the_captcha_image_and_audio_from_this_site(
    browser: Shopper, accounts: Accounts
) -> None:
    """The media come from a route keyed by the challenge id, never a data: address, and
    are never cached."""
    page = browser.get("/account/sign-up").get_data(as_text=True)
    challenge = accounts.captcha.issued[-1]
    assert f'src="/account/captcha/{challenge.challenge_id}.png"' in page
    assert f'href="/account/captcha/{challenge.challenge_id}.wav"' in page
    assert "data:" not in page
    image = browser.get(f"/account/captcha/{challenge.challenge_id}.png")
    assert image.mimetype == "image/png"
    assert image.data == challenge.image
    assert image.headers["Cache-Control"] == "no-store"
    audio = browser.get(f"/account/captcha/{challenge.challenge_id}.wav")
    assert audio.mimetype == "audio/wav"
    assert audio.data == challenge.audio
    assert audio.headers["Cache-Control"] == "no-store"
    assert "script-src" not in audio.headers["Content-Security-Policy"]


def test_a_new_image_is_a_new_challenge_and_keeps_the_email(
    browser: Shopper, accounts: Accounts
) -> None:
    browser.get("/account/sign-up")
    first = accounts.captcha.issued[-1].challenge_id
    page = browser.post(
        "/account/sign-up/new-image", {"challenge_id": first, "email": "jo@example.com"}
    )
    second = accounts.captcha.issued[-1].challenge_id
    assert second != first
    html = page.get_data(as_text=True)
    assert second in html
    assert 'value="jo@example.com"' in html
    assert browser.get(f"/account/captcha/{first}.png").status_code == 404


def test_the_whole_journey_from_sign_up_to_log_out(
    browser: Shopper, accounts: Accounts, mail_dir: Path
) -> None:
    """Sign up, verify from the mail, set a password, log in with keep-me-logged-in, see
    Jane's synced orders, log out: the session ends on the server."""
    answer = sign_up(browser, accounts)
    assert answer.status_code == 303
    mail_page = browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert "We have sent a mail to that address" in mail_page
    accounts.desk.relay_outbox()
    link = account_link(mail_dir, "verify")
    # Following the link (a GET, as a mail scanner does) uses nothing up.
    landing = browser.get(link)
    assert browser.get(link).status_code == landing.status_code == 200
    assert landing.headers["Referrer-Policy"] == "no-referrer"
    assert 'name="token"' in landing.get_data(as_text=True)
    verified = browser.post("/account/verify", {"token": link.partition("token=")[2]})
    set_token = _HIDDEN_TOKEN.search(verified.get_data(as_text=True))
    assert set_token is not None
    short = browser.post("/account/set-password", {"token": set_token[1], "password": "short"})
    assert short.status_code == 400
    assert "too short" in short.get_data(as_text=True)
    done = browser.post("/account/set-password", {"token": set_token[1], "password": PASSWORD})
    assert done.headers["Location"] == "/account/log-in"

    logged = log_in(browser, remember=True)
    session = cookies(logged)["account_session"]["account_session"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"
    assert not session["secure"]  # plain HTTP on 127.0.0.1 only (the demo)
    assert 13 * 86400 < int(session["max-age"]) <= 14 * 86400
    activity = browser.get("/account/activity")
    html = activity.get_data(as_text=True)
    assert activity.headers["Cache-Control"] == "no-store"
    numbers = every_order(browser)
    assert {FRESH, DELIVERED} <= set(numbers)
    assert numbers.index(FRESH) < numbers.index(DELIVERED)  # newest first
    assert FRESH in html

    out = browser.post("/account/log-out")
    assert out.status_code == 303
    gone = cookies(out)["account_session"]["account_session"]
    assert gone["max-age"] == "0" or "1970" in gone["expires"]
    browser.client.set_cookie("account_session", session.value)  # the stolen old cookie
    assert browser.get("/account").headers["Location"] == "/account/log-in"


def test_without_keep_me_logged_in_the_cookie_ends_with_the_browser(
    browser: Shopper, accounts: Accounts, mail_dir: Path
) -> None:
    register(browser, accounts, mail_dir)
    session = cookies(log_in(browser))["account_session"]["account_session"]
    assert session["max-age"] == ""
    assert session["expires"] == ""
    assert browser.get("/account").status_code == 200


def test_the_session_cookie_is_secure_in_production(
    storefront: ModuleType, accounts: Accounts, mail_dir: Path
) -> None:
    app = storefront.create_app(accounts.desk, storefront.Settings(SECRET))
    browser = Shopper(app.test_client())
    register(browser, accounts, mail_dir)
    session = cookies(log_in(browser, remember=True))["account_session"]["account_session"]
    assert session["secure"]
    assert session["httponly"]


def test_a_wrong_captcha_shows_a_new_one_and_the_old_is_used_up(
    browser: Shopper, accounts: Accounts
) -> None:
    browser.get("/account/sign-up")
    challenge = accounts.captcha.issued[-1].challenge_id
    wrong = browser.post(
        "/account/sign-up", {"email": JANE, "challenge_id": challenge, "answer": "nope"}
    )
    assert wrong.status_code == 400
    html = wrong.get_data(as_text=True)
    assert "did not match the picture" in html
    assert accounts.captcha.issued[-1].challenge_id in html
    assert browser.get(f"/account/captcha/{challenge}.png").status_code == 404
    right = browser.post(
        "/account/sign-up",
        {
            "email": JANE,
            "challenge_id": challenge,
            "answer": accounts.captcha.answer_for(challenge),
        },
    )
    assert right.status_code == 400  # answered once, right or wrong


def test_sign_up_answers_the_same_for_an_address_with_an_account(
    browser: Shopper, accounts: Accounts, mail_dir: Path
) -> None:
    """SECURITY A1, A5: the known address gets a notice by mail, the page says the same."""
    register(browser, accounts, mail_dir)
    accounts.clock.advance(timedelta(minutes=4))  # one verification mail per 180 s (C1)
    again = sign_up(Shopper(browser.client.application.test_client()), accounts)
    fresh = sign_up(Shopper(browser.client.application.test_client()), accounts, "new@example.com")
    assert again.status_code == fresh.status_code == 303
    assert again.headers["Location"] == fresh.headers["Location"] == "/account/check-mail"


def test_every_refused_log_in_is_the_same_page(
    browser: Shopper, accounts: Accounts, mail_dir: Path
) -> None:
    """Unknown address, wrong password, malformed address: one answer (A1)."""
    register(browser, accounts, mail_dir)
    answers = [
        browser.post("/account/log-in", {"email": email, "password": password})
        for email, password in [
            ("nobody@example.com", PASSWORD),
            (JANE, "the wrong password entirely"),
            ("not an address", PASSWORD),
        ]
    ]
    assert {answer.status_code for answer in answers} == {400}
    pages = {
        without_csrf(answer).replace(f'value="{email}"', "")
        for answer, email in zip(
            answers, ["nobody@example.com", JANE, "not an address"], strict=True
        )
    }
    assert len(pages) == 1
    assert "do not match an account" in pages.pop()
    assert "account_session" not in "".join(a.headers.get("Set-Cookie", "") for a in answers)


def test_forgot_and_reset_end_every_session(
    browser: Shopper, accounts: Accounts, mail_dir: Path, site: Any
) -> None:
    register(browser, accounts, mail_dir)
    log_in(browser, remember=True)
    other = Shopper(site.test_client())
    known = other.post("/account/forgot", {"email": JANE})
    unknown = other.post("/account/forgot", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert without_csrf(known) == without_csrf(unknown)
    accounts.desk.relay_outbox()
    link = account_link(mail_dir, "reset")
    form = other.get(link)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    token = link.partition("token=")[2]
    assert f'value="{token}"' in form.get_data(as_text=True)
    done = other.post("/account/reset", {"token": token, "password": "a new chain for the bike"})
    assert done.headers["Location"] == "/account/log-in"
    assert browser.get("/account").headers["Location"] == "/account/log-in"  # ended
    used = other.post("/account/reset", {"token": token, "password": "another long password!"})
    assert used.status_code == 400
    assert "That link does not work" in used.get_data(as_text=True)


# --- the account's pages -----------------------------------------------------------------------


def test_account_activity_is_paged_and_searchable(jane: Shopper) -> None:
    first = jane.get("/account/activity").get_data(as_text=True)
    assert first.count("<tr><td>") == 4  # the policy's page size in this test
    more = re.search(r'href="(/account/activity\?cursor=[^"]+)"', first)
    assert more is not None
    second = jane.get(more[1].replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("<tr><td>") >= 1
    assert set(re.findall(r"<tr><td>(\d+)", first)).isdisjoint(re.findall(r"<tr><td>(\d+)", second))
    by_part = jane.get("/account/activity?part_number=bp 12.34").get_data(as_text=True)
    assert DELIVERED in by_part
    assert "BP-1234" in by_part or "BP1234" in by_part.replace("-", "")
    by_category = jane.get("/account/activity?category=Brake %26 Wheel Hub").get_data(as_text=True)
    assert DELIVERED in by_category
    nothing = jane.get("/account/activity?part_number=ZZ-0000").get_data(as_text=True)
    assert "No order has such a part." in nothing


def test_a_past_order_is_attached_with_the_code_mailed_to_its_address(
    jane: Shopper, accounts: Accounts, mail_dir: Path
) -> None:
    """F2: Carlos's order joins Jane's account only with the code mailed to Carlos."""
    assert CARLOS_ORDER not in every_order(jane)
    asked = jane.post("/account/attach", {"order_number": CARLOS_ORDER, "identifier": CARLOS})
    assert asked.status_code == 200
    attach_id = re.search(r'name="attach_id" value="([^"]+)"', asked.get_data(as_text=True))
    assert attach_id is not None
    unknown = jane.post("/account/attach", {"order_number": "399999999", "identifier": CARLOS})
    assert _without_attach_id(unknown) == _without_attach_id(asked)  # the same answer
    accounts.desk.relay_outbox()
    code = latest_code(mail_dir)
    wrong = "000000" if code != "000000" else "111111"
    refused = jane.post("/account/attach/confirm", {"attach_id": attach_id[1], "code": wrong})
    assert refused.status_code == 400
    assert "That code does not work" in refused.get_data(as_text=True)
    done = jane.post("/account/attach/confirm", {"attach_id": attach_id[1], "code": code})
    assert done.headers["Location"] == "/account/activity"
    assert CARLOS_ORDER in every_order(jane)


def test_changing_the_email_asks_for_the_password_again_after_five_minutes(
    jane: Shopper, accounts: Accounts, mail_dir: Path
) -> None:
    """E4: the library answers ReauthenticationRequired; the page asks, a wrong password is
    refused, the right one gives a new session cookie, and the change goes through."""
    accounts.clock.advance(timedelta(minutes=6))
    asked = jane.post("/account/email", {"email": "jane.new@example.com"})
    assert asked.status_code == 200
    assert "enter your password again" in asked.get_data(as_text=True)
    assert 'name="then" value="email"' in asked.get_data(as_text=True)
    wrong = jane.post("/account/reauthenticate", {"then": "email", "password": "not it at all"})
    assert "do not match an account" in wrong.get_data(as_text=True)
    old = jane.client.get_cookie("account_session").value
    again = jane.post("/account/reauthenticate", {"then": "email", "password": PASSWORD})
    assert again.headers["Location"] == "/account/email"
    assert jane.client.get_cookie("account_session").value != old  # a new session id (E2)
    done = jane.post("/account/email", {"email": "jane.new@example.com"})
    assert done.headers["Location"] == "/account"
    accounts.desk.relay_outbox()
    link = account_link(mail_dir, "confirm-email")
    assert jane.get(link).status_code == 200
    confirmed = jane.post("/account/confirm-email", {"token": link.partition("token=")[2]})
    assert confirmed.status_code == 303
    assert "jane.new@example.com" in jane.get("/account").get_data(as_text=True)


def test_reauthenticate_goes_back_only_to_its_own_pages(jane: Shopper) -> None:
    answer = jane.post("/account/reauthenticate", {"then": "//evil.example", "password": PASSWORD})
    assert answer.status_code == 400
    assert "evil.example" not in answer.headers.get("Location", "")


def test_changing_the_password_refuses_a_weak_one_and_ends_other_sessions(
    jane: Shopper, accounts: Accounts, site: Any
) -> None:
    other = Shopper(site.test_client())
    log_in(other)
    weak = jane.post("/account/password", {"password": "password"})
    assert weak.status_code == 400
    assert "too short" in weak.get_data(as_text=True) or "common" in weak.get_data(as_text=True)
    done = jane.post("/account/password", {"password": "a new chain for the blue bike"})
    assert done.headers["Location"] == "/account"
    assert jane.get("/account").status_code == 200
    assert other.get("/account").headers["Location"] == "/account/log-in"


def test_deleting_the_account_ends_it_and_drops_the_cookie(
    jane: Shopper, accounts: Accounts
) -> None:
    accounts.clock.advance(timedelta(minutes=6))
    asked = jane.post("/account/delete")
    assert 'name="then" value="delete"' in asked.get_data(as_text=True)
    jane.post("/account/reauthenticate", {"then": "delete", "password": PASSWORD})
    gone = jane.post("/account/delete")
    assert gone.headers["Location"] == "/"
    assert "account_session" in cookies(gone)
    assert jane.get("/account").headers["Location"] == "/account/log-in"
    refused = jane.post("/account/log-in", {"email": JANE, "password": PASSWORD})
    assert refused.status_code == 400


def test_the_security_log_shows_masked_events_and_no_secret(jane: Shopper) -> None:
    page = jane.get("/account/security")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    for words in ("Signed up", "Email address verified", "Password set", "Logged in"):
        assert words in html
    assert JANE not in html
    assert "@example.com" in html  # masked
    assert html.index("Logged in") < html.index("Signed up")  # newest first


@pytest.mark.parametrize(
    "path",
    ["/account", "/account/activity", "/account/security", "/account/attach",
     "/account/email", "/account/password", "/account/delete"],
)  # fmt: skip
def test_every_account_page_sends_a_stranger_to_log_in(browser: Shopper, path: str) -> None:
    answer = browser.get(path)
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account/log-in"


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/account/email", {"email": "x@example.com"}),
        ("/account/password", {"password": "a long enough new password"}),
        ("/account/delete", {}),
        ("/account/attach", {"order_number": DELIVERED, "identifier": JANE}),
        ("/account/attach/confirm", {"attach_id": "abc", "code": "123456"}),
        ("/account/reauthenticate", {"then": "email", "password": PASSWORD}),
    ],
)
def test_every_account_command_needs_a_live_session(
    browser: Shopper, path: str, fields: dict[str, str]
) -> None:
    browser.get("/account/log-in")
    answer = browser.post(path, fields)
    assert answer.headers["Location"] == "/account/log-in"


def test_the_account_language_is_the_pages_language_after_log_in(
    site: Any, accounts: Accounts, mail_dir: Path
) -> None:
    """Signed up in Finnish, logged in from an English browser: the pages are Finnish."""
    finnish = Shopper(site.test_client())
    finnish.client.set_cookie("language", "fi")
    register(finnish, accounts, mail_dir)
    english = Shopper(site.test_client())
    answer = log_in(english)
    assert cookies(answer)["language"]["language"].value == "fi"
    page = english.get("/account").get_data(as_text=True)
    assert "Tilisi" in page
    assert "Tilin tapahtumat" in page


# --- security ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/account/sign-up", "/account/sign-up/new-image", "/account/log-in", "/account/log-out",
     "/account/forgot", "/account/verify", "/account/set-password", "/account/reset",
     "/account/confirm-email", "/account/email", "/account/delete", "/account/reauthenticate"],
)  # fmt: skip
def test_account_posts_without_the_csrf_token_are_refused(site: Any, path: str) -> None:
    client = site.test_client()
    client.get("/account/log-in")
    refused = client.post(path, data={"email": JANE, "token": "a.b", "password": PASSWORD})
    assert refused.status_code == 400
    assert "expired or came from another site" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    ["/account/log-out", "/account/set-password", "/account/reauthenticate",
     "/account/attach/confirm", "/account/sign-up/new-image"],
)  # fmt: skip
def test_account_state_changes_are_post_only(browser: Shopper, path: str) -> None:
    answer = browser.get(path)
    assert answer.status_code == 405
    assert "POST" in answer.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    ["/account/verify", "/account/verify?token=" + "x" * 201, "/account/reset",
     "/account/confirm-email", "/account/captcha/unknown.png", "/account/captcha/x.gif",
     "/account/captcha/%3Cscript%3E.png", "/account/no-such-page"],
)  # fmt: skip
def test_a_missing_or_malformed_link_is_the_one_not_found_page(browser: Shopper, path: str) -> None:
    answer = browser.get(path)
    assert answer.status_code == 404
    assert "We could not find an order" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "token",
    ["", "x" * 200, "abc.def", "<script>alert(1)</script>", "tok\x00en", "\u202etoken",
     "' OR 1=1 --"],
)  # fmt: skip
def test_a_bad_token_is_refused_without_a_trace(browser: Shopper, token: str) -> None:
    browser.get("/account/log-in")
    for path in ("/account/verify", "/account/reset", "/account/confirm-email"):
        answer = browser.post(path, {"token": token, "password": PASSWORD})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, path
        assert "Traceback" not in html
        assert "<script>alert" not in html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "a" * 255),
        ("email", "jane.doe@example.com\r\nBcc: mallory@example.com"),
        ("email", "jane\x00@example.com"),
        ("email", "<script>alert(1)</script>@example.com"),
        ("password", "p" * 513),
    ],
)
def test_hostile_log_in_input_never_breaks_the_page(
    browser: Shopper, field: str, value: str
) -> None:
    browser.get("/account/log-in")
    answer = browser.post("/account/log-in", {"email": JANE, "password": PASSWORD, field: value})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "Traceback" not in html
    assert "<script>alert" not in html  # what is shown again is escaped
    assert "account_session" not in answer.headers.get("Set-Cookie", "")


def test_captcha_media_are_bounded_and_expire(storefront: ModuleType) -> None:
    """A flood of new images never grows the kept media past its bound in bytes (C5)."""
    media = storefront.account.CaptchaMedia(max_bytes=30)
    now = datetime.now(UTC)
    for n in range(10):
        media.keep(CaptchaIssued(f"id{n}", now + timedelta(minutes=10), b"p" * 4, b"w" * 6))
    assert len(media) == 3
    assert media.size == 30
    assert media.get("id0", now) is None
    assert media.get("id9", now) == (b"pppp", b"wwwwww")
    media.drop("id9")
    assert media.size == 20
    assert media.get("id8", now + timedelta(minutes=11)) is None
    assert media.size == 10


@pytest.mark.parametrize(
    ("path", "command", "error", "status"),
    [
        ("/account/sign-up", "new_captcha", AdapterError("captcha down: secret-detail"), 503),
        ("/account/sign-up", "new_captcha", RuntimeError("secret-detail in app.py"), 500),
    ],
)
def test_a_failing_port_on_a_page_shows_no_detail(
    browser: Shopper,
    accounts: Accounts,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    command: str,
    error: Exception,
    status: int,
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(accounts.desk, command, fail)
    answer = browser.get(path)
    assert answer.status_code == status
    assert "secret-detail" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("command", ["log_in", "forgot_password", "sign_up"])
def test_a_failing_store_on_a_form_answers_503(
    browser: Shopper, accounts: Accounts, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    browser.get("/account/log-in")
    monkeypatch.setattr(accounts.desk, command, fail)
    path = {"log_in": "/account/log-in", "forgot_password": "/account/forgot"}.get(
        command, "/account/sign-up"
    )
    answer = browser.post(path, {"email": JANE, "password": PASSWORD, "challenge_id": "x"})
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)


def test_a_failing_storage_under_a_logged_in_page_answers_503(
    jane: Shopper, accounts: Accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database is gone: secret-detail")

    monkeypatch.setattr(accounts.desk.context.storage, "unit_of_work", fail)
    answer = jane.get("/account/activity")
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)


def test_a_failing_mailer_never_changes_the_sign_up_answer(
    browser: Shopper, accounts: Accounts, monkeypatch: pytest.MonkeyPatch, site: Any
) -> None:
    """A3: the mail port is down; the page answers as ever and the mail waits."""
    before = sign_up(browser, accounts, "first@example.com")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("smtp down")

    monkeypatch.setattr(accounts.desk.context.mailer, "send", refuse)
    after = sign_up(Shopper(site.test_client()), accounts, "second@example.com")
    assert after.status_code == before.status_code == 303
    assert after.headers["Location"] == before.headers["Location"]
    assert accounts.desk.relay_outbox().failed >= 1


def test_too_many_log_ins_answer_429(browser: Shopper) -> None:
    browser.get("/account/log-in")
    statuses = [
        browser.post(
            "/account/log-in", {"email": JANE, "password": f"wrong password {n}"}
        ).status_code
        for n in range(12)
    ]
    assert statuses[-1] == 429
    assert set(statuses) <= {400, 429}


def test_new_images_are_limited_per_client(browser: Shopper) -> None:
    """C3: a flood of new images answers 429 with ``Retry-After``, not a new challenge."""
    statuses = [browser.get("/account/sign-up").status_code for _ in range(40)]
    assert statuses[-1] == 429
    assert set(statuses) <= {200, 429}
    assert int(browser.get("/account/sign-up").headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    "query",
    ["cursor=not-a-cursor", "cursor=" + "A" * 200, "part_number=%00", "category=" + "x" * 300],
)
def test_a_hostile_activity_query_never_breaks_the_page(jane: Shopper, query: str) -> None:
    answer = jane.get(f"/account/activity?{query}")
    assert answer.status_code in (200, 400)
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.mark.parametrize("cookie", ["x" * 3000, "<script>", "a.b", "éé", "' OR 1=1 --", ""])
def test_a_forged_session_cookie_is_not_logged_in(site: Any, cookie: str) -> None:
    client = site.test_client()
    client.set_cookie("account_session", cookie)
    answer = client.get("/account/activity")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account/log-in"
