"""Structure functions generated per class, for the import's common case.

The converter (:mod:`orderstatus_core.serialization`) structures a record field by field
through cattrs and then builds each value with its attrs ``__init__``, which runs the
field's converter and validator again and the class's invariants: per order, one generic
hook call, one keyword dict, one ``setattr`` and one validator call per field, for every
line and package. :func:`fast_structure` generates, once per class, one plain function that
reads the JSON object, checks each field once with the model's own validators, fills the
value's slots (:func:`~orderstatus_core.model.restore.restorer`) and runs the class's
invariants (``__attrs_post_init__``), as attrs' ``__init__`` would.

It only ever *vouches* for a record: it reads text as text, whole numbers as whole numbers
and lists as lists, and raises on anything else and on anything a check refuses, without
caring which error. The caller then asks the converter, whose answer (the value, or the
error with its path and message) is the answer. So the generated function may be stricter
than the converter, never more lenient, and it has no error messages of its own to drift
from the converter's (which refuses a value of the wrong JSON type, as the generated
function does). Tests hold the two to that (``tests/properties/test_fast_structure.py``,
``tests/properties/test_import_types.py``).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs

from orderstatus_core.model._checks import CountRule, PatternRule
from orderstatus_core.model._text import TextRule
from orderstatus_core.model.money import Money, NotNegativeMoney
from orderstatus_core.model.restore import restorer

__all__ = ["Unvouched", "fast_structure", "vouching_structure"]

T = TypeVar("T")

# Read from JSON exactly as they come, and only then: anything else is the converter's to
# refuse (serialization._refuse_coercion), with its own message and path.
_PLAIN = (int, str, bool)


class Unvouched(Exception):
    """The generated function cannot vouch for the data: structure it with the converter."""


def fast_structure(
    converter: cattrs.Converter, cls: type[T], *nested: type[Any]
) -> Callable[[Any], T]:
    """``converter.structure(data, cls)`` as one function, faster for the common case.

    The data goes to :func:`vouching_structure`'s generated function first; whatever it
    cannot vouch for goes to ``converter``, whose answer, the value or the error, is
    returned or raised as it is. Make one per converter and keep it.

    >>> from orderstatus_core.model import PackedUnits
    >>> from orderstatus_core.serialization import converter
    >>> structure = fast_structure(converter, PackedUnits)
    >>> structure({"line_no": 1, "quantity": 2})
    PackedUnits(line_no=1, quantity=2)
    >>> structure({"line_no": 1, "quantity": 0})
    Traceback (most recent call last):
    ...
    cattrs.errors.ClassValidationError: While structuring PackedUnits (1 sub-exception)
    """
    vouch = vouching_structure(converter, cls, *nested)

    def structure(data: Any) -> T:
        try:
            return vouch(data)
        except Exception:
            result: T = converter.structure(data, cls)
            return result

    return structure


def vouching_structure(
    converter: cattrs.Converter, cls: type[T], *nested: type[Any]
) -> Callable[[Any], T]:
    """The generated function that structures JSON data into ``cls`` when it can vouch
    for it, and raises otherwise.

    ``cls`` and the attrs classes ``nested`` (those of its fields, directly, in a
    ``tuple[X, ...]`` or as ``X | None``) each get a generated function; the values of
    every other field type (money, identifiers, instants, addresses ...) come from
    ``converter``'s own hooks, and so does whatever they remember. The function returns
    the value ``converter`` would return, or raises: :class:`Unvouched`, a
    :class:`~orderstatus_core.errors.ValidationError` of a model check, or whatever a hook
    raised. An exception says only that it could not vouch for the data, never why:
    :func:`fast_structure` asks the converter then.

    The text is generated and compiled once per set of classes; each call binds it to
    ``converter``'s hooks, each at its first use (a record with returns is rare, and
    cattrs builds a hook when it is first asked for).
    """
    classes = (cls, *nested)
    generated = _GENERATED.get(classes)
    if generated is None:
        # A race only generates the same text twice; every caller keeps the first.
        generated = _GENERATED.setdefault(classes, _Generated.of(classes))
    scope = dict(generated.scope)
    for name, type_ in generated.hooks.items():
        scope[name] = _binding(scope, name, converter, type_)
    exec(generated.code, scope)  # noqa: S102 -- our own text, see _Generated.of
    function: Callable[[Any], T] = scope[generated.entry]
    return function


def _binding(
    scope: dict[str, Any], name: str, converter: cattrs.Converter, type_: Any
) -> Callable[[Any, Any], Any]:
    """A stand-in for ``converter``'s hook of ``type_`` that, at its first call, puts the
    hook itself in its place in ``scope`` (the generated functions' globals)."""

    def bind(value: Any, given: Any) -> Any:
        hook = scope[name] = converter.get_structure_hook(type_)
        return hook(value, given)

    return bind


@attrs.frozen
class _Generated:
    """The compiled text of one set of classes and what it refers to, before binding."""

    code: types.CodeType
    entry: str
    #: Restorers, validators, defaults and converters: the same for every converter.
    scope: Mapping[str, Any]
    #: The names that stand for a converter's hook, with the type each structures.
    hooks: Mapping[str, Any]

    @classmethod
    def of(cls, classes: tuple[type[Any], ...]) -> _Generated:
        for each in classes:
            attrs.resolve_types(each)
        names = {each: f"_fast_{index}" for index, each in enumerate(classes)}
        scope: dict[str, Any] = {"_Unvouched": Unvouched}
        hooks: dict[str, Any] = {}
        source = "\n".join(_source(each, names, scope, hooks) for each in classes)
        # Field names appear in the text only as repr() string literals and rule bounds
        # only as int(); every other name is one of ours.
        code = compile(source, f"<fast structure of {classes[0].__qualname__}>", "exec")
        return cls(code, names[classes[0]], scope, hooks)


_GENERATED: dict[tuple[type[Any], ...], _Generated] = {}


def _source(
    cls: type[Any],
    names: Mapping[type[Any], str],
    scope: dict[str, Any],
    hooks: dict[str, Any],
) -> str:
    """The text of ``cls``'s generated function; what it refers to goes into ``scope``
    and ``hooks``.

    A field's rule (:class:`~orderstatus_core.model._checks.CountRule`,
    :class:`~orderstatus_core.model._text.TextRule`,
    :class:`~orderstatus_core.model._checks.PatternRule`,
    :class:`~orderstatus_core.model.money.NotNegativeMoney`, attrs' ``instance_of``) is
    checked where the field is read, and a default once, here; any other validator is
    called with the instance, once it is filled, as attrs' ``__init__`` calls it.
    """
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
    prefix = names[cls]
    lines = [
        f"def {prefix}(o):",
        f"    if type(o) is not dict or not o.keys() <= {prefix}_names:",
        "        raise _Unvouched",
    ]
    scope[f"{prefix}_names"] = frozenset(field.name for field in fields)
    scope[f"{prefix}_restore"] = restorer(cls)
    checks: list[str] = []
    for index, field in enumerate(fields):
        where = f"{cls.__qualname__}.{field.name}"
        if not field.init or field.alias != field.name:
            raise TypeError(f"{where}: not structured from a key of its own name")
        if isinstance(field.converter, attrs.Converter):
            raise TypeError(f"{where}: a converter that takes the instance")
        name, value, key = f"{prefix}_{index}", f"_f{index}", repr(field.name)
        read = _read(field.type, value, names, scope, hooks, name)
        if field.converter is not None:
            scope[f"{name}_convert"] = field.converter
            read.append(f"{value} = {name}_convert({value})")
        passes = None if field.validator is None else _passes(field.validator, value, scope, name)
        if field.validator is not None:
            scope[f"{name}_validate"] = field.validator
            scope[f"{name}_attribute"] = field
            if passes is None:
                checks.append(f"    {name}_validate(self, {name}_attribute, {value})")
            else:
                # A rule looks at the value alone: no instance needed.
                read += [
                    f"if not ({passes}):",
                    f"    {name}_validate(None, {name}_attribute, {value})",
                ]
        if field.default is attrs.NOTHING:
            lines += [f"    {value} = o[{key}]", *(f"    {step}" for step in read)]
            continue
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            raise TypeError(f"{where}: a factory default")
        # The model's converters and rules are functions of the value alone: a default is
        # converted and checked once, now, not for every record that leaves it out.
        default = field.default if field.converter is None else field.converter(field.default)
        if passes is not None:  # a rule: the value read is checked above, the default here
            field.validator(None, field, default)
        scope[f"{name}_default"] = default
        lines += [
            f"    if {key} in o:",
            f"        {value} = o[{key}]",
            *(f"        {step}" for step in read),
            "    else:",
            f"        {value} = {name}_default",
        ]
    arguments = ", ".join(f"_f{index}" for index in range(len(fields)))
    lines.append(f"    self = {prefix}_restore({arguments})")
    lines += checks
    if hasattr(cls, "__attrs_post_init__"):
        lines.append("    self.__attrs_post_init__()")
    lines.append("    return self")
    return "\n".join(lines) + "\n"


# The classes of attrs' own instance_of and optional validators (their values carry the
# type and the inner validator).
_INSTANCE_OF: type[Any] = type(attrs.validators.instance_of(object))
_OPTIONAL: type[Any] = type(attrs.validators.optional(attrs.validators.instance_of(object)))


def _passes(validator: Any, value: str, scope: dict[str, Any], name: str) -> str | None:
    """An expression true only where the rule ``validator`` surely accepts ``value`` (its
    common case), so that the rule is called only for the rest; ``None`` for a validator
    that is no rule (it may look at the instance): called every time, with it."""
    if isinstance(validator, CountRule):
        low, high = int(validator.low), int(validator.high)
        return f"type({value}) is int and {low} <= {value} <= {high}"
    if isinstance(validator, TextRule):
        # check_text's own shortcut: plain printable ASCII, within the bound, not blank.
        text = (
            f"type({value}) is str and len({value}) <= {int(validator.max_length)} "
            f"and {value}.isascii() and {value}.isprintable() and {value}.strip()"
        )
        return f"{value} is None or ({text})" if validator.optional else text
    if isinstance(validator, PatternRule):
        scope[f"{name}_fullmatch"] = validator.pattern.fullmatch
        return f"type({value}) is str and {name}_fullmatch({value}) is not None"
    if isinstance(validator, NotNegativeMoney):
        scope[f"{name}_class"] = Money
        return f"isinstance({value}, {name}_class) and not {value}.is_negative"
    if type(validator) is _INSTANCE_OF:
        scope[f"{name}_class"] = validator.type
        return f"isinstance({value}, {name}_class)"
    if type(validator) is _OPTIONAL and type(validator.validator) is _INSTANCE_OF:
        scope[f"{name}_class"] = validator.validator.type
        return f"{value} is None or isinstance({value}, {name}_class)"
    return None


def _read(
    type_: Any,
    value: str,
    names: Mapping[type[Any], str],
    scope: dict[str, Any],
    hooks: dict[str, Any],
    name: str,
) -> list[str]:
    """Statements that turn the JSON ``value`` into a value of ``type_`` in place."""
    if type_ in _PLAIN:
        scope[f"{name}_type"] = type_
        return [f"if type({value}) is not {name}_type:", "    raise _Unvouched"]
    if type_ in names:
        return [f"{value} = {names[type_]}({value})"]
    arguments = get_args(type_)
    origin = get_origin(type_)
    if origin is tuple and arguments[1:] == (Ellipsis,) and arguments[0] in names:
        return [
            f"if type({value}) is not list:",
            "    raise _Unvouched",
            f"{value} = tuple([{names[arguments[0]]}(each) for each in {value}])",
        ]
    if origin in (Union, types.UnionType) and len(arguments) == 2 and type(None) in arguments:
        # As cattrs reads ``X | None``: None as it is, anything else as an X.
        inner = next(each for each in arguments if each is not type(None))
        read = _read(inner, value, names, scope, hooks, name)
        return [f"if {value} is not None:", *(f"    {step}" for step in read)]
    # Every other type as the converter structures it: its own hook, its own memory.
    hooks[f"{name}_hook"] = type_
    scope[f"{name}_type"] = type_
    return [f"{value} = {name}_hook({value}, {name}_type)"]
