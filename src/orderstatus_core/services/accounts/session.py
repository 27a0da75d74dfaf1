"""The logged-in shopper's session: one value holding their proof, with every account
command on it.

A storefront builds one per request from what the browser sent (the IP address it saw
and the session cookie) and calls the page's command on it::

    shopper = desk.shopper(client=request_ip, session=cookie_or_none)
    match shopper.check():
        case SignedIn() as who: ...
        case NotLoggedIn(): ...  # send to the log-in page

Every command answers a closed union of values; only bad input (the
:class:`~orderstatus_core.errors.ValidationError` tree) and failures raise.
"""

from __future__ import annotations

import attrs

from orderstatus_core.services._bind import ShopperCommand
from orderstatus_core.services.accounts import (
    alerts,
    changes,
    credit,
    export,
    login,
    orders,
    profile,
)
from orderstatus_core.services.accounts._common import ShopperProof
from orderstatus_core.services.accounts.mail_preferences import (
    mail_preferences as _mail_preferences,
)
from orderstatus_core.services.accounts.mail_preferences import set_language as _set_language
from orderstatus_core.services.accounts.mail_preferences import (
    set_mail_preferences as _set_mail_preferences,
)
from orderstatus_core.services.accounts.security_log import security_log
from orderstatus_core.services.accounts.whole_page import profile_page
from orderstatus_core.services.context import ServiceContext

__all__ = ["ShopperSession"]


@attrs.frozen
class ShopperSession:
    """A logged-in shopper's proof (``desk.shopper(client=..., session=...)``) with the
    account commands. Cheap to build: make one per request. Each method is the service
    function of the same name with the context and proof given; without a live session
    each answers :class:`~orderstatus_core.NotLoggedIn`. The context and the session
    token are left out of ``repr`` (SECURITY C4)."""

    context: ServiceContext = attrs.field(repr=False, eq=False)
    proof: ShopperProof

    #: THE per-request check: who is logged in (one lean read, a touch at most once a
    #: minute); :class:`~orderstatus_core.SignedIn` or :class:`~orderstatus_core.NotLoggedIn`.
    check = ShopperCommand(login.check_session)
    #: The account page: the holder's address, language and times (reads the whole account).
    view = ShopperCommand(login.view_account)
    #: End the session on the server.
    log_out = ShopperCommand(login.log_out)
    #: Type the password again (E4); answers a new session token.
    reauthenticate = ShopperCommand(login.reauthenticate)
    #: The account's orders, newest first, paged.
    history = ShopperCommand(orders.order_history)
    #: The account's orders with a part number, in a category or bought for a vehicle.
    search = ShopperCommand(orders.search_history)
    #: Ask to attach an order placed with another email: a code to its stored address.
    attach_order = ShopperCommand(orders.attach_order)
    #: Type the mailed code: the order joins the account.
    confirm_attach = ShopperCommand(orders.confirm_attach)
    #: Ask to change the email (needs a recent password).
    change_email = ShopperCommand(changes.change_email)
    #: Set a new password (needs a recent password).
    change_password = ShopperCommand(changes.change_password)
    #: Delete the account (needs a recent password).
    delete_account = ShopperCommand(changes.delete_account)
    #: The account's own security log.
    security_log = ShopperCommand(security_log)
    #: Every address a checkout offers: the saved ones and those of recent orders.
    addresses = ShopperCommand(profile.address_book)
    #: Save an address (the default if ``default=True``).
    add_address = ShopperCommand(profile.add_address)
    #: Replace a saved address.
    edit_address = ShopperCommand(profile.edit_address)
    #: Remove a saved address.
    remove_address = ShopperCommand(profile.remove_address)
    #: Make a saved address the default.
    choose_default_address = ShopperCommand(profile.choose_default_address)
    #: The vehicles of the garage.
    garage = ShopperCommand(profile.garage)
    #: Put a vehicle in the garage (the store's catalog must list it).
    add_vehicle = ShopperCommand(profile.add_vehicle)
    #: Take a vehicle out of the garage.
    remove_vehicle = ShopperCommand(profile.remove_vehicle)
    #: The store credit across the account's addresses: balance per currency, history.
    store_credit = ShopperCommand(credit.account_credit)
    #: The discount codes issued to the account, with where each stands.
    discount_codes = ShopperCommand(credit.discount_codes)
    #: The parts the account watches for their return to stock.
    part_watches = ShopperCommand(alerts.part_watches)
    #: Watch a part that is out of stock: one mail when it is back.
    watch_part = ShopperCommand(alerts.watch_part)
    #: Stop watching a part.
    unwatch_part = ShopperCommand(alerts.unwatch_part)
    #: The topics of store mail the account gets, out of the store's.
    mail_preferences = ShopperCommand(_mail_preferences)
    #: Subscribe to or unsubscribe from store mail, topic by topic.
    set_mail_preferences = ShopperCommand(_set_mail_preferences)
    #: Choose the account's preferred language (its mail and pages).
    set_language = ShopperCommand(_set_language)
    #: Everything stored about the holder as one JSON document (needs a recent password).
    export_data = ShopperCommand(export.export_data)
    #: The whole Profile page in one call (after the commands whose module is also named
    #: ``profile``): the address book, garage, credit, codes, watches, mail preferences
    #: and language, with one session check and one read unit.
    profile = ShopperCommand(profile_page)
