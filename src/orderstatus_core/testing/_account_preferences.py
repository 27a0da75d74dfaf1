"""The mail-preference and language steps of the account state machine
(:class:`~orderstatus_core.testing.accounts.AccountMachine` inherits them): subscribe and
unsubscribe by topic, follow an unsubscribe link (the account's own, a forged one, one of a
deleted account), choose a language (known or not), ask for a code to one of the orders
from a page in some language (the mail in the account's language when the order's address
or the order is the live, verified account's), each compared with the model; after every
step the storage's subscriptions and language are the model's.

Kept apart from the machine's module so that each stays readable; it uses the machine's
model (``topics``, ``language``), sessions and helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orderstatus_core.contacts import email_key
from orderstatus_core.errors import UnknownLanguageError
from orderstatus_core.messages import GuestPassMail
from orderstatus_core.model.account import AccountState
from orderstatus_core.model.mail_preferences import unsubscribe_token
from orderstatus_core.plugins import hookimpl
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.services.guest_pass import request_guest_pass
from orderstatus_core.services.preference_results import (
    LanguageChanged,
    MailPreferences,
    Unsubscribed,
    UnsubscribeRefused,
)

if TYPE_CHECKING:
    from orderstatus_core.messages import MailIntent
    from orderstatus_core.ports import Storage
    from orderstatus_core.services.context import ServiceContext

__all__ = ["PreferenceRules", "UnsubscribeKey"]

#: The key of the machine's store: its unsubscribe links are signed with it.
KEY = b"state machine unsubscribe key, 32+ bytes"
_TOPICS = ProfilePolicy().mail_topics


class UnsubscribeKey:
    """The machine's store plugin: the default profile policy with :data:`KEY`."""

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(unsubscribe_key=KEY)


class PreferenceRules(RuleBasedStateMachine):
    """The steps; the machine supplies ``model``, ``sessions``, ``desk``, ``ctx``,
    ``storage``, ``account_ids``, ``_pick``, ``_shopper``, ``_as_shopper`` and
    ``_new_mail``."""

    # The machine's own attributes, named for mypy (set by AccountMachine.__init__).
    model: Any
    sessions: list[Any]
    desk: Any
    ctx: ServiceContext
    storage: Storage
    account_ids: set[str]

    def _as_shopper(self, pick: int, command: str, *arguments: object, **options: object) -> Any:
        raise NotImplementedError  # AccountMachine's

    def _new_mail(self) -> list[MailIntent]:
        raise NotImplementedError  # AccountMachine's

    def _live_account_id(self) -> str | None:
        with self.storage.unit_of_work() as uow:
            account = uow.accounts.by_email(email_key(self.model.email) or "")
        return account.account_id if account is not None and account.is_live else None

    @precondition(lambda self: self.sessions)
    @rule(
        pick=st.integers(-3, 3),
        newsletter=st.none() | st.booleans(),
        offers=st.none() | st.booleans(),
    )
    def choose_mail(self, pick: int, newsletter: bool | None, offers: bool | None) -> None:
        """Subscribe to or unsubscribe from the named topics; the others stay."""
        wanted = {
            topic: on
            for topic, on in (("newsletter", newsletter), ("offers", offers))
            if on is not None
        }
        answered = self._as_shopper(pick, "set_mail_preferences", wanted)
        if answered is None:
            return
        for topic, on in wanted.items():
            (self.model.topics.add if on else self.model.topics.discard)(topic)
        expected = tuple(topic for topic in _TOPICS if topic in self.model.topics)
        assert answered == MailPreferences(subscribed=expected, topics=_TOPICS), answered

    @rule(topic=st.sampled_from(_TOPICS), forged=st.booleans())
    def follow_an_unsubscribe_link(self, topic: str, forged: bool) -> None:
        """One-click unsubscribe, no session: the account's own link stops the topic (a
        deleted account's answers alike and stops nothing); a forged one is refused."""
        account_id = self._live_account_id() or "NoSuchAccount0"
        token = unsubscribe_token(KEY, account_id, topic)
        if forged:
            token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        answered = self.desk.unsubscribe(token)
        if forged:
            assert answered == UnsubscribeRefused(), answered
            return
        assert answered == Unsubscribed(topic=topic), answered
        self.model.topics.discard(topic)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), language=st.sampled_from(["en", "fi", "sv"]))
    def choose_a_language(self, pick: int, language: str) -> None:
        """A catalog's language is kept; another is refused before the session is asked."""
        if language == "sv":  # the machine's store has no Swedish catalog
            session = self._pick(self.sessions, pick)  # type: ignore[attr-defined]
            with pytest.raises(UnknownLanguageError, match="@ language"):
                self._shopper(session).set_language(language)  # type: ignore[attr-defined]
            return
        answered = self._as_shopper(pick, "set_language", language)
        if answered is None:
            return
        assert answered == LanguageChanged(language=language), answered
        self.model.language = language

    @precondition(lambda self: self.model.orders)
    @rule(order=st.integers(0, 9), page=st.sampled_from([None, "en", "fi"]))
    def ask_for_a_code_to_an_order(self, order: int, page: str | None) -> None:
        """A guest asks for a code to one of the orders, by its address, from a page in
        ``page`` (or none): the code goes out in the account's language when the order's
        address is the live, verified account's or the order joined it; otherwise in the
        page's, or the store's English (docs/profile.md, Language)."""
        model = self.model
        number = list(model.orders)[order % len(model.orders)]
        address = model.orders[number]
        request_guest_pass(self.ctx, address, number, client="203.0.113.50", language=page)
        [mail] = self._new_mail()
        assert isinstance(mail, GuestPassMail), mail
        holds = email_key(address) == email_key(model.email) or number in model.linked
        if model.state is AccountState.ACTIVE and holds:
            assert mail.language == model.language, (mail.language, model.language)
        else:
            assert mail.language == (page or "en"), (mail.language, page)

    @invariant()
    def the_storage_holds_the_preferences_the_model_says(self) -> None:
        """The live account's subscriptions and language are the model's; an account
        deleted earlier in the run keeps no subscription."""
        live = self._live_account_id()
        with self.storage.unit_of_work() as uow:
            if live is not None:
                stored = {s.topic for s in uow.accounts.mail_subscriptions(live)}
                assert stored == self.model.topics, (stored, self.model.topics)
                account = uow.accounts.get(live)
                assert account is not None
                assert account.language == self.model.language, account
            for gone in self.account_ids - {live}:
                assert list(uow.accounts.mail_subscriptions(gone)) == [], gone
