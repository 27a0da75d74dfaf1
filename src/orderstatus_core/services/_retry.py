"""Running a command again when the storage aborted it over a race (SECURITY G3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from orderstatus_core.errors import TransientConflictError

__all__ = ["ATTEMPTS", "retrying"]

T = TypeVar("T")

#: How many times a command runs before a transient conflict reaches the caller.
ATTEMPTS = 3


def retrying(command: Callable[[], T]) -> T:
    """Run ``command``; run it again, up to :data:`ATTEMPTS` times in all, while the
    storage aborts it with :class:`TransientConflictError`.

    Safe because each attempt is a whole unit of work and an aborted one committed nothing.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return command()
        except TransientConflictError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
