"""A state machine over a shopper's account, run against a storage and a simple model.

:class:`AccountMachine` plays one shopper through the account commands of the facade:
new captcha and sign-up (right, wrong, used and expired answers), verification from the
mailed link, the first password, log-in (right or wrong password, with or without *keep me
logged in*), the session check of every page view, log-out, re-authentication, forgot and
reset, change of email (with and without a recent password) and of password, deletion,
orders placed or imported for the address, an order of another address attached by its
mailed code, and the profile: saved addresses (add, edit, remove, the default, the bound),
the garage (add, remove, the bound), discount codes (issued by staff, redeemed by the
checkout, revoked; :mod:`orderstatus_core.testing._account_discounts`), availability
alerts (watch, unwatch, list, the part back in stock:
:mod:`orderstatus_core.testing._alert_rules`), store mail by topic, one-click unsubscribe
links and the preferred language (:mod:`orderstatus_core.testing._account_preferences`),
and the data export (its document checked against the model, its form by
:attr:`AccountMachine.check_document`). A :class:`~orderstatus_core.testing.FixedClock`
moves to exactly each lifetime after the moment it counts from, or one second past it:
verification and set-password links 24 h, reset 1 h, email change 24 h, attach code 15 min,
captcha 10 min, a plain session 30 min idle and 12 h, *keep me logged in* 14 d,
re-authentication 5 min, a discount code 1 h.

Every answer is compared with what a small model (plain Python, no service code) says it
must be; after every step the storage's account state, the stored sessions (ended, last
seen, expiry), the linked orders, the kinds of the account's security log, the saved
addresses and the garage are compared with the model too (a deleted account keeps none).
The hasher is a :class:`~orderstatus_core.testing.CountingPasswordHasher` (each log-in
costs exactly one hash), the captcha a
:class:`~orderstatus_core.testing.RecordingCaptcha`; rate limits are out of the way (their
own tests cover them), so every answer follows from the account's state and the clock.

Run it on a storage with :func:`account_lifecycle_of`::

    run_state_machine_as_test(account_lifecycle_of(storage), settings=settings(...))

Each run works under its own addresses and order numbers, so runs can share one storage.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from orderstatus_core.app import OrderStatus
from orderstatus_core.contacts import email_key
from orderstatus_core.messages import (
    AccountVerificationMail,
    AlreadyRegisteredMail,
    AttachCodeMail,
    EmailChangeMail,
    EmailChangeNotice,
    MailIntent,
    PasswordResetMail,
)
from orderstatus_core.model.account import (
    AccountState,
    SecurityEventKind,
    failure_key,
    hash_session_id,
)
from orderstatus_core.model.address import Address
from orderstatus_core.model.profile import Vehicle
from orderstatus_core.policies.accounts import AccountPolicy
from orderstatus_core.policies.limits import RateDecision
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.ports import Storage
from orderstatus_core.records import VehicleQuery
from orderstatus_core.services import ServiceContext
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services.accounts.export import DataExport
from orderstatus_core.services.profile_results import (
    AddressAlreadySaved,
    AddressBook,
    AddressBookFull,
    AddressNotFound,
    AddressRemoved,
    AddressSaved,
    DefaultAddressChosen,
    Garage,
    GarageFull,
    ProfilePage,
    VehicleAdded,
    VehicleNotFound,
    VehicleRemoved,
)
from orderstatus_core.services.results import (
    AccountDeleted,
    AccountView,
    AttachCodeSent,
    AttachRefused,
    CaptchaIssued,
    CaptchaRefused,
    CheckYourMail,
    EmailChanged,
    EmailChangeRequested,
    EmailVerified,
    LinkRefused,
    LoggedIn,
    LoggedOut,
    LogInRefused,
    NotLoggedIn,
    OrderAttached,
    PasswordChanged,
    PasswordNotAccepted,
    PasswordReset,
    PasswordSet,
    ReauthenticationRequired,
    ResetRequested,
    SearchPage,
    SignedIn,
)
from orderstatus_core.services.sync import upsert_order
from orderstatus_core.testing._account_discounts import CODE_LIFETIME, DiscountSteps, ModelCode
from orderstatus_core.testing._account_preferences import PreferenceRules, UnsubscribeKey
from orderstatus_core.testing._alert_rules import AlertRules
from orderstatus_core.testing._export_checks import (
    ExportedProfile,
    exported_as_the_model_says,
    has_every_section,
)
from orderstatus_core.testing.builders import line, make_order
from orderstatus_core.testing.fakes import (
    CountingPasswordHasher,
    FixedClock,
    RecordingCaptcha,
    fake_context,
)

__all__ = ["LIFETIMES", "AccountMachine", "account_lifecycle_of"]

_POLICY = AccountPolicy()
#: Every lifetime the clock crosses, by name, as the default account policy sets them.
LIFETIMES: dict[str, timedelta] = {
    "verification": _POLICY.verification_ttl,
    "reset": _POLICY.reset_ttl,
    "email change": _POLICY.email_change_ttl,
    "attach code": _POLICY.attach_code_ttl,
    "captcha": _POLICY.captcha_ttl,
    "idle": _POLICY.idle_timeout,
    "session": _POLICY.session_lifetime,
    "remember": _POLICY.remember_lifetime,
    "re-authentication": _POLICY.reauthentication_window,
    "discount code": CODE_LIFETIME,
}
_SECOND = timedelta(seconds=1)
_CLIENT = "203.0.113.7"
_PASSWORDS = ("correct horse battery staple", "tangerine bicycle under moonlight")
_SHORT_PASSWORD = "short"  # noqa: S105 -- under the 15-code-point minimum: refused, nothing spent
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
_run = itertools.count(1)
_PROFILE = ProfilePolicy()
#: More addresses than an account may keep, so that runs reach the bound.
_STREETS = _PROFILE.max_addresses + 4


def _street(number: int, retyped: bool) -> Address:
    """Address ``number`` of the machine's pool; ``retyped`` is the same address in other
    case and spacing (one address by its key)."""
    if retyped:
        return Address("JANE  ROE", f" {number} main st", "SPRINGFIELD", "123 45", "US")
    return Address("Jane Roe", f"{number} Main St", "Springfield", "12345", "US")


def _street_number(address: Address) -> str:
    """Which address of the pool ``address`` is, whatever its typing: the model's own idea
    of one address, independent of :func:`~orderstatus_core.model.profile.address_key`."""
    return address.line1.split()[0]


_CAR = Vehicle(2019, "Ford", "F-150", "5.0L V8", vin="1M8GDM9AXKP042788")
#: What a store's order system writes on a line bought for that car: other case and spacing.
_CAR_ON_A_LINE = Vehicle(2019, "FORD", "f-150 ", "5.0l  v8")
_K = SecurityEventKind


class _NoLimits:
    """A rate limiter that allows every hit: this machine is about the account's state
    and the clock; the limits have their own tests."""

    def hit(self, buckets: object, now: datetime) -> RateDecision:
        return RateDecision(allowed=True)

    def close(self) -> None:
        pass


@attrs.define
class _Captcha:
    challenge_id: str
    answer: str
    issued_at: datetime
    used: bool = False


@attrs.define
class _Token:
    """A link or code the shopper holds, as the model sees it."""

    text: str = attrs.field(repr=False)
    purpose: str  # "verify", "set-password", "reset", "change-email", "attach"
    issued_at: datetime
    ttl: timedelta
    generation: int  # which account of the address (a deleted one is over)
    epoch: int  # the account's credentials when it was issued
    used: bool = False
    payload: str | None = None  # the new address, or the attached order's number
    tries: int = 0


@attrs.define
class _Session:
    token: str = attrs.field(repr=False)
    remember: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    reauthenticated_at: datetime
    ended: bool = False


_Worded = TypeVar("_Worded", PasswordChanged, AccountDeleted)


@attrs.define
class _Model:
    """What the shopper's account must be; no service code runs here."""

    email: str
    state: AccountState | None = None  # None: no account (never signed up, or deleted)
    generation: int = 0
    epoch: int = 0
    password: str | None = None
    #: Consecutive failed log-ins by email key: counted per address, with an account or
    #: without (SECURITY A6, C2).
    failures: dict[str, int] = attrs.Factory(dict)
    events: list[SecurityEventKind] = attrs.Factory(list)
    linked: set[str] = attrs.Factory(set)
    orders: dict[str, str] = attrs.Factory(dict)  # number: the address it was placed with
    #: The saved addresses by id: the address and whether it is the default.
    addresses: dict[str, tuple[Address, bool]] = attrs.Factory(dict)
    #: The garage's vehicle ids.
    vehicles: set[str] = attrs.Factory(set)
    #: The orders whose line was bought for the garage's car.
    for_the_car: set[str] = attrs.Factory(set)
    #: The discount codes issued to the account, by text.
    codes: dict[str, ModelCode] = attrs.Factory(dict)
    #: The watched parts: part key to the part number as first typed.
    watches: dict[str, str] = attrs.Factory(dict)
    #: The topics of store mail subscribed, and the preferred language.
    topics: set[str] = attrs.Factory(set)
    language: str = "en"

    @property
    def failed_logins(self) -> int:
        """The failed log-ins counted for the current address."""
        return self.failures.get(email_key(self.email) or "", 0)

    def failed_again(self) -> int:
        """Count one more failed log-in for the current address; the count."""
        key = email_key(self.email) or ""
        self.failures[key] = self.failures.get(key, 0) + 1
        return self.failures[key]

    def clear_failures(self) -> None:
        """A log-in succeeded or the password was set: the address's count starts again."""
        self.failures.pop(email_key(self.email) or "", None)


class AccountMachine(DiscountSteps, AlertRules, PreferenceRules, RuleBasedStateMachine):
    """One shopper's account on a storage under test, step by step against
    :class:`_Model`. Bind a storage with :func:`account_lifecycle_of`."""

    storage: Storage
    #: Checks an exported document's form (the shipped JSON Schema, say); by default that
    #: it has exactly the schema's top-level keys.
    check_document: Callable[[Mapping[str, Any]], None] = staticmethod(has_every_section)

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_run)
        self.clock = FixedClock()
        self.captcha = RecordingCaptcha()
        self.hasher = CountingPasswordHasher()
        self.ctx: ServiceContext = fake_context(
            self.storage,
            clock=self.clock,
            captcha=self.captcha,
            password_hasher=self.hasher,
            rate_limiter=_NoLimits(),
            plugins=[UnsubscribeKey()],
        )
        self.desk = OrderStatus(self.ctx)
        self.model = _Model(email=self._address("shopper"))
        self.other_email = self._address("other")
        self.captchas: list[_Captcha] = []
        self.tokens: list[_Token] = []
        self.sessions: list[_Session] = []
        #: Moments the lifetimes count from: the clock jumps to one of them plus a lifetime.
        self.marks: list[datetime] = [self.clock.now()]
        self.serial = itertools.count(1)
        #: Every account id this run's address held: a deleted one keeps no profile.
        self.account_ids: set[str] = set()

    # --- helpers ------------------------------------------------------------------------

    def _address(self, who: str) -> str:
        return f"{who}.{self.run}@example.com"

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def _mark(self) -> None:
        self.marks = [*self.marks[-11:], self.now]

    def _new_mail(self) -> list[MailIntent]:
        """The mail queued since the last call, once the relay decided every request;
        marked sent, so that each mail is read once."""
        from orderstatus_core.testing.fakes import queued_mail

        queued_mail(self.ctx)
        mail: list[MailIntent] = []
        with self.storage.unit_of_work(write=True) as uow:
            for message in uow.outbox.due(_END_OF_TIME, 10_000):
                intent = message.intent
                if isinstance(intent, MailIntent) and _addressed_to(intent, self.run):
                    mail.append(intent)
                    uow.outbox.mark_sent(message.message_id, self.now)
            uow.commit()
        return mail

    def _alive(self, token: _Token) -> bool:
        model = self.model
        return (
            not token.used
            and token.issued_at <= self.now <= token.issued_at + token.ttl
            and token.generation == model.generation
            and token.epoch == model.epoch
            and model.state is not None
        )

    def _pick(self, items: Sequence[object], pick: int) -> object | None:
        return items[pick % len(items)] if items else None

    def _tokens(self, purpose: str) -> list[_Token]:
        return [token for token in self.tokens if token.purpose == purpose]

    def _end_tokens(self, *purposes: str) -> None:
        for token in self.tokens:
            if token.purpose in purposes and token.generation == self.model.generation:
                token.used = True

    def _issue(self, text: str, purpose: str, ttl: timedelta, payload: str | None = None) -> None:
        self.tokens.append(
            _Token(text, purpose, self.now, ttl, self.model.generation, self.model.epoch)
        )
        self.tokens[-1].payload = payload
        self._mark()

    def _live(self, session: _Session) -> bool:
        """Whether the session logs in now; a live one is seen now (the last-seen time is
        written when it is a minute old or more, as a page view does)."""
        now = self.now
        live = (
            not session.ended
            and now <= session.expires_at
            and (session.remember or now - session.last_seen_at <= LIFETIMES["idle"])
            and self.model.state is AccountState.ACTIVE
        )
        if live and now - session.last_seen_at >= _POLICY.touch_interval:
            session.last_seen_at = now
            self._mark()  # the idle time-out counts from here
        return live

    def _end_sessions(self, keep: _Session | None = None) -> None:
        for session in self.sessions:
            if session is not keep:
                session.ended = True

    def _shopper(self, session: _Session | None) -> object:
        token = session.token if session is not None else "x" * 43
        return self.desk.shopper(client=_CLIENT, session=token)

    def _join_orders_of(self, address: str) -> None:
        key = email_key(address)
        for number, placed_with in self.model.orders.items():
            if email_key(placed_with) == key and number not in self.model.linked:
                self.model.linked.add(number)

    # --- sign-up and verification -------------------------------------------------------

    @initialize(registered=st.booleans(), remember=st.booleans())
    def start(self, registered: bool, remember: bool) -> None:
        """Half the runs start with the shopper registered and logged in (through the same
        rules), so that the logged-in steps get their share of every run."""
        if registered:
            self.new_captcha()
            self.sign_up(pick=-1, right=True)
            self.verify(pick=-1)
            self.set_password(pick=-1, good=True)
            self.log_in(right=True, remember=remember)

    @rule()
    def new_captcha(self) -> None:
        """A new captcha image; its answer is known through the test hook."""
        issued = self.desk.new_captcha(client=_CLIENT)
        assert isinstance(issued, CaptchaIssued), issued
        assert issued.expires_at == self.now + LIFETIMES["captcha"]
        answer = self.captcha.answer_for(issued.challenge_id)
        self.captchas.append(_Captcha(issued.challenge_id, answer, self.now))
        self._mark()

    @rule(pick=st.integers(-3, 3), right=st.booleans())
    def sign_up(self, pick: int, right: bool) -> None:
        """Sign up with a captcha: accepted only once, right, within 10 min; the relay
        then makes an account and mails the link, or repeats the link, or mails the
        "already registered" notice."""
        captcha = self._pick(self.captchas, pick)
        assert captcha is None or isinstance(captcha, _Captcha)
        challenge = captcha.challenge_id if captcha is not None else "A" * 22
        answer = (captcha.answer if right else "WRONG") if captcha is not None else "WRONG"
        answered = self.desk.sign_up(
            self.model.email, challenge_id=challenge, answer=answer, client=_CLIENT
        )
        solved = (
            captcha is not None
            and not captcha.used
            and self.now <= captcha.issued_at + LIFETIMES["captcha"]
            and right
        )
        if captcha is not None:
            captcha.used = True
        if not solved:
            assert isinstance(answered, CaptchaRefused), answered
            assert not self._new_mail()
            return
        assert answered == CheckYourMail(), answered
        model = self.model
        mail = self._new_mail()
        if model.state is None:
            model.state, model.generation = AccountState.UNVERIFIED, model.generation + 1
            model.epoch, model.password = 0, None
            model.events = [_K.SIGNED_UP]
            self.sessions = []
        else:
            model.events.append(_K.SIGN_UP_REPEATED)
        if model.state is AccountState.UNVERIFIED:
            assert [type(m) for m in mail] == [AccountVerificationMail], mail
            assert isinstance(mail[0], AccountVerificationMail)
            self._issue(_token_of(mail[0].link), "verify", LIFETIMES["verification"])
        else:
            assert [type(m) for m in mail] == [AlreadyRegisteredMail], mail

    @precondition(lambda self: self.tokens)
    @rule(pick=st.integers(-3, 3))
    def verify(self, pick: int) -> None:
        """Follow a verification link: live for 24 h, once; the address's orders join."""
        token = self._pick(self._tokens("verify") or self.tokens, pick)
        assert isinstance(token, _Token)
        answered = self.desk.verify_email(token.text, client=_CLIENT)
        if token.purpose != "verify" or not self._alive(token):
            assert isinstance(answered, LinkRefused), (answered, token)
            return
        assert isinstance(answered, EmailVerified), (answered, token)
        token.used = True
        model = self.model
        if model.state is AccountState.UNVERIFIED:
            model.state = AccountState.ACTIVE
            model.events.append(_K.EMAIL_VERIFIED)
        self._join_orders_of(model.email)
        assert answered.expires_at == self.now + LIFETIMES["verification"]
        self._issue(answered.token, "set-password", LIFETIMES["verification"])

    @precondition(lambda self: self.tokens)
    @rule(pick=st.integers(-3, 3), good=st.booleans())
    def set_password(self, pick: int, good: bool) -> None:
        """Set the first password by its link: a refused password keeps the link."""
        token = self._pick(self._tokens("set-password") or self.tokens, pick)
        assert isinstance(token, _Token)
        password = _PASSWORDS[0] if good else _SHORT_PASSWORD
        answered = self.desk.set_password(token.text, password, client=_CLIENT)
        if token.purpose != "set-password" or not self._alive(token):
            assert isinstance(answered, LinkRefused), (answered, token)
            return
        if not good:
            assert isinstance(answered, PasswordNotAccepted), answered
            return
        assert answered == PasswordSet(), answered
        self._set_password(password, _K.PASSWORD_SET)
        token.used = True

    def _set_password(self, password: str, kind: SecurityEventKind) -> None:
        model = self.model
        model.password, model.epoch = password, model.epoch + 1
        model.clear_failures()
        model.events.append(kind)

    # --- log-in and sessions ------------------------------------------------------------

    @rule(right=st.booleans(), remember=st.booleans())
    def log_in(self, right: bool, remember: bool) -> None:
        """Log in: one hash per attempt, a session of 12 h (30 min idle) or 14 days."""
        model = self.model
        password = (model.password or _PASSWORDS[0]) if right else "not the password at all!"
        before = self.hasher.work
        answered = self.desk.log_in(model.email, password, remember=remember, client=_CLIENT)
        assert self.hasher.work == before + 1, "a log-in attempt must cost exactly one hash"
        opens = (
            model.state is AccountState.ACTIVE
            and model.password is not None
            and password == model.password
            and model.failed_logins < _POLICY.max_failed_logins
        )
        if not opens:
            assert isinstance(answered, LogInRefused), answered
            # Counted for the address whether or not an account has it (SECURITY A6).
            failed = model.failed_again()
            if model.state is not None:
                model.events.append(_K.LOGIN_FAILED)
                if failed == _POLICY.max_failed_logins:
                    model.events.append(_K.LOCKED_OUT)
            return
        assert isinstance(answered, LoggedIn), answered
        lifetime = LIFETIMES["remember" if remember else "session"]
        assert answered.expires_at == self.now + lifetime
        assert answered.remember is remember
        model.clear_failures()
        model.events.append(_K.LOGGED_IN)
        now = self.now
        self.sessions.append(_Session(answered.token, remember, now, now, now + lifetime, now))
        self._mark()

    @rule(pick=st.integers(-3, 3), page=st.booleans())
    def check_session(self, pick: int, page: bool) -> None:
        """A page view (``check()``) or the account page (``view()``): logged in exactly
        while the model says the session lives, and both touch it alike."""
        session = self._pick(self.sessions, pick)
        assert session is None or isinstance(session, _Session)
        shopper = self._shopper(session)
        answered = shopper.view() if page else shopper.check()  # type: ignore[attr-defined]
        if session is None or not self._live(session):
            assert isinstance(answered, NotLoggedIn), (answered, session)
            return
        assert isinstance(answered, AccountView if page else SignedIn), (answered, session)
        assert answered.session_expires_at == session.expires_at
        assert answered.remember is session.remember
        if isinstance(answered, AccountView):
            assert answered.email.display == self.model.email
        else:
            # The holder is the account the address has now, in its language.
            with self.storage.unit_of_work() as uow:
                holder = uow.accounts.by_email(email_key(self.model.email) or "")
            assert holder is not None
            assert (answered.account_id, answered.language) == (
                holder.account_id,
                self.model.language,
            )

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def log_out(self, pick: int) -> None:
        """Log out: the session ends on the server (also one that had expired)."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        answered = self._shopper(session).log_out()  # type: ignore[attr-defined]
        assert answered == LoggedOut()
        if not session.ended:
            session.ended = True
            self.model.events.append(_K.LOGGED_OUT)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), right=st.booleans())
    def reauthenticate(self, pick: int, right: bool) -> None:
        """Type the password again: a new session id, the same expiry, 5 min to act."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        model = self.model
        password = (model.password or "") if right else "not the password at all!"
        answered = self._shopper(session).reauthenticate(password)  # type: ignore[attr-defined]
        if not self._live(session):
            assert isinstance(answered, NotLoggedIn), answered
            return
        if not right or model.failed_logins >= _POLICY.max_failed_logins:
            assert isinstance(answered, LogInRefused), answered
            model.events.append(_K.LOGIN_FAILED)
            if model.failed_again() == _POLICY.max_failed_logins:
                model.events.append(_K.LOCKED_OUT)
            return
        assert isinstance(answered, LoggedIn), answered
        assert answered.expires_at == session.expires_at
        model.clear_failures()
        model.events.append(_K.REAUTHENTICATED)
        session.ended = True
        now = self.now
        self.sessions.append(
            _Session(
                answered.token,
                session.remember,
                session.created_at,
                max(now, session.last_seen_at),
                session.expires_at,
                now,
            )
        )
        self._mark()

    # --- forgot and reset ---------------------------------------------------------------

    @rule()
    def forgot_password(self) -> None:
        """*Forgot password*: the same answer always; a link [1 h] to an active account."""
        answered = self.desk.forgot_password(self.model.email, client=_CLIENT)
        assert answered == ResetRequested(), answered
        mail = self._new_mail()
        if self.model.state is not AccountState.ACTIVE:
            assert not mail, mail
            return
        assert [type(m) for m in mail] == [PasswordResetMail], mail
        assert isinstance(mail[0], PasswordResetMail)
        self.model.events.append(_K.RESET_REQUESTED)
        self._issue(_token_of(mail[0].link), "reset", LIFETIMES["reset"])

    @precondition(lambda self: self._tokens("reset"))
    @rule(pick=st.integers(-3, 3), good=st.booleans())
    def reset_password(self, pick: int, good: bool) -> None:
        """Reset by the link: every session ends, every older link dies."""
        token = self._pick(self._tokens("reset"), pick)
        assert isinstance(token, _Token)
        password = _PASSWORDS[1] if good else _SHORT_PASSWORD
        answered = self.desk.reset_password(token.text, password, client=_CLIENT)
        if not self._alive(token):
            assert isinstance(answered, LinkRefused), (answered, token)
            return
        if not good:
            assert isinstance(answered, PasswordNotAccepted), answered
            return
        assert answered == PasswordReset(), answered
        token.used = True
        self._set_password(password, _K.PASSWORD_RESET)
        self._end_sessions()

    # --- changes and deletion -----------------------------------------------------------

    def _in_account_language(self, answer: _Worded) -> _Worded:
        """``answer`` as a logged-in command words it when the page names no language:
        in the account's preferred language (docs/profile.md, Language)."""
        return in_language(answer, shopper_texts(self.desk.context, self.model.language))

    def _may_change(self, session: _Session | None, answered: object) -> bool:
        """Whether a change that needs a recent password goes ahead; if not, that the
        answer says why."""
        if session is None or not self._live(session):
            assert isinstance(answered, NotLoggedIn), answered
            return False
        since = self.now - session.reauthenticated_at
        if not timedelta(0) <= since <= LIFETIMES["re-authentication"]:
            assert isinstance(answered, ReauthenticationRequired), answered
            return False
        return True

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def change_email(self, pick: int) -> None:
        """Ask for a new address: a link to it [24 h], a notice to the old one."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        new = self._address(f"new{next(self.serial)}")
        answered = self._shopper(session).change_email(new)  # type: ignore[attr-defined]
        if not self._may_change(session, answered):
            assert not self._new_mail()
            return
        assert isinstance(answered, EmailChangeRequested), answered
        self._end_tokens("change-email")
        mail = self._new_mail()
        assert sorted(type(m).__name__ for m in mail) == ["EmailChangeMail", "EmailChangeNotice"]
        [link] = [m for m in mail if isinstance(m, EmailChangeMail)]
        [notice] = [m for m in mail if isinstance(m, EmailChangeNotice)]
        assert notice.to.display == self.model.email
        self.model.events.append(_K.EMAIL_CHANGE_REQUESTED)
        self._issue(_token_of(link.link), "change-email", LIFETIMES["email change"], new)

    @precondition(lambda self: self._tokens("change-email"))
    @rule(pick=st.integers(-3, 3))
    def confirm_email_change(self, pick: int) -> None:
        """Follow the link at the new address: the account's email becomes it."""
        token = self._pick(self._tokens("change-email"), pick)
        assert isinstance(token, _Token)
        answered = self.desk.confirm_email_change(token.text, client=_CLIENT)
        if not self._alive(token):
            assert isinstance(answered, LinkRefused), (answered, token)
            return
        assert answered == EmailChanged(), answered
        token.used = True
        assert token.payload is not None
        model = self.model
        model.email, model.epoch = token.payload, model.epoch + 1
        model.events.append(_K.EMAIL_CHANGED)
        self._join_orders_of(model.email)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def change_password(self, pick: int) -> None:
        """A new password: this session stays, every other ends, every link dies."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        password = _PASSWORDS[1] if self.model.password == _PASSWORDS[0] else _PASSWORDS[0]
        answered = self._shopper(session).change_password(password)  # type: ignore[attr-defined]
        if not self._may_change(session, answered):
            return
        assert answered == self._in_account_language(PasswordChanged()), answered
        self._set_password(password, _K.PASSWORD_CHANGED)
        self._end_sessions(keep=session)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def delete_account(self, pick: int) -> None:
        """Delete: every session and link ends; the orders stay, unlinked."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        answered = self._shopper(session).delete_account()  # type: ignore[attr-defined]
        if not self._may_change(session, answered):
            return
        assert answered == self._in_account_language(AccountDeleted()), answered
        self._end_sessions()
        model = self.model
        model.state, model.password, model.events = None, None, []
        model.linked.clear()
        model.addresses.clear()
        model.vehicles.clear()
        model.codes.clear()
        model.watches.clear()
        model.topics.clear()
        model.language = "en"  # a new sign-up starts in the sign-up page's language

    # --- orders -------------------------------------------------------------------------

    @rule(with_other=st.booleans(), for_the_car=st.booleans())
    def import_an_order(self, with_other: bool, for_the_car: bool) -> None:
        """An order placed with the shopper's address (or another) arrives from the shop's
        order system, its line bought for the garage's car or for nothing in particular:
        it joins a verified account of its address at once, never an unverified one."""
        number = f"8{self.run:06d}{len(self.model.orders):02d}"
        address = self.other_email if with_other else self.model.email
        bought = line(vehicle=_CAR_ON_A_LINE if for_the_car else None)
        assert (
            upsert_order(self.ctx, make_order(number, email=address, lines=[bought])) == "created"
        )
        self.model.orders[number] = address
        if for_the_car:
            self.model.for_the_car.add(number)
        if not with_other and self.model.state is AccountState.ACTIVE:
            self.model.linked.add(number)

    @precondition(lambda self: self.sessions and self.model.orders)
    @rule(pick=st.integers(-3, 3), order=st.integers(0, 9), right=st.booleans())
    def attach_an_order(self, pick: int, order: int, right: bool) -> None:
        """Attach an order by the code mailed to its address [15 min, 3 tries]."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        number = list(self.model.orders)[order % len(self.model.orders)]
        asked = self._shopper(session).attach_order(number, self.model.orders[number])  # type: ignore[attr-defined]
        if not self._live(session):
            assert isinstance(asked, NotLoggedIn), asked
            return
        assert isinstance(asked, AttachCodeSent), asked
        [mail] = self._new_mail()
        assert isinstance(mail, AttachCodeMail), mail
        assert mail.to.display == self.model.orders[number]
        self.tokens.append(
            _Token(
                f"{asked.attach_id}:{mail.code}",
                "attach",
                self.now,
                LIFETIMES["attach code"],
                self.model.generation,
                self.model.epoch,
                payload=number,
            )
        )
        self._mark()
        self.confirm_attach(pick, -1, right)

    @precondition(lambda self: self.sessions and self._tokens("attach"))
    @rule(pick=st.integers(-3, 3), code=st.integers(-3, 3), right=st.booleans())
    def confirm_attach(self, pick: int, code: int, right: bool) -> None:
        """Type an attach code: right, live and within its tries, the order joins."""
        session = self._pick(self.sessions, pick)
        token = self._pick(self._tokens("attach"), code)
        assert isinstance(session, _Session)
        assert isinstance(token, _Token)
        attach_id, _, secret = token.text.partition(":")
        typed = secret if right else f"{(int(secret) + 1) % 1_000_000:06d}"
        answered = self._shopper(session).confirm_attach(attach_id, typed)  # type: ignore[attr-defined]
        if not self._live(session):
            assert isinstance(answered, NotLoggedIn), answered
            return
        if token.generation != self.model.generation:
            assert isinstance(answered, AttachRefused), answered  # another account's
            return
        token.tries += 1
        if not (right and self._alive(token) and token.tries <= _POLICY.attach_code_tries):
            assert isinstance(answered, AttachRefused), (answered, token)
            return
        assert token.payload is not None
        assert answered == OrderAttached(order_number=token.payload), answered
        token.used = True
        self.model.linked.add(token.payload)
        self.model.events.append(_K.ORDER_ATTACHED)

    # --- the profile --------------------------------------------------------------------

    def _as_shopper(self, pick: int, command: str, *arguments: object, **options: object) -> object:
        """Run a profile command as the shopper of a picked session; ``None`` once it has
        answered NotLoggedIn, as it must when that session does not log in now."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        answered = getattr(self._shopper(session), command)(*arguments, **options)
        if not self._live(session):
            assert isinstance(answered, NotLoggedIn), answered
            return None
        return answered

    def _address_id(self, which: int) -> str:
        """One of the saved ids, or (when none is saved) an id the account never had."""
        ids = sorted(self.model.addresses)
        return ids[which % len(ids)] if ids else "NoSuchAddress0"

    @precondition(lambda self: self.sessions)
    @rule(
        pick=st.integers(-3, 3),
        street=st.integers(0, _STREETS - 1),
        retyped=st.booleans(),
        default=st.booleans(),
    )
    def save_an_address(self, pick: int, street: int, retyped: bool, default: bool) -> None:
        """Save an address: once per account whatever its case or spacing, at most the
        policy's number, the default replacing the one before."""
        address = _street(street, retyped)
        answered = self._as_shopper(pick, "add_address", address, default=default)
        if answered is None:
            return
        kept = self.model.addresses
        same = [i for i, (a, _d) in kept.items() if _street_number(a) == _street_number(address)]
        if same:
            assert answered == AddressAlreadySaved(address_id=same[0]), answered
            return
        if len(kept) >= _PROFILE.max_addresses:
            assert answered == AddressBookFull(limit=_PROFILE.max_addresses), answered
            return
        assert isinstance(answered, AddressSaved), answered
        if default:
            self.model.addresses = {i: (a, False) for i, (a, _d) in kept.items()}
        self.model.addresses[answered.address_id] = (address, default)

    @precondition(lambda self: self.sessions)
    @rule(
        pick=st.integers(-3, 3),
        which=st.integers(0, _STREETS),
        street=st.integers(0, _STREETS - 1),
    )
    def edit_an_address(self, pick: int, which: int, street: int) -> None:
        """Edit a saved address: it keeps its default; into another saved one, refused."""
        address_id, address = self._address_id(which), _street(street, retyped=False)
        answered = self._as_shopper(pick, "edit_address", address_id, address)
        if answered is None:
            return
        kept = self.model.addresses
        if address_id not in kept:
            assert answered == AddressNotFound(), answered
            return
        others = [
            i
            for i, (a, _d) in kept.items()
            if _street_number(a) == _street_number(address) and i != address_id
        ]
        if others:
            assert answered == AddressAlreadySaved(address_id=others[0]), answered
            return
        assert answered == AddressSaved(address_id=address_id), answered
        kept[address_id] = (address, kept[address_id][1])

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), which=st.integers(0, _STREETS))
    def remove_an_address(self, pick: int, which: int) -> None:
        """Remove a saved address (or try an id the account does not keep)."""
        address_id = self._address_id(which)
        answered = self._as_shopper(pick, "remove_address", address_id)
        if answered is None:
            return
        if self.model.addresses.pop(address_id, None) is None:
            assert answered == AddressNotFound(), answered
            return
        assert answered == AddressRemoved(address_id=address_id), answered

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), which=st.integers(0, _STREETS))
    def choose_a_default(self, pick: int, which: int) -> None:
        """Choose the default: exactly one then."""
        address_id = self._address_id(which)
        answered = self._as_shopper(pick, "choose_default_address", address_id)
        if answered is None:
            return
        kept = self.model.addresses
        if address_id not in kept:
            assert answered == AddressNotFound(), answered
            return
        assert answered == DefaultAddressChosen(address_id=address_id), answered
        self.model.addresses = {i: (a, i == address_id) for i, (a, _d) in kept.items()}

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def add_a_vehicle(self, pick: int) -> None:
        """Put a car in the garage, at most the policy's number."""
        answered = self._as_shopper(pick, "add_vehicle", _CAR)
        if answered is None:
            return
        if len(self.model.vehicles) >= _PROFILE.max_vehicles:
            assert answered == GarageFull(limit=_PROFILE.max_vehicles), answered
            return
        assert isinstance(answered, VehicleAdded), answered
        self.model.vehicles.add(answered.vehicle_id)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), which=st.integers(0, 12))
    def remove_a_vehicle(self, pick: int, which: int) -> None:
        """Take a car out of the garage (or try an id it does not hold)."""
        ids = sorted(self.model.vehicles)
        vehicle_id = ids[which % len(ids)] if ids else "NoSuchVehicle0"
        answered = self._as_shopper(pick, "remove_vehicle", vehicle_id)
        if answered is None:
            return
        if vehicle_id not in self.model.vehicles:
            assert answered == VehicleNotFound(), answered
            return
        assert answered == VehicleRemoved(vehicle_id=vehicle_id), answered
        self.model.vehicles.discard(vehicle_id)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3), by_garage=st.booleans(), which=st.integers(0, 12))
    def search_by_vehicle(self, pick: int, by_garage: bool, which: int) -> None:
        """Search the history by the car (year, make and model typed in other case), or
        by a garage vehicle's id (or one the garage does not hold): exactly the linked
        orders bought for it, newest first (their times tie: by number)."""
        ids = sorted(self.model.vehicles)
        if by_garage:
            vehicle_id = ids[which % len(ids)] if ids else "NoSuchVehicle0"
            answered = self._as_shopper(pick, "search", vehicle_id=vehicle_id, page_size=100)
            held = vehicle_id in self.model.vehicles
        else:
            query = VehicleQuery(2019, "ford", " F-150")
            answered = self._as_shopper(pick, "search", vehicle=query, page_size=100)
            held = True
        if answered is None:
            return
        assert isinstance(answered, SearchPage), answered
        found = [match.header.number for match in answered.matches]
        expected = sorted(self.model.linked & self.model.for_the_car, reverse=True)
        assert found == (expected if held else []), (found, expected)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def open_the_profile(self, pick: int) -> None:
        """The address book and the garage read as the model holds them; the whole page
        (``profile()``) answers each list as its own call does, in the model's language."""
        page = self._as_shopper(pick, "profile")
        if page is None:
            return
        assert isinstance(page, ProfilePage), page
        assert page.language == self.model.language, (page.language, self.model.language)
        book = self._as_shopper(pick, "addresses")
        assert isinstance(book, AddressBook), book
        assert {s.address_id: (s.address, s.is_default) for s in book.saved} == (
            self.model.addresses
        )
        garage = self._as_shopper(pick, "garage")
        assert isinstance(garage, Garage), garage
        assert {vehicle.vehicle_id for vehicle in garage.vehicles} == self.model.vehicles
        assert (page.addresses, page.garage) == (book, garage)
        for part in ("store_credit", "discount_codes", "part_watches", "mail_preferences"):
            alone = self._as_shopper(pick, part)
            assert getattr(page, part) == alone, (part, getattr(page, part), alone)

    @precondition(lambda self: self.sessions)
    @rule(pick=st.integers(-3, 3))
    def export_the_data(self, pick: int) -> None:
        """Download the data (a recent password needed): the document holds the model's
        account, addresses, garage, linked orders, security log and open sessions."""
        session = self._pick(self.sessions, pick)
        assert isinstance(session, _Session)
        answered = self._shopper(session).export_data()  # type: ignore[attr-defined]
        if not self._may_change(session, answered):
            return
        assert isinstance(answered, DataExport), answered
        document = json.loads(answered.document)
        self.check_document(document)
        model = self.model
        opened = [(s.created_at, s.last_seen_at, s.remember, s is session) for s in self.sessions]
        exported_as_the_model_says(
            document,
            email=model.email,
            addresses=model.addresses,
            vehicles=model.vehicles,
            orders=model.linked,
            events=model.events,
            sessions=[entry for entry, s in zip(opened, self.sessions, strict=True) if not s.ended],
            profile=ExportedProfile(
                language=model.language,
                codes={text: code.used_for for text, code in model.codes.items()},
                watched=set(model.watches.values()),
                topics=model.topics,
            ),
        )
        model.events.append(_K.DATA_EXPORTED)

    # --- time ---------------------------------------------------------------------------

    @rule(
        mark=st.integers(-12, -1),
        lifetime=st.sampled_from(sorted(LIFETIMES)),
        past=st.booleans(),
    )
    def time_reaches_a_lifetime(self, mark: int, lifetime: str, past: bool) -> None:
        """The clock moves to exactly a lifetime after a moment a step counts from (a
        link issued, a log-in, a captcha, a page view), or one second past it."""
        start = self.marks[mark % len(self.marks)]
        target = start + LIFETIMES[lifetime] + (_SECOND if past else timedelta(0))
        self.clock.set(max(target, self.now + _SECOND))

    @rule(seconds=st.sampled_from([1, 59, 60, 61, 299, 301]))
    def time_passes(self, seconds: int) -> None:
        """A little time passes (around the touch interval and the re-authentication
        window)."""
        self.clock.advance(timedelta(seconds=seconds))

    # --- the observable state -----------------------------------------------------------

    @invariant()
    def the_storage_holds_what_the_model_says(self) -> None:
        """The account (state, address), its sessions as stored, its linked orders and the
        kinds of its security log are the model's."""
        model = self.model
        with self.storage.unit_of_work() as uow:
            account = uow.accounts.by_email(email_key(model.email) or "")
            live = account if account is not None and account.is_live else None
            assert (live.state if live else None) is model.state, (live, model.state)
            for number in model.orders:
                link = uow.accounts.order_link(number)
                linked = (
                    link is not None and live is not None and link.account_id == live.account_id
                )
                assert linked == (number in model.linked), (number, link, model.linked)
                if number not in model.linked:
                    assert link is None, (number, link)
            if live is not None:
                self.account_ids.add(live.account_id)
                saved = uow.accounts.saved_addresses(live.account_id)
                book = {s.address_id: (s.address, s.is_default) for s in saved}
                assert book == model.addresses, (book, model.addresses)
                garage = {vehicle.vehicle_id for vehicle in uow.accounts.garage(live.account_id)}
                assert garage == model.vehicles, (garage, model.vehicles)
            for gone in self.account_ids - ({live.account_id} if live else set()):
                assert list(uow.accounts.saved_addresses(gone)) == [], gone
                assert list(uow.accounts.garage(gone)) == [], gone
            if live is not None:
                kinds = [event.kind for event in uow.accounts.events(live.account_id, 500)]
                assert kinds[::-1] == model.events, (kinds[::-1], model.events)
                assert live.email.display == model.email
                counted = uow.accounts.failed_logins(failure_key(live.email_key))
                assert live.failed_logins + counted == model.failed_logins
            for session in self.sessions:
                stored = uow.sessions.get(hash_session_id(session.token))
                assert stored is not None, session
                assert (stored.ended_at is not None) == session.ended, (stored, session)
                assert stored.last_seen_at == session.last_seen_at, (stored, session)
                assert stored.expires_at == session.expires_at, (stored, session)
                assert stored.reauthenticated_at == session.reauthenticated_at
                assert stored.remember is session.remember

    def teardown(self) -> None:
        """Mark this run's remaining mail sent, so that no later run reads it."""
        self._new_mail()


def _token_of(link: str) -> str:
    return link.partition("?token=")[2]


def _addressed_to(mail: MailIntent, run: int) -> bool:
    to = getattr(mail, "to", None)
    display = getattr(to, "display", "")
    return isinstance(display, str) and display.endswith(f".{run}@example.com")


def account_lifecycle_of(
    storage: Storage, *, check_document: Callable[[Mapping[str, Any]], None] | None = None
) -> type[AccountMachine]:
    """An :class:`AccountMachine` of ``storage``, ready for ``run_state_machine_as_test``;
    ``check_document`` checks the form of each data export (a JSON Schema validator's
    ``validate``, say: ``orderstatus_core.export_schema()`` is the schema)."""

    class AccountLifecycle(AccountMachine):
        pass

    AccountLifecycle.storage = storage
    if check_document is not None:
        AccountLifecycle.check_document = staticmethod(check_document)
    return AccountLifecycle
