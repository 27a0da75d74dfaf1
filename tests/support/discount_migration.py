"""What the discount-code migration tests of SQLite and PostgreSQL share: a storage at the
version before the migration, holding accounts, linked orders and store credit, and the
check that the migrated storage keeps them and takes codes."""

from __future__ import annotations

from datetime import datetime, timedelta

from orderstatus_core import CreditEntry, DiscountCode, Money, Order
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.ports import Storage

ACCOUNT_ID = "acct-0001"


def fill(storage: Storage, orders: list[Order], t0: datetime) -> Account:
    """Put ``orders``, a verified account with every order linked, and one credit entry of
    the first order's address into ``storage`` (at the version before the migration)."""
    account = Account.sign_up(ACCOUNT_ID, parse_email("jane@example.com"), t0).verified(t0)
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add_many(orders)
        uow.accounts.add(account)
        for placed in orders:
            uow.accounts.link_order(OrderLink(ACCOUNT_ID, placed.number, t0, LinkedBy.CODE))
        uow.credit.append(
            CreditEntry("refund:1", orders[0].email.canonical, Money("12.50", "USD"), t0, "R1")
        )
        uow.commit()
    return account


def check_migrated(storage: Storage, orders: list[Order], account: Account) -> None:
    """The migrated ``storage`` keeps the orders, the account, its links and its credit,
    and stores, lists, uses and forgets discount codes."""
    t0 = account.created_at
    code = DiscountCode("ABCDEFGHJKMNPQRS", ACCOUNT_ID, None, 10, t0, t0 + timedelta(days=1))
    with storage.unit_of_work(write=True) as uow:
        assert [uow.orders.get(o.number) for o in orders] == orders
        assert uow.accounts.get(ACCOUNT_ID) == account
        assert list(uow.accounts.linked_email_keys(ACCOUNT_ID)) == sorted(
            {o.email.canonical for o in orders}
        )
        assert list(uow.credit.balances(orders[0].email.canonical)) == [Money("12.50", "USD")]
        uow.accounts.put_discount_code(code)
        assert uow.accounts.use_discount_code(
            code.code, ACCOUNT_ID, "order-1", Money("1.00", "USD"), t0
        )
        uow.commit()
    with storage.unit_of_work() as uow:
        (stored,) = uow.accounts.discount_codes(ACCOUNT_ID, 10)
    assert stored.order_reference == "order-1"
    assert stored.discount == Money("1.00", "USD")
