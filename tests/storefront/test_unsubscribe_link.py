"""The one-click unsubscribe link (RFC 8058) through Flask's test client: a GET changes
nothing and shows a button; the mail program's POST (``List-Unsubscribe=One-Click``, no
log-in, no CSRF token, from another site) stops the topic; a forged, cut or missing token
changes nothing; in Finnish."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from orderstatus_core import AdapterError, OrderStatus, SignedIn
from orderstatus_core.model.mail_preferences import unsubscribe_token
from orderstatus_core.policies.accounts import account_link
from support.storefront import Shopper
from support.storefront_profile import PROFILE, UNSUBSCRIBE_KEY, done, log_in_jane, profile

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    return profile_desk


@pytest.fixture
def jane(app: Any, desk: OrderStatus, mail_dir: Path) -> Shopper:
    browser = log_in_jane(app, desk, mail_dir)
    done(browser, f"{PROFILE}/mail", {"topic": "newsletter"})
    return browser


@pytest.fixture
def link(jane: Shopper, desk: OrderStatus) -> str:
    """Jane's newsletter link, as the library mails it."""
    who = desk.shopper(client="127.0.0.1", session=jane.client.get_cookie("account_session").value)
    signed_in = who.check()
    assert isinstance(signed_in, SignedIn)
    token = unsubscribe_token(UNSUBSCRIBE_KEY, signed_in.account_id, "newsletter")
    mailed = urlsplit(
        account_link(desk.context.policies.account_policy().link_base, "unsubscribe", token)
    )
    return f"{mailed.path}?{mailed.query}"


def subscribed(jane: Shopper) -> bool:
    return 'value="newsletter" checked' in profile(jane)


def test_a_get_shows_the_button_and_changes_nothing(app: Any, jane: Shopper, link: str) -> None:
    answer = app.test_client().get(link)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'name="List-Unsubscribe" value="One-Click"' in html
    assert "csrf_token" not in html.split("<main", 1)[1]
    assert answer.headers["Cache-Control"] == "no-store"
    assert subscribed(jane)


def test_the_mail_programs_one_click_post_stops_the_topic(
    app: Any, jane: Shopper, link: str
) -> None:
    mail_program = app.test_client(use_cookies=False)
    answer = mail_program.post(
        link,
        data=ONE_CLICK,
        headers={"Origin": "https://webmail.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "You will get no more mail about the newsletter." in answer.get_data(as_text=True)
    assert not subscribed(jane)
    again = mail_program.post(link, data=ONE_CLICK)  # a second click answers the same
    assert again.status_code == 200


def test_the_answer_in_finnish(app: Any, jane: Shopper, link: str) -> None:
    client = app.test_client()
    client.set_cookie("language", "fi")
    answer = client.post(link, data=ONE_CLICK)
    assert "Et saa enää postia aiheesta: uutiskirje." in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda link: link[:-3],  # cut short
        lambda link: link[:-1] + ("A" if link[-1] != "A" else "B"),  # damaged
        lambda _link: "/account/unsubscribe?token=" + "x" * 40,  # forged
        lambda _link: "/account/unsubscribe?token=%3Cscript%3E%27%20OR%201%3D1",  # injection text
    ],
)
def test_a_bad_token_changes_nothing(app: Any, jane: Shopper, link: str, mangle: Any) -> None:
    answer = app.test_client().post(mangle(link), data=ONE_CLICK)
    assert answer.status_code == 400
    assert "<script>" not in answer.get_data(as_text=True)
    assert subscribed(jane)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/account/unsubscribe", ONE_CLICK),  # no token
        ("/account/unsubscribe?token=" + "x" * 2001, ONE_CLICK),  # longer than any token
        ("LINK", {}),  # not a one-click post
        ("LINK", {"List-Unsubscribe": "Two-Clicks"}),
    ],
)
def test_a_post_that_is_not_one_click_is_refused(
    app: Any, jane: Shopper, link: str, path: str, body: dict[str, str]
) -> None:
    answer = app.test_client().post(link if path == "LINK" else path, data=body)
    assert answer.status_code == 400
    assert subscribed(jane)


def test_a_failing_storage_answers_503_without_detail(
    app: Any, desk: OrderStatus, link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    answer = app.test_client().post(link, data=ONE_CLICK)
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)
