"""What a shopper reads for each refusal's reason code, in their language.

A policy refuses with a stable code and an English detail for logs and staff
(:class:`~orderstatus_core.errors.ActionRefusedError`, ``ReturnRefusal``); a shopper reads
the code's text from :data:`REFUSALS`, translated at the service boundary. The texts name no
values, so each reads right in any language whatever the detail was; the code stays in the
answer for a page that wants its own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from orderstatus_core.model.display import N_, Texts

__all__ = ["REFUSALS", "RMA_STATE_REFUSAL", "refusal_text"]

#: Every reason code a guest command or a return option refuses with, and its text.
REFUSALS: Mapping[str, str] = MappingProxyType(
    {
        # cancelling
        "cancel_window_closed": N_("This order can no longer be cancelled online."),
        "already_shipped": N_("These units have already shipped: return them instead."),
        "units_unavailable": N_("That many units are not waiting to be processed."),
        # changing
        "change_not_offered": N_("This store does not offer that change online."),
        "nothing_to_change": N_("That part of the order is cancelled: there is nothing to change."),
        "in_processing": N_("The warehouse has already started on these units."),
        "not_a_reduction": N_("Ask for fewer units than the line has now."),
        "same_part": N_("That is the part already ordered."),
        "not_approved": N_("That change has not been approved."),
        # problems
        "not_that_many": N_("The order does not have that many units on that line."),
        "not_shipped": N_("Those units have not shipped yet."),
        "no_units": N_("Please say which units the report is about."),
        "no_package": N_("Please say which package the report is about."),
        "nothing_to_refund": N_("This report names no units to refund."),
        # returns
        "not_delivered": N_("These units have not been delivered yet: cancel them instead."),
        "no_return_item": N_("This part cannot be returned."),
        "already_returned": N_("These units have already been returned."),
        "no_core_charge": N_("This part has no core charge."),
        "core_already_refunded": N_("These core deposits have already been refunded."),
        "no_warranty": N_("This part has no warranty."),
        "within_return_window": N_("These units can still be returned: return them instead."),
        "window_closed": N_("The return window has closed for these units."),
        "core_window_closed": N_("The core return window has closed for these units."),
        "warranty_expired": N_("The warranty has ended for these units."),
        "in_open_return": N_("These units are in a return already."),
        "nothing_to_return": N_("Nothing on this line can come back."),
        "not_cancelled": N_("Only units cancelled after they were packed ship back free."),
        "duplicate_return": N_("This return has already been recorded."),
        "label_provided": N_("This package travels on the store's prepaid label."),
        # an order's parts that do not exist or were already decided
        "unknown_line": N_("The order has no such line."),
        "unknown_package": N_("The order has no such package."),
        "unknown_rma": N_("The order has no such return."),
        "unknown_request": N_("The order has no such request."),
        "unknown_report": N_("The order has no such report."),
        "already_decided": N_("That has already been decided."),
    }
)

#: The text of every ``rma_<state>`` code: an RMA package's state does not allow the step.
RMA_STATE_REFUSAL = N_("This return package cannot do that in its current state.")


def refusal_text(texts: Texts, code: str, message: str) -> str:
    """What a shopper reads for the reason ``code``, in ``texts``' language.

    A code of the core reads its text from :data:`REFUSALS`; a store plugin's own code
    reads the plugin's ``message``, translated when the store's catalog has it.

    >>> from orderstatus_core import Catalogs
    >>> refusal_text(Catalogs.builtin().translator("fi"), "no_warranty", "no warranty")
    'Tällä osalla ei ole takuuta.'
    """
    known = REFUSALS.get(code)
    if known is None and code.startswith("rma_"):
        known = RMA_STATE_REFUSAL
    return texts.gettext(known if known is not None else message)
