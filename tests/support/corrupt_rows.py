"""A suite both SQL adapters run: a stored row they cannot read is AdapterError.

Rows are written through the ports, then one column is spoiled behind the adapter's back
(as a hand edit or a bad restore would), and the read that meets it must fail with
:class:`~orderstatus_core.AdapterError`, never a raw ``KeyError`` or ``AttributeError``,
whichever adapter reads it (they used to catch different exceptions). The SQL is written
with ``%s`` markers; each adapter's module says how to run it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderstatus_core import (
    AdapterError,
    GuestPass,
    Money,
    OutboxMessage,
    PassChallenge,
    parse_email,
)
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import OrderListMail
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountToken,
    LinkedBy,
    OrderLink,
    SecurityEvent,
    SecurityEventKind,
    StoredCaptcha,
    TokenPurpose,
)
from orderstatus_core.ports import Storage
from orderstatus_core.records import CreditEntry
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.contracts._support import _SESSION_RULES

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
_DAY = timedelta(days=1)


class CorruptRowSuite:
    """Mix into a test class that provides the ``storage`` fixture and :meth:`spoil`."""

    @pytest.fixture
    def storage(self) -> Storage:
        """A migrated, empty storage of the adapter under test."""
        raise NotImplementedError("a CorruptRowSuite needs a `storage` fixture")

    def spoil(self, storage: Storage, statement: str) -> None:
        """Run ``statement`` on the adapter's database, outside the adapter."""
        raise NotImplementedError("a CorruptRowSuite says how to run SQL behind the adapter")

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE orders SET shipping_speed = 'warp'",
            "UPDATE orders SET activity = '[]'",
            'UPDATE orders SET activity = \'{"cancel_requests": [{"x": 1}]}\'',
        ],
    )
    def test_an_unreadable_order_is_an_adapter_error(
        self, storage: Storage, statement: str
    ) -> None:
        """An order row with a value the model has no reading for fails as AdapterError."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order())
            uow.commit()
        self.spoil(storage, statement)
        with storage.unit_of_work() as uow, pytest.raises(AdapterError, match="order 123456789"):
            uow.orders.get("123456789")

    def test_an_unreadable_outbox_message_is_an_adapter_error(self, storage: Storage) -> None:
        """A payload of an unknown kind fails due() and get() alike."""
        intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("1",))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.put(OutboxMessage(message_id="M1", created_at=T0, intent=intent))
            uow.commit()
        self.spoil(storage, 'UPDATE outbox SET payload = \'{"kind": "nonsense"}\'')
        with storage.unit_of_work() as uow:
            with pytest.raises(AdapterError, match="outbox message M1"):
                uow.outbox.due(T0 + timedelta(days=1), 10)
            with pytest.raises(AdapterError, match="outbox message M1"):
                uow.outbox.get("M1")

    def test_an_unreadable_guest_pass_is_an_adapter_error(self, storage: Storage) -> None:
        """A challenge or pass whose hash the model refuses fails as AdapterError."""
        challenge = PassChallenge.issue(
            "Challenge-0000000000001",
            "123456789",
            "042917",
            "V" * 43,
            T0,
            timedelta(minutes=15),
            tries=3,
        )
        guest_pass = GuestPass.issue(
            "GuestPass-0000000000001", "W" * 43, "123456789", T0, timedelta(minutes=30)
        )
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(challenge)
            uow.passes.put_pass(guest_pass)
            uow.commit()
        self.spoil(storage, "UPDATE guest_pass_challenges SET code_hash = 'short'")
        self.spoil(storage, "UPDATE guest_passes SET validator_hash = 'short'")
        with storage.unit_of_work() as uow:
            with pytest.raises(AdapterError, match="challenge is unreadable"):
                uow.passes.get_challenge(challenge.selector)
            with pytest.raises(AdapterError, match="challenge is unreadable"):
                uow.passes.latest_challenge("123456789")
            with pytest.raises(AdapterError, match="guest pass is unreadable"):
                uow.passes.get_pass(guest_pass.selector)

    def test_an_unreadable_credit_entry_is_an_adapter_error(self, storage: Storage) -> None:
        """An entry whose reference the model refuses (empty) fails as AdapterError."""
        entry = CreditEntry(
            entry_id="refund:1",
            holder="jane@example.com",
            amount=Money("5.00", "USD"),
            at=T0,
            reference="refund of order 123456789",
        )
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(entry)
            uow.commit()
        self.spoil(storage, "UPDATE store_credit SET reference = ''")
        with storage.unit_of_work() as uow, pytest.raises(AdapterError, match="refund:1"):
            uow.credit.entries("jane@example.com", 10)

    #: What spoils the page view's check on this adapter, each with what repairs it (the
    #: times only where a column takes any value: SQLite).
    SPOILED_CHECKS: tuple[tuple[str, str], ...] = (
        ("UPDATE accounts SET state = 'frozen'", "UPDATE accounts SET state = 'unverified'"),
    )

    def test_an_unreadable_session_check_is_an_adapter_error(self, storage: Storage) -> None:
        """The page view's check of a session whose account state or times the model cannot
        read fails as AdapterError (a damaged row never logs anyone in, nor out)."""
        account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0)
        session = AccountSession.start(
            "SessionId-0000000000000", "acct-0001", T0, remember=False, lifetime=_DAY
        )
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.sessions.put(session)
            uow.commit()
        for statement, repair in self.SPOILED_CHECKS:
            with storage.unit_of_work(read_once=True) as uow:
                assert uow.sessions.check(session.id_hash, T0, **_SESSION_RULES) is not None
            self.spoil(storage, statement)
            with storage.unit_of_work(read_once=True) as uow, pytest.raises(AdapterError):
                uow.sessions.check(session.id_hash, T0, **_SESSION_RULES)
            self.spoil(storage, repair)

    def test_an_unreadable_return_document_is_an_adapter_error(self, storage: Storage) -> None:
        """A document of a format the model does not know fails as AdapterError."""
        stored = StoredDocument(
            order_number="123456789",
            rma_number="RMA-1001",
            document=LabelDocument("pdf", "application/pdf", "RMA-1001-label.pdf", b"%PDF"),
        )
        with storage.unit_of_work(write=True) as uow:
            uow.documents.put(stored)
            uow.commit()
        self.spoil(storage, "UPDATE return_documents SET format = 'doc'")
        with storage.unit_of_work() as uow, pytest.raises(AdapterError, match="RMA-1001"):
            uow.documents.for_rma("RMA-1001")

    def test_unreadable_account_rows_are_adapter_errors(self, storage: Storage) -> None:
        """An account of an unknown state, a token of an unknown purpose, a session, a
        link, an event and a captcha whose stored values the model refuses: each read
        fails as AdapterError."""
        account = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0)
        token = AccountToken.issue(
            "Token-000000000000001", "V" * 43, account, TokenPurpose.VERIFY_EMAIL, T0, _DAY
        )
        session = AccountSession.start(
            "SessionId-0000000000000", "acct-0001", T0, remember=False, lifetime=_DAY
        )
        captcha = StoredCaptcha("Captcha-00000000000001", "a7" * 32, T0, T0 + _DAY)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            uow.accounts.put_token(token)
            uow.accounts.link_order(OrderLink("acct-0001", "123456789", T0, LinkedBy.CODE))
            uow.accounts.record_event(SecurityEvent(SecurityEventKind.SIGNED_UP, T0, "acct-0001"))
            uow.sessions.put(session)
            uow.captchas.put(captcha)
            uow.commit()
        for statement in (
            "UPDATE accounts SET state = 'frozen'",
            "UPDATE account_tokens SET purpose = 'anything'",
            "UPDATE account_sessions SET id_hash = 'not-a-hash'",
            "UPDATE order_links SET linked_by = 'magic'",
            "UPDATE security_events SET masked_email = 'jane@example.com'",
            "UPDATE captcha_challenges SET answer_hash = 'A7K2Q'",
        ):
            self.spoil(storage, statement)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(AdapterError, match="account 'acct-0001'"):
                uow.accounts.get("acct-0001")
            with pytest.raises(AdapterError, match="account token"):
                uow.accounts.get_token(token.selector)
            with pytest.raises(AdapterError, match="link of order"):
                uow.accounts.order_link("123456789")
            with pytest.raises(AdapterError, match="security event"):
                uow.accounts.events("acct-0001", 10)
            with pytest.raises(AdapterError, match="session"):
                uow.sessions.get("not-a-hash")
            # The page view's lean check restores without the model's checks, but a
            # state the model does not know is still refused, never read as logged in.
            with pytest.raises(AdapterError, match="session"):
                uow.sessions.check("not-a-hash", T0, **_SESSION_RULES)
            with pytest.raises(AdapterError, match="captcha"):
                uow.captchas.consume(captcha.challenge_id, T0)
