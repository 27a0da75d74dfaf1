"""The account state machine catches a broken service: a plain session that slides past its
30-minute idle time-out (or a kept session renewed), a discount code expired at its expiry
instead of a second later, a profile or watches kept after the deletion, or a part's
watchers alerted twice fails it, while the real service passes the same steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest

from orderstatus_core.model import session_check
from orderstatus_core.model.account import AccountSession
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_core.model.money import Money
from orderstatus_core.ports import Storage
from orderstatus_core.services.accounts import credit
from orderstatus_core.services.credit_results import CodeExpired
from orderstatus_core.testing.accounts import LIFETIMES, AccountMachine, account_lifecycle_of
from orderstatus_memory import MemoryStorage


@pytest.fixture
def machine() -> Iterator[AccountMachine]:
    storage: Storage = MemoryStorage()
    storage.migrate()
    machine = account_lifecycle_of(storage)()
    yield machine
    machine.teardown()
    storage.close()


def _idle_past_the_time_out(machine: AccountMachine, page: bool) -> None:
    machine.start(registered=True, remember=False)
    machine.the_storage_holds_what_the_model_says()
    machine.time_reaches_a_lifetime(mark=-1, lifetime="idle", past=False)
    machine.check_session(pick=0, page=page)  # alive at exactly 30 min, and seen now
    machine.the_storage_holds_what_the_model_says()
    machine.time_reaches_a_lifetime(mark=-1, lifetime="idle", past=True)
    machine.check_session(pick=0, page=page)


def _stretched_method(real: Any) -> Any:
    def sliding(self: object, now: datetime, *, idle_timeout: timedelta) -> bool:
        return bool(real(self, now, idle_timeout=idle_timeout * 100))

    return sliding


def _stretched_rule(real: Any) -> Any:
    def sliding(session: object, now: datetime, idle_timeout: timedelta) -> bool:
        return bool(real(session, now, idle_timeout * 100))

    return sliding


#: The account page (``view()``, the whole session, decided by ``AccountSession.is_live``)
#: and the page view's check (``check()``: the memory store answers by ``SessionCheck.at``,
#: which calls the session rule), with what each decides by, a rule stretched a
#: hundredfold in its place, and its answer's class.
_PAGES = pytest.mark.parametrize(
    ("page", "owner", "name", "stretched", "answer"),
    [
        (True, AccountSession, "is_live", _stretched_method, "AccountView"),
        (False, session_check, "session_is_live", _stretched_rule, "SignedIn"),
    ],
    ids=["view", "check"],
)


@_PAGES
def test_the_real_service_passes_the_idle_steps(
    machine: AccountMachine, page: bool, owner: object, name: str, stretched: Any, answer: str
) -> None:
    """The steps below are right for the service as it is."""
    _idle_past_the_time_out(machine, page)
    machine.the_storage_holds_what_the_model_says()


@_PAGES
def test_a_session_that_slides_past_its_idle_time_out_fails_the_machine(
    machine: AccountMachine,
    monkeypatch: pytest.MonkeyPatch,
    page: bool,
    owner: object,
    name: str,
    stretched: Any,
    answer: str,
) -> None:
    """A broken rule (the idle time-out stretched a hundredfold, a sliding session) is
    caught by the page view at 30 min + 1 s, on either page."""
    monkeypatch.setattr(owner, name, stretched(getattr(owner, name)))
    with pytest.raises(AssertionError, match=answer):
        _idle_past_the_time_out(machine, page)


def test_a_kept_session_renewed_at_log_in_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """*Keep me logged in* lasts 14 days from log-in; a service that gave more is caught
    by the log-in answer itself."""
    real = AccountSession.start.__func__  # type: ignore[attr-defined]

    def longer(cls: type[AccountSession], /, *args: object, **kwargs: object) -> AccountSession:
        kwargs["lifetime"] = kwargs["lifetime"] + timedelta(seconds=1)  # type: ignore[operator]
        return real(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(AccountSession, "start", classmethod(longer))
    with pytest.raises(AssertionError):
        machine.start(registered=True, remember=True)
    assert LIFETIMES["remember"] == timedelta(days=14)


def _profile_then_delete(machine: AccountMachine) -> None:
    machine.start(registered=True, remember=False)
    machine.save_an_address(pick=0, street=1, retyped=False, default=True)
    machine.save_an_address(pick=0, street=1, retyped=True, default=False)
    machine.add_a_vehicle(pick=0)
    machine.the_storage_holds_what_the_model_says()
    machine.open_the_profile(pick=0)
    machine.delete_account(pick=0)
    machine.the_storage_holds_what_the_model_says()


def test_the_real_service_passes_the_profile_steps(machine: AccountMachine) -> None:
    """An address, the same one retyped (refused), a car, then the deletion."""
    _profile_then_delete(machine)


def test_a_deletion_that_keeps_the_profile_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage whose ``forget_profile`` deletes nothing is caught after the deletion."""
    from orderstatus_memory.storage import _Accounts

    monkeypatch.setattr(_Accounts, "forget_profile", lambda self, account_id: 0)
    with pytest.raises(AssertionError):
        _profile_then_delete(machine)


def test_a_service_that_saves_a_retyped_address_again_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An address key that minds case and spacing lets the retyped address in."""
    from orderstatus_core.model import profile

    monkeypatch.setattr(profile, "_fold", lambda text: text or "")
    with pytest.raises(AssertionError, match="AddressSaved"):
        _profile_then_delete(machine)


def _codes_across_their_lifetime(machine: AccountMachine) -> None:
    machine.start(registered=True, remember=False)
    machine.issue_a_code(percent=True)
    machine.issue_a_code(percent=False)
    machine.the_storage_holds_the_models_codes()
    machine.time_reaches_a_lifetime(mark=-1, lifetime="discount code", past=False)
    machine.redeem_a_code(which=0, order=1)  # valid at exactly issued + 1 h
    machine.redeem_a_code(which=0, order=1)  # the same order again: the same answer
    machine.redeem_a_code(which=0, order=2)  # another order: used
    machine.the_storage_holds_the_models_codes()
    machine.time_passes(seconds=1)
    machine.redeem_a_code(which=1, order=3)  # one second later: expired
    machine.revoke_a_code(which=1)
    machine.revoke_a_code(which=0)  # used: not revoked
    machine.the_storage_holds_the_models_codes()
    machine.delete_account(pick=0)
    machine.the_storage_holds_the_models_codes()


def test_the_real_service_passes_the_discount_code_steps(machine: AccountMachine) -> None:
    """Issue, redeem at exactly the code's expiry and repeat, expire one second later,
    revoke, delete: right for the service as it is."""
    _codes_across_their_lifetime(machine)
    machine.the_storage_holds_what_the_model_says()


def test_a_code_valid_a_second_short_of_its_lifetime_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken rule (a code expired at its expiry instead of a second after) is caught by
    the checkout at exactly issued + lifetime."""
    real = credit._decide

    def expiring_early(
        code: DiscountCode, reference: str, subtotal: Money, now: datetime
    ) -> object:
        if code.used_at is None and code.revoked_at is None and now >= code.expires_at:
            return CodeExpired(expired_at=code.expires_at)
        return real(code, reference, subtotal, now)

    monkeypatch.setattr(credit, "_decide", expiring_early)
    with pytest.raises(AssertionError, match="CodeExpired"):
        _codes_across_their_lifetime(machine)


def _alert_steps(machine: AccountMachine) -> None:
    machine.start(registered=True, remember=False)
    machine.watch_a_part(pick=0, part=1, retyped=False)
    machine.watch_a_part(pick=0, part=1, retyped=True)
    machine.watch_a_part(pick=0, part=2, retyped=True)
    machine.the_stored_watches_are_the_models()
    machine.list_the_watches(pick=0)
    machine.the_part_comes_back_in_stock(part=1, retyped=True)
    machine.the_stored_watches_are_the_models()
    machine.the_part_comes_back_in_stock(part=1, retyped=False)
    machine.unwatch_a_part(pick=0, part=2, retyped=False)
    machine.unwatch_a_part(pick=0, part=2, retyped=False)
    machine.watch_a_part(pick=0, part=3, retyped=False)
    machine.delete_account(pick=0)
    machine.the_stored_watches_are_the_models()
    machine.the_part_comes_back_in_stock(part=3, retyped=False)


def test_the_real_service_passes_the_alert_steps(machine: AccountMachine) -> None:
    """Watch (twice in two spellings), list, two reports, unwatch, the deletion."""
    _alert_steps(machine)


def test_a_report_that_keeps_the_watches_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage whose report queues the alerts but deletes no watch mails the watchers
    again on the second report, and the machine says so."""
    from orderstatus_memory.storage import _Accounts

    real = _Accounts.queue_part_alerts

    def keeping(self: _Accounts, part_key: str, *args: Any) -> int:
        work = self._unit.work
        watches = [work.watches[account][part_key] for account in work.watchers.get(part_key, ())]
        queued = real(self, part_key, *args)
        for watch in watches:
            self.put_watch(watch)
        return queued

    monkeypatch.setattr(_Accounts, "queue_part_alerts", keeping)
    with pytest.raises(AssertionError):
        _alert_steps(machine)


def test_a_deletion_that_keeps_the_watches_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage whose ``forget_profile`` leaves the watches is caught after the
    deletion."""
    from orderstatus_memory.storage import _Accounts

    monkeypatch.setattr(_Accounts, "_forget_watches", lambda self, account_id: 0)
    with pytest.raises(AssertionError):
        _alert_steps(machine)


def _codes_in_the_accounts_language(machine: AccountMachine) -> None:
    machine.start(registered=True, remember=False)
    machine.import_an_order(with_other=False, for_the_car=False)  # joins the account
    machine.import_an_order(with_other=True, for_the_car=False)  # another address's
    machine.choose_a_language(pick=0, language="fi")
    machine.ask_for_a_code_to_an_order(order=0, page="en")  # the account's Finnish
    machine.ask_for_a_code_to_an_order(order=1, page=None)  # the store's English
    machine.delete_account(pick=0)
    machine.ask_for_a_code_to_an_order(order=0, page="fi")  # the page's, as before
    machine.ask_for_a_code_to_an_order(order=0, page="en")


def test_the_real_service_passes_the_order_mail_language_steps(machine: AccountMachine) -> None:
    """A code to the account's order goes out in its language; to another address's
    order, and once the account is deleted, in the page's."""
    _codes_in_the_accounts_language(machine)


def test_order_mail_that_ignores_the_account_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guest-pass mail written in the page's language whatever the account says."""
    from orderstatus_core.services import guest_pass

    monkeypatch.setattr(
        guest_pass, "order_mail_language", lambda uow, to, number, otherwise: otherwise
    )
    with pytest.raises(AssertionError, match="'en', 'fi'"):
        _codes_in_the_accounts_language(machine)


def _whole_page_steps(machine: AccountMachine) -> None:
    machine.start(registered=True, remember=False)
    machine.save_an_address(pick=0, street=1, retyped=False, default=True)
    machine.add_a_vehicle(pick=0)
    machine.import_an_order(with_other=False, for_the_car=True)
    machine.watch_a_part(pick=0, part=1, retyped=False)
    machine.issue_a_code(percent=True)
    machine.choose_mail(pick=0, newsletter=True, offers=None)
    machine.choose_a_language(pick=0, language="fi")
    machine.open_the_profile(pick=0)
    machine.time_passes(seconds=61)  # the page touches the session, as each call does
    machine.open_the_profile(pick=0)
    machine.the_storage_holds_what_the_model_says()


def test_the_real_service_passes_the_whole_page_steps(machine: AccountMachine) -> None:
    """An address, a car, a linked order, a watch, a code, a topic and Finnish: the whole
    page answers each list as its own call, in the account's language."""
    _whole_page_steps(machine)


@pytest.mark.parametrize("part", ["read_part_watches", "read_garage", "read_mail_preferences"])
def test_a_page_that_drops_a_list_fails_the_machine(
    machine: AccountMachine, monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    """A page that reads one list as empty (another way to build it, gone wrong) is
    caught where the page is compared with the list's own call."""
    from orderstatus_core.services.accounts import whole_page

    real = getattr(whole_page, part)

    def empty(*arguments: object) -> object:
        kept = real(*arguments)
        first = attrs.fields(type(kept))[0].name  # watches, vehicles, subscribed
        return attrs.evolve(kept, **{first: ()})

    monkeypatch.setattr(whole_page, part, empty)
    with pytest.raises(AssertionError):
        _whole_page_steps(machine)
