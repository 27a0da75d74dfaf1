"""pluggy integration: hook specs, the ``hookimpl`` marker, the manager factory, the facade.

A store plugin is any module or object with ``@hookimpl`` functions::

    from orderstatus_core import hookimpl, LookupPolicy

    @hookimpl
    def orderstatus_lookup_policy():
        return LookupPolicy(order_list_size=5)
"""

from orderstatus_core.plugins.hookspecs import PROJECT_NAME
from orderstatus_core.plugins.manager import Hooks, get_plugin_manager, hookimpl
from orderstatus_core.plugins.registry import AdapterRegistry, url_scheme

__all__ = [
    "PROJECT_NAME",
    "AdapterRegistry",
    "Hooks",
    "get_plugin_manager",
    "hookimpl",
    "url_scheme",
]
