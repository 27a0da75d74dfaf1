"""``orderstatus demo``: a readable walkthrough on a fresh SQLite database."""

from __future__ import annotations

import re
from decimal import Decimal
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from orderstatus_core import (
    CancelState,
    ChangeState,
    OrderState,
    OrderStatus,
    ProblemState,
    ProfilePolicy,
    SearchPage,
    ShopperSession,
    UnsubscribeRefused,
)
from orderstatus_core.cli import main
from support.labels_support import parse_zpl
from support.paths import DOCS

# A guest-pass token (or a link's selector.validator) as the services draw them.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")

SECTIONS = (
    "1. Find an order by email",
    "2. Find an order by phone",
    "3. A failed find-order",
    "4. Order Look-Up",
    "5. Search by part number",
    "6. Search by category",
    "7. A guest pass",
    "8. Cancel with the guest pass",
    "9. The warehouse confirms the cancel request",
    "10. A change request, approved by customer service",
    "11. A problem report, resolved with a refund",
    "12. What can come back",
    "13. A return with a label",
    "14. A core return with your own tracking number, as store credit",
    "15. Refunds for the payment system",
)

ACCOUNT = "The account: sign-up to a password reset"
PROFILE = "The profile: addresses, the garage, an alert and store mail"
#: The profile part's steps, in order (issue 14 item 10).
PROFILE_STEPS = (
    "An address reused from a past order",
    "A car in the garage",
    "Her orders searched by that car",
    "An availability alert that fires once",
    "Store mail and a one-click unsubscribe",
)


def run_demo(folder: Path, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    assert main(["demo", "--dir", str(folder), *options]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def section(output: str, title: str) -> str:
    start = output.index(title)
    ends = (*SECTIONS, ACCOUNT, PROFILE, *PROFILE_STEPS, "The mail", "Try it yourself")
    following = [output.index(t) for t in ends if output.index(t) > start]
    return output[start : min(following)]


def test_demo_walks_through_every_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    output = run_demo(folder, capsys)

    for title in SECTIONS:
        assert title in output
    assert (folder / "orders.db").is_file()
    assert "\x1b[" not in output  # no colour codes when stdout is not a terminal

    by_email = section(output, SECTIONS[0])
    assert "'JANE.DOE@Example.COM'" in by_email
    assert "status: delivered" in by_email
    assert "BP-1234" in by_email
    assert "https://www.ups.com/track?tracknum=" in by_email
    assert "core charge $30.00" in by_email
    assert "2 × $41.99" in by_email
    assert "       2 delivered" in by_email

    by_phone = section(output, SECTIONS[1])
    assert "'(415) 273-9164'" in by_phone
    assert "status: partially shipped" in by_phone
    assert "in warehouse processing" in by_phone
    assert "       1 cancelled" in by_phone

    # Personal data is masked in the order views.
    for view in (by_email, by_phone):
        assert "J•••@example.com" in view
        assert "+•••64" in view
        assert "1187 Valencia" not in view
        assert "Jane.Doe@example.com" not in view
        assert "+14152739164" not in view

    failed = section(output, SECTIONS[2])
    not_found = "We could not find an order"
    assert failed.count(not_found) == 2
    assert "Same answer: yes" in failed

    look_up = section(output, SECTIONS[3])
    mails = [path for path in (folder / "mail").glob("*.eml") if str(path) in look_up]
    assert len(mails) == 1
    assert "Subject: Your recent order numbers" in look_up
    assert "To: Jane.Doe@example.com" in look_up
    assert "302105733" in look_up

    by_part = section(output, SECTIONS[4])
    assert "'bp 12.34'" in by_part
    assert "BP-1234" in by_part
    assert "RT-5580" not in by_part

    by_category = section(output, SECTIONS[5])
    for child in ("Brake Pad", "Rotor", "Caliper", "Wheel Bearing & Hub"):
        assert f"Brake & Wheel Hub › {child}" in by_category
    assert "Alternator" not in by_category


def _mail(path: Path) -> tuple[str, str, str]:
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(message["To"]), str(message["Subject"]), body.get_content()


def test_demo_walks_through_the_guest_actions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sections 7 to 12: a guest pass, a cancel with it, the warehouse's decision, a change
    request, a problem report and the refunds the payment system receives; checked in the
    output and in the database the demo leaves behind."""
    folder = tmp_path / "demo"
    output = run_demo(folder, capsys)

    # The pass's token (and the link's) never reach the terminal.
    assert TOKEN_SHAPE.search(output) is None
    assert "token=" not in output

    guest_pass = section(output, SECTIONS[6])
    assert "> email 'jane.doe@example.com', order number 302105733" in guest_pass
    assert "we have sent a code" in guest_pass
    (written,) = re.findall(r"Mail written to (\S+\.eml)", guest_pass)
    to, subject, text = _mail(Path(written))
    assert to == "Jane.Doe@example.com"  # the stored address
    assert subject == "Your code for order 302105733"
    assert "To: Jane.Doe@example.com" in guest_pass
    (mailed,) = re.findall(r"Your code: (\d{6})", text)
    assert f"> code {mailed}, typed back from the mail" in guest_pass
    assert re.search(
        r"Guest pass for order 302105733, valid until \w+ \d{1,2}, \d{4}, .* UTC", guest_pass
    )
    assert "never printed" in guest_pass

    cancel = section(output, SECTIONS[7])
    assert "opened package 302105733-1" in cancel
    assert "with the email alone" in cancel
    assert "Refused: Please confirm it is your order" in cancel
    assert "line 1: cancelled 1  [code cancelled]" in cancel
    assert "line 2: cancel requested 1  [code cancel_requested]" in cancel
    assert "Refund due now: R1 (cancellation)" in cancel
    assert "total 11.60 USD" in cancel
    assert "Cancel request C1: line 2 ×1 in package 302105733-1, requested" in cancel
    assert "2. AF2417  ordered 1 · in processing 1" in cancel

    confirmed = section(output, SECTIONS[8])
    assert "desk.warehouse.confirm_cancel('302105733', 'C1')" in confirmed
    assert "C1: confirmed; order 302105733 is now cancelled" in confirmed
    assert "2. AF2417  ordered 1 · cancelled 1" in confirmed
    assert "Refund due: R2 (cancellation)" in confirmed
    assert "total 27.32 USD" in confirmed

    change = section(output, SECTIONS[9])
    assert "Guest pass for order 302117468, valid until" in change
    # This relay run also delivered the two cancellation refunds queued above.
    assert "Outbox relay: 3 sent, 0 failed: 1 mail, 2 refund event(s)" in change
    assert "Change request CH1 (shipping speed → expedited): requested" in change
    assert "desk.customer_service.approve_change('302117468', 'CH1')" in change
    assert "CH1: applied; order 302117468 now ships expedited" in change

    problem = section(output, SECTIONS[10])
    assert "Guest pass for order 301442518, valid until" in problem
    assert "damaged in transit, line 2 ×1" in problem
    assert "Report PR1 (damaged in transit): open since" in problem
    assert "PR1: resolved (refund)" in problem
    assert "Refund due: R1 (problem report): parts 41.99 USD" in problem
    assert "total 49.05 USD" in problem

    options = section(output, SECTIONS[11])
    assert "line 1 BP-1234: 0 (not: 1 window_closed)" in options
    assert "line 3 CC-4471: 1 until" in options
    assert "line 2 RT-5580: 0 (not: 2 no_core_charge)" in options

    label_return = section(output, SECTIONS[12])
    assert "label −$7.50 · restocking −$0.00 = $26.70" in label_return
    assert "RMA R301990352-1 to Returns Center" in label_return
    assert "Refund due, the preview: R1 (return)" in label_return
    assert "total 26.70 USD (label −7.50 USD)" in label_return
    papers = folder / "returns"
    label = (papers / "R301990352-1-label.pdf").read_bytes()
    assert label.startswith(b"%PDF")
    zpl = (papers / "R301990352-1-label.zpl").read_text()
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    assert (papers / "R301990352-1-instructions-en.pdf").read_bytes().startswith(b"%PDF")

    core_return = section(output, SECTIONS[13])
    assert "Refused (bad_check_digit)" in core_return
    assert "UPS 1Z999AA10123456784: in_transit" in core_return
    assert "Jane's store credit: 30.00 USD" in core_return
    assert (papers / "R301442518-1-instructions-en.pdf").is_file()
    assert not (papers / "R301442518-1-label.pdf").exists()  # she ships it herself

    refunds = section(output, SECTIONS[14])
    assert "The payment system received 4 refund events:" in refunds
    events = re.findall(r"^    ([0-9a-f]{32})  order (\d+)  (R\d) (.+?)  (\S+) USD$", refunds, re.M)
    assert [event[1:] for event in events] == [
        ("302105733", "R1", "cancellation", "11.60"),
        ("302105733", "R2", "cancellation", "27.32"),
        ("301442518", "R1", "problem report", "49.05"),
        ("301990352", "R1", "return", "26.70"),
    ]
    assert len({event[0] for event in events}) == 4  # one stable id per refund

    # Four code mails besides the order list, each to the stored address.
    code_mails = sorted(
        _mail(path)[1]
        for path in (folder / "mail").glob("*.eml")
        if _mail(path)[1].startswith("Your code")
    )
    assert code_mails == [
        f"Your code for order {number}"
        for number in ("301442518", "301990352", "302105733", "302117468")
    ]

    # What the demo left in its database agrees with what it printed.
    database = f"sqlite:///{(folder / 'orders.db').resolve().as_posix()}"
    with (
        OrderStatus.open(storage=database, mail=f"mailbox:///{tmp_path.as_posix()}/unused") as desk,
        desk.context.storage.unit_of_work() as uow,
    ):
        cancelled = uow.orders.get("302105733")
        changed = uow.orders.get("302117468")
        reported = uow.orders.get("301442518")
        pending = uow.outbox.pending_count()
    assert cancelled is not None
    assert changed is not None
    assert reported is not None
    assert pending == 0  # every mail and event was relayed
    assert cancelled.status is OrderState.CANCELLED
    assert [r.state for r in cancelled.cancel_requests] == [CancelState.CONFIRMED]
    assert sum(r.total.amount for r in cancelled.refunds) == cancelled.total.amount
    assert cancelled.total.amount == Decimal("38.92")
    assert [r.state for r in changed.change_requests] == [ChangeState.APPLIED]
    assert changed.shipping_speed.value == "expedited"
    assert [r.state for r in reported.problem_reports] == [ProblemState.RESOLVED]
    # The problem report's refund, then the core deposit back as store credit.
    assert [(r.refund_id, r.to_store_credit) for r in reported.refunds] == [
        ("R1", False),
        ("R2", True),
    ]


def test_demo_recreates_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    first = run_demo(folder, capsys)
    second = run_demo(folder, capsys)
    imported = [line for line in first.splitlines() if line.startswith("Imported")]
    assert imported
    assert imported[0] in second  # the same orders again, not a duplicate-order failure
    # Old mail cleared first: the order list, four code mails and six return mails (papers,
    # received, settled for each of two returns) of this run only.
    assert len(list((folder / "mail").glob("*.eml"))) == 15  # 11 guest, 2 account, 2 profile
    assert len(list((folder / "returns").iterdir())) == 4


def test_demo_leaves_a_foreign_database_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precious = tmp_path / "orders.db"
    precious.write_bytes(b"somebody's real orders")
    assert main(["demo", "--dir", str(tmp_path)]) == 2
    assert "was not made by the demo" in capsys.readouterr().err
    assert precious.read_bytes() == b"somebody's real orders"


# How ``orderstatus demo --help`` and Getting started name each section of the walkthrough,
# in the order of SECTIONS: a new section needs its words here, and then in both texts.
DESCRIPTIONS = (
    "by email",
    "by phone",
    "failed find-order",
    "Order Look-Up",
    "part number",
    "category",
    "guest pass",
    "cancel",
    "warehouse",
    "change request",
    "problem report",
    "may come back",
    "store's label",
    "own tracking number",
    "payment",
)


def words_of(text: str) -> str:
    """The text with every run of white space (argparse's and Markdown's wrapping) as one."""
    return " ".join(text.split())


@pytest.mark.parametrize(("title", "words"), list(zip(SECTIONS, DESCRIPTIONS, strict=True)))
def test_demo_help_describes_every_section(
    title: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``orderstatus demo --help`` tells every part of the walkthrough, returns included."""
    assert main(["demo", "--help"]) == 0
    help_text = words_of(capsys.readouterr().out)
    assert words in help_text
    assert "DIR/returns/" in help_text


@pytest.mark.parametrize(("title", "words"), list(zip(SECTIONS, DESCRIPTIONS, strict=True)))
def test_getting_started_describes_every_section(title: str, words: str) -> None:
    """Getting started's section on the demo tells every part of the walkthrough."""
    page = (DOCS / "getting-started.md").read_text("utf-8")
    demo = page[page.index("## The demo") :].split("\n## ", 1)[0]
    assert words in words_of(demo)
    assert "orderstatus-demo/returns/" in demo


def test_demo_in_finnish_shows_the_shoppers_lines_mail_and_papers_in_finnish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--language fi``: her storefront lines, every mail and the return papers are in
    Finnish with Finnish money and dates; the narration stays English."""
    folder = tmp_path / "demo"
    output = run_demo(folder, capsys, "--language", "fi")

    for title in SECTIONS:  # the narration
        assert title in output
    by_email = section(output, SECTIONS[0])  # the order page's own texts
    assert "status: toimitettu" in by_email
    assert "total 237,43\xa0$" in by_email
    assert "rivi 1 × 1, rivi 2 × 2" in by_email
    not_found = section(output, SECTIONS[2])
    assert not_found.count("Emme löytäneet tilausta") == 2
    guest_pass = section(output, SECTIONS[6])
    assert "Subject: Koodisi tilaukselle 302105733" in guest_pass
    assert re.search(
        r"Tilauksen 302105733 vieraskäyttö voimassa \d{1,2}\. \w+ \d{4} .* UTC asti", guest_pass
    )
    assert "Guest pass for order" not in output
    label_return = section(output, SECTIONS[12])
    assert "palautustarra −7,50\xa0$ · käsittelymaksu −0,00\xa0$ = 26,70\xa0$" in label_return

    mails = [_mail(path) for path in (folder / "mail").glob("*.eml")]
    assert len(mails) == 15
    subjects = sorted(subject for _, subject, _ in mails)
    assert "Viimeisimmät tilausnumerosi" in subjects
    assert "Osa RT-5580 on taas varastossa" in subjects  # the alert, in her language
    assert "Tässä kuussa jarrut −20 %" in subjects  # the store's own mail, in hers too
    assert not [subject for subject in subjects if subject.startswith("Your")]
    assert all(subject.isprintable() for subject in subjects)

    papers = sorted(path.name for path in (folder / "returns").iterdir())
    assert "R301990352-1-instructions-fi.pdf" in papers
    zpl = parse_zpl((folder / "returns" / "R301990352-1-label.zpl").read_bytes())
    assert zpl.texts[0] == "PALAUTUS"


def test_demo_says_where_the_mail_is_and_writes_the_last_html_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mail section at the end: the folder, that each mail has an HTML part, to open
    them with a mail program, and the HTML part of the last mail as a file a browser opens."""
    folder = tmp_path / "demo"
    output = run_demo(folder, capsys)
    mail = output[output.index("The mail") : output.index("Try it yourself")]
    assert f"15 mails in {folder / 'mail'}, each with a text and an HTML part" in mail
    assert "mail program" in mail
    (html_path,) = re.findall(r"for a browser: (\S+\.html)", mail)
    html = Path(html_path)
    message = message_from_bytes(html.with_suffix(".eml").read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, EmailMessage)
    assert html.read_bytes() == part.get_content().encode("utf-8")
    assert "<html" in html.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("language", ["sv", "", "fi; rm -rf /"])
def test_demo_refuses_a_language_it_has_no_catalog_for(
    language: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the catalogs' languages: anything else is a usage error, before any folder is made."""
    folder = tmp_path / "demo"
    assert main(["demo", "--dir", str(folder), "--language", language]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert not folder.exists()


def test_the_readme_quick_start_command_runs_the_demo() -> None:
    """The README's one-line quick start ends in ``orderstatus demo``, which the tests above
    run, with the options they use."""
    readme = (DOCS.parent / "README.md").read_text("utf-8")
    assert "&& .venv/bin/orderstatus demo\n" in readme


@pytest.mark.parametrize(
    ("language", "signed_up", "reset"),
    [
        ("en", "follow its link to continue", "every device is logged out"),
        ("fi", "jatka sen linkistä", "kaikki laitteet on kirjattu ulos"),
    ],
)
def test_demo_walks_through_an_account_from_sign_up_to_a_reset(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    language: str,
    signed_up: str,
    reset: str,
) -> None:
    """Issue 13 item 12: the captcha's image and audio are written to the demo folder, the
    links come from the mailed .eml files, her orders join the account, and a reset ends
    the kept session; the shopper's lines are in her language."""
    folder = tmp_path / "demo"
    output = run_demo(folder, capsys, "--language", language)
    account = section(output, ACCOUNT)
    image, audio = folder / "captcha.png", folder / "captcha.wav"
    assert f"Captcha image written to {image}" in account
    assert f"Its audio (spoken characters): {audio}" in account
    assert image.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert audio.read_bytes()[:4] == b"RIFF"
    assert audio.read_bytes()[8:12] == b"WAVE"
    assert signed_up in account
    assert re.search(r"Verification mail: .*\.eml", account)
    assert "(14 days)" in account
    joined = re.findall(r"^ {4}(\d{9})  placed ", account, re.MULTILINE)
    assert "302105733" in joined
    assert "301990352" in joined
    assert reset in account
    assert "The kept session ended with the reset" in account
    assert "Logged in again with the new password." in account
    assert not TOKEN_SHAPE.search(output), "a link's token is never printed"
    again = run_demo(folder, capsys, "--language", language)  # the folder is recreated
    assert "Logged in again with the new password." in again


def test_demo_skips_the_account_part_without_its_extras(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the ``captcha`` or ``argon2`` extra the guest part runs and the account part
    says what to install."""
    import orderstatus_core.cli._demo as demo

    monkeypatch.setattr(demo, "account_extras_missing", lambda: ["captcha"])
    output = run_demo(tmp_path / "demo", capsys)
    assert "Skipped: install the extras (orderstatus[captcha]) to see accounts and profiles." in (
        output
    )
    assert SECTIONS[-1] in output
    assert PROFILE not in output  # the profile goes on with the account's session
    assert not (tmp_path / "demo" / "captcha.png").exists()


def test_demo_stops_when_an_account_step_answers_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that answers what the walkthrough does not expect (here the captcha hook
    hands over a wrong answer) stops the demo with the answer, as a bug to report."""
    from orderstatus_core.cli._demo_accounts import DemoCaptcha

    monkeypatch.setattr(
        DemoCaptcha, "__call__", lambda self, cid, answer: self.answers.update({cid: "WRONG1"})
    )
    assert main(["demo", "--dir", str(tmp_path / "demo")]) != 0
    assert "sign-up: CaptchaRefused" in capsys.readouterr().err


def test_demo_walks_through_the_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14 item 10, after the account part: an address of her orders saved in one
    call, her car in the garage (a mistyped VIN refused), her orders found by it, one alert
    mail for two stock reports, and a store mail's one-click link turning the topic off;
    checked in the output, the mail files and the database the demo leaves."""
    folder = tmp_path / "demo"
    output = run_demo(folder, capsys)
    profile = output[output.index(PROFILE) : output.index("The mail")]
    places = [profile.index(step) for step in PROFILE_STEPS]
    assert places == sorted(places)

    address = section(output, PROFILE_STEPS[0])
    home = "Jane Doe, 1187 Valencia St, Apt 3, San Francisco, CA 94110, US"
    assert f"From your orders (1: her orders' addresses, each once):\n    {home}\n" in address
    assert f"Saved (default): {home}" in address
    assert "From your orders now: 0" in address

    garage = section(output, PROFILE_STEPS[1])
    assert "Refused: position 9 is the check digit: it should be 4, not 7" in garage
    car = "Red wagon: 2016 Subaru Outback, 2.5L H4, VIN 4S4BSANC7G3261447"
    assert garage.count("In the garage: ") == 1  # the mistyped VIN added nothing
    assert f"In the garage: {car}" in garage

    search = section(output, PROFILE_STEPS[2])
    assert re.findall(r"^  Order (\d{9})", search, re.MULTILINE) == ["302117468", "301990352"]
    assert "K060923" in search  # the belt of the returned order was bought for the car
    assert "EO-5W30-5" not in search  # its motor oil for no vehicle in particular

    alert = section(output, PROFILE_STEPS[3])
    assert "part_back_in_stock('RT-5580'): 1 alert(s) queued" in alert
    assert "part_back_in_stock('RT-5580') again: 0 alert(s) queued" in alert
    (shown,) = re.findall(r"One alert mail: (\S+\.eml)", alert)
    mails = list((folder / "mail").glob("*.eml"))
    alerts = [path for path in mails if _mail(path)[1] == "Part RT-5580 is back in stock"]
    assert alerts == [Path(shown)]  # exactly one, however often the part was reported
    assert "https://shop.example/account/alerts" in _mail(alerts[0])[2]
    assert "Parts she watches now: 0 (a watch fires once)" in alert

    store = section(output, PROFILE_STEPS[4])
    (shown,) = re.findall(r"Store mail: (\S+\.eml)", store)
    message = message_from_bytes(Path(shown).read_bytes(), policy=default_policy)
    assert message["To"] == "Jane.Doe@example.com"
    assert message["Subject"] == "This month: brakes 20% off"
    header = re.fullmatch(
        r"<(https://shop\.example/account/unsubscribe)\?token=([\w.-]+)>",
        str(message["List-Unsubscribe"]),
    )
    assert header is not None
    assert f"List-Unsubscribe: <{header[1]}?…>" in store
    assert header[2] not in output  # the link's token is not printed
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in store
    assert "Unsubscribed from the newsletter" in store
    assert "Her mail preferences now: newsletter off" in store
    assert "The newsletter queued again: 0 mail" in store

    database = f"sqlite:///{(folder / 'orders.db').resolve().as_posix()}"
    with OrderStatus.open(storage=database, mail=f"mailbox:///{tmp_path.as_posix()}/m") as desk:
        # This run's key signed the link: another store (here: none) refuses it.
        assert isinstance(desk.unsubscribe(header[2]), UnsubscribeRefused)
        with desk.context.storage.unit_of_work() as uow:
            account = uow.accounts.by_email("jane.doe@example.com")
            assert account is not None
            saved = uow.accounts.saved_addresses(account.account_id)
            kept = uow.accounts.garage(account.account_id)
            watches = uow.accounts.part_watches(account.account_id)
            topics = uow.accounts.mail_subscriptions(account.account_id)
    assert [(entry.address.line1, entry.is_default) for entry in saved] == [
        ("1187 Valencia St", True)
    ]
    assert [entry.vehicle.vin for entry in kept] == ["4S4BSANC7G3261447"]
    assert list(watches) == []
    assert list(topics) == []


@pytest.mark.parametrize(
    ("breakage", "stopped"),
    [
        ("search", "no order was found for her car"),
        ("key", "store mail needs an unsubscribe key"),
    ],
)
def test_demo_stops_when_a_profile_step_answers_otherwise(
    breakage: str,
    stopped: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A search that finds nothing for her car, or a store without an unsubscribe key
    (the storage's refusal to queue store mail), stops the demo with one line saying so."""
    from orderstatus_core.cli._demo_profile import DemoStore

    if breakage == "search":
        monkeypatch.setattr(ShopperSession, "search", lambda _self, **_query: SearchPage((), None))
    else:
        monkeypatch.setattr(
            DemoStore, "__init__", lambda self: setattr(self, "policy", ProfilePolicy())
        )
    assert main(["demo", "--dir", str(tmp_path / "demo")]) != 0
    error = capsys.readouterr().err
    assert stopped in error
    assert "Traceback" not in error


# How ``orderstatus demo --help`` and Getting started name each step of the profile part.
PROFILE_DESCRIPTIONS = (
    "address of her past orders",
    "garage",
    "searched by that car",
    "back in stock twice",
    "one-click",
)


@pytest.mark.parametrize("words", PROFILE_DESCRIPTIONS)
def test_the_help_and_getting_started_describe_the_profile(
    words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--help"]) == 0
    assert words in words_of(capsys.readouterr().out)
    page = (DOCS / "getting-started.md").read_text("utf-8")
    demo = page[page.index("## The demo") :].split("\n## ", 1)[0]
    assert words in words_of(demo)
