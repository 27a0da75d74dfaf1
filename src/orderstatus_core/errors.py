"""One tree of errors, rooted at :class:`OrderStatusError`.

Each error also subclasses the builtin a caller would expect (``ValueError`` for bad
input, ``LookupError`` for something missing), so ``except ValueError`` keeps working for
code that does not know this library.

Ordinary business outcomes (an order not found, a rate limit reached) are *not* errors:
services return decision values for those (see :mod:`orderstatus_core.services`).
Exceptions are for bad input that must stop a command and for the unexpected.
"""

from __future__ import annotations

__all__ = [
    "ActionRefusedError",
    "AdapterError",
    "AdapterNameConflictError",
    "CatalogError",
    "ConflictError",
    "CurrencyMismatchError",
    "DuplicateOrderError",
    "FieldTooLongError",
    "IdempotencyKeyReusedError",
    "ImportRecordError",
    "InsufficientCreditError",
    "InvalidFieldError",
    "InvalidIdentifierError",
    "InvalidTrackingNumberError",
    "InvalidUrlError",
    "InvalidVinError",
    "LedgerError",
    "MailDeliveryError",
    "MailTemplateError",
    "NegativeQuantityError",
    "OrderNotFoundError",
    "OrderStatusError",
    "SchemaVersionError",
    "TransientConflictError",
    "UnknownAdapterError",
    "UnknownLanguageError",
    "UnknownMailTopicError",
    "ValidationError",
    "WeakPasswordHashingError",
]


class OrderStatusError(Exception):
    """Root of every error this library raises on purpose."""


class ValidationError(OrderStatusError, ValueError):
    """Input was refused. ``field`` is a dotted path to the offending value.

    ``code`` is a stable, machine-readable reason a front-end can translate.
    """

    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{message} @ {field}" if field else message)
        self.field = field
        self.message = message

    def at(self, prefix: str) -> ValidationError:
        """Return the same error with ``prefix`` put in front of its field path."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        clone = type(self).__new__(type(self))
        ValidationError.__init__(clone, field, self.message)
        return clone


class InvalidFieldError(ValidationError):
    """A value has the wrong type, shape or characters."""


class InvalidVinError(InvalidFieldError):
    """A vehicle identification number is refused; :attr:`position` is the first wrong one
    (1 to 17: a refused character, or 9 for a check digit that does not match), or
    ``None`` when the length is wrong.

    >>> from orderstatus_core.model.profile import check_vin
    >>> try:
    ...     check_vin("1M8GDM9AXKP042789")
    ... except InvalidVinError as error:
    ...     print(error.position, error.message)
    9 position 9 is the check digit: it should be 1, not X (a character of the VIN is mistyped)
    """

    code = "invalid_vin"

    def __init__(self, field: str, message: str, position: int | None = None) -> None:
        super().__init__(field, message)
        self.position = position

    def at(self, prefix: str) -> InvalidVinError:
        """Return the same error with ``prefix`` put in front of its field path."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return InvalidVinError(field, self.message, self.position)


class UnknownLanguageError(InvalidFieldError):
    """A language the store has no catalog for (``shopper.set_language("xx")``): the
    languages are those of the store's mail catalogs, ``en`` and ``fi`` and the store's
    own."""

    code = "unknown_language"


class UnknownMailTopicError(InvalidFieldError):
    """A topic of store mail the store does not have (its profile policy's
    ``mail_topics``)."""

    code = "unknown_mail_topic"


class FieldTooLongError(ValidationError):
    """A text value is longer than its bound (SECURITY H3)."""

    code = "too_long"


class InvalidIdentifierError(ValidationError):
    """An email address, phone number, part number or order number is malformed."""

    code = "invalid_identifier"


class InvalidTrackingNumberError(ValidationError):
    """A shopper's tracking number was refused (see ``parse_tracking_number``).

    ``code`` says why, for a front-end to translate: ``not_text``, ``too_long``,
    ``bad_characters``, ``empty``, ``unknown_carrier``, ``unknown_format``,
    ``bad_check_digit`` or ``wrong_carrier``. ``carrier`` names the carrier the number
    belongs to when that is known (``wrong_carrier``, ``bad_check_digit``), else ``None``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str = "tracking_number",
        carrier: str | None = None,
    ) -> None:
        super().__init__(field, message)
        self.code = code
        self.carrier = carrier

    def at(self, prefix: str) -> InvalidTrackingNumberError:
        """Return the same error with ``prefix`` put in front of its field path."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        return InvalidTrackingNumberError(
            self.code, self.message, field=field, carrier=self.carrier
        )


class NegativeQuantityError(ValidationError):
    """A quantity or amount that must not be negative is negative."""

    code = "negative"


class CurrencyMismatchError(ValidationError):
    """Money in two currencies was combined, or an order mixes currencies."""

    code = "currency_mismatch"


class LedgerError(ValidationError):
    """A quantity ledger would break an invariant of DOMAIN.md section 4.

    For example more units shipped than ordered, or more returned than delivered.
    """

    code = "ledger"


class ImportRecordError(ValidationError):
    """A record of a JSON Lines import was refused; ``line`` is its 1-based line number."""

    code = "import_record"

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(field, message)
        self.line = line
        self.args = (f"line {line}: {message} @ {field or '$'}",)


class DuplicateOrderError(OrderStatusError, ValueError):
    """An order with this number is already stored."""

    def __init__(self, number: str) -> None:
        super().__init__(f"order {number} is already stored")
        self.number = number


class ActionRefusedError(OrderStatusError, ValueError):
    """A command is not allowed in the order's current state.

    ``code`` is stable and machine-readable (``already_shipped``, ``units_unavailable``
    ...); the message says why in words a member of staff understands. Staff commands
    (``desk.warehouse``, ``desk.customer_service``) raise it; a guest's command answers
    the same code and message as a :class:`~orderstatus_core.Refused` value instead, so a
    storefront page never catches it.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class InsufficientCreditError(ActionRefusedError):
    """An entry would take a shopper's store-credit balance below zero (code
    ``insufficient_credit``); nothing was written."""

    def __init__(self, balance: str, wanted: str) -> None:
        super().__init__(
            "insufficient_credit", f"the store-credit balance is {balance}, not {wanted}"
        )
        self.balance = balance
        self.wanted = wanted


class OrderNotFoundError(OrderStatusError, LookupError):
    """A staff or warehouse command named an order that is not stored.

    (Guests never see this: find-order answers :class:`OrderNotFound` instead.)
    """

    def __init__(self, number: str) -> None:
        super().__init__(f"no order {number}")
        self.number = number


class IdempotencyKeyReusedError(OrderStatusError, ValueError):
    """An idempotency key came back with other input than the first time (SECURITY G5).

    A replay must repeat the same command; a new command needs a new key.
    """

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key[:40]!r} was used for another command")
        self.key = key


class ConflictError(OrderStatusError):
    """A concurrent command changed the same data first; retry with fresh state (SECURITY G2)."""


class TransientConflictError(ConflictError):
    """The storage aborted a transaction over a race it detected itself: a serialization
    failure, a deadlock or a lock wait that ran out (PostgreSQL 40001, 40P01, 55P03).

    Nothing was committed, so running the whole command again is safe; the services do so
    a bounded number of times (SECURITY G3) before letting it reach the caller.
    """


class AdapterError(OrderStatusError):
    """An adapter failed in a way the core cannot repair (connection lost, disk full ...)."""


class MailDeliveryError(AdapterError):
    """The mail port could not deliver a message; the outbox keeps it pending (SECURITY A3)."""


class MailRejectedError(MailDeliveryError):
    """The mail server refused the message for good (an SMTP 5xx): sending it again
    cannot succeed, so the outbox moves it to dead letters instead of retrying."""


class MailTemplateError(OrderStatusError):
    """A mail cannot be rendered from its templates: a template is missing or broken, it
    uses a variable the mail does not have, a catalog cannot be read, or a subject would
    carry a line break (SECURITY H1).

    Rendering the same mail again gives the same error, so the relay treats it as
    permanent (a dead letter) rather than retrying. ``template`` names the template, when
    one is to blame. The message never quotes the mail's own values.
    """

    def __init__(self, message: str, template: str | None = None) -> None:
        super().__init__(f"{template}: {message}" if template else message)
        self.template = template


class CatalogError(OrderStatusError, ValueError):
    """A gettext catalog folder or ``.po`` file cannot be used (missing, or not a valid
    catalog): a mistake in a store's set-up, reported when the catalogs are read."""


class SchemaVersionError(AdapterError):
    """The database schema is older or newer than this library expects.

    ``found`` is the database's schema version (0: it has no schema yet), ``needed`` this
    library's. Run ``orderstatus migrate`` for an older one; a newer one needs a newer
    library.
    """

    def __init__(self, url: str, found: int, needed: int) -> None:
        if found > needed:
            message = (
                f"{url} has schema version {found}, newer than this library's {needed}: "
                "upgrade orderstatus-core"
            )
        else:
            message = (
                f"{url} has schema version {found}, this library needs {needed}: "
                "run `orderstatus migrate`"
            )
        super().__init__(message)
        self.url = url
        self.found = found
        self.needed = needed


class UnknownAdapterError(OrderStatusError, LookupError):
    """No installed adapter handles the scheme of a URL.

    The message names the schemes that are installed.
    """

    def __init__(self, kind: str, scheme: str, installed: list[str]) -> None:
        names = ", ".join(f"{name}://" for name in sorted(installed)) or "none"
        super().__init__(f"no {kind} adapter for {scheme}:// (installed: {names})")
        self.kind = kind
        self.scheme = scheme
        self.installed = sorted(installed)


class InvalidUrlError(OrderStatusError, ValueError):
    """An adapter URL is malformed (no ``scheme://``, a missing path, a bad option)."""


class AdapterNameConflictError(OrderStatusError, ValueError):
    """Two plugins registered an adapter of the same kind under the same scheme."""


class WeakPasswordHashingError(OrderStatusError, ValueError):
    """A password hasher was set up below the production floor (SECURITY B3): Argon2id
    with at least 19 MiB, 2 passes and 1 lane.

    Raised when such a hasher is opened from configuration; cheap parameters are for
    tests, which ask for them by name (``Argon2PasswordHasher.for_tests()``).
    """
