"""The Argon2id password hasher (argon2-cffi).

``argon2://`` opens an :class:`Argon2PasswordHasher` with OWASP's Argon2id configuration
(19 MiB, 2 passes, 1 lane); ``argon2://?m=65536&t=3&p=1`` sets them (``m`` in KiB). Parameters
below the production floor of SECURITY B3 (19 MiB, 2 passes, 1 lane) are refused with
:class:`~orderstatus_core.WeakPasswordHashingError`; tests get cheap hashes from
``Argon2PasswordHasher.for_tests()``, which no URL reaches.

Hashing needs argon2-cffi (``pip install 'orderstatus-core[argon2]'``), imported when an
``argon2://`` URL is opened, never when the plugin is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderstatus_argon2._plugin import orderstatus_register_adapters

if TYPE_CHECKING:
    from orderstatus_argon2.hasher import Argon2PasswordHasher

__all__ = ["Argon2PasswordHasher", "orderstatus_register_adapters"]


def __getattr__(name: str) -> Any:
    # argon2-cffi is an optional dependency: imported when the hasher is first asked for,
    # never when the plugin is loaded.
    if name == "Argon2PasswordHasher":
        from orderstatus_argon2.hasher import Argon2PasswordHasher

        return Argon2PasswordHasher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
