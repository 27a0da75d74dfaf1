"""Building the plugin manager, and the typed facade every call goes through."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

import pluggy

from orderstatus_core.errors import AdapterError, InvalidFieldError
from orderstatus_core.events import DomainEvent
from orderstatus_core.mail import MailRenderer, MailTemplates
from orderstatus_core.model import Order, OrderLine
from orderstatus_core.model.requests import Change
from orderstatus_core.model.returns import ReturnDestination, ReturnKind, ReturnReason
from orderstatus_core.plugins import builtin, hookspecs
from orderstatus_core.plugins.hookspecs import PROJECT_NAME, hookimpl
from orderstatus_core.plugins.registry import AdapterRegistry
from orderstatus_core.policies.accounts import AccountPolicy
from orderstatus_core.policies.guest_pass import PASS_ACTIONS, GuestPassPolicy
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.passwords import PasswordRules
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.policies.relay import RelayPolicy
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.returns import (
    ReturnPolicy,
    ReturnRefusal,
    ReturnRules,
    default_route,
)
from orderstatus_core.policies.tracking import carrier_tracking_url

__all__ = ["Hooks", "default_policies", "get_plugin_manager", "hookimpl"]

_T = TypeVar("_T")


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


def default_policies() -> Hooks:
    """The core's defaults as a :class:`~orderstatus_core.services.context.Policies`: the
    typed facade over a manager holding only the built-in plugin.

    Shared and built once (the answers never change); tests that want another rule pass a
    plugin to ``fake_context(plugins=...)`` rather than registering one on this manager.
    """
    return _default_policies()


@functools.cache
def _default_policies() -> Hooks:
    return Hooks(get_plugin_manager(load_entrypoints=False))


class Hooks:
    """A typed facade over ``manager.hook``: one method per hook, checked by mypy, and
    every answer checked at run time by one helper.

    It implements :class:`~orderstatus_core.services.context.Policies`, the one policies
    object of a service context. The answers of the hooks without arguments (the lookup,
    guest-pass, account, return, retention, relay and password policies) are asked once and kept: a
    store's policy is fixed while it runs, and a hook call on every request would cost more
    than the rule.
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self._kept: dict[str, object] = {}
        # Called for every package of every order view: kept apart from _kept, typed.
        self._tracking_url: Callable[[str, str], str | None] | None = None

    def adapter_registry(self) -> AdapterRegistry:
        """A registry filled by every plugin's ``orderstatus_register_adapters``."""
        registry = AdapterRegistry()
        self.manager.hook.orderstatus_register_adapters(registry=registry)
        return registry

    def check_policies(self) -> None:
        """Ask every policy without arguments now, so that a plugin's wrong answer fails at
        start-up (``OrderStatus.open``) rather than on a shopper's first request."""
        self.lookup_policy()
        self.guest_pass_policy()
        self.return_rules()
        self.retention_policy()
        self.relay_policy()
        self.password_rules()
        self.account_policy()
        self.profile_policy()
        self._tracking()
        self.mail_renderer().check()

    def lookup_policy(self) -> LookupPolicy:
        """The lookup policy in force (``orderstatus_lookup_policy``)."""
        return self._kept_answer("orderstatus_lookup_policy", LookupPolicy)

    def guest_pass_policy(self) -> GuestPassPolicy:
        """The guest-pass policy in force (``orderstatus_guest_pass_policy``)."""
        return self._kept_answer("orderstatus_guest_pass_policy", GuestPassPolicy)

    def password_rules(self) -> PasswordRules:
        """The password rules in force (``orderstatus_password_rules``)."""
        return self._kept_answer("orderstatus_password_rules", PasswordRules)

    def account_policy(self) -> AccountPolicy:
        """The account policy in force (``orderstatus_account_policy``)."""
        return self._kept_answer("orderstatus_account_policy", AccountPolicy)

    def profile_policy(self) -> ProfilePolicy:
        """The profile policy in force (``orderstatus_profile_policy``)."""
        return self._kept_answer("orderstatus_profile_policy", ProfilePolicy)

    def retention_policy(self) -> RetentionPolicy:
        """The retention policy in force (``orderstatus_retention_policy``): a purge never
        guesses how long to keep things, so a wrong answer raises."""
        return self._kept_answer("orderstatus_retention_policy", RetentionPolicy)

    def mail_renderer(self) -> MailRenderer:
        """The mail renderer over every ``orderstatus_mail_templates`` answer, the core's
        last; built once and kept, since it keeps each language's compiled templates."""
        kept = self._kept.get("mail_renderer")
        if isinstance(kept, MailRenderer):
            return kept
        answers = self.manager.hook.orderstatus_mail_templates()
        for answer in answers:
            if not isinstance(answer, MailTemplates):
                raise self._wrong("orderstatus_mail_templates", "a MailTemplates or None", answer)
        renderer = MailRenderer(answers)
        self._kept["mail_renderer"] = renderer
        return renderer

    def relay_policy(self) -> RelayPolicy:
        """The relay policy in force (``orderstatus_relay_policy``): dead letters and the
        lease of a relay worker."""
        return self._kept_answer("orderstatus_relay_policy", RelayPolicy)

    def pass_required(self, action: str) -> bool:
        """Whether a guest needs a guest pass for ``action``.

        ``action`` is one of ``cancel``, ``change``, ``report`` and ``return``; any other
        raises :class:`~orderstatus_core.errors.InvalidFieldError`, since it can only be a
        typo. Fails closed: only an explicit ``False`` from a plugin waives the pass.
        """
        if not isinstance(action, str) or action not in PASS_ACTIONS:
            raise InvalidFieldError("action", f"must be one of {', '.join(sorted(PASS_ACTIONS))}")
        return self._decision("orderstatus_pass_required", action=action) is not False

    def cancel_allowed(self, order: Order, now: datetime) -> bool:
        """Whether the cancellation window is open (the ``orderstatus_cancel_allowed`` hook)."""
        return self._decision("orderstatus_cancel_allowed", order=order, now=now) is not False

    def change_allowed(self, order: Order, change: Change) -> bool:
        """Whether the store offers ``change`` (the ``orderstatus_change_allowed`` hook)."""
        return self._decision("orderstatus_change_allowed", order=order, change=change) is not False

    def auto_approve_change(self, order: Order, change: Change) -> bool:
        """Whether ``change`` is approved at once (the ``orderstatus_auto_approve_change``
        hook); only an explicit ``True`` approves."""
        return self._decision("orderstatus_auto_approve_change", order=order, change=change) is True

    def publish_event(self, event_id: str, event: DomainEvent) -> None:
        """Hand ``event`` to every ``orderstatus_domain_event`` implementation.

        With none registered, raise :class:`~orderstatus_core.errors.AdapterError`: the relay
        then keeps the event pending, so refunds wait for a payment plugin instead of being
        marked delivered to nobody. This is the hook's default, and why the built-in plugin
        has no implementation of it.
        """
        hook = self.manager.hook.orderstatus_domain_event
        if not hook.get_hookimpls():
            raise AdapterError(
                f"no orderstatus_domain_event subscriber for {type(event).__name__}; "
                "it stays pending"
            )
        hook(event_id=event_id, event=event)

    def return_rules(self) -> ReturnRules:
        """The return policy and, where plugins implement them, the per-line window,
        refusal and routing hooks (unimplemented ones cost no hook call)."""
        kept = self._kept.get("return_rules")
        if isinstance(kept, ReturnRules):
            return kept
        policy = self._kept_answer("orderstatus_return_policy", ReturnPolicy)
        hook = self.manager.hook
        fallback = default_route(policy)

        def window(order: Order, line: OrderLine) -> int:
            days = self._answer("orderstatus_return_window", int, order=order, line=line)
            if days is None:
                return policy.window_days
            if not 0 <= days <= 3650:
                raise self._wrong("orderstatus_return_window", "0 to 3650 days", days)
            return days

        def refuse(order: Order, line: OrderLine, kind: ReturnKind) -> ReturnRefusal | None:
            return self._answer(
                "orderstatus_return_refusal", ReturnRefusal, order=order, line=line, kind=kind
            )

        def route(
            order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
        ) -> ReturnDestination:
            chosen = self._answer(
                "orderstatus_return_destination",
                ReturnDestination,
                order=order,
                line=line,
                reason=reason,
                shipped_from=shipped_from,
            )
            return fallback(order, line, reason, shipped_from) if chosen is None else chosen

        rules = ReturnRules(
            policy=policy,
            window_days=window if hook.orderstatus_return_window.get_hookimpls() else None,
            refuse=refuse if hook.orderstatus_return_refusal.get_hookimpls() else None,
            route=route if hook.orderstatus_return_destination.get_hookimpls() else None,
        )
        self._kept["return_rules"] = rules
        return rules

    def tracking_url_policy(self) -> Callable[[str, str], str | None]:
        """The tracking-URL policy as one plain function.

        When no plugin overrides ``orderstatus_tracking_url`` this is the built-in function
        itself, which spares the hook-call machinery on every package of every order view.
        """
        return self._tracking()

    def tracking_url(self, carrier: str, tracking_number: str) -> str | None:
        """The tracking page of a package, or ``None``."""
        return self._tracking()(carrier, tracking_number)

    def _tracking(self) -> Callable[[str, str], str | None]:
        kept = self._tracking_url
        if kept is None:
            implementations = self.manager.hook.orderstatus_tracking_url.get_hookimpls()
            if [impl.plugin for impl in implementations] == [builtin]:
                kept = carrier_tracking_url  # what the built-in hook answers, called directly
            else:
                kept = self._hook_tracking_url
            self._tracking_url = kept
        return kept

    def _hook_tracking_url(self, carrier: str, tracking_number: str) -> str | None:
        return self._answer(
            "orderstatus_tracking_url", str, carrier=carrier, tracking_number=tracking_number
        )

    # --- the one check of every answer ---------------------------------------------------

    def _kept_answer(self, name: str, expected: type[_T]) -> _T:
        kept = self._kept.get(name)
        if isinstance(kept, expected):
            return kept
        answer = self._answer(name, expected)
        if answer is None:
            raise self._wrong(name, f"a {expected.__name__}", answer)
        self._kept[name] = answer
        return answer

    def _decision(self, name: str, /, **kwargs: object) -> bool | None:
        return self._answer(name, bool, **kwargs)

    def _answer(self, name: str, expected: type[_T], /, **kwargs: object) -> _T | None:
        """Call the ``firstresult`` hook ``name`` and check that the answer is an
        ``expected`` or ``None`` (``bool`` is not taken for ``int``)."""
        answer: _T | None = getattr(self.manager.hook, name)(**kwargs)
        if answer is None or (
            isinstance(answer, expected) and not (expected is int and isinstance(answer, bool))
        ):
            return answer
        raise self._wrong(name, f"a {expected.__name__} or None", answer, kwargs)

    def _wrong(
        self, name: str, expected: str, answer: object, kwargs: dict[str, object] | None = None
    ) -> InvalidFieldError:
        plugin = self._answering_plugin(name, answer, kwargs or {})
        return InvalidFieldError(
            name, f"plugin {plugin} must answer {expected}, not {answer!r:.60}"
        )

    def _answering_plugin(self, name: str, answer: object, kwargs: dict[str, object]) -> str:
        # Only on the error path: ask the implementations again, in pluggy's calling order,
        # to name the one whose answer was wrong (policy hooks have no side effects).
        for impl in reversed(getattr(self.manager.hook, name).get_hookimpls()):
            try:
                mine = impl.function(*(kwargs[arg] for arg in impl.argnames))
            except Exception:  # a plugin that fails now is not the one that answered
                mine = None
            if mine is not None:
                if mine is answer or mine == answer:
                    plugin = impl.plugin
                    what = getattr(plugin, "__name__", type(plugin).__qualname__)
                    return f"{what!r} (registered as {impl.plugin_name!r})"
                break
        return "(unknown)"
