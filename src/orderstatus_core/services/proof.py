"""How a guest proves their right to an order: one value, checked in one place."""

from __future__ import annotations

from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError

__all__ = ["MAX_CLIENT", "GuestProof", "checked_proof", "client_key"]

#: The longest ``client`` (an IP address, a session id) a caller may name.
MAX_CLIENT = 200


def client_key(client: object) -> str:
    """``client`` if it is 1 to 200 characters; the rate limits count by it."""
    if not isinstance(client, str) or not client or len(client) > MAX_CLIENT:
        raise InvalidFieldError("client", "must be 1 to 200 characters naming the caller")
    return client


def _check_client(_instance: Any, _attribute: Any, value: Any) -> None:
    client_key(value)


def _check_language(_instance: Any, _attribute: Any, value: Any) -> None:
    # A malformed code is not an error (it reads English: the shopper still gets an answer);
    # a value that is not text at all is the caller's bug.
    if not isinstance(value, str):
        raise InvalidFieldError("language", "must be a language code such as fi or en-US")


@attrs.frozen
class GuestProof:
    """Who is asking (``client``: the caller's IP address or session) and what they show
    for an order: a ``guest_pass`` token, or the ``identifier`` (email or phone) they
    typed with the order number, where the store lets the look-up pair act.

    Built once per request and handed to every guest command, so the proof is never
    rebuilt from loose arguments. A malformed ``client`` raises
    :class:`~orderstatus_core.errors.InvalidFieldError` at once; a malformed pass or
    identifier is not an error but proves nothing, so it answers like a wrong one
    (SECURITY A1). The pass and the identifier are left out of ``repr`` (C4).

    ``language`` is the language the shopper reads (``fi``, ``en-US``, from their choice
    or the browser's ``Accept-Language``): every view text and refusal message answers in
    it. A code with no catalog reads English; a value that is not text raises
    :class:`~orderstatus_core.errors.InvalidFieldError`.
    """

    client: str = attrs.field(validator=_check_client)
    guest_pass: str | None = attrs.field(default=None, repr=False)
    identifier: str | None = attrs.field(default=None, repr=False)
    language: str = attrs.field(default="en", validator=_check_language)


def checked_proof(proof: object) -> GuestProof:
    """``proof`` if it is a :class:`GuestProof`; a guest command refuses anything else
    before it reads a thing."""
    if not isinstance(proof, GuestProof):
        raise InvalidFieldError("proof", "must be a GuestProof")
    return proof
