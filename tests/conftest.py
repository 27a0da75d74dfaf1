"""Settings shared by the whole test suite.

The Hypothesis profiles (``ci``: fewer examples, derandomized, no deadline; ``dev``) come
from the shipped pytest plugin :mod:`orderstatus_core.testing.pytest_plugin`, which pytest
loads from the installed package and which loads the profile named by the environment
variable ``HYPOTHESIS_PROFILE`` (``nox -s tests`` sets ``ci``). They are not registered
again here, so that the suite runs with exactly what users of the plugin get.
"""

# The files in tests/typing/ are checked by mypy (``nox -s typecheck``) and never run.
collect_ignore_glob = ["typing/*"]
