"""Earning a guest pass in a service test the way a shopper does: the mailed code, typed back."""

from __future__ import annotations

from orderstatus_core.messages import GuestPassMail
from orderstatus_core.services import (
    GuestPassGranted,
    ServiceContext,
    request_guest_pass,
    verify_guest_code,
)
from orderstatus_core.testing import queued_mail


def earn_guest_pass(ctx: ServiceContext, number: str, identifier: str) -> GuestPassGranted:
    """Ask for a pass to ``number`` with ``identifier``, read the newest code queued for it
    and type it back; the granted pass."""
    request_guest_pass(ctx, identifier, number, client="c")
    mails = [m for m in queued_mail(ctx) if isinstance(m, GuestPassMail)]
    code = [m for m in mails if m.order_number == number][-1].code
    granted = verify_guest_code(ctx, number, code, client="c")
    assert isinstance(granted, GuestPassGranted)
    return granted
