"""Plugins: adapters by URL scheme, policies overridden by a store's own hooks."""

from __future__ import annotations

import attrs
import pytest

from orderstatus_core import (
    AdapterNameConflictError,
    AdapterRegistry,
    Hooks,
    InvalidUrlError,
    LookupPolicy,
    OrderStatus,
    UnknownAdapterError,
    get_plugin_manager,
    hookimpl,
)
from orderstatus_core.plugins import url_scheme
from orderstatus_core.policies import carrier_tracking_url


def test_an_unknown_scheme_names_the_installed_ones() -> None:
    """``nosuch://`` fails with the list of schemes that would work."""
    with pytest.raises(UnknownAdapterError) as caught:
        OrderStatus.open("nosuch://x", "mailbox:///mail")
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
    desk = OrderStatus.open("memory://", "mailbox:///mail", plugins=[ShortListStore()])
    assert desk.context.policy.order_list_size == 5


def test_a_tracking_plugin_adds_a_carrier_and_keeps_the_defaults() -> None:
    """Returning ``None`` falls through to the built-in carriers."""
    desk = OrderStatus.open("memory://", "mailbox:///mail", plugins=[AcmeFreight()])
    tracking = desk.context.tracking_url
    assert tracking("Acme", "42") == "https://acme.example/track/42"
    assert tracking("UPS", "1Z9") == carrier_tracking_url("UPS", "1Z9")


def test_without_an_override_the_tracking_policy_is_the_plain_function() -> None:
    """No plugin overrides it: no hook machinery on the hot path."""
    desk = OrderStatus.open("memory://", "mailbox:///mail")
    assert desk.context.tracking_url("usps", "9400") == carrier_tracking_url("usps", "9400")
    assert not hasattr(desk.context.tracking_url, "__self__")


@pytest.mark.parametrize("number", ["1Z 9/../x?a=b#c", "<script>", "a&b=c"])
def test_tracking_numbers_cannot_change_the_shape_of_the_url(number: str) -> None:
    """The number is percent-encoded into the query."""
    url = carrier_tracking_url("UPS", number)
    assert url is not None
    assert url.startswith("https://www.ups.com/track?tracknum=")
    assert not set("/?#&<> ") & set(url.removeprefix("https://www.ups.com/track?tracknum="))


def test_an_unknown_carrier_has_no_tracking_page() -> None:
    """Only carriers with a known page get a link."""
    assert carrier_tracking_url("Pony Express", "1") is None


def test_a_policy_with_a_nonsense_size_is_refused() -> None:
    """Policies validate their own values."""
    with pytest.raises(ValueError, match="order_list_size"):
        LookupPolicy(order_list_size=0)
