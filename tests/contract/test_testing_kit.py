"""The shipped testing kit: fakes, ``fake_context`` and the opt-in pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    Bucket,
    InvalidFieldError,
    MailDeliveryError,
    OrderFound,
    OrderNotFound,
    OutgoingMail,
    Quota,
    ServiceContext,
)
from orderstatus_core.services import find_order, relay_outbox, send_order_list
from orderstatus_core.testing import (
    CountingRateLimiter,
    FailingMailer,
    FixedClock,
    RecordingMailer,
    fake_context,
)
from orderstatus_core.testing.builders import make_order

MAIL = OutgoingMail("m1", "jane@example.com", "Subject", "Text\n")
QUOTA = Quota(5, timedelta(minutes=1))


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def _pytest(folder: Path, *args: str, profile: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in ``folder`` as a user's suite that turned the plugin on."""
    (folder / "conftest.py").write_text(
        'pytest_plugins = ["orderstatus_core.testing.pytest_plugin"]\n', "utf-8"
    )
    env = {**os.environ, "HYPOTHESIS_PROFILE": profile}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, check=False, timeout=120
    )


def test_a_fixed_clock_stands_still_until_moved() -> None:
    """``now`` stays put; ``advance`` and ``set`` move it."""
    clock = FixedClock()
    assert clock.now() == clock.now() == FixedClock.START
    clock.advance(timedelta(seconds=90))
    assert clock.now() == FixedClock.START + timedelta(seconds=90)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2030, 1, 1, tzinfo=UTC)


def test_a_fixed_clock_refuses_a_naive_time() -> None:
    """A time without a zone would be a guess, so the clock refuses it."""
    with pytest.raises(InvalidFieldError):
        FixedClock(datetime(2026, 1, 1))


def test_a_recording_mailer_keeps_every_mail_in_order() -> None:
    """Every mail sent is kept, oldest first, and can be found by recipient."""
    mailer = RecordingMailer()
    other = OutgoingMail("m2", "john@example.com", "Subject", "Text\n")
    mailer.send(MAIL)
    mailer.send(other)
    assert mailer.sent == [MAIL, other]
    assert mailer.sent_to("john@example.com") == [other]


def test_a_failing_mailer_raises_and_counts_the_attempts() -> None:
    """Every send raises ``MailDeliveryError`` and is counted."""
    mailer = FailingMailer()
    for _ in range(2):
        with pytest.raises(MailDeliveryError):
            mailer.send(MAIL)
    assert (mailer.calls, mailer.attempted) == (2, [MAIL, MAIL])


def test_a_counting_rate_limiter_records_and_forwards_every_call() -> None:
    """Each call is recorded as the tuple of its buckets and answered by the wrapped limiter."""
    limiter = CountingRateLimiter(fake_context().rate_limiter)
    call = [Bucket("k", Quota(1, timedelta(minutes=1))), Bucket("j", QUOTA)]
    decisions = [limiter.hit(call, FixedClock.START) for _ in "ab"]
    assert [d.allowed for d in decisions] == [True, False]
    assert limiter.calls == [tuple(call)] * 2


def test_call_shapes_ignore_the_digest_but_not_buckets_quotas_calls_or_repeats() -> None:
    """Shapes are equal for different identifiers, and differ for anything else."""

    def shape(*calls: tuple[tuple[str, Quota], ...]) -> object:
        limiter = CountingRateLimiter(fake_context().rate_limiter)
        for call in calls:
            limiter.hit([Bucket(key, quota) for key, quota in call], FixedClock.START)
        return limiter.shape()

    other = Quota(9, timedelta(minutes=1))
    base = shape((("find:id:aaa", QUOTA), ("find:order:bbb", QUOTA)))
    assert base == shape((("find:id:ccc", QUOTA), ("find:order:ddd", QUOTA)))
    assert base != shape((("find:id:aaa", other), ("find:order:bbb", QUOTA)))
    assert base != shape((("find:id:aaa", QUOTA),), (("find:order:bbb", QUOTA),))
    assert base != shape((("find:id:aaa", QUOTA),), (("find:id:aaa", QUOTA),))


def _shop_with_one_order() -> tuple[ServiceContext, CountingRateLimiter]:
    limiter = CountingRateLimiter(fake_context().rate_limiter)
    ctx = fake_context(rate_limiter=limiter)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(number="123456789"))
        uow.commit()
    return ctx, limiter


def test_the_enumeration_oracle_sees_equal_shapes_for_known_and_unknown_emails() -> None:
    """find-order with the right and a wrong email hits the limiter the same way (A1)."""
    (known, known_calls), (unknown, unknown_calls) = _shop_with_one_order(), _shop_with_one_order()
    found = find_order(known, "jane.doe@example.com", "123456789", client="10.0.0.1")
    missing = find_order(unknown, "nobody@example.com", "123456789", client="10.0.0.1")
    assert (type(found), type(missing)) == (OrderFound, OrderNotFound)
    assert known_calls.shape() == unknown_calls.shape()


def test_a_fake_context_runs_a_whole_order_look_up() -> None:
    """With the defaults, Order Look-Up queues a mail and the relay hands it to the mailer."""
    ctx, _calls = _shop_with_one_order()
    mailer = RecordingMailer()
    ctx = fake_context(ctx.storage, mailer=mailer)
    send_order_list(ctx, "JANE.DOE@example.com", client="10.0.0.1")
    relay_outbox(ctx)
    assert [(m.to, "123456789" in m.text) for m in mailer.sent] == [("Jane.Doe@example.com", True)]


def test_a_fake_context_uses_what_it_is_given() -> None:
    """Every port passed in is the one the context holds."""
    clock, mailer = FixedClock(), FailingMailer()
    base = fake_context()
    ctx = fake_context(base.storage, mailer=mailer, clock=clock)
    assert (ctx.storage, ctx.mailer, ctx.clock) == (base.storage, mailer, clock)


def test_the_plugin_fixtures_give_a_clock_and_a_context_on_it(
    orderstatus_clock: FixedClock, orderstatus_context: ServiceContext
) -> None:
    """``orderstatus_context`` runs on the ``orderstatus_clock`` of the same test."""
    orderstatus_clock.advance(timedelta(days=1))
    assert orderstatus_context.clock.now() == FixedClock.START + timedelta(days=1)


def test_importing_the_plugin_loads_neither_hypothesis_nor_an_adapter() -> None:
    """The plugin is loaded into every pytest run, so importing it does no work."""
    loaded = _run(
        "import sys, orderstatus_core.testing.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'hypothesis', 'orderstatus_memory', 'orderstatus_sqlite', 'orderstatus_mailbox'}))"
    )
    assert loaded == "[]"


@pytest.mark.parametrize(("profile", "examples"), [("ci", 30), ("ci-quick", 10)])
def test_the_ci_profiles_are_loaded_from_the_environment(
    tmp_path: Path, profile: str, examples: int
) -> None:
    """``HYPOTHESIS_PROFILE=ci`` gives fewer examples, derandomized, without a deadline;
    ``ci-quick`` (the other Pythons of a CI run) the same with a third of the examples."""
    (tmp_path / "test_profile.py").write_text(
        textwrap.dedent(
            f"""
            from hypothesis import settings

            def test_profile():
                current = settings()
                assert settings.get_current_profile_name() == {profile!r}
                assert (current.max_examples, current.derandomize, current.deadline) == (
                    {examples}, True, None
                )
            """
        )
    )
    result = _pytest(tmp_path, profile=profile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_nightly_profile_runs_the_lifecycle_machine_long(tmp_path: Path) -> None:
    """``HYPOTHESIS_PROFILE=nightly`` gives 600 examples of up to 50 steps, random, and the
    storage contract's lifecycle machine takes that budget instead of its own."""
    (tmp_path / "test_profile.py").write_text(
        textwrap.dedent(
            """
            from hypothesis import settings

            from orderstatus_core.testing.contracts._support import _lifecycle_budget

            def test_profile():
                budget = _lifecycle_budget()
                assert settings.get_current_profile_name() == "nightly"
                assert (budget.max_examples, budget.stateful_step_count) == (600, 50)
                assert (budget.derandomize, budget.deadline) == (False, None)
            """
        )
    )
    result = _pytest(tmp_path, profile="nightly")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("profile", "orders"), [("ci", 20), ("ci-quick", 7)])
def test_other_profiles_keep_the_lifecycle_machine_short(
    tmp_path: Path, profile: str, orders: int
) -> None:
    """Under ``ci`` the lifecycle machine keeps to 20 orders of up to 20 steps; under
    ``ci-quick`` to a third of the orders, of as many steps."""
    (tmp_path / "test_profile.py").write_text(
        textwrap.dedent(
            f"""
            from orderstatus_core.testing.contracts._support import _lifecycle_budget

            def test_profile():
                budget = _lifecycle_budget()
                assert (budget.max_examples, budget.stateful_step_count) == ({orders}, 20)
            """
        )
    )
    result = _pytest(tmp_path, profile=profile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_profile_is_a_usage_error(tmp_path: Path) -> None:
    """A misspelt ``HYPOTHESIS_PROFILE`` stops pytest with a clear message."""
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    result = _pytest(tmp_path, profile="nighty")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "HYPOTHESIS_PROFILE='nighty'" in result.stderr


def test_the_pytest_plugin_is_opt_in() -> None:
    """Installing the library adds no ``pytest11`` entry point: the plugin loads only into
    suites that name it (``pytest_plugins``), never into every pytest run on the machine."""
    from importlib.metadata import entry_points

    ours = [ep for ep in entry_points(group="pytest11") if ep.value.startswith("orderstatus")]
    assert ours == []
