"""``orderstatus demo``: a readable walkthrough on a fresh SQLite database."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orderstatus_core.cli import main

SECTIONS = (
    "1. Find an order by email",
    "2. Find an order by phone",
    "3. A failed find-order",
    "4. Order Look-Up",
    "5. Search by part number",
    "6. Search by category",
)


def run_demo(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["demo", "--dir", str(folder)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out


def section(output: str, title: str) -> str:
    start = output.index(title)
    following = [output.index(t) for t in (*SECTIONS, "Try it yourself") if output.index(t) > start]
    return output[start : min(following)]


def test_demo_walks_through_every_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    started = time.perf_counter()
    output = run_demo(folder, capsys)
    elapsed = time.perf_counter() - started

    for title in SECTIONS:
        assert title in output
    assert (folder / "orders.db").is_file()
    assert "\x1b[" not in output  # no colour codes when stdout is not a terminal
    assert elapsed < 10  # "a couple of seconds"; generous for slow CI machines

    by_email = section(output, SECTIONS[0])
    assert "'JANE.DOE@Example.COM'" in by_email
    assert "status: delivered" in by_email
    assert "BP-1234" in by_email
    assert "https://www.ups.com/track?tracknum=" in by_email
    assert "core charge 30.00 USD" in by_email
    assert "ordered 2 · shipped 2 · delivered 2" in by_email

    by_phone = section(output, SECTIONS[1])
    assert "'(415) 273-9164'" in by_phone
    assert "status: partially shipped" in by_phone
    assert "in warehouse processing" in by_phone
    assert "ordered 1 · cancelled 1" in by_phone

    # Personal data is masked in the order views.
    for view in (by_email, by_phone):
        assert "J•••@example.com" in view
        assert "+•••••••••64" in view
        assert "1187 Valencia" not in view
        assert "Jane.Doe@example.com" not in view
        assert "+14152739164" not in view

    failed = section(output, SECTIONS[2])
    not_found = "We could not find an order"
    assert failed.count(not_found) == 2
    assert "Same answer: yes" in failed

    look_up = section(output, SECTIONS[3])
    mails = list((folder / "mail").glob("*.eml"))
    assert len(mails) == 1
    assert str(mails[0]) in look_up
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


def test_demo_recreates_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    first = run_demo(folder, capsys)
    second = run_demo(folder, capsys)
    imported = [line for line in first.splitlines() if line.startswith("Imported")]
    assert imported
    assert imported[0] in second  # the same orders again, not a duplicate-order failure
    assert len(list((folder / "mail").glob("*.eml"))) == 1  # old mail cleared first


def test_demo_leaves_a_foreign_database_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precious = tmp_path / "orders.db"
    precious.write_bytes(b"somebody's real orders")
    assert main(["demo", "--dir", str(tmp_path)]) == 2
    assert "was not made by the demo" in capsys.readouterr().err
    assert precious.read_bytes() == b"somebody's real orders"
