"""Password rules (SECURITY B1, B2): length in code points of the NFKC form, never trimmed,
folded or truncated, no composition rules, the common list and a store's breach check;
and the cost floor of a password hash (B3)."""

from __future__ import annotations

import doctest
import gzip
import hashlib
import unicodedata
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    HashCost,
    NoBreachedPasswords,
    PasswordAccepted,
    PasswordRefused,
    password_lists,
)
from orderstatus_core import PasswordRules as ExportedRules
from orderstatus_core.errors import AdapterError
from orderstatus_core.password_lists import COMMON_PASSWORDS_FILE, common_passwords
from orderstatus_core.policies import passwords
from orderstatus_core.policies.passwords import (
    ARGON2ID_FLOOR,
    MAX_PASSWORD_LENGTH,
    PASSWORD_REFUSALS,
    CommonPasswords,
    PasswordRules,
    PasswordVerdict,
    canonical_password,
    hash_cost_shortfall,
)

NOTHING_COMMON: frozenset[str] = frozenset()
GOOD = "correct horse battery staple"


def _check(password: object, rules: PasswordRules | None = None) -> PasswordVerdict:
    return (rules or PasswordRules()).check(password, common=common_passwords())


def _reason(password: object, rules: PasswordRules | None = None) -> str | None:
    verdict = _check(password, rules)
    return verdict.reason if isinstance(verdict, PasswordRefused) else None


@pytest.mark.parametrize("module", [passwords, password_lists], ids=lambda m: m.__name__)
def test_the_module_examples_hold(module: object) -> None:
    """The examples in the docstrings run as written."""
    failed, attempted = doctest.testmod(module)  # type: ignore[arg-type]
    assert attempted > 0
    assert failed == 0


def test_the_rules_are_exported() -> None:
    """Storefronts and store plugins import the rules from ``orderstatus_core``."""
    assert ExportedRules is PasswordRules


# --- length ---------------------------------------------------------------------------------


def test_the_default_minimum_is_15_code_points() -> None:
    """14 code points are too short, 15 are enough (SECURITY B1)."""
    assert PasswordRules().min_length == 15
    assert _reason("q" * 7 + "w" * 7) == "too_short"
    assert _reason("q" * 7 + "w" * 8) is None


def test_a_store_may_lower_the_minimum_to_8_but_not_below() -> None:
    """8 is the floor; 7, 0, a bool and a float are refused when the rules are built."""
    assert _reason("kq7wz3mx", PasswordRules(min_length=8)) is None
    for wrong in (7, 0, -1, True, 8.0, "8"):
        with pytest.raises(ValueError, match="min_length"):
            PasswordRules(min_length=wrong)  # type: ignore[arg-type]


def test_the_minimum_cannot_close_the_range_up_to_the_maximum() -> None:
    """A minimum above 64 is refused, so 64 to 128 code points always stay allowed."""
    assert PasswordRules(min_length=64).min_length == 64
    with pytest.raises(ValueError, match="min_length"):
        PasswordRules(min_length=65)


def test_the_maximum_is_128_code_points() -> None:
    """128 code points are accepted, 129 refused: never truncated instead (SECURITY B1)."""
    assert MAX_PASSWORD_LENGTH == 128
    assert _reason("kq7" * 42 + "wz") is None
    assert _reason("kq7" * 43) == "too_long"
    assert _reason("kq7" * 10_000) == "too_long"


def test_length_counts_code_points_not_bytes_or_graphemes() -> None:
    """15 emoji (60 bytes) are 15 characters; a family emoji of 7 code points is 7."""
    assert _reason("🔧" * 15) is None
    assert _reason("🔧" * 14) == "too_short"
    family = "👩\u200d👩\u200d👧\u200d👦"
    assert len(family) == 7
    assert _reason(family * 2) == "too_short"
    assert _reason(family * 2 + "x") is None


def test_length_is_counted_after_nfkc() -> None:
    """Decomposed accents count once; a ligature counts as the letters it stands for."""
    decomposed = "e\u0301" * 15  # 30 code points typed, 15 after NFKC
    assert _reason(decomposed) is None
    assert _reason("e\u0301" * 14) == "too_short"
    ligatures = "\ufb01" * 8  # "ﬁ" x 8 is "fi" x 8: 16 code points
    assert _reason(ligatures) is None
    assert _reason("\ufdfa" * 8) == "too_long"  # one code point that NFKC makes 18


# --- what the password is, exactly ------------------------------------------------------


def test_the_accepted_password_is_the_nfkc_form_unchanged_otherwise() -> None:
    """Accepted: the canonical form, spaces and case kept, nothing trimmed or folded."""
    typed = "  Correct Horse ＢＡＴＴＥＲＹ cafe\u0301  "
    verdict = _check(typed)
    assert isinstance(verdict, PasswordAccepted)
    assert verdict.password == "  Correct Horse BATTERY café  "
    assert verdict.password == unicodedata.normalize("NFKC", typed)


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaaaaa", "nocapitalsordigitshere", "ALLCAPITALSNODIGITS", "123456789012345678"],
)
def test_there_are_no_composition_rules(password: str) -> None:
    """No upper case, digit or symbol is asked for (NIST SP 800-63B-4)."""
    assert _reason(password) is None


@pytest.mark.parametrize(
    "password",
    [None, 123456789012345, b"correct horse battery staple", ["x" * 20]],
    ids=repr,
)
def test_what_is_not_text_is_refused_without_an_error(password: object) -> None:
    """Not a str: ``not_text``, never an exception."""
    assert _reason(password) == "not_text"


@pytest.mark.parametrize(
    "password",
    [
        GOOD + "\x00",
        GOOD + "\n",
        GOOD + "\r",
        "\t" + GOOD,
        GOOD + "\x1b[2J",
        GOOD + "\ud800",
        GOOD + "\u0378",  # unassigned
    ],
    ids=repr,
)
def test_controls_surrogates_and_unassigned_code_points_are_not_text(password: str) -> None:
    """What cannot be typed reliably, or may normalise differently later, is refused."""
    assert _reason(password) == "not_text"


def test_injection_text_is_just_a_password() -> None:
    """SQL, markup and format strings are characters like any other."""
    for password in ("'; DROP TABLE accounts; --", "<script>alert(1)</script>", "%s%s%s%n{0}{}{}"):
        assert _reason(password) is None


# --- common and breached ----------------------------------------------------------------


def test_the_shipped_list_holds_at_least_3000_common_passwords() -> None:
    """Django's list of 20,000, deduplicated: well over the top 3,000 of SECURITY B2."""
    assert len(common_passwords()) >= 19_000
    for top in ("123456", "password", "qwerty", "iloveyou", "1q2w3e4r5t6y7u8i"):
        assert top in common_passwords()


def test_the_shipped_list_is_djangos_file_unchanged() -> None:
    """The package data is Django 5.2's ``common-passwords.txt.gz`` byte for byte, with
    its licence beside it."""
    data = resources.files("orderstatus_core").joinpath(COMMON_PASSWORDS_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "3c1baed62596de36860824eb3f436d5932d37ca8b06e59df78f5a44ec175afe4"
    )
    assert len(gzip.decompress(data).decode().splitlines()) == 19_640
    licence = resources.files("orderstatus_core").joinpath("data/common-passwords.LICENSE")
    assert "Django Software Foundation" in licence.read_text(encoding="utf-8")


def test_the_list_is_read_once() -> None:
    """Every call answers the same object: read on first use, then kept."""
    assert common_passwords() is common_passwords()


def test_common_passwords_are_refused_whatever_the_case_and_surroundings() -> None:
    """Compared as Django does: lower case, surrounding whitespace ignored; after NFKC,
    so fullwidth input is caught too."""
    rules = PasswordRules(min_length=8)
    for typed in (
        "password123",
        "PASSWORD123",
        "Password123",
        " password123 ",
        "ｐａｓｓｗｏｒｄ１２３",
    ):
        assert _reason(typed, rules) == "common", typed


def test_a_long_common_password_is_refused_at_the_default_minimum() -> None:
    """The few listed passwords of 15 or more characters are refused by default too."""
    assert _reason("1q2w3e4r5t6y7u8i9o0p") == "common"


def test_a_store_list_can_replace_the_shipped_one() -> None:
    """``common`` is any container; ``CommonPasswords.from_lines`` builds one from lines."""
    mine = CommonPasswords.from_lines(["orderstatus rocks forever", "", "  "])
    assert len(mine) == 1
    verdict = PasswordRules().check("OrderStatus Rocks Forever", common=mine)
    assert verdict == PasswordRefused("common", PASSWORD_REFUSALS["common"])


def test_the_breach_check_sees_the_canonical_form_and_only_when_all_else_passes() -> None:
    """Asked last, with the NFKC form, never for a refused password (it may leave the
    process)."""
    asked: list[str] = []

    def breached(password: str) -> bool:
        asked.append(password)
        return password == "breached but long enough"

    rules = PasswordRules()
    for refused in ("short", "x" * 200, "\x00" * 20, "password"):
        verdict = rules.check(refused, common=common_passwords(), breached=breached)
        assert isinstance(verdict, PasswordRefused)
    assert asked == []
    verdict = rules.check("ｂreached but long enough", common=NOTHING_COMMON, breached=breached)
    assert verdict == PasswordRefused("breached", PASSWORD_REFUSALS["breached"])
    assert asked == ["breached but long enough"]


def test_a_failing_breach_check_is_not_a_pass() -> None:
    """A store's check that cannot answer raises through: the password is not set."""

    def unreachable(password: str) -> bool:
        raise AdapterError("the breach service is unreachable")

    with pytest.raises(AdapterError):
        PasswordRules().check(GOOD, common=NOTHING_COMMON, breached=unreachable)


def test_the_default_breach_check_knows_of_no_breach() -> None:
    """``NoBreachedPasswords`` says no, and closes."""
    check = NoBreachedPasswords()
    assert check.is_breached("password") is False
    check.close()


def test_a_refusal_never_repeats_the_password_and_acceptance_never_prints_it() -> None:
    """Messages name the rule, not the text; an accepted verdict's repr hides it."""
    secret = "my very secret passphrase 🔑"
    assert secret not in repr(_check(secret))
    for typed in ("kq7wz", "x" * 300, "password123", None):
        verdict = _check(typed, PasswordRules(min_length=8))
        assert isinstance(verdict, PasswordRefused)
        assert verdict.reason in PASSWORD_REFUSALS
        assert str(typed) not in verdict.message


@given(st.one_of(st.text(max_size=300), st.binary(max_size=40), st.integers(), st.none()))
def test_check_never_raises_and_accepts_only_what_fits(typed: object) -> None:
    """Any input: a verdict; an accepted password is canonical and 15 to 128 long."""
    verdict = PasswordRules().check(typed, common=common_passwords())
    if isinstance(verdict, PasswordAccepted):
        assert isinstance(typed, str)
        assert verdict.password == canonical_password(typed)
        assert 15 <= len(verdict.password) <= MAX_PASSWORD_LENGTH
    else:
        assert verdict.reason in PASSWORD_REFUSALS


# --- the cost of a hash -----------------------------------------------------------------


def test_the_floor_is_owasps_argon2id_minimum() -> None:
    """19 MiB, 2 passes, 1 lane (SECURITY B3), and exactly that passes."""
    assert HashCost("argon2id", 19_456, 2, 1) == ARGON2ID_FLOOR
    assert hash_cost_shortfall(ARGON2ID_FLOOR) is None
    assert hash_cost_shortfall(HashCost("argon2id", 65_536, 3, 4)) is None


@pytest.mark.parametrize(
    "cost",
    [
        HashCost("argon2id", 19_455, 2, 1),
        HashCost("argon2id", 19_456, 1, 1),
        HashCost("argon2id", 19_456, 2, 0),
        HashCost("argon2i", 65_536, 3, 4),
        HashCost("bcrypt", 0, 12, 1),
        HashCost("counting-sha256", 0, 1, 1),
    ],
    ids=repr,
)
def test_anything_cheaper_or_other_is_short_of_the_floor(cost: HashCost) -> None:
    """Less memory, fewer passes, no lane, or not Argon2id: a reason, for the error."""
    shortfall = hash_cost_shortfall(cost)
    assert shortfall is not None
    assert cost.algorithm in shortfall
