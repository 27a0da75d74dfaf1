"""Shoppers' accounts: sign-up and verification, log-in and sessions, reset, changes and
deletion, order links and history, the security log (DOMAIN.md section 2, SECURITY A-F).

One module per area; each command takes a :class:`~orderstatus_core.ServiceContext`
(and, once logged in, a :class:`ShopperProof`) and answers a value of a closed union
(:mod:`orderstatus_core.services.results`); exceptions only for bad input and failures.
"""

from orderstatus_core.services.accounts._common import ShopperProof, prepare_accounts
from orderstatus_core.services.accounts.changes import (
    change_email,
    change_password,
    confirm_email_change,
    delete_account,
)
from orderstatus_core.services.accounts.login import (
    check_session,
    log_in,
    log_out,
    reauthenticate,
    view_account,
)
from orderstatus_core.services.accounts.orders import (
    attach_order,
    confirm_attach,
    decide_attach,
    join_verified_accounts,
    order_history,
    search_history,
)
from orderstatus_core.services.accounts.reset import decide_reset, forgot_password, reset_password
from orderstatus_core.services.accounts.security_log import security_log
from orderstatus_core.services.accounts.session import ShopperSession
from orderstatus_core.services.accounts.signup import (
    decide_sign_up,
    new_captcha,
    set_password,
    sign_up,
    verify_email,
)

__all__ = [
    "ShopperProof",
    "ShopperSession",
    "attach_order",
    "change_email",
    "change_password",
    "check_session",
    "confirm_attach",
    "confirm_email_change",
    "decide_attach",
    "decide_reset",
    "decide_sign_up",
    "delete_account",
    "forgot_password",
    "join_verified_accounts",
    "log_in",
    "log_out",
    "new_captcha",
    "order_history",
    "prepare_accounts",
    "reauthenticate",
    "reset_password",
    "search_history",
    "security_log",
    "set_password",
    "sign_up",
    "verify_email",
    "view_account",
]
