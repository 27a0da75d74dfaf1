"""The example storefront: the Order Status & Returns area as a Flask application.

Built only on the names of ``orderstatus_core.__all__`` and the adapters' URLs::

    from storefront import Settings, create_app, serve
    desk = OrderStatus.open(storage="sqlite:///orders.db", mail="mailbox:///mail",
                            labels="labels://", captcha="captcha://",
                            plugins=[link_plugin("https://shop.example/pass"),
                                     account_plugin("https://shop.example/account")])
    app = create_app(desk, Settings(secret_key=...))

``orderstatus demo --serve`` runs it on the demo data at http://127.0.0.1:8000.
See docs/storefront.md ("Building your storefront").
"""

from __future__ import annotations

from . import serve as serve_module
from .app import Settings, create_app
from .serve import account_plugin, link_plugin, serve

__all__ = ["Settings", "account_plugin", "create_app", "link_plugin", "serve", "serve_module"]
