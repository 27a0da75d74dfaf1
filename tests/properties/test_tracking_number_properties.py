"""Check digits catch what their algorithms promise to catch, and canonical text is stable.

Each carrier's check digit has known blind spots, derived here from the published algorithm
(not from the implementation): the test asserts that a single-digit change is refused unless
it falls in exactly such a blind spot, and that blind spots are the only changes accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from orderstatus_core import InvalidTrackingNumberError, TrackingNumber, parse_tracking_number

DIGITS = "0123456789"

# Published example numbers (carrier documentation, the UPU S10 standard and the
# jkeen/tracking_number_data test sets), each with the carrier and format it must give.
VALID: list[tuple[str, str, str]] = [
    ("1Z999AA10123456784", "UPS", "UPS 1Z"),
    ("1Z5R89390357567127", "UPS", "UPS 1Z"),
    ("1Z879E930346834440", "UPS", "UPS 1Z"),
    ("1Z410E7W0392751591", "UPS", "UPS 1Z"),
    ("1Z8V92A70367203024", "UPS", "UPS 1Z"),
    ("9400111201080805483016", "USPS", "USPS IMpb"),
    ("9505511069605048600624", "USPS", "USPS IMpb"),
    ("9101123456789000000013", "USPS", "USPS IMpb"),
    ("9361289878700317633795", "USPS", "USPS IMpb"),
    ("9405803699300124287899", "USPS", "USPS IMpb"),
    ("92748931507708513018050063", "USPS", "USPS IMpb"),
    ("03071790000523483741", "USPS", "USPS 20-digit"),
    ("71123456789123456787", "USPS", "USPS 20-digit"),
    ("RB123456785US", "USPS", "USPS S10"),
    ("EE123456785US", "USPS", "USPS S10"),
    ("RA123456785US", "USPS", "USPS S10"),
    ("986578788855", "FedEx", "FedEx Express"),
    ("477179081230", "FedEx", "FedEx Express"),
    ("799531274483", "FedEx", "FedEx Express"),
    ("790535312317", "FedEx", "FedEx Express"),
    ("974367662710", "FedEx", "FedEx Express"),
    ("041441760228964", "FedEx", "FedEx Ground"),
    ("568283610012000", "FedEx", "FedEx Ground"),
    ("568283610012734", "FedEx", "FedEx Ground"),
    ("9611020987654312345672", "FedEx", "FedEx Ground 96"),
    ("3318810025", "DHL", "DHL Express"),
    ("8487135506", "DHL", "DHL Express"),
    ("1099255990", "DHL", "DHL Express"),
    ("3821724944", "DHL", "DHL Express"),
]


def _ups_weighted(number: str) -> int:
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in number[2:17]]
    return sum(values[0::2]) + 2 * sum(values[1::2])


def _fedex12_residue(digits: str) -> int:
    weights = (1, 3, 7)
    return sum(int(c) * weights[i % 3] for i, c in enumerate(reversed(digits[:11]))) % 11


def _s10_residue(text: str) -> int:
    return sum(int(c) * w for c, w in zip(text[2:10], (8, 6, 4, 2, 3, 5, 9, 7), strict=True)) % 11


def _blind_spot(kind: str, before: str, after: str, index: int) -> bool:
    """Would the published algorithm of ``kind`` accept this single-digit change?"""
    delta = int(after[index]) - int(before[index])
    if kind == "UPS 1Z":
        # Even positions of the body weigh 2: a change by 5 adds 10.
        return 2 <= index <= 16 and (index - 2) % 2 == 1 and abs(delta) == 5
    if kind == "FedEx Express":
        # Remainders 0 and 10 both give check digit 0.
        return index < 11 and {_fedex12_residue(before), _fedex12_residue(after)} == {0, 10}
    if kind == "USPS S10":
        # 11 - r: remainder 0 gives 11 -> 5, remainder 6 gives 5.
        return 2 <= index < 10 and {_s10_residue(before), _s10_residue(after)} == {0, 6}
    if kind == "DHL Express":
        return index < 9 and abs(delta) == 7
    if kind == "FedEx Ground 96":
        # The SCNC and service code (after "96") are outside the checked 15 digits.
        return 2 <= index < 7
    # Weights 3 and 1, modulo 10: every single-digit change moves the sum.
    return False


def _single_digit_changes(text: str) -> Iterator[tuple[int, str]]:
    for index, char in enumerate(text):
        if char.isdigit():
            for digit in DIGITS.replace(char, ""):
                yield index, text[:index] + digit + text[index + 1 :]


def _outcome(text: str) -> TrackingNumber | None:
    try:
        return parse_tracking_number(text)
    except InvalidTrackingNumberError:
        return None


@pytest.mark.parametrize(("text", "carrier", "kind"), VALID)
def test_every_single_digit_change_is_refused_outside_the_blind_spots(
    text: str, carrier: str, kind: str
) -> None:
    for index, changed in _single_digit_changes(text):
        found = _outcome(changed)
        accepted_same_format = found is not None and found.kind == kind
        assert accepted_same_format == _blind_spot(kind, text, changed, index), (index, changed)
        if found is not None and found.kind != kind:
            # A change of a leading digit can make it another format; it is then checked
            # by that format's own check digit and must pass it honestly.
            assert _outcome(found.number) == found


@pytest.mark.parametrize(
    ("text", "carrier", "kind"),
    [case for case in VALID if case[2] in {"USPS IMpb", "USPS 20-digit", "FedEx Ground"}],
)
def test_weights_3_1_catch_every_single_digit_change(text: str, carrier: str, kind: str) -> None:
    for _, changed in _single_digit_changes(text):
        assert _outcome(changed) is None or _outcome(changed).kind != kind  # type: ignore[union-attr]


def _adjacent_transpositions(text: str, first: int, last: int) -> Iterator[str]:
    for i in range(first, last - 1):
        a, b = text[i], text[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            yield text[:i] + b + a + text[i + 2 :]


GUARANTEED_SWAPS = {"UPS 1Z", "USPS IMpb", "USPS 20-digit", "FedEx Ground"}


@pytest.mark.parametrize(
    ("text", "carrier", "kind"), [case for case in VALID if case[2] in GUARANTEED_SWAPS]
)
def test_adjacent_transpositions_are_caught_where_guaranteed(
    text: str, carrier: str, kind: str
) -> None:
    """Weights 1/2 (UPS) catch every swap of unequal digits in the body; weights 3/1 every
    swap but of digits differing by 5. The mod 11 and mod 7 schemes promise nothing here."""
    if kind == "UPS 1Z":
        swaps = list(_adjacent_transpositions(text, 2, 17))
    else:
        swaps = [
            swapped
            for swapped in _adjacent_transpositions(text, 0, len(text) - 1)
            if abs(sum(int(x) - int(y) for x, y in zip(text, swapped, strict=True) if x > y)) != 5
        ]
    assert swaps
    for swapped in swaps:
        found = _outcome(swapped)
        assert found is None or found.kind != kind, swapped


# --- generated numbers ----------------------------------------------------------------------

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _with_mod10(body: str) -> str:
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


ups_numbers = st.text(ALNUM, min_size=15, max_size=15).map(
    lambda body: f"1Z{body}{(10 - _ups_weighted(f'1Z{body}0') % 10) % 10}"
)
impb_numbers = st.builds(
    lambda prefix, rest: _with_mod10(prefix + rest),
    st.sampled_from(["91", "92", "93", "94", "95"]),
    st.text(DIGITS, min_size=19, max_size=19),
)
fedex_express_numbers = st.text(DIGITS, min_size=11, max_size=11).map(
    lambda body: body + str(_fedex12_residue(body + "0") % 10)
)
fedex_ground_numbers = st.text(DIGITS, min_size=14, max_size=14).map(_with_mod10)
generated = st.one_of(ups_numbers, impb_numbers, fedex_express_numbers, fedex_ground_numbers)


@given(generated)
def test_numbers_built_by_the_published_rules_are_accepted(number: str) -> None:
    found = parse_tracking_number(number)
    assert found.number == number


@given(generated, st.data())
def test_a_changed_digit_of_a_generated_number_is_refused_outside_the_blind_spots(
    number: str, data: st.DataObject
) -> None:
    kind = parse_tracking_number(number).kind
    changes = list(_single_digit_changes(number))
    index, changed = data.draw(st.sampled_from(changes))
    found = _outcome(changed)
    accepted_same_format = found is not None and found.kind == kind
    assert accepted_same_format == _blind_spot(kind, number, changed, index)


def _respell(number: str, draw: Callable[[st.SearchStrategy[str]], str]) -> str:
    out = []
    for char in number:
        out.append(draw(st.sampled_from([char.lower(), char.upper()])))
        out.append(draw(st.sampled_from(["", "", " ", "-"])))
    return "".join(out)


@given(st.sampled_from([case[0] for case in VALID]) | generated, st.data())
def test_spelling_does_not_matter_and_canonical_text_is_a_fixed_point(
    number: str, data: st.DataObject
) -> None:
    found = parse_tracking_number(number)
    respelt = _respell(number, data.draw)
    assert parse_tracking_number(respelt) == found
    assert parse_tracking_number(found.number) == found
    assert parse_tracking_number(found.display) == found
    assert parse_tracking_number(found.number, carrier=found.carrier) == found


@given(st.text(max_size=80))
@example("1Z999AA10123456784")
@example("１Z999AA10123456784")
@example("١٢٣")
def test_any_text_is_refused_with_the_error_or_canonical(text: str) -> None:
    codes = {"too_long", "bad_characters", "empty", "unknown_format", "bad_check_digit"}
    code = None
    found = None
    try:
        found = parse_tracking_number(text)
    except InvalidTrackingNumberError as error:
        code = error.code
    if found is None:
        assert code in codes
    else:
        assert set(found.number) <= set(ALNUM)
        assert parse_tracking_number(found.number) == found


@given(
    st.text(alphabet="0123456789 -", max_size=40), st.sampled_from(["UPS", "USPS", "FedEx", "DHL"])
)
def test_a_given_carrier_only_ever_answers_itself(text: str, carrier: str) -> None:
    found = _outcome_for(text, carrier)
    assert found is None or found.carrier == carrier


def _outcome_for(text: str, carrier: str) -> TrackingNumber | None:
    try:
        return parse_tracking_number(text, carrier=carrier)
    except InvalidTrackingNumberError:
        return None
