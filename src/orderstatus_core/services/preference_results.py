"""The answers of the mail-preference and language commands: values of closed unions for
a page's ``match`` statement, beside :mod:`orderstatus_core.services.profile_results`."""

from __future__ import annotations

import attrs

from orderstatus_core.services.results import NotLoggedIn

__all__ = [
    "LanguageChanged",
    "MailPreferences",
    "MailPreferencesResult",
    "SetLanguageResult",
    "StoreMailQueued",
    "UnsubscribeRefused",
    "UnsubscribeResult",
    "Unsubscribed",
]


@attrs.frozen
class MailPreferences:
    """The store mail an account gets: ``subscribed``, the topics it asked for, out of
    ``topics``, every topic the store has (in the store's order), for the form's boxes.
    Order and security mail are no topic: they always go out."""

    subscribed: tuple[str, ...]
    topics: tuple[str, ...]

    def is_subscribed(self, topic: str) -> bool:
        """Whether the account gets the store mail of ``topic``."""
        return topic in self.subscribed


@attrs.frozen
class LanguageChanged:
    """The account's preferred language is now ``language``: its mail and, unless a page
    names another, its pages are in it."""

    language: str


@attrs.frozen
class Unsubscribed:
    """A one-click unsubscribe link was followed: its account gets no more store mail of
    ``topic``. The same answer whether or not it was subscribed, or still exists (a link
    followed twice, RFC 8058's retries)."""

    topic: str


@attrs.frozen
class UnsubscribeRefused:
    """The link is none the store made (mistyped, cut short or forged), or the store has
    no unsubscribe key: nothing changed."""


@attrs.frozen
class StoreMailQueued:
    """Store mail of ``topic`` is in the outbox for ``queued`` subscribed accounts, one
    mail each, each with its own unsubscribe link."""

    topic: str
    queued: int


MailPreferencesResult = MailPreferences | NotLoggedIn
SetLanguageResult = LanguageChanged | NotLoggedIn
UnsubscribeResult = Unsubscribed | UnsubscribeRefused
