"""The one cattrs converter, and the JSON forms of the model built on it.

Everything that turns model values into JSON-ready data and back goes through
:data:`converter` (imports, the outbox, adapters that store documents). Its forms:

============  ==========================================  =========================
type          JSON                                        example
============  ==========================================  =========================
Money         ``"AMOUNT CURRENCY"``                       ``"24.99 USD"``
datetime      ISO 8601 with a zone (``Z`` allowed)        ``"2026-11-01T10:00:00Z"``
EmailAddress  the address as typed                        ``"Jane@Example.com"``
PhoneNumber   E.164, or national for the store's region   ``"+14155552671"``
PartNumber    as the catalogue writes it                  ``"BP-1234"``
CategoryPath  list of segments, or ``"A › B"``            ``["Brake", "Brake Pad"]``
============  ==========================================  =========================

Unknown keys are refused, so a typo in an import file is an error, not a silent default.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs
import cattrs
from cattrs.preconf.json import make_converter as make_json_converter
from cattrs.strategies import configure_tagged_union

from orderstatus_core.contacts import parse_email, parse_phone
from orderstatus_core.errors import InvalidFieldError, ValidationError
from orderstatus_core.events import RefundDue, ReplacementDue
from orderstatus_core.messages import (
    AccountVerificationMail,
    AlreadyRegisteredMail,
    AttachCodeMail,
    AttachOrderRequest,
    EmailChangeMail,
    EmailChangeNotice,
    GuestPassMail,
    GuestPassRequest,
    OrderListMail,
    OrderListRequest,
    OutboxItem,
    PartBackInStockMail,
    PasswordResetMail,
    PasswordResetRequest,
    ReturnDocumentsJob,
    ReturnLabelMail,
    ReturnReceivedMail,
    ReturnSettledMail,
    SignUpRequest,
    StoreMail,
    TrackingMail,
    secret_fields,
)
from orderstatus_core.model import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    Order,
    PartNumber,
    PhoneNumber,
)
from orderstatus_core.model.order import utc
from orderstatus_core.model.requests import (
    AddressChange,
    CancelRequest,
    Change,
    ChangeRequest,
    LineRemoval,
    PartSwap,
    ProblemReport,
    QuantityChange,
    Refund,
    SpeedChange,
)
from orderstatus_core.model.returns import ReturnRequest

__all__ = [
    "carries_secrets",
    "converter",
    "dump_activity",
    "dump_intent",
    "error_path",
    "intent_kind",
    "load_activity",
    "load_intent",
    "make_converter",
]

_MAX_TIMESTAMP_TEXT = 40
_V = TypeVar("_V")
_CHANGE_KINDS: Mapping[type[Any], str] = {
    AddressChange: "shipping_address",
    SpeedChange: "shipping_speed",
    QuantityChange: "quantity",
    LineRemoval: "remove_line",
    PartSwap: "swap_part",
}
_INTENT_KINDS: Mapping[str, type[OutboxItem]] = {
    "order_list": OrderListMail,
    "tracking": TrackingMail,
    "guest_pass": GuestPassMail,
    "guest_pass_request": GuestPassRequest,
    "order_list_request": OrderListRequest,
    "refund_due": RefundDue,
    "replacement_due": ReplacementDue,
    "return_documents": ReturnDocumentsJob,
    "return_label": ReturnLabelMail,
    "return_received": ReturnReceivedMail,
    "return_settled": ReturnSettledMail,
    "account_verification": AccountVerificationMail,
    "already_registered": AlreadyRegisteredMail,
    "password_reset": PasswordResetMail,
    "email_change": EmailChangeMail,
    "email_change_notice": EmailChangeNotice,
    "attach_code": AttachCodeMail,
    "part_back_in_stock": PartBackInStockMail,
    "store_mail": StoreMail,
    "sign_up_request": SignUpRequest,
    "password_reset_request": PasswordResetRequest,
    "attach_order_request": AttachOrderRequest,
}
_KIND_OF: Mapping[type[OutboxItem], str] = {cls: kind for kind, cls in _INTENT_KINDS.items()}


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidFieldError("", f"{what} must be text, not {type(value).__name__}")
    return value


# The JSON types a field of each plain Python type is read from, and the words that say so:
# cattrs' own hooks call int(), str() and bool(), which would read a quantity 2.7 as 2,
# "yes" as true and null as the text "None". An import refuses a wrong type instead
# (docs/import-format.md), with the field's path, like any other bad value.
# A subclass (an enum of texts or of numbers) is built from the value, as cattrs does.
def _structure_int(value: Any, type_: Any) -> int:
    if not isinstance(value, int) or type(value) is bool:  # true is no count in JSON
        raise InvalidFieldError("", f"must be a whole number, not {_json_type(value)}")
    return value if type_ is int else type_(value)


def _structure_str(value: Any, type_: Any) -> str:
    if not isinstance(value, str):
        raise InvalidFieldError("", f"must be text, not {_json_type(value)}")
    return value if type_ is str else type_(value)


def _structure_bool(value: Any, _type: Any) -> bool:
    if type(value) is not bool:
        raise InvalidFieldError("", f"must be true or false, not {_json_type(value)}")
    return value


def _json_type(value: Any) -> str:
    """What ``value`` is, as JSON names it: ``null``, ``true``, ``a number`` ..."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is float:
        return repr(value)
    if type(value) is int:
        return "a number"
    if type(value) is str:
        return "text"
    if type(value) is list:
        return "a list"
    if type(value) is dict:
        return "an object"
    return type(value).__name__


def _structure_datetime(value: Any, _type: Any) -> datetime:
    if type(value) is str and len(value) <= _MAX_TIMESTAMP_TEXT:
        # The common case, an instant written in UTC ("...Z"): what the general path below
        # returns for it, without its calls.
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFieldError("", "is not an ISO 8601 timestamp") from None
        if parsed.tzinfo is UTC:
            return parsed
    text = _text(value, "a timestamp")
    if len(text) > _MAX_TIMESTAMP_TEXT:
        raise InvalidFieldError("", "is not an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidFieldError("", "is not an ISO 8601 timestamp") from None
    try:
        return utc(parsed)
    except ValidationError as error:
        # cattrs' path already ends at this field; drop the model's generic field name.
        raise InvalidFieldError("", error.message) from None


def _unstructure_datetime(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _structure_money(value: Any, _type: Any) -> Money:
    text = _text(value, "money")
    amount, _space, currency = text.strip().rpartition(" ")
    if not amount:
        raise InvalidFieldError("", 'money is written "AMOUNT CURRENCY", such as "24.99 USD"')
    return Money(amount, currency)


def _structure_email(value: Any, _type: Any) -> EmailAddress:
    return parse_email(value)


def _structure_part_number(value: Any, _type: Any) -> PartNumber:
    return PartNumber(_text(value, "a part number"))


def _structure_category(value: Any, _type: Any) -> CategoryPath:
    if isinstance(value, str):
        return CategoryPath(value)
    if isinstance(value, list) and all(isinstance(segment, str) for segment in value):
        return CategoryPath(tuple(value))
    raise InvalidFieldError("", "a category is a list of segments or text")


def _remembering(
    parse: Callable[[Any, Any], _V], limit: int, kind: type[_V]
) -> Callable[[Any, Any], _V]:
    """``parse`` (the hook of ``kind``) answering a text it has parsed before with the value
    it built then.

    Only text is remembered, the most recently used ``limit`` texts; anything else goes to
    ``parse`` every time (as a key, ``1`` would find the entry of ``True``). A text that
    ``parse`` refused is parsed again next time, so it is refused with the same error every
    time. Sound because these values are immutable and depend on nothing but the text (and
    the converter's phone region).
    """

    # Keyed by the text alone (the hook only ever structures ``kind``): a cache of one
    # text argument looks it up by the string itself, with no key tuple to build.
    @functools.lru_cache(maxsize=limit)
    def cached(text: str) -> _V:
        return parse(text, kind)

    def structure(value: Any, type_: Any) -> _V:
        return cached(value) if type(value) is str else parse(value, type_)

    return structure


def _remembering_category(limit: int) -> Callable[[Any, Any], CategoryPath]:
    """:func:`_structure_category` remembering texts and lists of texts, as
    :func:`_remembering` does (a list is remembered by its segments)."""
    by_text = functools.lru_cache(maxsize=limit)(_structure_category)
    by_segments = functools.lru_cache(maxsize=limit)(lambda segments: CategoryPath(segments))

    def structure(value: Any, type_: Any) -> CategoryPath:
        if type(value) is str:
            return by_text(value, type_)
        if type(value) is list and all(type(segment) is str for segment in value):
            return by_segments(tuple(value))
        return _structure_category(value, type_)

    return structure


def _remembering_fields(
    structure: Callable[[Any, Any], _V], limit: int
) -> Callable[[Any, Any], _V]:
    """``structure`` (of a class whose fields are all text) answering a JSON object it has
    structured before with the value it built then, as :func:`_remembering` does for one
    text: an object whose values are all text is remembered by its keys and values, the
    ``limit`` most recent; anything else is structured every time."""

    @functools.lru_cache(maxsize=limit)
    def by_items(items: tuple[tuple[str, str], ...], type_: Any) -> _V:
        return structure(dict(items), type_)

    def structure_object(value: Any, type_: Any) -> _V:
        if type(value) is dict and all(type(text) is str for text in value.values()):
            return by_items(tuple(value.items()), type_)
        return structure(value, type_)

    return structure_object


def _is_optional(type_: Any) -> bool:
    """Whether ``type_`` is ``X | None`` (or ``Optional[X]``) for one type ``X``."""
    arguments = get_args(type_)
    return (
        get_origin(type_) in (Union, types.UnionType)
        and len(arguments) == 2
        and type(None) in arguments
    )


def _is_tuple_of_one_type(type_: Any) -> bool:
    """Whether ``type_`` is ``tuple[X, ...]`` for one type ``X`` other than ``Any``."""
    arguments = get_args(type_)
    return (
        get_origin(type_) is tuple
        and len(arguments) == 2
        and arguments[1] is Ellipsis
        and arguments[0] is not Any
    )


def _refuse_coercion(conv: cattrs.Converter) -> None:
    """Read each plain type from its own JSON type only, and refuse any other.

    A whole number from a JSON number without a fraction (never ``true``), text from
    text, a boolean from ``true`` or ``false``; a tuple from a list (cattrs' hook would
    walk the keys of an object or the characters of a text); an attrs class from an
    object. Each refusal is an :class:`~orderstatus_core.errors.InvalidFieldError` that
    names what was found, at the field's path.
    """
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    generic_tuple = conv.get_structure_hook(tuple[int, ...], cache_result=False)

    def structure_list(value: Any, type_: Any) -> Any:
        if value is None or type(value) in _NOT_LISTS:
            raise InvalidFieldError("", f"must be a list, not {_json_type(value)}")
        return generic_tuple(value, type_)

    def object_of(cls: Any) -> Callable[[Any, Any], Any]:
        structure = conv.gen_structure_attrs_fromdict(cls)

        def structure_object(value: Any, type_: Any) -> Any:
            if type(value) is not dict:
                raise InvalidFieldError("", f"must be an object, not {_json_type(value)}")
            return structure(value, type_)

        return structure_object

    conv.register_structure_hook_factory(_is_tuple_of_one_type, lambda _type: structure_list)
    conv.register_structure_hook_factory(attrs.has, object_of)


# What JSON gives that is not a list (a tuple or a generator, from Python, may still be).
_NOT_LISTS = (dict, str, int, float, bool)


def _bind_element_hooks(conv: cattrs.Converter) -> None:
    """Structure ``X | None`` and ``tuple[X, ...]`` with ``X``'s hook found once per type.

    cattrs' own hooks for these look the element's hook up again on every value, and the
    tuple one keeps its error bookkeeping per element; an import structures a few of each
    per order. A list that fails goes to cattrs' tuple hook after all, so the error and
    its ``[index]`` path are exactly cattrs' own.
    """
    generic_tuple = conv.get_structure_hook(tuple[int, ...])

    def optional(type_: Any) -> Callable[[Any, Any], Any]:
        inner = next(each for each in get_args(type_) if each is not type(None))
        hook = conv.get_structure_hook(inner)

        def structure_optional(value: Any, _type: Any) -> Any:
            return None if value is None else hook(value, inner)

        return structure_optional

    def tuple_of(type_: Any) -> Callable[[Any, Any], Any]:
        element = get_args(type_)[0]
        hook = conv.get_structure_hook(element)

        def structure_tuple(value: Any, _type: Any) -> Any:
            if type(value) is list:
                try:
                    return tuple([hook(item, element) for item in value])
                except Exception:  # noqa: S110  (reported by cattrs' hook, below)
                    pass
            return generic_tuple(value, type_)

        return structure_tuple

    conv.register_structure_hook_factory(_is_optional, optional)
    conv.register_structure_hook_factory(_is_tuple_of_one_type, tuple_of)


def make_converter(phone_region: str = "US", *, remember: int = 0) -> cattrs.Converter:
    """Build a converter with the model's JSON forms.

    ``phone_region`` says how a phone number without ``+country`` is read. Most code should
    use the shared :data:`converter` instead of building its own.

    With ``remember`` above zero the converter keeps the identifier values it parses (email
    addresses, phone numbers, money, part numbers, categories) and the shipping addresses, the
    ``remember`` most recently used of each kind, and answers the same text again with the same
    immutable value instead of validating it again: an import file names the same shopper,
    prices and parts on many records. Everything else is structured and validated as usual, and
    a refused text is refused again, with the same error. The values live as long as the
    converter: build one per import (see
    :class:`~orderstatus_core.services.importing.RecordParser`), never a shared one.
    """
    conv = make_json_converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(datetime, _structure_datetime)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_structure_hook(Decimal, lambda v, _t: Decimal(_text(v, "an amount")))
    conv.register_unstructure_hook(Decimal, str)

    def structure_phone(value: Any, _type: Any) -> PhoneNumber:
        return parse_phone(_text(value, "a phone number"), phone_region)

    email: Callable[[Any, Any], EmailAddress] = _structure_email
    phone: Callable[[Any, Any], PhoneNumber] = structure_phone
    part_number: Callable[[Any, Any], PartNumber] = _structure_part_number
    money: Callable[[Any, Any], Money] = _structure_money
    category: Callable[[Any, Any], CategoryPath] = _structure_category
    if remember > 0:
        email = _remembering(email, remember, EmailAddress)
        phone = _remembering(phone, remember, PhoneNumber)
        part_number = _remembering(part_number, remember, PartNumber)
        money = _remembering(money, remember, Money)
        category = _remembering_category(remember)
    conv.register_structure_hook(Money, money)
    conv.register_unstructure_hook(Money, str)
    conv.register_structure_hook(EmailAddress, email)
    conv.register_unstructure_hook(EmailAddress, lambda v: v.display)
    conv.register_structure_hook(PhoneNumber, phone)
    conv.register_unstructure_hook(PhoneNumber, lambda v: v.e164)
    conv.register_structure_hook(PartNumber, part_number)
    conv.register_unstructure_hook(PartNumber, lambda v: v.display)
    conv.register_structure_hook(CategoryPath, category)
    conv.register_unstructure_hook(CategoryPath, lambda v: list(v.segments))
    _refuse_coercion(conv)
    _bind_element_hooks(conv)
    if remember > 0:
        # A shopper's orders mostly ship to one address: remembered like the identifiers.
        address = conv.get_structure_hook(Address)
        conv.register_structure_hook(Address, _remembering_fields(address, remember))
    # A change request's change is one of several types: tagged by a "kind" key.
    configure_tagged_union(
        Change, conv, tag_generator=lambda cls: _CHANGE_KINDS[cls], tag_name="kind"
    )
    # An outbox item is told by its "kind" tag too: several mails share their fields'
    # shape (a link, an expiry, a language), so no field alone tells them apart.
    configure_tagged_union(
        OutboxItem, conv, tag_generator=lambda cls: _KIND_OF[cls], tag_name="kind"
    )
    return conv


#: The converter every part of the library uses.
converter = make_converter()


_FIELD_MARK = "\x00"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        # A model validator knows its field name but cattrs' path ends at the object that
        # refused it; carry the name along to finish the path.
        return f"{exc.message}{_FIELD_MARK}{exc.field}" if exc.field else exc.message
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown field(s) {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, TypeError | ValueError):
        return "has the wrong type"
    return str(exc)


def error_path(exc: BaseException) -> tuple[str, str]:
    """The first problem in a structuring error, as ``(path, message)``.

    ``path`` is written like cattrs' own (``$.lines[0].quantity``), ready to show beside
    the form field or import record it belongs to.
    """
    if isinstance(exc, ValidationError) and not isinstance(exc, cattrs.BaseValidationError):
        return (f"$.{exc.field}" if exc.field else "$"), exc.message
    messages = cattrs.transform_error(exc, path="$", format_exception=lambda e, _t: _describe(e))
    if not messages:
        return "$", _describe(exc)
    message, _at, path = messages[0].rpartition(" @ ")
    message, _mark, field = message.partition(_FIELD_MARK)
    if field and not path.endswith(f".{field}"):
        path = f"{path}.{field}"
    return path, message


_ACTIVITY_TYPES: Mapping[str, Any] = {
    "cancel_requests": tuple[CancelRequest, ...],
    "change_requests": tuple[ChangeRequest, ...],
    "problem_reports": tuple[ProblemReport, ...],
    "refunds": tuple[Refund, ...],
    "returns": tuple[ReturnRequest, ...],
}
_NO_ACTIVITY: tuple[tuple[Any, ...], ...] = ((), (), (), (), ())


def dump_activity(order: Order) -> dict[str, Any] | None:
    """An order's cancel requests, change requests, problem reports, refunds and returns as one
    JSON-ready document, for storages that keep them beside the order row; ``None`` when
    there are none (most orders), so a reader can skip decoding."""
    if not (
        order.cancel_requests
        or order.change_requests
        or order.problem_reports
        or order.refunds
        or order.returns
    ):
        return None
    return {name: converter.unstructure(getattr(order, name)) for name in _ACTIVITY_TYPES}


def load_activity(document: Mapping[str, Any] | None) -> tuple[tuple[Any, ...], ...]:
    """The five tuples :func:`dump_activity` wrote, structured (and so validated), in the
    order of ``Order``'s fields: cancel requests, change requests, problem reports, refunds,
    returns. A document written before returns existed has none."""
    if document is None:
        return _NO_ACTIVITY
    return tuple(
        converter.structure(document.get(name, []), kind) for name, kind in _ACTIVITY_TYPES.items()
    )


def dump_intent(intent: OutboxItem) -> dict[str, Any]:
    """An outbox item (a mail intent or a domain event) as JSON-ready data, tagged with
    its ``kind``."""
    data: dict[str, Any] = converter.unstructure(intent)
    data["kind"] = intent_kind(intent)
    return data


def intent_kind(intent: OutboxItem) -> str:
    """The ``kind`` tag :func:`dump_intent` writes for ``intent``: ``"guest_pass"`` ..."""
    return _KIND_OF[type(intent)]


def carries_secrets(kind: str) -> bool:
    """Whether an outbox item tagged ``kind`` (see :func:`intent_kind`) has
    :data:`~orderstatus_core.messages.SECRET` fields, which its delivery empties (SECURITY
    D5). An unknown tag answers ``True``, so that whoever asks takes the careful way.

    A storage marking a message sent reads its item back only when it does: the others
    are kept as they are (bench/RESULTS.md, the outbox worker over SMTP).

    >>> carries_secrets("guest_pass"), carries_secrets("order_list"), carries_secrets("?")
    (True, False, True)
    """
    cls = _INTENT_KINDS.get(kind)
    return cls is None or bool(secret_fields(cls))


def load_intent(data: Mapping[str, Any]) -> OutboxItem:
    """The outbox item that :func:`dump_intent` wrote."""
    fields = dict(data)
    kind = fields.pop("kind", None)
    cls = _INTENT_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidFieldError("kind", f"unknown mail intent {kind!r}")
    result: OutboxItem = converter.structure(fields, cls)
    return result
