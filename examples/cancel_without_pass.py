"""A store plugin: a guest may cancel with the look-up pair alone, no guest pass needed.

By default every guest action on an order (cancel, change, report a problem, return) needs
a verified guest pass: a code or link mailed to the order's stored address. A store that
accepts the risk for cancellations only (a cancelled order costs it little, and a shopper
who wants to cancel is in a hurry) overrides one hook and leaves the other actions strict::

    from orderstatus_core import OrderStatus
    import cancel_without_pass

    desk = OrderStatus.open(
        storage="sqlite:///orders.db", mail="mailbox:///mail", plugins=[cancel_without_pass]
    )
    desk.pass_required("cancel")   # False
    desk.pass_required("return")   # True, the default

    # The shopper's typed email or phone is their proof for a cancel, and only for that:
    guest = desk.guest(client=request_ip, identifier="jane.doe@example.com")
    match guest.cancel_order("123456789"):
        case CancelAnswer(lines=lines): ...        # done, or requests the warehouse decides
        case Refused(reason=reason): ...           # e.g. cancel_window_closed
        case OrderNotFound(): ...                  # a wrong pair, as find-order answers it
        case NoValidPass(): ...                    # never for a cancel in this store
        case TryLater(retry_after_seconds=s): ...  # the pair's guessing budget is spent
    guest.request_return("123456789", draft)       # NoValidPass: returns still need a pass

Installed stores register it as an entry point instead (``[project.entry-points.orderstatus]
cancel_without_pass = "myshop.cancel_without_pass"``).
"""

from __future__ import annotations

from orderstatus_core import hookimpl


@hookimpl
def orderstatus_pass_required(action: str) -> bool | None:
    """No pass for ``cancel``; ``None`` lets the default (a pass is required) decide the rest."""
    if action == "cancel":
        return False
    return None
