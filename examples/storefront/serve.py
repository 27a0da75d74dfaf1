"""Serving the storefront for the demo and the tests: werkzeug's threaded server on
127.0.0.1 with an outbox relay beside it, and the plugin that points mailed guest-pass
links at this server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from orderstatus_core import AccountPolicy, GuestPassPolicy, OrderStatus, hookimpl

__all__ = ["account_plugin", "link_plugin", "relaying", "running", "serve"]

_log = logging.getLogger(__name__)


class _LinkBase:
    """The ``orderstatus_guest_pass_policy`` hook: mailed links lead to ``base``."""

    def __init__(self, base: str) -> None:
        self.policy = GuestPassPolicy(link_base=base)

    @hookimpl
    def orderstatus_guest_pass_policy(self) -> GuestPassPolicy:
        return self.policy


def link_plugin(base: str) -> object:
    """A plugin for ``OrderStatus.open(plugins=[...])`` whose mailed guest-pass links open
    ``base`` (this storefront's ``/pass`` page), e.g. ``http://127.0.0.1:8000/pass``."""
    return _LinkBase(base)


class _AccountLinks:
    """The ``orderstatus_account_policy`` hook: mailed account links lead to ``base``."""

    def __init__(self, base: str) -> None:
        self.policy = AccountPolicy(link_base=base)

    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        return self.policy


def account_plugin(base: str) -> object:
    """A plugin for ``OrderStatus.open(plugins=[...])`` whose mailed account links
    (``/verify``, ``/reset``, ``/confirm-email``) open this storefront's account pages:
    ``base`` is its ``/account`` address, e.g. ``http://127.0.0.1:8000/account``. The
    other numbers of the account policy stay the defaults."""
    return _AccountLinks(base)


@contextmanager
def _background(target: Callable[[], None], name: str, stop: Callable[[], None]) -> Iterator[None]:
    """``target`` in a daemon thread while the block runs; ``stop`` ends it, then a join."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop()
        thread.join(timeout=10)


@contextmanager
def relaying(desk: OrderStatus, every: float = 0.5) -> Iterator[threading.Event]:
    """Relay the outbox in a background thread while the block runs (mail and return
    papers are made after the request's commit, never inside it)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                desk.relay_outbox()
            except Exception:  # keep relaying: the failure is logged and retried
                _log.exception("the outbox relay failed")

    with _background(loop, "outbox-relay", stop.set):
        yield stop


@contextmanager
def running(app: Flask, host: str = "127.0.0.1", port: int = 0) -> Iterator[BaseWSGIServer]:
    """``app`` served by a threaded werkzeug server in a background thread (port 0: any
    free port, read it from ``server.server_port``)."""
    server = make_server(host, port, app, threaded=True)
    try:
        with _background(server.serve_forever, "storefront", server.shutdown):
            yield server
    finally:
        server.server_close()


def serve(app: Flask, desk: OrderStatus, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until Ctrl-C, relaying the outbox meanwhile (development and the demo only)."""
    with running(app, host, port), relaying(desk), suppress(KeyboardInterrupt):
        threading.Event().wait()
