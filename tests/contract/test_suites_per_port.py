"""The suites per port: each declares its fixtures in code, the old import paths keep
working, and ``StorageContract`` still runs every storage suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import orderstatus_core.testing as testing
from orderstatus_core.testing import contract, contracts
from orderstatus_core.testing.contracts.mail_preferences import MailPreferenceRules


def _run_suite(folder: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_suite.py").write_text(textwrap.dedent(source), "utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command,
        cwd=folder,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


#: One test of each suite, and the fixture that suite asks for by name.
_FORGOTTEN_FIXTURES = [
    ("OrderRepositoryContract", "storage", "test_an_unknown_order_number_is_none"),
    ("OutboxContract", "storage", "test_a_queued_message_is_due_after_commit"),
    ("AccountStoreContract", "storage", "test_an_unknown_id_or_address_is_none"),
    ("RateLimiterContract", "rate_limiter", "test_keys_are_independent"),
    ("MailerContract", "mailer", "test_each_mail_is_delivered_once"),
    ("LabelMakerContract", "label_maker", "test_a_label_names_the_requests_rma_carrier"),
    ("CaptchaContract", "captcha", "test_the_right_answer_is_accepted"),
    ("PasswordHasherContract", "password_hasher", "test_a_fresh_hash_needs_no_rehash"),
]


def test_a_suite_without_its_fixture_says_how_to_write_it(tmp_path: Path) -> None:
    """A test class that forgets a fixture fails with NotImplementedError naming the suite
    and the fixture, not with pytest's bare "fixture not found".

    Every suite in one pytest process: starting pytest with its plugins costs seconds, one
    process per suite cost the whole test run more than a minute."""
    classes = "".join(
        f"class TestForgets{suite}({suite}):\n    pass\n\n\n"
        for suite, _fixture, _test in _FORGOTTEN_FIXTURES
    )
    imports = ", ".join(suite for suite, _fixture, _test in _FORGOTTEN_FIXTURES)
    # -k, not node ids: some of these tests are parametrized.
    chosen = " or ".join(
        f"(TestForgets{suite} and {test})" for suite, _fixture, test in _FORGOTTEN_FIXTURES
    )
    source = f"from orderstatus_core.testing.contracts import {imports}\n\n\n{classes}"
    result = _run_suite(tmp_path, source, "-k", chosen)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    for suite, fixture, _test in _FORGOTTEN_FIXTURES:
        message = f"NotImplementedError: TestForgets{suite} needs a `{fixture}` fixture"
        assert message in result.stdout, f"{suite}: {output}"


def test_a_fixture_in_the_module_still_serves_a_suite(tmp_path: Path) -> None:
    """A ``storage`` fixture outside the class (module or conftest), as the suites always
    allowed, is found through the suite's declaration."""
    result = _run_suite(
        tmp_path,
        """
        import pytest
        from orderstatus_core.testing.contracts import ReturnDocumentStoreContract
        from orderstatus_memory import MemoryStorage

        @pytest.fixture
        def storage():
            storage = MemoryStorage.from_url("memory://")
            storage.migrate()
            yield storage
            storage.close()

        class TestDocuments(ReturnDocumentStoreContract):
            pass
        """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_a_fixture_the_adapter_fixture_needs_is_reported_as_itself(tmp_path: Path) -> None:
    """When the adapter's own fixture lacks one of *its* fixtures, pytest names that one:
    the suite never blames its own declaration."""
    result = _run_suite(
        tmp_path,
        """
        import pytest
        from orderstatus_core.testing.contracts import IdempotencyStoreContract

        @pytest.fixture
        def storage(no_such_server):
            return no_such_server

        class TestReplies(IdempotencyStoreContract):
            pass
        """,
    )
    assert result.returncode == 1
    assert "fixture 'no_such_server' not found" in result.stdout
    assert "NotImplementedError" not in result.stdout


def test_the_old_names_are_the_new_suites() -> None:
    """``testing.StorageContract`` and ``testing.contract.*`` are the suites of
    ``testing.contracts``, so existing adapter tests keep running unchanged."""
    assert testing.StorageContract is contract.StorageContract is contracts.StorageContract
    assert testing.RateLimiterContract is contracts.RateLimiterContract
    assert testing.MailerContract is contract.MailerContract is contracts.MailerContract
    assert contract.Delivered is contracts.Delivered


def test_the_storage_contract_is_every_storage_suite() -> None:
    """Picking every storage suite by hand runs exactly the tests ``StorageContract`` runs."""
    storage_suites = [
        contracts.OrderRepositoryContract,
        contracts.OrderQueriesContract,
        contracts.OutboxContract,
        contracts.GuestPassStoreContract,
        contracts.IdempotencyStoreContract,
        contracts.StoreCreditLedgerContract,
        contracts.ReturnDocumentStoreContract,
        contracts.AccountStoreContract,
        contracts.PartWatchContract,
        contracts.HistorySearchContract,
        # The mail-preference rules of AccountStoreContract, kept in a module of their own.
        MailPreferenceRules,
        contracts.SessionStoreContract,
        contracts.CaptchaStoreContract,
        contracts.UnitOfWorkContract,
        contracts.MemoryReferenceContract,
    ]
    assert all(issubclass(contracts.StorageContract, suite) for suite in storage_suites)
    # A suite's tests are its own and those of the parts it is made of that are no suite
    # of the list (the account store's discount-code rules live in a module of their own).
    by_suite = [
        {
            name
            for part in suite.__mro__
            if part is suite or part not in storage_suites
            for name in vars(part)
            if name.startswith("test_")
        }
        for suite in storage_suites
    ]
    assert sum(len(names) for names in by_suite) == len(set().union(*by_suite))
    every = {name for name in dir(contracts.StorageContract) if name.startswith("test_")}
    assert every == set().union(*by_suite)


def test_the_storage_tests_order_has_two_lines_of_two_units() -> None:
    """``order_of_two_lines`` is order 100001 of jane@example.com with BP-1234 and R-77,
    two units each; an ``EmailAddress`` is taken by its display form, fields override."""
    from orderstatus_core import parse_email
    from orderstatus_core.testing.builders import PLACED_AT, line_of_two, order_of_two_lines

    order = order_of_two_lines()
    assert (order.number, order.email.canonical, order.placed_at) == (
        "100001",
        "jane@example.com",
        PLACED_AT,
    )
    assert [(ln.part_number.display, ln.quantity) for ln in order.lines] == [
        ("BP-1234", 2),
        ("R-77", 2),
    ]
    other = order_of_two_lines("7", parse_email("Jörg@example.com"), lines=[line_of_two(3)])
    assert (other.number, other.email.display, other.lines) == (
        "7",
        "Jörg@example.com",
        (line_of_two(3),),
    )
    assert line_of_two(quantity=5).quantity == 5


def test_the_stale_hasher_is_asked_for_only_while_rehash_is_supported(tmp_path: Path) -> None:
    """A hasher without parameters turns ``supports_rehash`` off and needs no
    ``stale_password_hasher``; with it on, a missing one says how to write it."""
    result = _run_suite(
        tmp_path,
        """
        import pytest
        from orderstatus_core.testing import CountingPasswordHasher, PasswordHasherContract

        class TestWithoutParameters(PasswordHasherContract):
            supports_rehash = False

            @pytest.fixture
            def password_hasher(self):
                return CountingPasswordHasher()

        class TestForgetful(PasswordHasherContract):
            @pytest.fixture
            def password_hasher(self):
                return CountingPasswordHasher()
        """,
        "-k",
        "stale",
        "-rs",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 skipped" in result.stdout
    assert "TestForgetful needs a `stale_password_hasher` fixture" in result.stdout
    assert "supports_rehash" in result.stdout
