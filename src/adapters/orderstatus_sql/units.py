"""What the units of work of both SQL adapters share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["forget_repositories", "repository"]

_Unit = TypeVar("_Unit")
# The unit's attribute naming the repositories it made (a unit has no repository of it).
_MADE = "_repositories_made"
_Repository = TypeVar("_Repository")


class repository(Generic[_Unit, _Repository]):
    """A unit of work's repository, made when a command first reads it, then kept.

    Most units use one or two of their six repositories, so each is made on first use;
    find-order's read unit is on the hot path. The made repository goes into the unit's
    ``__dict__`` under the same name, so later reads never reach this descriptor. It is
    what ``functools.cached_property`` does, without the lock that takes on every first
    read before Python 3.12: one lock for all units of the class, which every thread
    serving a request would queue on, and which a unit used by one thread does not need.
    """

    def __init__(self, make: Callable[[_Unit], _Repository]) -> None:
        self._make = make
        self._name = make.__name__
        self.__doc__ = make.__doc__

    @overload
    def __get__(self, unit: None, owner: type[Any]) -> repository[_Unit, _Repository]: ...

    @overload
    def __get__(self, unit: _Unit, owner: type[Any]) -> _Repository: ...

    def __get__(
        self, unit: _Unit | None, owner: type[Any]
    ) -> repository[_Unit, _Repository] | _Repository:
        if unit is None:
            return self
        made = self._make(unit)
        attributes = unit.__dict__
        attributes[self._name] = made
        # What forget_repositories() drops; one list per unit, made with its first one.
        attributes.setdefault(_MADE, []).append(self._name)
        return made


def forget_repositories(unit: Any) -> None:
    """Drop the repositories ``unit`` made, as it ends.

    Each repository holds its unit, and the unit keeps each repository it made: a
    reference cycle, so an ended unit would wait for the cyclic garbage collector instead
    of being freed at once. A unit per request (every session check, every find-order) fed
    the collector three objects each time, and its collections walk everything the
    process keeps. A repository taken before the end still refuses to work on the closed
    unit; the next use of the unit makes a new one.
    """
    attributes = unit.__dict__
    for name in attributes.pop(_MADE, ()):
        del attributes[name]
