"""The ``argon2://`` plugin: registers the opener, imports argon2-cffi only on open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orderstatus_core import AdapterError, AdapterRegistry, hookimpl

if TYPE_CHECKING:
    from orderstatus_argon2.hasher import Argon2PasswordHasher

__all__ = ["open_password_hasher", "orderstatus_register_adapters"]


def open_password_hasher(url: str) -> Argon2PasswordHasher:
    """Open an ``argon2://`` hasher, importing argon2-cffi only now.

    Every installed plugin is loaded whenever a store opens; a store without accounts must
    not need argon2-cffi for that.
    """
    try:
        from orderstatus_argon2.hasher import Argon2PasswordHasher
    except ImportError as error:
        raise AdapterError(
            "the argon2:// password hasher needs argon2-cffi: "
            "pip install 'orderstatus-core[argon2]'"
        ) from error
    return Argon2PasswordHasher.from_url(url)


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``argon2://``: Argon2id password hashes."""
    registry.add_password_hasher("argon2", open_password_hasher)
