"""Building the plugin manager, and the typed facade every call goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import cast

import pluggy

from orderstatus_core.errors import AdapterError, InvalidFieldError
from orderstatus_core.events import DomainEvent
from orderstatus_core.model import Order, OrderLine
from orderstatus_core.model.requests import Change
from orderstatus_core.model.returns import ReturnDestination, ReturnKind, ReturnReason
from orderstatus_core.plugins import builtin, hookspecs
from orderstatus_core.plugins.hookspecs import PROJECT_NAME, hookimpl
from orderstatus_core.plugins.registry import AdapterRegistry
from orderstatus_core.policies.guest_pass import PASS_ACTIONS, GuestPassPolicy
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.returns import (
    ReturnPolicy,
    ReturnRefusal,
    ReturnRules,
    default_route,
)

__all__ = ["Hooks", "get_plugin_manager", "hookimpl"]


def get_plugin_manager(
    load_entrypoints: bool = True,
    blocked: Iterable[str] = (),
    plugins: Iterable[object] = (),
) -> pluggy.PluginManager:
    """A plugin manager with the hook specs, the built-in defaults and the installed plugins.

    ``load_entrypoints`` loads every plugin of the ``orderstatus`` entry-point group (the
    bundled adapters are found this way too); ``blocked`` names entry points to skip;
    ``plugins`` are registered last, so their ``firstresult`` answers win. Nothing of this
    happens at import time.
    """
    manager = pluggy.PluginManager(PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    manager.register(builtin, name="orderstatus.builtin")
    for name in blocked:
        manager.set_blocked(name)
    if load_entrypoints:
        manager.load_setuptools_entrypoints(PROJECT_NAME)
    for plugin in plugins:
        manager.register(plugin)
    manager.check_pending()
    return manager


class Hooks:
    """A typed facade over ``manager.hook``: one method per hook, checked by mypy."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager

    def adapter_registry(self) -> AdapterRegistry:
        """A registry filled by every plugin's ``orderstatus_register_adapters``."""
        registry = AdapterRegistry()
        self.manager.hook.orderstatus_register_adapters(registry=registry)
        return registry

    def lookup_policy(self) -> LookupPolicy:
        """The lookup policy in force."""
        return cast(LookupPolicy, self.manager.hook.orderstatus_lookup_policy())

    def guest_pass_policy(self) -> GuestPassPolicy:
        """The guest-pass policy in force."""
        return cast(GuestPassPolicy, self.manager.hook.orderstatus_guest_pass_policy())

    def pass_required(self, action: str) -> bool:
        """Whether a guest needs a guest pass for ``action``.

        ``action`` is one of ``cancel``, ``change``, ``report`` and ``return``; any other
        raises :class:`~orderstatus_core.errors.InvalidFieldError`, since it can only be a
        typo. Fails closed: only an explicit ``False`` from a plugin waives the pass.
        """
        if not isinstance(action, str) or action not in PASS_ACTIONS:
            raise InvalidFieldError("action", f"must be one of {', '.join(sorted(PASS_ACTIONS))}")
        answer = self.manager.hook.orderstatus_pass_required(action=action)
        return answer is not False

    def cancel_allowed(self, order: Order, now: datetime) -> bool:
        """Whether the cancellation window is open (the ``orderstatus_cancel_allowed`` hook)."""
        return self.manager.hook.orderstatus_cancel_allowed(order=order, now=now) is not False

    def change_allowed(self, order: Order, change: Change) -> bool:
        """Whether the store offers ``change`` (the ``orderstatus_change_allowed`` hook)."""
        return self.manager.hook.orderstatus_change_allowed(order=order, change=change) is not False

    def auto_approve_change(self, order: Order, change: Change) -> bool:
        """Whether ``change`` is approved at once (the ``orderstatus_auto_approve_change`` hook)."""
        answer = self.manager.hook.orderstatus_auto_approve_change(order=order, change=change)
        return answer is True

    def publish_event(self, event_id: str, event: DomainEvent) -> None:
        """Hand ``event`` to every ``orderstatus_domain_event`` implementation.

        With none registered, raise :class:`~orderstatus_core.errors.AdapterError`: the relay
        then keeps the event pending, so refunds wait for a payment plugin instead of being
        marked delivered to nobody.
        """
        hook = self.manager.hook.orderstatus_domain_event
        if not hook.get_hookimpls():
            raise AdapterError(
                f"no orderstatus_domain_event subscriber for {type(event).__name__}; "
                "it stays pending"
            )
        hook(event_id=event_id, event=event)

    def retention_policy(self) -> RetentionPolicy:
        """The retention policy in force. A plugin answering anything but a
        :class:`RetentionPolicy` raises :class:`~orderstatus_core.errors.InvalidFieldError`:
        a purge never guesses how long to keep things."""
        policy = self.manager.hook.orderstatus_retention_policy()
        if not isinstance(policy, RetentionPolicy):
            raise InvalidFieldError(
                "orderstatus_retention_policy",
                f"must answer a RetentionPolicy, not {policy!r:.60}",
            )
        return policy

    def return_rules(self) -> ReturnRules:
        """The return policy and, where plugins implement them, the per-line window,
        refusal and routing hooks (unimplemented ones cost no hook call)."""
        policy = self.manager.hook.orderstatus_return_policy()
        if not isinstance(policy, ReturnPolicy):
            raise InvalidFieldError(
                "orderstatus_return_policy", f"must answer a ReturnPolicy, not {policy!r:.60}"
            )
        hook = self.manager.hook
        fallback = default_route(policy)

        def window(order: Order, line: OrderLine) -> int:
            days = hook.orderstatus_return_window(order=order, line=line)
            if days is None:
                return policy.window_days
            if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
                raise InvalidFieldError(
                    "orderstatus_return_window", f"must answer 0 to 3650 days, not {days!r:.60}"
                )
            return days

        def refuse(order: Order, line: OrderLine, kind: ReturnKind) -> ReturnRefusal | None:
            refusal = hook.orderstatus_return_refusal(order=order, line=line, kind=kind)
            if refusal is not None and not isinstance(refusal, ReturnRefusal):
                raise InvalidFieldError(
                    "orderstatus_return_refusal",
                    f"must answer a ReturnRefusal or None, not {refusal!r:.60}",
                )
            return refusal

        def route(
            order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
        ) -> ReturnDestination:
            chosen = hook.orderstatus_return_destination(
                order=order, line=line, reason=reason, shipped_from=shipped_from
            )
            return fallback(order, line, reason, shipped_from) if chosen is None else chosen

        return ReturnRules(
            policy=policy,
            window_days=window if hook.orderstatus_return_window.get_hookimpls() else None,
            refuse=refuse if hook.orderstatus_return_refusal.get_hookimpls() else None,
            route=route if hook.orderstatus_return_destination.get_hookimpls() else None,
        )

    def tracking_url_policy(self) -> Callable[[str, str], str | None]:
        """The tracking-URL policy as one plain function.

        When no plugin overrides ``orderstatus_tracking_url`` this is the built-in function
        itself, which spares the hook-call machinery on every package of every order view.
        """
        implementations = self.manager.hook.orderstatus_tracking_url.get_hookimpls()
        if [impl.plugin for impl in implementations] == [builtin]:
            return builtin.orderstatus_tracking_url
        return self.tracking_url

    def tracking_url(self, carrier: str, tracking_number: str) -> str | None:
        """The tracking page of a package, or ``None``."""
        return cast(
            "str | None",
            self.manager.hook.orderstatus_tracking_url(
                carrier=carrier, tracking_number=tracking_number
            ),
        )
