"""The data export (issue 14 item 8): one JSON document of everything stored about the
holder, valid against the shipped schema; their own data in full, nobody else's and no
secret; a recent password needed (SECURITY E4, decided stricter); NotLoggedIn without a
session and after deletion; a storage failure raises and records nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    AccountDeleted,
    AdapterError,
    Address,
    AddressSaved,
    CodeRevoked,
    DataExport,
    DiscountApplied,
    InvalidFieldError,
    LoggedIn,
    Money,
    NotLoggedIn,
    OrderStatus,
    ReauthenticationRequired,
    ShopperProof,
    TryLater,
    Vehicle,
    export_schema,
    parse_email,
)
from orderstatus_core.model.account import LinkedBy, OrderLink, SecurityEventKind, hash_session_id
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_core.records import CreditEntry
from orderstatus_core.serialization import converter
from orderstatus_core.services import ServiceContext
from orderstatus_core.services.accounts import export_data
from orderstatus_core.services.accounts.export import EXPORT_SCHEMA_VERSION
from orderstatus_core.services.accounts.export_sections import SECTIONS
from orderstatus_core.services.sync import upsert_order
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import make_order
from support.accounts import CLIENT, PASSWORD, log_in, open_storage, register, reset_token
from support.data_export import (
    BOUGHT_FOR,
    CAR,
    HOME,
    JANE,
    ORDER,
    PHONE,
    WATCHED,
    advance,
    deleted_holder_keeps_nothing,
    exported,
    stored_holder,
)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store on memory or SQLite."""
    storage = open_storage(request.param, tmp_path)
    yield fake_context(storage)
    storage.close()


def test_the_export_holds_the_holders_own_data_in_full(ctx: ServiceContext) -> None:
    """Account, saved address, car (VIN too), linked order (phone and address in full,
    the vehicle its line was bought for), credit and its balance, the discount code, the
    watched part, the store-mail topic, the security log and this session, in the
    schema's form."""
    holder = stored_holder(ctx)
    document = exported(holder.shopper)
    assert document["schema"] == EXPORT_SCHEMA_VERSION == 2
    assert document["account"]["language"] == "en"
    assert document["account"]["email"] == JANE
    assert document["account"]["account_id"] == holder.account_id
    [saved] = document["addresses"]
    assert saved["address_id"] == holder.address_id
    assert saved["is_default"] is True
    assert saved["address"]["line1"] == HOME.line1
    assert saved["address"]["line2"] == HOME.line2
    [vehicle] = document["garage"]
    assert vehicle["vehicle_id"] == holder.vehicle_id
    assert vehicle["vehicle"]["vin"] == CAR.vin
    [order] = document["orders"]
    assert (order["number"], order["email"], order["phone"]) == (ORDER, JANE, PHONE)
    assert "version" not in order
    assert order["shipping_address"]["name"] == "Jane Doe"
    assert converter.structure(order["lines"][0]["vehicle"], Vehicle) == BOUGHT_FOR
    credit = document["store_credit"]
    assert credit["balances"] == ["12.50 USD"]
    assert [entry["amount"] for entry in credit["entries"]] == ["12.50 USD"]
    assert credit["holders"] == [parse_email(JANE).canonical]
    assert credit["entries"][0]["holder"] == parse_email(JANE).canonical
    [code] = document["discount_codes"]
    assert (code["code"], code["amount"], code["percent"], code["status"]) == (
        holder.code,
        "5 USD",
        None,
        "open",
    )
    assert code["used_at"] is code["revoked_at"] is code["order_reference"] is None
    assert [watch["part_number"] for watch in document["part_watches"]] == [WATCHED]
    assert [entry["topic"] for entry in document["mail_preferences"]] == ["newsletter"]
    assert document["security_log"][0]["kind"] == "logged_in"
    assert document["security_log"][0]["masked_email"] == "J•••@example.com"
    [session] = document["sessions"]
    assert session["this_session"] is True
    assert session["remember"] is False


def test_the_credit_is_the_accounts_across_its_proven_addresses(ctx: ServiceContext) -> None:
    """An order of another address linked by a mailed code brings that address's credit
    in (as the account page shows it); a look-alike of either address stays out (A4);
    the balances are per currency, the entries newest first with their holder."""
    holder = stored_holder(ctx)
    other, lookalike = parse_email("jr@example.net"), parse_email("ｊr@example.net")
    assert upsert_order(ctx, make_order("700000009", email=other.display)) == "created"
    now = ctx.clock.now()
    with ctx.storage.unit_of_work(write=True) as uow:
        link = OrderLink(holder.account_id, "700000009", now, LinkedBy.CODE)
        uow.accounts.link_order(link)
        for entry_id, key, amount in (
            ("gift:1", other.canonical, Money("2.25", "USD")),
            ("gift:2", other.canonical, Money("3", "EUR")),
            ("gift:3", lookalike.canonical, Money("99", "USD")),
        ):
            uow.credit.append(CreditEntry(entry_id, key, amount, now + timedelta(seconds=1), "x"))
        uow.commit()
    credit = exported(holder.shopper)["store_credit"]
    assert credit["holders"] == sorted([parse_email(JANE).canonical, other.canonical])
    assert credit["balances"] == ["3 EUR", "14.75 USD"]
    assert [(e["entry_id"], e["holder"]) for e in credit["entries"]][-1] == (
        f"refund:{ORDER}:R1",
        parse_email(JANE).canonical,
    )
    assert lookalike.canonical not in json.dumps(credit, ensure_ascii=False)
    assert len(credit["entries"]) == 3


def test_every_discount_code_is_exported_not_only_the_listed(ctx: ServiceContext) -> None:
    """More codes than the account page lists, used, revoked and open ones: all of them,
    newest first, each with its use or revocation."""
    holder = stored_holder(ctx)
    desk = OrderStatus(ctx)
    listed = ctx.policies.profile_policy().listed_discount_codes
    # Written straight to the store, issued over the day before (the service bounds how
    # many are open at once); the third expired a second after it was issued.
    day_before = ctx.clock.now() - timedelta(days=1)
    codes = []
    with ctx.storage.unit_of_work(write=True) as uow:
        for n in range(listed + 1):
            issued_at = day_before + timedelta(seconds=n)
            lifetime = timedelta(seconds=1) if n == 2 else timedelta(days=30)
            code = DiscountCode(
                f"{n:013d}", holder.account_id, None, 10, issued_at, issued_at + lifetime
            )
            uow.accounts.put_discount_code(code)
            codes.append(code.code)
        uow.commit()
    jane = parse_email(JANE)
    redeemed = desk.discounts.redeem(codes[0], jane, "order-1", Money("20", "USD"))
    assert isinstance(redeemed, DiscountApplied), redeemed
    assert isinstance(desk.discounts.revoke(codes[1]), CodeRevoked)
    exported_codes = exported(holder.shopper)["discount_codes"]
    assert [code["code"] for code in exported_codes] == [holder.code, *codes[::-1]]
    by_code = {code["code"]: code for code in exported_codes}
    assert (by_code[codes[0]]["order_reference"], by_code[codes[0]]["discount"]) == (
        "order-1",
        "2.00 USD",
    )
    assert [by_code[code]["status"] for code in codes[:4]] == ["used", "revoked", "expired", "open"]


def test_each_section_has_its_schema_fragment() -> None:
    """Every section is a required property of the shipped schema and the schema has no
    other (adding a section without its fragment, or the reverse, fails here)."""
    names = [section.name for section in SECTIONS]
    schema = export_schema()
    assert schema["required"] == ["schema", "exported_at", *names]
    assert sorted(schema["properties"]) == sorted(schema["required"])
    assert schema["additionalProperties"] is False
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_no_secret_is_in_the_export(ctx: ServiceContext) -> None:
    """No password hash, session id or its hash, link token or its hash, nor the raw
    rows' counters appear anywhere in the document."""
    holder = stored_holder(ctx)
    token = reset_token(ctx, JANE)  # a live reset link of the account
    session_id = holder.shopper.proof.session
    assert session_id is not None
    answer = holder.shopper.export_data()
    assert isinstance(answer, DataExport)
    text = answer.document.decode("utf-8")
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.get(holder.account_id)
        stored_token = uow.accounts.get_token(token.partition(".")[0])
    assert account is not None
    assert account.password_hash is not None
    assert stored_token is not None
    for secret in (
        account.password_hash,
        session_id,
        hash_session_id(session_id),
        token,
        token.partition(".")[0],
        token.partition(".")[2],
        stored_token.secret_hash,
    ):
        assert secret not in text
    for key in ('"password_hash"', '"id_hash"', '"credential_epoch"', '"version"'):
        assert key not in text
    assert "DataExport(" in repr(answer)
    assert JANE not in repr(answer)


def test_another_accounts_data_is_never_in_the_export(ctx: ServiceContext) -> None:
    """A second shopper's address, car, order and credit stay out of Jane's document,
    and so does the credit of a look-alike address (SECURITY A4)."""
    jane = stored_holder(ctx)
    advance(ctx, timedelta(seconds=1))  # the newest verification mail is Mike's
    stored_holder(ctx, "mike@example.com", order="700000002")
    lookalike = "ｊane.roe@example.com"
    with ctx.storage.unit_of_work(write=True) as uow:
        key = parse_email(lookalike).canonical
        assert key != parse_email(JANE).canonical
        uow.credit.append(CreditEntry("gift:x", key, Money("99", "USD"), ctx.clock.now(), "x"))
        uow.commit()
    document = exported(jane.shopper)
    text = json.dumps(document, ensure_ascii=False)
    assert "mike@example.com" not in text
    assert "700000002" not in text
    assert [order["number"] for order in document["orders"]] == [ORDER]
    assert document["store_credit"]["balances"] == ["12.50 USD"]
    assert len(document["addresses"]) == len(document["garage"]) == 1


def test_the_export_needs_the_password_within_five_minutes(ctx: ServiceContext) -> None:
    """At exactly 5 min after log-in it works; a second later it asks for the password,
    and after re-authenticating it works again (SECURITY E4)."""
    holder = stored_holder(ctx)
    with ctx.storage.unit_of_work() as uow:
        [session] = uow.sessions.open_sessions(holder.account_id)
    advance(ctx, session.reauthenticated_at + timedelta(minutes=5) - ctx.clock.now())
    assert isinstance(holder.shopper.export_data(), DataExport)
    advance(ctx, timedelta(seconds=1))
    assert holder.shopper.export_data() == ReauthenticationRequired()
    again = holder.shopper.reauthenticate(PASSWORD)
    assert isinstance(again, LoggedIn), again
    fresh = OrderStatus(ctx).shopper(client=CLIENT, session=again.token)
    document = exported(fresh)
    assert [s["this_session"] for s in document["sessions"]] == [True]


def test_an_export_is_a_line_of_the_security_log(ctx: ServiceContext) -> None:
    """The export is recorded, with the client; the next export lists it."""
    holder = stored_holder(ctx)
    exported(holder.shopper)
    document = exported(holder.shopper)
    newest = document["security_log"][0]
    assert (newest["kind"], newest["client"]) == (SecurityEventKind.DATA_EXPORTED, CLIENT)


def test_without_a_session_the_export_answers_not_logged_in(ctx: ServiceContext) -> None:
    """No cookie, an unknown one, hostile text in the cookie: NotLoggedIn, nothing read."""
    stored_holder(ctx)
    desk = OrderStatus(ctx)
    for cookie in (None, "x" * 43, "' OR 1=1 --" * 4, "\udcff" * 30, "Ａ" * 43, "a" * 100_000):
        assert desk.shopper(client=CLIENT, session=cookie).export_data() == NotLoggedIn()


def test_bad_proof_is_a_typed_error(ctx: ServiceContext) -> None:
    """A proof that is not a ShopperProof, a cookie that is not text, a client too long
    or shaped like a secret: ValidationError, nothing written."""
    holder = stored_holder(ctx)
    with pytest.raises(InvalidFieldError):
        export_data(ctx, object())  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        ShopperProof(client=CLIENT, session=7)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        ShopperProof(client="1" * 201)
    with pytest.raises(InvalidFieldError):
        ShopperProof(client=holder.shopper.proof.session or "")
    with ctx.storage.unit_of_work() as uow:
        kinds = [event.kind for event in uow.accounts.events(holder.account_id, 100)]
    assert SecurityEventKind.DATA_EXPORTED not in kinds


def test_injection_text_in_stored_data_is_exported_as_text(ctx: ServiceContext) -> None:
    """An address holding JSON, HTML and SQL text comes back the same text, escaped by
    the encoder: the document stays one valid JSON object."""
    holder = stored_holder(ctx)
    hostile = Address('"},{"admin":true', "</script><script>x()</script>", "'; DROP--", "1", "US")
    assert isinstance(holder.shopper.add_address(hostile), AddressSaved)
    document = exported(holder.shopper)
    lines = {saved["address"]["line1"] for saved in document["addresses"]}
    names = {saved["address"]["name"] for saved in document["addresses"]}
    assert "</script><script>x()</script>" in lines
    assert '"},{"admin":true' in names
    assert "admin" not in document


def test_deletion_removes_the_profile_and_the_export_answers_not_logged_in(
    ctx: ServiceContext,
) -> None:
    """Addresses, garage and sessions go with the account, the order stays unlinked, and
    the export answers NotLoggedIn (PostgreSQL: tests/adapters/postgres)."""
    deleted_holder_keeps_nothing(ctx)


@pytest.mark.parametrize(
    ("port", "method"),
    [
        ("accounts", "saved_addresses"),
        ("accounts", "garage"),
        ("accounts", "linked_orders"),
        ("orders", "get"),
        ("credit", "entries"),
        ("accounts", "events"),
        ("sessions", "open_sessions"),
        ("accounts", "record_event"),
    ],
)
def test_a_failing_storage_raises_and_records_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch, port: str, method: str
) -> None:
    """Each read the export makes, and its security-log line, failing: the storage's
    AdapterError, and no ``data_exported`` line is kept (one unit, rolled back)."""
    holder = stored_holder(ctx)
    with ctx.storage.unit_of_work() as uow:
        store_type = type(getattr(uow, port))

    def failing(*_args: object, **_kwargs: object) -> None:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, method, failing)
    with pytest.raises(AdapterError, match="went away"):
        holder.shopper.export_data()
    monkeypatch.undo()
    with ctx.storage.unit_of_work() as uow:
        kinds = [event.kind for event in uow.accounts.events(holder.account_id, 100)]
    assert SecurityEventKind.DATA_EXPORTED not in kinds


def test_a_new_account_of_the_same_address_exports_none_of_the_old_data(
    ctx: ServiceContext,
) -> None:
    """Deleted and signed up again: the new account's export holds no old address, car,
    order link or log line (the order stays for the store, joined again once verified)."""
    holder = stored_holder(ctx)
    assert holder.shopper.delete_account() == AccountDeleted()
    advance(ctx, timedelta(minutes=3))  # the verification mail's limit per address
    register(ctx, JANE)
    again = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    document = exported(again)
    assert document["account"]["account_id"] != holder.account_id
    assert document["addresses"] == document["garage"] == []
    assert "account_deleted" not in {line["kind"] for line in document["security_log"]}


def test_an_account_exports_three_times_in_fifteen_minutes(ctx: ServiceContext) -> None:
    """The fourth export within the quarter hour answers TryLater and records nothing;
    a quarter hour on (and the password typed again) it works again."""
    holder = stored_holder(ctx)
    for _ in range(3):
        exported(holder.shopper)
    refused = holder.shopper.export_data()
    assert isinstance(refused, TryLater), refused
    with ctx.storage.unit_of_work() as uow:
        kinds = [event.kind for event in uow.accounts.events(holder.account_id, 100)]
    assert kinds.count(SecurityEventKind.DATA_EXPORTED) == 3
    advance(ctx, timedelta(minutes=15))
    again = holder.shopper.reauthenticate(PASSWORD)
    assert isinstance(again, LoggedIn), again
    exported(OrderStatus(ctx).shopper(client=CLIENT, session=again.token))


class _DownLimiter:
    """A rate limiter whose server is down."""

    def hit(self, buckets: object, now: object) -> object:
        raise AdapterError("the rate limiter went away")

    def close(self) -> None:
        pass


def test_a_failing_rate_limiter_raises_and_reads_nothing(ctx: ServiceContext) -> None:
    """The limit cannot be counted: the limiter's AdapterError, no export, no log line."""
    holder = stored_holder(ctx)
    down = attrs.evolve(ctx, rate_limiter=_DownLimiter())
    shopper = OrderStatus(down).shopper(client=CLIENT, session=holder.shopper.proof.session)
    with pytest.raises(AdapterError, match="rate limiter"):
        shopper.export_data()
    with ctx.storage.unit_of_work() as uow:
        kinds = [event.kind for event in uow.accounts.events(holder.account_id, 100)]
    assert SecurityEventKind.DATA_EXPORTED not in kinds
