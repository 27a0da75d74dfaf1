"""The guest pass: request a code and link, exchange one for a pass, use the pass."""

from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    GuestPass,
    GuestPassGranted,
    GuestPassMail,
    GuestPassPolicy,
    GuestPassRefused,
    GuestPassRequested,
    Hooks,
    InvalidFieldError,
    OrderStatus,
    PassChallenge,
    TryLater,
    get_plugin_manager,
    hookimpl,
)
from orderstatus_core.messages import OutboxMessage
from orderstatus_core.ports import Storage
from orderstatus_core.serialization import dump_intent, load_intent
from orderstatus_core.services import (
    ServiceContext,
    check_guest_pass,
    pass_required,
    relay_outbox,
    request_guest_pass,
    verify_guest_code,
    verify_guest_link,
)
from orderstatus_core.testing import (
    FailingMailer,
    FixedClock,
    RecordingMailer,
    fake_context,
    policies_with,
    queued_mail,
)
from orderstatus_core.testing.builders import make_order
from support.paths import EXAMPLES
from support.phone_parses import count_phone_parses

EXAMPLE = EXAMPLES / "cancel_without_pass.py"
JANE = "jane.doe@example.com"
ORDER = "123456789"
OTHER_ORDER = "987654321"
SECOND = timedelta(seconds=1)
CODE_TTL = timedelta(minutes=15)
PASS_TTL = timedelta(minutes=30)
CLIENT = "203.0.113.9"


@pytest.fixture
def ctx() -> ServiceContext:
    """Jane's orders 123456789 and 987654321, stored as ``Jane.Doe@example.com``."""
    context = fake_context()
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(ORDER))
        uow.orders.add(make_order(OTHER_ORDER))
        uow.commit()
    return context


def _clock(ctx: ServiceContext) -> FixedClock:
    assert isinstance(ctx.clock, FixedClock)
    return ctx.clock


def _mails(ctx: ServiceContext) -> list[GuestPassMail]:
    """Every guest-pass mail waiting in the outbox, oldest first, once the relay decided."""
    return [mail for mail in queued_mail(ctx) if isinstance(mail, GuestPassMail)]


def _request(ctx: ServiceContext, number: str = ORDER) -> GuestPassMail:
    """Ask for a pass with Jane's pair and answer the mail it queued."""
    assert request_guest_pass(ctx, JANE, number, client=CLIENT) == GuestPassRequested()
    return _mails(ctx)[-1]


def _link_token(mail: GuestPassMail) -> str:
    return parse_qs(urlsplit(mail.link).query)["token"][0]


def _granted(answer: object) -> GuestPassGranted:
    assert isinstance(answer, GuestPassGranted)
    return answer


# --- requesting --------------------------------------------------------------------------


def test_a_matching_pair_queues_a_mail_to_the_stored_address(ctx: ServiceContext) -> None:
    """The mail goes to the address stored with the order, not to the typed text (A4)."""
    answer = request_guest_pass(ctx, "  JANE.DOE@EXAMPLE.COM ", "123-456-789", client=CLIENT)
    assert answer == GuestPassRequested()
    [mail] = _mails(ctx)
    assert mail.to.display == "Jane.Doe@example.com"
    assert mail.order_number == ORDER
    assert mail.expires_at == FixedClock.START + CODE_TTL
    assert len(mail.code) == 6
    assert mail.code.isdigit()


def test_a_phone_number_requests_a_pass_too(ctx: ServiceContext) -> None:
    """The pair is the same as find-order's: email or phone."""
    request_guest_pass(ctx, "(415) 555-2671", ORDER, client=CLIENT)
    assert [mail.to.display for mail in _mails(ctx)] == ["Jane.Doe@example.com"]


@pytest.mark.parametrize(("typed", "full_parses"), [("(415) 555-2671", 0), ("415  555  2671", 1)])
def test_a_requested_pass_parses_the_phone_once(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch, typed: str, full_parses: int
) -> None:
    """The typed phone is parsed once at most, and a common US shape not at all (see
    test_phone_keys): for the rate-limit bucket and for the request."""
    parsed = count_phone_parses(monkeypatch)
    request_guest_pass(ctx, typed, ORDER, client=CLIENT)
    assert parsed == [typed] * full_parses


@pytest.mark.parametrize(
    ("identifier", "number"),
    [
        ("someone.else@example.com", ORDER),
        (JANE, "555555555"),
        ("not an email", ORDER),
        (JANE, "12#456"),
        ("", ""),
    ],
)
def test_a_non_matching_pair_gets_the_same_answer_and_no_mail(
    ctx: ServiceContext, identifier: str, number: str
) -> None:
    """Nothing tells a stranger whether the pair matched (A1)."""
    assert request_guest_pass(ctx, identifier, number, client=CLIENT) == GuestPassRequested()
    assert _mails(ctx) == []


def test_the_request_itself_never_calls_the_mail_port(ctx: ServiceContext) -> None:
    """The mail waits in the outbox for the relay, so its fate cannot change the answer."""
    _request(ctx)
    assert isinstance(ctx.mailer, RecordingMailer)
    assert ctx.mailer.sent == []


class _LinkBase:
    """A store with its own guest-pass landing page."""

    def __init__(self, base: str) -> None:
        self.base = base

    @hookimpl
    def orderstatus_guest_pass_policy(self) -> GuestPassPolicy:
        return GuestPassPolicy(link_base=self.base)


def test_the_link_is_built_from_the_policy_base_only(ctx: ServiceContext) -> None:
    """A store's ``link_base`` is the only source of the link's address (D4)."""
    base = "https://parts.example.fi/tilaus/koodi"
    ctx = attrs.evolve(ctx, policies=policies_with(_LinkBase(base)))
    mail = _request(ctx)
    assert mail.link == f"{base}?token={_link_token(mail)}"


@pytest.mark.parametrize(
    "base",
    [
        "javascript:alert(1)",
        "//shop.example/pass",
        "https://shop.example/pass?next=evil",
        "https://shop.example/pass#x",
        "https://shop.example/pass\r\nX-Evil: 1",
        "https://",
        "ftp://shop.example/pass",
        "https://shöp.example/pass",
    ],
)
def test_a_link_base_that_is_not_a_plain_web_address_is_refused(base: str) -> None:
    """The base is an absolute http(s) URL with no query, fragment or control characters."""
    with pytest.raises(ValueError, match="link_base"):
        GuestPassPolicy(link_base=base)


def test_the_policy_defaults_follow_the_domain() -> None:
    """15 minutes and 3 tries for a code, 30 minutes for a pass."""
    policy = GuestPassPolicy()
    assert (policy.code_ttl, policy.code_tries, policy.pass_ttl) == (CODE_TTL, 3, PASS_TTL)


def test_a_new_request_replaces_the_previous_code_and_link(ctx: ServiceContext) -> None:
    """Only the newest mail works; an older code cannot add its own three tries."""
    first = _request(ctx)
    _clock(ctx).advance(SECOND)
    second = _request(ctx)
    assert verify_guest_code(ctx, ORDER, first.code, client=CLIENT) == GuestPassRefused()
    assert verify_guest_link(ctx, _link_token(first), client=CLIENT) == GuestPassRefused()
    _granted(verify_guest_code(ctx, ORDER, second.code, client=CLIENT))


def test_requests_per_order_number_are_limited(ctx: ServiceContext) -> None:
    """Each request mails the shopper; the fourth in 15 minutes must wait (C1)."""
    for attempt in range(3):
        request_guest_pass(ctx, f"guess{attempt}@example.com", ORDER, client=f"c{attempt}")
    answer = request_guest_pass(ctx, JANE, ORDER, client="fresh")
    assert isinstance(answer, TryLater)
    assert _mails(ctx) == []


def test_requests_per_client_are_limited(ctx: ServiceContext) -> None:
    """One client cannot sweep many order numbers."""
    for attempt in range(10):
        request_guest_pass(ctx, f"g{attempt}@example.com", f"1000{attempt}", client=CLIENT)
    assert isinstance(request_guest_pass(ctx, JANE, ORDER, client=CLIENT), TryLater)
    assert request_guest_pass(ctx, JANE, ORDER, client="other") == GuestPassRequested()


@pytest.mark.parametrize("client", ["", "x" * 201, None])
def test_the_client_key_is_required(ctx: ServiceContext, client: object) -> None:
    """The caller must say who is asking, so that limits can apply."""
    with pytest.raises(InvalidFieldError):
        request_guest_pass(ctx, JANE, ORDER, client=client)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        verify_guest_code(ctx, ORDER, "123456", client=client)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        verify_guest_link(ctx, "x", client=client)  # type: ignore[arg-type]


# --- the code ----------------------------------------------------------------------------


def test_the_right_code_grants_a_pass_for_that_order(ctx: ServiceContext) -> None:
    """The pass names the order and lives 30 minutes from the moment it is granted."""
    mail = _request(ctx)
    _clock(ctx).advance(timedelta(minutes=4))
    granted = _granted(verify_guest_code(ctx, "123-456-789", mail.code, client=CLIENT))
    assert granted.order_number == ORDER
    assert granted.expires_at == FixedClock.START + timedelta(minutes=4) + PASS_TTL
    assert check_guest_pass(ctx, granted.token, ORDER, _clock(ctx).now())


def test_a_code_typed_with_spaces_is_accepted(ctx: ServiceContext) -> None:
    """``042 917`` is how people read six digits aloud and type them back."""
    mail = _request(ctx)
    _granted(verify_guest_code(ctx, ORDER, f" {mail.code[:3]} {mail.code[3:]} ", client=CLIENT))


def test_the_code_is_valid_at_exactly_fifteen_minutes(ctx: ServiceContext) -> None:
    """Valid at issued + TTL (D3)."""
    mail = _request(ctx)
    _clock(ctx).advance(CODE_TTL)
    _granted(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT))


def test_the_code_is_refused_one_second_after_fifteen_minutes(ctx: ServiceContext) -> None:
    """Refused at issued + TTL + 1 s (D3)."""
    mail = _request(ctx)
    _clock(ctx).advance(CODE_TTL + SECOND)
    assert verify_guest_code(ctx, ORDER, mail.code, client=CLIENT) == GuestPassRefused()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_three_wrong_codes_close_the_challenge(ctx: ServiceContext) -> None:
    """After the third wrong try, even the right code is refused."""
    mail = _request(ctx)
    for _ in range(3):
        assert verify_guest_code(ctx, ORDER, _wrong(mail.code), client=CLIENT) == (
            GuestPassRefused()
        )
    assert verify_guest_code(ctx, ORDER, mail.code, client=CLIENT) == GuestPassRefused()
    assert verify_guest_link(ctx, _link_token(mail), client=CLIENT) == GuestPassRefused()


def test_two_wrong_codes_leave_one_try(ctx: ServiceContext) -> None:
    """The third try may still be the right one."""
    mail = _request(ctx)
    for _ in range(2):
        verify_guest_code(ctx, ORDER, _wrong(mail.code), client=CLIENT)
    _granted(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT))


def test_a_code_works_once(ctx: ServiceContext) -> None:
    """Single use (D2): the same code again is refused, and so is the link."""
    mail = _request(ctx)
    _granted(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT))
    assert verify_guest_code(ctx, ORDER, mail.code, client=CLIENT) == GuestPassRefused()
    assert verify_guest_link(ctx, _link_token(mail), client=CLIENT) == GuestPassRefused()


def test_a_code_for_one_order_does_not_open_another(ctx: ServiceContext) -> None:
    """The code belongs to the order it was mailed for."""
    mail = _request(ctx, ORDER)
    assert verify_guest_code(ctx, OTHER_ORDER, mail.code, client=CLIENT) == GuestPassRefused()


def test_a_code_for_an_order_without_a_request_is_refused(ctx: ServiceContext) -> None:
    """No challenge, an unknown order: the same refusal."""
    assert verify_guest_code(ctx, ORDER, "123456", client=CLIENT) == GuestPassRefused()
    assert verify_guest_code(ctx, "555555555", "123456", client=CLIENT) == GuestPassRefused()


def test_code_tries_per_client_are_limited(ctx: ServiceContext) -> None:
    """Ten tries a minute per client, over every order."""
    for attempt in range(10):
        verify_guest_code(ctx, f"1000{attempt}", "123456", client=CLIENT)
    assert isinstance(verify_guest_code(ctx, ORDER, "123456", client=CLIENT), TryLater)


def test_code_tries_per_order_number_are_limited(ctx: ServiceContext) -> None:
    """Ten tries in 15 minutes per order number, from any clients, over every challenge."""
    for attempt in range(10):
        verify_guest_code(ctx, ORDER, "123456", client=f"c{attempt}")
    mail = _request(ctx)
    assert isinstance(verify_guest_code(ctx, ORDER, mail.code, client="fresh"), TryLater)


# --- the link ----------------------------------------------------------------------------


def test_the_link_grants_a_pass(ctx: ServiceContext) -> None:
    """Following the link is as good as typing the code."""
    mail = _request(ctx)
    granted = _granted(verify_guest_link(ctx, _link_token(mail), client=CLIENT))
    assert granted.order_number == ORDER
    assert check_guest_pass(ctx, granted.token, ORDER, _clock(ctx).now())


def test_the_link_is_valid_at_exactly_fifteen_minutes(ctx: ServiceContext) -> None:
    """Valid at issued + TTL (D3)."""
    mail = _request(ctx)
    _clock(ctx).advance(CODE_TTL)
    _granted(verify_guest_link(ctx, _link_token(mail), client=CLIENT))


def test_the_link_is_refused_one_second_after_fifteen_minutes(ctx: ServiceContext) -> None:
    """Refused at issued + TTL + 1 s (D3)."""
    mail = _request(ctx)
    _clock(ctx).advance(CODE_TTL + SECOND)
    assert verify_guest_link(ctx, _link_token(mail), client=CLIENT) == GuestPassRefused()


def test_a_link_works_once(ctx: ServiceContext) -> None:
    """Single use: the link again is refused, and so is the code."""
    mail = _request(ctx)
    _granted(verify_guest_link(ctx, _link_token(mail), client=CLIENT))
    assert verify_guest_link(ctx, _link_token(mail), client=CLIENT) == GuestPassRefused()
    assert verify_guest_code(ctx, ORDER, mail.code, client=CLIENT) == GuestPassRefused()


def test_a_link_with_a_wrong_validator_uses_a_try(ctx: ServiceContext) -> None:
    """Whoever holds the selector but not the validator gets three tries, like the code."""
    mail = _request(ctx)
    selector = _link_token(mail).partition(".")[0]
    forged = f"{selector}.{'A' * 43}"
    for _ in range(3):
        assert verify_guest_link(ctx, forged, client=CLIENT) == GuestPassRefused()
    assert verify_guest_link(ctx, _link_token(mail), client=CLIENT) == GuestPassRefused()


# --- the pass ----------------------------------------------------------------------------


def test_a_pass_is_valid_at_exactly_thirty_minutes(ctx: ServiceContext) -> None:
    """Valid at issued + 30 min (D3)."""
    granted = _granted(verify_guest_code(ctx, ORDER, _request(ctx).code, client=CLIENT))
    assert check_guest_pass(ctx, granted.token, ORDER, FixedClock.START + PASS_TTL)


def test_a_pass_is_refused_one_second_after_thirty_minutes(ctx: ServiceContext) -> None:
    """Refused at issued + 30 min + 1 s (D3)."""
    granted = _granted(verify_guest_code(ctx, ORDER, _request(ctx).code, client=CLIENT))
    assert not check_guest_pass(ctx, granted.token, ORDER, FixedClock.START + PASS_TTL + SECOND)


def test_a_pass_works_many_times_while_it_lives(ctx: ServiceContext) -> None:
    """The pass is a short session for one order, not a one-time token."""
    granted = _granted(verify_guest_code(ctx, ORDER, _request(ctx).code, client=CLIENT))
    now = _clock(ctx).now()
    assert all(check_guest_pass(ctx, granted.token, ORDER, now) for _ in range(3))


def test_a_pass_for_one_order_does_not_open_another(ctx: ServiceContext) -> None:
    """Jane's pass for order A is no pass for her order B (D2)."""
    granted = _granted(verify_guest_code(ctx, ORDER, _request(ctx).code, client=CLIENT))
    assert check_guest_pass(ctx, granted.token, ORDER, _clock(ctx).now())
    assert not check_guest_pass(ctx, granted.token, OTHER_ORDER, _clock(ctx).now())


def test_a_pass_is_checked_inside_the_callers_unit_of_work(ctx: ServiceContext) -> None:
    """A command that already holds a unit passes it in and sees the same snapshot."""
    granted = _granted(verify_guest_code(ctx, ORDER, _request(ctx).code, client=CLIENT))
    with ctx.storage.unit_of_work(write=True) as uow:
        assert check_guest_pass(uow, granted.token, "123 456 789", _clock(ctx).now())
        assert not check_guest_pass(uow, granted.token, OTHER_ORDER, _clock(ctx).now())


def test_the_link_token_is_no_pass(ctx: ServiceContext) -> None:
    """The mailed link opens the challenge only; it is not itself a pass."""
    mail = _request(ctx)
    assert not check_guest_pass(ctx, _link_token(mail), ORDER, _clock(ctx).now())


# --- mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words", "expiry"),
    [
        ("en", "Your code", "November 1, 2026, 12:15:00\u202fPM UTC"),
        ("fi", "Koodisi", "1. marraskuuta 2026 12.15.00 UTC"),
        ("sv", "Your code", "November 1, 2026, 12:15:00\u202fPM UTC"),
    ],
)
def test_the_mail_carries_code_link_and_expiry_in_the_shoppers_language(
    ctx: ServiceContext, language: str, words: str, expiry: str
) -> None:
    """English and Finnish catalogs; any other language falls back to English."""
    mail = attrs.evolve(_request(ctx), language=language)
    message = OutboxMessage(message_id="m1", created_at=FixedClock.START, intent=mail)
    rendered = ctx.policies.mail_renderer().render(message)
    assert rendered.to == "Jane.Doe@example.com"
    assert ORDER in rendered.subject
    assert words in rendered.text
    assert mail.code in rendered.text
    assert mail.link in rendered.text
    assert expiry in rendered.text
    assert mail.link in rendered.html
    assert rendered.language == ("fi" if language == "fi" else "en")


def test_the_mail_survives_the_outbox_round_trip(ctx: ServiceContext) -> None:
    """The outbox stores the intent tagged ``guest_pass`` and reads it back equal."""
    mail = _request(ctx)
    data = dump_intent(mail)
    assert data["kind"] == "guest_pass"
    assert load_intent(data) == mail


def test_logs_never_show_codes_or_tokens(ctx: ServiceContext) -> None:
    """``repr`` of the mail and of the granted pass leaves the secrets out (C4)."""
    mail = _request(ctx)
    granted = _granted(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT))
    assert mail.code not in repr(mail)
    assert _link_token(mail) not in repr(mail)
    assert granted.token not in repr(granted)


def test_a_failing_mail_adapter_changes_neither_the_answer_nor_the_pending_mail(
    ctx: ServiceContext,
) -> None:
    """The relay fails; the answer was already given and the mail waits for a retry (A3)."""
    failing = attrs.evolve(ctx, mailer=FailingMailer())
    assert request_guest_pass(failing, JANE, ORDER, client=CLIENT) == GuestPassRequested()
    report = relay_outbox(failing)
    assert (report.sent, report.failed) == (0, 1)
    with failing.storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 1
    _clock(ctx).advance(timedelta(minutes=1))  # the retry time; the server is back
    assert relay_outbox(ctx).sent == 1
    assert isinstance(ctx.mailer, RecordingMailer)
    assert [m.to for m in ctx.mailer.sent] == ["Jane.Doe@example.com"]


# --- failures ----------------------------------------------------------------------------


class _BrokenStorage:
    url = "broken://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> object:
        raise AdapterError("the database is unreachable")

    def migrate(self) -> int:
        return 1

    def close(self) -> None:
        pass


def test_a_storage_failure_raises_rather_than_answering() -> None:
    """An outage must not pass for 'request sent' or 'wrong code'."""
    broken: Storage = _BrokenStorage()  # type: ignore[assignment]
    ctx = fake_context(broken)
    token = f"{'s' * 22}.{'v' * 43}"
    with pytest.raises(AdapterError):
        request_guest_pass(ctx, JANE, ORDER, client=CLIENT)
    with pytest.raises(AdapterError):
        verify_guest_code(ctx, ORDER, "123456", client=CLIENT)
    with pytest.raises(AdapterError):
        verify_guest_link(ctx, token, client=CLIENT)
    with pytest.raises(AdapterError):
        check_guest_pass(ctx, token, ORDER, FixedClock.START)


# --- the model ---------------------------------------------------------------------------


def test_a_challenge_keeps_only_hashes() -> None:
    """``issue`` takes the secrets and keeps their SHA-256 hashes."""
    challenge = PassChallenge.issue(
        "S" * 22, ORDER, "042917", "V" * 43, FixedClock.START, CODE_TTL, tries=3
    )
    values = attrs.astuple(challenge)
    assert "042917" not in repr(values)
    assert "V" * 43 not in repr(values)
    assert challenge.expires_at == FixedClock.START + CODE_TTL


def test_equal_codes_of_two_challenges_are_stored_differently() -> None:
    """The selector salts the code's hash."""
    one, two = (
        PassChallenge.issue(s * 22, ORDER, "042917", "V" * 43, FixedClock.START, CODE_TTL, tries=3)
        for s in "AB"
    )
    assert one.code_hash != two.code_hash


@pytest.mark.parametrize(
    "change",
    [
        {"selector": "short"},
        {"code": "42917"},
        {"code": "٠٤٢٩١٧"},
        {"link_validator": "has space" * 3},
        {"ttl": timedelta(0)},
        {"tries": 0},
        {"tries": 11},
    ],
)
def test_a_challenge_refuses_malformed_parts(change: dict[str, object]) -> None:
    """The model checks what the service hands it."""
    fields: dict[str, object] = {
        "selector": "S" * 22,
        "order_number": ORDER,
        "code": "042917",
        "link_validator": "V" * 43,
        "now": FixedClock.START,
        "ttl": CODE_TTL,
        "tries": 3,
    }
    fields.update(change)
    with pytest.raises(InvalidFieldError):
        PassChallenge.issue(**fields)  # type: ignore[arg-type]


def test_a_pass_keeps_only_the_hash_of_its_validator() -> None:
    """The validator never appears in the stored value."""
    guest_pass = GuestPass.issue("S" * 22, "V" * 43, ORDER, FixedClock.START, PASS_TTL)
    assert "V" * 43 not in repr(attrs.astuple(guest_pass))
    assert guest_pass.admits("V" * 43, ORDER, FixedClock.START + PASS_TTL)
    assert not guest_pass.admits("W" * 43, ORDER, FixedClock.START)


# --- policy hooks and the facade -------------------------------------------------------


@pytest.mark.parametrize("action", ["cancel", "change", "report", "return"])
def test_by_default_every_action_needs_a_pass(ctx: ServiceContext, action: str) -> None:
    """DOMAIN.md section 1: strict unless the store relaxes it."""
    assert pass_required(ctx, action) is True
    assert Hooks(get_plugin_manager(load_entrypoints=False)).pass_required(action) is True


@pytest.mark.parametrize("action", ["delete", "Cancel", "", None])
def test_an_unknown_action_is_a_programming_error(ctx: ServiceContext, action: object) -> None:
    """A typo in the calling code must fail loudly, not pass or fail silently."""
    with pytest.raises(InvalidFieldError):
        pass_required(ctx, action)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        Hooks(get_plugin_manager(load_entrypoints=False)).pass_required(action)  # type: ignore[arg-type]


def _example_plugin() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cancel_without_pass", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_the_example_plugin_lets_a_guest_cancel_without_a_pass() -> None:
    """examples/cancel_without_pass.py relaxes ``cancel`` and leaves the rest strict."""
    with OrderStatus.open(
        storage="memory://", mail=RecordingMailer(), plugins=[_example_plugin()], clock=FixedClock()
    ) as desk:
        assert desk.pass_required("cancel") is False
        assert [desk.pass_required(a) for a in ("change", "report", "return")] == [True] * 3


class _FinnishShop:
    """A store with its own landing page and longer passes."""

    @hookimpl
    def orderstatus_guest_pass_policy(self) -> GuestPassPolicy:
        return GuestPassPolicy(
            link_base="https://osat.example.fi/tilaus/koodi", pass_ttl=timedelta(hours=1)
        )


class _Undecided:
    """A plugin whose answer is neither ``True`` nor ``False``."""

    @hookimpl
    def orderstatus_pass_required(self, action: str) -> bool | None:
        return None


def test_a_store_plugin_sets_the_guest_pass_policy() -> None:
    """``orderstatus_guest_pass_policy`` wins over the default."""
    with OrderStatus.open(
        storage="memory://", mail=RecordingMailer(), plugins=[_FinnishShop()]
    ) as desk:
        policy = desk.context.policies.guest_pass_policy()
        assert policy.link_base == "https://osat.example.fi/tilaus/koodi"
        assert policy.pass_ttl == timedelta(hours=1)


def test_a_plugin_answering_none_leaves_the_default() -> None:
    """``None`` falls through to the strict built-in answer."""
    with OrderStatus.open(
        storage="memory://", mail=RecordingMailer(), plugins=[_Undecided()]
    ) as desk:
        assert desk.pass_required("cancel") is True


def test_the_whole_flow_through_the_facade() -> None:
    """Request, relay, follow the link, act with the pass: all through ``OrderStatus``."""
    clock = FixedClock()
    mailer = RecordingMailer()
    with OrderStatus.open(storage="memory://", mail=mailer, clock=clock) as desk:
        with desk.context.storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(ORDER))
            uow.commit()
        assert desk.request_guest_pass(JANE, ORDER, client=CLIENT) == GuestPassRequested()
        desk.relay_outbox()
        [sent] = mailer.sent
        link = next(word for word in sent.text.split() if word.startswith("https://"))
        token = parse_qs(urlsplit(link).query)["token"][0]
        granted = _granted(desk.verify_guest_link(token, client=CLIENT))
        assert desk.check_guest_pass(granted.token, ORDER)
        clock.advance(PASS_TTL + SECOND)
        assert not desk.check_guest_pass(granted.token, ORDER)
        assert desk.verify_guest_code(ORDER, "000000", client=CLIENT) == GuestPassRefused()
