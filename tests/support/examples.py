"""Example counts that follow the loaded Hypothesis profile down, never up.

A few properties draw more examples than the profile gives (an equivalence of two parsers,
the API fuzzing): the count written in the test is what it draws under ``ci``. Under
``ci-quick`` (the later Pythons of a CI run, which would only repeat the ``ci`` run's
derandomized examples) it draws the same share fewer; under ``dev`` or ``nightly``, the
count as written.
"""

from __future__ import annotations

from hypothesis import settings

__all__ = ["examples"]

#: The ``ci`` profile's examples per test: the scale the counts in the tests are written at.
_CI_EXAMPLES = 30


def examples(under_ci: int) -> int:
    """``under_ci`` under the ``ci`` profile or any larger one; under a smaller profile,
    fewer in the same proportion (``ci-quick``: a third), at least one.

    Read when the test module is imported, after the plugin has loaded the profile."""
    share = min(1.0, settings().max_examples / _CI_EXAMPLES)
    return max(1, round(under_ci * share))
