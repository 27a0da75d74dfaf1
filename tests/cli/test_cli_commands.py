"""``orderstatus migrate``, ``sample``, ``relay`` and ``purge``, and how every command reports
errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    ReturnAnswer,
    ReturnDraft,
    hookimpl,
    parse_email,
)
from orderstatus_core.cli import main
from orderstatus_core.model.account import failure_key
from orderstatus_core.sample import DEMO_EMAIL, demo_orders
from orderstatus_core.testing.builders import line, make_order, package
from orderstatus_sqlite.migrations import SCHEMA_VERSION


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


# --- migrate -------------------------------------------------------------------------------


def test_migrate_prints_the_schema_version(
    db_url: str, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--storage", db_url]) == 0
    first = one_line(capsys.readouterr().out)
    assert first.endswith(f"schema version {SCHEMA_VERSION}")
    assert db_path.is_file()
    # Idempotent: a second run reports the same version.
    assert main(["migrate", "--storage", db_url]) == 0
    assert one_line(capsys.readouterr().out) == first


def test_migrate_memory_storage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--storage", "memory://"]) == 0
    assert "schema version" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nourl", "bad URL"),
        ("mongodb://db/orders", "no storage adapter for mongodb://"),
        ("sqlite://host/orders.db", "bad URL"),
    ],
)
def test_a_bad_storage_url_is_a_usage_error(
    url: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--storage", url]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("orderstatus migrate: error: ")
    assert expected in line


def test_an_unusable_database_is_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "orders.db"
    assert main(["migrate", "--storage", f"sqlite:///{missing.as_posix()}"]) == 1
    assert one_line(capsys.readouterr().err).startswith("orderstatus migrate: ")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert main(["sample"]) == 2  # --orders is required
    assert main(["sample", "--orders", "0"]) == 2
    assert main(["sample", "--orders", "many"]) == 2
    assert main(["sample", "--orders", "5", "--today", "yesterday"]) == 2
    assert main(["sample", "--orders", "5", "--today", "2026-02-30"]) == 2
    assert main(["sample", "--orders", "5", "--today", "2026-12-05'; DROP TABLE"]) == 2
    assert main(["no-such-command"]) == 2
    assert "usage: orderstatus" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "migrate", "import", "sample", "relay", "outbox", "purge"):
        assert command in out


def test_python_m_runs_the_command() -> None:
    """``python -m orderstatus_core.cli`` is the ``orderstatus`` command, exit status and all."""
    command = [sys.executable, "-m", "orderstatus_core.cli"]
    helped = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0
    assert "usage: orderstatus" in helped.stdout
    refused = subprocess.run(
        [*command, "sample", "--orders", "5; rm -rf /"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2
    assert "not a whole number" in refused.stderr
    assert "Traceback" not in refused.stderr


# --- sample --------------------------------------------------------------------------------


def test_sample_is_deterministic_for_a_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [tmp_path / name for name in ("a.jsonl", "b.jsonl", "c.jsonl")]
    for path, seed in zip(paths, ("7", "7", "8"), strict=True):
        assert main(["sample", "--orders", "300", "--customers", "40", "--seed", seed,
                     "--today", "2026-12-05", "-o", str(path)]) == 0  # fmt: skip
    summary = capsys.readouterr().err
    assert "Wrote 300 orders to " in summary
    a, b, c = (path.read_bytes() for path in paths)
    assert a == b
    assert a != c
    lines = a.decode("utf-8").splitlines()
    assert len(lines) == 300
    emails = {json.loads(line)["email"] for line in lines}
    assert 1 < len(emails) <= 40


def test_sample_to_stdout_matches_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orders.jsonl"
    assert main(["sample", "--orders", "25", "--seed", "3", "--today", "2026-12-05",
                 "-o", str(path)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["sample", "--orders", "25", "--seed", "3", "--today", "2026-12-05"]) == 0
    assert capsys.readouterr().out == path.read_text("utf-8")


def test_sample_output_imports(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "orders.jsonl"
    assert main(["sample", "--orders", "200", "--seed", "5", "-o", str(path)]) == 0
    assert main(["migrate", "--storage", db_url]) == 0
    assert main(["import", str(path), "--storage", db_url]) == 0
    assert "Imported 200 orders" in capsys.readouterr().out


# --- relay ---------------------------------------------------------------------------------


def queue_order_list(db_url: str, mail_url: str) -> None:
    with OrderStatus.open(storage=db_url, mail=mail_url) as desk:
        desk.migrate()
        records = demo_orders(datetime.now(UTC))
        desk.import_orders(json.dumps(record) for record in records)
        desk.send_order_list(DEMO_EMAIL, client="test")


def test_relay_delivers_the_outbox(
    db_url: str, mail_url: str, mail_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_order_list(db_url, mail_url)

    assert main(["relay", "--storage", db_url, "--mail", mail_url]) == 0
    assert one_line(capsys.readouterr().out) == "Relay: 1 sent, 0 failed, 0 still pending"
    (mail,) = mail_dir.glob("*.eml")
    assert b"Subject: Your recent order numbers" in mail.read_bytes()

    # Nothing is due any more.
    assert main(["relay", "--storage", db_url, "--mail", mail_url]) == 0
    assert one_line(capsys.readouterr().out) == "Relay: 0 sent, 0 failed, 0 still pending"


def test_relay_reports_failed_mail(
    tmp_path: Path, db_url: str, mail_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    queue_order_list(db_url, mail_url)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the mail folder should be")

    assert main(["relay", "--storage", db_url, "--mail", f"mailbox:///{blocker}"]) == 1
    captured = capsys.readouterr()
    assert one_line(captured.out) == "Relay: 0 sent, 1 failed, 1 still pending"
    reason, summary = captured.err.splitlines()
    assert re.fullmatch(
        r"orderstatus relay: [0-9a-f]{32} \(order_list\): MailDeliveryError: cannot write .*",
        reason,
    )
    assert summary.startswith("orderstatus relay: 1 message(s) failed")


# --- relay: return papers ------------------------------------------------------------------

_LABELS = "labels://?cost=7.50%20USD"


class _ReturnsWithLookUpPair:
    """A store plugin: returns with the look-up pair alone, no guest pass."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return False if action == "return" else None


def queue_return_papers(db_url: str, mail_url: str) -> str:
    """A delivered order with a return on the store's label; its papers wait in the outbox.
    Answers the RMA number."""
    placed = datetime.now(UTC) - timedelta(days=10)
    delivered = package(
        "P1", [(1, 2)], placed_at=placed, shipped_after=timedelta(days=1),
        delivered_after=timedelta(days=5),
    )  # fmt: skip
    plugins = [_ReturnsWithLookUpPair()]
    with OrderStatus.open(storage=db_url, mail=mail_url, labels=_LABELS, plugins=plugins) as desk:
        desk.migrate()
        with desk.context.storage.unit_of_work(write=True) as uow:
            order = make_order(placed_at=placed, lines=[line(1, quantity=2)], packages=[delivered])
            uow.orders.add(order)
            uow.commit()
        draft = ReturnDraft("return", "does_not_fit", {1: 1})
        answer = desk.guest(client="test", identifier=order.email.display).request_return(
            order.number, draft
        )
    assert isinstance(answer, ReturnAnswer)
    (rma,) = answer.request.packages
    return rma.rma_number


def test_relay_without_a_label_maker_says_why_the_papers_wait(
    db_url: str, mail_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ``--labels`` the papers stay pending, and the reason is printed."""
    queue_return_papers(db_url, mail_url)
    assert main(["relay", "--storage", db_url, "--mail", mail_url]) == 1
    reason = capsys.readouterr().err.splitlines()[0]
    assert re.fullmatch(r"orderstatus relay: \w+ \(return_documents\): AdapterError: .+", reason)
    assert "label maker" in reason


def test_relay_with_labels_makes_the_return_papers(
    db_url: str, mail_url: str, mail_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--labels URL`` makes the label and instructions, keeps them for printing, and
    mails the shopper in the same run (the papers job queues that mail)."""
    rma_number = queue_return_papers(db_url, mail_url)
    args = ["relay", "--storage", db_url, "--mail", mail_url, "--labels", _LABELS]
    assert main(args) == 0
    assert one_line(capsys.readouterr().out) == "Relay: 2 sent, 0 failed, 0 still pending"
    with (
        OrderStatus.open(storage=db_url, mail=mail_url) as desk,
        desk.context.storage.unit_of_work() as uow,
    ):
        papers = uow.documents.for_rma(rma_number)
    assert [p.document.filename for p in papers] == [
        f"{rma_number}-label.pdf",
        f"{rma_number}-label.zpl",
        f"{rma_number}-instructions-en.pdf",
    ]
    assert [p.document.content[:4] for p in papers] == [b"%PDF", b"^XA^", b"%PDF"]
    (mail,) = mail_dir.glob("*.eml")
    assert f"RMA {rma_number}".encode() in mail.read_bytes()


def test_relay_refuses_a_bad_label_maker_url(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown label maker scheme is a usage error, before anything is relayed."""
    assert main(["relay", "--storage", db_url, "--labels", "acme://x"]) == 2
    assert "acme" in one_line(capsys.readouterr().err)


# --- purge ---------------------------------------------------------------------------------


def test_purge_deletes_old_delivered_mail_and_keeps_pending_mail(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``purge`` deletes a message delivered 31 days ago (the default keeps 30) and says how
    many of each kind it deleted; a pending message, however old, stays."""
    now = datetime.now(UTC)
    intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("123456789",))
    with OrderStatus.open(storage=db_url, mail="mailbox:///unused") as desk:
        desk.migrate()
        with desk.context.storage.unit_of_work(write=True) as uow:
            for message_id in ("old-sent", "old-pending", "new-sent"):
                uow.outbox.put(OutboxMessage(message_id, now - timedelta(days=40), intent))
            uow.outbox.mark_sent("old-sent", now - timedelta(days=31))
            uow.outbox.mark_sent("new-sent", now - timedelta(days=29))
            uow.accounts.count_failed_login(failure_key("typo@example.com"), now - timedelta(31))
            uow.commit()
    assert main(["purge", "--storage", db_url]) == 0
    assert one_line(capsys.readouterr().out) == (
        "Purged: sent messages 1, guest-pass challenges 0, guest passes 0, idempotent replies 0, "
        "failed log-in counts 1"
    )
    with (
        OrderStatus.open(storage=db_url, mail="mailbox:///unused") as desk,
        desk.context.storage.unit_of_work() as uow,
    ):
        kept = {m for m in ("old-sent", "old-pending", "new-sent") if uow.outbox.get(m)}
    assert kept == {"old-pending", "new-sent"}


def test_sample_dates_orders_back_from_the_day_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--today is where the history ends: the newest order within half an hour before it."""
    path = tmp_path / "orders.jsonl"
    assert main(["sample", "--orders", "40", "--today", "2026-12-05", "-o", str(path)]) == 0
    placed = [json.loads(line)["placed_at"] for line in path.read_text("utf-8").splitlines()]
    assert "2026-12-04T23:30:00Z" <= placed[-1] <= "2026-12-05T00:00:00Z"


def test_sample_without_today_ends_at_the_start_of_the_real_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """By default the newest order is at most a day and half an hour old."""
    path = tmp_path / "orders.jsonl"
    assert main(["sample", "--orders", "40", "-o", str(path)]) == 0
    newest = json.loads(path.read_text("utf-8").splitlines()[-1])["placed_at"]
    age = datetime.now(UTC) - datetime.fromisoformat(newest)
    assert timedelta(0) <= age <= timedelta(days=1, minutes=30)
