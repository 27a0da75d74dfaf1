"""The JSON API's profile settings through Flask's test client: store credit and discount
codes, part watches (watch, the alert once back in stock, stop), mail preferences, the
account's language, the data export, the one-click unsubscribe and the search by vehicle;
their problems, bad input, no session and a failing port."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import AdapterError, CodeIssued, OrderStatus, SignedIn, parse_email
from orderstatus_core.model.mail_preferences import unsubscribe_token
from support.storefront import JANE
from support.storefront_api import API, is_problem
from support.storefront_profile import UNSUBSCRIBE_KEY

WATCHES = f"{API}/account/part-watches"
PREFERENCES = f"{API}/account/mail-preferences"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def desk(profile_desk: OrderStatus) -> OrderStatus:
    return profile_desk


def get(client: Any, session: dict[str, str], path: str) -> Any:
    answer = client.get(f"{API}{path}", headers=session)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_credit_and_an_issued_code(client: Any, session: dict[str, str], desk: OrderStatus) -> None:
    assert get(client, session, "/account/credit") == {"balances": [], "entries": []}
    issued = desk.discounts.issue(parse_email(JANE), percent=10)
    assert isinstance(issued, CodeIssued)
    [code] = get(client, session, "/account/discount-codes")["codes"]
    assert code["code"] == issued.code.shown
    assert (code["percent"], code["amount"], code["status"]) == (10, None, "open")


def test_watch_a_part_get_the_alert_once_and_stop(
    client: Any, session: dict[str, str], desk: OrderStatus, mail_dir: Path
) -> None:
    answer = client.post(WATCHES, json={"part_number": "BP-1234"}, headers=session)
    assert answer.status_code == 201
    assert answer.get_json() == {"part_number": "BP-1234", "already": False}
    again = client.post(WATCHES, json={"part_number": "BP-1234"}, headers=session)
    assert again.get_json()["already"] is True
    assert [w["part_number"] for w in get(client, session, "/account/part-watches")["watches"]] == [
        "BP-1234"
    ]
    removed = client.delete(f"{WATCHES}/BP-1234", headers=session)
    assert removed.status_code == 204
    assert is_problem(client.delete(f"{WATCHES}/BP-1234", headers=session), 404)
    client.post(WATCHES, json={"part_number": "BP-1234"}, headers=session)
    assert desk.catalog.part_back_in_stock("BP-1234").alerts == 1
    assert get(client, session, "/account/part-watches") == {"watches": []}


@pytest.mark.parametrize(
    "body",
    [{}, {"part_number": 12}, {"part_number": "x" * 41}, {"part_number": "BP\x00"}, {"other": 1}],
)
def test_a_bad_watch_is_a_400(client: Any, session: dict[str, str], body: Any) -> None:
    assert is_problem(client.post(WATCHES, json=body, headers=session), 400)
    assert get(client, session, "/account/part-watches") == {"watches": []}


def test_mail_preferences_and_an_unknown_topic(client: Any, session: dict[str, str]) -> None:
    preferences = get(client, session, "/account/mail-preferences")
    assert preferences["subscribed"] == []
    assert "newsletter" in preferences["topics"]
    answer = client.put(PREFERENCES, json={"topics": {"newsletter": True}}, headers=session)
    assert answer.get_json()["subscribed"] == ["newsletter"]
    for bad in ({"topics": {"casino": True}}, {"topics": {"offers": "yes"}}, {"topics": []}):
        assert is_problem(client.put(PREFERENCES, json=bad, headers=session), 400)
    assert get(client, session, "/account/mail-preferences")["subscribed"] == ["newsletter"]


def test_the_language_and_a_code_not_offered(client: Any, session: dict[str, str]) -> None:
    path = f"{API}/account/language"
    assert client.put(path, json={"language": "fi"}, headers=session).get_json() == {
        "language": "fi"
    }
    for bad in ("FI", "sv", "fi-FI", "", "e\u0301n"):
        assert is_problem(client.put(path, json={"language": bad}, headers=session), 400)
    assert get(client, session, "/account")["language"] == "fi"


def test_the_export_is_an_attachment(client: Any, session: dict[str, str]) -> None:
    answer = client.post(f"{API}/account/export", headers=session)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="account-data-')
    assert answer.headers["Cache-Control"] == "no-store"
    assert JANE in json.dumps(json.loads(answer.get_data()))


def test_the_one_click_unsubscribe(client: Any, session: dict[str, str], desk: OrderStatus) -> None:
    client.put(PREFERENCES, json={"topics": {"newsletter": True}}, headers=session)
    who = desk.shopper(client="127.0.0.1", session=session["Authorization"].split()[1]).check()
    assert isinstance(who, SignedIn)
    token = unsubscribe_token(UNSUBSCRIBE_KEY, who.account_id, "newsletter")
    path = f"{API}/unsubscribe?token={token}"
    assert is_problem(client.post(path, data={}), 400)  # not one-click
    assert is_problem(client.post(f"{path[:-2]}", data=ONE_CLICK), 400)  # cut short
    assert get(client, session, "/account/mail-preferences")["subscribed"] == ["newsletter"]
    answer = client.post(path, data=ONE_CLICK)  # no session: the token is the authority
    assert answer.status_code == 200
    assert answer.get_json() == {"topic": "newsletter"}
    assert get(client, session, "/account/mail-preferences")["subscribed"] == []


def test_the_search_by_vehicle_and_its_bad_input(client: Any, session: dict[str, str]) -> None:
    found = get(client, session, "/account/search?year=2019&make=Ford&model=F-150")
    assert found["matches"] == []  # the demo's lines name no vehicle
    assert get(client, session, "/account/search?vehicle_id=nothing")["matches"] == []
    for bad in (
        "year=19&make=Ford&model=F-150",
        "year=2019&make=Ford",
        "year=2019&make=Ford&model=F-150&part_number=BP-1",
    ):
        assert is_problem(client.get(f"{API}/account/search?{bad}", headers=session), 400)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/account/credit"),
        ("get", "/account/discount-codes"),
        ("get", "/account/part-watches"),
        ("get", "/account/mail-preferences"),
        ("post", "/account/export"),
    ],
)
def test_no_session_is_a_401_and_a_failing_storage_a_503(
    client: Any,
    session: dict[str, str],
    desk: OrderStatus,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
) -> None:
    assert is_problem(getattr(client, method)(f"{API}{path}"), 401)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database at 10.0.0.5 is gone: secret-detail")

    monkeypatch.setattr(desk.context.storage, "unit_of_work", fail)
    answer = getattr(client, method)(f"{API}{path}", headers=session)
    assert is_problem(answer, 503)
    assert "secret-detail" not in answer.get_data(as_text=True)
