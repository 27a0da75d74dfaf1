"""Shoppers' accounts: sign-up and verification, log-in and sessions, reset, changes and
deletion, order links and history, the security log, store credit and discount codes,
availability alerts (DOMAIN.md section 2, SECURITY A-F).

One module per area; each command takes a :class:`~orderstatus_core.ServiceContext`
(and, once logged in, a :class:`ShopperProof`) and answers a value of a closed union
(:mod:`orderstatus_core.services.results`); exceptions only for bad input and failures.
"""

from orderstatus_core.services.accounts._common import ShopperProof, prepare_accounts
from orderstatus_core.services.accounts.alerts import part_back_in_stock
from orderstatus_core.services.accounts.changes import (
    change_email,
    change_password,
    confirm_email_change,
    delete_account,
)
from orderstatus_core.services.accounts.credit import (
    account_credit,
    discount_codes,
    issue_discount_code,
    redeem_discount_code,
    revoke_discount_code,
)
from orderstatus_core.services.accounts.export import export_data
from orderstatus_core.services.accounts.login import (
    check_session,
    log_in,
    log_out,
    reauthenticate,
    view_account,
)
from orderstatus_core.services.accounts.mail_preferences import (
    mail_preferences,
    queue_store_mail,
    set_language,
    set_mail_preferences,
    unsubscribe,
)
from orderstatus_core.services.accounts.orders import (
    attach_order,
    confirm_attach,
    decide_attach,
    join_verified_accounts,
    join_verified_addresses,
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
from orderstatus_core.services.accounts.whole_page import profile_page

__all__ = [
    "ShopperProof",
    "ShopperSession",
    "account_credit",
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
    "discount_codes",
    "export_data",
    "forgot_password",
    "issue_discount_code",
    "join_verified_accounts",
    "join_verified_addresses",
    "log_in",
    "log_out",
    "mail_preferences",
    "new_captcha",
    "order_history",
    "part_back_in_stock",
    "prepare_accounts",
    "profile_page",
    "queue_store_mail",
    "reauthenticate",
    "redeem_discount_code",
    "reset_password",
    "revoke_discount_code",
    "search_history",
    "security_log",
    "set_language",
    "set_mail_preferences",
    "set_password",
    "sign_up",
    "unsubscribe",
    "verify_email",
    "view_account",
]
