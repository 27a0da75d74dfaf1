"""The Profile's settings sections through Flask's test client: store credit and discount
codes, availability alerts (watch, the alert mail once staff report the part back,
remove), mail preferences and the account's language (the pages follow it), and the data
download; in English and Finnish; bad input, no session, CSRF, failing ports."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import AdapterError, CodeIssued, CreditEntry, Money, OrderStatus, parse_email
from support.storefront import JANE, Shopper
from support.storefront_api import PASSWORD
from support.storefront_profile import PROFILE, done, log_in_jane, profile, text

ALERTS, MAIL, LANGUAGE, EXPORT = (
    f"{PROFILE}/alerts",
    f"{PROFILE}/mail",
    f"{PROFILE}/language",
    f"{PROFILE}/export",
)


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    return profile_desk


@pytest.fixture
def jane(app: Any, desk: OrderStatus, mail_dir: Path) -> Shopper:
    return log_in_jane(app, desk, mail_dir)


def _mails(mail_dir: Path) -> list[str]:
    return [path.read_text(errors="replace") for path in sorted(mail_dir.rglob("*.eml"))]


# --- store credit and discount codes ---------------------------------------------------------


def test_credit_and_codes_start_empty(jane: Shopper) -> None:
    page = profile(jane)
    assert "You have no store credit." in page
    assert "You have no discount codes." in page


def test_the_balance_its_history_and_an_issued_code(jane: Shopper, desk: OrderStatus) -> None:
    with desk.context.storage.unit_of_work(write=True) as uow:
        key = parse_email(JANE).canonical
        at = datetime(2026, 11, 1, 12, tzinfo=UTC)
        uow.credit.append(CreditEntry("refund:1", key, Money("12.50", "USD"), at, "refund R-1"))
        uow.commit()
    issued = desk.discounts.issue(parse_email(JANE), percent=10)
    assert isinstance(issued, CodeIssued)
    page = profile(jane)
    assert "$12.50" in page
    assert "refund R-1" in page
    assert issued.code.shown in page
    assert "10 % off" in page
    assert "Not used yet" in page


# --- availability alerts ---------------------------------------------------------------------


def test_watch_a_part_get_the_mail_once_it_is_back_and_the_watch_is_gone(
    jane: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    page = done(jane, ALERTS, {"part_number": "BP-1234"})
    assert "We will mail you when BP-1234 is back in stock." in page
    assert "You are already watching BP-1234." in done(jane, ALERTS, {"part_number": "BP-1234"})
    desk.catalog.part_back_in_stock("BP-1234")
    desk.relay_outbox()
    assert any("BP-1234" in mail and "back in stock" in mail for mail in _mails(mail_dir))
    assert "You watch no parts." in profile(jane)  # a watch fires once


def test_remove_a_watch(jane: Shopper) -> None:
    done(jane, ALERTS, {"part_number": "BP-1234"})
    page = done(jane, f"{ALERTS}/remove", {"part_number": "BP-1234"})
    assert "You no longer watch BP-1234." in page
    assert "You watch no parts." in page
    assert jane.post(f"{ALERTS}/remove", {"part_number": "BP-1234"}).status_code == 404


@pytest.mark.parametrize("part_number", ["", "x" * 41, "BP\x00-1", "BP-1\u202e2"])
def test_a_bad_part_number_is_the_400_page_and_watches_nothing(
    jane: Shopper, part_number: str
) -> None:
    answer = jane.post(ALERTS, {"part_number": part_number})
    assert answer.status_code == 400
    assert "<script>" not in answer.get_data(as_text=True)
    assert "You watch no parts." in profile(jane)


def test_injection_text_is_kept_as_text(jane: Shopper) -> None:
    """The library takes what a part number may hold; the page shows it escaped."""
    answer = jane.post(ALERTS, {"part_number": "<script>"})
    assert answer.status_code == 303
    page = jane.get(PROFILE).get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


# --- mail preferences and language -------------------------------------------------------------


def test_topics_are_checkboxes_that_subscribe_and_stop(jane: Shopper) -> None:
    page = profile(jane)
    assert 'name="topic" value="newsletter">' in page  # nobody subscribed until asked
    page = done(jane, MAIL, {"topic": "newsletter"})
    assert "Your mail preferences are saved." in page
    assert 'value="newsletter" checked' in page
    assert 'value="offers" checked' not in page
    page = done(jane, MAIL, {})
    assert 'value="newsletter" checked' not in page


def test_an_unknown_topic_is_refused_and_changes_nothing(jane: Shopper) -> None:
    done(jane, MAIL, {"topic": "newsletter"})
    answer = jane.post(MAIL, {"topic": "casino"})
    assert answer.status_code == 400
    page = profile(jane)
    assert 'value="newsletter" checked' in page
    assert 'value="offers" checked' not in page


def test_finnish_as_the_account_language_turns_the_pages_finnish(jane: Shopper) -> None:
    answer = jane.post(LANGUAGE, {"language": "fi"})
    assert answer.status_code == 303
    assert "language=fi" in answer.headers["Set-Cookie"]
    page = profile(jane)
    assert "Kielesi on tallennettu." in page
    assert "<h1>Profiili</h1>" in page
    assert '<option value="fi" lang="fi" selected>' in page
    # the header's switch changes this browser's pages only, not the account's language
    jane.post("/language", {"language": "en", "next": PROFILE})
    page = profile(jane)
    assert "<h1>Profile</h1>" in page
    assert '<option value="fi" lang="fi" selected>' in page


def test_the_account_language_is_the_pages_language_at_the_next_log_in(
    app: Any, jane: Shopper
) -> None:
    jane.post(LANGUAGE, {"language": "fi"})
    browser = Shopper(app.test_client())
    browser.get("/account/log-in")
    browser.post("/account/log-in", {"email": JANE, "password": PASSWORD})
    assert "<h1>Profiili</h1>" in profile(browser)


@pytest.mark.parametrize("language", ["sv", "FI", "fi-FI", "", "e\u0301n", "x" * 9])
def test_a_language_not_offered_is_refused(jane: Shopper, language: str) -> None:
    assert jane.post(LANGUAGE, {"language": language}).status_code == 400
    assert '<option value="en" lang="en" selected>' in profile(jane)


# --- the data download -------------------------------------------------------------------------


def test_download_my_data_is_an_attachment_that_is_never_stored(jane: Shopper) -> None:
    answer = jane.post(EXPORT)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    assert re.fullmatch(
        r'attachment; filename="account-data-\d{4}-\d\d-\d\d\.json"',
        answer.headers["Content-Disposition"],
    )
    assert answer.headers["Cache-Control"] == "no-store"
    document = json.loads(answer.get_data())
    assert JANE in json.dumps(document)


def test_the_password_page_comes_back_to_the_profile(jane: Shopper) -> None:
    jane.get(PROFILE)
    answer = jane.post("/account/reauthenticate", {"then": "export", "password": PASSWORD})
    assert answer.status_code == 303
    assert answer.headers["Location"] == PROFILE


# --- no session, CSRF, POST only, failing ports ------------------------------------------------


@pytest.mark.parametrize("path", [ALERTS, f"{ALERTS}/remove", MAIL, LANGUAGE, EXPORT])
def test_without_a_session_every_change_sends_to_log_in(shopper: Shopper, path: str) -> None:
    shopper.get("/")
    answer = shopper.post(path, {"part_number": "BP-1234", "language": "fi"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account/log-in"


@pytest.mark.parametrize("path", [ALERTS, MAIL, LANGUAGE, EXPORT])
def test_changes_need_the_csrf_token_and_a_post(jane: Shopper, path: str) -> None:
    refused = jane.client.post(path, data={"part_number": "BP-1234", "language": "fi"})
    assert refused.status_code == 400
    assert jane.client.get(path).status_code == 405
    page = profile(jane)
    assert "You watch no parts." in page
    assert "<h1>Profile</h1>" in page


@pytest.mark.parametrize(("method", "path"), [("get", PROFILE), ("post", ALERTS), ("post", EXPORT)])
def test_a_failing_storage_answers_503_without_detail(
    jane: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch, method: str, path: str
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    answer = jane.get(path) if method == "get" else jane.post(path, {"part_number": "BP-1234"})
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)


def test_the_settings_sections_in_finnish(jane: Shopper) -> None:
    jane.post("/language", {"language": "fi", "next": PROFILE})
    page = profile(jane)
    for words in ("Hyvitys ja alennuskoodit", "Saatavuusilmoitukset", "Posti ja kieli"):
        assert words in page
    assert "Lataa tietoni" in text(jane.get(PROFILE))
