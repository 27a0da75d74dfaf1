"""The guest pages of the example storefront, journey by journey, through Flask's test
client: every form is read for its CSRF token and posted as a browser would."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import jinja2
import pytest

import orderstatus_core
from orderstatus_core import OrderStatus
from support.storefront import (
    DELIVERED,
    FRESH,
    JANE,
    JANES_PHONE,
    PROCESSING,
    RETURNABLE,
    Shopper,
    latest_code,
    mail_texts,
)

_NOTICE = re.compile(r'class="notice"[^>]*>([^<]*)<')


def notices(html: str) -> list[str]:
    return _NOTICE.findall(html)


def verify(shopper: Shopper, desk: OrderStatus, mail_dir: Path, number: str) -> None:
    """Find by Jane's email, ask for a code, type it: the browser holds a guest pass."""
    assert shopper.find(JANE, number).status_code == 303
    assert shopper.post(f"/order/{number}/pass").headers["Location"] == f"/order/{number}/code"
    desk.relay_outbox()
    answer = shopper.post(f"/order/{number}/code", {"code": latest_code(mail_dir)})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/order/{number}"


def order_of(desk: OrderStatus, number: str) -> orderstatus_core.Order:
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(number)
    assert order is not None
    return order


# --- find, look up ------------------------------------------------------------------------


def test_find_by_phone_shows_the_masked_order(shopper: Shopper) -> None:
    answer = shopper.find(JANES_PHONE, PROCESSING)
    assert answer.status_code == 303
    page = shopper.get(answer.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Order {PROCESSING}" in html
    assert "J•••@example.com" in html
    assert "jane.doe@example.com" not in html
    assert "in warehouse processing" in html
    # Partial shipment: a package shipped by FedEx with its tracking link, one in processing.
    assert 'href="https://www.fedex.com/' in html
    assert 'rel="noreferrer noopener"' in html
    assert "Email me a code" in html
    assert "Cancel the chosen units" not in html  # no pass yet


def test_find_by_email_shows_packages_and_timeline(shopper: Shopper) -> None:
    answer = shopper.find("JANE.DOE@Example.COM", DELIVERED)
    html = shopper.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Packages" in html
    assert "Timeline" in html
    assert "delivered" in html
    assert html.count("<li>") >= 3


def test_order_look_up_queues_one_mail_to_the_stored_address(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    answer = shopper.post("/lookup", {"email": "Jane.Doe@EXAMPLE.com"})
    assert answer.status_code == 200
    assert "we have sent their numbers" in answer.get_data(as_text=True)
    desk.relay_outbox()
    (mail,) = mail_dir.glob("*.eml")
    text = mail.read_text(encoding="utf-8")
    assert "To: Jane.Doe@example.com" in text  # the stored address, as stored
    assert DELIVERED in text


# --- the guest pass ---------------------------------------------------------------------------


def test_a_wrong_code_is_refused_and_proves_nothing(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    shopper.find(JANE, FRESH)
    shopper.post(f"/order/{FRESH}/pass")
    desk.relay_outbox()
    right = latest_code(mail_dir)
    wrong = "000000" if right != "000000" else "111111"
    answer = shopper.post(f"/order/{FRESH}/code", {"code": wrong})
    assert answer.status_code == 400
    assert "does not work" in answer.get_data(as_text=True)
    assert "guest_pass" not in answer.headers.get("Set-Cookie", "")
    assert shopper.post(f"/order/{FRESH}/code", {"code": "x" * 21}).status_code == 400


def test_the_mailed_link_lands_on_a_button_and_its_post_grants_the_pass(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    """Following the link (GET) uses nothing up; its page posts the token, and the pass
    opens the order's actions."""
    shopper.find(JANES_PHONE, FRESH)
    shopper.post(f"/order/{FRESH}/pass")
    desk.relay_outbox()
    (text,) = mail_texts(mail_dir)
    link = re.search(r"https://shop\.example/order-status/pass\?token=\S+", text)
    assert link is not None
    token = parse_qs(urlsplit(link[0]).query)["token"][0]
    landing = shopper.get(f"/pass?token={token}")
    assert landing.status_code == 200
    assert landing.headers["Referrer-Policy"] == "no-referrer"
    assert shopper.get(f"/pass?token={token}").status_code == 200  # still unused
    answer = shopper.post("/pass", {"token": token})
    assert answer.status_code == 303
    assert "guest_pass=" in answer.headers["Set-Cookie"]
    html = shopper.get(f"/order/{FRESH}").get_data(as_text=True)
    assert "Cancel the chosen units" in html
    again = shopper.post("/pass", {"token": token})  # single use
    assert again.status_code == 400


# --- cancel, change, problem ------------------------------------------------------------------


def test_cancel_one_unit_with_the_pass(shopper: Shopper, desk: OrderStatus, mail_dir: Path) -> None:
    verify(shopper, desk, mail_dir, FRESH)
    shopper.get(f"/order/{FRESH}")
    answer = shopper.post(
        f"/order/{FRESH}/cancel", {"units-1": "1", "units-2": "0", "idempotency_key": "k-cancel-1"}
    )
    assert answer.status_code == 303
    html = shopper.get(f"/order/{FRESH}").get_data(as_text=True)
    assert "line 1: cancelled" in notices(html)
    assert order_of(desk, FRESH).ledgers[1].cancelled == 1
    # The same form posted twice (same key) does the work once.
    shopper.post(f"/order/{FRESH}/cancel", {"units-1": "1", "idempotency_key": "k-cancel-1"})
    assert order_of(desk, FRESH).ledgers[1].cancelled == 1


def test_cancel_needs_a_pass_and_a_choice(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    shopper.find(JANE, FRESH)
    answer = shopper.post(f"/order/{FRESH}/cancel", {"everything": "1"})
    assert answer.status_code == 303
    assert order_of(desk, FRESH).ledgers[1].cancelled == 0
    verify(shopper, desk, mail_dir, FRESH)
    shopper.post(f"/order/{FRESH}/cancel", {"units-1": "0"})
    html = shopper.get(f"/order/{FRESH}").get_data(as_text=True)
    assert "Choose at least one unit to cancel." in notices(html)
    for bad in ("-1", "1e3", "999999", "<b>"):
        assert shopper.post(f"/order/{FRESH}/cancel", {"units-1": bad}).status_code == 400


def test_cancel_everything_in_processing_becomes_a_request(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    verify(shopper, desk, mail_dir, PROCESSING)
    shopper.post(f"/order/{PROCESSING}/cancel", {"everything": "1"})
    html = shopper.get(f"/order/{PROCESSING}").get_data(as_text=True)
    notice = notices(html)[-1]
    assert "cancel requested" in notice
    assert "already shipped" in notice


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "speed", "speed": "overnight"},
        {"kind": "remove", "line_no": "2"},
        {"kind": "swap", "line_no": "1", "part_number": "OF-5678"},
        {
            "kind": "address",
            "name": "Jane Doe",
            "line1": "1 Main St",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "us",
        },
    ],
)
def test_each_change_is_recorded(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path, fields: dict[str, str]
) -> None:
    verify(shopper, desk, mail_dir, FRESH)
    assert shopper.get(f"/order/{FRESH}/change").status_code == 200
    answer = shopper.post(f"/order/{FRESH}/change", fields)
    assert answer.status_code == 303
    html = shopper.get(f"/order/{FRESH}").get_data(as_text=True)
    assert any("change request is recorded" in n for n in notices(html))
    assert len(order_of(desk, FRESH).change_requests) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "teleport"},
        {"kind": "speed", "speed": "warp"},
        {"kind": "quantity", "line_no": "x", "quantity": "1"},
        {"kind": "swap", "line_no": "1", "part_number": "x" * 41},
        {
            "kind": "address",
            "name": "J" * 101,
            "line1": "x",
            "city": "x",
            "postal_code": "1",
            "country": "US",
        },
        {
            "kind": "address",
            "name": "Jane",
            "line1": "x",
            "city": "x",
            "postal_code": "1",
            "country": "U",
        },
    ],
)
def test_a_malformed_change_is_a_400(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path, fields: dict[str, str]
) -> None:
    verify(shopper, desk, mail_dir, FRESH)
    answer = shopper.post(f"/order/{FRESH}/change", fields)
    assert answer.status_code == 400
    assert "<script>" not in answer.get_data(as_text=True)
    assert order_of(desk, FRESH).change_requests == ()


def test_report_a_problem_with_hostile_text(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    verify(shopper, desk, mail_dir, DELIVERED)
    assert shopper.get(f"/order/{DELIVERED}/problem").status_code == 200
    text = '<script>alert("x")</script> the pads are cracked'
    answer = shopper.post(
        f"/order/{DELIVERED}/problem",
        {"kind": "damaged_in_transit", "units-1": "1", "text": text, "package_id": ""},
    )
    assert answer.status_code == 303
    html = shopper.get(f"/order/{DELIVERED}").get_data(as_text=True)
    assert any("is reported" in n for n in notices(html))
    assert "<script>" not in html
    (report,) = order_of(desk, DELIVERED).problem_reports
    assert report.text == text
    wrong = shopper.post(f"/order/{DELIVERED}/problem", {"kind": "gremlins"})
    assert wrong.status_code == 400
    foreign = shopper.post(f"/order/{DELIVERED}/problem", {"kind": "other", "package_id": "999-1"})
    assert foreign.status_code == 400


# --- returns ------------------------------------------------------------------------------------


def _return_fields(**extra: str) -> dict[str, str]:
    return {
        "kind": "return",
        "reason": "no_longer_needed",
        "ship_by": "label",
        "refund_method": "original_payment",
        "units-1": "1",
        **extra,
    }


def test_a_return_from_options_to_the_label_download(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    verify(shopper, desk, mail_dir, RETURNABLE)
    options = shopper.get(f"/order/{RETURNABLE}/return")
    assert options.status_code == 200
    assert "units-1" in options.get_data(as_text=True)
    preview = shopper.post(f"/order/{RETURNABLE}/return/preview", _return_fields())
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Total refund" in html
    assert "−$7.50" in html  # the shopper's choice: the label's cost comes off
    answer = shopper.post(
        f"/order/{RETURNABLE}/return", _return_fields(idempotency_key="k-return-1")
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/order/{RETURNABLE}/returns"
    desk.relay_outbox()  # makes the papers
    listing = shopper.get(f"/order/{RETURNABLE}/returns").get_data(as_text=True)
    links = re.findall(r'href="(/order/[^"]+/returns/[^"]+)"', listing)
    assert {link.rsplit(".", 1)[-1] for link in links} == {"pdf", "zpl"}
    for link in links:
        paper = shopper.get(link)
        assert paper.status_code == 200
        assert paper.headers["Content-Disposition"].startswith("attachment;")
        assert paper.headers["Cache-Control"] == "no-store"
        if link.endswith(".pdf"):
            assert paper.data.startswith(b"%PDF")
        else:
            assert paper.data.lstrip().startswith(b"^XA")
    rma = links[0].split("/")[4]
    assert shopper.get(f"/order/{RETURNABLE}/returns/{rma}/..%2Fsecret.pdf").status_code == 404
    assert shopper.get(f"/order/{RETURNABLE}/returns/{rma}/other.pdf").status_code == 404
    assert shopper.get(f"/order/{RETURNABLE}/returns/RMA-NOPE/x.pdf").status_code == 404


def test_a_return_shipped_by_the_shopper_takes_their_tracking(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    verify(shopper, desk, mail_dir, RETURNABLE)
    answer = shopper.post(
        f"/order/{RETURNABLE}/return",
        _return_fields(ship_by="own_tracking", reason="defective", refund_method="store_credit"),
    )
    assert answer.status_code == 303
    listing = shopper.get(f"/order/{RETURNABLE}/returns").get_data(as_text=True)
    (action,) = re.findall(r'action="(/order/[^"]+/tracking)"', listing)
    assert shopper.post(action, {"tracking_number": "1Z999AA10123456785"}).status_code == 400
    assert shopper.post(action, {"tracking_number": "x" * 41}).status_code == 400
    saved = shopper.post(action, {"tracking_number": "1Z999AA10123456784"})
    assert saved.status_code == 303
    listing = shopper.get(f"/order/{RETURNABLE}/returns").get_data(as_text=True)
    assert "1Z999AA10123456784" in listing


def test_a_return_the_rules_refuse_says_why(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    """Units that may not come back: the page says why, nothing is recorded."""
    verify(shopper, desk, mail_dir, FRESH)
    answer = shopper.post(f"/order/{FRESH}/return/preview", _return_fields())
    assert answer.status_code == 303
    html = shopper.get(f"/order/{FRESH}").get_data(as_text=True)
    assert notices(html)
    assert order_of(desk, FRESH).returns == ()


@pytest.mark.parametrize(
    "extra",
    [
        {"kind": "refund-everything"},
        {"reason": "core"},  # not a reason for a return
        {"ship_by": "drone"},
        {"units-1": "0"},
        {"comment": "x" * 501},
    ],
)
def test_a_malformed_return_is_a_400(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path, extra: dict[str, str]
) -> None:
    verify(shopper, desk, mail_dir, RETURNABLE)
    answer = shopper.post(f"/order/{RETURNABLE}/return/preview", _return_fields(**extra))
    assert answer.status_code == 400


def test_a_failing_label_maker_answers_503(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    verify(shopper, desk, mail_dir, RETURNABLE)

    def down(*_args: object) -> None:
        raise orderstatus_core.AdapterError("carrier API down")

    assert desk.context.label_maker is not None
    monkeypatch.setattr(desk.context.label_maker, "quote", down)
    answer = shopper.post(f"/order/{RETURNABLE}/return/preview", _return_fields())
    assert answer.status_code == 503
    # A free return (the store's fault) needs no quote and still works.
    free = shopper.post(f"/order/{RETURNABLE}/return/preview", _return_fields(reason="defective"))
    assert free.status_code == 200


# --- search -------------------------------------------------------------------------------------


def test_search_needs_a_pass_then_finds_by_part_and_category(
    shopper: Shopper, desk: OrderStatus, mail_dir: Path
) -> None:
    assert shopper.get("/search").status_code == 200
    assert shopper.get("/search?part_number=bp1234").status_code == 403
    verify(shopper, desk, mail_dir, FRESH)
    by_part = shopper.get("/search?part_number=bp 12.34").get_data(as_text=True)
    assert f"Order {DELIVERED}" in by_part
    by_category = shopper.get("/search?category=Brake %26 Wheel Hub").get_data(as_text=True)
    assert f"Order {DELIVERED}" in by_category
    nothing = shopper.get("/search?part_number=ZZ-0000").get_data(as_text=True)
    assert "No order has such a part." in nothing


# --- the language -------------------------------------------------------------------------------


def test_the_switch_turns_the_pages_and_the_library_finnish(shopper: Shopper) -> None:
    shopper.get("/")
    answer = shopper.post("/language", {"language": "fi", "next": f"/order/{DELIVERED}"})
    assert answer.status_code == 303
    assert "language=fi" in answer.headers["Set-Cookie"]
    assert "HttpOnly" in answer.headers["Set-Cookie"]
    html = shopper.find(JANE, DELIVERED)
    page = shopper.get(html.headers["Location"]).get_data(as_text=True)
    assert '<html lang="fi">' in page
    assert "Tilaus 301442518" in page  # the page's own words
    assert "toimitettu" in page  # the library's words
    assert "In English" in page


def test_a_finnish_browser_gets_finnish(app: object) -> None:
    client = app.test_client()  # type: ignore[attr-defined]
    page = client.get("/", headers={"Accept-Language": "fi-FI,fi;q=0.9,en;q=0.5"})
    assert "Etsi tilaus" in page.get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "de-DE"})
    assert "Find an order" in english.get_data(as_text=True)


def _marked_texts(package: Path) -> set[str]:
    """Every text the templates pass to ``_()`` and the code to ``N_()``/``gettext()``."""
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    found: set[str] = set()
    for template in (package / "templates").glob("*.html"):
        for _line, _function, message in env.extract_translations(template.read_text("utf-8")):
            found.update([message] if isinstance(message, str) else [m for m in message or () if m])
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            if name in ("N_", "gettext") and isinstance(first, ast.Constant):
                found.add(first.value)
    return found


def test_every_page_text_has_a_finnish_translation(storefront: ModuleType) -> None:
    package = Path(storefront.__file__).parent
    marked = _marked_texts(package)
    assert len(marked) > 150
    texts = storefront.texts
    assert sorted(texts.marked(marked)) == []
    for english in marked:
        finnish = texts.FINNISH[english]
        assert set(re.findall(r"%\(\w+\)s", finnish)) == set(re.findall(r"%\(\w+\)s", english))
    assert set(texts.FINNISH) <= marked, "translations of texts no page uses"


def test_the_storefront_uses_only_the_public_api(storefront: ModuleType) -> None:
    """Every name it imports from the library is in ``orderstatus_core.__all__``."""
    package = Path(storefront.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("orderstatus"):
                assert node.module == "orderstatus_core", f"{module.name}: {node.module}"
                for alias in node.names:
                    assert alias.name in orderstatus_core.__all__, f"{module.name}: {alias.name}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("orderstatus") for a in node.names)
