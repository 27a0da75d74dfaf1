"""Service functions as methods: each command is written once, in the services, and the
facade's desks and the guest session hand it what they hold.

``desk.warehouse.ship(...)`` is :func:`.services.ship` with the store's context given;
``guest.cancel_order(...)`` is :func:`.services.cancel_order` with the context and the
guest's proof given. The descriptor keeps the command's signature (less what it binds) for
mypy and its docstring for readers, so no signature is copied into a forwarding method.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Concatenate,
    Generic,
    ParamSpec,
    Protocol,
    Self,
    TypeVar,
    overload,
)

from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.proof import GuestProof

if TYPE_CHECKING:
    from orderstatus_core.services.accounts._common import ShopperProof

__all__ = ["GuestCommand", "ShopperCommand", "StoreCommand"]

P = ParamSpec("P")
R = TypeVar("R")


class _Desk(Protocol):
    """Anything that holds a store's context: the facade and its desks."""

    @property
    def context(self) -> ServiceContext: ...


class _Session(_Desk, Protocol):
    """A guest session: the store's context and the guest's proof."""

    @property
    def proof(self) -> GuestProof: ...


class StoreCommand(Generic[P, R]):
    """A service command as a method of a desk: the service function with the desk's
    context given."""

    def __init__(self, command: Callable[Concatenate[ServiceContext, P], R]) -> None:
        self.command = command
        self.__doc__ = command.__doc__

    @overload
    def __get__(self, desk: None, owner: type[object]) -> Self: ...

    @overload
    def __get__(self, desk: _Desk, owner: type[object]) -> Callable[P, R]: ...

    def __get__(self, desk: _Desk | None, owner: type[object]) -> Self | Callable[P, R]:
        if desk is None:
            return self
        return functools.partial(self.command, desk.context)


class GuestCommand(Generic[P, R]):
    """A guest command as a method of a guest session: the service function with the
    session's context and proof given."""

    def __init__(self, command: Callable[Concatenate[ServiceContext, GuestProof, P], R]) -> None:
        self.command = command
        self.__doc__ = command.__doc__

    @overload
    def __get__(self, session: None, owner: type[object]) -> Self: ...

    @overload
    def __get__(self, session: _Session, owner: type[object]) -> Callable[P, R]: ...

    def __get__(self, session: _Session | None, owner: type[object]) -> Self | Callable[P, R]:
        if session is None:
            return self
        return functools.partial(self.command, session.context, session.proof)


class _Shopper(_Desk, Protocol):
    """A shopper session: the store's context and the logged-in shopper's proof."""

    @property
    def proof(self) -> ShopperProof: ...


class ShopperCommand(Generic[P, R]):
    """An account command as a method of a shopper session: the service function with
    the session's context and proof given."""

    def __init__(self, command: Callable[Concatenate[ServiceContext, ShopperProof, P], R]) -> None:
        self.command = command
        self.__doc__ = command.__doc__

    @overload
    def __get__(self, session: None, owner: type[object]) -> Self: ...

    @overload
    def __get__(self, session: _Shopper, owner: type[object]) -> Callable[P, R]: ...

    def __get__(self, session: _Shopper | None, owner: type[object]) -> Self | Callable[P, R]:
        if session is None:
            return self
        return functools.partial(self.command, session.context, session.proof)
