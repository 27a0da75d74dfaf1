"""A store's return rules as one plugin: windows per category, No Return rules, supplier
routing, a restocking fee and the store's own warehouses.

The core's defaults are DOMAIN.md's: 30 days from shipping for every part, no restocking
fee, and every return going to an example address that a real store must replace. This
store, which ships from Columbus, OH and Reno, NV, changes them through the four return
hooks:

* ``orderstatus_return_policy``: the store-wide rules. The window stays 30 days; a 15 %
  restocking fee is taken when the shopper's choice is the reason (ordered the wrong part,
  no longer needed, does not fit; never when the store is at fault); each warehouse takes
  back what it shipped, and units from anywhere else go to Columbus.
* ``orderstatus_return_window``: tools may come back for 90 days; ``None`` leaves every
  other part at the policy's 30.
* ``orderstatus_return_refusal``: gift cards never come back, and neither do oils, fluids
  and chemicals: an opened container cannot be resold, and a mail-in return cannot show
  whether it was opened (a leaking bottle that arrived damaged is a problem report, not a
  return). Each refusal has a stable code the storefront translates.
* ``orderstatus_return_destination``: a defective alternator or starter goes straight to
  the supplier that remanufactures it, in its own RMA package; ``None`` leaves every other
  unit to the policy's warehouses.

Pass it to ``OrderStatus.open`` or install it as an entry point::

    desk = OrderStatus.open(
        storage="sqlite:///orders.db", mail="mailbox:///mail", labels=..., plugins=[StorePolicy()]
    )

    [project.entry-points.orderstatus]
    myshop-returns = "myshop.return_policy:store_policy"

``tests/services/test_example_return_policy.py`` runs a store with it.
"""

from __future__ import annotations

from decimal import Decimal

from orderstatus_core import (
    Address,
    CategoryPath,
    Order,
    OrderLine,
    ReturnDestination,
    ReturnKind,
    ReturnPolicy,
    ReturnReason,
    ReturnRefusal,
    hookimpl,
)

__all__ = [
    "COLUMBUS",
    "RENO",
    "RESTOCKING_FEE_PERCENT",
    "VOLTLINE",
    "StorePolicy",
    "store_policy",
]

#: The shopper's choice costs 15 % of the parts' price (DOMAIN.md's default is 0 %).
RESTOCKING_FEE_PERCENT = Decimal(15)
#: Tools may come back for 90 days; everything else for the policy's 30.
TOOLS_WINDOW_DAYS = 90

TOOLS = CategoryPath("Tools & Equipment")
FLUIDS = CategoryPath("Oil, Chemicals & Fluids")
GIFT_CARDS = CategoryPath("Gift Cards")
#: Rebuilt by the supplier when defective.
SUPPLIER_ROUTED = (
    CategoryPath("Charging & Starting › Alternator"),
    CategoryPath("Charging & Starting › Starter"),
)

COLUMBUS = ReturnDestination(
    code="columbus",
    name="Columbus warehouse",
    address=Address(
        name="Example Parts Returns",
        line1="4000 Alum Creek Dr",
        city="Columbus",
        region="OH",
        postal_code="43207",
        country="US",
    ),
)
RENO = ReturnDestination(
    code="reno",
    name="Reno warehouse",
    address=Address(
        name="Example Parts Returns",
        line1="1200 Trademark Dr",
        city="Reno",
        region="NV",
        postal_code="89521",
        country="US",
    ),
)
VOLTLINE = ReturnDestination(
    code="supplier-voltline",
    name="Voltline Remanufacturing",
    address=Address(
        name="Voltline Remanufacturing, Warranty Dept",
        line1="77 Dynamo Ave",
        city="Dayton",
        region="OH",
        postal_code="45402",
        country="US",
    ),
)


class StorePolicy:
    """The store's return rules (see the module docstring)."""

    @hookimpl
    def orderstatus_return_policy(self) -> ReturnPolicy:
        """30 days from shipping, a restocking fee, and the store's own warehouses.

        The keys of ``warehouses`` are the warehouse names the store's packages carry
        (``desk.warehouse.start_processing(number, package_id, "Reno, NV", units)``).
        """
        return ReturnPolicy(
            window_days=30,
            restocking_fee_percent=RESTOCKING_FEE_PERCENT,
            returns_center=COLUMBUS,
            warehouses={"Columbus, OH": COLUMBUS, "Reno, NV": RENO},
        )

    @hookimpl
    def orderstatus_return_window(self, order: Order, line: OrderLine) -> int | None:
        """90 days for tools; ``None``: the policy's window for the rest."""
        return TOOLS_WINDOW_DAYS if TOOLS.contains(line.category) else None

    @hookimpl
    def orderstatus_return_refusal(
        self, order: Order, line: OrderLine, kind: ReturnKind
    ) -> ReturnRefusal | None:
        """No Return rules beyond the line's own ``returnable`` flag."""
        if GIFT_CARDS.contains(line.category):
            return ReturnRefusal("gift_card", "gift cards cannot be returned")
        if FLUIDS.contains(line.category) and kind is ReturnKind.RETURN:
            # A warranty claim or a core return is left to the core's own rules.
            return ReturnRefusal(
                "fluids_no_return",
                "oils, fluids and chemicals cannot be returned, as an opened container "
                "cannot be resold; if one arrived damaged, report a problem instead",
            )
        return None

    @hookimpl
    def orderstatus_return_destination(
        self, order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
    ) -> ReturnDestination | None:
        """Defective alternators and starters (a return or a warranty claim) go to their
        supplier; ``None`` sends the rest to the warehouse that shipped them."""
        if reason is ReturnReason.DEFECTIVE and any(
            category.contains(line.category) for category in SUPPLIER_ROUTED
        ):
            return VOLTLINE
        return None


#: An instance for an entry point, which names an object rather than calling a class.
store_policy = StorePolicy()
