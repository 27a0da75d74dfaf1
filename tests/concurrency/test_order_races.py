"""Guests, the warehouse and customer service hitting one order at the same moment, on
SQLite, from spawned processes and from threads (the ``race`` fixture of this folder's
conftest). The scenarios live in :mod:`support.order_races`, so that the PostgreSQL
adapter's tests run the same ones on their own race ground.
"""

from __future__ import annotations

from support.order_races import (
    test_a_cancel_request_races_the_shipment,
    test_a_change_races_start_processing,
    test_a_delivery_races_the_shipment,
    test_a_staff_approval_races_start_processing,
    test_cancel_in_processing_races_the_shipment,
    test_cancel_races_start_processing,
    test_many_ship_the_same_package,
)

__all__ = [
    "test_a_cancel_request_races_the_shipment",
    "test_a_change_races_start_processing",
    "test_a_delivery_races_the_shipment",
    "test_a_staff_approval_races_start_processing",
    "test_cancel_in_processing_races_the_shipment",
    "test_cancel_races_start_processing",
    "test_many_ship_the_same_package",
]
