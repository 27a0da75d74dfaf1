"""The staff desk's profile commands at /staff: issue a discount code to an account's
email (the shopper sees it on their Profile), report a part back in stock (the watcher's
alert mail is in the mailbox); refusals, hostile input, no login, no CSRF token, a failing
port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_staff import clerk, guest, staff_app

from orderstatus_core import AdapterError, OrderStatus
from support.storefront import JANE, Shopper
from support.storefront_profile import PROFILE, done, log_in_jane, profile

__all__ = ["clerk", "guest", "staff_app"]


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    return profile_desk


@pytest.fixture
def jane(staff_app: Any, desk: OrderStatus, mail_dir: Path) -> Shopper:
    return log_in_jane(staff_app, desk, mail_dir)


def notice(answer: Any, browser: Shopper) -> str:
    assert answer.status_code == 303, answer.get_data(as_text=True)
    return str(browser.get(answer.headers["Location"]).get_data(as_text=True))


@pytest.mark.parametrize(
    ("worth", "shown"), [({"percent": "15"}, "15 % off"), ({"amount": "5.00"}, "$5.00")]
)
def test_a_code_issued_at_the_desk_is_on_the_shoppers_profile(
    clerk: Shopper, jane: Shopper, worth: dict[str, str], shown: str
) -> None:
    page = notice(clerk.post("/staff/discount-code", {"email": JANE, **worth}), clerk)
    assert f"issued to {JANE}." in page
    assert shown in profile(jane)
    assert "Not used yet" in profile(jane)


@pytest.mark.parametrize(
    "email",
    ["nobody@example.com", JANE.replace("example", "exam\u0440le")],  # a Cyrillic er
)
def test_an_email_without_an_account_is_refused(clerk: Shopper, jane: Shopper, email: str) -> None:
    answer = clerk.post("/staff/discount-code", {"email": email, "percent": "10"})
    assert answer.status_code == 404
    assert "No verified account has that email address." in answer.get_data(as_text=True)
    assert "You have no discount codes." in profile(jane)


@pytest.mark.parametrize(
    "fields",
    [
        {"email": JANE},  # no worth
        {"email": JANE, "percent": "10", "amount": "5.00"},  # both
        {"email": JANE, "percent": "101"},
        {"email": JANE, "percent": "-5"},
        {"email": JANE, "amount": "5,00"},
        {"email": JANE, "amount": "1e9"},
        {"email": "not an email", "percent": "10"},
        {"email": "<script>@x.com", "percent": "10"},
    ],
)
def test_bad_discount_input_is_a_400_and_issues_nothing(
    clerk: Shopper, jane: Shopper, fields: dict[str, str]
) -> None:
    answer = clerk.post("/staff/discount-code", fields)
    assert answer.status_code == 400
    assert "<script>" not in answer.get_data(as_text=True)
    assert "You have no discount codes." in profile(jane)


def test_a_part_back_in_stock_mails_its_watcher(
    clerk: Shopper, jane: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    done(jane, f"{PROFILE}/alerts", {"part_number": "BP-1234"})
    page = notice(clerk.post("/staff/back-in-stock", {"part_number": "BP-1234"}), clerk)
    assert "Part BP-1234 is back in stock: 1 alerts queued." in page
    again = notice(clerk.post("/staff/back-in-stock", {"part_number": "BP-1234"}), clerk)
    assert "0 alerts queued." in again  # each watcher is mailed once
    desk.relay_outbox()
    mails = [path.read_text(errors="replace") for path in mail_dir.rglob("*.eml")]
    assert sum("BP-1234" in mail and "back in stock" in mail for mail in mails) == 1


@pytest.mark.parametrize("part_number", ["", "x" * 41, "BP\x00-1"])
def test_a_bad_part_number_is_a_400(clerk: Shopper, part_number: str) -> None:
    assert clerk.post("/staff/back-in-stock", {"part_number": part_number}).status_code == 400


@pytest.mark.parametrize("path", ["/staff/discount-code", "/staff/back-in-stock"])
def test_the_commands_need_the_staff_login_and_the_csrf_token(
    guest: Shopper, clerk: Shopper, jane: Shopper, path: str
) -> None:
    guest.get("/")
    fields = {"email": JANE, "percent": "10", "part_number": "BP-1234"}
    assert guest.post(path, fields).status_code in (303, 404)
    assert clerk.client.post(path, data=fields).status_code == 400
    assert "You have no discount codes." in profile(jane)


def test_a_failing_storage_answers_503(
    clerk: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    for path in ("/staff/discount-code", "/staff/back-in-stock"):
        answer = clerk.post(path, {"email": JANE, "percent": "10", "part_number": "BP-1234"})
        assert answer.status_code == 503
        assert "secret-detail" not in answer.get_data(as_text=True)
