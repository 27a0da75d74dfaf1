"""Every answer a shopper reads is in their language: the order view, each refusal, the
fixed answers of find-order, Order Look-Up and the guest pass; English for a language the
store has no catalog for, and an error only for a language that is not text."""

from __future__ import annotations

from typing import Any

import pytest

from orderstatus_core import (
    Catalogs,
    GuestPassRefused,
    GuestSession,
    InvalidFieldError,
    NoValidPass,
    OrderFound,
    OrderListRequested,
    OrderNotFound,
    OrderStatus,
    Refused,
    ReturnOptions,
    TryLater,
)
from orderstatus_core.policies.refusals import REFUSALS, RMA_STATE_REFUSAL, refusal_text
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    find_order,
    send_order_list,
    verify_guest_code,
)
from orderstatus_core.services._texts import in_language
from orderstatus_core.testing import RecordingMailer, fake_context
from orderstatus_core.testing.builders import line, make_order
from support.guest_passes import earn_guest_pass

NUMBER = "123456789"
JANE = "jane.doe@example.com"
EN, FI = Catalogs.builtin().translator("en"), Catalogs.builtin().translator("fi")
#: Anything that is text but names no language with a catalog: each reads English.
NOT_A_LANGUAGE = [
    "",
    "xx",
    "sv",
    "EN",
    "english",
    "x" * 10_000,
    "fi'; DROP TABLE orders; --",
    "<script>",
    "\ud800",
    "ｆｉ",
    "../../etc/passwd",
    "fi\x00",
]
NOT_TEXT: list[Any] = [None, 42, b"fi", ["fi"], 1.5]


@pytest.fixture
def ctx() -> ServiceContext:
    """Jane's order 123456789, one brake pad line."""
    context = fake_context()
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(NUMBER, lines=[line(1, "BP-1234", quantity=3)]))
        uow.commit()
    return context


def _guest(ctx: ServiceContext, language: str, guest_pass: str | None = None) -> GuestSession:
    return GuestSession(ctx, GuestProof("c", guest_pass, None, language))


class TestFindOrder:
    """Find-order answers in the language it is asked in."""

    @pytest.mark.parametrize(
        ("language", "status"), [("en", "placed"), ("fi", "tehty"), ("en-US", "placed")]
    )
    def test_the_view_reads_in_the_language(
        self, ctx: ServiceContext, language: str, status: str
    ) -> None:
        """The found order's texts follow ``language``."""
        found = find_order(ctx, JANE, NUMBER, client="c", language=language)
        assert isinstance(found, OrderFound)
        assert found.view.status_text == status

    def test_a_finnish_not_found_is_finnish_and_always_the_same(self, ctx: ServiceContext) -> None:
        """A wrong pair and an unknown order answer the same Finnish value (SECURITY A1)."""
        wrong = find_order(ctx, "someone@example.com", NUMBER, client="c", language="fi")
        unknown = find_order(ctx, JANE, "555555555", client="c", language="fi")
        assert (
            wrong
            == unknown
            == OrderNotFound(
                "Emme löytäneet tilausta tällä sähköpostiosoitteella tai puhelinnumerolla ja "
                "tilausnumerolla."
            )
        )

    def test_an_english_not_found_is_the_default_value(self, ctx: ServiceContext) -> None:
        """Without a language, the answer is the English one it always was."""
        assert find_order(ctx, JANE, "555555555", client="c") == OrderNotFound()

    @pytest.mark.parametrize("language", NOT_A_LANGUAGE)
    def test_an_unknown_or_malformed_language_reads_english(
        self, ctx: ServiceContext, language: str
    ) -> None:
        """No catalog, no error: the shopper still gets their answer, in English."""
        found = find_order(ctx, JANE, NUMBER, client="c", language=language)
        assert isinstance(found, OrderFound)
        assert found.view.status_text == "placed"
        assert find_order(ctx, JANE, "555555555", client="c", language=language) == (
            OrderNotFound()
        )

    def test_a_region_babel_does_not_know_reads_its_base_language(
        self, ctx: ServiceContext
    ) -> None:
        """``fi-ZZ`` is Finnish: the catalog is the base language's."""
        found = find_order(ctx, JANE, NUMBER, client="c", language="fi-ZZ")
        assert isinstance(found, OrderFound)
        assert found.view.status_text == "tehty"

    @pytest.mark.parametrize("language", NOT_TEXT)
    def test_a_language_that_is_not_text_is_refused(
        self, ctx: ServiceContext, language: Any
    ) -> None:
        """A wrong type is the caller's bug: :class:`InvalidFieldError` naming the field."""
        with pytest.raises(InvalidFieldError) as refused:
            find_order(ctx, JANE, NUMBER, client="c", language=language)
        assert refused.value.field == "language"

    def test_try_later_reads_in_the_language(self, ctx: ServiceContext) -> None:
        """Over the limit, the Finnish shopper reads the Finnish notice."""
        answers = [find_order(ctx, JANE, "555555555", client="c", language="fi") for _ in range(25)]
        later = answers[-1]
        assert isinstance(later, TryLater)
        assert later.message == "Liian monta yritystä. Yritä myöhemmin uudelleen."


class TestGuestSession:
    """The session's language reaches every answer of its commands."""

    def test_the_facade_passes_the_language_to_the_proof(self) -> None:
        """``desk.guest(language=...)`` holds it in the one proof value."""
        with OrderStatus.open(storage="memory://", mail=RecordingMailer()) as desk:
            guest = desk.guest(client="c", language="fi")
            assert guest.proof == GuestProof("c", None, None, "fi")

    @pytest.mark.parametrize("language", NOT_TEXT)
    def test_a_proof_refuses_a_language_that_is_not_text(self, language: Any) -> None:
        """Checked where the proof is built, before any command runs."""
        with pytest.raises(InvalidFieldError) as refused:
            GuestProof("c", language=language)
        assert refused.value.field == "language"

    @pytest.mark.parametrize(
        ("language", "message"),
        [
            ("en", "The order has no such line."),
            ("fi", "Tilauksessa ei ole tällaista riviä."),
            ("xx", "The order has no such line."),
        ],
    )
    def test_a_refusal_reads_its_codes_text_in_the_language(
        self, ctx: ServiceContext, language: str, message: str
    ) -> None:
        """A policy's refusal keeps its code and reads the code's text, translated."""
        token = earn_guest_pass(ctx, NUMBER, JANE).token
        answer = _guest(ctx, language, token).cancel_order(NUMBER, {9: 1})
        assert answer == Refused("unknown_line", message)

    @pytest.mark.parametrize(
        ("language", "message"),
        [
            ("en", NoValidPass().message),
            ("fi", "Vahvista, että tilaus on sinun: pyydä sille vieraskulkulupa ja käytä "
             "koodia, jonka lähetämme sähköpostiisi."),
        ],
    )  # fmt: skip
    def test_no_valid_pass_reads_in_the_language(
        self, ctx: ServiceContext, language: str, message: str
    ) -> None:
        """Viewing, acting and searching without a pass all answer the translated value."""
        guest = _guest(ctx, language)
        assert guest.view_order(NUMBER) == NoValidPass(message)
        assert guest.cancel_order(NUMBER) == NoValidPass(message)
        assert guest.search_orders(part_number="BP-1234") == NoValidPass(message)

    def test_a_passs_view_reads_in_the_sessions_language(self, ctx: ServiceContext) -> None:
        """The order a pass opens is shown in the session's language."""
        token = earn_guest_pass(ctx, NUMBER, JANE).token
        found = _guest(ctx, "fi", token).view_order(NUMBER)
        assert isinstance(found, OrderFound)
        assert found.view.lines[0].quantity_text == "3 odottaa käsittelyä"


class TestFixedAnswers:
    """Order Look-Up and the guest pass answer in the language too."""

    def test_order_look_up_answers_and_mails_in_the_language(self, ctx: ServiceContext) -> None:
        """The notice is Finnish and the queued request asks for a Finnish mail."""
        answer = send_order_list(ctx, JANE, client="c", language="fi")
        assert answer == OrderListRequested(
            "Jos tällä sähköpostiosoitteella on tilauksia, olemme lähettäneet niiden numerot "
            "siihen."
        )
        with ctx.storage.unit_of_work() as uow:
            (message,) = uow.outbox.due(ctx.clock.now(), 10)
        assert message.intent.language == "fi"  # type: ignore[union-attr]

    def test_order_look_up_without_a_language_mails_in_the_stores(
        self, ctx: ServiceContext
    ) -> None:
        """No language: the English answer, and the store's mail language."""
        assert send_order_list(ctx, JANE, client="c") == OrderListRequested()
        with ctx.storage.unit_of_work() as uow:
            (message,) = uow.outbox.due(ctx.clock.now(), 10)
        assert message.intent.language == "en"  # type: ignore[union-attr]

    @pytest.mark.parametrize("language", [42, b"fi"])
    def test_order_look_up_refuses_a_language_that_is_not_text(
        self, ctx: ServiceContext, language: Any
    ) -> None:
        """Only text or ``None`` names a language."""
        with pytest.raises(InvalidFieldError):
            send_order_list(ctx, JANE, client="c", language=language)

    def test_a_wrong_code_is_refused_in_the_language(self, ctx: ServiceContext) -> None:
        """The one refusal of a code, in Finnish."""
        answer = verify_guest_code(ctx, NUMBER, "000000", client="c", language="fi")
        assert answer == GuestPassRefused(
            "Koodi tai linkki ei toimi. Se voi olla kirjoitettu väärin, käytetty tai "
            "vanhentunut; pyydä uusi."
        )


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_code_reads_in_english_and_finnish(code: str) -> None:
    """Each code's text is its English message id, and a different, non-empty Finnish one."""
    english, finnish = refusal_text(EN, code, "detail"), refusal_text(FI, code, "detail")
    assert english == REFUSALS[code]
    assert finnish
    assert finnish != english


def test_an_rma_state_refusal_reads_the_one_state_text() -> None:
    """``rma_in_transit``, ``rma_received`` ...: one text, translated, for every state."""
    assert refusal_text(EN, "rma_in_transit", "RMA R1 is in transit") == RMA_STATE_REFUSAL
    assert refusal_text(FI, "rma_received", "x") == "Palautuspaketin nykyinen tila ei salli tätä."


def test_a_store_plugins_own_code_reads_its_own_message() -> None:
    """A code the core does not know keeps the plugin's words (translated by the store's
    catalog, if it has them)."""
    refused = Refused("fluids_no_return", "Fluids cannot come back: report a problem")
    assert in_language(refused, FI) == refused


def test_an_answer_without_a_message_passes_unchanged() -> None:
    """Only worded answers change; anything else is returned as it is."""
    value = object()
    assert in_language(value, FI) is value


def test_shopper_languages_never_grow_what_the_catalogs_keep() -> None:
    """A flood of distinct language codes from requests keeps at most one translator per
    language and locale that exists (SECURITY C5's rule for any table a request can grow)."""
    catalogs = Catalogs(Catalogs.builtin().folders)
    for index in range(2000):
        catalogs.for_shopper(f"{chr(97 + index % 26)}{chr(97 + index // 26 % 26)}-ZZ")
        catalogs.for_shopper(f"fi-{chr(65 + index % 26)}{chr(65 + index // 26 % 26)}")
    # The kept table itself: its bound is the point of the test.
    assert len(catalogs._kept) <= 3


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "These units have not been delivered yet: cancel them instead."),
        ("fi", "Näitä tuotteita ei ole vielä toimitettu: peru ne sen sijaan."),
    ],
)
def test_return_options_say_why_not_in_the_language(
    ctx: ServiceContext, language: str, message: str
) -> None:
    """Each unit that may not come back keeps its code and reads the code's text."""
    token = earn_guest_pass(ctx, NUMBER, JANE).token
    options = _guest(ctx, language, token).return_options(NUMBER)
    assert isinstance(options, ReturnOptions)
    (refusal,) = options.lines[0].refusals
    assert (refusal.code, refusal.message, refusal.quantity) == ("not_delivered", message, 3)
