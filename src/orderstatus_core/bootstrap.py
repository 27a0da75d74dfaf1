"""The one composition root: ports from URLs or objects, policies from plugins, a clock.

:meth:`OrderStatus.open <orderstatus_core.OrderStatus.open>` and
:func:`orderstatus_core.testing.fake_context` both build their
:class:`~orderstatus_core.ServiceContext` here, so a test runs on the same wiring as a
store. Whatever this opened from a URL, ``ctx.close()`` closes; an object passed in stays
the caller's to close.

>>> from orderstatus_core.testing import FixedClock, RecordingMailer
>>> ctx = bootstrap(storage="memory://", mail=RecordingMailer(), clock=FixedClock())
>>> [type(resource).__name__ for resource in ctx.opened]
['MemoryStorage', 'MemoryRateLimiter']
>>> ctx.close()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from orderstatus_core.clock import SystemClock
from orderstatus_core.plugins.manager import Hooks, get_plugin_manager
from orderstatus_core.plugins.registry import AdapterRegistry
from orderstatus_core.ports import (
    BreachedPasswords,
    Captcha,
    Clock,
    LabelMaker,
    Mailer,
    PasswordHasher,
    RateLimiter,
    SharedSessionStore,
    Storage,
    VehicleCatalog,
)
from orderstatus_core.services.accounts._common import prepare_accounts
from orderstatus_core.services.context import Closeable, Policies, ServiceContext, close_all

__all__ = ["bootstrap"]

_Port = TypeVar("_Port", bound=Closeable)


def bootstrap(
    *,
    storage: str | Storage,
    mail: str | Mailer,
    rate_limits: str | RateLimiter = "memory://",
    sessions: str | SharedSessionStore | None = None,
    labels: str | LabelMaker | None = None,
    captcha: str | Captcha | None = None,
    password_hasher: str | PasswordHasher | None = None,
    breached_passwords: str | BreachedPasswords | None = None,
    vehicle_catalog: VehicleCatalog | None = None,
    clock: Clock | None = None,
    hooks: Hooks | None = None,
    policies: Policies | None = None,
    registry: AdapterRegistry | None = None,
) -> ServiceContext:
    """Open the adapters named by URL (in this order: storage, mail, rate limits, sessions,
    labels, captcha, password hasher, breached-password check) and wire them with the
    policies and the clock.

    ``sessions`` (``redis://...``) keeps the logged-in sessions apart from the storage,
    shared by every app server (:class:`~orderstatus_core.ports.SharedSessionStore`); by
    default they live in the storage with everything else.

    ``hooks`` (default: the installed plugins) gives the adapter registry and, unless
    ``policies`` is given, the policies; a policy plugin's wrong answer fails here, not on a
    shopper's first request. ``registry`` skips building one from ``hooks`` (tests reuse
    one: loading the installed plugins is slow). If opening one adapter fails, those
    opened before it are closed, newest first, and the error is raised. With a password
    hasher, its dummy hash is made here, once (SECURITY A2: no log-in pays for it).
    ``vehicle_catalog`` (an object: the caller's to close) lists the garage's vehicles.
    """
    if policies is None or registry is None:
        hooks = Hooks(get_plugin_manager()) if hooks is None else hooks
        if policies is None:
            hooks.check_policies()
            policies = hooks
        if registry is None:
            registry = hooks.adapter_registry()
    opened: list[Closeable] = []
    try:
        storage_port = _open(storage, registry.open_storage, opened)
        mailer = _open(mail, registry.open_mailer, opened)
        limiter = _open(rate_limits, registry.open_rate_limiter, opened)
        if sessions is not None:
            shared = _open(sessions, registry.open_session_store, opened)
            storage_port = shared.with_storage(storage_port)
        maker = None if labels is None else _open(labels, registry.open_label_maker, opened)
        drawn = None if captcha is None else _open(captcha, registry.open_captcha, opened)
        hasher = (
            None
            if password_hasher is None
            else _open(password_hasher, registry.open_password_hasher, opened)
        )
        breached = (
            None
            if breached_passwords is None
            else _open(breached_passwords, registry.open_breached_passwords, opened)
        )
    except BaseException as error:
        try:
            close_all(reversed(opened))
        except BaseException as also:
            error.add_note(f"closing what was opened failed too: {also!r:.200}")
        raise
    context = ServiceContext(
        storage=storage_port,
        mailer=mailer,
        rate_limiter=limiter,
        clock=SystemClock() if clock is None else clock,
        policies=policies,
        label_maker=maker,
        captcha=drawn,
        password_hasher=hasher,
        breached_passwords=breached,
        vehicle_catalog=vehicle_catalog,
        opened=tuple(opened),
    )
    try:
        prepare_accounts(context)
    except BaseException:
        context.close()
        raise
    return context


def _open(given: str | _Port, opener: Callable[[str], _Port], opened: list[Closeable]) -> _Port:
    if not isinstance(given, str):
        return given
    port = opener(given)
    opened.append(port)
    return port
