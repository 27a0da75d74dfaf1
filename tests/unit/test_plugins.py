"""Plugins: adapters by URL scheme, policies overridden by a store's own hooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    AdapterNameConflictError,
    AdapterRegistry,
    Hooks,
    InvalidFieldError,
    InvalidUrlError,
    LookupPolicy,
    NoBreachedPasswords,
    OrderStatus,
    PasswordRules,
    SpeedChange,
    UnknownAdapterError,
    get_plugin_manager,
    hookimpl,
)
from orderstatus_core.model.returns import ReturnKind, ReturnReason
from orderstatus_core.plugins import url_scheme
from orderstatus_core.plugins.manager import default_policies
from orderstatus_core.policies import carrier_tracking_url
from orderstatus_core.policies.returns import ReturnRules
from orderstatus_core.testing import CountingPasswordHasher, RecordingCaptcha, fake_context
from orderstatus_core.testing.builders import make_order
from orderstatus_memory import MemoryStorage


def test_an_unknown_scheme_names_the_installed_ones() -> None:
    """``nosuch://`` fails with the list of schemes that would work."""
    with pytest.raises(UnknownAdapterError) as caught:
        OrderStatus.open(storage="nosuch://x", mail="mailbox:///mail")
    installed = caught.value.installed
    assert {"memory", "sqlite", "postgresql"} <= set(installed)
    assert installed == sorted(installed)
    assert ", ".join(f"{name}://" for name in installed) in str(caught.value)


@pytest.mark.parametrize("url", ["orders.db", "", "://x", "sql ite://x", "x" * 50])
def test_a_url_without_a_scheme_is_refused(url: str) -> None:
    """An adapter URL always starts with ``scheme://``."""
    with pytest.raises(InvalidUrlError):
        url_scheme(url)


def test_schemes_are_case_insensitive() -> None:
    """``SQLITE:///x`` and ``sqlite:///x`` open the same adapter."""
    assert url_scheme("SQLite:///orders.db") == "sqlite"


def test_two_adapters_for_one_scheme_are_an_error() -> None:
    """A second plugin cannot silently replace the first one's adapter."""
    registry = AdapterRegistry()
    registry.add_storage("memory", lambda url: None)  # type: ignore[arg-type, return-value]
    with pytest.raises(AdapterNameConflictError):
        registry.add_storage("MEMORY", lambda url: None)  # type: ignore[arg-type, return-value]


def test_a_blocked_entry_point_is_not_loaded() -> None:
    """``blocked`` keeps an installed plugin out."""
    hooks = Hooks(get_plugin_manager(blocked=["sqlite"]))
    schemes = hooks.adapter_registry().storage_schemes()
    assert "sqlite" not in schemes
    assert "memory" in schemes


def test_without_entry_points_only_the_defaults_are_there() -> None:
    """``load_entrypoints=False`` registers the built-in policies and nothing else."""
    hooks = Hooks(get_plugin_manager(load_entrypoints=False))
    assert hooks.adapter_registry().storage_schemes() == []
    assert hooks.lookup_policy() == LookupPolicy()


class ShortListStore:
    """A store that mails only the 5 latest order numbers."""

    @hookimpl
    def orderstatus_lookup_policy(self) -> LookupPolicy:
        return attrs.evolve(LookupPolicy(), order_list_size=5)


class AcmeFreight:
    """A store whose regional carrier has its own tracking page."""

    @hookimpl
    def orderstatus_tracking_url(self, carrier: str, tracking_number: str) -> str | None:
        if carrier == "Acme":
            return f"https://acme.example/track/{tracking_number}"
        return None


def test_a_store_plugin_overrides_the_lookup_policy() -> None:
    """A plugin passed to ``OrderStatus.open`` wins over the built-in default."""
    desk = OrderStatus.open(storage="memory://", mail="mailbox:///mail", plugins=[ShortListStore()])
    assert desk.context.policies.lookup_policy().order_list_size == 5


def test_a_tracking_plugin_adds_a_carrier_and_keeps_the_defaults() -> None:
    """Returning ``None`` falls through to the built-in carriers."""
    desk = OrderStatus.open(storage="memory://", mail="mailbox:///mail", plugins=[AcmeFreight()])
    tracking = desk.context.policies.tracking_url
    assert tracking("Acme", "42") == "https://acme.example/track/42"
    assert tracking("UPS", "1Z9") == carrier_tracking_url("UPS", "1Z9")


def test_without_an_override_the_tracking_policy_is_the_plain_function() -> None:
    """No plugin overrides it: no hook machinery on the hot path."""
    hooks = Hooks(get_plugin_manager())
    assert hooks.tracking_url("usps", "9400") == carrier_tracking_url("usps", "9400")
    assert not hasattr(hooks.tracking_url_policy(), "__self__")


@pytest.mark.parametrize("number", ["1Z 9/../x?a=b#c", "<script>", "a&b=c"])
def test_tracking_numbers_cannot_change_the_shape_of_the_url(number: str) -> None:
    """The number is percent-encoded into the query."""
    url = carrier_tracking_url("UPS", number)
    assert url is not None
    assert url.startswith("https://www.ups.com/track?tracknum=")
    assert not set("/?#&<> ") & set(url.removeprefix("https://www.ups.com/track?tracknum="))


@given(st.text(max_size=40))
def test_a_tracking_number_is_in_the_url_exactly_as_percent_encoded(number: str) -> None:
    """Letters and digits go in as they are, anything else percent-encoded: the URL is
    always the page with the number quoted."""
    assert carrier_tracking_url("UPS", number) == (
        "https://www.ups.com/track?tracknum=" + quote(number, safe="")
    )


def test_an_unknown_carrier_has_no_tracking_page() -> None:
    """Only carriers with a known page get a link."""
    assert carrier_tracking_url("Pony Express", "1") is None


def test_a_policy_with_a_nonsense_size_is_refused() -> None:
    """Policies validate their own values."""
    with pytest.raises(ValueError, match="order_list_size"):
        LookupPolicy(order_list_size=0)


@hookimpl
def _answer(self: Any) -> object:
    """Any policy hook's implementation: it may take fewer arguments than the spec."""
    return self.answer


_ORDER = make_order()
_LINE = _ORDER.lines[0]
#: Each policy, asked the way a service asks it.
ASKS: dict[str, Callable[[Hooks], object]] = {
    "orderstatus_lookup_policy": lambda h: h.lookup_policy(),
    "orderstatus_guest_pass_policy": lambda h: h.guest_pass_policy(),
    "orderstatus_tracking_url": lambda h: h.tracking_url("UPS", "1Z9"),
    "orderstatus_pass_required": lambda h: h.pass_required("cancel"),
    "orderstatus_cancel_allowed": lambda h: h.cancel_allowed(_ORDER, _ORDER.placed_at),
    "orderstatus_change_allowed": lambda h: h.change_allowed(_ORDER, SpeedChange("overnight")),
    "orderstatus_auto_approve_change": lambda h: h.auto_approve_change(
        _ORDER, SpeedChange("overnight")
    ),
    "orderstatus_return_policy": lambda h: h.return_rules(),
    "orderstatus_retention_policy": lambda h: h.retention_policy(),
    "orderstatus_relay_policy": lambda h: h.relay_policy(),
    "orderstatus_password_rules": lambda h: h.password_rules(),
}
#: The per-line return hooks, asked through the rules (the policy itself left alone).
LINE_ASKS: dict[str, Callable[[ReturnRules], object]] = {
    "orderstatus_return_window": lambda r: r.days_for(_ORDER, _LINE),
    "orderstatus_return_refusal": lambda r: r.refusal_for(_ORDER, _LINE, ReturnKind.RETURN),
    "orderstatus_return_destination": lambda r: r.destination(
        _ORDER, _LINE, ReturnReason.DEFECTIVE, "Reno, NV"
    ),
}
#: Wrong answers: wrong types, a bool where a number is due, bytes and odd unicode for text.
WRONG = [42, "yes", b"https://x", {"order_list_size": 5}, ["\u202eevil"], 3.5]


def _only(hook: str, answer: object) -> Hooks:
    """Hooks over the defaults and one plugin answering ``answer`` to ``hook`` alone."""
    plugin = type("Only", (), {hook: _answer, "answer": answer})()
    return Hooks(get_plugin_manager(load_entrypoints=False, plugins=[plugin]))


@pytest.mark.parametrize("answer", WRONG, ids=repr)
@pytest.mark.parametrize("hook", sorted(ASKS))
def test_a_wrong_answer_names_the_hook_and_the_plugin(hook: str, answer: object) -> None:
    """Every policy answer is checked the same way: a wrong type fails loudly, naming the
    hook and the plugin that answered, never as a ``cast`` that breaks later."""
    if answer == "yes" and hook == "orderstatus_tracking_url":
        answer = 42  # a string is a right answer for a tracking page
    hooks = _only(hook, answer)
    with pytest.raises(InvalidFieldError, match=hook) as refused:
        ASKS[hook](hooks)
    assert "plugin 'Only'" in str(refused.value)


@pytest.mark.parametrize("answer", [*WRONG, True, -1, 3651], ids=repr)
@pytest.mark.parametrize("hook", sorted(LINE_ASKS))
def test_a_wrong_per_line_return_answer_is_refused(hook: str, answer: object) -> None:
    """The window, refusal and routing hooks are checked too (a bool is no number of days)."""
    if hook != "orderstatus_return_window" and answer in (-1, 3651):
        answer = "nonsense"
    if hook == "orderstatus_return_window" and answer == 42:
        answer = "42"  # 42 days is a right answer; the text of it is not
    rules = _only(hook, answer).return_rules()
    with pytest.raises(InvalidFieldError, match=hook):
        LINE_ASKS[hook](rules)


def test_a_wrong_policy_fails_at_open_not_on_the_first_request() -> None:
    """``OrderStatus.open`` asks each policy once, so a bad plugin stops the start-up."""
    plugin = type("Only", (), {"orderstatus_lookup_policy": hookimpl(lambda self: 5)})()
    with pytest.raises(InvalidFieldError, match="orderstatus_lookup_policy"):
        OrderStatus.open(storage="memory://", mail="mailbox:///mail", plugins=[plugin])


class _CountingLookup:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def orderstatus_lookup_policy(self) -> LookupPolicy:
        self.calls += 1
        return LookupPolicy(order_list_size=3)


def test_the_policies_without_arguments_are_asked_once() -> None:
    """A store's policy is fixed while it runs: no hook call on every request."""
    counting = _CountingLookup()
    hooks = Hooks(get_plugin_manager(load_entrypoints=False, plugins=[counting]))
    answers = {hooks.lookup_policy().order_list_size for _ in range(5)}
    assert answers == {3}
    assert counting.calls == 1


def test_a_plugin_registering_an_adapter_is_opened_by_its_scheme() -> None:
    """``orderstatus_register_adapters`` adds a scheme that ``OrderStatus.open`` then opens."""
    opened: list[str] = []

    class Ledger:
        @hookimpl
        def orderstatus_register_adapters(self, registry: AdapterRegistry) -> None:
            registry.add_storage("ledger", lambda url: opened.append(url) or MemoryStorage())

    with OrderStatus.open(storage="ledger://books", mail="mailbox:///m", plugins=[Ledger()]):
        assert opened == ["ledger://books"]


def test_the_default_policies_are_the_built_in_answers() -> None:
    """``default_policies()`` is the built-in plugin, nothing else: the one home of defaults."""
    defaults = default_policies()
    assert defaults.lookup_policy() == LookupPolicy()
    assert defaults.pass_required("return") is True
    assert defaults.auto_approve_change(_ORDER, SpeedChange("overnight")) is False
    assert [defaults.manager.get_name(plugin) for plugin in defaults.manager.get_plugins()] == [
        "orderstatus.builtin"
    ]


class EightIsEnough:
    """A store that lets shoppers choose passwords of 8 characters or more."""

    @hookimpl
    def orderstatus_password_rules(self) -> PasswordRules:
        return PasswordRules(min_length=8)


def test_the_password_rules_default_to_15_and_a_store_plugin_changes_them() -> None:
    """``orderstatus_password_rules``: the built-in 15, a store's 8, asked once at start-up."""
    assert default_policies().password_rules() == PasswordRules()
    assert fake_context(plugins=[EightIsEnough()]).policies.password_rules().min_length == 8


def test_a_password_rule_below_8_cannot_even_be_answered() -> None:
    """The floor holds in the value itself: a plugin cannot build rules under 8."""

    class TooLax:
        @hookimpl
        def orderstatus_password_rules(self) -> PasswordRules:
            return PasswordRules(min_length=6)

    with pytest.raises(ValueError, match="min_length"):
        fake_context(plugins=[TooLax()])


def test_account_adapters_are_registered_by_scheme_like_the_others() -> None:
    """Captchas, password hashers and breach checks: opened by scheme, listed, and a
    second plugin for the same scheme is an error."""
    registry = AdapterRegistry()
    captcha, hasher, breaches = RecordingCaptcha(), CountingPasswordHasher(), NoBreachedPasswords()
    registry.add_captcha("drawn", lambda url: captcha)
    registry.add_password_hasher("slow", lambda url: hasher)
    registry.add_breached_passwords("hibp", lambda url: breaches)
    assert registry.open_captcha("DRAWN://") is captcha
    assert registry.open_password_hasher("slow://?t=3") is hasher
    assert registry.open_breached_passwords("hibp://api") is breaches
    assert (
        registry.captcha_schemes(),
        registry.password_hasher_schemes(),
        registry.breached_passwords_schemes(),
    ) == (["drawn"], ["slow"], ["hibp"])
    with pytest.raises(AdapterNameConflictError):
        registry.add_password_hasher("SLOW", lambda url: hasher)
    with pytest.raises(UnknownAdapterError, match="no captcha adapter for hosted://"):
        registry.open_captcha("hosted://")
    with pytest.raises(
        UnknownAdapterError, match=r"password hasher adapter for bcrypt:// \(installed: slow://\)"
    ):
        registry.open_password_hasher("bcrypt://")
