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
from support.tracking_samples import SCANNED, VALID

DIGITS = "0123456789"


def _ups_weighted(body: str) -> int:
    """UPS: weights 1, 2 from the left; letters first become ``(ord - 63) % 10``."""
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in body]
    return sum(values[0::2]) + 2 * sum(values[1::2])


def _with_weights_1_2(body: str) -> str:
    return body + str((10 - _ups_weighted(body) % 10) % 10)


def _mod10_residue(digits: str) -> int:
    """Weights 3, 1 from the right, the check digit (rightmost) with weight 1, modulo 10."""
    return sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(reversed(digits))) % 10


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
    if kind == "UPS waybill":
        # The same weights over the nine digits after the letter.
        return 1 <= index <= 9 and (index - 1) % 2 == 1 and abs(delta) == 5
    if kind == "USPS 20-digit":
        # Over the 20 digits the residue must be 0; over "91" + the 20 digits, "91" adds
        # 9 x 3 + 1 = 28, so 2. A change that lands on the other rule's residue passes.
        return _mod10_residue(after) in {0, 2}
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
    [case for case in VALID if case[2] in {"USPS IMpb", "FedEx Ground"}],
)
def test_weights_3_1_catch_every_single_digit_change(text: str, carrier: str, kind: str) -> None:
    for _, changed in _single_digit_changes(text):
        assert _outcome(changed) is None or _outcome(changed).kind != kind  # type: ignore[union-attr]


def _adjacent_transpositions(text: str, first: int, last: int) -> Iterator[str]:
    for i in range(first, last - 1):
        a, b = text[i], text[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            yield text[:i] + b + a + text[i + 2 :]


GUARANTEED_SWAPS = {"UPS 1Z", "UPS waybill", "USPS IMpb", "USPS 20-digit", "FedEx Ground"}


def _guaranteed_swaps(text: str, kind: str) -> list[str]:
    """The swaps of neighbouring digits that ``kind``'s published rule must catch."""
    if kind == "UPS 1Z":
        return list(_adjacent_transpositions(text, 2, 17))
    if kind == "UPS waybill":
        return list(_adjacent_transpositions(text, 1, 10))
    swaps = [
        swapped
        for swapped in _adjacent_transpositions(text, 0, len(text) - 1)
        if abs(sum(int(x) - int(y) for x, y in zip(text, swapped, strict=True) if x > y)) != 5
    ]
    if kind == "USPS 20-digit":
        # A swap moves the residue by twice the difference: it may land on the other rule.
        return [swapped for swapped in swaps if _mod10_residue(swapped) not in {0, 2}]
    return swaps


@pytest.mark.parametrize(
    ("text", "carrier", "kind"), [case for case in VALID if case[2] in GUARANTEED_SWAPS]
)
def test_adjacent_transpositions_are_caught_where_guaranteed(
    text: str, carrier: str, kind: str
) -> None:
    """Weights 1/2 (UPS) catch every swap of unequal digits in the body; weights 3/1 every
    swap but of digits differing by 5 (and, for USPS 20-digit, those that land on its other
    rule). The mod 11 and mod 7 schemes promise nothing here."""
    swaps = _guaranteed_swaps(text, kind)
    assert swaps
    for swapped in swaps:
        found = _outcome(swapped)
        assert found is None or found.kind != kind, swapped


@pytest.mark.parametrize(("scanned", "carrier", "number", "start"), SCANNED)
def test_a_changed_digit_of_a_scanned_barcode_is_refused_or_changes_nothing(
    scanned: str, carrier: str, number: str, start: int
) -> None:
    """A digit of the number carried is checked like the bare number; a digit outside it is
    dropped (it carries no check digit), so it either changes nothing or makes the barcode
    unknown: never another number."""
    found = parse_tracking_number(scanned)
    end = start + len(number)
    for index, changed in _single_digit_changes(scanned):
        if start <= index < end:
            bare = _outcome(changed[start:end])
            assert _outcome(changed) == bare, (index, changed)
            accepted = bare is not None and bare.kind == found.kind
            assert accepted == _blind_spot(found.kind, number, changed[start:end], index - start)
        else:
            assert _outcome(changed) in (None, found), (index, changed)


# --- generated numbers ----------------------------------------------------------------------

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _with_mod10(body: str) -> str:
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


ups_numbers = st.text(ALNUM, min_size=15, max_size=15).map(
    lambda body: "1Z" + _with_weights_1_2(body)
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
ups_waybill_numbers = st.builds(
    lambda letter, body: letter + _with_weights_1_2(body),
    st.sampled_from("AHJKTV"),
    st.text(DIGITS, min_size=9, max_size=9),
)
usps_20_numbers = st.builds(
    # Publication 91's rule: the check digit counts the "91" prefix, which is then dropped.
    lambda body, prefixed: _with_mod10("91" + body)[2:] if prefixed else _with_mod10(body),
    st.text(DIGITS, min_size=19, max_size=19),
    st.booleans(),
)
generated = st.one_of(
    ups_numbers,
    ups_waybill_numbers,
    impb_numbers,
    usps_20_numbers,
    fedex_express_numbers,
    fedex_ground_numbers,
)


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
