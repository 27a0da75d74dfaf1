"""Example counts written for the ``ci`` profile (the conformance suites' and the suite's own)
follow the loaded profile down, never up."""

from __future__ import annotations

import pytest
from hypothesis import settings

from orderstatus_core.testing.contracts._support import examples


@pytest.mark.parametrize(
    ("profile_examples", "expected"), [(30, 300), (10, 100), (1, 10), (100, 300), (600, 300)]
)
def test_a_count_shrinks_with_a_smaller_profile_and_never_grows(
    profile_examples: int, expected: int
) -> None:
    """300 under ``ci`` (30 examples) and under every larger profile, a third under
    ``ci-quick`` (10), and the share, at least one, under any smaller profile."""
    before = settings.get_current_profile_name()
    name = f"example-counts-{profile_examples}"
    settings.register_profile(name, max_examples=profile_examples)
    try:
        settings.load_profile(name)
        assert examples(300) == expected
        assert examples(1) == 1
    finally:
        settings.load_profile(before)
