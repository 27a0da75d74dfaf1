"""The adapter registry: which adapter opens which URL scheme.

Plugins fill it from their ``orderstatus_register_adapters`` hook; one plugin may add
several adapters. Opening a URL picks the adapter by its scheme, the way database URLs
work everywhere (``sqlite:///orders.db``, ``memory://``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from orderstatus_core.errors import (
    AdapterNameConflictError,
    InvalidUrlError,
    UnknownAdapterError,
)
from orderstatus_core.ports import (
    BreachedPasswords,
    Captcha,
    LabelMaker,
    Mailer,
    PasswordHasher,
    RateLimiter,
    SharedSessionStore,
    Storage,
)

__all__ = ["AdapterRegistry", "url_scheme"]

T = TypeVar("T")


def url_scheme(url: str) -> str:
    """The scheme of ``url`` in lower case: ``"sqlite"`` for ``"sqlite:///orders.db"``.

    Raises :class:`InvalidUrlError` if ``url`` has no ``scheme://`` part.
    """
    scheme, sep, _rest = url.partition("://")
    if not sep or not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
        raise InvalidUrlError(f"not an adapter URL (expected scheme://...): {url[:40]!r}")
    return scheme.lower()


class _Openers(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._by_scheme: dict[str, Callable[[str], T]] = {}

    def add(self, scheme: str, opener: Callable[[str], T]) -> None:
        scheme = scheme.lower()
        if scheme in self._by_scheme:
            raise AdapterNameConflictError(
                f"two plugins register a {self.kind} adapter for {scheme}://"
            )
        self._by_scheme[scheme] = opener

    def open(self, url: str) -> T:
        scheme = url_scheme(url)
        opener = self._by_scheme.get(scheme)
        if opener is None:
            raise UnknownAdapterError(self.kind, scheme, list(self._by_scheme))
        return opener(url)

    def schemes(self) -> list[str]:
        return sorted(self._by_scheme)


class AdapterRegistry:
    """Openers for each kind of adapter, by URL scheme.

    An opener is any callable taking the whole URL and returning the adapter, usually the
    adapter class's ``from_url``.

    >>> registry = AdapterRegistry()
    >>> registry.add_storage("memory", lambda url: ...)
    >>> registry.storage_schemes()
    ['memory']
    """

    def __init__(self) -> None:
        self._storage: _Openers[Storage] = _Openers("storage")
        self._mailers: _Openers[Mailer] = _Openers("mail")
        self._rate_limiters: _Openers[RateLimiter] = _Openers("rate limiter")
        self._session_stores: _Openers[SharedSessionStore] = _Openers("session store")
        self._label_makers: _Openers[LabelMaker] = _Openers("label maker")
        self._captchas: _Openers[Captcha] = _Openers("captcha")
        self._password_hashers: _Openers[PasswordHasher] = _Openers("password hasher")
        self._breached_passwords: _Openers[BreachedPasswords] = _Openers("breached passwords")

    def add_storage(self, scheme: str, opener: Callable[[str], Storage]) -> None:
        """Offer ``opener`` for storage URLs of ``scheme``. A duplicate scheme is an error."""
        self._storage.add(scheme, opener)

    def add_mailer(self, scheme: str, opener: Callable[[str], Mailer]) -> None:
        """Offer ``opener`` for mail URLs of ``scheme``."""
        self._mailers.add(scheme, opener)

    def add_rate_limiter(self, scheme: str, opener: Callable[[str], RateLimiter]) -> None:
        """Offer ``opener`` for rate-limiter URLs of ``scheme``."""
        self._rate_limiters.add(scheme, opener)

    def add_session_store(self, scheme: str, opener: Callable[[str], SharedSessionStore]) -> None:
        """Offer ``opener`` for URLs of ``scheme`` naming where sessions live apart from the
        storage (the ``sessions`` setting)."""
        self._session_stores.add(scheme, opener)

    def add_label_maker(self, scheme: str, opener: Callable[[str], LabelMaker]) -> None:
        """Offer ``opener`` for label-maker URLs of ``scheme``."""
        self._label_makers.add(scheme, opener)

    def add_captcha(self, scheme: str, opener: Callable[[str], Captcha]) -> None:
        """Offer ``opener`` for captcha URLs of ``scheme``."""
        self._captchas.add(scheme, opener)

    def add_password_hasher(self, scheme: str, opener: Callable[[str], PasswordHasher]) -> None:
        """Offer ``opener`` for password-hasher URLs of ``scheme``."""
        self._password_hashers.add(scheme, opener)

    def add_breached_passwords(
        self, scheme: str, opener: Callable[[str], BreachedPasswords]
    ) -> None:
        """Offer ``opener`` for breached-password check URLs of ``scheme``."""
        self._breached_passwords.add(scheme, opener)

    def open_storage(self, url: str) -> Storage:
        """Open the storage at ``url``; :class:`UnknownAdapterError` names installed schemes."""
        return self._storage.open(url)

    def open_mailer(self, url: str) -> Mailer:
        """Open the mailer at ``url``."""
        return self._mailers.open(url)

    def open_rate_limiter(self, url: str) -> RateLimiter:
        """Open the rate limiter at ``url``."""
        return self._rate_limiters.open(url)

    def open_session_store(self, url: str) -> SharedSessionStore:
        """Open the shared session store at ``url``."""
        return self._session_stores.open(url)

    def open_label_maker(self, url: str) -> LabelMaker:
        """Open the label maker at ``url``."""
        return self._label_makers.open(url)

    def open_captcha(self, url: str) -> Captcha:
        """Open the captcha at ``url``."""
        return self._captchas.open(url)

    def open_password_hasher(self, url: str) -> PasswordHasher:
        """Open the password hasher at ``url``."""
        return self._password_hashers.open(url)

    def open_breached_passwords(self, url: str) -> BreachedPasswords:
        """Open the breached-password check at ``url``."""
        return self._breached_passwords.open(url)

    def storage_schemes(self) -> list[str]:
        """Installed storage schemes, sorted."""
        return self._storage.schemes()

    def mailer_schemes(self) -> list[str]:
        """Installed mail schemes, sorted."""
        return self._mailers.schemes()

    def rate_limiter_schemes(self) -> list[str]:
        """Installed rate-limiter schemes, sorted."""
        return self._rate_limiters.schemes()

    def session_store_schemes(self) -> list[str]:
        """Installed shared session store schemes, sorted."""
        return self._session_stores.schemes()

    def label_maker_schemes(self) -> list[str]:
        """Installed label-maker schemes, sorted."""
        return self._label_makers.schemes()

    def captcha_schemes(self) -> list[str]:
        """Installed captcha schemes, sorted."""
        return self._captchas.schemes()

    def password_hasher_schemes(self) -> list[str]:
        """Installed password-hasher schemes, sorted."""
        return self._password_hashers.schemes()

    def breached_passwords_schemes(self) -> list[str]:
        """Installed breached-password check schemes, sorted."""
        return self._breached_passwords.schemes()
