"""The hook specifications: everything a plugin can contribute or override.

Each hook has a typed, documented, empty body. Policy hooks are ``firstresult``: the core's
defaults are registered as the built-in plugin (:mod:`orderstatus_core.plugins.builtin`), and
a store's plugin overrides one by implementing it with ``tryfirst=True`` (or by returning a
value before the built-in runs; pluggy calls later-registered plugins first).

A new hook is two edits: its spec here with its default in ``builtin.py`` (or an entry in
:data:`WITHOUT_DEFAULT` saying why it has none), and its entry in ``docs/plugins.md``; the
typed facade :class:`~orderstatus_core.plugins.Hooks` gets the method the services call.
``tests/unit/test_hook_meta.py`` fails until both are there and some test uses the hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import pluggy

from orderstatus_core.events import DomainEvent
from orderstatus_core.mail import MailTemplates
from orderstatus_core.model import Order, OrderLine
from orderstatus_core.model.requests import Change
from orderstatus_core.model.returns import ReturnDestination, ReturnKind, ReturnReason
from orderstatus_core.plugins.registry import AdapterRegistry
from orderstatus_core.policies.accounts import AccountPolicy
from orderstatus_core.policies.guest_pass import GuestPassPolicy
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.passwords import PasswordRules
from orderstatus_core.policies.profile import ProfilePolicy
from orderstatus_core.policies.relay import RelayPolicy
from orderstatus_core.policies.retention import RetentionPolicy
from orderstatus_core.policies.returns import ReturnPolicy, ReturnRefusal

__all__ = ["PROJECT_NAME", "WITHOUT_DEFAULT", "hookimpl", "hookspec"]

#: The one name for the hook marker, the plugin manager and the entry-point group.
PROJECT_NAME = "orderstatus"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)

#: Mark a function as an implementation of an ``orderstatus_*`` hook.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

#: The hooks the built-in plugin leaves unimplemented, each with the reason. Every other
#: hook's default is the built-in plugin's answer, the one place defaults live.
WITHOUT_DEFAULT: Mapping[str, str] = {
    "orderstatus_register_adapters": (
        "the core opens no adapter itself; the bundled ones register as plugins too"
    ),
    "orderstatus_domain_event": (
        "a subscription, not a policy: with no subscriber the relay keeps each event "
        "pending, so a store that forgot its payment plugin loses no refund"
    ),
    "orderstatus_return_window": (
        "no answer means the return policy's window_days; left unimplemented, it costs no "
        "hook call per line"
    ),
    "orderstatus_return_refusal": (
        "no answer means no rule beyond the line's returnable flag; left unimplemented, it "
        "costs no hook call per line"
    ),
    "orderstatus_return_destination": (
        "no answer means the return policy's routing (the shipping warehouse, else the "
        "returns center); left unimplemented, it costs no hook call per line"
    ),
}


@hookspec
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """Add this plugin's adapters to ``registry`` (``registry.add_storage("sqlite", ...)``).

    The kinds: storage, mailer, rate limiter, label maker, captcha, password hasher and
    breached-password check (``add_captcha``, ``add_password_hasher``,
    ``add_breached_passwords`` ...). Called each time a registry is built. A scheme
    registered twice for one kind is an error.
    """


@hookspec(firstresult=True)
def orderstatus_lookup_policy() -> LookupPolicy | None:
    """The rules of the guest look-up features: rate limits, list size, page sizes.

    Default: :class:`~orderstatus_core.policies.lookup.LookupPolicy` with its documented
    defaults. Return a ``LookupPolicy`` (``attrs.evolve(LookupPolicy(), ...)``) to change it.
    """


@hookspec(firstresult=True)
def orderstatus_password_rules() -> PasswordRules | None:
    """What a new password must be: its minimum length (SECURITY B1).

    Default: :class:`~orderstatus_core.policies.passwords.PasswordRules` with at least 15
    code points. Return ``PasswordRules(min_length=12)`` to change it; a minimum under 8 is
    refused when the rules are built. The maximum (128), the common-password list and the
    breached-password port are not the rules' to waive.
    """


@hookspec(firstresult=True)
def orderstatus_account_policy() -> AccountPolicy | None:
    """The rules of shoppers' accounts: link lifetimes, session lifetimes, the
    re-authentication window, the lock-out after failed log-ins, the rate limits and the
    base URL of mailed links (SECURITY C1-C3, D3, D4, E1, E4).

    Default: :class:`~orderstatus_core.policies.accounts.AccountPolicy` with its
    documented defaults, whose ``link_base`` (``https://shop.example/account``) a real
    store must replace with its own account area. Return
    ``attrs.evolve(AccountPolicy(), ...)`` to change it.
    """


@hookspec(firstresult=True)
def orderstatus_profile_policy() -> ProfilePolicy | None:
    """How much a shopper's profile keeps: saved addresses per account (20), vehicles per
    garage (10), how many of the newest linked orders offer their shipping address for
    reuse (50), and the discount codes: their length (16), open codes per account (20),
    their lifetime unless staff give one (90 days), how many the page lists (50).

    Default: :class:`~orderstatus_core.policies.profile.ProfilePolicy` with its documented
    defaults. Return ``attrs.evolve(ProfilePolicy(), ...)`` to change it.
    """


@hookspec(firstresult=True)
def orderstatus_tracking_url(carrier: str, tracking_number: str) -> str | None:
    """The public tracking page of a package, shown in the order view.

    Default: the UPS, USPS, FedEx and DHL pages; ``None`` for other carriers. Return a URL
    for a carrier the store uses, or ``None`` to fall through to the default.
    """


@hookspec(firstresult=True)
def orderstatus_guest_pass_policy() -> GuestPassPolicy | None:
    """The rules of the guest pass: lifetimes, tries, the link's base URL, rate limits.

    Default: :class:`~orderstatus_core.policies.guest_pass.GuestPassPolicy` with its
    documented defaults, whose ``link_base`` (``https://shop.example/...``) a real store
    must replace with its own page. Return ``attrs.evolve(GuestPassPolicy(), ...)``.
    """


@hookspec(firstresult=True)
def orderstatus_pass_required(action: str) -> bool | None:
    """Whether a guest needs a verified guest pass for ``action``.

    ``action`` is one of ``"cancel"``, ``"change"``, ``"report"`` and ``"return"``.
    Default: ``True`` for every action (DOMAIN.md section 1: strict). Return ``False`` to
    let the look-up pair alone do it, or ``None`` to leave the decision to the default.
    """


@hookspec(firstresult=True)
def orderstatus_cancel_allowed(order: Order, now: datetime) -> bool | None:
    """Whether guests may still cancel units of ``order`` at ``now`` (a cancellation window).

    Default: ``True``; what can be cancelled is then decided per unit by its state (units
    in processing become requests, shipped units are refused). Return ``False`` to close
    the window, for example a store that allows cancels only within 24 hours of ordering;
    the guest's cancel is refused with code ``cancel_window_closed``.
    """


@hookspec(firstresult=True)
def orderstatus_change_allowed(order: Order, change: Change) -> bool | None:
    """Whether this store accepts this kind of change at all.

    Default: ``True`` for the five typed changes (the order's state still decides whether
    one is possible now). Return ``False`` to refuse, say, part swaps; the request is
    refused with code ``change_not_offered``.
    """


@hookspec(firstresult=True)
def orderstatus_auto_approve_change(order: Order, change: Change) -> bool | None:
    """Whether a guest's change request is approved (and applied) at once, without staff.

    Called only for a change that is possible now. Default: ``False``, staff decide every
    change. A store that trusts, say, address changes before processing returns ``True``
    for :class:`~orderstatus_core.model.requests.AddressChange`.
    """


@hookspec
def orderstatus_domain_event(event_id: str, event: DomainEvent) -> None:
    """Receive a domain event, such as :class:`~orderstatus_core.events.RefundDue`, for the
    store's own systems (its payment service, its ERP).

    Every implementation is called, by the outbox relay, after the change committed;
    delivery is at least once, and ``event_id`` is stable across retries so a receiver can
    drop duplicates. An exception keeps the event pending for a later retry. With no
    implementation at all, events stay pending too (the relay reports them as failed), so a
    store that forgot its payment plugin loses no refund.
    """


@hookspec(firstresult=True)
def orderstatus_relay_policy() -> RelayPolicy | None:
    """How many failed attempts make a message a dead letter, and how long a relay worker
    holds the messages it took (its lease).

    Default: :class:`~orderstatus_core.policies.relay.RelayPolicy` with its documented
    defaults (10 attempts, 5 minutes). Return ``attrs.evolve(RelayPolicy(), ...)`` to change
    it; a lease shorter than one batch takes to send lets another worker send it again.
    """


@hookspec(firstresult=True)
def orderstatus_retention_policy() -> RetentionPolicy | None:
    """How long a purge keeps delivered messages (without their secrets), expired guest-pass
    challenges and passes, and idempotent replies.

    Default: :class:`~orderstatus_core.policies.retention.RetentionPolicy` with its
    documented defaults (30 days, 1 day after expiry, 24 hours). Return
    ``attrs.evolve(RetentionPolicy(), ...)`` to change it; a reply is always kept for at
    least 24 hours, so that a retried command can still replay it.
    """


@hookspec(firstresult=True)
def orderstatus_return_policy() -> ReturnPolicy | None:
    """The store-wide return rules: window and its start date, core window, restocking
    fee, where returns go, which kinds wait for staff, the label's carrier and weight.

    Default: :class:`~orderstatus_core.policies.returns.ReturnPolicy` with DOMAIN.md's
    defaults (30 days from shipping, 6-month core window, no restocking fee), whose
    ``returns_center`` is an example address a real store must replace.
    """


@hookspec(firstresult=True)
def orderstatus_return_window(order: Order, line: OrderLine) -> int | None:
    """The return window of one line in days, per category or per part.

    Default: the policy's ``window_days``. Return a number of days for the lines you want
    to treat differently (``90`` for tools, say) and ``None`` for the rest.
    """


@hookspec(firstresult=True)
def orderstatus_return_refusal(
    order: Order, line: OrderLine, kind: ReturnKind
) -> ReturnRefusal | None:
    """A store's own No Return rule for a line, beyond the line's ``returnable`` flag
    (special orders, opened fluids, gift cards).

    Default: ``None`` (no extra rule). Return a
    :class:`~orderstatus_core.policies.returns.ReturnRefusal` with a stable code and a
    sentence for the shopper; its ``quantity`` is filled in by the core.
    """


@hookspec(firstresult=True)
def orderstatus_return_destination(
    order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
) -> ReturnDestination | None:
    """Routing: where units of ``line`` returned for ``reason`` go. ``shipped_from`` is the
    warehouse of the package that delivered them.

    Default: the policy's ``warehouses[shipped_from]``, else its ``returns_center``. Return
    a :class:`~orderstatus_core.model.returns.ReturnDestination` to send, say, defective
    parts to their supplier; units with the same destination code share one RMA package.
    """


@hookspec
def orderstatus_mail_templates() -> MailTemplates | None:
    """Templates, catalogs and branding for the mail, searched before the core's own.

    Every implementation is asked; answers of plugins registered later come first, and the
    core's (a :class:`~orderstatus_core.MailTemplates` with its own templates, its English
    and Finnish catalogs and the default branding) comes last. Return a
    ``MailTemplates(templates=folder, catalogs=folder, branding=MailBranding(...))`` with
    any of the three: a ``mail/guest_pass.html`` in ``folder`` replaces the core's, a
    ``sv/LC_MESSAGES/orderstatus.po`` in the catalogs adds Swedish. ``None`` adds nothing.
    Asked once, when the store opens; a broken template or catalog fails then.
    """
