"""Contacts: turning the email address or phone number a shopper types into canonical keys.

Two kinds of function, for two jobs:

* ``parse_email`` / ``parse_phone`` validate fully and build model values. They are for
  data the store *keeps* (imports, new orders), where a malformed address must be refused.
  Email syntax comes from `email-validator <https://pypi.org/project/email-validator/>`__
  (RFC 5322 / 6531 with IDNA 2008 domains) and phone numbers from `phonenumbers
  <https://pypi.org/project/phonenumbers/>`__ (Google's libphonenumber metadata),
  because both rule sets are large, change with the world, and are easy to get subtly
  wrong by hand.
* ``email_key`` / ``phone_key`` compute only the comparison key and answer ``None`` for
  text that cannot be one. They are for look-ups, where a malformed identifier must give
  the same answer as an unknown one (SECURITY A1) and where speed matters.

For every valid address ``email_key(text) == parse_email(text).canonical``.
"""

from __future__ import annotations

import re
import unicodedata

import email_validator
import idna
import phonenumbers

from orderstatus_core.errors import InvalidIdentifierError
from orderstatus_core.model.identifiers import MAX_EMAIL_LENGTH, EmailAddress, PhoneNumber

__all__ = ["email_key", "parse_email", "parse_phone", "phone_key"]

_MAX_PHONE_TEXT = 40


def email_key(text: object) -> str | None:
    """The canonical comparison key of an email address, or ``None`` if it cannot be one.

    The key folds only what every mail system treats as the same mailbox: the case of
    the local part (NFC, ``str.lower()``, NFC again) and the domain, which becomes its
    lower-case IDNA (punycode) form. ``Jane@EXAMPLE.com`` and ``jane@example.com`` share a
    key.

    It never folds compatibility forms or full case folding in the local part: those
    are different mailboxes that merely look alike, and a shared key would let one
    receive, list or spend the other's orders and credit (SECURITY A4). So fullwidth
    ``ｍｉｋｅ@``, ``straße@`` (``casefold()`` would give ``strasse``), the ligature
    ``ﬁ``, the long ``ſ`` and the dotless ``ı`` each keep a key of their own:

    >>> email_key("ｍｉｋｅ@Example.com") == email_key("mike@example.com")
    False
    >>> email_key("Straße@Example.com")
    'straße@example.com'
    """
    if not isinstance(text, str) or len(text) > MAX_EMAIL_LENGTH:
        return None
    text = text.strip()
    if text.isascii():
        # The common case, and exactly what the general path computes for ASCII.
        local, at, domain = text.lower().rpartition("@")
        if not at or not local or not domain or not text.isprintable() or " " in text:
            return None
        return f"{local}@{domain}"
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or not text.isprintable():
        return None
    # lower(), not casefold(): casefold maps ß to ss and ſ to s, other mailboxes. NFC
    # again because a lowered letter may compose with its mark where the capital could
    # not (Greek Ι + U+0342 becomes ῖ), and a key must be its own key.
    local = unicodedata.normalize("NFC", unicodedata.normalize("NFC", local).lower())
    if any(c.isspace() for c in local):
        return None
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        return None
    return f"{local}@{domain}"


def parse_email(text: object) -> EmailAddress:
    """Validate an email address for storing and return it with its canonical key.

    >>> parse_email("Jane.Doe@Example.COM").canonical
    'jane.doe@example.com'

    Raises :class:`InvalidIdentifierError` for anything that is not a deliverable-looking
    address. No DNS query is made.
    """
    if not isinstance(text, str):
        raise InvalidIdentifierError("email", f"must be text, not {type(text).__name__}")
    if len(text) > MAX_EMAIL_LENGTH:
        raise InvalidIdentifierError("email", f"must be at most {MAX_EMAIL_LENGTH} characters")
    try:
        valid = email_validator.validate_email(text.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        raise InvalidIdentifierError("email", f"is not an email address ({error})") from None
    key = email_key(valid.normalized)
    if key is None:  # email-validator accepted something our key cannot express
        raise InvalidIdentifierError("email", "is not an email address")
    return EmailAddress(display=valid.normalized, canonical=key)


def _parse_phone(text: object, region: str) -> phonenumbers.PhoneNumber:
    if not isinstance(text, str) or len(text) > _MAX_PHONE_TEXT or not text.isprintable():
        raise InvalidIdentifierError("phone", "is not a phone number")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifierError("phone", "is not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidIdentifierError("phone", "is not a phone number")
    return number


def parse_phone(text: object, region: str = "US") -> PhoneNumber:
    """Validate a phone number and return it in E.164 form.

    ``region`` (ISO 3166 alpha-2) says how to read a number typed without a ``+`` country
    code: the store's home country.

    >>> parse_phone("(415) 555-2671").e164
    '+14155552671'

    A US number in one of the common typed shapes is read without a full parse (the
    number it stands for is known, see :func:`phone_key`); its validity is checked by
    phonenumbers all the same.
    """
    number = _typed_nanp_number(text, region)
    if number is None:
        number = _parse_phone(text, region)
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifierError("phone", "is not a valid phone number")
    return PhoneNumber(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


# A number of the North American Numbering Plan as shoppers of a US store type it:
# ASCII digits, an area code that starts 2-9, optionally the country code 1 (with or
# without "+") in front, parentheses around the area code, and one space, dash or dot
# between the groups. phonenumbers reads every such text, in the region US, as "+1" and
# the ten digits: the national prefix "1" is stripped only in front of eleven digits
# (an area code never starts with 1), and ten digits are a possible NANP length. The
# property test in tests/unit/test_phone_keys.py holds this equal to phonenumbers for
# everything the pattern accepts; anything else is parsed by phonenumbers.
_NANP_TYPED = re.compile(
    r"(?:\+?1[ .-]?)?\(?([2-9][0-9]{2})\)?[ .-]?([0-9]{3})[ .-]?([0-9]{4})", re.ASCII
)


def _typed_nanp_number(text: object, region: str) -> phonenumbers.PhoneNumber | None:
    """The number a common typed shape of a US number stands for, as phonenumbers.parse
    would read it (country code 1, the ten digits); ``None`` for any other text."""
    if region == "US" and type(text) is str:
        typed = _NANP_TYPED.fullmatch(text)
        if typed is not None:
            digits = "".join(typed.groups())
            return phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    return None


def phone_key(text: object, region: str = "US") -> str | None:
    """The E.164 comparison key of a typed phone number, or ``None`` if it cannot be one.

    >>> phone_key("(415) 555-2671"), phone_key("+44 20 7946 0958", "US")
    ('+14155552671', '+442079460958')

    The common typed shapes of a US number are keyed without a full parse (about a
    tenth of its cost on find-order's path); the key is the same either way.
    """
    if region == "US" and type(text) is str:
        typed = _NANP_TYPED.fullmatch(text)
        if typed is not None:
            return "+1" + "".join(typed.groups())
    try:
        number = _parse_phone(text, region)
    except InvalidIdentifierError:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
