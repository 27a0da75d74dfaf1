"""The staff desk at /staff: its own login and cookie, each command's success and
refusal, CSRF, hostile input and a failing port."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from test_guest_pages import _return_fields, notices, order_of, verify

from orderstatus_core import AdapterError, ConflictError, OrderStatus
from support.storefront import FRESH, PROCESSING, RETURNABLE, SECRET, Shopper, without_csrf

STAFF_PASSWORD = "staff-desk-password-for-tests"
UPS = "1Z999AA10123456784"


@pytest.fixture
def staff_app(storefront: ModuleType, desk: OrderStatus, mail_dir: Path) -> Any:
    settings = storefront.Settings(
        SECRET, local_http=True, demo_mail=mail_dir, staff_password=STAFF_PASSWORD
    )
    return storefront.create_app(desk, settings)


@pytest.fixture
def clerk(staff_app: Any) -> Shopper:
    """A member of staff, logged in."""
    client = Shopper(staff_app.test_client())
    client.get("/staff/log-in")
    answer = client.post("/staff/log-in", {"password": STAFF_PASSWORD})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/staff/"
    return client


@pytest.fixture
def guest(staff_app: Any) -> Shopper:
    """A shopper of the same app."""
    return Shopper(staff_app.test_client())


def _ship_fields(**extra: str) -> dict[str, str]:
    return {
        "order_number": FRESH,
        "units": "1:1",
        "carrier": "UPS",
        "tracking_number": UPS,
        **extra,
    }


# --- login ---------------------------------------------------------------------------------


def test_the_desk_is_off_without_a_password(shopper: Shopper, app: Any) -> None:
    not_found = shopper.get("/no-such-page")
    for path in ("/staff/", "/staff/log-in"):
        page = shopper.get(path)
        assert page.status_code == 404
        assert without_csrf(page) == without_csrf(not_found)
    assert shopper.post("/staff/log-in", {"password": "x" * 20}).status_code == 404
    assert shopper.post("/staff/ship", _ship_fields()).status_code == 404


def test_a_short_staff_password_is_refused(storefront: ModuleType) -> None:
    for bad in ("short", 12345678901234567, "x" * 201):
        with pytest.raises(ValueError, match="staff_password"):
            storefront.Settings(SECRET, staff_password=bad)
    assert "password" not in repr(storefront.Settings(SECRET, staff_password="p" * 16))


def test_log_in_sets_a_strict_httponly_cookie_and_log_out_ends_it(
    staff_app: Any, storefront: ModuleType, desk: OrderStatus
) -> None:
    client = Shopper(staff_app.test_client())
    first = client.get("/staff/")
    assert first.status_code == 303
    assert first.headers["Location"] == "/staff/log-in"
    login = client.get("/staff/log-in")
    assert login.headers["Cache-Control"] == "no-store"
    answer = client.post("/staff/log-in", {"password": STAFF_PASSWORD})
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("staff_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Path=/staff" in cookie
    assert "Secure" not in cookie  # the demo's plain HTTP on 127.0.0.1
    assert STAFF_PASSWORD not in cookie
    desk_page = client.get("/staff/")
    assert desk_page.status_code == 200
    assert desk_page.headers["Cache-Control"] == "no-store"
    assert "Ship a package" in desk_page.get_data(as_text=True)
    out = client.post("/staff/log-out")
    assert out.status_code == 303
    assert client.get("/staff/").status_code == 303
    # In production the cookie is Secure too.
    settings = storefront.Settings(SECRET, staff_password=STAFF_PASSWORD)
    secure = Shopper(storefront.create_app(desk, settings).test_client())
    secure.get("https://localhost/staff/log-in")
    answer = secure.post("https://localhost/staff/log-in", {"password": STAFF_PASSWORD})
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("staff_session="))
    assert "Secure" in cookie


@pytest.mark.parametrize(
    "password",
    ["wrong", "", STAFF_PASSWORD + "x", STAFF_PASSWORD.upper(), "sälasana🙂\u202e", "x" * 5000],
)
def test_a_wrong_password_is_refused(staff_app: Any, password: str) -> None:
    client = Shopper(staff_app.test_client())
    client.get("/staff/log-in")
    answer = client.post("/staff/log-in", {"password": password})
    assert answer.status_code in (403, 413)
    assert not any(c.startswith("staff_session=") for c in answer.headers.getlist("Set-Cookie"))
    assert client.get("/staff/").status_code == 303


def test_a_forged_or_other_password_cookie_is_not_a_login(
    staff_app: Any, storefront: ModuleType, desk: OrderStatus, clerk: Shopper
) -> None:
    forged = Shopper(staff_app.test_client())
    forged.client.set_cookie("staff_session", "1234.abcd.efgh", path="/staff")
    assert forged.get("/staff/").status_code == 303
    # A new password ends the sessions of the old one.
    cookie = clerk.client.get_cookie("staff_session", path="/staff")
    assert cookie is not None
    other = storefront.Settings(SECRET, local_http=True, staff_password="another-password-16")
    fresh = Shopper(storefront.create_app(desk, other).test_client())
    fresh.client.set_cookie("staff_session", cookie.value, path="/staff")
    assert fresh.get("/staff/").status_code == 303


def test_a_command_needs_the_login(guest: Shopper, desk: OrderStatus) -> None:
    guest.get("/")
    answer = guest.post("/staff/ship", _ship_fields())
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/staff/log-in"
    assert all(p.shipped_at is None for p in order_of(desk, FRESH).packages)


def test_a_post_without_the_csrf_token_is_refused(clerk: Shopper, desk: OrderStatus) -> None:
    answer = clerk.client.post("/staff/ship", data=_ship_fields())
    assert answer.status_code == 400
    assert "expired" in answer.get_data(as_text=True)
    login = clerk.client.post("/staff/log-in", data={"password": STAFF_PASSWORD})
    assert login.status_code == 400
    assert order_of(desk, FRESH).packages == ()


def test_the_desk_speaks_finnish(clerk: Shopper) -> None:
    page = clerk.get("/staff/", headers={"Accept-Language": "fi"})
    html = page.get_data(as_text=True)
    assert "Henkilökunnan työpöytä" in html
    assert "Lähetä paketti" in html


# --- ship ----------------------------------------------------------------------------------


def test_ship_a_new_package_then_the_guest_sees_it(
    clerk: Shopper, guest: Shopper, desk: OrderStatus
) -> None:
    answer = clerk.post("/staff/ship", _ship_fields(package="BOX-1"))
    assert answer.status_code == 303
    assert (
        "package BOX-1 shipped with UPS" in notices(clerk.get("/staff/").get_data(as_text=True))[0]
    )
    (package,) = order_of(desk, FRESH).packages
    assert (package.package_id, package.carrier, package.tracking_number) == ("BOX-1", "UPS", UPS)
    assert guest.find("jane.doe@example.com", FRESH).status_code == 303
    assert UPS in guest.get(f"/order/{FRESH}").get_data(as_text=True)


def test_ship_a_package_already_in_processing(clerk: Shopper, desk: OrderStatus) -> None:
    (waiting,) = [p for p in order_of(desk, PROCESSING).packages if p.shipped_at is None]
    fields = _ship_fields(order_number=PROCESSING, package=waiting.package_id, units="")
    assert clerk.post("/staff/ship", fields).status_code == 303
    shipped = [p for p in order_of(desk, PROCESSING).packages if p.package_id == waiting.package_id]
    assert shipped[0].tracking_number == UPS


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"units": "1:999"}, "units_unavailable"),
        ({"units": "99:1"}, "unknown_line"),
        ({"units": "", "package": "NOPE"}, ""),
    ],
)
def test_a_shipment_the_order_refuses_says_why(
    clerk: Shopper, desk: OrderStatus, fields: dict[str, str], code: str
) -> None:
    answer = clerk.post("/staff/ship", _ship_fields(**fields))
    assert answer.status_code == 409
    assert code in answer.get_data(as_text=True)
    assert order_of(desk, FRESH).packages == ()


def test_an_unknown_order_is_the_not_found_page(clerk: Shopper) -> None:
    answer = clerk.post("/staff/ship", _ship_fields(order_number="999999999"))
    assert answer.status_code == 404
    assert "We could not find an order" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"order_number": "3021'; DROP TABLE orders;--"},
        {"order_number": "3" * 33},
        {"order_number": "３０２１０５７３３"},
        {"package": "<script>alert(1)</script>"},
        {"package": "P" * 65},
        {"units": "1:1; 2:2"},
        {"units": "one:1"},
        {"units": "1:1, 1:1"},
        {"units": ",".join(["1:1"] * 51)},
        {"units": "x" * 401},
        {"carrier": "Pony Express"},
        {"carrier": "UPS\u0000"},
        {"tracking_number": "1Z999AA10123456785"},  # a wrong check digit
        {"tracking_number": "9" * 65},
        {"tracking_number": "1Z999AA1012345678\u202e4"},
    ],
)
def test_hostile_shipping_input_is_a_400(
    clerk: Shopper, desk: OrderStatus, fields: dict[str, str]
) -> None:
    answer = clerk.post("/staff/ship", _ship_fields(**fields))
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "Traceback" not in html
    assert order_of(desk, FRESH).packages == ()


@pytest.mark.parametrize("command", ["start_processing", "ship"])
def test_a_failing_store_answers_the_error_page(
    clerk: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("secret-detail")

    monkeypatch.setattr(desk, "warehouse", _Failing(desk.warehouse, command, fail))
    answer = clerk.post("/staff/ship", _ship_fields())
    assert answer.status_code == 503
    html = answer.get_data(as_text=True)
    assert "secret-detail" not in html
    assert "cannot answer right now" in html


class _Failing:
    """A staff service with one command replaced."""

    def __init__(self, inner: object, name: str, replacement: object) -> None:
        self._inner, self._name, self._replacement = inner, name, replacement

    def __getattr__(self, name: str) -> Any:
        return self._replacement if name == self._name else getattr(self._inner, name)


# --- returns -------------------------------------------------------------------------------


def _a_return(guest: Shopper, desk: OrderStatus, mail_dir: Path) -> str:
    """Jane returns one unit of line 1 of RETURNABLE; its RMA number."""
    verify(guest, desk, mail_dir, RETURNABLE)
    assert guest.post(f"/order/{RETURNABLE}/return", _return_fields()).status_code == 303
    (request,) = order_of(desk, RETURNABLE).returns
    (package,) = request.packages
    return str(package.rma_number)


def test_receive_and_inspect_a_return(
    clerk: Shopper, guest: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    rma = _a_return(guest, desk, mail_dir)
    fields = {"order_number": RETURNABLE, "rma": rma}
    # Not received yet: inspection is refused.
    early = clerk.post("/staff/inspect", {**fields, "accepted": "1:1"})
    assert early.status_code == 409
    assert clerk.post("/staff/receive", fields).status_code == 303
    again = clerk.post("/staff/receive", fields)
    assert again.status_code == 409
    note = "Boxed well <b>thanks</b> — kiitos"
    inspected = clerk.post("/staff/inspect", {**fields, "accepted": "1:1", "note": note})
    assert inspected.status_code == 303
    assert "inspected" in notices(clerk.get("/staff/").get_data(as_text=True))[0]
    (package,) = order_of(desk, RETURNABLE).returns[0].packages
    assert package.state.value == "inspected"
    assert package.note == note


def test_an_unknown_rma_and_hostile_return_input(
    clerk: Shopper, guest: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    rma = _a_return(guest, desk, mail_dir)
    unknown = clerk.post("/staff/receive", {"order_number": RETURNABLE, "rma": "RMA-NOPE"})
    assert unknown.status_code == 409
    assert "unknown_rma" in unknown.get_data(as_text=True)
    for fields in (
        {"order_number": RETURNABLE, "rma": "../../etc/passwd"},
        {"order_number": RETURNABLE, "rma": "R" * 41},
        {"order_number": RETURNABLE, "rma": rma, "accepted": "1:-1"},
        {"order_number": RETURNABLE, "rma": rma, "accepted": "1:1", "note": "n" * 501},
        {"order_number": RETURNABLE, "rma": rma, "accepted": "1:1", "note": "bell\u0007"},
    ):
        path = "/staff/inspect" if "accepted" in fields else "/staff/receive"
        assert clerk.post(path, fields).status_code == 400, fields
    (package,) = order_of(desk, RETURNABLE).returns[0].packages
    assert package.state.value != "inspected"


# --- changes -------------------------------------------------------------------------------


def _a_change(guest: Shopper, desk: OrderStatus, mail_dir: Path) -> str:
    verify(guest, desk, mail_dir, FRESH)
    answer = guest.post(f"/order/{FRESH}/change", {"kind": "speed", "speed": "overnight"})
    assert answer.status_code == 303
    (request,) = order_of(desk, FRESH).change_requests
    return str(request.request_id)


@pytest.mark.parametrize("decision", ["accept", "refuse"])
def test_decide_a_change(
    clerk: Shopper, guest: Shopper, desk: OrderStatus, mail_dir: Path, decision: str
) -> None:
    request_id = _a_change(guest, desk, mail_dir)
    fields = {"order_number": FRESH, "request": request_id, "decision": decision, "note": "ok"}
    answer = clerk.post("/staff/change", fields)
    assert answer.status_code == 303
    word = "accepted" if decision == "accept" else "refused"
    assert word in notices(clerk.get("/staff/").get_data(as_text=True))[0]
    (request,) = order_of(desk, FRESH).change_requests
    assert request.state.value != "requested"
    twice = clerk.post("/staff/change", fields)
    assert twice.status_code == 409
    assert re.search(r"\(\w+\)", twice.get_data(as_text=True))


@pytest.mark.parametrize(
    "fields",
    [
        {"decision": "maybe"},
        {"decision": ""},
        {"request": "CH1' OR '1'='1"},
        {"request": "C" * 33},
        {"note": "x" * 501},
    ],
)
def test_a_malformed_decision_is_a_400(
    clerk: Shopper, guest: Shopper, desk: OrderStatus, mail_dir: Path, fields: dict[str, str]
) -> None:
    request_id = _a_change(guest, desk, mail_dir)
    base = {"order_number": FRESH, "request": request_id, "decision": "accept"}
    assert clerk.post("/staff/change", {**base, **fields}).status_code == 400
    (request,) = order_of(desk, FRESH).change_requests
    assert request.state.value == "requested"


def test_an_unknown_change_request_is_refused(clerk: Shopper) -> None:
    fields = {"order_number": FRESH, "request": "CH9", "decision": "refuse"}
    answer = clerk.post("/staff/change", fields)
    assert answer.status_code == 409


def test_a_failing_store_while_deciding_answers_503(
    clerk: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("secret-detail")

    monkeypatch.setattr(
        desk, "customer_service", _Failing(desk.customer_service, "decline_change", fail)
    )
    fields = {"order_number": FRESH, "request": "CH1", "decision": "refuse"}
    answer = clerk.post("/staff/change", fields)
    assert answer.status_code == 503
    assert "secret-detail" not in answer.get_data(as_text=True)


def test_a_lost_race_asks_to_try_again(
    clerk: Shopper, desk: OrderStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lose(*_args: object, **_kwargs: object) -> None:
        raise ConflictError("secret-detail")

    monkeypatch.setattr(desk, "warehouse", _Failing(desk.warehouse, "receive_return", lose))
    answer = clerk.post("/staff/receive", {"order_number": RETURNABLE, "rma": "RMA-1"})
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "changed the order first" in html
    assert "secret-detail" not in html
