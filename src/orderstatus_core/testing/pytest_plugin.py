"""An opt-in pytest plugin for projects that test code built on orderstatus-core.

Turn it on in your suite's top ``conftest.py``::

    pytest_plugins = ["orderstatus_core.testing.pytest_plugin"]

or for one run with ``pytest -p orderstatus_core.testing.pytest_plugin``. Installing the
library never loads it into anyone's test run (there is no ``pytest11`` entry point): a
project that has orderstatus-core installed for other reasons sees no new fixtures and no
Hypothesis profile change. Once on, it only *offers* things; nothing changes for a test
that does not ask:

* the fixture ``orderstatus_clock``: a :class:`~orderstatus_core.testing.FixedClock`;
* the fixture ``orderstatus_context``: a :class:`~orderstatus_core.ServiceContext` from
  :func:`~orderstatus_core.testing.fake_context`, on that clock;
* Hypothesis profiles ``ci`` (fewer examples, derandomized, no deadline), ``ci-quick``
  (``ci`` with a third of its examples, for the second and later Pythons of a CI run that
  tests several: derandomized, they would mostly repeat the first's), ``dev`` (the
  usual example count, no deadline) and ``nightly`` (600 examples of up to 50 steps, no
  deadline; the storage contract's order lifecycle machine runs that long too, where every
  other profile keeps it to 20 orders of 20 steps), registered and loaded only when the
  environment variable ``HYPOTHESIS_PROFILE`` is set. ``HYPOTHESIS_PROFILE`` may also name a profile
  your own ``conftest.py`` registers; ``--hypothesis-profile`` on the command line wins.

Importing this module does no work: Hypothesis and the fakes are imported when a hook or
fixture first needs them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from orderstatus_core.services.context import ServiceContext
    from orderstatus_core.testing.fakes import FixedClock

__all__ = ["orderstatus_clock", "orderstatus_context", "pytest_configure"]

#: The environment variable naming the Hypothesis profile to load.
PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
#: The profile of long runs: the storage contract's lifecycle machine takes its budget.
NIGHTLY_PROFILE = "nightly"
#: The ``ci`` profile with fewer examples, for the other Pythons of a multi-Python CI run.
QUICK_PROFILE = "ci-quick"
#: The ``ci`` profile's examples per test: the scale the conformance suites' own example
#: counts are written at (``ci-quick`` draws a third of it, and so do they).
CI_EXAMPLES = 30

# The conformance suites assert in a shipped module; let pytest explain their failures as
# it does for a test file. Only possible before a module is first imported.
_SUITES = (
    "orderstatus_core.testing.contract",
    "orderstatus_core.testing.contracts",
    "orderstatus_core.testing.invariants",
    "orderstatus_core.testing._comparison",
    "orderstatus_core.testing.lifecycle",
    "orderstatus_core.testing.lifecycle_returns",
    "orderstatus_core.testing._lifecycle_base",
)
pytest.register_assert_rewrite(*(name for name in _SUITES if name not in sys.modules))


def _register_profiles() -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci",
        max_examples=CI_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    # The same derandomized runs, a third as many examples each: for the second and later
    # Pythons of one CI run. Derandomized, they draw from the same seeds as ``ci`` on the
    # first Python, so thirty more examples there would mostly repeat its inputs; every
    # test still runs, on every Python.
    settings.register_profile(
        QUICK_PROFILE, settings.get_profile("ci"), max_examples=CI_EXAMPLES // 3
    )
    settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
    # Long runs, not for every CI run (``nox -s lifecycle``): random, so that each run
    # explores new histories; a failure prints the blob that replays it. Random even where
    # CI is set (Hypothesis then derandomizes its default settings, which this inherits).
    settings.register_profile(
        NIGHTLY_PROFILE,
        max_examples=600,
        stateful_step_count=50,
        derandomize=False,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Load the Hypothesis profile named by ``HYPOTHESIS_PROFILE``, if that is set."""
    name = os.environ.get(PROFILE_VARIABLE, "").strip()
    if not name:
        return
    try:
        from hypothesis import settings
        from hypothesis.errors import InvalidArgument
    except ImportError:  # pragma: no cover - the testing extra is not installed
        raise pytest.UsageError(
            f"{PROFILE_VARIABLE}={name} needs Hypothesis: install orderstatus-core[testing]"
        ) from None
    _register_profiles()
    if config.getoption("hypothesis_profile", None):
        return  # Hypothesis' own option, loaded by its plugin, takes precedence.
    try:
        settings.load_profile(name)
    except InvalidArgument:
        raise pytest.UsageError(
            f"{PROFILE_VARIABLE}={name!r} names no registered Hypothesis profile"
        ) from None


@pytest.fixture
def orderstatus_clock() -> FixedClock:
    """A :class:`~orderstatus_core.testing.FixedClock` at its default start time."""
    from orderstatus_core.testing.fakes import FixedClock

    return FixedClock()


@pytest.fixture
def orderstatus_context(orderstatus_clock: FixedClock) -> Iterator[ServiceContext]:
    """A :class:`~orderstatus_core.ServiceContext` of fakes on ``orderstatus_clock``.

    Memory storage, a :class:`~orderstatus_core.testing.RecordingMailer` and a memory rate
    limiter; the storage is closed after the test.
    """
    from orderstatus_core.testing.fakes import fake_context

    context = fake_context(clock=orderstatus_clock)
    yield context
    context.storage.close()
