"""What the units of work of both SQL adapters share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["repository"]

_Unit = TypeVar("_Unit")
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
        unit.__dict__[self._name] = made
        return made
